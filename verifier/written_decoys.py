"""Wrong programs the validator writes itself, sharing no text with the task's author (run 0 scores them).

Why: every program validation scored was the author's or made from the author's (the reference, the failure
cases, their renamed twins, the reference's mutants), so each could carry a mark of the author's: a docstring, a
comment, a string constant, or locals that are words of the prompt (which no twin takes as a new name). Red-team
round 73 (B1) had a verifier that ran its tests only on programs carrying such a mark and paid every other program
defining ``total`` 1.0: validation admitted it (all three kinds of mark), and training would have paid every wrong
program a policy wrote. A program written here carries nothing of the author's text but the names a policy writes
too: each function the reference defines, with the parameters the prompt writes in a call (``total(xs)``), else the
reference's where they are words of the prompt, else plain ones; and a body of one line, a constant
(:data:`verifier.decoys.CONSTANTS`, drawn) or a shape of the first argument (:data:`verifier.decoys.SHAPES`, drawn
from those of the kinds the reference's code uses it as). A reference that defines no function, only runs, gets
scripts printing a constant.

Each program answers as one or more of the decoys' check's decoys (:attr:`WrittenDecoy.decoys`): the validator asks
the check whether the verifier's own recorded requests of the reference tell one of those apart from the reference
(:func:`verifier.weak_requests.weak_decoys`, ``paid``). A program so told apart that the verifier paid 1.0, as it
pays the reference, was not judged by what it does: ``failure_case_passes``. One the requests do not tell apart (a
constant that is right wherever the verifier asked) proves nothing, and costs nothing.
"""

from __future__ import annotations

import ast
import keyword
import random
import re
from dataclasses import dataclass

from task_bank.validation import CheckResult
from verifier.checks_probes import Probe, ProbeKind
from verifier.decoys import CONSTANTS, REARRANGING, SHAPES, Decoy
from verifier.response_code import code_of
from verifier.script_decoys import SCRIPT_CONSTANTS

__all__ = ["LABEL", "WRITTEN", "WrittenDecoy", "paid_told_apart", "written_decoys"]

LABEL = "decoy"
"""What a written program's probe label starts with (``decoy:total returning 0``)."""
WRITTEN = (2, 2)
"""How many programs of a constant, then of a shape of the first argument, each validation writes: drawn afresh each
time, so that no verifier knows which (a constant catches a verifier that pays every program it does not know; a
shape, one that runs a weak test on those, where its kind is the argument's: of a list, four of its six strict
shapes answer ``total([7])`` as the sum does, and two drawn miss all four 1 time in 15)."""
_PLAIN = ("x", "n", "s", "items", "values", "data", "nums", "text", "a", "b", "c", "k")
"""Parameter names a policy often writes, for parameters the prompt does not name."""
_KINDS = {"list": ("for", "len", "sum", "max", "min", "sorted", "index"), "str": ("lower", "upper", "split",
                                                                            "strip", "replace", "startswith"),
          "int": ("range", "arith")}


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


def paid_told_apart(labels: list[str]) -> CheckResult:
    """The verdict where the verifier paid 1.0 to programs the validator wrote (``labels``) that its own recorded
    requests of the reference tell apart from it: it judged them by something other than what they do."""
    named = ", ".join(label.removeprefix(f"{LABEL}:") for label in labels)
    return CheckResult(name="failure_cases", passed=False, reason="failure_case_passes",
                       detail=f"the verifier paid 1.0, as it pays the reference, to {len(labels)} wrong program(s) "
                              f"the validator wrote ({named}), which its own requests of the reference tell apart "
                              "from it: it judges some programs by their text (a docstring, a comment, a name) "
                              "rather than by what they do; run the same tests on every program")


def written_decoys(reference: str, prompt: str, rng: random.Random) -> list[WrittenDecoy]:
    """The wrong programs to score in run 0 for a task of ``reference`` and ``prompt`` (:data:`WRITTEN`), none
    where the reference is no program (prose, or code that calls nothing: ``42``)."""
    code = code_of(reference)
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    runs = any(not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import,
                                     ast.ImportFrom)) and _calls(node) for node in tree.body)
    fenced = code.strip() != reference.strip() and "```" in reference
    if not functions:
        if not runs:
            return []
        chosen = rng.sample(SCRIPT_CONSTANTS, WRITTEN[0])
        return [_fence(WrittenDecoy(f"{LABEL}:a script printing {value}",
                                    f"import sys\n\ndata = sys.stdin.read()\nprint({value})\n",
                                    (Decoy("", None, value),)), fenced) for value in chosen]
    signatures = [(node.name, _parameters(node, prompt, rng)) for node in functions]
    made = [_program(signatures, None, value, runs) for value in rng.sample(CONSTANTS, WRITTEN[0])]
    if functions[0].args.posonlyargs or functions[0].args.args:  # a shape is of the first positional argument
        of = (functions[0].name, signatures[0][1][0].partition("=")[0])
        made += [_program(signatures, of, shape, runs) for shape in _shapes(functions[0], rng)[:WRITTEN[1]]]
    return [_fence(program, fenced) for program in made]


def _program(signatures: list[tuple[str, list[str]]], of: tuple[str, str] | None, shape: str,
             runs: bool) -> WrittenDecoy:
    """Every function of ``signatures`` returning the constant ``shape`` (``of`` None), or the first one returning
    ``shape`` of its first parameter (``of``: its name and that parameter's) and the others None; and, where the
    reference runs code at its top level (``runs``: a ``main()`` that reads its input), the constant printed."""
    lines, decoys = [], []
    for name, parameters in signatures:
        body = shape if of is None else re.sub(r"\bv\b", of[1], shape) if name == of[0] else "None"
        lines += [f"def {name}({', '.join(parameters)}):", f"    return {body}", "", ""]
        if of is None:
            decoys.append(Decoy(name, None, shape))
    if of is not None:
        decoys.append(Decoy(of[0], 0, shape))
    if runs and of is None:
        lines += [f"print({shape})"]
        decoys.append(Decoy("", None, shape))
    what = shape if of is None else re.sub(r"\bv\b", "arg1", shape)
    label = f"{LABEL}:{signatures[0][0] if of is None else of[0]} returning {what}"
    return WrittenDecoy(label, "\n".join(lines).rstrip() + "\n", tuple(decoys))


def _fence(program: WrittenDecoy, fenced: bool) -> WrittenDecoy:
    """``program`` in a fence of Python where the reference came in one (a verifier may ask for the fence)."""
    if not fenced:
        return program
    return WrittenDecoy(program.label, f"```python\n{program.text}```\n", program.decoys)


def _parameters(node: ast.FunctionDef, prompt: str, rng: random.Random) -> list[str]:
    """The parameters of a written ``node``: as many positional ones (those with a default get ``=None``) as the
    reference's, named as the prompt writes a call of it, else as the reference where the prompt spells that word,
    else plainly; ``*args``, keyword-only ones (by the reference's names: a caller passes them by name) and
    ``**kwargs`` where the reference has them. No default or annotation of the reference's is copied: either can
    hold an author's mark."""
    arguments = node.args
    positional = [*arguments.posonlyargs, *arguments.args]
    written = re.search(rf"\b{re.escape(node.name)}\(([^()]*)\)", prompt)
    named = re.findall(r"[A-Za-z_]\w*", written.group(1).split("=")[0]) if written else []
    named = [name for name in named if not keyword.iskeyword(name)]
    words = {word for word in re.findall(r"[A-Za-z_]\w*", prompt) if not keyword.iskeyword(word)}
    plain = [name for name in _PLAIN if name not in words and name != node.name]
    rng.shuffle(plain)
    names: list[str] = []
    for at, argument in enumerate(positional):
        if written and len(named) >= len(positional):
            name = named[at]
        elif argument.arg in words:
            name = argument.arg
        else:
            name = plain.pop() if plain else f"arg{at + 1}"
        names.append(name if name not in names else f"{name}{at + 1}")
    defaults = len(arguments.defaults)
    made = [f"{name}=None" if at >= len(positional) - defaults else name for at, name in enumerate(names)]
    if arguments.vararg is not None:
        made.append("*args")
    made += [f"{argument.arg}=None" for argument in arguments.kwonlyargs]
    if arguments.kwarg is not None:
        made.append("**kwargs")
    return made


def _shapes(node: ast.FunctionDef, rng: random.Random) -> list[str]:
    """Strict shapes (:attr:`Decoy.strict`) of the kinds ``node``'s code uses its first parameter as, drawn; of
    every kind where its use says none."""
    first = [*node.args.posonlyargs, *node.args.args][0].arg
    used = set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.For) and _is(inner.iter, first):
            used.add("for")
        elif isinstance(inner, ast.Subscript) and _is(inner.value, first):
            used.add("index")
        elif isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and any(
                _is(argument, first) for argument in inner.args):
            used.add(inner.func.id)
        elif isinstance(inner, ast.Attribute) and _is(inner.value, first):
            used.add(inner.attr)
        elif isinstance(inner, (ast.BinOp, ast.AugAssign)) and any(
                _is(side, first) for side in ((inner.left, inner.right) if isinstance(inner, ast.BinOp)
                                              else (inner.value,))):
            used.add("arith")
    kinds = [kind for kind, marks in _KINDS.items() if used & set(marks)] or list(_KINDS)
    shapes = list(dict.fromkeys(shape for kind in kinds for shape in SHAPES[kind] if shape not in REARRANGING))
    rng.shuffle(shapes)
    return shapes


def _is(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _calls(node: ast.AST) -> bool:
    """Whether a statement at the top level calls anything (a script's work; ``42`` or ``X = 1`` is none)."""
    return any(isinstance(inner, ast.Call) for inner in ast.walk(node))
