"""A reference that a ``run_response`` verifier cannot get plain values from is named in the rejection (issue 16).

Red-team round 45 (F1): a task asking for a generator, checked through ``run_response``, was rejected ``unsolvable``
with no word of why: a generator's result fails its call with ``UnserializableResult``, which only the verifier
sees. The reference check's detail (which the generator's repair round quotes) now says so.
"""

from __future__ import annotations

import pytest

from task_bank.spec import TaskSpec
from verifier import ValidationConfig, Validator, open_pool
from verifier.reference_hints import plain_value_hint

RUNS = "from envsynth_sandbox import run_response\ndef verify(response):\n    return 0.0\n"
GENERATOR = "def chunks(xs, n):\n    for i in range(0, len(xs), n):\n        yield xs[i:i + n]\n"


def test_a_generator_reference_is_named():
    hint = plain_value_hint(RUNS, GENERATOR)
    assert "`chunks` is a generator" in hint and "UnserializableResult" in hint


def test_a_fenced_generator_reference_is_named_too():
    assert "`chunks`" in plain_value_hint(RUNS, "Here:\n```python\n" + GENERATOR + "```\n")


def test_a_class_reference_is_named():
    assert "class `Stack`" in plain_value_hint(RUNS, "class Stack:\n    def push(self, x):\n        pass\n")


def test_a_yield_in_a_nested_function_is_not_the_outer_functions():
    nested = "def make(xs):\n    def inner():\n        yield from xs\n    return list(inner())\n"
    assert plain_value_hint(RUNS, nested) == ""


def test_a_verifier_that_runs_no_response_gets_no_such_hint():
    assert plain_value_hint("def verify(response):\n    return 0.0\n", GENERATOR) == ""


def test_prose_gets_no_hint():
    assert plain_value_hint(RUNS, "The answer is 42.") == ""


CHUNKS_VERIFIER = '''from envsynth_sandbox import plain, run_response
CASES = [([1, 2, 3, 4, 5], 2), ([], 3)]
def verify(response):
    run = run_response(response, calls=[("chunks", [xs, n]) for xs, n in CASES], timeout=2.0)
    good = all(c.ok and c.value == plain([xs[i:i + n] for i in range(0, len(xs), n)])
               for c, (xs, n) in zip(run.calls, CASES))
    return 1.0 if good else 0.0
'''


@pytest.mark.sandbox  # needs bubblewrap and root
def test_validation_of_a_generator_task_says_why_the_reference_failed():
    spec = TaskSpec(prompt="Write a generator `chunks(xs, n)` yielding slices of length n.", verifier=CHUNKS_VERIFIER,
                    reference=GENERATOR, failure_cases=("def chunks(xs, n):\n    return [xs]\n",))
    with open_pool("bwrap", workers=1) as pool, Validator(pool, ValidationConfig(), concurrency=1) as validator:
        report = validator.validate(spec)
    [reference] = [check for check in report.checks if check.name == "reference"]
    assert reference.reason == "unsolvable" and "`chunks` is a generator" in reference.detail
