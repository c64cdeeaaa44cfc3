"""The names in a program the validator writes (:mod:`verifier.written_decoys`): its functions' parameters and its
locals, and whether its signatures are the reference's as a verifier reading ``def`` lines sees them.

Why a module of its own: a written program carries nothing of the author's text but the names a policy writes too,
and choosing those names is a question apart from what the program returns or how it is laid out. Each name comes
from the prompt where it spells one (a call ``total(xs)``, a word for a local), else from the reference where the
prompt spells it too, else from names a policy often writes; never a default, an annotation or an unspelled name of
the reference's, each of which can hold an author's mark (red-team rounds 73 and 74).
"""

from __future__ import annotations

import ast
import keyword
import random
import re

from verifier.checks_probes import prompt_words

__all__ = ["LOCALS", "local_names", "parameter_names", "plain_signatures"]

_PLAIN = ("x", "n", "s", "items", "values", "data", "nums", "text", "a", "b", "c", "k")
"""Parameter names a policy often writes, for parameters the prompt does not name."""
LOCALS = ("result", "answer", "out", "res", "value")
"""Local names a policy often writes, for a body that keeps its constant in one."""
_STOP = frozenset(("the", "and", "for", "with", "that", "this", "from", "into", "are", "its", "each", "which", "write",
                   "return", "returns", "function", "given", "should", "will", "then", "when", "not", "all", "any",
                   "one", "two", "you", "your", "use", "using", "print", "prints"))
"""Words of a prompt no policy names a local by."""


def parameter_names(name: str, arguments: ast.arguments | None, prompt: str, rng: random.Random) -> list[str]:
    """The parameters of a written function ``name`` of the reference's ``arguments`` (None: ``*args, **kwargs``):
    as many positional ones (those with a default get ``=None``) as the reference's, named as the prompt writes a
    call of it, else as the reference where the prompt spells that word, else plainly; ``*args`` where the reference
    has it; its keyword-only ones the prompt spells (a caller passes them by name), and ``**kwargs`` for the rest
    and where the reference has it. Every name once (round 74: ``total(key)`` beside a keyword-only ``key`` wrote
    programs that did not compile). No default, annotation or unspelled name of the reference's is copied: each can
    hold an author's mark."""
    if arguments is None:
        return ["*args", "**kwargs"]
    positional = [*arguments.posonlyargs, *arguments.args]
    written = re.search(rf"\b{re.escape(name)}\(([^()]*)\)", prompt)
    named = re.findall(r"[A-Za-z_]\w*", written.group(1).split("=")[0]) if written else []
    named = [word for word in named if not keyword.iskeyword(word)]
    words = {word for word in prompt_words(prompt) if not keyword.iskeyword(word)}
    keywords = [argument.arg for argument in arguments.kwonlyargs if argument.arg in words]
    plain = [word for word in _PLAIN if word not in words and word != name]
    rng.shuffle(plain)
    used = {name, *keywords, "args", "kwargs"}
    names: list[str] = []
    for at, argument in enumerate(positional):
        if written and len(named) >= len(positional):
            chosen = named[at]
        elif argument.arg in words:
            chosen = argument.arg
        else:
            chosen = plain.pop() if plain else f"arg{at + 1}"
        while chosen in used:
            chosen = f"{chosen}{at + 1}"
        used.add(chosen)
        names.append(chosen)
    defaults = len(arguments.defaults)
    made = [f"{word}=None" if at >= len(positional) - defaults else word for at, word in enumerate(names)]
    if arguments.vararg is not None:
        made.append("*args")
    elif keywords:
        made.append("*")
    made += [f"{word}=None" for word in keywords]
    if arguments.kwarg is not None or len(keywords) < len(arguments.kwonlyargs):
        made.append("**kwargs")
    return made


def local_names(words: set[str], bound: dict[str, ast.arguments | None]) -> list[str]:
    """The words of the prompt (``words``) a local may be named by: lower case, no stop word, keyword, dunder or
    function's name (``bound``); else :data:`LOCALS`."""
    return sorted(word for word in words if len(word) > 2 and word.isidentifier() and word.islower() and not
                  word.startswith("_") and not keyword.iskeyword(word) and word not in _STOP and
                  word not in bound) or list(LOCALS)


def plain_signatures(tree: ast.Module, bound: dict[str, ast.arguments | None],
                     signatures: list[tuple[str, list[str]]]) -> bool:
    """Whether the written functions (``signatures``) are written as the reference's (``bound``, of ``tree``) are,
    to a verifier that reads a text's ``def`` lines to choose its calls: the same parameters by the same names, and
    no ``async`` or annotation in the reference's (review of session 43: a verifier calling by the response's own
    parameter names, or drawing inputs by its annotations, asks a written program otherwise, honestly)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in bound and (
                isinstance(node, ast.AsyncFunctionDef) or node.returns is not None or any(
                    argument.annotation is not None for argument in ast.walk(node.args)
                    if isinstance(argument, ast.arg))):
            return False
    for name, parameters in signatures:
        arguments = bound[name]
        if arguments is None:
            return False
        theirs = [*(a.arg for a in (*arguments.posonlyargs, *arguments.args)),
                  *([f"*{arguments.vararg.arg}"] if arguments.vararg else []),
                  *(a.arg for a in arguments.kwonlyargs), *([f"**{arguments.kwarg.arg}"] if arguments.kwarg else [])]
        ours = [word.split("=")[0] for word in parameters if word != "*"]
        if theirs != ours:
            return False
    return True
