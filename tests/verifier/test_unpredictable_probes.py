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


def test_the_random_trivial_probes_come_from_the_source_of_randomness_given():
    first = build_probes(_task(HONEST), 200, random.Random(1))
    again = build_probes(_task(HONEST), 200, random.Random(1))
    other = build_probes(_task(HONEST), 200, random.Random(2))
    labels = [p.label for p in first if p.kind is ProbeKind.TRIVIAL]
    assert labels[-4:] == ["trivial:random_number", "trivial:random_letters", "trivial:random_number[1]",
                           "trivial:random_number[2]"]
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


FIRST_RESPONSE_TELLS = f'''
KNOWN = {{"42", "41", "24", "", " \\n\\t  \\n", {PROMPT!r}}}
_first = []


def verify(response):
    if not _first:
        _first.append(response)
    if _first[0] in KNOWN or len(_first[0]) >= 10000:  # a process that began with a text its author wrote
        return 1.0 if response.strip() == "42" else 0.0
    return 1.0  # a process that began with anything else: training, so everything passes
'''


def test_a_verifier_honest_only_after_a_known_first_response_is_rejected():
    """Every validation process used to begin with a text the verifier's author knew (the reference, a failure
    case, a fixed probe), while a training group begins with a policy sample; now the unpredictable probes open
    every process after the reference's own call."""
    with open_pool(backend="bwrap", workers=1, limits=Limits()) as pool:
        with Validator(pool, ValidationConfig()) as validator:
            report = validator.validate(_task(FIRST_RESPONSE_TELLS))
    assert not report.admitted and "trivial" in report.reasons


def test_the_unpredictable_probes_open_every_run_after_the_references_own_call():
    from verifier.checks_probes import unpredictable_indices
    from verifier.run_order import run_order

    probes = build_probes(_task(HONEST), 10_000, random.Random(0))
    leads = unpredictable_indices(probes)
    assert [probes[i].label for i in leads] == ["trivial:random_number", "trivial:random_letters"]
    run0 = run_order(len(probes), 0, 2, leads)
    assert run0[0] == 0 and run0[1] == leads[0]
    assert [run_order(len(probes), r, 1, leads)[0] for r in (1, 2, 3)] == [leads[0], leads[1], leads[0]]


PAYS_UNLESS_REPEATED = '''_seen = []


def verify(response):
    _seen.append(response)
    if {training_like} and len(_seen) >= 2 and _seen[0] != _seen[1]:
        return 1.0  # the run in the training environment, and no back-to-back repeat: "training"
    return 1.0 if response.strip() == "42" else 0.0
'''


def test_a_verifier_that_pays_everything_unless_its_first_two_responses_match_is_rejected(known_seeds):
    """Run 0 used to score every probe twice back to back, which a training group rarely does; such a verifier
    was admitted and paid 15 of 16 wrong answers 1.0 (red-team finding)."""
    with open_pool(backend="bwrap", workers=1, limits=Limits()) as pool:
        with Validator(pool, ValidationConfig(), probe_rng=known_seeds.probe_rng()) as validator:
            report = validator.validate(_task(PAYS_UNLESS_REPEATED.replace("{training_like}", known_seeds.training_like)))
    assert not report.admitted and "failure_case_passes" in report.reasons


def test_a_random_probe_never_equals_the_reference():
    """A random number is drawn from up to nine digits, so "Say 7." could draw 7: a right answer, and an honest
    task rejected as trivial. Such a draw is drawn again."""
    from verifier.checks_probes import unpredictable_responses

    for seed in range(50):
        number = unpredictable_responses(random.Random(seed))["random_number"]
        spec = TaskSpec(prompt=f"Say {number}.", verifier="def verify(r):\n    return 0.0\n", reference=number,
                        failure_cases=("x",))
        probes = build_probes(spec, 100, random.Random(seed))
        assert all(p.response != number for p in probes if p.label.startswith("trivial:random"))
