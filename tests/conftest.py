"""Shared fixtures: a tiny randomly initialised causal LM built locally (no weights are ever downloaded)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # a local Ray instance binds 127.0.0.1 only

_CORPUS = [
    "def verify(response: str) -> float:\n    return 1.0 if response.strip() == '42' else 0.0\n",
    "What is 17 km plus 250 m in metres? Answer with a number only.",
    "Return the date three days after 2024-02-27 in ISO format.",
    '{"prompt": "Format the name", "verify": "def verify(r): return 0.0", "reference": "x"}',
    "The quick brown fox jumps over the lazy dog. 0123456789 ()[]{}<>:;,.!?'\"+-*/=_\n\t",
    "user assistant system You are a helpful assistant. Think step by step.",
]


def build_tiny_model(path: Path) -> Path:
    """Save a ~100k-parameter Qwen2 model with a freshly trained byte-level BPE tokenizer under ``path``."""
    from transformers import AutoModelForCausalLM, Qwen2Config

    seed_tok = _seed_tokenizer()
    tok = seed_tok.train_new_from_iterator(_CORPUS * 20, vocab_size=400)
    tok.chat_template = (
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
    config = Qwen2Config(
        vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=2048, tie_word_embeddings=True,
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    import torch
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def _seed_tokenizer():
    """A minimal Qwen2 tokenizer built from an in-memory vocabulary, used only as the template to retrain."""
    import json
    import tempfile

    from transformers import Qwen2Tokenizer

    tmp = Path(tempfile.mkdtemp(prefix="envsynth-seedtok-"))
    from transformers.convert_slow_tokenizer import bytes_to_unicode
    vocab = {ch: i for i, ch in enumerate(bytes_to_unicode().values())}
    (tmp / "vocab.json").write_text(json.dumps(vocab))
    (tmp / "merges.txt").write_text("#version: 0.2\n")
    tok = Qwen2Tokenizer(vocab_file=str(tmp / "vocab.json"), merges_file=str(tmp / "merges.txt"),
                         unk_token=None, bos_token=None, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    tok.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    return tok


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
