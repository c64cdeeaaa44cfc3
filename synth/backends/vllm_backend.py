"""The vllm backend: vLLM's offline ``LLM`` engine with JSON-schema structured outputs (optional GPU extra).

vLLM is imported only when this backend is built (``pip install 'envsynth[vllm]'``, GPU required); without it
the backend raises :class:`task_bank.errors.ConfigError` saying so. Constrained decoding uses
``SamplingParams(structured_outputs=StructuredOutputsParams(json=schema))`` (the old ``guided_*`` fields are
silently ignored by current vLLM). Constrained output is shape, not validity: the draft parser re-validates.
One ``LLM.chat`` call per batch, with one ``SamplingParams`` per request (schema or none), order kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from synth.backends.base import (BackendOptions, Generation, GenerationRequest, GeneratorBackend,
                                 missing_local_path)
from task_bank.errors import BackendError, ConfigError
from task_bank.provenance import SamplingSettings


def vllm_available() -> str | None:
    """None when vLLM and a CUDA GPU are usable here, else the reason they are not."""
    try:
        import vllm  # noqa: F401
    except ImportError:
        return "vLLM is not installed (pip install 'envsynth[vllm]')"
    import torch
    if not torch.cuda.is_available():
        return "no CUDA GPU is visible"
    return None


class VllmBackend(GeneratorBackend):
    """Offline batched generation with vLLM."""

    name = "vllm"

    def __init__(self, model: str, *, sampling: SamplingSettings, batch_size: int = 64,
                 engine_args: dict[str, Any] | None = None, role: str = "model") -> None:
        super().__init__(model=model, sampling=sampling, batch_size=batch_size)
        reason = vllm_available()
        if reason is not None:
            raise ConfigError(f"the vllm backend is unavailable: {reason}; use --backend transformers or openai",
                              field="backend")
        missing = missing_local_path(model)
        if missing is not None:
            raise BackendError(f"cannot load {role} '{model}': {missing} does not exist; pass an existing local "
                               "model folder or a hub id")
        from vllm import LLM
        try:
            self.llm = LLM(model=model, seed=sampling.seed or 0, **(engine_args or {}))
        except (OSError, ValueError, RuntimeError) as exc:
            raise BackendError(f"vLLM cannot load {role} '{model}': {' '.join(str(exc).split())}") from None

    @classmethod
    def from_options(cls, options: BackendOptions) -> "VllmBackend":
        if not options.model:
            raise ConfigError("the vllm backend needs --model PATH_OR_HUB_ID", field="model")
        return cls(options.model, sampling=options.sampling, batch_size=options.batch_size, role=options.role)

    def _params(self, request: GenerationRequest) -> Any:
        from vllm import SamplingParams
        from vllm.sampling_params import StructuredOutputsParams
        s = self.sampling
        structured = StructuredOutputsParams(json=request.json_schema) if request.json_schema else None
        seed = request.seed if request.seed is not None else s.seed
        return SamplingParams(temperature=s.temperature, top_p=s.top_p, max_tokens=s.max_new_tokens, seed=seed,
                              structured_outputs=structured)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        if not requests:
            return []
        conversations = [[m.model_dump() for m in r.messages] for r in requests]
        params = [self._params(r) for r in requests]
        try:
            outputs = self.llm.chat(conversations, sampling_params=params, use_tqdm=False)
        except (RuntimeError, ValueError) as exc:
            raise BackendError(f"vLLM generation failed: {exc}") from None
        results = []
        for request, out in zip(requests, outputs):
            completion = out.outputs[0]
            results.append(Generation(key=request.key, text=completion.text,
                                      prompt_tokens=len(out.prompt_token_ids or ()),
                                      completion_tokens=len(completion.token_ids)))
        return results

    def close(self) -> None:
        del self.llm
