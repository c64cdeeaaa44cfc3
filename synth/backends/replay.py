"""The replay backend: generator replies recorded earlier, looked up by request key. No model, fully offline.

A drafts file is JSONL, one recorded reply per line: ``{"key": "<group id>/d<slot>/r<round>", "text": "..."}``
(extra fields such as ``note`` are documentation and ignored). Keys are the pipeline's stable request keys, so
the same failures always map to the same replies. A request with no recording yields a :class:`Generation`
with ``error`` set (the drafting loop records it as ``no_output``), not an exception: a partial recording still runs.
Token counts are whitespace-separated words, an estimate good enough for token budgets in demos and tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from synth.backends.base import BackendOptions, Generation, GenerationRequest, GeneratorBackend
from task_bank.lines import BadLine, read_jsonl
from task_bank.errors import ConfigError, InputError
from task_bank.provenance import SamplingSettings


class Recording(BaseModel):
    """One line of a drafts file (other fields, such as ``note``, are documentation and ignored)."""

    model_config = ConfigDict(frozen=True, extra="ignore", strict=True)

    key: str
    """The request key the reply answers."""
    text: str
    """The recorded reply."""


def load_recordings(path: Path) -> dict[str, str]:
    """Key -> recorded text; InputError names the line and field of anything malformed or repeated."""
    if not path.is_file():
        raise InputError("drafts file not found; check the --drafts path", path=str(path))
    recordings: dict[str, str] = {}
    for item in read_jsonl(path, Recording, what="a recorded draft {key, text}"):
        if isinstance(item, BadLine):
            column = f" (column {item.column})" if item.column is not None else ""
            raise InputError(item.message + column, path=item.path, line=item.line, field=item.field)
        if item.value.key in recordings:
            raise InputError(f"key '{item.value.key}' is recorded twice", path=item.path, line=item.line,
                             field="key")
        recordings[item.value.key] = item.value.text
    return recordings


class ReplayBackend(GeneratorBackend):
    """Answers each request with the reply recorded under its key."""

    name = "replay"
    renders_tools = True  # a recording answers by key: the tools a request offers changed nothing

    def __init__(self, recordings: dict[str, str], *, model: str, sampling: SamplingSettings,
                 batch_size: int = 8) -> None:
        super().__init__(model=model, sampling=sampling, batch_size=batch_size)
        self._recordings = recordings

    @classmethod
    def from_options(cls, options: BackendOptions) -> "ReplayBackend":
        if options.drafts is None:
            raise ConfigError("the replay backend needs recorded drafts: pass --drafts FILE", field="drafts")
        return cls(load_recordings(options.drafts), model=options.model or f"replay:{options.drafts.name}",
                   sampling=options.sampling, batch_size=options.batch_size)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        out = []
        for r in requests:
            text = self._recordings.get(r.key)
            if text is None:
                out.append(Generation(key=r.key, text=None, error=f"no recorded draft for key '{r.key}'"))
            else:
                out.append(Generation(key=r.key, text=text, completion_tokens=len(text.split())))
        return out
