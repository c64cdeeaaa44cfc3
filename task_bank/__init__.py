"""task_bank: the data model every envsynth layer speaks, and the SQLite store that holds a whole bank.

This package imports no other envsynth package.
"""

from task_bank.errors import (BankError, ConfigError, EnvsynthError, InputError, NotFoundError,
                              SchemaVersionError)
from task_bank.failure import FailureRecord, FailureSignal, SignalKind
from task_bank.provenance import Provenance, SamplingSettings, utcnow
from task_bank.records import (ONCE_ADMITTED, CurationAction, CurationKind, DuplicateKind, GrowthRun, RunKind,
                               RunOutcome, StatSource, TaskRecord, TaskSplit, TaskStatus, TrainingStat)
from task_bank.spec import SCHEMA_VERSION, Message, TaskLine, TaskSpec, content_hash, derive_task_id
from task_bank.validation import CheckResult, Outcome, Phase, Reason, ScoreResult, ValidationReport

__all__ = [
    "BankError", "CheckResult", "ConfigError", "CurationAction", "CurationKind", "DuplicateKind", "EnvsynthError",
    "FailureRecord", "FailureSignal", "GrowthRun", "InputError", "Message", "NotFoundError", "ONCE_ADMITTED",
    "Outcome", "Phase", "Provenance", "Reason", "RunKind", "RunOutcome", "SCHEMA_VERSION", "SamplingSettings",
    "SchemaVersionError", "ScoreResult", "SignalKind", "StatSource", "TaskLine", "TaskRecord", "TaskSpec", "TaskSplit",
    "TaskStatus", "TrainingStat", "ValidationReport", "content_hash", "derive_task_id", "utcnow",
]
