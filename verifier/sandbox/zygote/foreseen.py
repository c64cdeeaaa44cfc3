"""The runs of ``run_response`` that the text alone decides: answered in the verifier's process, with no process.

Runs inside the sandbox, in the verifier's process, standard library only. Nothing of the response runs here: the
text is compiled, never executed, and only where compiling it is cheap and its outcome certain (:func:`foreseen`).
"""

import builtins
import re
import warnings

from verifier.sandbox.zygote.plainjson import clean_text
from verifier.sandbox.zygote.response_results import CallResult, ResponseError, ResponseRun, load_failed


def foreseen(code, wanted):
    """The :class:`ResponseRun` a process would report for ``code``, when the text alone decides it; else None.

    Why: a response that is prose, not code (most wrong answers to a coding task, and validation's junk, echo and
    random probes), cost a whole sandboxed process only to fail at its first line. Three cases are certain without
    running anything of the response: code that does not compile (a ``SyntaxError`` or ``ValueError`` with no
    warning on the way; not a recursion or memory error, which depend on this process), code that does nothing
    (empty, comments, a bare constant: the calls find no function), and code that only names one unknown name (a
    bare word: ``NameError`` when executed). The answers are the process's own, field for field (a test compares
    them), so a verifier sees the same run either way, in validation and in training alike.

    Left to the process: code longer than :data:`FORESEEN_CHARS` that does not fail early (:func:`_fails_early`:
    compiling it here would spend the verifier's own time, outside the run's timeout: an f-string of 90 KB took a
    second), code holding surrogate code units (the request's JSON joins a split pair, so the process would compile
    other text), and a bare name longer than 200 UTF-8 bytes (CPython cuts the name in its message there)."""
    if (len(code) > FORESEEN_CHARS and not _fails_early(code)) or _SURROGATE.search(code):
        return None
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            compiled = compile(code, "<response>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            try:
                message = None if seen else str(exc)
            except Exception:
                message = None
            if message is None:
                return None
            return load_failed(len(wanted), ResponseError(clean_text(type(exc).__name__, 100),
                                                           clean_text(message, 1000)))
        except Exception:
            return None
    if seen or compiled.co_consts != (None,):
        return None
    if compiled.co_code == _INERT.co_code and not compiled.co_names:
        if any(name in _PRESET_NAMES for name, _, _ in wanted):
            return None
        return ResponseRun(outcome="completed", loaded=True, load_error=None, calls=tuple(
            CallResult(ok=False, error=ResponseError("NameError", clean_text(f"the response defines no {name!r}",
                                                                              1000)))
            for name, _, _ in wanted))
    if compiled.co_code == _BARE_NAME.co_code and len(compiled.co_names) == 1:
        name = compiled.co_names[0]
        if name in _PRESET_NAMES or name in _BUILTIN_NAMES or len(name.encode("utf-8")) > 200:
            return None
        return load_failed(len(wanted), ResponseError("NameError", clean_text(f"name {name!r} is not defined", 1000)))
    return None



def _fails_early(code):
    """Whether compiling the whole of ``code`` (at most :data:`FORESEEN_LONG_CHARS`) is certain to be cheap: its first
    :data:`PREFIX_CHARS` characters fail to parse with CPython's generic ``invalid syntax`` at a token of the first
    line that lies well before the cut. That message names the furthest token the parser read, so the parser never
    looked past it, and on the whole text it reads the same tokens and fails at the same place; what is left is the
    tokenizer's pass over the rest (linear, about 10 us a kilobyte here). Only the cost is decided here: the answer
    still comes from compiling the whole text. Why: validation's junk probe (20,000 characters of words and numbers)
    cost a response process in every run, only to fail at its second word."""
    if len(code) > FORESEEN_LONG_CHARS:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(code[:PREFIX_CHARS], "<response>", "exec", dont_inherit=True)
        except SyntaxError as exc:
            return exc.msg == "invalid syntax" and exc.lineno == 1 and 0 < (exc.offset or 0) <= PREFIX_CHARS // 2
        except Exception:
            return False
    return False



FORESEEN_CHARS = 16_384
FORESEEN_LONG_CHARS = 256 << 10
PREFIX_CHARS = 2_048
_SURROGATE = re.compile("[\ud800-\udfff]")
_INERT = compile("", "<response>", "exec", dont_inherit=True)
_BARE_NAME = compile("name", "<response>", "exec", dont_inherit=True)
_PRESET_NAMES = frozenset({"__name__", "__builtins__"})  # what the response process's namespace starts with
_BUILTIN_NAMES = frozenset(dir(builtins)) | {"exit", "quit"}  # read at the sandbox's start, before any verifier ran;
# exit and quit: the response process has them (``response_calls.site_builtins``)
