"""The transformers backend: a causal LM loaded with ``from_pretrained`` (local path or hub id), batched.

Prompts are rendered with the tokenizer's chat template (a plain ``role: content`` transcript when it has none),
with the request's ``tools`` when it offers some (a rollout in an environment),
left-padded and generated together, one ``generate`` call per batch. Sampling follows the recorded
:class:`task_bank.provenance.SamplingSettings` (temperature 0 means greedy). Seeding is per batch: torch is
seeded with the first request's seed (else the sampling seed) before each batch, so a batch replays exactly on
the same device. JSON-schema constraints are not enforced here; the draft parser validates every reply anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from synth.backends.base import (BackendOptions, Generation, GenerationRequest, GeneratorBackend,
                                 missing_local_path)
from task_bank.errors import BackendError, ConfigError
from task_bank.model_sources import resolve_model
from task_bank.provenance import SamplingSettings


class TransformersBackend(GeneratorBackend):
    """Local generation with a Hugging Face causal LM."""

    name = "transformers"
    renders_tools = True

    def __init__(self, model: str, *, sampling: SamplingSettings, batch_size: int = 8,
                 device: str | None = None, role: str = "model") -> None:
        super().__init__(model=model, sampling=sampling, batch_size=batch_size)
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self._torch = torch
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.bfloat16 if self.device.startswith("cuda") else torch.float32
        path = resolve_model(model, field=role)  # a .gguf file or packaged short name: its cached plain folder
        missing = missing_local_path(path)
        if missing is not None:
            raise BackendError(f"cannot load {role} '{model}': {missing} does not exist; pass an existing local "
                               "model folder or .gguf file, or a hub id that is cached")
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path)
            self.lm = AutoModelForCausalLM.from_pretrained(path, dtype=dtype).to(self.device)
        except (OSError, ValueError) as exc:
            raise BackendError(f"cannot load {role} '{model}': {' '.join(str(exc).split())}; pass a local model "
                               "folder or a hub id that is cached") from None
        self.lm.eval()
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token

    @classmethod
    def from_options(cls, options: BackendOptions) -> "TransformersBackend":
        if not options.model:
            raise ConfigError("the transformers backend needs --model PATH_OR_HUB_ID", field="model")
        return cls(options.model, sampling=options.sampling, batch_size=options.batch_size, device=options.device,
                   role=options.role)

    def _render(self, request: GenerationRequest) -> str:
        messages = [m.model_dump() for m in request.messages]
        if self.tokenizer.chat_template:
            return self.tokenizer.apply_chat_template(messages, tools=list(request.tools) or None, tokenize=False,
                                                      add_generation_prompt=True)
        return "".join(f"{m['role']}: {m['content']}\n" for m in messages) + "assistant: "

    def _generate_kwargs(self) -> dict[str, Any]:
        s = self.sampling
        kwargs: dict[str, Any] = {"max_new_tokens": s.max_new_tokens, "pad_token_id": self.tokenizer.pad_token_id}
        if s.temperature > 0:
            kwargs.update(do_sample=True, temperature=s.temperature, top_p=s.top_p)
        else:
            kwargs.update(do_sample=False)
        return kwargs

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        if not requests:
            return []
        torch = self._torch
        seed = requests[0].seed if requests[0].seed is not None else self.sampling.seed
        if seed is not None:
            torch.manual_seed(seed)
        texts = [self._render(r) for r in requests]
        batch = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.device)
        try:
            with torch.no_grad():
                out = self.lm.generate(**batch, **self._generate_kwargs())
        except RuntimeError as exc:
            raise BackendError(f"generation failed on {self.device}: {exc}") from None
        new = out[:, batch["input_ids"].shape[1]:]
        results = []
        for request, tokens in zip(requests, new):
            kept = tokens[tokens != self.tokenizer.pad_token_id]
            text = self.tokenizer.decode(kept, skip_special_tokens=True)
            results.append(Generation(key=request.key, text=text, prompt_tokens=int(batch["input_ids"].shape[1]),
                                      completion_tokens=int(kept.numel())))
        return results
