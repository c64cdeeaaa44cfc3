"""The transformers generator backend loads a .gguf file (converted once into a cached folder) like any model."""

from __future__ import annotations

from pathlib import Path

import pytest

from synth.backends.base import GenerationRequest
from synth.backends.transformers_backend import TransformersBackend
from task_bank.errors import ConfigError
from task_bank.provenance import SamplingSettings
from task_bank.spec import Message

GREEDY = SamplingSettings(temperature=0.0, max_new_tokens=4, seed=0)


def test_a_gguf_file_is_a_model_the_backend_generates_with(tiny_gguf_file: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVSYNTH_CACHE", str(tmp_path))
    backend = TransformersBackend(str(tiny_gguf_file), sampling=GREEDY, device="cpu")
    out = backend.generate([GenerationRequest(key="k", messages=(Message(role="user", content="the"),))])
    assert out[0].error is None and out[0].completion_tokens >= 1
    assert backend.model == str(tiny_gguf_file)  # provenance names what the user passed, not the cache folder
    assert list((tmp_path / "models").iterdir())


def test_a_missing_gguf_file_is_a_config_error_not_a_backend_failure(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GGUF file not found"):
        TransformersBackend(str(tmp_path / "missing.gguf"), sampling=GREEDY, device="cpu")
