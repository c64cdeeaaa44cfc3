"""Does a verifier run the response as code in its own process? Read from the source (parsed, never executed).

Response code that a verifier ``exec``\\ s shares the verifier's process: it can walk ``sys._getframe()`` up to the
code that reports scores and write any score for itself and its siblings, patch builtins, or raise ``SystemExit``.
The cure is that response code only ever runs through the sandbox's response primitive (a fresh child process
that hands back plain JSON values). This module finds the verifiers that do it the old way, so that validation
rejects them (reason ``executes_response``) and ``task_bank import`` refuses them unless the user passes
``--allow-response-exec`` (then every scorer runs each response in a process of its own).

It lives in ``task_bank`` because import, which may not use the sandbox layer, must refuse such tasks too.
What counts (a *taint* reading: the parameters of ``verify`` and everything computed from them)::

    exec / eval / compile / __import__                   on response text, or anything derived from it; on code
                                                         that is not a clean string constant; named as a value
    importlib.*, pickle / marshal / dill / shelve loads  (pickles import any module by name), ``runpy``,
    yaml.unsafe_load, jsonpickle.decode, breakpoint      ``importlib.reload``: on any argument
    types.FunctionType / CodeType, code, codeop, timeit, pdb, cProfile: on derived values
    subprocess.*, os.system / popen / exec* / spawn*     the response as a program (it inherits the harness's pipes)
    .runsource / .runcode / .push / .exec_module ...     methods of interpreters and loaders, on derived values
    a file written (of anything), then any loader        ``open(p, 'w').write(code)`` ... ``runpy.run_path(p)``
                                                         (writes to ``sys.stderr`` or an ``io.StringIO`` are no
                                                         file: ``file_writes.writes_files``)
    an import the sandbox cannot satisfy                 :mod:`task_bank.code_sinks`: ``import solution``; with
                                                         a file written: any late import (a file shadows it)

Sinks are also followed through aliases (``run = exec``, ``getattr(builtins, 'exec')``, ``__builtins__['eval']``)
and through helper functions of the module (a derived argument taints the helper's parameters); a runner reached
by a computed name (``getattr(builtins, 'ex' + 'ec')``, ``vars(builtins)[name]``) counts wherever it is
(:mod:`task_bank.reflective_access`). ``ast.parse``/``ast.literal_eval`` pass. Not covered: code assembled by a C
extension; the sandbox primitive, not this reading, is the boundary (this tells an honest generator what to write).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from task_bank.code_sinks import (BUILTIN_SINKS, SINK_METHODS, SINK_PREFIXES, SINKS, collect_aliases, forbidden_imports,
                                  qualname)
from task_bank.exec_taint import taint_findings
from task_bank.file_writes import shadowing, writes_files
from task_bank.reflective_access import reflective_access

RESPONSE_EXEC_KEY = "allow_response_exec"
"""``metadata`` key recording that a task was admitted under ``--allow-response-exec`` (its verifier runs the
response, the old way). The mark only ever adds isolation: scorers also read the source, so a forged mark cannot
admit anything and a missing one cannot remove the isolation."""

_MAX_NESTING = 3


class ExecFinding(BaseModel):
    """One place where the verifier runs the response (or something derived from it) as code in its process."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    line: int
    """1-based line in the verifier source."""
    col: int
    """0-based column."""
    detail: str
    """What runs the response, in words."""


def find_response_exec(source: str, libraries: Iterable[str] = (), *, _depth: int = 0) -> tuple[ExecFinding, ...]:
    """Findings in source order. ``libraries``: the verifier libraries the sandbox allow-lists (passed in by the
    verifier layer; an import of anything else that the sandbox does not ship counts). Raises ``SyntaxError`` (or
    ``ValueError``) when the source does not parse."""
    tree = ast.parse(source, filename="<verifier>", mode="exec")
    allowed = tuple(libraries)
    found = [ExecFinding(line=node.lineno, col=node.col_offset,
                         detail=f"imports {module!r}, which the sandbox does not ship (only the standard library, "
                                "envsynth_sandbox and the allow-listed libraries): it is a file written at run time, "
                                "or a module that runs code")
             for node, module in forbidden_imports(tree, allowed)]
    found += [ExecFinding(line=node.lineno, col=node.col_offset, detail=what) for node, what in reflective_access(tree)]
    aliases = collect_aliases(tree)
    if writes_files(tree, aliases):
        found += [ExecFinding(line=node.lineno, col=node.col_offset, detail=what) for node, what in shadowing(tree)]
    if found or _names_a_sink(tree, aliases):
        found += [ExecFinding(line=node.lineno, col=node.col_offset, detail=what)
                  for node, what in taint_findings(tree, allowed, lambda code: _runs_code(code, allowed, _depth))]
    return tuple(sorted(set(found), key=lambda f: (f.line, f.col, f.detail)))


def marked_response_exec(metadata: dict[str, object]) -> bool:
    """True when a task's metadata records that it was admitted under ``--allow-response-exec``."""
    return metadata.get(RESPONSE_EXEC_KEY) is True


def executes_response(source: str, libraries: Iterable[str] = ()) -> bool:
    """True when :func:`find_response_exec` finds anything; a source that does not parse counts as False (the
    validator rejects it as ``verifier_error`` for that)."""
    try:
        return bool(find_response_exec(source, libraries))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


def _names_a_sink(tree: ast.AST, aliases: dict[str, str]) -> bool:
    """True when the module names anything that can run code (a cheap over-approximation of the sinks)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and (node.id in BUILTIN_SINKS or node.id in aliases):
            qual = aliases.get(node.id, f"builtins.{node.id}")
            if qual in SINKS or qual.startswith(SINK_PREFIXES):
                return True
        elif isinstance(node, ast.Attribute) and (node.attr in SINK_METHODS or node.attr in BUILTIN_SINKS):
            return True
        elif isinstance(node, ast.Attribute):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            qual = qualname(node, aliases) if isinstance(base, ast.Name) and base.id in aliases else None
            if qual is not None and (qual in SINKS or qual.startswith(SINK_PREFIXES)):
                return True
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in BUILTIN_SINKS:
            return True
    return False


def _runs_code(code: str, libraries: tuple[str, ...], depth: int) -> bool:
    """Whether a code constant the verifier hands to ``exec``/``eval``/``compile`` imports or runs code itself (read
    by this rule again, :data:`_MAX_NESTING` deep at most: past that it counts); one that does not parse cannot
    run either."""
    if depth >= _MAX_NESTING:
        return True
    try:
        return bool(find_response_exec(code, libraries, _depth=depth + 1))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
