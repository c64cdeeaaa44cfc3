"""A tiny randomly initialised policy, for trying every command on any machine: ``python -m trainer.tiny_model DIR``.

Why: the README shows the trainers' and the generator's output on "the tiny model the tests build", and a reader
should be able to make that exact model and run the exact commands without downloading anything. It is a Qwen2 causal
LM of about 31,500 parameters (hidden size 32, two layers) with a byte-level BPE tokenizer of 400 tokens trained
from a small built-in corpus, saved with ``save_pretrained`` as an ordinary model folder. Its weights are drawn
from seed 0, so two builds on one machine are the same model. It writes noise: only the plumbing is real.

``--tool-calls`` gives its tokenizer TRL's Qwen2.5 chat template, which renders tool calls (``trainer.grpo
--environments`` needs one; the tests' ``tool_capable`` copy). The test suite builds its models here
(``tests/conftest.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from task_bank.cli_support import emit_json, run_command
from task_bank.errors import ConfigError

CORPUS = [
    "def verify(response: str) -> float:\n    return 1.0 if response.strip() == '42' else 0.0\n",
    "What is 17 km plus 250 m in metres? Answer with a number only.",
    "Return the date three days after 2024-02-27 in ISO format.",
    '{"prompt": "Format the name", "verify": "def verify(r): return 0.0", "reference": "x"}',
    "The quick brown fox jumps over the lazy dog. 0123456789 ()[]{}<>:;,.!?'\"+-*/=_\n\t",
    "user assistant system You are a helpful assistant. Think step by step.",
]
"""What the tokenizer's merges are learnt from (20 times over)."""
VOCAB_SIZE = 400
PLAIN_TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
                  "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def build_tiny_model(path: Path, *, tool_calls: bool = False) -> Path:
    """Save the tiny model and its tokenizer under ``path`` (created; its files overwritten); returns ``path``."""
    import torch
    from transformers import AutoModelForCausalLM, Qwen2Config

    tokenizer = _seed_tokenizer().train_new_from_iterator(CORPUS * 20, vocab_size=VOCAB_SIZE, show_progress=False)
    tokenizer.chat_template = tool_template() if tool_calls else PLAIN_TEMPLATE
    config = Qwen2Config(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=2048, tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def tool_template() -> str:
    """TRL's Qwen2.5 chat template, which renders tool calls and their results."""
    return resources.files("trl").joinpath("chat_templates/qwen2_5.jinja").read_text(encoding="utf-8")


def _seed_tokenizer() -> Any:
    """A minimal Qwen2 tokenizer from an in-memory byte vocabulary: only the template that is retrained."""
    from transformers import Qwen2Tokenizer
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    with tempfile.TemporaryDirectory(prefix="envsynth-seedtok-") as folder:
        vocab, merges = Path(folder) / "vocab.json", Path(folder) / "merges.txt"
        vocab.write_text(json.dumps({ch: i for i, ch in enumerate(bytes_to_unicode().values())}), encoding="utf-8")
        merges.write_text("#version: 0.2\n", encoding="utf-8")
        tokenizer = Qwen2Tokenizer(vocab_file=str(vocab), merges_file=str(merges), unk_token=None, bos_token=None,
                                   eos_token="<|im_end|>", pad_token="<|endoftext|>")
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    return tokenizer


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m trainer.tiny_model",
        description="Build the tiny randomly initialised Qwen2 policy (about 31,500 parameters) the README's examples "
                    "and the tests use, as an ordinary model folder. Offline; a few seconds on a CPU.")
    parser.add_argument("output", type=Path, metavar="DIR",
                        help="folder to write the model and tokenizer to (created; must be empty or new)")
    parser.add_argument("--tool-calls", action="store_true",
                        help="give the tokenizer TRL's Qwen2.5 chat template, which renders tool calls, as "
                             "'trainer.grpo --environments' needs (default: a plain chat template)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a line (default: off)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: _main(args))


def _main(args: argparse.Namespace) -> int:
    output: Path = args.output
    if output.exists() and not output.is_dir():
        raise ConfigError(f"{output} is a file, not a folder")
    if output.is_dir() and any(output.iterdir()):
        raise ConfigError(f"{output} is not empty: give a new or empty folder (nothing in it was changed)")
    build_tiny_model(output, tool_calls=args.tool_calls)
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(output)
    parameters = _parameters(output)
    summary = {"output": str(output), "model_type": config.model_type, "parameters": parameters,
               "tool_calls": args.tool_calls}
    if args.json:
        emit_json(summary)
    else:
        template = "TRL's Qwen2.5 chat template (tool calls)" if args.tool_calls else "a plain chat template"
        print(f"tiny {config.model_type} model, {parameters:,} parameters, {template} -> {output}")
    return 0


def _parameters(folder: Path) -> int:
    from safetensors import safe_open

    with safe_open(str(folder / "model.safetensors"), framework="pt") as weights:
        return sum(_count(weights.get_slice(name).get_shape()) for name in weights.keys())


def _count(shape: Sequence[int]) -> int:
    total = 1
    for size in shape:
        total *= size
    return total


if __name__ == "__main__":
    sys.exit(main())
