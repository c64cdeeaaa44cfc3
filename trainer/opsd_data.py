"""OPSD's rows: a student prompt from the bank, and the privileged context only the teacher side sees.

On-policy self-distillation needs no reward: the policy samples an answer to the student prompt, and the same model,
shown what the bank learned in hindsight, scores each of those tokens as the teacher. A row is therefore

    prompt              what the policy saw: a practice task's prompt, or the failing conversation itself
    privileged_context  prompts/privileged.j2 filled with what the bank knows: each source failure's answer, why it
                        was wrong (the feedback or the user's correction) and the expected answer, and the practice
                        task's verified reference (the one response validation proved scores 1.0)

Tasks come from :func:`trainer.dataset.practice_tasks`, the same query GRPO samples, so whatever is kept out of
training (held-out replay tasks) is kept out here too. A failing conversation is used only when no task outside the
practice set (a held-out replay task, or one a reviewer set aside) has it as its prompt: training on the replay
task's own prompt, with its answer in the context, would grade the policy on what it was shown.

TRL's SDFTTrainer takes a ``datasets.Dataset`` only (no IterableDataset), so the rows are a snapshot of the bank
taken when the run starts; tasks admitted later join the next run. It composes the teacher prompt from the last
user turn, and supports no tools: a prompt that ends with another turn, or holds a tool turn, is refused with an
error naming the task.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import jinja2
from datasets import Dataset
from pydantic import BaseModel, ConfigDict

from task_bank import BankError, ConfigError, FailureRecord, InputError, Message, NotFoundError, TaskRecord, TaskSpec
from task_bank.store import Bank
from trainer.dataset import practice_tasks
from trainer.opsd_config import DataSection, PromptSource

ChatPrompt = list[dict[str, str]]
Compose = Callable[[list[ChatPrompt], list[str]], list[ChatPrompt]]
"""Student prompts and privileged contexts -> teacher prompts (TRL's ``select_generation_prompts``)."""

TEMPLATE_NAME = "privileged.j2"
"""The shipped privileged-context template, in the ``prompts`` package's data (found by any install)."""


class RowOrigin(str, Enum):
    """What a row's student prompt is."""

    TASK = "task"
    """A practice task's prompt."""
    FAILURE = "failure"
    """The conversation of a failure a practice task was drafted from."""


class OpsdRow(BaseModel):
    """One training example of self-distillation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task_id: str
    """The practice task behind the row: its reference is in the context, its verifier scores the measurements."""
    origin: RowOrigin
    """Whether the prompt is the task's or its failure's conversation."""
    failure_id: str | None = None
    """For a failure row: the failure whose conversation is the prompt."""
    prompt: tuple[Message, ...]
    """The student prompt, a chat that ends with a user turn."""
    privileged_context: str
    """The hindsight only the teacher side sees."""

    def example(self) -> dict[str, object]:
        """The row as TRL's SDFTTrainer reads it (``prompt``, ``privileged_context``; ``task_id`` rides along)."""
        return {"prompt": [m.model_dump() for m in self.prompt], "privileged_context": self.privileged_context,
                "task_id": self.task_id}


class PrivilegedTemplate:
    """The privileged-context template: rendered with StrictUndefined (a missing variable is an error), hashed so
    that a run records which version of the hindsight its teacher saw."""

    def __init__(self, path: Path | None = None) -> None:
        self.path: Path | Traversable = Path(path) if path is not None else files("prompts") / TEMPLATE_NAME
        if not self.path.is_file():
            raise ConfigError("privileged-context template not found; pass an existing .j2 file",
                              path=str(self.path), field="data.template")
        source = self.path.read_text(encoding="utf-8")
        self.hash = hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]
        """First 16 hex digits of the sha256 of the template file."""
        env = jinja2.Environment(undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                                 autoescape=False)
        try:
            self._template = env.from_string(source)
        except jinja2.TemplateError as exc:
            raise ConfigError(f"cannot parse the template: {exc}", path=str(self.path), field="data.template") from None

    def render(self, task: TaskSpec, failures: Sequence[FailureRecord], own_failure: bool) -> str:
        """The privileged context for ``task``; ``own_failure`` when the prompt is the (single) failure's own
        conversation, so its answer is the student's own earlier answer."""
        try:
            return self._template.render(task=task, failures=list(failures), own_failure=own_failure).strip()
        except jinja2.TemplateError as exc:
            raise ConfigError(f"cannot render the template: {exc}", path=str(self.path),
                              field="data.template") from None


def check_prompt(prompt: Sequence[Message], task_id: str) -> None:
    """Refuse a prompt SDFTTrainer cannot distil from: a tool turn anywhere, or a last turn that is not the user's."""
    if any(m.role == "tool" for m in prompt):
        raise InputError(f"task {task_id}: its prompt holds a tool turn, and self-distillation (TRL's SDFTTrainer) "
                         f"supports no tools; train it with trainer.grpo or set it aside", field="prompt")
    if prompt[-1].role != "user":
        raise InputError(f"task {task_id}: its chat prompt ends with a '{prompt[-1].role}' turn, but "
                         f"self-distillation needs one that ends with a user turn (the teacher's hindsight is added "
                         f"to it); train it with trainer.grpo or set it aside", field="prompt")


def chat(spec: TaskSpec) -> tuple[Message, ...]:
    """A task's prompt as chat turns (a plain prompt is one user turn)."""
    return (Message(role="user", content=spec.prompt),) if isinstance(spec.prompt, str) else spec.prompt


def source_failures(bank: Bank, record: TaskRecord) -> list[FailureRecord]:
    """The failures a task was drafted from that the bank still holds, in provenance order."""
    found = []
    for failure_id in record.provenance.source_failure_ids:
        try:
            found.append(bank.get_failure(failure_id))
        except NotFoundError:
            continue  # an imported task may name failures this bank never stored
    return found


def replays_elsewhere(bank: Bank, failure: FailureRecord, practice_ids: set[str]) -> bool:
    """True when a task outside the practice set (held out, or set aside) has this failure's conversation as its
    prompt: the conversation is then an evaluation item, never a training prompt."""
    return any(chat(t.spec) == failure.conversation and t.id not in practice_ids
               for t in bank.tasks_for_failure(failure.id))


def opsd_rows(bank: Bank, data: DataSection, template: PrivilegedTemplate) -> list[OpsdRow]:
    """The snapshot of rows to distil from, in bank order; BankError when there are none."""
    practice = list(practice_tasks(bank, data.skill))
    practice_ids = {record.id for record in practice}
    rows: list[OpsdRow] = []
    used_failures: set[str] = set()
    for record in practice:
        failures = source_failures(bank, record)
        if data.prompts is not PromptSource.FAILURES:
            rows.append(task_row(record, failures[:data.max_failures], template))
        if data.prompts is PromptSource.TASKS:
            continue
        for failure in failures:
            if failure.id in used_failures or replays_elsewhere(bank, failure, practice_ids):
                continue
            used_failures.add(failure.id)
            check_prompt(failure.conversation, f"{record.id} (failure {failure.id})")
            rows.append(OpsdRow(task_id=record.id, origin=RowOrigin.FAILURE, failure_id=failure.id,
                                prompt=failure.conversation,
                                privileged_context=template.render(record.spec, [failure], own_failure=True)))
    if not rows:
        raise BankError(no_rows_message(bank.path, data))
    return rows


def task_row(record: TaskRecord, failures: Sequence[FailureRecord], template: PrivilegedTemplate) -> OpsdRow:
    """The row whose prompt is the practice task's own."""
    prompt = chat(record.spec)
    check_prompt(prompt, record.id)
    return OpsdRow(task_id=record.id, origin=RowOrigin.TASK, prompt=prompt,
                   privileged_context=template.render(record.spec, failures, own_failure=False))


def no_rows_message(bank_path: str | Path, data: DataSection) -> str:
    """Why OPSD has nothing to distil from, and what to do."""
    which = f"practice tasks with skill '{data.skill}'" if data.skill else "practice tasks"
    if data.prompts is PromptSource.FAILURES:
        return (f"{bank_path}: no failing conversation of the {which} can be a training prompt (none is stored, or "
                f"each is a held-out replay prompt); set data.prompts=tasks")
    return (f"{bank_path}: the bank has no {which} to distil from; admit some with `python -m synth.generate` or "
            f"`python -m task_bank import FILE`, or change data.skill")


def check_teacher_lengths(rows: Sequence[OpsdRow], compose: Compose, count_tokens: Callable[[ChatPrompt], int],
                          limit: int | None) -> None:
    """Refuse a row whose teacher prompt (composed as the trainer will) is longer than ``sdft.max_prompt_length``:
    SDFT cuts longer prompts from the left, so the teacher would lose the start of the request without a word."""
    if limit is None:
        return
    teachers = compose([row.example()["prompt"] for row in rows], [row.privileged_context for row in rows])
    for row, prompt in zip(rows, teachers, strict=True):
        tokens = count_tokens(prompt)
        if tokens > limit:
            raise ConfigError(f"task {row.task_id}: its teacher prompt is {tokens} tokens, over "
                              f"sdft.max_prompt_length = {limit}, and SDFT would cut the start of the request; raise "
                              f"sdft.max_prompt_length or lower data.max_failures", field="sdft.max_prompt_length")


def opsd_dataset(rows: Iterable[OpsdRow]) -> Dataset:
    """The rows as the ``datasets.Dataset`` SDFTTrainer trains on."""
    return Dataset.from_list([row.example() for row in rows])
