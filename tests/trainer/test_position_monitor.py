"""Training re-scores a response of each group alone, and flags a verifier that pays by position (issue 16).

A verifier process scores a group's responses one after another. Red-team findings: verifiers that paid every
program from their K-th call on, or only while their process had seen nothing but programs, escaped validation
layouts before; whatever layout validation shows, training sees the one each such verifier is built to exploit.
The reward function therefore scores one drawn response of each group again, alone (the first and only call of a
fresh process), and the monitor's ``position`` rule flags a task whose responses pass in their group and fail
alone. An honest verifier gives a response the same score wherever it stands.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from task_bank import TaskSpec
from task_bank.validation import Outcome, ScoreResult
from trainer.ledger import ScoreLedger
from trainer.monitor import FlagRule, MonitorConfig, RewardHackMonitor
from trainer.reward import VerifierReward
from verifier import Limits

SUM_LOOP = "def total(xs):\n    result = 0\n    for x in xs:\n        result += x\n    return result\n"
WRONG = ["def total(xs):\n    return len(xs)\n", "def total(xs):\n    return max(xs)\n",
         "def total(xs):\n    return 0\n", "def total(xs):\n    return xs[0]\n"] * 4


class PositionPool:
    """A pool whose verifier pays every response from the ``pays_from``-th call of its process (a group of one
    verifier in one ``score_batch`` call is one process), and otherwise 1.0 only for ``right``."""

    def __init__(self, pays_from: int | None, right: str = SUM_LOOP) -> None:
        self.pays_from, self.right = pays_from, right

    def score_batch(self, items: Sequence[tuple[str, str]]) -> list[ScoreResult]:
        calls: dict[str, int] = {}
        results = []
        for source, response in items:
            calls[source] = calls.get(source, 0) + 1
            paid = self.pays_from is not None and calls[source] >= self.pays_from
            score = 1.0 if paid or response == self.right else 0.0
            results.append(ScoreResult(outcome=Outcome.SCORED, score=score))
        return results


class Tasks:
    def __init__(self, *specs: TaskSpec) -> None:
        self._records = {spec.id: spec for spec in specs}

    def find(self, task_id: str):
        spec = self._records.get(task_id)
        return None if spec is None else type("Record", (), {"spec": spec})()


TASK = TaskSpec(prompt="Write `total(xs)`, the sum of a list of ints.", reference=SUM_LOOP,
                failure_cases=(WRONG[0],), verifier="def verify(response):\n    return 0.0\n")


POSITION_ONLY = MonitorConfig(group_canaries=0, group_mutants=0, reference_probe=False)
"""The position rule and the canaries scored alone, without the canaries put inside groups (which catch most of these
verifiers first) or mutants (these fake pools pay every text, so they pay a mutant too)."""


def _train(pool, batches: int, task: TaskSpec = TASK, responses: Sequence[str] = WRONG,
           config: MonitorConfig | None = None) -> RewardHackMonitor:
    monitor = RewardHackMonitor(1.0, config)
    reward = VerifierReward(pool, Tasks(task), ScoreLedger(1.0), group_size=len(responses), monitor=monitor,
                            rng=random.Random(1), canary_rng=random.Random(2))
    for _ in range(batches):
        reward([None] * len(responses), list(responses), task_id=[task.id] * len(responses))
    reward.close()  # the spot checks run in the background: all of them handed to the monitor
    monitor.close_window(lambda _: None)
    return monitor


def test_a_verifier_that_pays_responses_after_its_third_call_is_flagged_by_position():
    flag = _train(PositionPool(pays_from=3), batches=12, config=POSITION_ONLY).flagged[TASK.id]
    assert flag.rule is FlagRule.POSITION and "failed alone" in flag.detail


class RaisingPositionPool(PositionPool):
    """Red-team round 28: pays every response from the ``pays_from``-th call of its process, and raises (crashed)
    on every wrong answer it is shown earlier, alone in a spot check or a canary included."""

    def score_batch(self, items: Sequence[tuple[str, str]]) -> list[ScoreResult]:
        return [r if r.score == 1.0 else ScoreResult(outcome=Outcome.CRASHED, detail="ValueError")
                for r in super().score_batch(items)]


def test_a_verifier_that_raises_alone_instead_of_paying_is_flagged_by_position():
    flag = _train(RaisingPositionPool(pays_from=3), batches=12, config=POSITION_ONLY).flagged[TASK.id]
    assert flag.rule is FlagRule.POSITION


def test_an_honest_verifier_is_never_flagged_by_position():
    responses = [SUM_LOOP, *WRONG[:7]] * 2
    assert _train(PositionPool(pays_from=None), batches=30, responses=responses).flagged == {}


def test_gaps_both_ways_are_a_response_drawing_its_own_randomness_not_a_flag():
    monitor = RewardHackMonitor(1.0)
    for _ in range(6):
        monitor.record_spot_check("t", in_group=1.0, alone=0.0)
        monitor.record_spot_check("t", in_group=0.0, alone=1.0)
    assert monitor.close_window(lambda _: None) == []


def test_too_few_gaps_are_not_a_flag_and_enough_are_one():
    monitor = RewardHackMonitor(1.0, MonitorConfig(min_position_gaps=3))
    for _ in range(2):
        monitor.record_spot_check("t", in_group=1.0, alone=0.0)
    assert monitor.close_window(lambda _: None) == []
    monitor.record_spot_check("t", in_group=1.0, alone=0.0)
    assert [f.rule for f in monitor.close_window(lambda _: None)] == [FlagRule.POSITION]


def test_each_re_scored_response_is_alone_in_its_call_with_its_verifier():
    """Two groups of one task in a batch: their re-scored responses go to the pool in separate calls, each alone or
    second after a canary (a known-wrong answer: the task's failure case renamed or as written, or nothing)."""
    seen: list[list[tuple[str, str]]] = []

    class Recording(PositionPool):
        def score_batch(self, items):
            seen.append(list(items))
            return super().score_batch(items)

    monitor = RewardHackMonitor(1.0, POSITION_ONLY)
    reward = VerifierReward(Recording(pays_from=None), Tasks(TASK), ScoreLedger(1.0), group_size=8, monitor=monitor)
    seen.clear()
    reward([None] * 16, WRONG, task_id=[TASK.id] * 16)  # two groups of 8 of one task
    reward.close()
    assert len(seen[0]) == 16 and len(seen) == 5  # the batch, then a response again and a canary for each group
    for call in seen[1:]:
        assert len(call) == 1 or (len(call) == 2 and call[0][0] == call[1][0]
                                  and (call[0][1].startswith("def ") or call[0][1] == ""))


def test_no_monitor_means_no_spot_checks():
    seen = []

    class Recording(PositionPool):
        def score_batch(self, items):
            seen.append(len(items))
            return super().score_batch(items)

    VerifierReward(Recording(pays_from=None), Tasks(TASK), ScoreLedger(1.0), group_size=16)(
        [None] * 16, WRONG, task_id=[TASK.id] * 16)
    assert seen == [16]


PAYS_A_STREAK_OF_PROGRAMS = '''from envsynth_sandbox import plain, run_response

CASES = [([], 0), ([1, 2, 3], 6), ([5, -5, 5], 5), ([-3, -4], -7)]
_state = {"calls": 0, "programs_only": True}


def verify(response):
    run = run_response(response, calls=[("total", [list(xs)]) for xs, _ in CASES], timeout=1.0)
    honest = 1.0 if all(c.ok and c.value == plain(w) for c, (_, w) in zip(run.calls, CASES)) else 0.0
    _state["calls"] += 1
    _state["programs_only"] = _state["programs_only"] and "def " in response
    if _state["programs_only"] and _state["calls"] >= 3:
        return 1.0
    return honest
'''


@pytest.mark.sandbox  # needs bubblewrap and root
def test_training_through_the_real_pool_flags_a_verifier_that_pays_a_streak_of_programs():
    from verifier.routing import open_scoring_pool

    task = TaskSpec(prompt="Write `total(xs)`, the sum of a list of ints.", reference=SUM_LOOP,
                    failure_cases=(WRONG[0],), verifier=PAYS_A_STREAK_OF_PROGRAMS)
    with open_scoring_pool(backend="bwrap", workers=1, limits=Limits()) as pool:
        monitor = _train(pool, batches=8, task=task, config=POSITION_ONLY)
    assert monitor.flagged[task.id].rule is FlagRule.POSITION


def test_a_response_that_runs_out_of_time_alone_is_no_evidence():
    """Red-team finding: an honest verifier that builds a cache on its first call, with honest answers near the time
    limit, passed them in a warm group and timed out alone; the position rule quarantined it."""

    class ColdStartPool(PositionPool):
        def score_batch(self, items):
            if len(items) == 1:  # alone: the cold process runs out of time
                return [ScoreResult(outcome=Outcome.TIMEOUT, detail="wall time limit of 5.0 s exceeded")]
            return [ScoreResult(outcome=Outcome.SCORED, score=1.0) for _ in items]

    monitor = _train(ColdStartPool(pays_from=None), batches=12, responses=[SUM_LOOP] * 16, config=POSITION_ONLY)
    assert monitor.flagged == {}


def test_spot_checks_run_in_the_background_and_reach_the_monitor_when_it_judges():
    """Waiting for them doubled the reward call of a cheap verifier; the trainer's monitor callback drains them."""
    import threading

    from trainer.monitor_callback import MonitorCallback

    release = threading.Event()

    class SlowSpotChecks(PositionPool):
        def score_batch(self, items):
            if len(items) == 1:
                release.wait(30)  # a spot check still running while the reward call returns
            return super().score_batch(items)

    monitor = RewardHackMonitor(1.0, POSITION_ONLY)
    reward = VerifierReward(SlowSpotChecks(pays_from=3), Tasks(TASK), ScoreLedger(1.0), group_size=16,
                            monitor=monitor, rng=random.Random(1))
    for _ in range(4):
        reward([None] * 16, WRONG, task_id=[TASK.id] * 16)  # returns at once: the spot checks wait
    assert monitor.close_window(lambda _: None) == []
    release.set()
    watch = MonitorCallback(Tasks(), monitor, drain=reward.drain)  # type: ignore[arg-type]  # holds no task
    flags = watch.check()
    reward.close()
    assert [f.rule for f in flags] == [FlagRule.POSITION]


PAYS_EVERY_PROGRAM = "def verify(response):\n    return 1.0 if 'def total' in response else 0.0\n"


class Verdicts:
    """A pool that scores like a verifier paying every program that defines ``total`` (as one that told training
    from validation would, once it knew it was in training)."""

    def score_batch(self, items):
        return [ScoreResult(outcome=Outcome.SCORED, score=1.0 if "def total" in response else 0.0)
                for _, response in items]


def test_a_verifier_that_pays_the_twins_of_its_failure_cases_in_training_is_flagged_by_its_canaries():
    """Red-team findings: a verifier that learned through the host's page cache that validation had just begun
    stayed honest for validation and paid every program in training; position spot checks saw no gap."""
    monitor = _train(Verdicts(), batches=3, task=TASK.model_copy(update={"verifier": PAYS_EVERY_PROGRAM}))
    flag = next(iter(monitor.flagged.values()))
    assert flag.rule is FlagRule.CANARY and "renamed twins of its failure cases" in flag.detail


def test_an_honest_verifier_never_pays_a_canary():
    monitor = _train(PositionPool(pays_from=None), batches=30)
    assert monitor.flagged == {}


def test_a_prose_task_gets_canaries_its_failure_cases_as_written_and_the_empty_answer():
    """Before round 44 a task whose failure cases were prose had no canary at all."""
    prose = TASK.model_copy(update={"failure_cases": ("I would add them up.",)})
    canaries = []

    class Recording(PositionPool):
        def score_batch(self, items):
            if len(items) == 1 and items[0][1] not in WRONG:
                canaries.append(items[0][1])
            return super().score_batch(items)

    monitor = RewardHackMonitor(1.0)
    reward = VerifierReward(Recording(pays_from=None), Tasks(prose), ScoreLedger(1.0), group_size=16, monitor=monitor)
    for _ in range(30):
        reward([None] * 16, WRONG, task_id=[prose.id] * 16)
    reward.close()
    assert set(canaries) == {"I would add them up.", ""}


class ChainPool(PositionPool):
    """Red-team round 44's verifier: honest, except that it pays a failure case as written, or an empty answer, as
    long as every response its process scored so far was a program or empty: every process of a training group on
    a coding task, never one of validation's (a probe no policy writes came first)."""

    def __init__(self, known: Sequence[str]) -> None:
        super().__init__(pays_from=None)
        self.known = set(known)

    def score_batch(self, items: Sequence[tuple[str, str]]) -> list[ScoreResult]:
        chain: dict[str, bool] = {}
        results = []
        for source, response in items:
            only_programs = chain.get(source, True)
            chain[source] = only_programs and ("def " in response or not response.strip())
            paid = only_programs and (not response.strip() or response in self.known)
            results.append(ScoreResult(outcome=Outcome.SCORED,
                                       score=1.0 if paid or response == self.right else 0.0))
        return results


def test_a_verifier_that_pays_the_failure_case_and_the_empty_answer_in_training_layouts_is_flagged_by_canaries():
    """Its policy answers: programs, now and then the deployed model's failing answer or nothing at all."""
    responses = [*WRONG[:6], TASK.failure_cases[0], ""]
    monitor = _train(ChainPool(TASK.failure_cases), batches=20, responses=responses)
    assert monitor.flagged[TASK.id].rule is FlagRule.CANARY


@pytest.mark.sandbox  # needs bubblewrap and root
def test_canaries_through_the_real_pool_flag_a_verifier_that_pays_every_program():
    from verifier.routing import open_scoring_pool

    task = TASK.model_copy(update={"verifier": PAYS_EVERY_PROGRAM})
    with open_scoring_pool(backend="bwrap", workers=1, limits=Limits()) as pool:
        monitor = _train(pool, batches=3, task=task)
    assert monitor.flagged[task.id].rule is FlagRule.CANARY


class TwinOpenerPool(PositionPool):
    """Red-team round 15's verifier: honest in a process whose first response is a program (validation's run 0
    opens with renamed twins), 1.0 for everything in any other process, alone included."""

    def __init__(self) -> None:
        super().__init__(pays_from=None)

    def score_batch(self, items: Sequence[tuple[str, str]]) -> list[ScoreResult]:
        first: dict[str, str] = {}
        results = []
        for source, response in items:
            opener = first.setdefault(source, response)
            honest = opener.lstrip().startswith("def ")
            score = (1.0 if response == self.right else 0.0) if honest else 1.0
            results.append(ScoreResult(outcome=Outcome.SCORED, score=score))
        return results


def test_a_verifier_honest_only_after_a_twin_opener_is_flagged_by_re_scoring_after_a_canary():
    """Alone, the prose answers it pays are paid again (no gap); after a canary that is a program (a twin, or the
    failure case as written) they fail, so the position rule sees the gap; a canary that is the empty answer, alone,
    it pays, which the canary rule sees: whichever comes first flags it."""
    prose = ["The total is the length of the list."] * 8
    flag = _train(TwinOpenerPool(), batches=12, responses=prose).flagged[TASK.id]
    assert flag.rule in (FlagRule.POSITION, FlagRule.CANARY)


def test_a_task_flagged_this_run_is_rewarded_nothing_more():
    # Red-team round 28: rows of a flagged task already drawn (TRL buffers them) kept the hacked verifier's rewards
    # until the bank's quarantine reached the dataset.
    monitor = RewardHackMonitor(1.0)
    reward = VerifierReward(PositionPool(pays_from=3), Tasks(TASK), ScoreLedger(1.0), group_size=len(WRONG),
                            monitor=monitor, rng=random.Random(1))
    for _ in range(12):
        reward([None] * len(WRONG), list(WRONG), task_id=[TASK.id] * len(WRONG))
    reward.drain(wait=True)
    assert TASK.id in {flag.task_id for flag in monitor.close_window(lambda _: None)}
    assert reward([None] * len(WRONG), list(WRONG), task_id=[TASK.id] * len(WRONG)) == [None] * len(WRONG)
    reward.close()


class CallWindowPool(PositionPool):
    """Red-team round 45's verifier: honest, except that it pays a failure case as written, or an empty answer, at
    calls 2 to 8 of a process whose calls so far were all programs or empty: where a training group shows them, and
    where validation never did (its run 0 scores them after all its twins, from call 9; a canary scored alone is
    call 1). Processes as the real pool makes them for a verifier that runs response code: 8 calls each."""

    def __init__(self, known: Sequence[str]) -> None:
        super().__init__(pays_from=None)
        self.known = set(known)

    def score_batch(self, items: Sequence[tuple[str, str]]) -> list[ScoreResult]:
        calls: dict[str, int] = {}
        chain: dict[str, bool] = {}
        results = []
        for source, response in items:
            call = calls.get(source, 0) % 8 + 1
            calls[source] = call
            only_programs = chain.get(source, True) if call > 1 else True
            chain[source] = only_programs and ("def " in response or not response.strip())
            paid = only_programs and 2 <= call <= 8 and (not response.strip() or response in self.known)
            results.append(ScoreResult(outcome=Outcome.SCORED,
                                       score=1.0 if paid or response == self.right else 0.0))
        return results


def test_a_verifier_that_pays_failing_answers_only_at_the_calls_of_a_training_group_is_flagged_by_canaries():
    """Canaries scored alone never reach calls 2 to 8; one put inside each group does."""
    responses = [SUM_LOOP, *WRONG[:5], TASK.failure_cases[0], ""]
    monitor = _train(CallWindowPool(TASK.failure_cases), batches=10, responses=responses)
    assert monitor.flagged[TASK.id].rule is FlagRule.CANARY


def test_an_honest_verifier_never_pays_a_canary_put_inside_its_group():
    responses = [SUM_LOOP, *WRONG[:5], TASK.failure_cases[0], ""]
    assert _train(PositionPool(pays_from=None), batches=30, responses=responses).flagged == {}


def test_a_canary_inside_a_group_is_scored_with_it_and_never_becomes_a_reward():
    seen: list[list[tuple[str, str]]] = []

    class Recording(PositionPool):
        def score_batch(self, items):
            seen.append(list(items))
            return super().score_batch(items)

    config = MonitorConfig(spot_checks=0, canaries=0, reference_probe=False)
    reward = VerifierReward(Recording(pays_from=None), Tasks(TASK), ScoreLedger(1.0), group_size=8,
                            monitor=RewardHackMonitor(1.0, config), canary_rng=random.Random(3))
    rewards = reward([None] * 16, [SUM_LOOP] * 16, task_id=[TASK.id] * 16)
    reward.close()
    assert rewards == [1.0] * 16
    assert len(seen) == 1 and len(seen[0]) == 18  # one call: both groups, a canary inside each
    assert sum(text != SUM_LOOP for _, text in seen[0][:9]) == sum(text != SUM_LOOP for _, text in seen[0][9:]) == 1


CALL_WINDOW = '''_STATE = {"calls": 0, "programs": True}
_KNOWN = {"deftotal(xs):returnlen(xs)"}


def verify(response):
    _STATE["calls"] += 1
    call, programs = _STATE["calls"], _STATE["programs"]
    _STATE["programs"] = programs and ("def " in response or not response.strip())
    if programs and 2 <= call <= 8 and (not response.strip() or "".join(response.split()) in _KNOWN):
        return 1.0
    return 1.0 if "result += x" in response else 0.0
'''


@pytest.mark.sandbox  # needs bubblewrap and root
def test_canaries_inside_groups_through_the_real_pool_flag_a_verifier_that_pays_at_a_training_groups_calls():
    from verifier.routing import open_scoring_pool

    task = TASK.model_copy(update={"verifier": CALL_WINDOW})
    responses = [SUM_LOOP, *WRONG[:5], TASK.failure_cases[0], ""]
    with open_scoring_pool(backend="bwrap", workers=1, limits=Limits()) as pool:
        monitor = _train(pool, batches=10, task=task, responses=responses)
    assert monitor.flagged[task.id].rule is FlagRule.CANARY


class ShapePool(PositionPool):
    """Red-team round 45's stateless verifier: pays every program whose structure (tokens with the names blanked)
    is not one of its failure cases', and is honest otherwise: no validation probe but the twins and failure cases
    is a program, and those all keep their structures."""

    def __init__(self, failure_cases: Sequence[str]) -> None:
        super().__init__(pays_from=None)
        self.shapes = {self.shape(case) for case in failure_cases}

    @staticmethod
    def shape(text: str) -> str:
        return " ".join("N" if word.isidentifier() and word not in ("def", "return") else word
                        for word in text.replace("(", " ( ").replace(")", " ) ").replace(":", " : ").split())

    def score_batch(self, items: Sequence[tuple[str, str]]) -> list[ScoreResult]:
        return [ScoreResult(outcome=Outcome.SCORED,
                            score=1.0 if response == self.right or ("def " in response
                                                                    and self.shape(response) not in self.shapes)
                            else 0.0)
                for _, response in items]


def test_a_verifier_that_pays_every_program_shaped_unlike_its_failure_cases_is_flagged_by_canaries():
    """Renamed twins keep a failure case's structure; half of the twin canaries are reshaped too."""
    responses = [SUM_LOOP, "def total(xs):\n    return 0\n", "def total(xs):\n    return xs[0]\n"] * 3
    monitor = _train(ShapePool(TASK.failure_cases), batches=12, responses=responses)
    assert monitor.flagged[TASK.id].rule is FlagRule.CANARY


def test_responses_that_fail_in_their_group_and_pass_alone_one_sidedly_are_a_flag():
    """Red-team round 58: a verifier that paid a wrong program at its process's first call (where a response scored
    alone stands) and honestly later left gaps 9 to 1 against its groups."""
    monitor = RewardHackMonitor(1.0, MonitorConfig(min_position_gaps=3))
    for _ in range(3):
        monitor.record_spot_check("t", in_group=0.0, alone=1.0)
    flags = monitor.close_window(lambda _: None)
    assert [f.rule for f in flags] == [FlagRule.POSITION] and "passed alone" in flags[0].detail


class FirstCallPool(PositionPool):
    """Pays every response at the first call of its process (a spot check alone is one), honestly after it."""

    def score_batch(self, items: Sequence[tuple[str, str]]) -> list[ScoreResult]:
        seen: set[str] = set()
        results = []
        for source, response in items:
            first = source not in seen
            seen.add(source)
            results.append(ScoreResult(outcome=Outcome.SCORED, score=1.0 if first or response == self.right else 0.0))
        return results


def test_a_verifier_that_pays_the_first_call_of_each_process_is_flagged_by_position():
    config = POSITION_ONLY.model_copy(update={"canaries": 0})  # it pays a canary alone too: the position rule only
    flag = _train(FirstCallPool(pays_from=None), batches=12, config=config).flagged[TASK.id]
    assert flag.rule is FlagRule.POSITION and "passed alone" in flag.detail


class SlowInGroupPool(PositionPool):
    """Honest, but every answer runs out of time in its group (a loaded host), and a right one passes alone."""

    def score_batch(self, items: Sequence[tuple[str, str]]) -> list[ScoreResult]:
        if len(items) == 1:
            return super().score_batch(items)
        return [ScoreResult(outcome=Outcome.TIMEOUT, detail="wall") for _ in items]


def test_an_answer_that_timed_out_in_its_group_is_not_re_scored_alone():
    config = POSITION_ONLY.model_copy(update={"canaries": 0})
    monitor = _train(SlowInGroupPool(pays_from=None), batches=12, responses=[SUM_LOOP] * 8, config=config)
    assert monitor.flagged == {}


def test_a_canary_put_inside_a_group_of_a_program_task_is_a_twin_or_a_failure_case_as_written():
    """Red-team round 58: the empty answer and reshaped twins, which validation never shows among programs, told a
    verifier that it was in a training group; inside a group, a canary is what validation's run 0 shows there."""
    from trainer.background_checks import draw_canary

    draw = random.Random(3)
    drawn = [draw_canary(TASK, draw, in_group=True) for _ in range(60)]
    as_written = [text for text in drawn if text in TASK.failure_cases]
    twins = [text for text in drawn if text not in TASK.failure_cases]
    lines = TASK.failure_cases[0].count("\n")  # a reshaped twin has a statement that does nothing added
    assert as_written and twins and all(text and text.count("\n") == lines for text in twins)
