"""The self-teacher gap: how much better the policy answers when it is shown the privileged context.

OPSD distils the policy-with-hindsight (the teacher) into the policy-without (the student). If the hindsight does not
make the policy answer better, there is nothing to distil: OPSD's gain is reported to follow this gap (Zhao et al.,
2601.18734). So before training, ``trainer.opsd`` samples the policy on the practice tasks twice, once on the
student prompt and once on the teacher prompt (composed by TRL's own SDFT code, so the pre-flight measures exactly
what the teacher will see), scores every response with the task's verifier in the sandbox, exactly as GRPO's
reward is scored (:func:`trainer.reward.reward_of`: a sandbox failure is left out, never a 0), and reports

    gap = 100 * (teacher pass rate - student pass rate)        in points; a warning below measure.warn_below

The same sampling and scoring, on the student prompts of the trained policy, gives the pass rates written back to
the bank after training (:func:`measure_into`). The sampler and the scoring pool are parameters: tests pass fakes, the
run passes :class:`ModelSampler` and the verifier pool.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from trainer.ledger import ScoreLedger
from trainer.opsd_data import ChatPrompt, Compose, OpsdRow
from trainer.reward import ScoringPool, reward_of



class Sampler(Protocol):
    """Samples responses from the policy."""

    def sample(self, prompts: Sequence[ChatPrompt], n: int) -> list[list[str]]:
        """``n`` responses to each chat prompt, in prompt order."""


class TaskGap(BaseModel):
    """One task's pass rates on both sides."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task_id: str
    """The practice task."""
    student_pass_rate: float = Field(ge=0.0, le=1.0)
    """Pass rate without the privileged context."""
    teacher_pass_rate: float = Field(ge=0.0, le=1.0)
    """Pass rate with it."""


class SelfTeacherGap(BaseModel):
    """The pre-flight measurement, as printed, written to ``self_teacher_gap.json`` and returned in the summary."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: str
    """The policy measured (before any training)."""
    template_hash: str
    """Content hash of the privileged-context template the teacher side saw."""
    samples: int = Field(ge=1)
    """Responses per task and side."""
    tasks: int = Field(ge=0)
    """Practice tasks measured."""
    scored: int = Field(ge=0)
    """Responses scored (both sides); a sandbox failure is left out of the rates, not counted as 0."""
    unscored: int = Field(ge=0)
    """Responses the sandbox could not score."""
    student_pass_rate: float = Field(ge=0.0, le=1.0)
    """Pass rate over every scored response without the privileged context."""
    teacher_pass_rate: float = Field(ge=0.0, le=1.0)
    """Pass rate over every scored response with it."""
    gap: float = Field(ge=-100.0, le=100.0)
    """Teacher minus student pass rate, in points (100 = always right with hindsight, never without)."""
    warn_below: float
    """Points under which the gap is too small to expect a gain."""
    per_task: tuple[TaskGap, ...]
    """Each task's two pass rates, in measurement order."""

    @property
    def too_small(self) -> bool:
        """True when the gap is under ``warn_below`` points."""
        return self.gap < self.warn_below

    def line(self) -> str:
        """One human line: both rates and the gap, with the warning when it is too small."""
        text = (f"self-teacher gap {self.gap:+.1f} points: pass rate {self.student_pass_rate:.2f} without the "
                f"privileged context, {self.teacher_pass_rate:.2f} with it ({self.tasks} tasks x {self.samples} "
                f"samples" + (f", {self.unscored} unscored" if self.unscored else "") + ")")
        if self.too_small:
            text += (f"; warning: under {self.warn_below:g} points, the hindsight barely helps the policy, so "
                     f"self-distillation has little to teach (richer feedback, or GRPO, may do more)")
        return text


def score(sampler: Sampler, pool: ScoringPool, prompts: Sequence[ChatPrompt], task_ids: Sequence[str],
          verifiers: Mapping[str, str], n: int) -> list[list[float | None]]:
    """``n`` sampled responses to each prompt, scored in one pool call by its task's verifier: rewards per prompt
    (None where the sandbox could not score)."""
    responses = sampler.sample(prompts, n)
    items = [(verifiers[task_id], text) for task_id, texts in zip(task_ids, responses, strict=True) for text in texts]
    rewards = [reward_of(result) for result in pool.score_batch(items)]
    return [rewards[i * n:(i + 1) * n] for i in range(len(prompts))]


def pass_rate(rewards: Sequence[float | None], threshold: float) -> float:
    """Share of scored rewards at or above ``threshold`` (0 when none was scored)."""
    scored = [r for r in rewards if r is not None]
    return sum(r >= threshold for r in scored) / len(scored) if scored else 0.0


def measure_gap(sampler: Sampler, pool: ScoringPool, compose: Compose, rows: Sequence[OpsdRow],
                verifiers: Mapping[str, str], *, policy: str, template_hash: str, samples: int, threshold: float,
                warn_below: float) -> SelfTeacherGap:
    """Sample and score every row on both sides; the gap between them."""
    students = [row.example()["prompt"] for row in rows]
    teachers = compose(students, [row.privileged_context for row in rows])
    task_ids = [row.task_id for row in rows]
    student = score(sampler, pool, students, task_ids, verifiers, samples)
    teacher = score(sampler, pool, teachers, task_ids, verifiers, samples)
    flat_s = [r for group in student for r in group]
    flat_t = [r for group in teacher for r in group]
    unscored = sum(r is None for r in flat_s + flat_t)
    student_rate, teacher_rate = pass_rate(flat_s, threshold), pass_rate(flat_t, threshold)
    return SelfTeacherGap(
        policy=policy, template_hash=template_hash, samples=samples, tasks=len(rows),
        scored=len(flat_s) + len(flat_t) - unscored, unscored=unscored, student_pass_rate=student_rate,
        teacher_pass_rate=teacher_rate, gap=round(100.0 * (teacher_rate - student_rate), 2), warn_below=warn_below,
        per_task=tuple(TaskGap(task_id=t, student_pass_rate=pass_rate(s, threshold),
                               teacher_pass_rate=pass_rate(c, threshold))
                       for t, s, c in zip(task_ids, student, teacher, strict=True)))


def measure_into(ledger: ScoreLedger, sampler: Sampler, pool: ScoringPool, rows: Sequence[OpsdRow],
                 verifiers: Mapping[str, str], samples: int) -> float | None:
    """Sample and score the student prompts of ``rows``, one ledger group per task (for the bank's statistics);
    the pass rate over every scored response, or None when the sandbox scored none."""
    groups = score(sampler, pool, [row.example()["prompt"] for row in rows], [row.task_id for row in rows],
                   verifiers, samples)
    for row, rewards in zip(rows, groups, strict=True):
        ledger.record_group(row.task_id, rewards)
    flat = [r for group in groups for r in group]
    return pass_rate(flat, ledger.pass_threshold) if any(r is not None for r in flat) else None


def prompt_tokens(tokenizer: Any, prompt: ChatPrompt) -> int:
    """Tokens of a chat prompt as the trainer feeds it (chat template with the generation prompt)."""
    return len(tokenizer.apply_chat_template(prompt, add_generation_prompt=True, tokenize=True,
                                             return_dict=True)["input_ids"])


class ModelSampler:
    """Samples from a causal LM (or a peft model) through its tokenizer's chat template, seeded."""

    def __init__(self, model: Any, tokenizer: Any, *, max_new_tokens: int, temperature: float, seed: int,
                 batch_size: int = 8) -> None:
        self._model = model
        self._tokenizer = tokenizer
        self._max_new_tokens = max_new_tokens
        self._temperature = temperature
        self._seed = seed
        self._batch_size = batch_size

    def sample(self, prompts: Sequence[ChatPrompt], n: int) -> list[list[str]]:
        """``n`` responses per prompt, decoded without special tokens; the model's train/eval mode is restored."""
        import torch

        torch.manual_seed(self._seed)
        was_training = self._model.training
        self._model.eval()
        try:
            out: list[list[str]] = []
            for start in range(0, len(prompts), self._batch_size):
                out.extend(self._batch(prompts[start:start + self._batch_size], n))
            return out
        finally:
            self._model.train(was_training)

    def _batch(self, prompts: Sequence[ChatPrompt], n: int) -> list[list[str]]:
        import torch

        tok = self._tokenizer
        tok.padding_side = "left"
        texts = [tok.apply_chat_template(p, add_generation_prompt=True, tokenize=False) for p in prompts]
        inputs = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(self._model.device)
        sampling = {"do_sample": True, "temperature": self._temperature} if self._temperature > 0 else \
            {"do_sample": False}
        with torch.no_grad():
            output = self._model.generate(**inputs, max_new_tokens=self._max_new_tokens, num_return_sequences=n,
                                          pad_token_id=tok.pad_token_id, **sampling)
        decoded = tok.batch_decode(output[:, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
        return [decoded[i * n:(i + 1) * n] for i in range(len(prompts))]
