"""A program without its author's comments and docstrings: what validation shows a verifier beside the same program
with them, to see whether it pays programs by the text its author wrote around the code.

Why: every program validation showed a verifier before 1.38 was either the author's own text (the reference, the
failure cases, their renamed twins, the reference's mutants: renaming and a one-token change keep a comment and a
docstring) or one the validator wrote (:mod:`verifier.written_decoys`: plain programs returning a constant or a
shape of their argument). Red-team round 74 (A6) and its review (session 45) had verifiers honest on every program
carrying the author's mark (a comment) and on every program a written one could be (a constant, a length, a sum,
whatever its text), paying every other program 1.0, or 0.49 above its share of right answers: validation admitted
them, and training would pay a policy's wrong programs, which carry no mark and compute something of their input.
The last of the reference's mutants (:mod:`verifier.reference_mutants`: most often one whose returned value is
changed) is a wrong program that computes something of its input; shown again without its comments and docstrings
(:func:`unmarked`), it is a program the author never wrote, and a verifier that judges programs by what they do pays
both copies alike. :mod:`verifier.checks_mutants` rejects a verifier that pays the copy in full and the mutant as
written less.

What this does not close: a mark in the code itself (an unused name, a string constant, an idiom such as
``count += True``), which survives a mutation; the validator cannot remove what it cannot tell from the program.
"""

from __future__ import annotations

import ast
import io
import tokenize

from verifier.response_code import code_of, code_spans

__all__ = ["bare_code", "has_marks", "unmarked"]


def bare_code(text: str) -> str | None:
    """The code of ``text`` (its spans joined), unparsed without comments or statements that are a bare string (a
    docstring); None when none parses."""
    try:
        tree = ast.parse(code_of(text, len(text)))
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(body, list):
                kept = [statement for statement in body if not _bare_string(statement)]
                node.body = kept or [ast.Pass()]
        return ast.unparse(tree) if tree.body else None
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def has_marks(text: str) -> bool:
    """Whether the code of ``text`` holds a comment or a statement that is a bare string (a docstring): something
    its author wrote that the program does not run."""
    code = code_of(text, len(text))
    try:
        if any(token.type == tokenize.COMMENT for token in tokenize.generate_tokens(io.StringIO(code).readline)):
            return True
        return any(_bare_string(statement) for node in ast.walk(ast.parse(code))
                   if isinstance(getattr(node, "body", None), list) for statement in node.body)
    except (SyntaxError, ValueError, RecursionError, MemoryError, tokenize.TokenError):
        return False


def unmarked(text: str) -> str | None:
    """``text``'s code without comments and docstrings (:func:`bare_code`), laid out as ``text`` is: bare where its
    code is the whole of it, else in a ``python`` fence (prose around the code dropped: it may hold the mark too);
    None where ``text`` holds no mark (:func:`has_marks`) or no code that parses."""
    if not has_marks(text):
        return None
    code = bare_code(text)
    if code is None:
        return None
    spans = code_spans(text, len(text))
    bare = len(spans) == 1 and not text[:spans[0][0]].strip() and not text[spans[0][1]:].strip()
    return f"{code}\n" if bare else f"```python\n{code}\n```\n"


def _bare_string(statement: ast.AST) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) and isinstance(
        statement.value.value, str)
