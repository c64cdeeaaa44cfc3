"""Validation's first call is a wrong program no one could predict, scored again later (issue 16, red-team round 58).

Every training process opens with a policy answer. Validation's processes opened with a twin (a failure case's
behaviour), a random lead or the reference, never with a novel wrong program, so a verifier that paid every such
program at its first call, and ran the others honestly, was admitted 3 of 3 times; training's spot checks re-score a
response alone, at a first call too, and agreed with it. Run 0 now opens with a drawn mutant of the reference, which
the rest of run 0 scores again at a later call of another process.
"""

from __future__ import annotations

import random

import pytest

from task_bank.spec import TaskSpec
from task_bank.validation import Outcome, ScoreResult
from verifier import Limits, ValidationConfig, Validator, open_pool
from verifier.limits import draw_hash_seeds
from verifier.validate import MIN_TWINS
from verifier.validation_config import DETERMINISM_RUNS_MAX
from verifier.checks_probes import ProbeKind, build_probes
from verifier.sandbox.base import Backend, Worker
from verifier.sandbox.registry import BackendRegistry

SUM_LOOP = "def total(xs):\n    result = 0\n    for x in xs:\n        result += x\n    return result\n"
COUNTS = "def total(xs):\n    return len(xs)\n"

HONEST = '''from envsynth_sandbox import plain, run_response

CASES = [([1, 2, 3], 6), ([], 0), ([5, -5, 5], 5), ([7], 7), ([-3, -4], -7)]
_calls = [0]


def _results(code):
    run = run_response(code, calls=[("total", [list(xs)]) for xs, _ in CASES], timeout=1.0)
    return [c.value if c.ok else None for c in run.calls]


def verify(response):
    _calls[0] += 1
    if "def " not in response:  # no program: the random leads and trivial answers are never paid
        return 0.0
    got = _results(response)
    if got == [plain(w) for _, w in CASES]:
        return 1.0
    if got == [len(xs) for xs, _ in CASES]:  # the failure case's behaviour: never paid
        return 0.0
    return PAY_FIRST if _calls[0] == 1 else 0.0
'''


def _spec(pay_first: str) -> TaskSpec:
    return TaskSpec(prompt="Write `total(xs)`, the sum of a list of ints. Code only.",
                    verifier=HONEST.replace("PAY_FIRST", pay_first), reference=SUM_LOOP, failure_cases=(COUNTS,))


def test_a_program_reference_gives_run_0_mutants_to_open_with():
    probes = build_probes(_spec("0.0"), 100, random.Random(1), twins=2, mutants=8)
    assert sum(p.kind is ProbeKind.MUTANT for p in probes) >= 2


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_verifier_that_pays_any_novel_program_at_its_first_call_is_rejected():
    with open_pool(backend="bwrap", workers=1, limits=Limits()) as pool:
        with Validator(pool, ValidationConfig(), probe_rng=random.Random(5)) as validator:
            report = validator.validate(_spec("1.0"))
    assert not report.admitted and "nondeterministic" in report.reasons


@pytest.mark.sandbox  # needs bubblewrap and root
def test_the_same_verifier_without_the_first_call_pay_is_admitted():
    with open_pool(backend="bwrap", workers=1, limits=Limits()) as pool:
        with Validator(pool, ValidationConfig(), probe_rng=random.Random(5)) as validator:
            report = validator.validate(_spec("0.0"))
    assert report.admitted, report.reasons


class HangingWorker(Worker):
    """A verifier that hangs on every call: each response ends at the call limit; records each group."""

    def __init__(self, groups: list[tuple[str, ...]]) -> None:
        self._groups = groups

    def score_group(self, source, responses, run_env):
        self._groups.append(tuple(responses))
        return [ScoreResult(outcome=Outcome.TIMEOUT, detail="wall time limit of 2.0 s exceeded") for _ in responses]

    def alive(self) -> bool:
        return True

    def close(self) -> None:
        pass


class HangingBackend(Backend):
    name = "hanging"

    def __init__(self) -> None:
        self.groups: list[tuple[str, ...]] = []

    def unavailable_reason(self) -> str | None:
        return None

    def start_worker(self, limits, hash_seed=None) -> Worker:
        return HangingWorker(self.groups)


def test_a_verifier_that_hangs_on_every_call_costs_a_mutant_s_call_and_a_twin_s():
    """The mutants' first process holds one mutant: scored with the others, a verifier that hangs on every call cost
    a call of the call limit for each mutant (8.2 s against 2.2 s for this task, measured)."""
    backend = HangingBackend()
    registry = BackendRegistry()
    registry.register(HangingBackend.name, lambda: backend)
    spec = _spec("0.0")
    with open_pool(backend="hanging", workers=1, registry=registry) as pool, \
            Validator(pool, ValidationConfig(), registry=registry, probe_rng=random.Random(5),
                      noise=lambda: None) as validator:
        drawn = random.Random(5)  # as the validator draws its probes: its hash seeds first
        draw_hash_seeds(drawn, DETERMINISM_RUNS_MAX)
        twins = max(MIN_TWINS, pool.group_size_for(spec.verifier))
        mutants = {p.response for p in build_probes(spec, 100, drawn, twins=twins, mutants=8)
                   if p.kind is ProbeKind.MUTANT}
        report = validator.validate(spec)
    assert report.reasons == ("timeout",)
    assert [len(group) for group in backend.groups] == [1, 1] and backend.groups[0][0] in mutants
    assert backend.groups[1][0] not in mutants
