"""What a response process may run: only code that is part of the response being scored.

Runs inside the sandbox, standard library only, in the response process before any of the code runs
(``response.response_main``). The text comes from the file the zygote keeps for the verifier process
(``run.Run.offer``: an 8-byte length, then UTF-8), whose descriptor the fork server hands to each response process
that verifier starts; it is read and closed here, so no code of the response ever holds it. Why: code that a
verifier passed to ``run_response`` ran in a response process without the static checks the verifier's own code
passes, so a verifier read the real clock there, was admitted, and would have paid every wrong answer in training
once a date its validation never reached had passed (red-team round 34). A verifier may cut a stretch of the
response or keep whole lines of it in their order, whitespace aside; anything else loads with the error
:data:`NOT_THE_RESPONSE` (``run_response`` raises it in the verifier).
"""

import _ast
import os
import struct

from verifier.sandbox.zygote.fork_protocol import RAN_OFFSET, RAN_SLOT, TEXT_HEADER, TEXT_OFFSET

NOT_THE_RESPONSE = "NotTheResponse"
TEXT_CAP = 64 << 20
"""The most of the text read (the request's own cap): a response is far smaller."""


REFUSAL = ("run_response runs only code that is part of the response being scored (a stretch of it, or whole lines of "
           "it in their order, whitespace aside); pass it the response's own code")


def scored_text(fd):
    """(the run's clock shift in nanoseconds, the response being scored, its number in the run), from the zygote's
    file (``run.Run.offer``: the header, and the UTF-8 text at ``TEXT_OFFSET``); (None, None, None) when it cannot be read (then no code
    runs)."""
    try:
        header = os.pread(fd, TEXT_HEADER.size, 0)
        shift, length, number, _ = TEXT_HEADER.unpack(header)
        chunks, size = [], 0
        while size < min(length, TEXT_CAP):
            chunk = os.pread(fd, min(length - size, 1 << 20), TEXT_OFFSET + size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return shift, b"".join(chunks).decode("utf-8", "surrogatepass"), number
    except (OSError, ValueError, TypeError, struct.error):
        return None, None, None


def mark_ran(fd, number):
    """Write ``number`` (the text's, as read) into the file's *ran* slot: part of that text is about to run. Called
    before any code of the response runs, and the descriptor is closed right after, so no response code can write
    it; a process that read an earlier text writes that text's number, which the zygote does not take for the
    current one, and never over a later one's (red-team round 46: a process slowed between reading its text and
    marking it overwrote the next text's mark, and a response that ran read as not run)."""
    try:
        slot = os.pread(fd, RAN_SLOT.size, RAN_OFFSET)
        if len(slot) == RAN_SLOT.size and RAN_SLOT.unpack(slot)[0] >= number:
            return
        os.pwrite(fd, RAN_SLOT.pack(number), RAN_OFFSET)
    except (OSError, struct.error, TypeError):
        pass


def exercises(code, calls):
    """Whether running ``code`` with ``calls`` runs some of the response's own logic, and so counts as running it
    (``mark_ran``): a call to a name the code binds at its top level (a function, a class, an assignment, an
    import), or, run as a script (no calls), a top-level statement that does more than import, define or name a
    constant. Why: any accepted fragment started a process, so a verifier that ran ``sum`` or ``import math`` out of
    a program, or the whole module with a call to no function of it, was recorded as running the program it paid
    by its look (red-team round 46)."""
    names = [call[0] for call in calls if isinstance(call, list) and call and isinstance(call[0], str)] if calls else []
    if any(_defined_at_top(code, name) for name in names):
        return True  # the common case, without a parse (a parse, or compiling a pattern, cost a fresh process
        # 0.1-0.3 ms: an eighth of the run_response throughput)
    try:  # the C parser's tree, without the ``ast`` module (whose import every forked process would carry)
        tree = compile(code, "<response>", "exec", _ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError):
        return False
    if calls:
        bound = set()
        for statement in tree.body:
            if isinstance(statement, (_ast.FunctionDef, _ast.AsyncFunctionDef, _ast.ClassDef)):
                bound.add(statement.name)
            elif isinstance(statement, (_ast.Import, _ast.ImportFrom)):
                bound.update((alias.asname or alias.name).split(".")[0] for alias in statement.names)
            else:
                targets = (statement.targets if isinstance(statement, _ast.Assign)
                           else [statement.target] if isinstance(statement, (_ast.AnnAssign, _ast.AugAssign)) else [])
                bound.update(target.id for target in targets if isinstance(target, _ast.Name))
        return any(isinstance(call, list) and call and call[0] in bound for call in calls)
    return any(not isinstance(statement, (_ast.Import, _ast.ImportFrom, _ast.FunctionDef, _ast.AsyncFunctionDef,
                                          _ast.ClassDef, _ast.Pass))
               and not (isinstance(statement, _ast.Expr) and isinstance(statement.value, _ast.Constant))
               for statement in tree.body)


def _defined_at_top(code, name):
    """Whether a line of ``code`` starts ``def name``, ``async def name`` or ``class name`` (single spaces; other
    spellings are left to the parse). String search only: nothing compiled in a fresh process."""
    for head in ("def ", "async def ", "class "):
        key = head + name
        start = code.find(key)
        while start >= 0:
            end = start + len(key)
            at_line_start = start == 0 or code[start - 1] == "\n"
            if at_line_start and (end == len(code) or not (code[end].isalnum() or code[end] == "_")):
                return True
            start = code.find(key, start + 1)
    return False


def part_of_response(code, text):
    """Whether ``code`` is part of ``text``, whitespace aside: one stretch of it (fences, a prefix or a suffix cut,
    dedented, other line ends), or whole lines of it in their order (two fenced blocks joined, prose or a demo
    block between them dropped). Code the verifier wrote, or pieces of lines put together, is not: in training a
    verifier has only the policy's text to run (a policy that wrote the verifier's probe is its own doing)."""
    if not isinstance(code, str) or not isinstance(text, str):
        return False
    if "".join(code.split()) in "".join(text.split()):
        return True
    remaining = ("".join(line.split()) for line in text.splitlines())
    return all(any(line == candidate for candidate in remaining)  # (one iterator: the lines keep their order)
               for line in ("".join(line.split()) for line in code.splitlines()) if line)
