"""JSON Schema of the records envsynth exchanges, for tools outside Python (``python -m task_bank schema``)."""

from __future__ import annotations

from pydantic import BaseModel

from task_bank.errors import InputError
from task_bank.failure import FailureRecord
from task_bank.provenance import Provenance
from task_bank.records import CurationAction, GrowthRun, TaskRecord, TrainingStat
from task_bank.spec import SCHEMA_VERSION, TaskSpec
from task_bank.validation import ValidationReport

RECORDS: dict[str, type[BaseModel]] = {
    "task_spec": TaskSpec,
    "task_record": TaskRecord,
    "provenance": Provenance,
    "failure": FailureRecord,
    "validation_report": ValidationReport,
    "training_stat": TrainingStat,
    "growth_run": GrowthRun,
    "curation_action": CurationAction,
}
"""Record name -> model, in the order the schema document lists them."""


def record_schema(name: str) -> dict[str, object]:
    """The JSON Schema of one record (validation mode: what a reader accepts)."""
    model = RECORDS.get(name)
    if model is None:
        raise InputError(f"unknown record {name!r}; choose one of {', '.join(RECORDS)}", field="record")
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def all_schemas() -> dict[str, object]:
    """Every record's schema, keyed by record name, with the task spec version they describe."""
    return {"spec_schema_version": SCHEMA_VERSION, "records": {name: record_schema(name) for name in RECORDS}}
