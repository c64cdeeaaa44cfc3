"""``python -m task_bank serve``: the web view's command line.

``task_bank/cli.py`` imports :func:`add_serve_parser` lazily and adds the ``serve`` subcommand with it, so the
web stack (FastAPI, uvicorn) is only imported by people who serve; the bank CLI calls ``args.handler(args,
console)`` like every other subcommand, and turns a :class:`ConfigError` (refused bind, missing bank) into a
message and exit status 2. The access token is read from an environment
variable (``--token-env``, default ``ENVSYNTH_WEB_TOKEN``), never from the command line, where ``ps`` would show it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console

from task_bank.errors import ConfigError
from task_bank.web.security import check_bind

DEFAULT_TOKEN_ENV = "ENVSYNTH_WEB_TOKEN"


def add_serve_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``serve`` on a subparsers object; the parsed namespace's ``handler(args, console)`` runs it."""
    parser = subparsers.add_parser(
        "serve", help="serve the web view of a bank",
        description="Serve a read-only web view of the bank (curation needs an access token in the environment).")
    parser.add_argument("--bank", metavar="PATH", default=None,
                        help="bank file (default: $ENVSYNTH_BANK, else ./task_bank.db)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1; any other needs the access token configured)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--token-env", default=DEFAULT_TOKEN_ENV, metavar="NAME",
                        help=f"environment variable holding the access token that enables curation "
                             f"(default {DEFAULT_TOKEN_ENV})")
    parser.set_defaults(handler=run_serve)
    return parser


def resolve_token(token_env: str) -> str | None:
    """The token from the named environment variable; empty or unset means read-only."""
    value = os.environ.get(token_env, "").strip()
    return value or None


def run_serve(args: argparse.Namespace, console: Console) -> int:
    """Check the bind rule and the bank, then serve until interrupted; ConfigError on a refused setting."""
    token = resolve_token(args.token_env)
    check_bind(args.host, token)
    bank_path = Path(args.bank or os.environ.get("ENVSYNTH_BANK") or "task_bank.db")
    if not bank_path.is_file():
        raise ConfigError(f"no bank at {bank_path}; pass --bank PATH (or set ENVSYNTH_BANK) to an existing bank",
                          field="--bank")
    import uvicorn

    from task_bank.web.app import create_app

    app = create_app(bank_path, token=token)
    mode = "curation enabled" if token else "read-only"
    console.print(f"envsynth web view of {bank_path} ({mode}) on http://{args.host}:{args.port}/", markup=False,
                  highlight=False)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", server_header=False, proxy_headers=False)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Standalone entry (``python -m task_bank.web.cli``), for when the bank CLI is not at hand."""
    parser = argparse.ArgumentParser(prog="task_bank.web")
    add_serve_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args, Console()))
    except ConfigError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
