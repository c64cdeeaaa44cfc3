"""JSON from untrusted bytes, parsed so that no input can crash the reader: depth, numbers and text bounded.

Standard library only: the zygote (frames from the verifier's process), the host (replies from the zygote) and
the ``envsynth_sandbox`` client inside a verifier (results from a response's process) all parse with it.

- nesting is measured before parsing, iteratively (strings removed by one regular expression, then a running sum
  over the brackets), so 60,000 ``[`` are refused instead of raising ``RecursionError`` in the C parser; the
  expression is linear in the input: its quantifiers are possessive (no backtracking) and an unterminated string
  runs to the end of the input, so no start position is tried twice (a 24,000-byte line of ``"\\`` pairs used to
  take seconds and stall the zygote that scans every line of a verifier's result pipe);
- an integer longer than ``max_digits`` is refused (or replaced by ``huge``), so a 4,000-digit score never reaches
  ``math.isfinite`` (``OverflowError``) or float conversion;
- NaN and the infinities are refused unless ``allow_nan``;
- :func:`own_codec` is the exception, for JSON a process made itself or reads from a trusted peer;
- :func:`clean_text` escapes lone surrogates, which Python's JSON reader accepts from ``"\\ud800"`` but which break
  ``str.encode``, ``print`` and every UTF-8 writer downstream.
"""

import json
import re
import sys
from itertools import accumulate

_STRING = re.compile(rb'"(?:[^"\\]++|\\.?+)*+"?+', re.DOTALL)
_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_SIGNS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


class UnsafeJSON(ValueError):
    """The bytes are not JSON within the bounds (too deep, too long a number, non-finite constant, malformed)."""


def depth(data):
    """Deepest nesting of arrays and objects in ``data`` (bytes), computed without recursion."""
    signs = _STRING.sub(b"", data).translate(None, _BRACKETS).translate(_SIGNS)
    if not signs:
        return 0
    return max(0, max(accumulate(memoryview(signs).cast("b"))))


def loads(data, max_depth=64, max_digits=4300, allow_nan=False, huge=None):
    """Parse ``data`` (bytes or str) or raise :class:`UnsafeJSON`; never RecursionError or OverflowError.

    ``huge``: the value an integer longer than ``max_digits`` becomes (default: refuse the whole input).
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if depth(data) > max_depth:
        raise UnsafeJSON(f"nested deeper than {max_depth}")

    def parse_int(text):
        if len(text.lstrip("-")) <= max_digits:
            return int(text)
        if huge is None:
            raise UnsafeJSON(f"an integer longer than {max_digits} digits")
        return huge

    def parse_constant(name):
        if allow_nan:
            return float(name)
        raise UnsafeJSON(f"non-finite JSON constant {name}")

    # Where the interpreter's own limit on integer text is exactly ``max_digits`` and no ``huge`` stands in, its
    # C scanner refuses the same integers (ValueError, below): no Python call per integer, which made a result of
    # a million integers take seconds to read.
    native = huge is None and sys.get_int_max_str_digits() == max_digits
    try:
        return json.loads(data, parse_int=None if native else parse_int, parse_constant=parse_constant)
    except UnsafeJSON:
        raise
    except (ValueError, RecursionError, MemoryError) as exc:
        raise UnsafeJSON(f"malformed JSON: {str(exc)[:200]}") from None


def clean_text(text, limit=None):
    """``text`` with lone surrogates escaped as ``\\udXXX`` (valid UTF-8 everywhere), cut at ``limit``."""
    if not isinstance(text, str):
        text = str(text)
    if limit is not None:
        text = text[:limit]
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def own_codec():
    """``(decode, encode)``: ``json.loads`` of a str and ``json.dumps`` of plain data, to the character, without the
    Python layers around the C scanner and encoder. Only for JSON that harms nobody but the reader when it is
    malformed (a process's own request, its trusted peer's lines): nothing here bounds depth or numbers (untrusted
    bytes go through :func:`loads`), a malformed text (or a second value after the first) raises ``StopIteration``
    or ``ValueError``, and data with a cycle recurses until ``RecursionError``. Why: a verifier or response process
    is a fresh copy-on-write clone, and every Python function it runs the first time costs it page faults (4-5 us
    each in this VM); the request's ``json.loads`` alone cost a response process about a hundred. Built once, in
    the image every process is cloned from."""
    scan = json.JSONDecoder().scan_once
    make = json.encoder.c_make_encoder
    if make is None:  # an interpreter without the C accelerator
        return json.loads, json.dumps
    encoder = make(None, None, json.encoder.encode_basestring_ascii, None, ": ", ", ", False, False, True)

    def decode(text):
        value, end = scan(text, 0)
        if text[end:].strip():  # as json.loads: one value (a second request written after the first is refused)
            raise ValueError("extra data after the JSON value")
        return value

    return decode, (lambda value: "".join(encoder(value, 0)))
