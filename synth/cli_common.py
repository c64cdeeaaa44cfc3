"""Command-line pieces only the ``synth`` commands share: generator backend flags, sandbox flags, help layout.

The plumbing every envsynth command shares (``--bank``/``--json``, errors -> one line and an exit code, JSON out,
JSONL in) is :mod:`task_bank.cli_support`; this module adds what is particular to drafting and probing:

- :func:`add_backend_args` / :func:`generator_settings`: the backend flags, read into the same
  :class:`synth.backends.base.GeneratorSettings` a grow config's ``[generator]`` table is, so the two cannot drift.
  A bad value is a ConfigError that names the flag the user typed (``--temperature``), not the model field.
- :func:`add_sandbox_args` / :func:`open_sandbox`: ``--sandbox`` names the verifier's sandbox backend.
- :class:`HelpFormatter`: every option shows its default, and an epilog keeps its line breaks.
"""

from __future__ import annotations

import argparse
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from synth.backends import BACKEND_NAMES
from synth.backends.base import GeneratorSettings
from task_bank.cli_support import one_line
from task_bank.errors import ConfigError

if TYPE_CHECKING:
    from verifier.routing import ScoringPool

EXIT_CODES_EPILOG = ("exit codes: 0 done, 1 failed (a bug; ENVSYNTH_DEBUG=1 shows the traceback), 2 bad input or "
                     "option, 3 generator backend failed, 4 sandbox failed, 5 bank failed, 130 interrupted (Ctrl-C)")

_FIELDS = ("backend", "base_url", "api_key_env", "timeout_s", "retries", "batch_size", "temperature", "top_p",
           "max_new_tokens", "seed", "device")
_FLAG_OF_FIELD = {"timeout_s": "timeout"}


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """``--help`` that shows every option's default (unless its help already says it, or it is an on/off switch)
    and keeps the epilog's line breaks."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if ("default" in text or action.default is False or action.default is argparse.SUPPRESS
                or not action.option_strings or action.required or action.nargs == 0):
            return text
        return f"{text} (default: {'none' if action.default is None else '%(default)s'})"


def _flag(field: str, prefix: str) -> str:
    return f"--{prefix}{_FLAG_OF_FIELD.get(field, field).replace('_', '-')}"


def add_backend_args(parser: argparse.ArgumentParser | argparse._ArgumentGroup, *, prefix: str = "",
                     default_backend: str | None = None, what: str = "generator",
                     max_new_tokens: int = 1024) -> None:
    """Backend and sampling flags; ``prefix`` ('policy-') namespaces them for a second backend."""
    p = f"--{prefix}"
    d = GeneratorSettings()
    parser.add_argument(f"{p}backend", default=default_backend, metavar="NAME",
                        required=default_backend is None and not prefix,
                        help=f"{what} backend, one of: {', '.join(BACKEND_NAMES)}")
    parser.add_argument(f"{p}base-url", default=d.base_url, help=f"OpenAI-compatible endpoint ({what}, openai)")
    parser.add_argument(f"{p}api-key-env", default=d.api_key_env,
                        help="environment variable holding the endpoint's API key (openai)")
    parser.add_argument(f"{p}timeout", type=float, default=d.timeout_s, help="seconds per request (openai)")
    parser.add_argument(f"{p}retries", type=int, default=d.retries, help="retries per request (openai)")
    parser.add_argument(f"{p}batch-size", type=int, default=d.batch_size, help="requests per generate call")
    parser.add_argument(f"{p}temperature", type=float, default=d.temperature, help="sampling temperature; 0 is greedy")
    parser.add_argument(f"{p}top-p", type=float, default=d.top_p, help="nucleus sampling mass")
    parser.add_argument(f"{p}max-new-tokens", type=int, default=max_new_tokens, help="tokens per reply at most")
    parser.add_argument(f"{p}seed", type=int, default=d.seed, help="sampling seed")
    parser.add_argument(f"{p}device", default=None,
                        help="torch device for transformers (default: cuda when present, else cpu)")


def generator_settings(args: argparse.Namespace, *, model: str | None, drafts: Path | None,
                       prefix: str = "") -> GeneratorSettings:
    """The :class:`GeneratorSettings` the flags of ``prefix`` ask for; ConfigError names the bad flag."""
    dest = prefix.replace("-", "_")
    values = {field: vars(args)[dest + _FLAG_OF_FIELD.get(field, field)] for field in _FIELDS}
    try:
        return GeneratorSettings(model=model, drafts=drafts, **values)
    except ValidationError as exc:
        flags = {field: _flag(field, prefix) for field in _FIELDS}
        raise ConfigError(f"bad option: {one_line(exc, flags=flags)}") from None


def add_sandbox_args(parser: argparse.ArgumentParser) -> None:
    """``--sandbox NAME`` and ``--sandbox-workers N``."""
    parser.add_argument("--sandbox", default="bwrap", help="sandbox backend: bwrap, docker, unsafe-local")
    parser.add_argument("--sandbox-workers", type=int, default=2, help="sandbox worker processes")


def open_sandbox(args: argparse.Namespace) -> AbstractContextManager["ScoringPool"]:
    """The verifier pool named by ``--sandbox`` (imported here so ``--dry-run`` never needs the sandbox); a verifier
    that runs the response as code gets one process per response (:mod:`verifier.routing`)."""
    from verifier.routing import open_scoring_pool

    if args.sandbox_workers < 1:
        raise ConfigError(f"must be at least 1, got {args.sandbox_workers}", field="--sandbox-workers")
    return open_scoring_pool(backend=args.sandbox, workers=args.sandbox_workers)
