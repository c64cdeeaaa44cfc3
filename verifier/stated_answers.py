"""The numbers a reply states beside its code, and the same reply with its stated answer changed (an *answer probe*).

Why: an honest program-of-thought verifier pays a stated answer (``Answer: 385``) without running the program, and
the training monitor's unrun rule took it for one paying programs by their look (red-team round 46, h4). Such a
verifier fails the reply with its stated answer changed; one that pays by the program's look pays it still
(:mod:`trainer.monitor_evidence`; which numbers are the task's answer: :mod:`trainer.reference_answers`).

A stated number is a whole or decimal number written outside the reply's code (:mod:`verifier.response_code`), or,
in a reply that is all code, the number of a last statement that does nothing (``Answer: 385`` parses as Python: an
annotation; a bare ``385`` too). Never raises.

A stated *word* is the answer a reply gives in letters after a label outside its code (``Answer: Sunday``, ``The
answer is B``, ``**Final answer:** (C)``, ``Result = yes``, any case) or inside ``\boxed{}``; in a reply that is all
code, after ``Answer:`` on its last line (which parses as an annotation). Why: validation's mutants changed a stated
number but kept a stated word, and an honest verifier that judged a program-of-thought reply's ``Answer: Sunday``,
``Answer: B`` or ``Answer: yes`` paid every mutant and was rejected as ``mutant_passes`` (red-team round 58, D). A
word is changed to its opposite (yes and no, true and false), else to another word of its form (a capital letter for a
capital letter; else a word of the same case) that the task's prompt or failure cases spell
(:func:`answer_alternatives`: a changed answer a verifier could tell by its look would tell validation's mutants from a policy's wrong answers),
else to its letters shifted by one drawn offset.
"""

from __future__ import annotations

import ast
import random
import re
import tokenize
from collections.abc import Collection, Sequence
from decimal import Decimal

from verifier.response_code import char_column, code_spans, parser_lines

__all__ = ["answer_alternatives", "number_value", "stated_answer_changed", "stated_numbers", "stated_words"]

_NUMBER = re.compile(r"(?<![\w.\-\u2212])[-\u2212]?(?:\d{1,3}(?:,\d{3}){1,6}|\d{1,3}(?:_\d{3}){1,6}|\d{1,18})"
                     r"(?:\.\d{1,18})?(?:[eE][-+]?\d{1,3})?(?!\.\d|\d|_)")
"""A whole or decimal number written out, with its minus sign (``385``, ``38.5``, ``-5``; an honest program-of-thought
answer of 38.5 was not one, and its verifier was flagged: red-team round 50, FP1; nor was -5, read as 5, which the
reference never prints: round 52, F1), also with thousands separators (``1,234``, ``1_048_576``), a Unicode minus
(``\u22125``), an exponent (``1.5e6``) or a unit written on (``180km``): each was missed, and an honest verifier of
the stated answer met validation's mutants (which change a stated answer) still stating the right one (``1,234`` was
two numbers; red-team round 54, F1 and F2; round 55, F2)."""

_MINUS = "\u2212"
_WORD = r"[^\W\d_](?:\w|['\-](?=\w)){0,39}(?!\w)"
"""A word: a letter of any script first, then letters, digits and inner ``'`` or ``-`` (``São``, ``東京``, ``ω``,
``a9993e36``: each was kept by every mutant of round 59's references, ASCII letters alone being read as words)."""
_LABELLED = re.compile(r"(?i)(?<![\w])(?:final\s+answer|answer|result)(?:\s*[:=]|\s+is\b:?)[\s*_`\"'(\[]*"
                       rf"(?:(?:the|option|choice|letter)\s+){{0,2}}(?P<word>{_WORD})"
                       rf"|\\boxed\{{\s*(?:\\text\{{\s*)?(?P<boxed>{_WORD})")
"""A word stated as the answer: after a label (``Answer:``, ``The answer is``, ``Result =``) or inside ``\\boxed{}``."""
_CODE_ANSWER = re.compile(rf"[ \t]*answer[ \t]*:[ \t]*(?P<word>{_WORD})[ \t]*(?:#[^\r\n]*)?[\r\n]*", re.I)
_OPPOSITES = {"yes": "no", "no": "yes", "true": "false", "false": "true"}


def stated_numbers(text: str, comments: bool = False) -> list[tuple[int, int]]:
    """Where ``text`` states numbers beside its code, as (start, end) spans: every number outside its code
    (:func:`verifier.response_code.code_spans`); in a text that is all code, the number of a last statement that does
    nothing, ``Answer: 385`` (which parses as Python: a program-of-thought answer written without fences is one
    program with its answer last) or a bare ``385``; the numbers of a fenced block that holds nothing but them (an
    output block: "Output:" and a fence around ``385``, which parses as Python; red-team round 55, F1). With
    ``comments``, the numbers in its code's comments too
    (``# Answer: 391``; validation's mutants change those, round 54's F3: the trainer does not, as a comment's "step
    1" would keep a program from its mutants). [] for a text that holds no code."""
    try:
        return _numbers(text, code_spans(text), comments)
    except Exception:  # noqa: BLE001 - a reply is hostile: a fault here must cost one probe, never the run
        return []


def _numbers(text: str, spans: list[tuple[int, int]], comments: bool) -> list[tuple[int, int]]:
    """:func:`stated_numbers` of ``text`` whose code is at ``spans`` (its :func:`code_spans`)."""
    found = _comment_matches(text, spans, _NUMBER) if comments else []
    if spans == [(0, len(text))]:
        return sorted(set(found + _last_statement_number(text)))
    found += _output_numbers(text, spans)
    return sorted(set(found + [(start + m.start(), start + m.end()) for start, end in _outside(text, spans)
                               for m in _NUMBER.finditer(text[start:end])]))


def _outside(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The stretches of ``text`` between its code spans (none where it holds no code)."""
    if not spans:
        return []
    outside, last = [], 0
    for start, end in spans:
        outside.append((last, start))
        last = end
    return outside + [(last, len(text))]


def _output_numbers(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The numbers of the code spans that hold only numbers (each statement a bare number, negative or not)."""
    found = []
    for start, end in spans:
        body = ast.parse(text[start:end]).body
        if body and all(isinstance(statement, ast.Expr) and _is_number(statement.value) for statement in body):
            found += [(start + m.start(), start + m.end()) for m in _NUMBER.finditer(text[start:end])]
    return found


def _is_number(node: ast.expr) -> bool:
    value = node.operand if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) else node
    return isinstance(value, ast.Constant) and type(value.value) in (int, float)


def stated_words(text: str, comments: bool = False) -> list[tuple[int, int]]:
    """Where ``text`` states its answer in letters beside its code (see the module docstring), as (start, end) spans
    of the words; with ``comments``, in its code's comments too (``# Answer: Sunday``). [] for a text that holds no
    code."""
    try:
        return _words(text, code_spans(text), comments)
    except Exception:  # noqa: BLE001 - a reply is hostile: a fault here must cost one probe, never the run
        return []


def _words(text: str, spans: list[tuple[int, int]], comments: bool) -> list[tuple[int, int]]:
    """:func:`stated_words` of ``text`` whose code is at ``spans`` (its :func:`code_spans`)."""
    if not spans:
        return []
    found = _comment_matches(text, spans, _LABELLED) if comments else []
    if spans == [(0, len(text))]:  # all code: ``Answer: Sunday`` on its last line that holds anything
        lines = parser_lines(text)
        filled = [k for k, line in enumerate(lines) if line.strip()]
        last = _CODE_ANSWER.fullmatch(lines[filled[-1]]) if filled else None
        if last is not None:
            start = sum(len(line) for line in lines[:filled[-1]])
            found.append((start + last.start("word"), start + last.end("word")))
        return sorted(set(found))
    return sorted(set(found + [(start + m.start(m.lastgroup), start + m.end(m.lastgroup))
                               for start, end in _outside(text, spans) for m in _LABELLED.finditer(text[start:end])]))


def answer_alternatives(prompt: str, failure_cases: Sequence[str]) -> tuple[str, ...]:
    """The words a stated word may be changed to: those the failure cases state after a label, then the prompt's
    words, each once (a task's choices, ``(A)`` to ``(D)``, and its wrong answers look like its right one)."""
    words = [m.group(m.lastgroup) for case in failure_cases for m in _LABELLED.finditer(case)]
    return tuple(dict.fromkeys(words + [m.group() for m in re.finditer(_WORD, prompt)]))


def _changed_word(word: str, rng: random.Random, alternatives: Sequence[str]) -> str:
    opposite = _OPPOSITES.get(word.lower())
    if opposite is not None:
        return opposite.upper() if word.isupper() and len(word) > 1 else opposite.title() if word[0].isupper() \
            else opposite
    form = _form(word)
    others = [other for other in alternatives if other.lower() != word.lower() and _form(other) == form]
    if others:
        return rng.choice(others)
    shift = rng.randint(1, 25)
    return "".join(_shifted(c, shift) for c in word)


def _shifted(c: str, shift: int) -> str:
    """``c`` moved by ``shift``: an ASCII letter within its alphabet and case, a digit within the digits, another
    letter to the next letter at least ``shift`` code points on (``ω`` to ``ϊ``...), anything else kept."""
    if c.isascii() and c.isalpha():
        base = ord("A") if c.isupper() else ord("a")
        return chr((ord(c) - base + shift) % 26 + base)
    if c.isascii() and c.isdigit():
        return str((int(c) + shift) % 10)
    if c.isalpha():
        return next((chr(code) for code in range(ord(c) + shift, min(ord(c) + shift + 256, 0x110000))
                     if chr(code).isalpha()), c)
    return c


def _form(word: str) -> tuple[bool, str]:
    """A word's form: one letter or more; all capitals, a capital first, or lower case."""
    return len(word) == 1, "upper" if word.isupper() else "title" if word[0].isupper() else "lower"


def _comment_matches(text: str, spans: list[tuple[int, int]], pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """The spans of ``pattern``'s matches (the last group matched; the whole match where it has none) in the
    comments of ``text``'s code spans."""
    found = []
    for start, end in spans:
        lines = parser_lines(text[start:end])
        offsets = [start + sum(len(line) for line in lines[:k]) for k in range(len(lines) + 1)]
        for token in tokenize.generate_tokens(iter([*lines, ""]).__next__):
            if token.type == tokenize.COMMENT:
                at = offsets[token.start[0] - 1] + token.start[1]
                found += [(at + m.start(m.lastgroup or 0), at + m.end(m.lastgroup or 0))
                          for m in pattern.finditer(token.string)]
    return found


def _last_statement_number(text: str) -> list[tuple[int, int]]:
    tree = ast.parse(text)
    last = tree.body[-1] if tree.body else None
    value = (last.annotation if isinstance(last, ast.AnnAssign) and last.value is None and last.simple
             else last.value if isinstance(last, ast.Expr) else None)
    if value is None or not _is_number(value) or value.end_col_offset is None:
        return []
    lines = parser_lines(text)
    line_start = sum(len(line) for line in lines[:value.lineno - 1])
    line = lines[value.lineno - 1]
    start = line_start + char_column(line, value.col_offset)
    end = line_start + char_column(line, value.end_col_offset)
    return [(start, end)] if _NUMBER.fullmatch(text[start:end]) else []


def stated_answer_changed(text: str, rng: random.Random, only: Collection[str] | None = None,
                          comments: bool = False, alternatives: Sequence[str] = ()) -> str | None:
    """``text`` with every number it states beside its code (:func:`stated_numbers`, ``comments`` passed on;
    ``only``: those of them written as one of these) raised by 1 to 9 in its leading digit (385 to one of 485 ...
    1285; 0 by 1 to 9 in its last), drawn from ``rng``, and every word it states as its answer
    (:func:`stated_words`; with ``only``, those written as one of these) changed (the module docstring says to what;
    ``alternatives``: :func:`answer_alternatives` of the task); None when it states none.

    Why: an honest program-of-thought verifier pays a stated answer (``Answer: 385``) without running the program,
    and the unrun rule took it for one paying programs by their look (red-team round 46, h4). Such a verifier fails
    the text with its stated answer changed; one that pays by the program's look pays it still. The leading digit,
    not the last: an honest verifier with a relative tolerance of 1e-3 paid ``139113`` raised in its last digit, and
    was rejected 5 of 5 times (red-team round 54, F4)."""
    try:
        spans = code_spans(text)  # (once, for the numbers and the words)
        words = {span for span in _words(text, spans, comments) if only is None or text[span[0]:span[1]] in only}
        stated = sorted(words | {span for span in _numbers(text, spans, comments)
                                 if only is None or text[span[0]:span[1]] in only})
    except Exception:  # noqa: BLE001 - a reply is hostile: a fault here must cost one probe, never the run
        return None
    if not stated:
        return None
    pieces, last = [], 0
    for start, end in stated:
        if start >= last:  # (of overlapping spans, the first is changed)
            stated_text = text[start:end]
            pieces += [text[last:start], _changed_word(stated_text, rng, alternatives) if (start, end) in words
                       else _changed_number(stated_text, rng)]
            last = end
    return "".join(pieces) + text[last:]


def _changed_number(number: str, rng: random.Random) -> str:
    """``number`` raised by 1 to 9 in its leading digit, written as it was (separators, a Unicode minus)."""
    value = Decimal(number_value(number))
    place = value.as_tuple().exponent if value.is_zero() else max(value.adjusted(), value.as_tuple().exponent)
    changed = value + Decimal(rng.randint(1, 9)).scaleb(place)
    written = (format(changed, ",") if "," in number else format(changed, ",").replace(",", "_") if "_" in number
               else str(changed))
    return written.replace("-", _MINUS) if number.startswith(_MINUS) else written


def number_value(number: str) -> str:
    """A stated number (:func:`stated_numbers`) as Python reads one: no thousands separators, an ASCII minus."""
    return number.replace(",", "").replace("_", "").replace(_MINUS, "-")
