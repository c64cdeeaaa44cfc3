"""Shared fixtures: a tiny randomly initialised causal LM built locally (no weights are ever downloaded)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from trainer.tiny_model import build_tiny_model
from verifier.limits import draw_hash_seeds
from verifier.validation_config import DETERMINISM_RUNS_MAX

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # a local Ray instance binds 127.0.0.1 only


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a tiny randomly initialised Qwen2 causal LM + tokenizer, saved with ``save_pretrained``."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny-qwen2"))


def write_tiny_gguf(path: Path) -> Path:
    """Write a ~10k-parameter llama GGUF file (float32 tensors, byte-level BPE tokenizer, eos = pad = id 2
    ``<|im_end|>``, as in SmolLM2's file) with the ``gguf`` package."""
    import gguf
    import numpy as np
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    tokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", *bytes_to_unicode().values(), "Ġt", "he", "Ġthe"]
    dim, ff, heads, kv_dim = 16, 32, 2, 8
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_context_length(128)
    writer.add_embedding_length(dim)
    writer.add_block_count(2)
    writer.add_feed_forward_length(ff)
    writer.add_head_count(heads)
    writer.add_head_count_kv(1)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(len(tokens))
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("smollm")
    writer.add_token_list(tokens)
    writer.add_token_types([gguf.TokenType.CONTROL] * 3 + [gguf.TokenType.NORMAL] * (len(tokens) - 3))
    writer.add_token_merges(["Ġ t", "h e", "Ġt he"])
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_pad_token_id(2)
    writer.add_add_bos_token(False)
    writer.add_chat_template(
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
    rng = np.random.default_rng(0)
    shapes = {"token_embd.weight": (len(tokens), dim), "output_norm.weight": None}
    for i in range(2):
        shapes.update({f"blk.{i}.attn_norm.weight": None, f"blk.{i}.ffn_norm.weight": None,
                       f"blk.{i}.attn_q.weight": (dim, dim), f"blk.{i}.attn_k.weight": (kv_dim, dim),
                       f"blk.{i}.attn_v.weight": (kv_dim, dim), f"blk.{i}.attn_output.weight": (dim, dim),
                       f"blk.{i}.ffn_gate.weight": (ff, dim), f"blk.{i}.ffn_up.weight": (ff, dim),
                       f"blk.{i}.ffn_down.weight": (dim, ff)})
    for name, shape in shapes.items():  # norms are ones, matrices small random values
        writer.add_tensor(name, np.ones(dim, np.float32) if shape is None
                          else (rng.standard_normal(shape) * 0.1).astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.fixture(scope="session")
def tiny_gguf_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a tiny llama ``.gguf`` file written with the ``gguf`` package (see ``write_tiny_gguf``)."""
    return write_tiny_gguf(tmp_path_factory.mktemp("tiny-gguf") / "tiny-llama.gguf")


@dataclass(frozen=True)
class KnownSeeds:
    """A validator whose varied runs' hash seeds the test knows (it draws them from ``probe_rng()``), and a verifier
    expression true only outside them: in run 0 and in training. It stands for a verifier that can tell run 0 and
    training from a varied run (hash seed 0 once told it; no verifier can know validation's drawn seeds), so that
    the defences behind that one, the order and the twins of run 0, are tested on their own."""

    rng_seed: int
    varied_hashes: frozenset[int]

    def probe_rng(self) -> random.Random:
        return random.Random(self.rng_seed)

    @property
    def training_like(self) -> str:
        return f"hash('envsynth') not in {sorted(self.varied_hashes)!r}"


@pytest.fixture(scope="session")
def known_seeds() -> KnownSeeds:
    rng_seed = 20261203
    seeds = draw_hash_seeds(random.Random(rng_seed), DETERMINISM_RUNS_MAX)[1:]
    hashes = frozenset(int(subprocess.run([sys.executable, "-c", "print(hash('envsynth'))"], capture_output=True,
                                          text=True, check=True, env={"PYTHONHASHSEED": str(seed)}).stdout)
                       for seed in seeds)
    return KnownSeeds(rng_seed, hashes)


class SeeingPool:
    """A sandbox pool, passed through, that keeps what the decoys' check was asked (the last line of each text)."""

    def __init__(self, pool) -> None:
        self._pool = pool
        self.asked: list[str] = []

    def __getattr__(self, name):
        return getattr(self._pool, name)

    def score_batch(self, items, run_env=None):
        self.asked += [text.rsplit("\n", 1)[-1] for _, text in items]
        return self._pool.score_batch(items, run_env)


@pytest.fixture
def seeing_pool():
    """Wraps a sandbox pool in a :class:`SeeingPool`: a test reads which questions validation asked its checks."""
    return SeeingPool
