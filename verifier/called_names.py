"""Which function of a text the trainer's replay and the answers check (training's and validation's) call: the
reference's, or the text's own.

Why: a task whose prompt names no function ("write a function that counts the vowels") has right answers under
any name, and an honest verifier of it calls whatever function a reply defines. The replay called the name the
verifier called in the reference (``count_vowels``): every text that named its function otherwise failed that call
the same way, so its right and wrong programs shared one replayed digest, and the ones the verifier paid and failed
were that digest's split. Red-team round 60's honest corpus had that task flagged in 3 of 3 runs (``results``, at
groups 11 to 14), and the answers check would have found every right program so named answering otherwise.

So where the reference's requests call one name only, and a text defines no top-level function of that name but
exactly one other (helpers named with a leading ``_`` aside), the text's replay and check call that one instead
(:func:`renamed`). A text that defines several public functions and not that name is replayed and checked under
each (:func:`candidates`, since 1.43; validation reads the names the verifier called instead:
:func:`aligned_names`). A text that defines the reference's name, or none, is called by the reference's name as
before, and fails that call
where it lacks it: a verifier that called a helper only the reference defines does not get to leave every text out
(round 57). Parsing is of untrusted code on the trusted side, as the monitor's mutants do: a text that cannot be
parsed within the interpreter's own limits renames nothing.

Why in the verifier's layer: validation's answers check (:mod:`verifier.answers_alike`, asked of a failure case
whose copy, without comments or with one of the validator's, was paid in full) calls a case the same way; before
1.40 it called the reference's name,
and an honest verifier of the text of code (no ``TODO`` left) that pays whatever function a reply defines was
rejected where the copied case named its function otherwise (session 47's final read).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Sequence

from task_bank.code_sinks import name_bindings

__all__ = ["MAX_CANDIDATES", "aligned_names", "answers_to", "called_name", "candidates", "judged_names", "names_of",
           "own_function", "renamed", "renamings", "with_name", "with_names"]

MAX_CANDIDATES = 4
"""Public functions of a text training replays and checks each of, at most (:func:`candidates`)."""


def called_name(runs: Sequence[list]) -> str | None:
    """The one name ``runs`` (each ``[calls, stdin]``) call, or None where they call several or none."""
    names = {name for calls, _ in runs for name, _, _ in calls}
    return next(iter(names)) if len(names) == 1 else None


def renamed(runs: Sequence[list], code: str) -> str | None:
    """The function of ``code`` to call where ``runs`` call the reference's one name (:func:`own_function`); None
    where they call several or none, or the reference's name stays."""
    name = called_name(runs)
    return None if name is None else own_function(name, code)


def renamings(runs: Sequence[list], code: str) -> tuple[str, ...]:
    """The functions of ``code`` training calls where ``runs`` call the reference's one name: its own one
    (:func:`renamed`), else each of its public functions (:func:`candidates`); none where the reference's name
    stays. The code is parsed once (this runs on the reward path, once for each code a run)."""
    name = called_name(runs)
    tree = None if name is None else _parsed(code)
    return () if tree is None else _renamings(tree, name)


def candidates(name: str, code: str) -> tuple[str, ...]:
    """The public top-level functions of ``code`` in its order, where it defines several (at most
    :data:`MAX_CANDIDATES`) and none of ``name``, the reference's, nor binds it otherwise; else none.

    Why (since validator 1.43): training has no records of which function a verifier called in a text (it does not
    ask the sandbox to record a text's requests), and a verifier of a task whose prompt names no function may call any
    of them (the last, the longest, the one the prompt describes). Called by the reference's name, which they lack,
    such texts all replayed to one result, the right ones the verifier paid and the wrong ones it failed, and an
    honest verifier was flagged (``results``; session 50's open item, now a test). Replayed under each of their
    public functions, a text's result is what each answers; checked under each, it answered as the reference does if
    one of them did. Why a bound: each candidate costs a run of the replay's shared time."""
    tree = _parsed(code)
    found = () if tree is None else _renamings(tree, name)
    return found if len(found) > 1 else ()


def _renamings(tree: ast.Module, name: str) -> tuple[str, ...]:
    """:func:`renamings` of a parsed text: its own one function (:func:`own_function` without ``called``), else its
    public ones where they are two to :data:`MAX_CANDIDATES`, else none."""
    defined = _defined(tree)
    if name in defined or _binds(tree, name):
        return ()
    public = [each for each in defined if not each.startswith("_")] if len(defined) > 1 else defined
    if len(public) == 1:
        return (public[0],)
    return tuple(public) if 2 <= len(public) <= MAX_CANDIDATES else ()


def _defined(tree: ast.Module) -> list[str]:
    """The names of the top-level functions of ``tree``, in its order."""
    return [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def answers_to(code: str, name: str) -> bool:
    """Whether ``code`` defines a top-level function ``name`` or binds the name otherwise (:func:`_binds`)."""
    tree = _parsed(code)
    return tree is not None and (name in _defined(tree) or _binds(tree, name))


def _parsed(code: str) -> ast.Module | None:
    """``code``'s tree; None where it cannot be parsed within the interpreter's own limits (untrusted code parsed on
    the trusted side)."""
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def own_function(name: str, code: str, called: str | None = None) -> str | None:
    """The function of ``code`` to call in place of ``name``, the reference's: the one top-level function ``code``
    defines when it defines no function of that name, or the one whose name does not start with ``_`` beside helpers
    whose names do (the session-48 review: ``_digits`` beside ``count_below`` was called by the reference's name);
    else ``called``, the one name the verifier itself called in ``code`` (validation reads it from the records of the
    copy it paid in full), where ``code`` defines a top-level function of that name; None where the reference's name
    stays.

    Why ``called`` (since 1.42): an honest verifier that calls the last function a reply defines called a right case's
    ``count_below``, beside its public helper ``is_negative``, and the check called the case by the reference's name,
    which it lacks: every call failed, and the task was rejected (the session-49 review's ``N7``). The verifier's own
    choice of the case's function is what it judged the case by; a text that defines the reference's name, or binds
    it otherwise, is still called by it."""
    tree = _parsed(code)
    if tree is None:
        return None
    defined = _defined(tree)
    public = [each for each in defined if not each.startswith("_")] if len(defined) > 1 else defined
    if name in defined or _binds(tree, name):
        return None
    if len(public) == 1:
        return public[0]
    return called if called in defined else None  # (never ``name``: that returned above)


def _binds(tree: ast.Module, name: str) -> bool:
    """Whether a top-level statement other than a ``def`` binds ``name`` anywhere in it (an alias, a class, an
    import, a ``def`` inside a top-level ``if`` or ``try``): then the text may answer to the reference's name
    already, and is called by it (:func:`task_bank.code_sinks.name_bindings` reads each statement)."""
    return any(name in name_bindings(node) for node in tree.body
               if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)))


def names_of(runs: Sequence[list]) -> set[str]:
    """Every name ``runs`` (each ``[calls, stdin]``) call."""
    return {name for calls, _ in runs for name, _, _ in calls}


def aligned_names(runs: Sequence[list], others: Sequence[list]) -> dict[str, str] | None:
    """The names ``others`` call in place of those ``runs`` call, read off the runs of the two that make the same
    requests (each call's arguments and keyword arguments, in order, and the standard input) under whatever names: a
    one-to-one map, empty where no run of ``others`` makes the requests of one of ``runs``, None where the runs so
    paired map a name two ways, or two names to one.

    Why (validation's answers check, since 1.43): a verifier of a task whose prompt names no function calls whatever
    a reply defines, and the names it called in the copy of a failure case it paid in full, where it asked the copy
    what it asked its reference, are the functions it judged the copy by. The session-50 review's honest ``P2`` (a
    helper of the case named like the reference's function) and ``P3`` (two functions of any names, called by
    position) were called by the reference's names, answered otherwise and were rejected. Pairing by the requests,
    not by order alone, leaves a verifier that asked the copy something else without a map: its names say nothing of
    which function answers which request."""
    by_requests: dict[str, set[tuple[str, ...]]] = {}
    for calls, stdin in runs:
        by_requests.setdefault(_requests(calls, stdin), set()).add(tuple(name for name, _, _ in calls))
    found: dict[str, str] = {}
    for calls, stdin in others:
        for names in by_requests.get(_requests(calls, stdin), ()):
            for name, other in zip(names, (each for each, _, _ in calls)):
                if found.setdefault(name, other) != other:
                    return None
    return found if len(set(found.values())) == len(found) else None


def judged_names(reference_code: str, code: str, own: Sequence[list], copy: Sequence[list],
                 written: Sequence[list]) -> dict[str, str]:
    """The names a case whose code is ``code`` is called by in place of those of the reference (whose code is
    ``reference_code``), given the verifier's runs of the reference (``own``), of the copy it paid in full (``copy``)
    and of the case as written (``written``): those the verifier called in the copy where it asked it what it asked
    the reference (:func:`aligned_names`), where each maps a name the reference answers to, and
    the verifier called no other name in the copy nor in the case as written, and none there otherwise than in the
    copy; else (as 1.42) the one name called in the reference mapped to the case's
    own one function (:func:`own_function`), or beside public helpers to the one name called in
    the copy where the case as written called that one or none; else none.

    Why the case as written must agree (since 1.42 for one name): the session-50 review's ``K`` called a right helper
    in the marked case and the wrong last function in the copy; its final read the mirror; a verifier that calls a
    case's functions otherwise than its copy's, or swaps two names between them, did not judge the two alike, and
    what it paid in the copy is not what the case is checked by. Why the copy's every name, and only names the
    reference answers to (the session-51 review): its ``A2`` called the case's right first function where it asked
    what it asked the reference, and the wrong ``negatives`` in another run of the copy, which the map left unasked;
    its ``A3`` called the reference's ``_second``, which it lacks (a call the reference raised on compares nothing),
    where it called the case's wrong second function, so the map sent that function's every request to a name the
    reference does not answer to. Each was admitted by 1.43's first version."""
    names = aligned_names(own, copy)
    if names and all(answers_to(reference_code, name) for name in names) and names_of(copy) <= set(names.values()):
        in_case = aligned_names(copy, written)
        if in_case is not None and all(name == other for name, other in in_case.items()) and \
                names_of(written) <= set(names.values()):
            return names
    name, in_copy, case = called_name(own), called_name(copy), called_name(written)
    called = None if name is None else own_function(name, code, in_copy if case in (None, in_copy) else None)
    return {} if called is None else {name: called}


def _requests(calls: Sequence[list], stdin: str) -> str:
    """What a run asks, its names aside."""
    return json.dumps([[[args, kwargs] for _, args, kwargs in calls], stdin], sort_keys=True)


def with_names(runs: Sequence[list], names: dict[str, str]) -> list[list]:
    """``runs`` with every call of a name in ``names`` made to the name it maps to."""
    return [[[[names.get(name, name), args, kwargs] for name, args, kwargs in calls], stdin] for calls, stdin in runs]


def with_name(runs: Sequence[list], name: str | None) -> list[list]:
    """``runs`` with every call made to ``name`` (unchanged where ``name`` is None)."""
    if name is None:
        return list(runs)
    return [[[[name, args, kwargs] for _, args, kwargs in calls], stdin] for calls, stdin in runs]
