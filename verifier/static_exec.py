"""The ``executes_response`` check: a verifier must never run the response as code in its own process.

Response code run in the verifier's process can forge the verdict (walk ``sys._getframe()`` to the harness, return
an object equal to anything, patch builtins, raise ``SystemExit``). The sandbox gives verifiers a primitive that
runs response code in a fresh process of its own and hands back plain JSON values; this check, read from the
source by :func:`task_bank.response_exec.find_response_exec`, rejects verifiers that do it the old way, with a
repair hint the generator's repair round shows the model.

The reading also counts an import of any module the sandbox does not ship (not the standard library, not
``envsynth_sandbox``, not an allow-listed verifier library): it can only be a file the verifier wrote at run time,
e.g. the response saved as ``solution.py``. The allow-list is the pool's (``Limits.libraries``), passed in here,
since ``task_bank`` may not import the verifier layer.

Tasks written the old way (HumanEval-style imports) pass only when the caller allows it explicitly
(``--allow-response-exec``, :attr:`verifier.validate.ValidationConfig.allow_response_exec`); such a task is then
marked (:func:`mark_response_exec`) and every scorer runs each of its responses in a process of its own
(:mod:`verifier.routing`).
"""

from __future__ import annotations

from collections.abc import Sequence

from task_bank.response_exec import RESPONSE_EXEC_KEY, ExecFinding, executes_response
from task_bank.spec import TaskSpec
from task_bank.validation import CheckResult, Reason
from verifier.libraries import DEFAULT_LIBRARIES

NAME = "executes_response"
"""The check's name; a failing check carries the reason of the same name."""
REPAIR_HINT = (
    "Never run the response in the verifier's process. Use the sandbox's response primitive: "
    "`from envsynth_sandbox import plain, run_response`, then "
    "`run = run_response(response, calls=[(\"fn\", [arg1, arg2]), ...], timeout=1.0)`; it runs the code in a fresh "
    "process of its own and returns plain JSON values: compare `call.ok and call.value == plain(expected)` for each "
    "`call` in `run.calls` (also `run.stdout`, `run.load_error`). Arguments must be plain JSON values.")
"""What the generator's repair round is told (the ``detail`` of a failing check ends with it)."""
_MAX_LISTED = 5


def check_response_exec(findings: Sequence[ExecFinding], allowed: bool) -> CheckResult:
    """Fails with ``executes_response`` on any finding, unless ``allowed`` (then it passes and says so)."""
    if not findings:
        return CheckResult(name=NAME, passed=True, detail="the response is never run as code in the verifier")
    listed = "; ".join(f"line {f.line}:{f.col} {f.detail}" for f in findings[:_MAX_LISTED])
    if allowed:
        return CheckResult(name=NAME, passed=True,
                           detail=f"admitted under --allow-response-exec ({listed}); every scorer runs each "
                                  "response in a process of its own")
    return CheckResult(name=NAME, passed=False, reason=Reason.EXECUTES_RESPONSE,
                       detail=f"the verifier runs the response as code in its own process ({listed}). {REPAIR_HINT}")


def mark_response_exec(spec: TaskSpec, libraries: Sequence[str] = DEFAULT_LIBRARIES) -> TaskSpec:
    """``spec`` recorded as admitted under ``--allow-response-exec`` when its verifier runs the response (the mark
    travels in ``metadata``, so it round-trips through the bank and export); other specs are returned unchanged.
    ``libraries``: the sandbox's allow-listed verifier libraries (importing one is not running the response)."""
    if not executes_response(spec.verifier, libraries) or spec.metadata.get(RESPONSE_EXEC_KEY) is True:
        return spec
    return spec.model_copy(update={"metadata": {**spec.metadata, RESPONSE_EXEC_KEY: True}})
