"""Wrong programs the validator writes itself, sharing no text with the task's author (run 0 scores them).

Why: every program validation scored was the author's or made from the author's (the reference, the failure
cases, their renamed twins, the reference's mutants), so each could carry a mark of the author's: a docstring, a
comment, a string constant, or locals that are words of the prompt (which no twin takes as a new name). Red-team
round 73 (B1) had a verifier that ran its tests only on programs carrying such a mark and paid every other program
defining ``total`` 1.0: validation admitted it (all three kinds of mark), and training would have paid every wrong
program a policy wrote. A program written here carries nothing of the author's text but the names a policy writes too:
each function the reference binds at its top level that the prompt names (a ``def``, one inside an ``if``, ``try``,
``with`` or ``match``, a lambda, another name for a function), with the parameters the prompt writes in a call
(``total(xs)``), else the reference's where they are words of the prompt, else plain ones
(:mod:`verifier.written_names`); and a body returning a constant (:data:`verifier.decoys.CONSTANTS`, drawn) in one
statement or more (:func:`_body`). A reference that calls its ``main()`` at the top level gets programs whose
``main`` prints the constant, called as the reference calls it (:mod:`verifier.written_runs`); one that runs other
code there gets the constant printed at the top level, and one that defines no function, only runs, gets scripts
printing it. One is fenced as the reference is (or bare), one the other way, one after prose (:func:`_laid_out`).

Why constants in these three (red-team round 74): a shape of the argument near a right one (the largest item, ``a +
1``) is a right answer of many honest tasks that accept more than one (any peak, any number between two), and a
comparison with the reference's one answer rejected them in about a third of their validations; a constant is rarely
right everywhere a verifier asks. One more program (:func:`shaped_decoy`) returns a shape far from those (a length,
a negation: :mod:`verifier.written_shapes`), judged by its share of right answers alone, since round 74's A6 stayed
honest on every program answering a constant. A
verifier that runs a weak test on unmarked programs (``total([7])``), which no constant passes, asks the first of them
first what it never asked the reference (:func:`verifier.written_verdicts.asked_otherwise`, validator 1.35); one whose
weak test is also a request it makes of the reference is left to training's monitor
(``tests/trainer/test_author_marker.py``).

Each program answers as one or more of the decoys' check's decoys (:attr:`WrittenDecoy.decoys`): the validator asks
the check whether the verifier's own recorded requests of the reference tell one of those apart from the reference
(:func:`verifier.weak_requests.weak_decoys`, ``paid``). A program so told apart that the verifier paid as it pays the
reference was not judged by what it does: ``failure_case_passes``. One the requests do not tell apart (a constant
that is right wherever the verifier asked) proves nothing, and costs nothing.
"""

from __future__ import annotations

import ast
import random
import re
from dataclasses import dataclass, replace

from verifier.checks_probes import Probe, ProbeKind
from verifier.decoys import ARGUMENT, CONSTANTS, Decoy
from verifier.script_decoys import script_label
from verifier.written_names import LOCALS, local_names, parameter_names, plain_signatures
from verifier.written_reading import reading
from verifier.written_shapes import SCRIPT_SHAPE, SCRIPT_SHAPE_TEXT, shape_of

__all__ = ["BOTH", "LABEL", "WRITTEN", "WrittenDecoy", "shaped_decoy", "written_decoys"]

LABEL = "decoy"
"""What a written program's probe label starts with (``decoy:total returning 0``)."""
WRITTEN = 3
"""Programs each validation writes, each of a constant drawn afresh, so that no verifier knows which."""
BOTH = ("0", "1", "-1", "True", "False", "''")
"""The constants that are a script decoy's too (:data:`verifier.script_decoys.SCRIPT_CONSTANTS`): the ones a program
that prints its constant is drawn from, so that the check has a decoy to ask about (red-team round 74, U1)."""
_PROSE = ("Here is the code:", "Sure, here it is:", "This should work:", "Solution:", "Here's my implementation.")
"""A line of prose a policy writes before its code."""


@dataclass(frozen=True)
class WrittenDecoy:
    """One program the validator wrote: its label, its text, and the check's decoys it answers as."""

    label: str
    text: str
    decoys: tuple[Decoy, ...]
    judged: bool = True  # what :func:`verifier.written_verdicts.asked_otherwise` judges: laid out as the
    # reference is (:func:`_laid_out`), and written as it is where a verifier may read a text to choose its calls
    shaped: bool = False  # its first function returns a shape of its argument (:func:`shaped_decoy`): judged by its
    # share of right answers alone, paid in full or not (a shape may be right on most requests, as no constant is)

    @property
    def probe(self) -> Probe:
        """The program as run 0 scores it."""
        return Probe(kind=ProbeKind.DECOY, label=self.label, response=self.text)


def written_decoys(reference: str, prompt: str, rng: random.Random) -> list[WrittenDecoy]:
    """The wrong programs to score in run 0 for a task of ``reference`` and ``prompt`` (:data:`WRITTEN`), none
    where the reference is no program (prose, or code that calls nothing: ``42``)."""
    read = reading(reference, prompt)
    if read is None or not read.bound and not read.runs:
        return []
    chosen = rng.sample(BOTH if read.runs else CONSTANTS, WRITTEN)
    if not read.bound:
        made = [WrittenDecoy(f"{LABEL}:a script printing {value}", _script(value), (Decoy("", None, value),))
                for value in chosen]
        judged = True
    else:
        signatures = [(name, parameter_names(name, arguments, prompt, rng)) for name, arguments in read.bound.items()]
        names = local_names(read.words, read.bound)
        run = read.run
        made = [_program(signatures, value, read.runs, rng, names,
                         run and (run.names, run.lines if at == 0 else run.other)) for at, value in enumerate(chosen)]
        judged = (not read.runs or run is not None) and plain_signatures(read.tree, read.bound, signatures)
    return [_laid_out(program, read.fenced, at, rng, judged) for at, program in enumerate(made)]


def shaped_decoy(reference: str, prompt: str, rng: random.Random) -> WrittenDecoy | None:
    """One more wrong program, round 74's A6 (:mod:`verifier.written_shapes`): for a reference that defines the
    functions it is called by and runs nothing at its top level, its first function that no other calls returns a
    shape of its first parameter, every other a drawn constant; for a script that defines no function, a script
    printing the count of its input's tokens (:data:`verifier.written_shapes.SCRIPT_SHAPE`); for one that calls its
    entry functions (:mod:`verifier.written_runs`), those printing it, called as the reference calls them. Laid out as
    the reference is, not judged by its first request, and judged by its share of right answers alone
    (:attr:`WrittenDecoy.shaped`). None where the reference is no such program, or the function has no plain first
    parameter."""
    read = reading(reference, prompt)
    if read is not None and read.runs and not read.bound:  # a script: the count of its input's tokens
        text = rng.choice([_script(SCRIPT_SHAPE_TEXT),
                           f"import sys\n\nprint({SCRIPT_SHAPE_TEXT.replace('data', 'sys.stdin.read()')})\n"])
        program = WrittenDecoy(f"{LABEL}:a script printing {script_label(SCRIPT_SHAPE)}", text,
                               (Decoy("", None, SCRIPT_SHAPE),), judged=False, shaped=True)
        return _laid_out(program, read.fenced, 0, rng, False)
    if read is None or not read.bound or read.runs and read.run is None:
        return None
    signatures = [(name, parameter_names(name, arguments, prompt, rng)) for name, arguments in read.bound.items()]
    if read.run is not None:  # a `main()` run as the reference runs it, printing the count of its input's tokens
        value, entries = rng.choice(CONSTANTS), read.run.names
        lines = ["import sys", "", ""]
        for name, parameters in signatures:
            body = (["    data = sys.stdin.read()", f"    print({SCRIPT_SHAPE_TEXT})"] if name in entries else
                    _body(parameters, value, rng, local_names(read.words, read.bound)))
            lines += [f"def {name}({', '.join(parameters)}):", *body, "", ""]
        decoys = [Decoy(name, None, value) for name, _ in signatures if name not in entries]
        program = WrittenDecoy(f"{LABEL}:{entries[0]} printing {script_label(SCRIPT_SHAPE)}",
                               "\n".join([*lines, *read.run.lines]).rstrip() + "\n",
                               (*decoys, Decoy("", None, SCRIPT_SHAPE)), judged=False, shaped=True)
        return _laid_out(program, read.fenced, 0, rng, False)
    called = {call.func.id for node in read.tree.body for call in ast.walk(node) if isinstance(call, ast.Call) and
              isinstance(call.func, ast.Name) and call.func.id != getattr(node, "name", None)}  # (a helper another
    # function calls is not the one a verifier calls; a function calling itself is: the final review)
    signatures.sort(key=lambda signature: signature[0] in called)
    name, parameters = signatures[0]
    first = parameters[0].split("=")[0] if parameters else "*"
    if first.startswith("*"):
        return None
    shape = shape_of(name, prompt, read.tree)
    program = _program(signatures, rng.choice(CONSTANTS), False, rng, local_names(read.words, read.bound), None,
                       (shape, first))
    return _laid_out(replace(program, shaped=True), read.fenced, 0, rng, False)


def _script(value: str) -> str:
    """A script that reads its whole standard input into ``data`` and prints ``value`` (a constant, or an expression
    of ``data``)."""
    return f"import sys\n\ndata = sys.stdin.read()\nprint({value})\n"


def _program(signatures: list[tuple[str, list[str]]], value: str, runs: bool, rng: random.Random,
             locals_: list[str], run: tuple[tuple[str, ...], tuple[str, ...]] | None,
             shape: tuple[str, str] | None = None) -> WrittenDecoy:
    """Every function of ``signatures`` returning the constant ``value`` (a local, where one holds it, drawn from
    ``locals_``); and, where the reference runs code at its top level (``runs``), the constant printed: by the entry
    functions ``run`` names, called by its lines (:class:`verifier.written_runs.Entry`), else at the top level.
    ``shape``: the first function returns that shape of ``v`` (:data:`verifier.written_shapes.FAR`) of its first
    parameter, named by the pair's second item, instead."""
    entries, ending = run or ((), ())
    given = [value] * len(signatures)
    if shape is not None:
        given[0] = ARGUMENT.sub(shape[1], shape[0])
    lines = ["import sys", "", ""] if run else []
    lines += [line for (name, parameters), what in zip(signatures, given)
              for line in (f"def {name}({', '.join(parameters)}):",
                           *_body(parameters, what, rng, locals_, name in entries, what != value), "", "")]
    decoys = [Decoy(name, None, value) for name, _ in signatures]
    if shape is not None:
        decoys[0] = Decoy(signatures[0][0], 0, shape[0], keyword=shape[1])
    if runs:
        lines += ending or [f"print({value})"]
        decoys.append(Decoy("", None, value))
    verb = "printing" if signatures[0][0] in entries else "returning"
    return WrittenDecoy(f"{LABEL}:{signatures[0][0]} {verb} {given[0]}", "\n".join(lines).rstrip() + "\n",
                        tuple(decoys))


def _body(parameters: list[str], value: str, rng: random.Random, locals_: list[str],
          prints: bool = False, shaped: bool = False) -> list[str]:
    """The lines of a function returning ``value`` whatever it is passed (or, ``prints``, an entry function printing
    it: :mod:`verifier.written_runs`), drawn among a bare ``return`` (``print``), a local holding the constant (named
    by a word of the prompt where it has one: ``locals_``), a test of the first parameter whose branches both return
    it, and for an entry, one reading the standard input first. Why not one line alone: red-team round 74 (A3) paid
    1.0 to every program of more than one statement and stayed honest on the rest, which were all validation showed it
    that lacked the author's mark. Why a word of the prompt: a verifier paying programs whose names are all words of
    the prompt is met by every form (round 73)."""
    def give(what: str) -> str:
        return f"    print({what})" if prints else f"    return {what}"

    names = [word.split("=")[0] for word in parameters if not word.startswith("*")]
    forms = [[give(value)]]
    taken = {*names, *re.findall(r"\w+", value)}  # (a local named ``len`` beside ``len(xs)``: round 74's review)
    free = [word for word in locals_ if word not in taken] or [word for word in LOCALS if word not in taken]
    if free:
        local = rng.choice(free)
        forms.append([f"    {local} = {value}", give(local)])
    if names and not prints and not shaped:  # (``shaped``: ``value`` reads the parameter the test is of)
        forms.append([f"    if {names[0]} is None:", f"        return {value}", f"    return {value}"])
    if prints:
        forms.append(["    data = sys.stdin.read()", give(value)])
    return rng.choice(forms)


def _laid_out(program: WrittenDecoy, fenced: bool, at: int, rng: random.Random, judged: bool) -> WrittenDecoy:
    """The ``at``-th program laid out as the reference is (in a fence of Python where it came in one: a verifier may ask
    for the fence), the next in the other layout, the one after that in a fence after a line of prose. Why every layout:
    red-team round 74 (A3) paid 1.0 to fenced programs, or to any text that is not Python as a whole, and stayed honest
    on the bare ones that were all validation showed it. Only the first is ``judged`` by its first request
    (:func:`verifier.written_verdicts.asked_otherwise`), and only where its functions are written as the reference's."""
    if at == 0:
        return replace(program, text=_fenced(program.text) if fenced else program.text, judged=judged)
    if at == 1:
        return replace(program, label=f"{program.label} ({'unfenced' if fenced else 'fenced'})",
                       text=program.text if fenced else _fenced(program.text), judged=False)
    return replace(program, label=f"{program.label} (after prose)",
                   text=f"{rng.choice(_PROSE)}\n\n{_fenced(program.text)}", judged=False)


def _fenced(text: str) -> str:
    return f"```python\n{text}```\n"
