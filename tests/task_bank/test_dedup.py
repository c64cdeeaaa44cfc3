"""Duplicate detection on admission: each kind is recorded with the id it duplicates, never dropped."""

from __future__ import annotations

import sqlite3

import pytest

from task_bank.fingerprint import verifier_fingerprint, verifier_skeleton
from task_bank.records import DuplicateKind, TaskStatus
from task_bank.store import Bank
from task_bank.validation import ValidationReport

VERIFIER = '''"""Checks the final number."""
import re

LIMIT = 3


def _numbers(text):
    """All integers in the text."""
    return [int(x) for x in re.findall(r"-?\\d+", text)]


def verify(response: str) -> float:
    found = _numbers(response)  # every number
    return 1.0 if found and found[-1] == 42 and len(found) <= LIMIT else 0.0
'''

RENAMED = '''import re
CAP = 3
def _ints(s):
    return [int(v) for v in re.findall(r"-?\\d+", s)]
def verify(answer: str) -> float:
    # look at the last one
    xs = _ints(answer)
    return 1.0 if xs and xs[-1] == 42 and len(xs) <= CAP else 0.0
'''


def test_same_content_under_another_id_is_an_exact_duplicate(bank, make_spec):
    original = bank.admit(make_spec(1))
    copy = bank.admit(make_spec(1, id="t_custom_copy"))
    assert copy.status is TaskStatus.REJECTED and copy.reasons == ("duplicate",)
    assert (copy.duplicate_of, copy.duplicate_kind) == (original.id, DuplicateKind.EXACT)


def test_verifier_equal_up_to_names_comments_docstrings_and_layout_is_a_duplicate(bank, make_spec):
    original = bank.admit(make_spec(1, verifier=VERIFIER))
    copy = bank.admit(make_spec(2, verifier=RENAMED))
    assert (copy.duplicate_of, copy.duplicate_kind) == (original.id, DuplicateKind.VERIFIER_AST)


def test_verifiers_with_different_logic_constants_or_imports_are_not_equal():
    base = verifier_fingerprint(RENAMED)
    assert base is not None
    assert verifier_fingerprint(RENAMED.replace("== 42", "== 43")) != base
    assert verifier_fingerprint(RENAMED.replace("<= CAP", "< CAP")) != base
    assert verifier_fingerprint(RENAMED.replace("import re", "import regex as re")) != base
    assert verifier_fingerprint(RENAMED.replace("int(v)", "float(v)")) != base


def test_a_verifier_that_does_not_compile_has_no_fingerprint_and_is_stored(bank, make_spec):
    assert verifier_fingerprint("def verify(:\n") is None
    record = bank.admit(make_spec(1, verifier="def verify(:\n"))
    assert record.status is TaskStatus.ADMITTED


def test_a_near_duplicate_prompt_is_a_duplicate(bank, make_spec):
    original = bank.admit(make_spec(1))
    reworded = make_spec(2, prompt=make_spec(1).prompt.replace("Task 1:", "Task 1 -") + " Thanks!")
    copy = bank.admit(reworded)
    assert (copy.duplicate_of, copy.duplicate_kind) == (original.id, DuplicateKind.NEAR_PROMPT)


def test_distinct_prompts_are_not_near_duplicates(bank, make_spec):
    records = bank.admit_many([make_spec(i) for i in range(40)])
    assert all(r.status is TaskStatus.ADMITTED for r in records)


def test_the_near_duplicate_threshold_is_configurable(bank_path, make_spec):
    words = make_spec(1).prompt.split()
    half = " ".join(words[: len(words) // 2] + ["different"] * (len(words) // 2))
    with Bank.open(bank_path, near_threshold=0.2) as bank:
        bank.admit(make_spec(1))
        loose = bank.admit(make_spec(2, prompt=half))
    assert loose.duplicate_kind is DuplicateKind.NEAR_PROMPT
    with Bank.open(bank_path.with_name("strict.db"), near_threshold=0.99) as bank:
        bank.admit(make_spec(1))
        strict = bank.admit(make_spec(2, prompt=half))
    assert strict.status is TaskStatus.ADMITTED


def test_the_lsh_index_survives_reopening_the_bank(bank_path, make_spec):
    with Bank.open(bank_path) as bank:
        original = bank.admit(make_spec(1))
    with Bank.open(bank_path) as bank:
        copy = bank.admit(make_spec(2, prompt=make_spec(1).prompt + " Please."))
    assert (copy.duplicate_of, copy.duplicate_kind) == (original.id, DuplicateKind.NEAR_PROMPT)


def test_duplicates_are_kept_and_listed_under_the_task_they_duplicate(bank, make_spec):
    original = bank.admit(make_spec(1))
    copies = [bank.admit(make_spec(1, id=f"t_copy{i}")) for i in range(3)]
    assert bank.count() == 4
    assert [r.id for r in bank.duplicates_of(original.id)] == [c.id for c in copies]


def test_duplicates_within_one_batch_are_caught_and_the_first_wins(bank, make_spec):
    records = bank.admit_many([make_spec(1), make_spec(1, id="t_same_content"), make_spec(2)])
    assert [r.status for r in records] == [TaskStatus.ADMITTED, TaskStatus.REJECTED, TaskStatus.ADMITTED]
    assert records[1].duplicate_of == records[0].id


def test_rejected_tasks_are_not_matched(bank, make_spec):
    bank.admit(make_spec(1), status=TaskStatus.REJECTED, reasons=("unsolvable",))
    assert bank.admit(make_spec(1, id="t_copy")).status is TaskStatus.ADMITTED


@pytest.mark.parametrize("status", [TaskStatus.QUARANTINED, TaskStatus.RETIRED])
def test_a_copy_of_a_quarantined_or_retired_task_is_a_duplicate(bank, make_spec, status):
    original = bank.admit(make_spec(1), status=status)
    copy = bank.admit(make_spec(1, id="t_copy"))
    assert copy.status is TaskStatus.REJECTED and copy.duplicate_of == original.id


def test_dedup_false_admits_a_duplicate(bank, make_spec):
    bank.admit(make_spec(1))
    assert bank.admit(make_spec(1, id="t_copy"), dedup=False).status is TaskStatus.ADMITTED


def test_a_task_rejected_by_validation_keeps_its_own_reasons_not_duplicate(bank, make_spec):
    bank.admit(make_spec(1))
    spec = make_spec(1, id="t_copy")
    report = ValidationReport(task_id=spec.id, admitted=False, reasons=("trivial",), validator_version="v1",
                              sandbox_backend="unsafe-local")
    record = bank.admit(spec, report=report)
    assert record.reasons == ("trivial",) and record.duplicate_of is None


def test_renamed_verifiers_share_a_skeleton_so_the_exact_check_runs():
    assert verifier_skeleton(VERIFIER) == verifier_skeleton(RENAMED)
    assert verifier_fingerprint(VERIFIER) == verifier_fingerprint(RENAMED)


def test_the_exact_fingerprint_is_cached_on_the_matched_task(bank, make_spec):
    original = bank.admit(make_spec(1, verifier=VERIFIER))
    bank.admit(make_spec(2, verifier=RENAMED))
    cached = sqlite3.connect(bank.path).execute("SELECT verifier_hash FROM tasks WHERE id = ?",
                                                (original.id,)).fetchone()[0]
    assert cached == verifier_fingerprint(VERIFIER)
