"""A small but realistic bank for the web tests and the screenshot script: failures, runs over several days,
admitted and rejected tasks with validation reports, training statistics, evolution, a duplicate, curation
history, and one task whose content tries to break out of the page (``<script>``, ``</textarea>``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from task_bank import (CheckResult, DuplicateKind, FailureRecord, FailureSignal, GrowthRun,
                       Message, Outcome, Provenance, RunOutcome, SamplingSettings, ScoreResult, SignalKind,
                       TaskRecord, TaskSpec, TaskStatus, TrainingStat, ValidationReport)
from task_bank.store import Bank

EVIL = '<script>alert("owned")</script></textarea><img src=x onerror=alert(1)>'
"""Markup that must render as text wherever it appears."""

SKILLS = {
    "unit_conversion": ("Convert {n} km plus {m} m into metres. Answer with a number only.",
                        "def verify(response: str) -> float:\n    \"\"\"Exact metres, digits only.\"\"\"\n"
                        "    text = response.strip().replace(',', '')\n    return 1.0 if text == '{ans}' else 0.0\n"),
    "date_arithmetic": ("What date is {n} days after 2024-02-{m2}? Reply in ISO format (YYYY-MM-DD).",
                        "from datetime import date, timedelta\n\n\ndef verify(response: str) -> float:\n"
                        "    expected = (date(2024, 2, {m2}) + timedelta(days={n})).isoformat()\n"
                        "    return 1.0 if response.strip() == expected else 0.0\n"),
    "json_formatting": ("Return a JSON object with keys \"name\" and \"age\" for a person called Ada aged {n}.",
                        "import json\n\n\ndef verify(response: str) -> float:\n    try:\n"
                        "        data = json.loads(response)\n    except ValueError:\n        return 0.0\n"
                        "    return float(data == {{'name': 'Ada', 'age': {n}}})\n"),
    "regex_extraction": ("Extract every 5-digit zip code from: 'Send to 9021{n} or 1000{m}, not 123.' "
                         "One per line.",
                         "import re\n\n\ndef verify(response: str) -> float:\n"
                         "    found = re.findall(r'\\b\\d{{5}}\\b', response)\n"
                         "    return 1.0 if found == ['9021{n}', '1000{m}'] else 0.0\n"),
    "arithmetic": ("Compute {n} * {m} - 7 and give only the integer.",
                   "def verify(response: str) -> float:\n    try:\n        value = int(response.strip())\n"
                   "    except ValueError:\n        return 0.0\n    return 1.0 if value == {n} * {m} - 7 else 0.0\n"),
}
REJECT_REASONS = ["unsolvable", "trivial", "nondeterministic", "failure_case_passes", "verifier_error"]
T0 = datetime(2026, 11, 17, 9, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class SampleIds:
    """Ids the tests navigate to."""

    task: str
    """An admitted task with a report, stats, a child, an absorbed duplicate and source failures."""
    failure: str
    """A failure ``task`` was drafted from."""
    evil_task: str
    """The task whose prompt, verifier and cases contain markup."""
    rejected_failure: str
    """A failure whose only task was rejected."""
    run: str
    """A growth run."""
    child: str
    """A task evolved from ``task``."""


def _report(spec: TaskSpec, admitted: bool, reasons: tuple[str, ...], at: datetime) -> ValidationReport:
    ref = [ScoreResult(outcome=Outcome.SCORED, score=1.0 if admitted or "unsolvable" not in reasons else 0.0,
                       duration_ms=3.1) for _ in range(2)]
    cases = [ScoreResult(outcome=Outcome.SCORED, score=0.0 if admitted or "failure_case_passes" not in reasons
                         else 1.0, duration_ms=2.7) for _ in spec.failure_cases for _ in range(2)]
    checks = (
        CheckResult(name="schema", passed=True), CheckResult(name="compiles", passed="verifier_error" not in reasons,
                                                             reason="verifier_error" if "verifier_error" in reasons
                                                             else None),
        CheckResult(name="reference", passed=all(s.score == 1.0 for s in ref),
                    reason=None if all(s.score == 1.0 for s in ref) else "unsolvable",
                    detail="reference scored in 2 fresh interpreters", scores=tuple(ref), duration_ms=6.4),
        CheckResult(name="failure_cases", passed="failure_case_passes" not in reasons, scores=tuple(cases),
                    reason="failure_case_passes" if "failure_case_passes" in reasons else None, duration_ms=5.2),
        CheckResult(name="trivial", passed="trivial" not in reasons,
                    reason="trivial" if "trivial" in reasons else None,
                    detail="empty and echo responses score 0" if "trivial" not in reasons else
                    "the empty response scored 1.0"),
        CheckResult(name="determinism", passed="nondeterministic" not in reasons,
                    reason="nondeterministic" if "nondeterministic" in reasons else None,
                    detail="PYTHONHASHSEED 0..3, shifted clock"),
    )
    return ValidationReport(task_id=spec.id, admitted=admitted, reasons=reasons, checks=checks,
                            validator_version="1.2", sandbox_backend="bwrap", started_at=at, duration_ms=48.0)


def build_sample_bank(path: Path, seed: int = 7) -> SampleIds:
    """Create the sample bank at ``path`` (a new file) and return the ids the tests use."""
    rng = random.Random(seed)
    with Bank.open(path) as bank:
        failures = []
        for i, skill in enumerate(list(SKILLS) * 2):
            failures.append(FailureRecord(
                conversation=(Message(role="system", content="You are a helpful assistant."),
                              Message(role="user", content=SKILLS[skill][0].format(n=i + 3, m=i + 2, m2=20 + i % 8))),
                response=f"I think the answer is {i * 37}.", tags=(skill,), model="acme-chat-7b",
                signal=FailureSignal(kind=list(SignalKind)[i % len(SignalKind)],
                                     detail="user: that's wrong, you forgot the metres" if i % 2 else ""),
                expected=None if i % 3 else "the exact number", source="support-chat" if i % 2 else "eval-suite",
                timestamp=T0 - timedelta(days=1, hours=i)))
        bank.add_failures(failures)
        runs = []
        for day in range(6):
            run = GrowthRun(id=f"grow-2026-11-{17 + day:02d}", started_at=T0 + timedelta(days=day),
                            ended_at=T0 + timedelta(days=day, minutes=14, seconds=day * 7),
                            outcome=RunOutcome.SUCCEEDED if day != 3 else RunOutcome.BUDGET_EXHAUSTED,
                            inputs_seen=4 + day, counts={"drafts": 10 + day, "admitted": 0, "rejected": 0},
                            budget={"max_drafts": 40, "max_wall_s": 1800},
                            budget_used={"max_drafts": 10 + day, "max_wall_s": 840 + day * 7},
                            config={"backend": "vllm", "model": "Qwen/Qwen3-8B", "repair_rounds": 1})
            bank.start_run(run)
            runs.append(run)
        records: list[TaskRecord] = []
        tallies = {r.id: [0, 0] for r in runs}
        for i in range(36):
            skill = list(SKILLS)[i % len(SKILLS)]
            prompt_t, verifier_t = SKILLS[skill]
            n, m = 3 + i, 2 + i % 9
            m2 = 20 + i % 8
            fmt = {"n": n, "m": m, "m2": m2, "ans": n * 1000 + m}
            spec = TaskSpec(prompt=prompt_t.format(**fmt), verifier=verifier_t.format(**fmt),
                            reference=_reference(skill, n, m, m2), failure_cases=(f"{i * 37}", "I don't know"),
                            metadata={"skill": skill, "difficulty": ["easy", "medium", "hard"][i % 3],
                                      "tags": [skill.split("_")[0]]})
            day = i % 6
            rejected = i % 4 == 3
            reasons = (REJECT_REASONS[i % len(REJECT_REASONS)],) if rejected else ()
            created = T0 + timedelta(days=day, minutes=5 + i)
            failure = failures[i % len(failures)]
            prov = Provenance(source_failure_ids=(failure.id,), failure_group=f"grp-{skill}",
                              generator_backend="vllm", generator_model="Qwen/Qwen3-8B",
                              sampling=SamplingSettings(temperature=0.8, top_p=0.95, max_new_tokens=1024, seed=i),
                              prompt_template="draft_task.j2", prompt_template_hash="9f2c1e7ab04d55e3" + "0" * 48,
                              draft_id=f"d_{i:04d}", repair_round=1 if i % 5 == 4 else 0,
                              growth_run_id=runs[day].id, created_at=created - timedelta(minutes=1))
            status = TaskStatus.REJECTED if rejected else TaskStatus.ADMITTED
            tallies[runs[day].id][1 if rejected else 0] += 1
            record = TaskRecord(spec=spec, status=status, reasons=reasons, provenance=prov, created_at=created,
                                updated_at=created)
            bank.put(record)
            bank.add_report(_report(spec, not rejected, reasons, created - timedelta(seconds=30)))
            records.append(record)
        main = records[0]
        bank.add_stats([TrainingStat(task_id=main.id, policy=f"runs/grpo/checkpoint-{step}", step=step, attempts=16,
                                     mean_score=min(1.0, 0.05 + step / 900), pass_rate=min(1.0, step / 1000),
                                     recorded_at=T0 + timedelta(days=1, hours=step // 100))
                        for step in (0, 100, 200, 300, 450, 600, 800)])
        bank.add_stats([TrainingStat(task_id=r.id, policy="runs/grpo/checkpoint-800", step=800, attempts=16,
                                     mean_score=p, pass_rate=p, recorded_at=T0 + timedelta(days=6))
                        for r in records[1:] if r.status is TaskStatus.ADMITTED
                        for p in [round(rng.random() ** 1.6, 3)]])
        child_spec = TaskSpec(prompt=main.spec.prompt_text + " Then convert the result to centimetres.",
                              verifier="def verify(response: str) -> float:\n    return 1.0 if response.strip() == "
                                       "'300200' else 0.0\n", reference="300200", failure_cases=("3002",),
                              metadata={"skill": "unit_conversion", "difficulty": "hard"})
        child = TaskRecord(spec=child_spec, status=TaskStatus.ADMITTED, provenance=Provenance(
            parent_task_id=main.id, source_failure_ids=main.provenance.source_failure_ids,
            generator_backend="vllm", generator_model="Qwen/Qwen3-8B", prompt_template="evolve.j2",
            prompt_template_hash="41aa" + "0" * 60, growth_run_id=runs[-1].id),
            created_at=T0 + timedelta(days=5, hours=2), updated_at=T0 + timedelta(days=5, hours=2))
        bank.put(child)
        dup_spec = main.spec.model_copy(update={"id": "", "failure_cases": ("3002 metres",)})
        dup_spec = TaskSpec.model_validate(dup_spec.model_dump())
        bank.put(TaskRecord(spec=dup_spec, status=TaskStatus.REJECTED, reasons=("duplicate",),
                            duplicate_of=main.id, duplicate_kind=DuplicateKind.NEAR_PROMPT,
                            provenance=main.provenance, created_at=T0 + timedelta(days=4),
                            updated_at=T0 + timedelta(days=4)))
        evil = TaskSpec(prompt=f"Echo this exactly: {EVIL}",
                        verifier=f"def verify(response: str) -> float:\n    # {EVIL}\n"
                                 f"    return 1.0 if response == {EVIL!r} else 0.0\n",
                        reference=EVIL, failure_cases=("</textarea><script>alert(2)</script>",),
                        metadata={"skill": "string_echo", "note": EVIL})
        bank.put(TaskRecord(spec=evil, status=TaskStatus.ADMITTED, provenance=Provenance(
            imported_from="adversarial.jsonl"), created_at=T0 + timedelta(days=2), updated_at=T0 + timedelta(days=2)))
        bank.set_status(records[5].id, TaskStatus.QUARANTINED, actor="maria", reason="verifier accepts '1,000' "
                        "but the prompt forbids separators", action="quarantine", reasons=("reviewed",))
        bank.set_status(records[10].id, TaskStatus.RETIRED, actor="trainer", reason="mastered: pass rate 1.0 "
                        "for 3 checkpoints", action="retire", reasons=("mastered",))
        lonely = FailureRecord(conversation=(Message(role="user", content="Summarise this contract in one line."),),
                               response="It is a contract.", signal=FailureSignal(kind=SignalKind.THUMBS_DOWN),
                               source="support-chat")
        bank.add_failures([lonely])
        lonely_task = TaskSpec(prompt="Summarise the contract in one line.", verifier="def verify(r):\n    "
                               "return 0.5\n", reference="A one-line summary.", failure_cases=("It is a contract.",),
                               metadata={"skill": "summarisation"})
        bank.put(TaskRecord(spec=lonely_task, status=TaskStatus.REJECTED, reasons=("unsolvable", "trivial"),
                            provenance=Provenance(source_failure_ids=(lonely.id,), growth_run_id=runs[-1].id),
                            created_at=T0 + timedelta(days=5, hours=3), updated_at=T0 + timedelta(days=5, hours=3)))
        bank.mark_failures_processed([f.id for f in failures] + [lonely.id], runs[-1].id)
        for run in runs:
            admitted, rejected = tallies[run.id]
            bank.update_run(run.model_copy(update={"counts": {**run.counts, "admitted": admitted,
                                                              "rejected": rejected}}))
        return SampleIds(task=main.id, failure=main.provenance.source_failure_ids[0], evil_task=evil.id,
                         rejected_failure=lonely.id, run=runs[0].id, child=child.id)


def _reference(skill: str, n: int, m: int, m2: int) -> str:
    if skill == "unit_conversion":
        return str(n * 1000 + m)
    if skill == "date_arithmetic":
        return (datetime(2024, 2, m2) + timedelta(days=n)).date().isoformat()
    if skill == "json_formatting":
        return '{"name": "Ada", "age": %d}' % n
    if skill == "regex_extraction":
        return f"9021{n}\n1000{m}"
    return str(n * m - 7)


__all__ = ["EVIL", "SampleIds", "build_sample_bank"]
