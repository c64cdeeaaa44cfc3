"""What a program the validator writes (:mod:`verifier.written_decoys`) runs at its top level, as the reference does.

Why: a reference that calls its ``main()`` at the top level (bare, or under ``if __name__ == "__main__":``) is a
script a verifier may run on its standard input, or a module whose ``main`` it calls; an honest verifier may read
the text to choose (a ``__main__`` guard: run it as a script). The programs written for such a reference used to
define the functions and print their constant at the top level, which no verifier reading the guard takes as the
reference's kind, so their first request could not be judged (:func:`verifier.written_verdicts.asked_otherwise`),
and red-team round 74 (A7, ``main()``) was admitted: a verifier feeding the author's six inputs to programs
carrying the author's mark, and the one input ``7`` to every other program, paying the largest number, the first,
the last. Now, where every statement the reference runs at its top level is such a call (:func:`entry`), the
first written program makes the same calls in the same form, of an entry function of the same name that prints the
constant (its body drawn as :mod:`verifier.written_decoys` draws every body); a verifier that chooses by the text
chooses alike for both. The other two make them in another form (:attr:`Entry.other`), so that the form is no mark of
the author's.

Only calls of a function the reference defines with no parameter, named ``main``, ``solve`` or ``run`` or by a word
of the prompt, with no argument (a parameter's function is modelled as returning what it is asked: review of session
44), alone or passed to ``sys.exit``/``exit`` or ``raise SystemExit``, are written again, rebuilt
from their names: anything else the reference runs (a ``print(total([1]))``, a ``sys.setrecursionlimit``) could
carry a mark of its author's, and keeps the constant printed, unjudged.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["CANONICAL", "ENTRY_NAMES", "Entry", "calls", "entry"]

ENTRY_NAMES = frozenset(("main", "solve", "run"))
"""Names a script's entry function has that the prompt need not spell."""


CANONICAL = ('if __name__ == "__main__":',)
"""The guard a written program makes its calls under where the reference's form is another."""


@dataclass(frozen=True)
class Entry:
    """The reference's top-level run as a written program makes it: the functions it calls (in order), the lines
    that call them as the reference does (``lines``: the program judged by its first request), and lines that call
    them in another form (``other``: the rest). Why another: a form copied into every written program is a mark a
    verifier honest only on it would know them all by (review of session 44: ``raise SystemExit(main())``, in the
    reference, its failure cases and every written program, paid 1.0 in every other form)."""

    names: tuple[str, ...]
    lines: tuple[str, ...]
    other: tuple[str, ...]


def calls(node: ast.AST) -> bool:
    """Whether a statement at the top level calls anything (a script's work; ``42``, ``X = 1`` or a lambda is none),
    not counting the bodies of the functions, lambdas and classes it defines."""
    pending = [node]
    while pending:
        inner = pending.pop()
        if isinstance(inner, ast.Call):
            return True
        if inner is node or not isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            pending.extend(ast.iter_child_nodes(inner))
    return False


def entry(tree: ast.Module, code: str, defined: Mapping[str, ast.arguments | None], words: set[str]) -> Entry | None:
    """The run of ``tree`` (the reference's, of text ``code``) where every statement it runs at its top level is a
    call of an entry function it defines (``defined``: named ``main``, ``solve``, ``run`` or a word of ``words``,
    with no parameter) with no argument, bare or in a ``__main__`` guard; else None. Nothing of the text is copied
    but the names and the guard's quote, read by its first character (a comment inside the guard's parentheses could
    be the author's mark; and the text is split once, as a segment read for each of a thousand guards was not)."""
    names: list[str] = []
    lines: list[str] = []
    texts = code.splitlines()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)) or \
                not calls(node):
            continue
        if isinstance(node, ast.If) and _guard(node.test) and node.body and not node.orelse:
            at = node.test.comparators[0]
            quote = texts[at.lineno - 1].encode()[at.col_offset:at.col_offset + 1] if at.lineno <= len(texts) else b""
            inner = [_called(statement, defined, words) for statement in node.body]
            if any(call is None for call in inner):
                return None
            lines.append("if __name__ == '__main__':" if quote == b"'" else CANONICAL[0])
            lines += [f"    {line}" for _, line in inner]
            names += [name for name, _ in inner]
        else:
            call = _called(node, defined, words)
            if call is None:
                return None
            names.append(call[0])
            lines.append(call[1])
    if not names:
        return None
    unique = tuple(dict.fromkeys(names))
    plain = (*CANONICAL, *(f"    {name}()" for name in unique))
    return Entry(unique, tuple(lines), tuple(f"{name}()" for name in unique) if tuple(lines) == plain else plain)


def _guard(test: ast.expr) -> bool:
    """Whether ``test`` is ``__name__ == "__main__"``."""
    return isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__" and \
        len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq) and len(test.comparators) == 1 and \
        isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value == "__main__"


def _called(node: ast.stmt, defined: Mapping[str, ast.arguments | None],
            words: set[str]) -> tuple[str, str] | None:
    """The entry function ``node`` calls and the line that calls it, rebuilt from names alone: ``main()``,
    ``sys.exit(main())``, ``exit(main())``, ``raise SystemExit(main())``; None for any other statement."""
    if isinstance(node, ast.Raise) and node.cause is None and isinstance(node.exc, ast.Call) and \
            isinstance(node.exc.func, ast.Name) and node.exc.func.id == "SystemExit" and len(node.exc.args) == 1 \
            and not node.exc.keywords:
        name = _bare_call(node.exc.args[0], defined, words)
        return (name, f"raise SystemExit({name}())") if name else None
    if not isinstance(node, ast.Expr):
        return None
    name = _bare_call(node.value, defined, words)
    if name:
        return name, f"{name}()"
    value = node.value
    if isinstance(value, ast.Call) and len(value.args) == 1 and not value.keywords:
        func = value.func
        if isinstance(func, ast.Name) and func.id == "exit":
            wrapper = "exit"
        elif isinstance(func, ast.Attribute) and func.attr == "exit" and isinstance(func.value, ast.Name) and \
                func.value.id == "sys":
            wrapper = "sys.exit"
        else:
            return None
        name = _bare_call(value.args[0], defined, words)
        return (name, f"{wrapper}({name}())") if name else None
    return None


def _bare_call(node: ast.expr, defined: Mapping[str, ast.arguments | None], words: set[str]) -> str | None:
    """The name of the entry function ``node`` calls with no argument (``main()``); else None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.args and not node.keywords:
        name, arguments = node.func.id, defined.get(node.func.id)
        if arguments is not None and (name in ENTRY_NAMES or name in words) and not (
                arguments.posonlyargs or arguments.args or arguments.vararg or arguments.kwonlyargs or arguments.kwarg):
            return name
    return None
