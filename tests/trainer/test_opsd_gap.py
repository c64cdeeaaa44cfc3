"""The self-teacher gap: the policy's pass rate with the privileged context minus without, scored like GRPO's reward
(a sandbox failure is left out, never a 0), with a warning under the configured number of points."""

from __future__ import annotations

from collections.abc import Sequence

from task_bank import Message, Outcome, ScoreResult
from trainer.opsd_data import OpsdRow, RowOrigin
from trainer.ledger import ScoreLedger
from trainer.self_teacher import SelfTeacherGap, measure_gap, measure_into, pass_rate

CONTEXT = "A response that was checked and is correct: 42"


def row(task_id: str) -> OpsdRow:
    return OpsdRow(task_id=task_id, origin=RowOrigin.TASK, prompt=(Message(role="user", content="The answer?"),),
                   privileged_context=CONTEXT)


def compose(prompts, contexts):
    """The teacher prompt as TRL's default template builds it: the context after the last user turn."""
    return [[*p[:-1], {"role": "user", "content": f"{p[-1]['content']}\n\n{c}"}] for p, c in zip(prompts, contexts)]


class HindsightSampler:
    """Answers right only when it can read the answer in its prompt (and `right_without` times out of n otherwise)."""

    def __init__(self, right_without: int = 0) -> None:
        self.right_without = right_without
        self.prompts: list[list[dict[str, str]]] = []

    def sample(self, prompts: Sequence[list[dict[str, str]]], n: int) -> list[list[str]]:
        self.prompts.extend(prompts)
        return [["42"] * n if CONTEXT in p[-1]["content"] else
                ["42"] * self.right_without + ["7"] * (n - self.right_without) for p in prompts]


class ExactPool:
    """Scores 1.0 for the response '42', 0.0 otherwise; the sandbox fails on the response 'boom'."""

    def score_batch(self, items):
        return [ScoreResult(outcome=Outcome.ERROR, detail="sandbox died") if response == "boom" else
                ScoreResult(outcome=Outcome.SCORED, score=1.0 if response == "42" else 0.0) for _, response in items]


def gap(sampler, rows=(row("t_a"), row("t_b")), warn_below: float = 5.0, pool=None) -> SelfTeacherGap:
    return measure_gap(sampler, pool or ExactPool(), compose, list(rows), {"t_a": "v", "t_b": "v"}, policy="p",
                       template_hash="h", samples=4, threshold=1.0, warn_below=warn_below)


def test_the_gap_is_the_teacher_pass_rate_minus_the_student_pass_rate_in_points():
    measured = gap(HindsightSampler(right_without=1))
    assert (measured.student_pass_rate, measured.teacher_pass_rate, measured.gap) == (0.25, 1.0, 75.0)
    assert [t.teacher_pass_rate for t in measured.per_task] == [1.0, 1.0]


def test_only_the_teacher_side_is_shown_the_privileged_context():
    sampler = HindsightSampler()
    gap(sampler, rows=[row("t_a")])
    student, teacher = sampler.prompts
    assert CONTEXT not in student[-1]["content"] and CONTEXT in teacher[-1]["content"]


def test_a_gap_under_the_threshold_warns_and_says_why():
    measured = gap(HindsightSampler(right_without=4))
    assert measured.gap == 0.0 and measured.too_small
    assert "warning: under 5 points" in measured.line()


def test_a_large_gap_does_not_warn():
    measured = gap(HindsightSampler())
    assert not measured.too_small and "warning" not in measured.line()


def test_a_sandbox_failure_is_left_out_of_the_rates_not_scored_zero():
    class BoomSampler(HindsightSampler):
        def sample(self, prompts, n):
            return [["42"] * (n - 1) + ["boom"] if CONTEXT in p[-1]["content"] else ["7"] * n for p in prompts]

    measured = gap(BoomSampler(), rows=[row("t_a")])
    assert measured.teacher_pass_rate == 1.0 and measured.unscored == 1 and measured.scored == 7


def test_the_gap_is_a_typed_record_that_reads_back_from_its_json():
    measured = gap(HindsightSampler())
    assert measured.model_dump(mode="json")["gap"] == 100.0
    assert SelfTeacherGap.model_validate_json(measured.model_dump_json()) == measured


def test_pass_rate_counts_scored_rewards_at_or_above_the_threshold():
    assert pass_rate([1.0, 0.5, None, 0.0], threshold=0.5) == 2 / 3
    assert pass_rate([None], threshold=1.0) == 0.0


def test_the_after_training_measurement_tallies_each_task_for_the_bank():
    ledger = ScoreLedger(pass_threshold=1.0)
    rate = measure_into(ledger, HindsightSampler(right_without=1), ExactPool(), [row("t_a"), row("t_b")],
                        {"t_a": "v", "t_b": "v"}, samples=4)
    tallies = ledger.drain()
    assert rate == 0.25 and set(tallies) == {"t_a", "t_b"}
    assert (tallies["t_a"].attempts, tallies["t_a"].passes) == (4, 1)


def test_an_after_training_measurement_the_sandbox_could_not_score_has_no_rate():
    class BoomOnly(HindsightSampler):
        def sample(self, prompts, n):
            return [["boom"] * n for _ in prompts]

    ledger = ScoreLedger(pass_threshold=1.0)
    assert measure_into(ledger, BoomOnly(), ExactPool(), [row("t_a")], {"t_a": "v"}, samples=2) is None
    assert ledger.drain()["t_a"].unscored == 2
