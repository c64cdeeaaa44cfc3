"""The reference carrying a failure case's comments and docstrings (all, or those chosen), as text: the program
validation scores (:mod:`verifier.sinking_marks`) where a case's copy without them was paid in full, and no call the
verifier made returned a value (since 1.45: the case ended every call as the reference did, ``Answered.ENDED``;
since 1.46 also some call otherwise, ``Answered.MISENDED``, each mark alone too, and since 1.47 marks chosen together).

Why: such a case answers as the reference does in all a verifier can read of a run (its calls' exceptions and
messages, stdout and stderr), so an honest verifier pays it less only for its text (a ``TODO``), and then pays the
reference carrying that text as little. A verifier that paid the case less for what no run reports (its time: the
session-52 review's ``H7``) pays its own reference, marks and all, in full (:func:`verifier.checks_unmarked.
check_failure_copy`). Where the marks go: a comment before, or trailing, the reference's line that is the line it
stood before or trailed in the case (a statement's first line, a simple statement's last, or a one-line compound
header, in the same function), keeping its indentation and gap; else a function's comments open that body and its
trailing ones trail its first simple statement. A top-level function's or class's docstring takes the place of the
same-named one's; other bare strings follow its first statement, never first in a body without a docstring. A
comment the reference already holds is not carried again (the session-53 review's ``H10a``). What stood before the
case's first statement opens the module, the rest of the module's (and a function's the reference lacks) close it.
Prose around the case's code is kept around the reference's.

What this does not close: a verifier that pays its reference low wherever it carries its author's mark (it knows its
reference's code: the review's ``H10b``); a reference that reads its own docstrings or line numbers, which the marks
change (the session-53 read), and slows down; text rules about a mark's place (a comment beside a statement the
reference lacks); a fault in the case's code (a line too long, non-ASCII), which no mark carries.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Collection
from typing import NamedTuple

from verifier.response_code import char_column, parser_lines, whole_code
from verifier.unmarked import bare_code, bare_string, framed_as, framed_by, has_marks, lf, statement_bodies

__all__ = ["carried", "comments_of", "mark_texts"]

_NAMED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_NOT_CODE = (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER,
             tokenize.ENCODING)


def carried(reference: str, case: str, keep: Collection[int] | None = None, prose: bool = True) -> str | None:
    """``reference``'s text with ``case``'s comments and docstrings on its code (see the module docstring), framed as
    ``case`` frames its code; None where the case holds none, either code does not parse, a docstring of the
    reference shares a line with code, or the result is not the reference's program (compared without marks).
    ``keep``: only the marks of these indices (:func:`mark_texts`; all where None); ``prose``: whether the prose
    around the case's code is kept around the reference's (without it, code framed as :func:`framed_as` frames it).
    Why the choice: :mod:`verifier.sinking_marks` asks which of a case's marks sink the reference, alone or
    together."""
    ref_code, case_code = (lf(whole_code(text)) for text in (reference, case))
    if not has_marks(case_code):
        return None
    try:
        code = _placed(ref_code, _marks(case_code, comments_of(ref_code), keep))
        program = bare_code(ref_code)
        if code is None or bare_code(code) != program or not has_marks(code):
            return None
    except (SyntaxError, ValueError, RecursionError, MemoryError, tokenize.TokenError):
        return None
    if not prose:
        framed = framed_as(case, code)
        return framed if bare_code(framed) == program else None
    return framed_by(case, code, program)


class _Mark(NamedTuple):
    """A mark to place: its ``text`` (a comment's whole line, or its gap and itself where it trails code; a string's
    source), the line of code it stood before or trailed (``anchor``, stripped at its end; None: a string)."""

    text: str
    anchor: str | None = None


def comments_of(reference: str) -> set[str]:
    """The comments the code of ``reference`` holds (none where it does not tokenize): carried again, they would
    double (the session-53 review's ``H10a``); carried alone, they give the reference back."""
    code = lf(whole_code(reference))
    try:
        return {token.string for token in tokenize.generate_tokens(io.StringIO(code).readline)
                if token.type == tokenize.COMMENT}
    except (SyntaxError, ValueError, RecursionError, MemoryError, tokenize.TokenError):
        return set()


def mark_texts(case: str) -> list[str]:
    """The marks the code of ``case`` holds, as written: its comments, then its bare strings (in :func:`_marks`'
    order, which numbers them for :func:`carried`'s ``keep``); [] where it does not parse."""
    code = lf(whole_code(case))
    try:
        comments = [token.string for token in tokenize.generate_tokens(io.StringIO(code).readline)
                    if token.type == tokenize.COMMENT]
        strings = [ast.get_source_segment(code, statement) or "" for node in ast.walk(ast.parse(code))
                   for body in statement_bodies(node) for statement in body if bare_string(statement)]
    except (SyntaxError, ValueError, RecursionError, MemoryError, tokenize.TokenError):
        return []
    return comments + strings


def _marks(code: str, known: set[str], keep: Collection[int] | None = None) -> dict[str | None, dict[str, list[_Mark]]]:
    """``code``'s marks by where they go: a top-level function's or class's name (its ``doc``, the ``body`` lines
    that open it, the ``trail`` comments), or None for the module (``doc``, ``top`` before its first statement,
    ``end`` after); comments in ``known`` (the reference's own) left out, and where ``keep`` is given the marks whose
    index (comments in order, then bare strings: :func:`mark_texts`) it lacks."""
    tree = ast.parse(code)
    lines = parser_lines(code)
    owners = [(node.name, min([node.lineno] + [d.lineno for d in node.decorator_list]), node.end_lineno)
              for node in tree.body if isinstance(node, _NAMED)]
    first = tree.body[0].lineno if tree.body else len(lines) + 1
    top_level = {id(node) for node in tree.body}
    marks: dict[str | None, dict[str, list[_Mark]]] = {}
    tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    code_rows = sorted({token.start[0] for token in tokens if token.type not in _NOT_CODE})

    def owner(line: int) -> str | None:
        return next((name for name, start, end in owners if start <= line <= end), None)

    def put(name: str | None, kind: str, mark: _Mark) -> None:
        marks.setdefault(name, {}).setdefault(kind, []).append(mark)

    index = -1
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        index += 1
        if token.string in known or (keep is not None and index not in keep):
            continue
        row, col = token.start
        line, name = lines[row - 1], owner(row)
        before = line[:col]
        if before.strip():
            put(name, "trail", _Mark(
                before[len(before.rstrip()):] + token.string, before.rstrip()))
            continue
        after = next((lines[r - 1].rstrip() for r in code_rows if r > row), None)
        put(name, "body" if name is not None else ("top" if row < first else "end"), _Mark(line.rstrip("\r\n"), after))
    for node in ast.walk(tree):
        for body in statement_bodies(node):
            for place, statement in enumerate(body):
                if not bare_string(statement):
                    continue
                index += 1
                if keep is not None and index not in keep:
                    continue
                segment = ast.get_source_segment(code, statement)
                if segment is None:
                    raise ValueError("a bare string without its source")
                docstring = place == 0 and body is getattr(node, "body", None) and isinstance(node, (ast.Module,
                                                                                                      *_NAMED))
                if isinstance(node, ast.Module):
                    put(None, "doc" if docstring else "end", _Mark(segment))
                elif docstring and id(node) in top_level:
                    put(node.name, "doc", _Mark(segment))
                else:
                    name = owner(statement.lineno)
                    put(name, "body" if name is not None else "end", _Mark(segment))
    return marks


def _placed(code: str, marks: dict[str | None, dict[str, list[_Mark]]]) -> str | None:
    """``code`` with ``marks`` placed (:func:`_marks`): a comment before, or trailing, the line of the reference
    that is the line it stood before or trailed in the case (in its function), where there is one, keeping its own
    indentation and gap; else as the module docstring says. None where a docstring of it shares a line with code."""
    tree = ast.parse(code)
    lines = [line if line.endswith("\n") else line + "\n" for line in parser_lines(code)]
    inserts: dict[int, list[str]] = {}  # before line index: lines
    replaced: dict[int, tuple[int, list[str]]] = {}  # first index of a docstring: (past its last, lines)
    trails: dict[int, list[str]] = {}
    ours = {node.name: node for node in tree.body if isinstance(node, _NAMED)}
    end: list[str] = []

    statements = [node for node in ast.walk(tree) if isinstance(node, ast.stmt)]
    starts = {node.lineno - 1 for node in statements}  # (a mark anchored anywhere else could land in a string)
    ends = {node.end_lineno - 1 for node in statements if not hasattr(node, "body")} | {
        node.lineno - 1 for node in statements if _one_line_header(node)}
    by_text: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        by_text.setdefault(line.rstrip(), []).append(i)

    def anchored(mark: _Mark, start: int, past: int, trail: bool) -> bool:
        lines_of = ends if trail else starts
        found = next((i for i in by_text.get(mark.anchor, ()) if start <= i < past and i in lines_of),
                     None) if mark.anchor is not None else None
        if found is not None:
            (trails if trail else inserts).setdefault(found, []).append(mark.text if trail else mark.text + "\n")
        return found is not None

    for name, kinds in marks.items():
        node = ours.get(name) if name is not None else None
        if name is not None and node is None:  # a function the reference lacks: its marks close the module
            end += [mark.text.lstrip() for kind in ("doc", "body", "trail") for mark in kinds.get(kind, ())]
            continue
        if name is None:
            _module(tree, lines, kinds, inserts, replaced)
            end += [mark.text for mark in kinds.get("end", []) if not anchored(mark, 0, len(lines), False)]
            end += [mark.text.lstrip() for mark in kinds.get("trail", []) if not anchored(mark, 0, len(lines), True)]
            continue
        body = node.body
        if body[0].lineno == node.lineno:  # (a body on its header's line: nothing can open it)
            return None
        indent = _indent(lines[body[0].lineno - 1])
        has_doc = bare_string(body[0])
        if has_doc and _shares_line(lines, body):
            return None
        at = body[0].lineno - 1
        if kinds.get("doc"):
            placed = _indented(kinds["doc"][0].text, indent)
            if has_doc:
                replaced[at] = (body[0].end_lineno, placed)
            else:
                inserts.setdefault(at, []).extend(placed)
        span = (node.lineno - 1, node.end_lineno)
        for mark in kinds.get("body", ()):
            if mark.anchor is not None and anchored(mark, *span, False):
                continue
            # (a string never first in a body without a docstring: it would become one)
            where = body[0].end_lineno if has_doc or (mark.anchor is None and not kinds.get("doc")) else at
            inserts.setdefault(where, []).extend(_indented(mark.text, indent) if mark.anchor is None
                                                 else [mark.text + "\n"])
        for mark in kinds.get("trail", ()):
            if not anchored(mark, *span, True):
                leaf = body[1] if has_doc and len(body) > 1 else body[0]
                while isinstance(getattr(leaf, "body", None), list) and leaf.body:  # (a compound statement's first
                    leaf = leaf.body[0]  # line may end inside a string: its first simple statement's last does not)
                trails.setdefault(leaf.end_lineno - 1, []).append(mark.text)
    out: list[str] = []
    index = 0
    while index < len(lines):
        out += inserts.get(index, [])
        if index in replaced:
            past, placed = replaced[index]
            out += placed
            index = past
            continue
        line = lines[index]
        if index in trails:
            line = line.rstrip("\n") + "".join(trails[index]) + "\n"
        out.append(line)
        index += 1
    out += inserts.get(len(lines), [])
    out += [text if text.endswith("\n") else text + "\n" for text in end]
    return "".join(out)


def _module(tree: ast.Module, lines: list[str], kinds: dict[str, list[_Mark]], inserts: dict[int, list[str]],
            replaced: dict[int, tuple[int, list[str]]]) -> None:
    """Place the module's own marks: its docstring in place of the reference's (or first), its comments before the
    first statement after that docstring."""
    has_doc = bool(tree.body) and bare_string(tree.body[0])
    if kinds.get("doc"):
        placed = _indented(kinds["doc"][0].text, "")
        if has_doc:
            replaced[tree.body[0].lineno - 1] = (tree.body[0].end_lineno, placed)
        else:
            inserts.setdefault(0, []).extend(placed)
    at = tree.body[0].end_lineno if has_doc else 0
    top = [mark.text + "\n" for mark in kinds.get("top", ())]
    if top:
        inserts.setdefault(at, []).extend(top)


def _one_line_header(node: ast.stmt) -> bool:
    """Whether ``node``, a compound statement, has its header (up to its colon) on its first line and its body
    below: a comment can trail that line (the case's ``if x:  # TODO`` goes back where it stood)."""
    body = getattr(node, "body", None)
    if not isinstance(body, list) or not body or body[0].lineno <= node.lineno:
        return False
    parts = [value for field, value in ast.iter_fields(node) if field not in (*_HEADLESS, "decorator_list")]
    nodes = [item for part in parts for item in (part if isinstance(part, list) else [part])
             if isinstance(item, ast.AST) and not isinstance(item, ast.stmt)]
    return all(getattr(sub, "end_lineno", node.lineno) == node.lineno for item in nodes for sub in ast.walk(item))


_HEADLESS = ("body", "orelse", "finalbody", "handlers", "cases")


def _shares_line(lines: list[str], body: list[ast.stmt]) -> bool:
    """Whether code stands before ``body``'s docstring on its first line, or after it on its last (as
    :func:`verifier.unmarked.kept_layout` tells one it cannot remove)."""
    doc = body[0]
    first, last = lines[doc.lineno - 1], lines[doc.end_lineno - 1]
    after = last[char_column(last, doc.end_col_offset):].strip()
    return bool(first[:char_column(first, doc.col_offset)].strip()) or bool(after and not after.startswith("#"))


def _indent(line: str) -> str:
    return line[:len(line) - len(line.lstrip())]


def _indented(segment: str, indent: str) -> list[str]:
    """``segment`` (a statement's source) as lines, its first at ``indent``, the rest as they were (string content)."""
    parts = segment.split("\n")
    return [indent + parts[0] + "\n"] + [part + "\n" for part in parts[1:]]
