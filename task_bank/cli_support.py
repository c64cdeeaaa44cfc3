"""Command-line plumbing every envsynth command shares: the bank path, errors and exit codes, JSON out, JSONL in.

One helper per piece of plumbing, so that ``python -m task_bank``, ``python -m verifier``, ``python -m trainer.grpo``
and the ``synth`` commands cannot drift apart:

- :func:`default_bank` / :func:`add_bank_args`: ``--bank PATH`` (default ``$ENVSYNTH_BANK``, else
  ``./task_bank.db``; an empty variable counts as unset) and ``--json``; :func:`existing_bank` for a command that
  only reads (a missing file is bad input), :func:`bank_for_writing` for one that writes (a failed run leaves no
  new empty bank behind).
- :func:`run_command`: an :class:`~task_bank.errors.EnvsynthError` or Ctrl-C ends the command with ONE ``error:``
  line on stderr and the shared exit code (:mod:`task_bank.exit_codes`); anything else is one line and exit 1
  (``ENVSYNTH_DEBUG=1`` re-raises it with its traceback).
- :func:`one_line`: a pydantic ValidationError as one line naming the field, or the command-line flag that set it.
- :func:`emit_json`: one JSON document on stdout that never crashes on text that is not valid Unicode.
- :func:`print_import_report`: what ``python -m task_bank import`` and ``python -m verifier import`` print after
  an import, in one shape.
- :func:`whole_number`, :func:`text_console`, :func:`yes_no`: counts in range, and output that never reads data as
  markup.

The one JSONL reader lives in :mod:`task_bank.lines`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rich.console import Console
from rich.segment import Segment
from rich.text import Text

from task_bank.errors import BackendError, BankError, EnvsynthError, InputError, SandboxError
from task_bank.exit_codes import EXIT_FAILED, exit_code
from task_bank.jsonl import ImportReport
from task_bank.safe_text import escape_controls
from task_bank.store import Bank

DEFAULT_BANK = "task_bank.db"
EXIT_BROKEN_PIPE = 141
"""What a Unix tool ends with when its reader went away (``| head``): 128 + SIGPIPE."""


def default_bank() -> Path:
    """``$ENVSYNTH_BANK``, else ``./task_bank.db`` (an empty variable counts as unset)."""
    return Path(os.environ.get("ENVSYNTH_BANK") or DEFAULT_BANK)


def bank_path(value: str | Path | None) -> Path:
    """The bank a command opens: ``--bank`` when given, else :func:`default_bank`."""
    return Path(value) if value else default_bank()


def existing_bank(value: str | Path | None) -> Path:
    """The bank for a command that only reads: a missing file is bad input, not a new empty bank (a typo in
    ``--bank`` would otherwise show an empty bank and leave a stray file behind)."""
    path = bank_path(value)
    if not path.exists():
        raise InputError("no bank file here; give --bank PATH or set $ENVSYNTH_BANK (import or synth.generate "
                         "creates one)", path=str(path), field="bank")
    if path.is_file() and path.stat().st_size == 0:  # opening it would write a bank's schema into it
        raise InputError("an empty file, not a bank; give --bank PATH of a bank (import or synth.generate "
                         "creates one)", path=str(path), field="bank")
    return path


def missing_file(path: Path) -> str:
    """Why ``path`` is not a file to read: absent, or something else (a directory once read "no such file")."""
    return "a directory, not a file" if path.is_dir() else "no such file" if not path.exists() else "not a file"


def add_bank_args(parser: argparse.ArgumentParser) -> None:
    """``--bank PATH`` and ``--json``, worded the same in every command."""
    parser.add_argument("--bank", type=Path, default=None, metavar="PATH",
                        help=f"task bank file (default: $ENVSYNTH_BANK, else ./{DEFAULT_BANK})")
    parser.add_argument("--json", action="store_true",
                        help="print machine-readable JSON on stdout, logs on stderr (default: a human table)")


def one_line(exc: ValueError, *, flags: Mapping[str, str] | None = None) -> str:
    """A pydantic ValidationError (or any ValueError) as one line: ``field: problem; field: problem``.

    ``flags`` maps a model field name to the command-line flag that set it, so that the user reads ``--band-low``,
    the name they typed, rather than the model's ``low``.
    """
    if not isinstance(exc, ValidationError):
        return " ".join(str(exc).split())
    names = flags or {}
    parts = []
    for error in exc.errors():
        dotted = ".".join(str(p) for p in error["loc"])
        leaf = str(error["loc"][-1]) if error["loc"] else ""
        field = names.get(dotted) or names.get(leaf) or dotted or "value"
        parts.append(f"{field}: {str(error['msg']).removeprefix('Value error, ')}")
    return "; ".join(parts)


_LABELS = ((BackendError, "backend failed: "), (SandboxError, "sandbox failed: "), (BankError, "bank: "))


def run_command(body: Callable[[], int]) -> int:
    """Run ``body``; map its failure to one stderr line and the shared exit code, never a traceback."""
    try:
        return body()
    except (EnvsynthError, KeyboardInterrupt) as exc:
        label = next((text for kind, text in _LABELS if isinstance(exc, kind)), "")
        print(escape_controls(f"error: {label}{str(exc) or 'interrupted'}"), file=sys.stderr)
        return exit_code(exc)
    except BrokenPipeError:  # the reader went away: stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception as exc:  # the promise is one line, never a traceback; ENVSYNTH_DEBUG=1 shows it
        if os.environ.get("ENVSYNTH_DEBUG"):
            raise
        text = " ".join(str(exc).split())
        print(escape_controls(f"error: internal error {type(exc).__name__}: {text} (set ENVSYNTH_DEBUG=1 for the "
                              "traceback)"), file=sys.stderr)
        return EXIT_FAILED


def json_text(obj: object, *, indent: int | None = None) -> str:
    """``obj`` as JSON text that any stdout can carry: non-ASCII kept when it encodes, escaped when it does not
    (a lone surrogate from a file that was not UTF-8 is written as ``\\udcxx``, never a crash), and every character
    a Unicode line reader breaks lines at escaped (``\\u2028``, ``\\u2029``, ``\\u0085``; JSON escapes the
    others), so one document is one line to any reader. Why: a verifier's exception message holding U+2028 came
    out raw, and ``str.splitlines()`` cut one row of ``score --json`` into pieces that were not JSON (red-team
    round 30)."""
    text = json.dumps(obj, default=str, ensure_ascii=False, indent=indent)
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return json.dumps(obj, default=str, ensure_ascii=True, indent=indent)
    return text.translate(_LINE_BREAKS)


_LINE_BREAKS = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"}
"""The characters ``str.splitlines()`` breaks at that JSON leaves raw (they can only stand inside its strings)."""


MAX_COUNT = 2 ** 62
"""Largest count or offset a command takes (SQLite's integers stop at 2**63 - 1: a larger ``--offset`` raised
OverflowError, red-team finding)."""


def whole_number(least: int) -> Callable[[str], int]:
    """An argparse ``type`` for a count: a whole number from ``least`` to :data:`MAX_COUNT`, else a one-line usage
    error (exit 2)."""
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
        if not least <= number <= MAX_COUNT:
            raise argparse.ArgumentTypeError(f"{value} is out of range: use {least} to {MAX_COUNT}")
        return number
    return parse


def text_console(**options: Any) -> Console:
    """The console every command prints tables and text through: rich markup off, and control characters shown,
    never sent (:class:`TerminalConsole`). Why markup off: rich reads ``[...]`` in any string as markup, and the
    strings here come from task files, verifiers and models; a task whose id or prompt began with ``[/]`` raised
    MarkupError and ended ``validate``, ``score``, ``list`` and ``show`` with nothing printed after all the sandbox
    work (red-team finding). Styles the program means are :class:`rich.text.Text` (:func:`yes_no`)."""
    return TerminalConsole(markup=False, **options)


class TerminalConsole(Console):
    """A rich console that writes every control character of the text it prints visibly
    (:func:`~task_bank.safe_text.escape_controls`): rich itself drops only BEL, BS, VT, FF and CR, so ESC sequences
    in a task id or prompt reached the terminal (red-team round 30). Rich's own styles and cursor moves are not
    text (styles are rendered from ``Style`` objects, moves are control segments) and pass as they are."""

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(segment if segment.control else Segment(escape_controls(segment.text),
                                                                              segment.style)
                                      for segment in buffer)


def yes_no(flag: bool) -> Text:
    """``yes`` in green or ``no`` in red, for a table cell of a :func:`text_console`."""
    return Text("yes", style="green") if flag else Text("no", style="red")


def emit_json(obj: object, *, indent: int | None = None) -> None:
    """Print one JSON document on stdout (plain print: nothing may wrap or colour machine output)."""
    sys.stdout.write(json_text(obj, indent=indent) + "\n")
    sys.stdout.flush()


def print_import_report(report: ImportReport, *, as_json: bool) -> None:
    """JSON on stdout, or the summary on stdout and each bad line on stderr (shared with ``verifier import``)."""
    if as_json:
        emit_json(report.model_dump(mode="json"))
        return
    print(report.summary())
    for problem in report.problems:
        print(problem, file=sys.stderr)


@contextmanager
def bank_for_writing(path: Path,
                     discard_on: type[BaseException] | tuple[type[BaseException], ...] = BaseException
                     ) -> Iterator[Bank]:
    """Open (creating if missing) the bank a writing command uses. When the command fails (with ``discard_on``)
    and a bank this call created holds no task, the file is removed again, so a refused or failed run leaves no
    empty bank behind for the next command to mistake for a real one (a bank that received tasks or environments
    is kept: they were reported). ``synth.generate`` discards only on bad input or options: a run that was
    interrupted, or whose backend or sandbox failed, is kept as its run record says."""
    created = not path.exists()
    bank = Bank.open(path)
    try:
        yield bank
    except discard_on:
        empty = bank.count() == 0 and not any(bank.environment_counts().values())  # environments are kept too
        bank.close()
        if created and empty:
            for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                leftover.unlink(missing_ok=True)
        raise
    bank.close()
