"""``python -m task_bank``: the --json output of every subcommand, exit codes, and errors without tracebacks."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import datasets
import pytest

from task_bank.cli import build_parser, main, validating_import_command
from task_bank.migrations import BANK_SCHEMA_VERSION
from task_bank.records import GrowthRun, TaskSplit, TaskStatus, TrainingStat
from task_bank.store import Bank
from task_bank.exit_codes import EXIT_BANK, EXIT_USAGE

ROOT = Path(__file__).resolve().parents[2]


def _run(capsys, *argv: str) -> tuple[int, dict, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if captured.out.strip().startswith("{") else {}), captured.err


@pytest.fixture
def filled(bank_path, make_spec) -> Path:
    with Bank.open(bank_path) as bank:
        bank.admit_many([make_spec(i) for i in range(5)])
        bank.admit(make_spec(0, id="t_dup"))
        bank.add_stats([TrainingStat(task_id=make_spec(1).id, policy="p", attempts=4, mean_score=0.5,
                                     pass_rate=0.5)])
        bank.start_run(GrowthRun(id="run-1", counts={"admitted": 5}))
    return bank_path


def test_stats_json_prints_tasks_and_by_status(capsys, filled):
    code, out, _ = _run(capsys, "stats", "--bank", str(filled), "--json")
    assert code == 0 and out["tasks"] == 6
    assert out["by_status"]["admitted"] == 5 and out["by_status"]["rejected"] == 1


def test_the_bank_defaults_to_the_envsynth_bank_variable(capsys, filled, monkeypatch):
    monkeypatch.setenv("ENVSYNTH_BANK", str(filled))
    assert _run(capsys, "stats", "--json")[1]["tasks"] == 6


def test_list_json_applies_filters_and_paging(capsys, filled, make_spec):
    code, out, _ = _run(capsys, "list", "--bank", str(filled), "--json", "--status", "admitted", "--skill", "skill1",
                        "--limit", "1")
    assert code == 0 and out["total"] == 2 and len(out["tasks"]) == 1
    assert out["tasks"][0]["status"] == "admitted"
    hits = _run(capsys, "list", "--bank", str(filled), "--json", "--search", "Task 3:")[1]
    assert [t["id"] for t in hits["tasks"]] == [make_spec(3).id]


def test_show_json_has_record_reports_stats_history_and_duplicates(capsys, filled, make_spec):
    code, out, _ = _run(capsys, "show", make_spec(0).id, "--bank", str(filled), "--json")
    assert code == 0 and out["record"]["spec"]["id"] == make_spec(0).id
    assert out["duplicates"] == ["t_dup"] and out["reports"] == [] and out["history"] == []
    assert _run(capsys, "show", make_spec(1).id, "--bank", str(filled), "--json")[1]["stats"][0]["pass_rate"] == 0.5


def test_show_human_output_names_the_task(capsys, filled, make_spec):
    assert main(["show", make_spec(1).id, "--bank", str(filled)]) == 0
    assert make_spec(1).id in capsys.readouterr().out


def test_import_json_reports_counts_and_exits_1_when_lines_were_skipped(capsys, bank_path, tmp_path, make_spec):
    path = tmp_path / "a.jsonl"
    path.write_text(make_spec(1).model_dump_json() + "\n{broken\n", encoding="utf-8")
    code, out, _ = _run(capsys, "import", str(path), "--bank", str(bank_path), "--json", "--no-validate")
    assert code == 1 and out["stored"] == 1
    assert out["problems"][0]["line"] == 2


def test_import_strict_exits_2_naming_the_line_and_imports_nothing(capsys, bank_path, tmp_path, make_spec):
    path = tmp_path / "a.jsonl"
    path.write_text(make_spec(1).model_dump_json() + '\n{"prompt": 3}\n', encoding="utf-8")
    with Bank.open(bank_path):
        pass
    code, _, err = _run(capsys, "import", str(path), "--bank", str(bank_path), "--strict", "--no-validate")
    assert code == 2 and f"{path}:2:" in err
    with Bank.open(bank_path) as bank:
        assert bank.count() == 0


def test_an_unvalidated_import_stores_candidates(capsys, bank_path, tmp_path, make_spec):
    path = tmp_path / "a.jsonl"
    path.write_text(make_spec(1).model_dump_json() + "\n", encoding="utf-8")
    code, out, _ = _run(capsys, "import", str(path), "--bank", str(bank_path), "--json", "--no-validate")
    assert code == 0 and (out["validated"], out["stored"], out["admitted"]) == (False, 1, 0)
    with Bank.open(bank_path) as bank:
        assert bank.get(make_spec(1).id).status is TaskStatus.CANDIDATE


def test_import_validates_by_handing_over_to_the_verifier_with_the_same_options(tmp_path):
    args = build_parser().parse_args(["import", "t.jsonl", "--bank", "b.db", "--sandbox", "docker", "--workers", "3",
                                      "--strict", "--json"])
    command = validating_import_command(args)
    assert command[1:5] == ["-m", "verifier", "import", "t.jsonl"]
    assert " ".join(command[5:]) == "--bank b.db --sandbox docker --workers 3 --batch-size 500 --strict --json"


@pytest.mark.parametrize("argv", [["--strict"], []], ids=["strict-refusal", "missing-file"])
def test_a_failed_import_leaves_no_bank_file_behind(capsys, tmp_path, make_spec, argv):
    path = tmp_path / "a.jsonl"
    if argv:
        path.write_text('{"prompt": 3}\n', encoding="utf-8")
    bank_file = tmp_path / "new.db"
    code, _, _ = _run(capsys, "import", str(path), "--bank", str(bank_file), "--no-validate", *argv)
    assert code == 2 and not bank_file.exists() and not list(tmp_path.glob("new.db*"))


def test_status_without_no_validate_is_refused_before_any_work(capsys, bank_path, tmp_path, make_spec):
    path = tmp_path / "a.jsonl"
    path.write_text(make_spec(1).model_dump_json() + "\n", encoding="utf-8")
    code, _, err = _run(capsys, "import", str(path), "--bank", str(bank_path), "--status", "admitted")
    assert code == 2 and "--no-validate" in err and not bank_path.exists()


def test_export_json_writes_jsonl_and_parquet(capsys, filled, tmp_path):
    code, out, _ = _run(capsys, "export", "--bank", str(filled), "--json", "-o", str(tmp_path / "a.jsonl"))
    assert code == 0 and out == {"format": "jsonl", "path": str(tmp_path / "a.jsonl"), "tasks": 5, "environments": 0}
    assert len((tmp_path / "a.jsonl").read_text().splitlines()) == 5
    _run(capsys, "export", "--bank", str(filled), "--format", "parquet", "--status", "all", "-o",
         str(tmp_path / "a.parquet"))
    assert len(datasets.load_dataset("parquet", data_files=str(tmp_path / "a.parquet"), split="train")) == 6


def test_runs_json_lists_growth_runs(capsys, filled):
    code, out, _ = _run(capsys, "runs", "--bank", str(filled), "--json")
    assert code == 0 and [r["id"] for r in out["runs"]] == ["run-1"]


def test_schema_prints_the_schema_of_every_record(capsys):
    code, out, _ = _run(capsys, "schema", "--json")
    assert code == 0 and {"task_spec", "task_record", "failure", "validation_report"} <= set(out["records"])
    assert set(out["records"]["task_spec"]["required"]) >= {"prompt", "verifier", "reference", "failure_cases"}


def test_stats_human_output_is_a_table(capsys, filled):
    assert main(["stats", "--bank", str(filled)]) == 0
    assert "admitted" in capsys.readouterr().out


def test_stats_human_table_counts_admitted_tasks_per_split(capsys, filled, make_spec):
    with Bank.open(filled) as bank:
        bank.admit_many([make_spec(i) for i in range(10, 13)], split=TaskSplit.HELDOUT)
    assert main(["stats", "--bank", str(filled)]) == 0
    rows = {" ".join(cells[:-1]): cells[-1] for line in capsys.readouterr().out.splitlines()
            if len(cells := re.findall(r"[\w:,]+", line)) >= 2}
    assert rows["admitted, split: train"] == "5" and rows["admitted, split: heldout"] == "3"


def _subprocess(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "task_bank", *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_an_unknown_id_exits_with_the_bank_code_a_message_and_no_traceback(filled):
    result = _subprocess("show", "t_missing", "--bank", str(filled))
    assert result.returncode == EXIT_BANK
    assert "t_missing" in result.stderr and "Traceback" not in result.stderr


def test_a_bank_from_a_newer_envsynth_exits_with_the_bank_code_naming_file_and_versions(filled):
    conn = sqlite3.connect(filled, isolation_level=None)
    conn.execute(f"PRAGMA user_version = {BANK_SCHEMA_VERSION + 1}")
    conn.close()
    result = _subprocess("stats", "--bank", str(filled), "--json")
    assert result.returncode == EXIT_BANK and "Traceback" not in result.stderr
    assert str(filled) in result.stderr and f"version {BANK_SCHEMA_VERSION + 1}" in result.stderr


def test_list_status_all_includes_every_status(capsys, filled):
    assert _run(capsys, "list", "--bank", str(filled), "--json", "--status", "all")[1]["total"] == 6


def test_schema_can_be_written_to_a_file(capsys, tmp_path):
    target = tmp_path / "schema.json"
    code, out, _ = _run(capsys, "schema", "--record", "task_spec", "-o", str(target), "--json")
    assert code == 0 and out == {"written": str(target)}
    assert json.loads(target.read_text())["title"] == "TaskSpec"


def test_an_unknown_record_name_exits_2_naming_the_choices(capsys):
    code, _, err = _run(capsys, "schema", "--record", "nope")
    assert code == 2 and "task_spec" in err


def test_a_read_only_command_on_a_missing_bank_fails_and_creates_nothing(tmp_path):
    missing = tmp_path / "typo.db"
    result = subprocess.run([sys.executable, "-m", "task_bank", "stats", "--bank", str(missing)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == EXIT_USAGE and "no bank file" in result.stderr and "(field 'bank')" in result.stderr
    assert not missing.exists()


def test_a_read_only_command_on_an_empty_file_fails_and_leaves_it_empty(tmp_path):
    """Opening it wrote a bank's schema (241 KB) into a file a typo named (QA round 30)."""
    empty = tmp_path / "empty.db"
    empty.touch()
    result = subprocess.run([sys.executable, "-m", "task_bank", "stats", "--bank", str(empty)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == EXIT_USAGE and "an empty file, not a bank" in result.stderr
    assert empty.stat().st_size == 0


def _at_80_columns(*argv: str) -> str:
    result = subprocess.run([sys.executable, "-m", "task_bank", *argv], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_list_at_80_columns_keeps_every_id_and_creation_time(filled):
    out = _at_80_columns("list", "--bank", str(filled))
    with Bank.open(filled) as bank:
        records = bank.list(limit=10)
    assert all(r.id in out and r.created_at.strftime("%Y-%m-%d %H:%M") in out for r in records)
    assert max(len(line) for line in out.splitlines()) <= 80


def test_runs_at_80_columns_keep_whole_run_ids(bank_path):
    with Bank.open(bank_path) as bank:
        bank.start_run(GrowthRun(id="grow-20261201T220000-abcdef123456", counts={"admitted": 5, "drafts": 9,
                                                                                  "rejected:trivial": 2}))
    out = _at_80_columns("runs", "--bank", str(bank_path))
    assert "grow-20261201T220000-abcdef123456" in out and max(len(line) for line in out.splitlines()) <= 80


def test_show_at_80_columns_wraps_long_verifier_lines_instead_of_cutting_them(bank_path, make_spec):
    tail = "the_end_of_a_long_line_marker"
    verifier = "def verify(response: str) -> float:\n    return 1.0 if response == " + "'x' + " * 20 + f"'{tail}' else 0.0\n"
    with Bank.open(bank_path) as bank:
        bank.admit(make_spec(1, verifier=verifier))
    out = _at_80_columns("show", make_spec(1, verifier=verifier).id, "--bank", str(bank_path))
    assert tail in out.replace("│", "").replace(" ", "").replace("\n", "")
    assert max(len(line) for line in out.splitlines()) <= 80


def test_serve_on_a_busy_port_is_one_line_exit_2_and_prints_no_url(filled):
    import socket
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = _subprocess("serve", "--bank", str(filled), "--port", str(port))
    assert result.returncode == EXIT_USAGE and "http://" not in result.stdout
    assert result.stderr.count("\n") == 1 and f"127.0.0.1:{port}" in result.stderr and "--port" in result.stderr


@pytest.mark.sandbox
def test_import_validates_in_the_sandbox_by_default_and_rejects_a_broken_verifier(tmp_path, make_spec):
    broken = make_spec(2, verifier="def verify(response: str) -> float\n    return 1.0\n")
    path = tmp_path / "a.jsonl"
    path.write_text(make_spec(1).model_dump_json() + "\n" + broken.model_dump_json() + "\n", encoding="utf-8")
    bank_file = tmp_path / "bank.db"
    result = _subprocess("import", str(path), "--bank", str(bank_file), "--json", "--workers", "1")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["validated"], report["admitted"], report["rejected"]) == (True, 1, 1)
    with Bank.open(bank_file) as bank:
        assert bank.get(make_spec(1).id).status is TaskStatus.ADMITTED
        rejected = bank.get(broken.id)
        assert rejected.status is TaskStatus.REJECTED and rejected.reasons == ("verifier_error",)
        assert len(bank.reports(broken.id)) == 1


@pytest.mark.parametrize("argv", [("list", "--offset", "99999999999999999999"), ("list", "--limit", "-1"),
                                  ("runs", "--limit", "99999999999999999999"), ("list", "--limit", "many")])
def test_a_count_out_of_range_is_a_usage_error_naming_the_option(filled, argv):
    """Red-team finding: an offset past SQLite's integers ended in "internal error OverflowError", and a negative
    limit listed nothing."""
    result = _subprocess(*argv, "--bank", str(filled))
    assert result.returncode == 2 and f"argument {argv[1]}" in result.stderr and "Traceback" not in result.stderr


def test_a_directory_given_as_the_file_is_named_a_directory(tmp_path):
    """It was reported as "no such file" (QA round 30)."""
    for command in (["verifier", "validate", str(tmp_path)], ["task_bank", "import", str(tmp_path), "--bank",
                                                               str(tmp_path / "b.db")]):
        result = subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == EXIT_USAGE and "a directory, not a file" in result.stderr, result.stderr
