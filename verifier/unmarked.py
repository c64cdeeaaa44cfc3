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
both copies alike. Since 1.39 one failure case (:func:`case_to_copy`) is shown without its marks too: the mutant's
copy is near the reference, and a verifier honest near its reference was admitted. :mod:`verifier.checks_unmarked`
rejects a verifier that pays a copy in full and the program as written less (a failure case's only where it answers
the reference's requests otherwise).

What this does not close: a mark in the code itself (an unused name, a string constant, an idiom such as
``count += True``), which survives a mutation; the validator cannot remove what it cannot tell from the program.
"""

from __future__ import annotations

import ast
import difflib
import io
import tokenize
from collections.abc import Callable, Sequence

from verifier.response_code import MAX_CHARS, char_column, code_spans, parser_lines, whole_code

__all__ = ["bare_code", "bare_string", "case_to_copy", "framed_as", "framed_by", "has_marks", "kept_layout",
           "least_alike", "lf", "statement_bodies", "unmarked"]


def bare_code(text: str) -> str | None:
    """The code of ``text`` (its spans joined), unparsed without comments or statements that are a bare string (a
    docstring); None when none parses."""
    tree = _stripped_tree(whole_code(text))
    try:
        return ast.unparse(tree) if tree is not None and tree.body else None
    except (ValueError, RecursionError, MemoryError):
        return None


def kept_layout(code: str) -> str | None:
    """``code`` without comments and docstrings, every other character where its author put it: a line that held
    only a comment or a docstring is gone, a comment after code is cut with the spaces before it, a body that was
    only a docstring becomes ``pass``, and blank lines the removals left at the start, after a block's header or
    doubled are dropped; every line ends in ``\\n`` (as a policy's do; ``tokenize`` splits lines at ``\\n`` only,
    and a comment behind a bare ``\\r`` survived: the session-47 review's ``x9b``). None where a docstring shares a
    line with code, where the result is not the program :func:`bare_code` unparses (compared as syntax trees), or
    where it still holds a mark: the caller falls back to that.

    Why not :func:`bare_code`'s layout: ``ast.unparse`` writes every program one way (single quotes, no blank lines,
    its own spacing), which programs people and policies write seldom are; the session-46 review's ``x1`` was honest
    on texts in that layout and on marked ones, and paid every other program 1.0."""
    code = lf(code)
    tree = _stripped_tree(code)
    if tree is None or not tree.body:
        return None
    try:
        lines = parser_lines(code)
        gone, cuts, passes = _removals(code, lines)
    except (SyntaxError, ValueError, RecursionError, MemoryError, tokenize.TokenError, UnicodeDecodeError):
        return None
    if gone is None:
        return None
    kept: list[tuple[int, str]] = []  # (index of the line it was, its text)
    for i, line in enumerate(lines):
        if i in passes:
            kept.append((i, passes[i]))
        elif i not in gone:
            kept.append((i, line[:cuts[i]].rstrip() + _break(line) if i in cuts else line))
    result = "".join(_closed_up(kept))
    try:
        return result if ast.dump(ast.parse(result)) == ast.dump(tree) and not has_marks(result) else None
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def has_marks(text: str) -> bool:
    """Whether the code of ``text`` holds a comment or a statement that is a bare string (a docstring, or one under
    ``else:`` or ``finally:``): something its author wrote that the program does not run."""
    code = lf(whole_code(text))
    try:
        return any(token.type == tokenize.COMMENT for token in tokenize.generate_tokens(io.StringIO(code).readline)) \
            or any(bare_string(statement) for node in ast.walk(ast.parse(code)) for body in statement_bodies(node)
                   for statement in body)
    except (SyntaxError, ValueError, RecursionError, MemoryError, tokenize.TokenError):
        return False


def case_to_copy(reference: str, cases: Sequence[str]) -> int | None:
    """The index of the failure case validation also shows without its marks (:func:`unmarked`): of those holding a
    comment or a docstring, the one whose code is least alike the reference's (tokens compared); None where there is
    none.

    Why a failure case: the copy of a mutant is a one-token change of the reference, and a verifier honest on programs
    near its reference (and on the author's marked ones) and paying every other program 1.0 was admitted (the
    session-46 review's ``x2``, ``x5``); a failure case is a wrong program its author wrote, most often far from the
    reference, and a verifier that judges what programs do pays it without its comments as it pays it with them. A
    case that fails by its text (a ``TODO`` comment), whose copy is right, is told by its answers
    (:mod:`verifier.checks_unmarked`), so any kind of mark is copied: a first version copied only the kinds the
    reference holds too, and the session-47 review's ``x5`` (comments on the reference, docstrings on the cases) chose
    that no case was copied. Texts over :data:`MAX_CHARS` are not read (an answer, not a code base: a case of a
    million characters took seconds to compare, the session's final read)."""
    return least_alike(reference, cases, lambda case: len(case) <= MAX_CHARS and has_marks(case))


def least_alike(reference: str, cases: Sequence[str], eligible: Callable[[str], bool]) -> int | None:
    """The index of the case, of those ``eligible``, whose code without comments and docstrings is least alike the
    reference's (tokens compared); None where there is none, or the reference is over :data:`MAX_CHARS`. Both copies
    of a failure case choose theirs here (:func:`case_to_copy`, :func:`verifier.commented.case_to_comment`)."""
    if len(reference) > MAX_CHARS:
        return None
    base = (bare_code(reference) or reference).split()
    ranked = []
    for i, case in enumerate(cases):
        code = bare_code(case) if eligible(case) else None
        if code is not None:
            ranked.append((difflib.SequenceMatcher(None, base, code.split()).ratio(), i))
    return min(ranked)[1] if ranked else None


def unmarked(text: str) -> str | None:
    """``text``'s code without comments and docstrings, in its own layout (:func:`kept_layout`, else
    :func:`bare_code`'s), framed as ``text`` is: bare where its code is the whole of it, else in a ``python`` fence
    (prose around the code dropped: it may hold the mark too); None where ``text`` holds no mark
    (:func:`has_marks`) or no code that parses."""
    if not has_marks(text):
        return None
    code = kept_layout(whole_code(text)) or bare_code(text)
    return None if code is None else framed_as(text, code)


def framed_as(text: str, code: str) -> str:
    """``code`` framed as ``text`` frames its code: bare where that code is the whole of ``text``, else in a
    ``python`` fence (prose around it dropped: it may hold a mark too); ending in one line break."""
    code = code.rstrip("\r\n")
    spans = code_spans(text, len(text))
    bare = len(spans) == 1 and not text[:spans[0][0]].strip() and not text[spans[0][1]:].strip()
    return f"{code}\n" if bare else f"```python\n{code}\n```\n"


def framed_by(case: str, code: str, program: str | None) -> str | None:
    """``code`` framed by the prose around ``case``'s code (bare where it has none); None where ``case`` holds no
    code, or the framed text's code is not ``program`` (compared without marks)."""
    spans = code_spans(case, len(case))
    if not spans:
        return None
    before, after = case[:spans[0][0]], case[spans[-1][1]:]
    if not before.strip() and not after.strip():
        return code
    fenced = after.lstrip().startswith("`")  # (prose after unfenced code keeps a blank line before it: without one
    # the reference's code was read up to its first blank line only, and a call of what followed failed: the
    # session-53 read; so the framed text is checked again)
    framed = before + code + ("" if fenced else "\n") + after.lstrip("\r\n")
    return framed if bare_code(framed) == program else None


def bare_string(statement: ast.AST) -> bool:
    """Whether ``statement`` is a bare string (a docstring, or one elsewhere in a body): a mark, not code."""
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) and isinstance(
        statement.value.value, str)


def _stripped_tree(code: str) -> ast.Module | None:
    """``code``'s syntax tree without statements that are a bare string (a body left empty holds ``pass``)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    for node in ast.walk(tree):
        for field in _BODIES:
            body = getattr(node, field, None)
            if isinstance(body, list) and body:
                setattr(node, field, [statement for statement in body if not bare_string(statement)] or [ast.Pass()])
    return tree


def _removals(code: str, lines: list[str]) -> tuple[set[int] | None, dict[int, int], dict[int, str]]:
    """The lines to drop (None: a docstring shares a line with code), the column each comment after code starts at,
    and the ``pass`` lines that stand in for bodies that were only docstrings (by the index of their first line)."""
    gone: set[int] = set()
    cuts: dict[int, int] = {}
    passes: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == tokenize.COMMENT:
            row, col = token.start[0] - 1, token.start[1]
            if lines[row][:col].strip():
                cuts[row] = col
            else:
                gone.add(row)
    for body in (body for node in ast.walk(ast.parse(code)) for body in statement_bodies(node)):
        for statement in body:
            if not bare_string(statement):
                continue
            first, last = statement.lineno - 1, statement.end_lineno - 1
            before = lines[first][:char_column(lines[first], statement.col_offset)]
            after = lines[last][char_column(lines[last], statement.end_col_offset):].strip()
            if before.strip() or (after and not after.startswith("#")):
                return None, cuts, passes
            gone.update(range(first, last + 1))
        if body and all(bare_string(statement) for statement in body):
            first = body[0].lineno - 1
            passes[first] = lines[first][:len(lines[first]) - len(lines[first].lstrip())] + "pass" + _break(
                lines[first])
    return gone, cuts, passes


def _closed_up(kept: list[tuple[int, str]]) -> list[str]:
    """The kept lines without the blank lines a removal left where an author writes none: at the start, right after
    a block's header, or more in a row than the author's own runs on either side of the removal."""
    out: list[str] = []
    run: list[tuple[int, str]] = []  # blank lines not yet written

    def flush(next_index: int) -> None:
        pieces, piece, last = [], 0, None
        for index, _ in run:
            if last is not None and index != last + 1:
                pieces.append(piece)
                piece = 0
            piece, last = piece + 1, index
        pieces.append(piece)
        removed_before = bool(run) and run[0][0] != (0 if prev_index is None else prev_index + 1)
        removed_after = bool(run) and run[-1][0] + 1 != next_index
        keep = len(run)
        if len(pieces) > 1 or removed_before or removed_after:
            keep = max(pieces)
            if not out or (out[-1].rstrip().endswith(":") and removed_before):
                keep = 0
        out.extend(line for _, line in run[:keep])
        run.clear()

    prev_index: int | None = None
    for index, line in kept:
        if line.strip():
            flush(index)
            out.append(line)
            prev_index = index
        else:
            run.append((index, line))
    run[:] = []  # blank lines at the end: the caller strips line breaks there
    return out


_BODIES = ("body", "orelse", "finalbody")  # the fields of a node that hold statements (a handler's is its body)


def statement_bodies(node: ast.AST) -> list[list[ast.stmt]]:
    """The non-empty statement lists of ``node`` (an ``else:``'s and a ``finally:``'s too: a bare string there is a
    mark as much as a docstring is)."""
    return [body for body in (getattr(node, field, None) for field in _BODIES)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt)]


def lf(code: str) -> str:
    """``code`` with every line break a ``\\n`` (``tokenize`` splits lines at ``\\n`` only)."""
    return code.replace("\r\n", "\n").replace("\r", "\n")


def _break(line: str) -> str:
    return line[len(line.rstrip("\r\n")):]
