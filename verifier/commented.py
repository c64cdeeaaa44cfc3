"""A failure case shown again with a comment the validator wrote in place of its author's comments and docstrings:
what validation shows a verifier beside the case as written, to see whether it pays programs by whose words they
carry.

Why: since 1.38 and 1.39 validation shows a mutant and one failure case without their author's marks, and a verifier
that pays programs without the mark more is rejected (:mod:`verifier.checks_unmarked`). The session-46 review's
``x1_foreign_mark`` turned that round: honest on programs without comments (the copies), on the author's marked ones
and on shapes, it paid 1.0 to every program carrying a comment or docstring its author never wrote. A policy's programs
carry such comments often (a model explains its code), and validation admitted it 3 of 3 times: no program it showed
carried one. Its ``x6`` gave its failure cases no marks at all, so none was copied, and was honest on the author's
texts as written. The copy here answers both: one failure case (:func:`case_to_comment`: of those that are programs,
the one least alike the reference, marks or not), without its author's marks where it has any
(:func:`verifier.unmarked.unmarked`), with one comment line above one of its statements, in words of the prompt's
prose (:func:`commented`: a run of them drawn from validation's secret source, as a policy's comment restates its
task). A verifier that judges what programs do pays it as it pays the case; the rule is the failure case copy's
(:func:`verifier.checks_unmarked.check_failure_copy`): paid in full and more than the margin above the case as written,
where the case answers the reference's requests otherwise.

What this does not close: a verifier honest on programs near any text its author wrote (name-blanked tokens alike),
whatever their comments (the session-46 review's ``x2_near_any_author_text``): a comment changes no token of the code.
"""

from __future__ import annotations

import ast
import random
import re
from collections.abc import Sequence

from verifier.response_code import MAX_CHARS, whole_code
from verifier.unmarked import framed_as, least_alike, unmarked

__all__ = ["COMMENT_WORDS", "case_to_comment", "comment_line", "commented", "is_program"]

COMMENT_WORDS = (3, 8)
"""How many words of the prompt a comment holds, at least and at most (fewer where the prompt's prose has fewer)."""
_PROSE_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
_CODE = re.compile(r"```.*?(```|$)|`[^`]*`", re.S)
_FALLBACK = ("compute", "the", "answer", "for", "the", "input")
_DOING = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Call, ast.Import, ast.ImportFrom)


def case_to_comment(reference: str, cases: Sequence[str]) -> int | None:
    """The index of the failure case validation also shows with a comment of its own (:func:`commented`): of those
    that are programs (:func:`is_program`), the one least alike the reference's (tokens compared, without comments and
    docstrings); None where there is none. Texts over :data:`MAX_CHARS` are not read (as
    :func:`verifier.unmarked.case_to_copy`)."""
    return least_alike(reference, cases, is_program)


def is_program(text: str) -> bool:
    """Whether ``text``'s code (:func:`verifier.response_code.whole_code`: bare, or every fence joined, as the
    answers check and the copies read it) is a program that does something: defines a function or a class, or calls
    or imports one. A prose answer that parses (``42``, ``yes``) is none: a comment would only make it prose of
    another kind, and its task's verifier may read words. Texts over :data:`MAX_CHARS` are none (an answer, not a code
    base). Why every fence: a reply of a code fence and a usage fence is common, and reading one fence only made such a
    reference no program, which turned off the rule on a reference never run (the session-48 final read)."""
    if len(text) > MAX_CHARS:
        return False
    try:
        tree = ast.parse(whole_code(text))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return any(isinstance(node, _DOING) for node in ast.walk(tree))


def comment_line(prompt: str, rng: random.Random) -> str:
    """A comment (``# ...``) of a run of the prompt's prose words (its code, in backticks or fences, left out),
    :data:`COMMENT_WORDS` long, starting where ``rng`` draws; a few plain words where the prose has none."""
    words = _PROSE_WORD.findall(_CODE.sub(" ", prompt)) or list(_FALLBACK)
    size = min(len(words), rng.randint(*COMMENT_WORDS))
    start = rng.randrange(len(words) - size + 1)
    run = words[start:start + size]
    return "# " + " ".join([run[0][:1].upper() + run[0][1:], *run[1:]])


def commented(text: str, prompt: str, rng: random.Random) -> str | None:
    """``text``'s code without its author's marks (:func:`verifier.unmarked.unmarked`; as written where it has none),
    with :func:`comment_line` on a line of its own above one statement drawn by ``rng`` (of those that open their
    line, indented as it is), framed as ``text`` is; None where the code does not parse, or the comment would change
    the program (its syntax tree compared)."""
    source = unmarked(text) or text
    code = whole_code(source)
    try:
        tree = ast.parse(code)
        lines = code.splitlines(keepends=True)
        starts = sorted({node.lineno for node in ast.walk(tree) if isinstance(node, ast.stmt)
                         and not lines[node.lineno - 1][:node.col_offset].strip()})
    except (SyntaxError, ValueError, RecursionError, MemoryError, IndexError):
        return None
    if not starts:
        return None
    at = rng.choice(starts) - 1
    line = lines[at]
    indent, end = line[:len(line) - len(line.lstrip(" \t"))], line[len(line.rstrip("\r\n")):] or "\n"
    lines.insert(at, f"{indent}{comment_line(prompt, rng)}{end}")
    result = "".join(lines)
    framed = framed_as(source, result)
    try:  # (framed too: a fence inside a string literal could frame it otherwise, the session-48 final read's fuzz)
        same = ast.dump(ast.parse(result)) == ast.dump(tree) == ast.dump(ast.parse(whole_code(framed)))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return framed if same else None
