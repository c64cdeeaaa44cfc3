"""Export to a Hugging Face dataset / Parquet in the shape TRL's GRPOTrainer reads."""

from __future__ import annotations

import datasets

from task_bank.hf_export import export_hf, export_parquet, to_dataset
from task_bank.records import TaskStatus
from task_bank.spec import Message


def test_parquet_export_reads_back_with_datasets_with_a_chat_prompt_and_task_id(bank, tmp_path, make_spec):
    chat = (Message(role="system", content="Answer tersely."), Message(role="user", content="2+2?"))
    bank.admit(make_spec(1, prompt=chat))
    bank.admit(make_spec(2, prompt="Plain text prompt"))
    path = tmp_path / "tasks.parquet"
    assert export_parquet(bank, path) == 2
    loaded = datasets.load_dataset("parquet", data_files=str(path), split="train")
    rows = {row["task_id"]: row for row in loaded}
    assert rows[make_spec(1, prompt=chat).id]["prompt"] == [{"role": "system", "content": "Answer tersely."},
                                                            {"role": "user", "content": "2+2?"}]
    assert rows[make_spec(2, prompt="Plain text prompt").id]["prompt"] == [{"role": "user",
                                                                          "content": "Plain text prompt"}]


def test_saved_dataset_reloads_with_load_from_disk(bank, tmp_path, make_spec):
    bank.admit(make_spec(1))
    assert export_hf(bank, tmp_path / "ds") == 1
    loaded = datasets.load_from_disk(str(tmp_path / "ds"))
    assert loaded[0]["task_id"] == make_spec(1).id and loaded[0]["verifier"] == make_spec(1).verifier


def test_only_admitted_tasks_are_exported_by_default(bank, make_spec):
    bank.admit(make_spec(1))
    bank.admit(make_spec(2), status=TaskStatus.QUARANTINED)
    assert to_dataset(bank)["task_id"] == [make_spec(1).id]
    assert len(to_dataset(bank, status=None)) == 2


def test_an_empty_bank_exports_an_empty_dataset_with_the_same_columns(bank):
    empty = to_dataset(bank)
    assert len(empty) == 0 and {"task_id", "prompt"} <= set(empty.column_names)
