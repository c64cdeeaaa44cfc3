"""Wrong programs the validator writes itself, sharing no text with the task's author (run 0 scores them).

Why: every program validation scored was the author's or made from the author's (the reference, the failure
cases, their renamed twins, the reference's mutants), so each could carry a mark of the author's: a docstring, a
comment, a string constant, or locals that are words of the prompt (which no twin takes as a new name). Red-team
round 73 (B1) had a verifier that ran its tests only on programs carrying such a mark and paid every other program
defining ``total`` 1.0: validation admitted it (all three kinds of mark), and training would have paid every wrong
program a policy wrote. A program written here carries nothing of the author's text but the names a policy writes
too: each function the reference binds at its top level (a ``def``, one inside an ``if`` or ``try``, a lambda or
another name for a function), with the parameters the prompt writes in a call (``total(xs)``), else the reference's
where they are words of the prompt, else plain ones; and a body of one line returning a constant
(:data:`verifier.decoys.CONSTANTS`, drawn). A reference that runs code at its top level (a ``main()`` call) gets the
constant printed too, and one that defines no function, only runs, gets scripts printing it.

Why constants alone (red-team round 74): a shape of the argument (the largest item, ``a + 1``) is a right answer of
many honest tasks that accept more than one (any peak, any number between two), and a comparison with the
reference's one answer rejected them in about a third of their validations; a constant is rarely right everywhere a
verifier asks. What that leaves open: a verifier that runs a weak test on unmarked programs (``total([7])``), which
no constant passes (training's monitor flags it: ``tests/trainer/test_author_marker.py``).

Each program answers as one or more of the decoys' check's decoys (:attr:`WrittenDecoy.decoys`): the validator asks
the check whether the verifier's own recorded requests of the reference tell one of those apart from the reference
(:func:`verifier.weak_requests.weak_decoys`, ``paid``). A program so told apart that the verifier paid as it pays the
reference was not judged by what it does: ``failure_case_passes``. One the requests do not tell apart (a constant
that is right wherever the verifier asked) proves nothing, and costs nothing.
"""

from __future__ import annotations

import ast
import keyword
import random
import re
from dataclasses import dataclass

from task_bank.validation import CheckResult
from verifier.checks_probes import Probe, ProbeKind
from verifier.decoys import CONSTANTS, Decoy
from verifier.response_code import code_of

__all__ = ["BOTH", "LABEL", "WRITTEN", "WrittenDecoy", "paid_told_apart", "written_decoys"]

LABEL = "decoy"
"""What a written program's probe label starts with (``decoy:total returning 0``)."""
WRITTEN = 3
"""Programs each validation writes, each of a constant drawn afresh, so that no verifier knows which."""
BOTH = ("0", "1", "-1", "True", "False", "''")
"""The constants that are a script decoy's too (:data:`verifier.script_decoys.SCRIPT_CONSTANTS`): the ones a program
that prints its constant is drawn from, so that the check has a decoy to ask about (red-team round 74, U1)."""
_PLAIN = ("x", "n", "s", "items", "values", "data", "nums", "text", "a", "b", "c", "k")
"""Parameter names a policy often writes, for parameters the prompt does not name."""


@dataclass(frozen=True)
class WrittenDecoy:
    """One program the validator wrote: its label, its text, and the check's decoys it answers as."""

    label: str
    text: str
    decoys: tuple[Decoy, ...]

    @property
    def probe(self) -> Probe:
        """The program as run 0 scores it."""
        return Probe(kind=ProbeKind.DECOY, label=self.label, response=self.text)


def paid_told_apart(labels: list[str], unasked: bool = False) -> CheckResult:
    """The verdict where the verifier paid programs the validator wrote (``labels``) as it pays the reference, and
    its own recorded requests of the reference tell them apart from it, or (``unasked``) its call of the reference
    made no request to judge them by: it judged them by something other than what they do."""
    named = ", ".join(label.removeprefix(f"{LABEL}:") for label in labels)
    why = ("though it ran nothing of the reference to tell a right program from them" if unasked else
           "which its own requests of the reference tell apart from it")
    return CheckResult(name="failure_cases", passed=False, reason="failure_case_passes",
                       detail=f"the verifier paid {len(labels)} wrong program(s) the validator wrote ({named}) as "
                              f"it pays the reference, {why}: it judges some programs by their text (a docstring, a "
                              "comment, a name) rather than by what they do; run the same tests on every program")


def written_decoys(reference: str, prompt: str, rng: random.Random) -> list[WrittenDecoy]:
    """The wrong programs to score in run 0 for a task of ``reference`` and ``prompt`` (:data:`WRITTEN`), none
    where the reference is no program (prose, or code that calls nothing: ``42``)."""
    code = code_of(reference)
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    bound = _bound(tree.body, {})
    runs = any(not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import,
                                     ast.ImportFrom)) and _calls(node) for node in tree.body)
    fenced = code.strip() != reference.strip() and "```" in reference
    if not bound and not runs:
        return []
    chosen = rng.sample(BOTH if runs else CONSTANTS, WRITTEN)
    if not bound:
        made = [WrittenDecoy(f"{LABEL}:a script printing {value}",
                             f"import sys\n\ndata = sys.stdin.read()\nprint({value})\n", (Decoy("", None, value),))
                for value in chosen]
    else:
        signatures = [(name, _parameters(name, arguments, prompt, rng)) for name, arguments in bound.items()]
        made = [_program(signatures, value, runs) for value in chosen]
    return [_fence(program, fenced) for program in made]


def _bound(body: list[ast.stmt], found: dict[str, ast.arguments | None]) -> dict[str, ast.arguments | None]:
    """The names ``body`` (a module's statements) binds to functions, in order, each with its parameters (None:
    unknown): a ``def``, one inside an ``if``, ``try`` or ``with`` at the top level, a lambda, or another name for
    one of these (red-team round 74, A1: ``total = lambda xs: sum(xs)`` got no program that defined ``total``)."""
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = node.args
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if isinstance(node.value, ast.Lambda):
                found[node.targets[0].id] = node.value.args
            elif isinstance(node.value, ast.Name) and node.value.id in found:
                found[node.targets[0].id] = found[node.value.id]
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for inner in (node.body, *(getattr(node, name, []) for name in ("orelse", "finalbody"))):
                _bound(inner, found)
            for handler in getattr(node, "handlers", []):
                _bound(handler.body, found)
    return found


def _program(signatures: list[tuple[str, list[str]]], value: str, runs: bool) -> WrittenDecoy:
    """Every function of ``signatures`` returning the constant ``value``; and, where the reference runs code at its
    top level (``runs``: a ``main()`` that reads its input), the constant printed."""
    lines = [line for name, parameters in signatures
             for line in (f"def {name}({', '.join(parameters)}):", f"    return {value}", "", "")]
    decoys = [Decoy(name, None, value) for name, _ in signatures]
    if runs:
        lines.append(f"print({value})")
        decoys.append(Decoy("", None, value))
    return WrittenDecoy(f"{LABEL}:{signatures[0][0]} returning {value}", "\n".join(lines).rstrip() + "\n",
                        tuple(decoys))


def _fence(program: WrittenDecoy, fenced: bool) -> WrittenDecoy:
    """``program`` in a fence of Python where the reference came in one (a verifier may ask for the fence)."""
    if not fenced:
        return program
    return WrittenDecoy(program.label, f"```python\n{program.text}```\n", program.decoys)


def _parameters(name: str, arguments: ast.arguments | None, prompt: str, rng: random.Random) -> list[str]:
    """The parameters of a written function ``name`` of the reference's ``arguments`` (None: ``*args, **kwargs``):
    as many positional ones (those with a default get ``=None``) as the reference's, named as the prompt writes a
    call of it, else as the reference where the prompt spells that word, else plainly; ``*args``, keyword-only ones
    (by the reference's names: a caller passes them by name) and ``**kwargs`` where the reference has them. No
    default or annotation of the reference's is copied: either can hold an author's mark."""
    if arguments is None:
        return ["*args", "**kwargs"]
    positional = [*arguments.posonlyargs, *arguments.args]
    written = re.search(rf"\b{re.escape(name)}\(([^()]*)\)", prompt)
    named = re.findall(r"[A-Za-z_]\w*", written.group(1).split("=")[0]) if written else []
    named = [word for word in named if not keyword.iskeyword(word)]
    words = {word for word in re.findall(r"[A-Za-z_]\w*", prompt) if not keyword.iskeyword(word)}
    plain = [word for word in _PLAIN if word not in words and word != name]
    rng.shuffle(plain)
    names: list[str] = []
    for at, argument in enumerate(positional):
        if written and len(named) >= len(positional):
            chosen = named[at]
        elif argument.arg in words:
            chosen = argument.arg
        else:
            chosen = plain.pop() if plain else f"arg{at + 1}"
        names.append(chosen if chosen not in names else f"{chosen}{at + 1}")
    defaults = len(arguments.defaults)
    made = [f"{word}=None" if at >= len(positional) - defaults else word for at, word in enumerate(names)]
    if arguments.vararg is not None:
        made.append("*args")
    made += [f"{argument.arg}=None" for argument in arguments.kwonlyargs]
    if arguments.kwarg is not None:
        made.append("**kwargs")
    return made


def _calls(node: ast.AST) -> bool:
    """Whether a statement at the top level calls anything (a script's work; ``42`` or ``X = 1`` is none)."""
    return any(isinstance(inner, ast.Call) for inner in ast.walk(node))
