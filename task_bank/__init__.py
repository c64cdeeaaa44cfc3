"""task_bank: the data model every envsynth layer speaks, and the SQLite store that holds a whole bank.

This package imports no other envsynth package.
"""

from task_bank.errors import (BankError, ConfigError, EnvsynthError, InputError, NotFoundError,
                              SchemaVersionError)
from task_bank.failure import FailureRecord, FailureSignal, SignalKind
from task_bank.provenance import Provenance, SamplingSettings, utcnow
from task_bank.records import (CurationAction, DuplicateKind, GrowthRun, RunOutcome, TaskRecord, TaskSplit,
                               TaskStatus, TrainingStat)
from task_bank.spec import SCHEMA_VERSION, Message, TaskSpec, content_hash, derive_task_id
from task_bank.validation import CheckResult, Outcome, ScoreResult, ValidationReport

__all__ = [
    "BankError", "CheckResult", "ConfigError", "CurationAction", "DuplicateKind", "EnvsynthError", "FailureRecord",
    "FailureSignal", "GrowthRun", "InputError", "Message", "NotFoundError", "Outcome", "Provenance",
    "RunOutcome", "SCHEMA_VERSION", "SamplingSettings", "SchemaVersionError", "ScoreResult", "SignalKind",
    "TaskRecord", "TaskSpec", "TaskSplit", "TaskStatus", "TrainingStat", "ValidationReport", "content_hash", "derive_task_id",
    "utcnow",
]
