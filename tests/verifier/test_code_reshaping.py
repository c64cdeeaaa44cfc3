"""A reshaped twin behaves as its failure case and has a structure no failure case has."""

from __future__ import annotations

import io
import keyword
import random
import tokenize

import pytest

from verifier.code_reshaping import reshaped

PROGRAMS = [
    "def total(xs):\n    return len(xs)\n",
    "def total(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s * 2\n",
    "def total(xs):\n    '''Sum, wrongly.'''\n    if not xs:\n        raise ValueError('empty')\n    return max(xs)\n",
    "def total(xs):\n    for x in xs:\n        yield x\n",
    "def total(xs):\n    print('adding', len(xs))\n    return sum(\n        xs[1:]\n)\n",
]
INPUTS = [[], [3], [1, 2, 3], [-4, 9, 9]]


def shape(code: str) -> str:
    """Tokens with names blanked: what a verifier that recognises its failure cases by structure compares."""
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.NAME and not keyword.iskeyword(tok.string):
            out.append("N")
        elif tok.type in (tokenize.NAME, tokenize.OP, tokenize.NUMBER, tokenize.STRING):
            out.append(tok.string)
    return " ".join(out)


def run(code: str, xs: list[int]) -> tuple[object, str]:
    namespace: dict[str, object] = {}
    printed = io.StringIO()
    exec(compile(code, "<case>", "exec"), {"print": lambda *a: printed.write(" ".join(map(str, a)))}, namespace)
    try:
        value = namespace["total"](list(xs))  # type: ignore[operator]
        value = list(value) if hasattr(value, "__next__") else value
    except Exception as exc:  # noqa: BLE001 - the exception is part of the behaviour compared
        value = (type(exc).__name__, str(exc))
    return value, printed.getvalue()


@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize("seed", range(6))
def test_a_reshaped_program_returns_raises_and_prints_as_the_original(program: str, seed: int):
    twin = reshaped(program, random.Random(seed))
    assert twin is not None
    assert [run(twin, xs) for xs in INPUTS] == [run(program, xs) for xs in INPUTS]


@pytest.mark.parametrize("program", PROGRAMS)
def test_a_reshaped_program_has_a_structure_the_original_lacks(program: str):
    assert shape(reshaped(program, random.Random(0)) or "") != shape(program)


def test_the_code_of_a_fenced_reply_is_reshaped_and_the_reply_around_it_kept():
    reply = "Here it is:\n```python\ndef total(xs):\n    return len(xs)\n```\nDone."
    twin = reshaped(reply, random.Random(0))
    assert twin is not None and twin.startswith("Here it is:\n```python\ndef total(xs):\n    return len(xs)\n")
    assert twin.endswith("```\nDone.") and twin != reply


@pytest.mark.parametrize("text", ["I would add them up.", "def total(xs): return len(xs)\n", "def (:\n", ""])
def test_nothing_is_made_of_prose_a_one_line_function_or_broken_code(text: str):
    assert reshaped(text, random.Random(0)) is None
