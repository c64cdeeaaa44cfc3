"""Command-line plumbing shared by ``synth.generate`` and ``synth.probe``: options, the sandbox, exit codes.

Every bank-touching command takes ``--bank PATH`` (default ``$ENVSYNTH_BANK``, else ``./task_bank.db``) and
``--json``. Errors end the command with one line on stderr and a non-zero code, never a traceback:
2 bad input or configuration, 3 generator backend failure, 4 sandbox failure, 5 bank failure, 1 anything else
(``ENVSYNTH_DEBUG=1`` re-raises it with its traceback), 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from synth.backends import BACKEND_NAMES, BackendOptions
from task_bank.errors import BackendError, BankError, EnvsynthError, InputError, SandboxError
from task_bank.exit_codes import EXIT_FAILED, exit_code
from task_bank.provenance import SamplingSettings


def one_line(exc: ValueError) -> str:
    """A pydantic ValidationError (or any ValueError) as one line: 'field: problem; field: problem'."""
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors())
    return str(exc)


def default_bank() -> Path:
    """``$ENVSYNTH_BANK``, else ``./task_bank.db``."""
    return Path(os.environ.get("ENVSYNTH_BANK") or "task_bank.db")


def add_bank_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bank", type=Path, default=None,
                        help="task bank file (default: $ENVSYNTH_BANK, else ./task_bank.db)")
    parser.add_argument("--json", action="store_true", help="print a machine-readable JSON summary on stdout")


def add_backend_args(parser: argparse.ArgumentParser, *, prefix: str = "", default_backend: str | None = None,
                     what: str = "generator") -> None:
    """Backend and sampling options; ``prefix`` ('policy-') namespaces them for a second backend."""
    p = f"--{prefix}"
    parser.add_argument(f"{p}backend", default=default_backend, required=default_backend is None and not prefix,
                        help=f"{what} backend: {', '.join(BACKEND_NAMES)}")
    parser.add_argument(f"{p}base-url", default="http://127.0.0.1:8000/v1", help="OpenAI-compatible endpoint")
    parser.add_argument(f"{p}api-key-env", default="OPENAI_API_KEY",
                        help="environment variable holding the endpoint's API key")
    parser.add_argument(f"{p}timeout", type=float, default=60.0, help="seconds per request (openai)")
    parser.add_argument(f"{p}retries", type=int, default=2, help="retries per request (openai)")
    parser.add_argument(f"{p}batch-size", type=int, default=8, help="requests per generate call")
    parser.add_argument(f"{p}temperature", type=float, default=0.7)
    parser.add_argument(f"{p}top-p", type=float, default=1.0)
    parser.add_argument(f"{p}max-new-tokens", type=int, default=1024)
    parser.add_argument(f"{p}seed", type=int, default=0)
    parser.add_argument(f"{p}device", default=None, help="torch device for transformers (default: cuda if present)")


def backend_options(args: argparse.Namespace, *, model: str | None, prefix: str = "",
                    drafts: Path | None = None, structured: bool = True) -> BackendOptions:
    """BackendOptions from parsed args (``prefix`` 'policy_' for the policy backend)."""
    def get(name: str) -> Any:
        return vars(args)[prefix + name]
    try:
        sampling = SamplingSettings(temperature=get("temperature"), top_p=get("top_p"),
                                    max_new_tokens=get("max_new_tokens"), seed=get("seed"))
        return BackendOptions(model=model, sampling=sampling, batch_size=get("batch_size"), drafts=drafts,
                              base_url=get("base_url"), api_key=os.environ.get(get("api_key_env")),
                              timeout_s=get("timeout"), retries=get("retries"), structured=structured,
                              device=get("device"))
    except ValueError as exc:
        raise InputError(f"bad {prefix.rstrip('_') or 'backend'} option: {one_line(exc)}") from None


def add_sandbox_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sandbox", default="bwrap", help="sandbox backend: bwrap (default), docker, unsafe-local")
    parser.add_argument("--sandbox-workers", type=int, default=2, help="sandbox worker processes")


def open_sandbox(args: argparse.Namespace) -> AbstractContextManager[Any]:
    """The verifier pool named by ``--sandbox`` (imported here so ``--dry-run`` never needs the sandbox)."""
    from verifier.pool import open_pool
    return open_pool(backend=args.sandbox, workers=args.sandbox_workers)


_LABELS = ((BackendError, "generator backend failed: "), (SandboxError, "sandbox failed: "), (BankError, "bank: "))


def run_command(body: Callable[[], int]) -> int:
    """Run ``body`` and map envsynth errors to one stderr line and the shared exit code (task_bank.exit_codes)."""
    try:
        return body()
    except (EnvsynthError, KeyboardInterrupt) as exc:
        label = next((text for kind, text in _LABELS if isinstance(exc, kind)), "")
        print(f"error: {label}{str(exc) or 'interrupted'}", file=sys.stderr)
        return exit_code(exc)
    except Exception as exc:  # the promise is one line, never a traceback; ENVSYNTH_DEBUG=1 shows it
        if os.environ.get("ENVSYNTH_DEBUG"):
            raise
        print(f"error: internal error {type(exc).__name__}: {exc} (set ENVSYNTH_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return EXIT_FAILED
