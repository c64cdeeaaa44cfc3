"""JSONL import and export of task spec v1, and every bad-input case of an import."""

from __future__ import annotations

import json
from itertools import islice

import pytest

from task_bank.errors import InputError
from task_bank.jsonl import export_jsonl, import_jsonl, read_specs
from task_bank.provenance import Provenance
from task_bank.records import TaskStatus
from task_bank.spec import TaskSpec, TaskSplit
from task_bank.store import Bank
from task_bank.validation import Reason, ValidationReport


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _line(spec: TaskSpec) -> str:
    return spec.model_dump_json(exclude={"id"})


def test_export_then_import_into_a_new_bank_round_trips_every_spec(bank, tmp_path, make_spec):
    specs = [make_spec(i) for i in range(10)]
    bank.admit_many(specs)
    out = tmp_path / "tasks.jsonl"
    assert export_jsonl(bank, out) == 10
    assert sorted(s.id for s in read_specs(out)) == sorted(s.id for s in specs)
    with Bank.open(tmp_path / "other.db") as other:
        report = import_jsonl(other, out)
        assert report.stored == 10 and report.problems == ()
        assert \
            {r.id: r.spec for r in other.list(limit=100)} == {s.id: s for s in specs}


def test_a_generated_task_keeps_its_provenance_through_export_and_import(bank, tmp_path, make_spec):
    chain = Provenance(source_failure_ids=("f_1", "f_2"), generator_backend="vllm", generator_model="m",
                       prompt_template="draft.j2", prompt_template_hash="abc123", growth_run_id="grow-1")
    bank.admit(make_spec(1), provenance=chain)
    out = tmp_path / "tasks.jsonl"
    export_jsonl(bank, out)
    with Bank.open(tmp_path / "other.db") as other:
        import_jsonl(other, out)
        moved = other.get(make_spec(1).id)
    assert moved.provenance == chain.model_copy(update={"imported_from": str(out)})
    assert moved.spec == make_spec(1)  # provenance has one home, the record; the spec is the task alone


def test_imported_tasks_record_the_file_they_came_from(bank, tmp_path, make_spec):
    path = _write(tmp_path / "a.jsonl", [_line(make_spec(1))])
    import_jsonl(bank, path)
    assert bank.get(make_spec(1).id).provenance.imported_from == str(path)


def test_malformed_json_is_reported_with_file_and_line_and_the_rest_is_imported(bank, tmp_path, make_spec):
    path = _write(tmp_path / "a.jsonl", [_line(make_spec(1)), '{"prompt": "oops', _line(make_spec(2))])
    report = import_jsonl(bank, path)
    assert report.stored == 2
    [problem] = report.problems
    assert (problem.path, problem.line, problem.column, problem.field) == (str(path), 2, 12, None)
    assert "not valid JSON" in problem.message and str(problem).startswith(f"{path}:2:12: ")


def test_a_missing_field_is_reported_by_name(bank, tmp_path, make_spec):
    data = json.loads(_line(make_spec(1)))
    del data["failure_cases"]
    report = import_jsonl(bank, _write(tmp_path / "a.jsonl", [json.dumps(data)]))
    assert [(p.line, p.field) for p in report.problems] == [(1, "failure_cases")]
    assert bank.count() == 0


def test_a_field_of_the_wrong_type_is_reported_by_name(bank, tmp_path, make_spec):
    data = json.loads(_line(make_spec(1)))
    data["verifier"] = 42
    report = import_jsonl(bank, _write(tmp_path / "a.jsonl", ["", json.dumps(data)]))
    assert [(p.line, p.field) for p in report.problems] == [(2, "verifier")]


def test_a_nested_field_is_reported_by_its_dotted_path(bank, tmp_path, make_spec):
    data = json.loads(_line(make_spec(1)))
    data["prompt"] = [{"role": "wizard", "content": "hi"}]
    report = import_jsonl(bank, _write(tmp_path / "a.jsonl", [json.dumps(data)]))
    assert report.problems[0].field is not None and report.problems[0].field.startswith("prompt")


def test_a_line_that_is_not_an_object_is_reported(bank, tmp_path):
    report = import_jsonl(bank, _write(tmp_path / "a.jsonl", ["[1, 2]", '"text"']))
    assert [p.line for p in report.problems] == [1, 2]
    assert "JSON object" in report.problems[0].message


def test_a_newer_schema_version_line_is_reported_on_that_field(bank, tmp_path, make_spec):
    data = json.loads(_line(make_spec(1)))
    data["schema_version"] = 99
    report = import_jsonl(bank, _write(tmp_path / "a.jsonl", [json.dumps(data)]))
    assert [(p.line, p.field) for p in report.problems] == [(1, "schema_version")]
    assert "99" in report.problems[0].message


def test_bytes_that_are_not_utf8_are_reported_on_their_line(bank, tmp_path, make_spec):
    path = tmp_path / "a.jsonl"
    path.write_bytes(_line(make_spec(1)).encode() + b"\n\xff\xfe\n")
    report = import_jsonl(bank, path)
    assert report.stored == 1 and [p.line for p in report.problems] == [2]


def test_strict_imports_nothing_when_any_line_is_bad(bank, tmp_path, make_spec):
    path = _write(tmp_path / "a.jsonl", [_line(make_spec(1)), "{bad", _line(make_spec(2))])
    with pytest.raises(InputError, match=r"a\.jsonl:2:2: not valid JSON"):
        import_jsonl(bank, path, strict=True)
    assert bank.count() == 0


def test_strict_imports_everything_when_every_line_is_good(bank, tmp_path, make_spec):
    report = import_jsonl(bank, _write(tmp_path / "a.jsonl", [_line(make_spec(i)) for i in range(3)]), strict=True)
    assert report.stored == 3


def test_an_import_never_changes_tasks_already_in_the_bank(bank, tmp_path, make_spec):
    stored = bank.admit(make_spec(1))
    curated = bank.set_status(stored.id, TaskStatus.QUARANTINED, actor="alice", reason="check")
    edited = make_spec(1).model_copy(update={"metadata": {"skill": "renamed"}})
    report = import_jsonl(bank, _write(tmp_path / "a.jsonl", [edited.model_dump_json(), _line(make_spec(2))]))
    assert report.existing == 1 and report.stored == 1
    assert bank.get(stored.id) == curated


def test_a_line_repeating_an_earlier_id_is_counted_as_existing(bank, tmp_path, make_spec):
    report = import_jsonl(bank, _write(tmp_path / "a.jsonl", [_line(make_spec(1))] * 3))
    assert (report.stored, report.existing) == (1, 2)


class Judge:
    """A validator at the boundary: passes every task except those whose id it is told to reject, and remembers
    which ids it was asked about."""

    def __init__(self, reject: frozenset[str] = frozenset()) -> None:
        self.reject = reject
        self.asked: list[str] = []

    def __call__(self, specs):
        self.asked.extend(spec.id for spec in specs)
        return [ValidationReport(task_id=spec.id, admitted=spec.id not in self.reject,
                                 reasons=(Reason.UNSOLVABLE,) if spec.id in self.reject else (),
                                 validator_version="test", sandbox_backend="fake") for spec in specs]


def test_duplicates_in_a_validated_import_are_stored_and_counted(bank, tmp_path, make_spec):
    copy = make_spec(1).model_copy(update={"id": "t_copy"})
    report = import_jsonl(bank, _write(tmp_path / "a.jsonl", [_line(make_spec(1)), copy.model_dump_json()]),
                          judge=Judge())
    assert (report.stored, report.admitted, report.duplicates) == (2, 1, 1)


def test_an_unvalidated_import_stores_candidates_that_training_never_samples(bank, tmp_path, make_spec):
    report = import_jsonl(bank, _write(tmp_path / "a.jsonl", [_line(make_spec(1))]))
    assert bank.get(make_spec(1).id).status is TaskStatus.CANDIDATE
    assert (report.validated, report.stored, report.admitted) == (False, 1, 0)


def test_a_validated_import_stores_a_failing_task_rejected_with_its_reasons_and_report(bank, tmp_path, make_spec):
    bad = make_spec(2)
    report = import_jsonl(bank, _write(tmp_path / "a.jsonl", [_line(make_spec(1)), _line(bad)]),
                          judge=Judge(reject=frozenset({bad.id})))
    assert (report.admitted, report.rejected) == (1, 1)
    assert bank.get(bad.id).status is TaskStatus.REJECTED and bank.get(bad.id).reasons == (Reason.UNSOLVABLE,)
    assert len(bank.reports(bad.id)) == 1


def test_ids_already_in_the_bank_are_not_validated_again(bank, tmp_path, make_spec):
    bank.admit(make_spec(1))
    judge = Judge()
    import_jsonl(bank, _write(tmp_path / "a.jsonl", [_line(make_spec(1)), _line(make_spec(2))]), judge=judge)
    assert judge.asked == [make_spec(2).id]


def test_importing_a_missing_file_is_an_input_error_naming_it(bank, tmp_path):
    with pytest.raises(InputError, match="nope.jsonl"):
        import_jsonl(bank, tmp_path / "nope.jsonl")


def test_import_can_store_tasks_as_candidates(bank, tmp_path, make_spec):
    import_jsonl(bank, _write(tmp_path / "a.jsonl", [_line(make_spec(1))]), status=TaskStatus.CANDIDATE)
    assert bank.get(make_spec(1).id).status is TaskStatus.CANDIDATE


def test_export_filters_by_status(bank, tmp_path, make_spec):
    bank.admit(make_spec(1))
    bank.admit(make_spec(2), status=TaskStatus.REJECTED)
    assert export_jsonl(bank, tmp_path / "a.jsonl", status="admitted") == 1


def _export_practice_and_heldout(bank, tmp_path, make_spec):
    """A bank with two practice tasks and two held-out ones (in between them, so the file mixes splits), exported."""
    bank.admit(make_spec(1))
    bank.admit_many([make_spec(2), make_spec(3)], split=TaskSplit.HELDOUT)
    bank.admit(make_spec(4))
    out = tmp_path / "tasks.jsonl"
    export_jsonl(bank, out)
    return out


def test_a_heldout_task_survives_export_and_import_as_heldout(bank, tmp_path, make_spec):
    out = _export_practice_and_heldout(bank, tmp_path, make_spec)
    for judge in (None, Judge()):
        with Bank.open(tmp_path / f"other-{judge is None}.db") as other:
            import_jsonl(other, out, judge=judge)
            splits = {i: other.get(make_spec(i).id).split for i in range(1, 5)}
        assert splits == {1: TaskSplit.TRAIN, 2: TaskSplit.HELDOUT, 3: TaskSplit.HELDOUT, 4: TaskSplit.TRAIN}


def test_only_a_heldout_line_carries_its_split_and_a_line_without_one_is_practice(bank, tmp_path, make_spec):
    out = _export_practice_and_heldout(bank, tmp_path, make_spec)
    written = {json.loads(line)["id"]: json.loads(line).get("split") for line in out.read_text().splitlines()}
    assert written == {make_spec(1).id: None, make_spec(2).id: "heldout", make_spec(3).id: "heldout",
                       make_spec(4).id: None}
    with Bank.open(tmp_path / "other.db") as other:
        import_jsonl(other, _write(tmp_path / "plain.jsonl", [_line(make_spec(5))]), judge=Judge())
        assert other.get(make_spec(5).id).split is TaskSplit.TRAIN


def test_trainers_never_sample_a_heldout_task_that_came_through_export_and_import(bank, tmp_path, make_spec):
    from trainer.config import SamplingSection
    from trainer.dataset import bank_rows, practice_tasks

    out = _export_practice_and_heldout(bank, tmp_path, make_spec)
    path = tmp_path / "other.db"
    with Bank.open(path) as other:
        report = import_jsonl(other, out, judge=Judge())
        assert report.admitted == 4
        assert {r.id for r in practice_tasks(other)} == {make_spec(1).id, make_spec(4).id}
    rows = bank_rows(str(path), SamplingSection(refresh_every=1).model_dump(), seed=0)
    assert {row["task_id"] for row in islice(rows, 200)} == {make_spec(1).id, make_spec(4).id}


def test_an_unvalidated_import_never_stores_tasks_as_admitted(tmp_path, make_spec):
    """Training samples admitted tasks: ``--no-validate --status admitted`` once put verifiers no sandbox had run
    into training (QA round 30)."""
    with Bank.open(tmp_path / "bank.db") as bank:
        with pytest.raises(InputError, match="cannot store tasks as admitted"):
            import_jsonl(bank, _write(tmp_path / "a.jsonl", [_line(make_spec(1))]), status=TaskStatus.ADMITTED)
        assert bank.count() == 0
