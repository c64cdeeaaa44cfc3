"""The command line every trainer shares: the same flags, read into a config the same way.

``python -m trainer.grpo`` and ``python -m trainer.opsd`` take ``--policy``, ``--bank``, ``--json``, ``--output``,
``--config``, ``--resume``, ``--set`` and ``--lora`` with one meaning, written here once (``--bank`` and ``--json``
come from :mod:`task_bank.cli_support`, as in every envsynth command). Each trainer adds its own shortcut flags, each
setting one config field, and the config is built in one order: defaults < ``--config`` file < plain flags <
``--set`` overrides (:func:`trainer.config_loader.load_config` validates and explains any fault).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

from task_bank.cli_support import add_bank_args, default_bank
from trainer.config_loader import C, load_config, parse_override


def add_run_args(parser: argparse.ArgumentParser, set_example: str) -> None:
    """The flags of every trainer; ``set_example`` shows a ``--set`` of that trainer's own config."""
    parser.add_argument("--policy", metavar="PATH_OR_ID",
                        help="local model directory or hub id of the policy to train (required)")
    add_bank_args(parser)
    parser.add_argument("--output", metavar="DIR",
                        help="directory for checkpoints, the final model and the plot (required)")
    parser.add_argument("--config", type=Path, metavar="FILE", help="TOML or YAML file with any of the settings (default: none)")
    parser.add_argument("--resume", nargs="?", const="auto", metavar="CKPT",
                        help="resume from CKPT, or (no value) from the newest checkpoint in --output "
                             "(default: start afresh)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                        help=f"override one config field (repeatable), e.g. --set {set_example} (default: none)")
    parser.add_argument("--lora", action="store_true", help="train LoRA adapters (peft) instead of every weight (default: off)")


def config_from_args(args: argparse.Namespace, schema: type[C], flags: Mapping[str, str],
                     switches: Mapping[str, tuple[str, object]] | None = None) -> C:
    """``args`` as a validated ``schema``: ``flags`` maps a flag's attribute to the field it sets when given;
    ``switches`` maps a flag's attribute to the (field, value) it sets when true (``--lora`` is one for every
    trainer)."""
    overrides: dict[str, object] = {name: str(getattr(args, name)) for name in ("policy", "bank", "output", "resume")
                                    if getattr(args, name) is not None}
    overrides.update({field: getattr(args, flag) for flag, field in flags.items() if getattr(args, flag) is not None})
    for flag, (field, value) in {"lora": ("lora.enabled", True), **(switches or {})}.items():
        if getattr(args, flag):
            overrides[field] = value
    overrides.update(parse_override(text) for text in args.overrides)
    return load_config(args.config, overrides, defaults={"bank": str(default_bank())}, schema=schema)
