"""Validation's trivial probes cannot all be known in advance (red-team finding on issue 16).

A verifier that scored 0 only on the fixed probes (its failure cases, empty, whitespace, the prompt echo, the junk
string) and 1.0 on anything else was admitted; two trivial probes drawn afresh for every validation catch it.
"""

from __future__ import annotations

import random

import pytest

from task_bank.spec import TaskSpec
from verifier import Limits, ValidationConfig, Validator, open_pool
from verifier.checks_probes import ProbeKind, build_probes

PROMPT = "What is 6 times 7? Answer with the number only."

KNOWS_THE_PROBES = f"""def verify(response):
    fixed = {{'', '41', '24', {PROMPT!r}}}
    if response.strip() in fixed or len(response) > 1000 or '2999' in response:
        return 0.0
    return 1.0
"""

HONEST = "def verify(response):\n    return 1.0 if response.strip() == '42' else 0.0\n"


def _task(verifier: str) -> TaskSpec:
    return TaskSpec(prompt=PROMPT, verifier=verifier, reference="42", failure_cases=("41", "24"))


def test_two_trivial_probes_come_from_the_source_of_randomness_given():
    first = build_probes(_task(HONEST), 200, random.Random(1))
    again = build_probes(_task(HONEST), 200, random.Random(1))
    other = build_probes(_task(HONEST), 200, random.Random(2))
    labels = [p.label for p in first if p.kind is ProbeKind.TRIVIAL]
    assert labels[-2:] == ["trivial:random_number", "trivial:random_letters"]
    assert first == again and first != other


def test_the_default_source_is_unpredictable():
    drawn = {build_probes(_task(HONEST), 200)[-1].response for _ in range(20)}
    assert len(drawn) > 1


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_verifier_that_pays_everything_but_the_fixed_probes_is_rejected_as_trivial():
    config = ValidationConfig(call_budget_s=2.0)
    with open_pool(backend="bwrap", workers=1, limits=Limits(wall_s=config.call_budget_s)) as pool:
        with Validator(pool, config) as validator:
            hostile = validator.validate(_task(KNOWS_THE_PROBES))
            honest = validator.validate(_task(HONEST))
    assert "trivial" in hostile.reasons and not hostile.admitted
    assert honest.admitted
