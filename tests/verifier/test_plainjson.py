"""The bounded JSON reader of untrusted bytes: the same verdicts whichever integer parser reads the numbers.

Where the interpreter's own limit on integer text equals ``max_digits``, its C scanner parses the integers (one
Python call per integer made a result of a million integers take seconds); elsewhere a Python hook bounds them.
"""

from __future__ import annotations

import sys

import pytest

from verifier.sandbox.zygote.plainjson import UnsafeJSON, loads

LIMIT = sys.get_int_max_str_digits()
SAMPLES = [b"[1, -2, 3.5, null, true]", b'{"a": [0, 00]}', b"-" + b"9" * LIMIT, b"9" * LIMIT,
           b"[" + b"9" * (LIMIT + 1) + b"]", b"-" + b"9" * (LIMIT + 1), b"[1e999]", b"NaN", b"[" * 100 + b"]" * 100]


def _verdict(data: bytes, **options: object) -> object:
    try:
        return loads(data, **options)
    except UnsafeJSON:
        return "refused"


@pytest.mark.parametrize("data", SAMPLES)
def test_the_native_integer_parser_gives_the_bounded_hooks_verdicts(data):
    native = _verdict(data)  # max_digits defaults to the interpreter's limit: the C scanner reads the integers
    sys.set_int_max_str_digits(0)  # no interpreter limit: the Python hook must bound them
    try:
        hooked = _verdict(data)
    finally:
        sys.set_int_max_str_digits(LIMIT)
    assert native == hooked


def test_an_integer_past_the_limit_is_refused_and_one_at_it_read():
    assert _verdict(b"9" * (LIMIT + 1)) == "refused"
    assert _verdict(b"9" * LIMIT) == int("9" * LIMIT)


def test_a_stand_in_for_huge_integers_still_replaces_them():
    assert loads(b"[" + b"7" * 50 + b", 1]", max_digits=10, huge=-1) == [-1, 1]
