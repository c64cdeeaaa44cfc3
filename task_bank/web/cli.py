"""``python -m task_bank serve``: the web view's command line.

``task_bank/cli.py`` imports :func:`add_serve_parser` lazily and adds the ``serve`` subcommand with it, so the
web stack (FastAPI, uvicorn) is only imported by people who serve; the bank CLI calls ``args.handler(args,
console)`` like every other subcommand, and turns a :class:`ConfigError` (refused bind, missing bank, a port
another process holds) into one line and exit status 2, before any URL is printed. The access token is read from an environment
variable (``--token-env``, default ``ENVSYNTH_WEB_TOKEN``), never from the command line, where ``ps`` would show it.
"""

from __future__ import annotations

import argparse
import os
import socket

from rich.console import Console

from task_bank.cli_support import add_bank_args, bank_path, run_command, text_console
from task_bank.errors import ConfigError
from task_bank.web.security import check_bind

DEFAULT_TOKEN_ENV = "ENVSYNTH_WEB_TOKEN"


def _port(value: str) -> int:
    """A TCP port for ``--port``, else a one-line usage error (99999 ended in an internal OverflowError)."""
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port: use 0-65535")
    return port


def add_serve_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``serve`` on a subparsers object; the parsed namespace's ``handler(args, console)`` runs it."""
    parser = subparsers.add_parser(
        "serve", help="serve the web view of a bank",
        description="Serve a read-only web view of the bank (curation needs an access token in the environment).")
    add_bank_args(parser)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1; any other needs the access token configured)")
    parser.add_argument("--port", type=_port, default=8000, help="port, 0-65535 (default 8000; 0 picks a free one)")
    parser.add_argument("--token-env", default=DEFAULT_TOKEN_ENV, metavar="NAME",
                        help=f"environment variable holding the access token that enables curation "
                             f"(default {DEFAULT_TOKEN_ENV})")
    parser.set_defaults(handler=run_serve)
    return parser


def resolve_token(token_env: str) -> str | None:
    """The token from the named environment variable; empty or unset means read-only."""
    value = os.environ.get(token_env, "").strip()
    return value or None


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; ConfigError naming ``--port`` when the address is taken or refused.

    The socket is bound here, before anything is printed, and handed to uvicorn, so a busy port is one line and
    never a URL that does not answer followed by uvicorn's own error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror}); another process may hold the port: "
                          f"pass a free --port", field="--port") from None
    return sock


def run_serve(args: argparse.Namespace, console: Console) -> int:
    """Check the bind rule, the bank and the port, then serve until interrupted; ConfigError on a refused setting."""
    token = resolve_token(args.token_env)
    check_bind(args.host, token)
    path = bank_path(args.bank)
    if not path.is_file():
        raise ConfigError(f"no bank at {path}; pass --bank PATH (or set ENVSYNTH_BANK) to an existing bank",
                          field="--bank")
    sock = listen(args.host, args.port)
    import uvicorn

    from task_bank.web.app import create_app

    app = create_app(path, token=token)
    mode = "curation enabled" if token else "read-only"
    port = sock.getsockname()[1]
    console.print(f"envsynth web view of {path} ({mode}) on http://{args.host}:{port}/", markup=False,
                  highlight=False)
    server = uvicorn.Server(uvicorn.Config(app, log_level="info", server_header=False, proxy_headers=False))
    server.run(sockets=[sock])
    return 0


def main(argv: list[str] | None = None) -> int:
    """Standalone entry (``python -m task_bank.web.cli``), for when the bank CLI is not at hand."""
    parser = argparse.ArgumentParser(prog="task_bank.web")
    add_serve_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return run_command(lambda: int(args.handler(args, text_console())))


if __name__ == "__main__":
    raise SystemExit(main())
