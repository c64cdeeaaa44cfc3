"""The mutants of a task's reference that validation scores (:mod:`verifier.checks_mutants` judges them).

A reference that is a program gets a renamed twin (:func:`verifier.code_renaming.renamed`: the prompt's words keep
their names), and that twin's mutants: one token changed at a drawn site (:func:`verifier.code_mutation.mutants`),
each at another site, and at least one with its returned value changed (:func:`returns_changed`), more where
the sites are fewer. Why renamed: a verifier that knew the reference's text could tell a copy of it one token off; with
other names the copy is one more program a policy could have written (a verifier that blanks names and pays nothing
near the reference's shape still tells them: the training monitor's mutants, made from the policy's own answers, are
the defence there; red-team round 51, F2).

Why the form is normalised first (line ends to ``\n``, NUL characters dropped): red-team round 51 had round 46's
static shape checker admitted 5 of 5 times with a reference whose fence ended its lines with ``\r\n``, or whose
comment held a NUL (the parser refuses it, so no code was found), and with one padded past 8,000 characters by a
docstring (the trainer's cap on a policy answer); validation mutates up to :data:`MAX_CHARS`.

Which references are programs: code that defines a function or lambda, or a *script* without functions that prints
(what a verifier reads of it is its output). Scripts were left out until validator 1.18, and a static checker that
paid scripts by their shape was admitted 2 of 2 times on a stdin task (session 22). A script's "returned value" is
the first value each ``print`` writes.

Where the reference states numbers beside its code or in its comments (a program-of-thought answer: a program, then
``Answer: 14``), or its answer in words (``Answer: Sunday``, from validator 1.21), every mutant has them changed too (:func:`verifier.stated_answers.stated_answer_changed`): an honest
verifier of such a task may judge the stated answer alone, and one that did was rejected as ``mutant_passes`` 2 of 2
times, its every mutant still stating 14 (session 22). A verifier that pays by the look still pays a mutant whose answer
changed.
"""

from __future__ import annotations

import ast
import random
from collections.abc import Collection

from task_bank.spec import TaskSpec
from verifier.code_mutation import mutants
from verifier.reached_code import named_functions
from verifier.inert_code import calls_print
from verifier.code_renaming import renamed
from verifier.response_code import char_column, code_spans, parser_lines
from verifier.stated_answers import answer_alternatives, stated_answer_changed, stated_numbers, stated_words
from verifier.unmarked import bare_code

MAX_CHARS = 64_000
"""The longest reference validation mutates (finding the sites of 64,000 characters of code costs about 2 s of the
validator's thread; a docstring or comment costs next to nothing)."""


def reference_mutants(spec: TaskSpec, rng: random.Random, count: int, seen: set[str] | None = None,
                      keep: frozenset[str] = frozenset(), rename: bool = True) -> list[str]:
    """Up to ``count`` different mutants of ``spec``'s reference (see the module docstring), none a text in
    ``seen``; ``keep``: the names the prompt spells. None for a reference that is prose, or code that neither
    defines functions nor prints. Each has the numbers the reference states beside its code changed, where it states
    any (see the module docstring). ``rename=False``: mutants of the reference as written, for a caller that runs
    them itself rather than showing them to a verifier (training's results replay, where renamed parameters failed
    every call by keyword, and so looked told apart by requests that told nothing)."""
    text = program_text(spec.reference)
    if count <= 0 or text is None:
        return []
    seen = set(seen or ()) | {spec.reference, text}
    # one renamed twin, then its mutants: finding a program's sites is most of the cost, made once (a 7,400-character
    # reference: about 160 ms, where a twin and a mutant drawn for each of 8 took 760)
    twin = (renamed(text, rng, keep=keep) if rename else None) or text
    changed = [made for made in mutants(twin, rng, count + len(seen), MAX_CHARS, keep) if made not in seen]
    results = [made for made in returns_changed(twin, rng, count, MAX_CHARS, keep) if made not in seen]
    take = min(len(results), max(1, count - len(changed)))
    made = (changed[:count - take] + results[:take])[:count]
    if stated_numbers(twin, comments=True) or stated_words(twin, comments=True):  # (an answer stated beside the
        # code: judged by an honest verifier alone)
        alternatives = answer_alternatives(spec.prompt_text, spec.failure_cases)
        made = [stated_answer_changed(each, rng, comments=True, alternatives=alternatives) or each for each in made]
    return list(dict.fromkeys(made))


def is_program_reference(reference: str) -> bool:
    """Whether validation mutates ``reference`` (:func:`program_text`). The trainer asks the same
    (``trainer.group_probes``): a reference in two fences was mutated here and not there, and a static checker was
    paid 138 of 153 wrong programs unflagged (red-team round 52, E2)."""
    return program_text(reference) is not None


def program_text(reference: str) -> str | None:
    """The text validation mutates: ``reference`` with its line ends normalised and NULs dropped, or, where that is
    over :data:`MAX_CHARS`, its code without comments and docstrings (a 65,000-character comment took the reference
    out of the mutants' reach, and a static checker was admitted 3 of 3 times: round 53) when that fits; None when
    its code neither defines a function or lambda nor prints (:func:`_is_program`), or is too long
    (:func:`oversized_code` says so)."""
    text = _candidate(reference)
    return text if text is not None and len(text) <= MAX_CHARS and _is_program(text) else None


def oversized_code(reference: str) -> int | None:
    """The length of ``reference``'s code without comments and docstrings, where that is a program
    (:func:`_is_program`) over :data:`MAX_CHARS` (validation cannot mutate it, so it rejects the task: a reference is
    an answer); else None."""
    text = _candidate(reference)
    return len(text) if text is not None and len(text) > MAX_CHARS and _is_program(text) else None


def _candidate(reference: str) -> str | None:
    """``reference`` normalised, or its bare code (:func:`bare_code`) where the normalised text is over
    :data:`MAX_CHARS`."""
    text = _normalised(reference)
    return text if len(text) <= MAX_CHARS else bare_code(text)


def _is_program(text: str) -> bool:
    """Whether the code of ``text`` (:func:`verifier.response_code.code_spans`) defines a function or lambda, or calls
    ``print`` (a script: a bare ``Paris`` parses too, and is prose)."""
    for start, end in code_spans(text, max(MAX_CHARS, len(text))):
        try:
            tree = ast.parse(text[start:end])
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        if any(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) or calls_print(node)
               for node in ast.walk(tree)):
            return True
    return False


def _normalised(reference: str) -> str:
    return reference.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def returns_changed(text: str, rng: random.Random, count: int, max_chars: int = MAX_CHARS,
                    names: Collection[str] = ()) -> list[str]:
    """``text`` with the value one ``return`` of its functions computes changed (in a script without functions,
    the first value one ``print`` writes, or, where that is a starred list, one more item: ``print(*xs, 1)``; a
    sorting script had one mutant, too few to judge: round 54), for up to ``count`` changes drawn from ``rng``:
    ``return not (...)`` where the value is a truth (a comparison, ``and``/``or``, ``not``, ``True``/``False``); else
    ``return -(...)`` and ``return (...) + 1`` (a string or list then raises: wrong all the same).
    Why, beside the one-token mutants: a small program has few sites (a sum loop: one, its ``+=``; ``return
    reduce(add, xs, 0)``: none), too few to tell a verifier that pays mutants from an honest one that met an
    equivalent one; a negated result is equivalent only on a test whose expected value is 0 (or that checks no
    result at all), one more never. Validation's reference mutants use it
    (:func:`reference_mutants`). ``names``: the prompt's words (only :func:`verifier.reached_code.named_functions`
    change). Never raises; [] for a text with neither functions nor ``print``."""
    if len(text) > max_chars or count <= 0:
        return []
    try:
        sites = []
        for start, end in code_spans(text, max_chars):
            code = text[start:end]
            tree = ast.parse(code)
            functions = named_functions(tree, names)
            values = dict.fromkeys(  # (a nested function's returns are met twice)
                node.value for function in functions for node in ast.walk(function)
                if isinstance(node, ast.Return) and node.value is not None
                and not (isinstance(node.value, ast.Constant) and node.value.value is None)) if functions else (
                dict.fromkeys((node.args[-1] if isinstance(node.args[0], ast.Starred) else node.args[0])  # a script:
                              for node in ast.walk(tree) if calls_print(node) and node.args))  # what it prints
            for value in values:
                truth = isinstance(value, (ast.Compare, ast.BoolOp)) or (
                    isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.Not)) or (
                    isinstance(value, ast.Constant) and isinstance(value.value, bool))
                changes = ([("", ", 1")] if isinstance(value, ast.Starred)  # ``print(*xs)``: one more item
                           else [("not (", ")")] if truth else [("(", ") + 1")] if isinstance(value, ast.Constant)
                           else [("-(", ")"), ("(", ") + 1")])  # (``-(0)`` is 0: round 53)
                sites += [(start, end, code, value, change) for change in changes]
        rng.shuffle(sites)
        made = []
        for start, end, code, value, (before, after) in sites[:count]:
            lines = parser_lines(code)
            first, last = value.lineno - 1, value.end_lineno - 1
            begin = char_column(lines[first], value.col_offset)
            stop = char_column(lines[last], value.end_col_offset)
            lines[last] = lines[last][:stop] + after + lines[last][stop:]
            lines[first] = lines[first][:begin] + before + lines[first][begin:]
            changed = "".join(lines)
            try:
                ast.parse(changed)
            except (SyntaxError, ValueError):
                continue
            made.append(text[:start] + changed + text[end:])
        return list(dict.fromkeys(made))
    except Exception:  # noqa: BLE001 - see mutated
        return []
