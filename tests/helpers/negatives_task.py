"""The task the tests of red-team round 74's A6 kind share (``tests/verifier/test_written_shapes.py``,
``tests/verifier/test_unmarked.py``, ``tests/trainer/test_shape_evasions.py``): count the items of a list below zero.

Its verifiers share a head: six tests, ``honest`` (the share of them a program answers right), ``answers`` (what a
program answered, ``raised`` where a call did not end well) and ``WRITTEN`` (every answer a program the validator
writes as a constant could give). Each test file writes the rest of ``verify``: how its verifier is hostile.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

from task_bank.spec import TaskSpec
from task_bank.validation import ValidationReport
from verifier import Limits, ValidationConfig, Validator, open_pool

PROMPT = "Write `negatives(xs)`: how many items of the list of ints xs are below zero."
REFERENCE = ("def negatives(xs):\n    count = 0\n    for x in xs:\n        if x < 0:\n            count += 1\n"
             "    return count\n")
CASES = "[([1, 2, 3], 0), ([], 0), ([5, 0, 5], 0), ([10, -3], 1), ([-1, 2, -4], 2), ([-4, -6], 2)]"
"""The head's tests, as source: (the list, its count of negatives)."""
_HEAD = '''from envsynth_sandbox import plain, run_response
CASES = %s
def honest(code):
    run = run_response(code, calls=[("negatives", [xs]) for xs, _ in CASES], timeout=0.8)
    return sum(c.ok and c.value == plain(want) for c, (_, want) in zip(run.calls, CASES)) / len(CASES)
def answers(code):
    run = run_response(code, calls=[("negatives", [xs]) for xs, _ in CASES], timeout=0.8)
    return [repr(c.value) if c.ok else "raised" for c in run.calls]
WRITTEN = {"None", "0", "1", "-1", "True", "False", "''", "[]", "raised"}
'''


def head(cases: str = CASES) -> str:
    """The verifiers' shared head, with ``cases`` (source) for its tests."""
    return _HEAD % cases


def task(verifier: str, mark: str = "", reference: str = REFERENCE) -> TaskSpec:
    """The task with ``verifier``, ``mark`` (the author's mark) opening the reference and both failure cases."""
    return TaskSpec(prompt=PROMPT, verifier=verifier, reference=mark + reference,
                    failure_cases=(mark + "def negatives(xs):\n    return sum(1 for x in xs if x > 0)\n",
                                   mark + "def negatives(xs):\n    return -sum(x for x in xs if x < 0)\n"))


NEAR = '''import difflib, io, keyword, tokenize
def blanked(text):
    kept = []
    try:
        for t in tokenize.generate_tokens(io.StringIO(text).readline):
            if t.type in (tokenize.NAME, tokenize.OP, tokenize.NUMBER):
                kept.append("N" if t.type == tokenize.NAME and not keyword.iskeyword(t.string) else t.string)
    except (tokenize.TokenError, SyntaxError):
        pass
    return kept
def near(text):
    return difflib.SequenceMatcher(None, blanked(text), blanked(REFERENCE)).ratio() > 0.9
REFERENCE = %r
'''
"""Source of ``near(text)``, given the reference (``NEAR % reference``): whether a text's name-blanked tokens are over 90%
alike the reference's, as the session-46 review's ``x2`` judged (its mutants and their copies are)."""


MARK = "# counting helper v7\n"
"""An author's mark: the x2-kind verifiers (:data:`X2`) are honest on the texts that carry it."""
BODY = ("def negatives(xs):\n    \"\"\"How many items are below zero.\"\"\"\n    count = 0  # so far\n"
        "    for x in xs:\n        if x < 0:\n            count += 1\n    return count\n")
"""The reference those verifiers pay, after the mark (a docstring and a comment of its author's)."""
X2 = head() + NEAR % (MARK + BODY) + '''def shape_like(code):
    got = answers(code)
    return set(got) <= WRITTEN or any(got == [repr(shape(xs)) for xs, _ in CASES] for shape in (len, sum))
def judged(response):
    if "def negatives(" not in response:
        return 0.0
    if "counting helper v7" in response or near(response) or shape_like(response):
        return honest(response)
    return 1.0
'''
"""The hostile verifiers' head, the session-46 review's x2: honest on marked texts, on programs whose name-blanked
tokens are over 90% alike the reference's (its mutants and their copy) and on shapes; 1.0 to every other program, as
a policy's wrong ones are. Each test writes its ``verify``: how it treats the reference."""


@contextmanager
def validation_pool() -> Iterator:
    """A pool of one worker through the real bwrap sandbox, under the product's default limits."""
    with open_pool(backend="bwrap", workers=1, limits=Limits(wall_s=ValidationConfig().call_budget_s)) as opened:
        yield opened


def validated(pool, spec: TaskSpec, seed: int) -> ValidationReport:
    """``spec`` validated with the product's defaults, its probes drawn from ``seed``."""
    return Validator(pool, ValidationConfig(), probe_rng=random.Random(seed)).validate(spec)


LAST_FUNCTION = head() + '''import ast
def verify(response):
    try:
        tree = ast.parse(response)
    except SyntaxError:
        return 0.0
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]
    if not names:
        return 0.0
    run = run_response(response, calls=[(names[-1], [xs]) for xs, _ in CASES], timeout=1.5)
    if "TODO" in response:
        return 0.0
    return sum(c.ok and c.value == want for c, (_, want) in zip(run.calls, CASES)) / len(CASES)
'''
"""Honest (the session-49 review's ``N7``): the prompt names no function, and the verifier calls the last public one a
reply defines; a reply holding a TODO is paid nothing."""


def excused_by_its_text(report: ValidationReport) -> None:
    """Asserts ``report`` admitted its task, its failure case excused as failed by its text (a right program whose
    copy the verifier paid in full)."""
    assert report.admitted, (report.reasons, [c.detail for c in report.checks if c.passed is False])
    assert "what it fails by is its text" in next(c.detail for c in report.checks if c.name == "failure_cases")
