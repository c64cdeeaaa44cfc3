"""Stored environments carry typed provenance and a split: imported ones record their file, exported lines keep
the chain and the split, and ``task_bank show`` prints them."""

from __future__ import annotations

import json

from task_bank.cli import main as task_bank
from task_bank.environment import EnvironmentLine, parse_line, parse_spec_line
from task_bank.provenance import Provenance
from task_bank.records import TaskStatus
from task_bank.spec import TaskSplit
from task_bank.store import Bank
from verifier.env_cli import main as env_cli

from .conftest import cart_spec

CHAIN = Provenance(source_failure_ids=("f_1",), failure_group="g_1", generator_backend="replay",
                   prompt_template="environment.j2", growth_run_id="run-1")


def imported(tmp_path, *lines: str):
    path = tmp_path / "envs.jsonl"
    path.write_text("".join(line + "\n" for line in lines))
    bank = tmp_path / "bank.db"
    assert env_cli(["import", str(path), "--bank", str(bank)]) == 0
    with Bank.open(bank) as b:
        return path, bank, list(b.iter_environments())


def test_an_imported_environment_records_import_provenance(tmp_path):
    path, _, [record] = imported(tmp_path, cart_spec().to_json())
    assert record.status is TaskStatus.ADMITTED and record.split is TaskSplit.TRAIN
    assert record.provenance.imported_from == str(path) and record.provenance.source_failure_ids == ()


def test_an_exported_line_keeps_its_chain_and_its_heldout_split_through_an_import(tmp_path):
    line = EnvironmentLine.of(cart_spec(), CHAIN, TaskSplit.HELDOUT).to_json()
    path, _, [record] = imported(tmp_path, line)
    assert record.split is TaskSplit.HELDOUT
    assert record.provenance.source_failure_ids == ("f_1",) and record.provenance.growth_run_id == "run-1"
    assert record.provenance.imported_from == str(path)


def test_an_export_line_carries_provenance_outside_the_content_id():
    line = json.loads(EnvironmentLine.of(cart_spec(), CHAIN, TaskSplit.HELDOUT).to_json())
    assert line["provenance"]["source_failure_ids"] == ["f_1"] and line["split"] == "heldout"
    assert parse_spec_line(line) == cart_spec() and parse_line(line).provenance == CHAIN


def test_a_training_line_without_provenance_is_plain_spec_v1():
    assert json.loads(EnvironmentLine.of(cart_spec()).to_json()) == json.loads(cart_spec().to_json())


def test_task_bank_show_prints_an_environment_with_its_provenance_and_split(tmp_path, capsys):
    line = EnvironmentLine.of(cart_spec(), CHAIN, TaskSplit.HELDOUT).to_json()
    _, bank, [record] = imported(tmp_path, line)
    capsys.readouterr()
    assert task_bank(["show", record.id, "--bank", str(bank), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)["record"]
    assert shown["provenance"]["failure_group"] == "g_1" and shown["split"] == "heldout"
    assert task_bank(["show", record.id, "--bank", str(bank)]) == 0
    text = capsys.readouterr().out
    assert "split=heldout" in text and "provenance" in text and "add(name: str, qty: int)" in text
