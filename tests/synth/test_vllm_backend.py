"""The vllm backend, where vLLM and a CUDA GPU are present; skipped with the reason elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from synth.backends import BackendOptions, create_backend
from synth.backends.base import GenerationRequest
from synth.backends.vllm_backend import vllm_available
from synth.drafts import draft_json_schema
from task_bank.errors import ConfigError
from task_bank.provenance import SamplingSettings
from task_bank.spec import Message

REASON = vllm_available()


@pytest.mark.skipif(REASON is None, reason="vLLM is available here; the unavailable path is not reachable")
def test_unavailable_vllm_is_a_config_error_with_the_reason() -> None:
    with pytest.raises(ConfigError, match="vllm backend is unavailable"):
        create_backend("vllm", BackendOptions(model="any"))


@pytest.mark.slow
@pytest.mark.skipif(REASON is not None, reason=f"vllm backend not testable here: {REASON}")
def test_structured_outputs_follow_the_draft_schema(tiny_model_dir: Path) -> None:
    from pydantic_core import from_json

    sampling = SamplingSettings(temperature=0.0, max_new_tokens=256, seed=0)
    backend = create_backend("vllm", BackendOptions(model=str(tiny_model_dir), sampling=sampling))
    req = GenerationRequest(key="k", messages=(Message(role="user", content="write a task"),),
                            json_schema=draft_json_schema())
    with backend:
        gen = backend.generate([req, req.model_copy(update={"key": "k2", "json_schema": None})])
    assert [g.key for g in gen] == ["k", "k2"]
    # A random tiny model may be cut off by max_new_tokens mid-string, so the reply is read as (possibly
    # partial) JSON: constrained decoding must still have produced an object holding only the schema's fields.
    reply = from_json(gen[0].text, allow_partial="trailing-strings")
    assert isinstance(reply, dict) and set(reply) <= set(draft_json_schema()["properties"])
