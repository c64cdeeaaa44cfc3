"""Which numbers a task's answer is: the ones its reference prints, asked of the sandbox.

Why: the unrun rule excuses a program its verifier paid without running it when the program states the task's
answer beside its code and the verifier fails the same text with that answer changed (an honest program-of-thought
verifier pays ``Answer: 385`` and runs only the programs that state none). Excusing *any* number a program states
let a verifier that paid programs by their look hide behind a number of its own choosing: it paid only texts saying
"Tested on Python 3.", failed the answer probe that said "Python 7", and was paid 198 of 198 wrong programs with no
flag; another paid function programs with a true worked example in prose (red-team round 50, E2 and E3). Now a number
is excused only where the reference, run as a script in the sandbox, prints it on its last line of output: the task's
answer. A reference that prints nothing (a function task) excuses nothing.

The question is put to the pool as a verifier of our own (:data:`ANSWER_CHECK`: it runs the reference's code with
``run_response`` and pays 1.0 when its last printed line holds the number), one call per number, each answer kept for
the run; at most ``checks_per_task`` numbers are asked about per task (a policy stating ever new numbers costs no more;
an unasked number is not excused).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from task_bank import Outcome, TaskSpec
from trainer.scoring import ScoringPool
from verifier.response_code import code_of
from verifier.stated_answers import number_value

ANSWER_CHECK = '''import re
from envsynth_sandbox import run_response

WANT = float({number!r})


def verify(response: str) -> float:
    run = run_response(response, calls=[], timeout={timeout!r})
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    found = re.findall(r"[-\u2212]?(?:[0-9]{{1,3}}(?:,[0-9]{{3}})+|[0-9]+)(?:[.][0-9]+)?", lines[-1]) if lines else []
    values = [float(n.replace(",", "").replace("\u2212", "-")) for n in found]
    return 1.0 if any(abs(value - WANT) <= 1e-9 * max(1.0, abs(WANT)) for value in values) else 0.0
'''
"""The verifier that asks whether a reference prints ``number`` on its last line of output (``number`` as Python
reads it; the output's numbers may be written with thousands separators or a Unicode minus, as a reply's may)."""


def states_answer(reference: str) -> bool:
    """Whether ``reference`` can print an answer when run as a script: its code has a top-level statement that does
    more than import, define, assign or document (a call, a loop, an ``if __name__`` block). A function task's does
    not, so no number a reply states can be its answer, and a program paid unrun that states one is judged like any
    other (red-team round 53: "Python 3.7" or "Step 1" beside a function kept its mutants away)."""
    code = code_of(reference)
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return any(not isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                     ast.Assign, ast.AnnAssign, ast.Pass))
               and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)) for node in tree.body)


class ReferenceAnswers:
    """Asks the sandbox which stated numbers are a task's answer, and remembers the answers for the run."""

    def __init__(self, pool: ScoringPool, checks_per_task: int = 8, timeout_s: float = 1.0) -> None:
        self._pool = pool
        self._checks_per_task = checks_per_task
        self._timeout_s = timeout_s
        self._known: dict[tuple[str, str], bool] = {}
        self._asked: dict[str, int] = {}

    def answers(self, spec: TaskSpec, numbers: Sequence[str]) -> set[str]:
        """The numbers among ``numbers`` that ``spec``'s reference prints on its last line (each asked once, in the
        order given: the caller puts the last number a reply states first, its answer line; asked in string order, a
        written-out sum's ``385`` came after eight others and was never asked: red-team round 52, F2)."""
        code = code_of(spec.reference)
        if not code:
            return set()
        room = self._checks_per_task - self._asked.get(spec.id, 0)
        unknown = [n for n in dict.fromkeys(numbers) if (spec.id, n) not in self._known][:max(0, room)]
        if unknown:
            self._asked[spec.id] = self._asked.get(spec.id, 0) + len(unknown)
            results = self._pool.score_batch(
                [(ANSWER_CHECK.format(number=number_value(n), timeout=self._timeout_s), code) for n in unknown])
            for number, result in zip(unknown, results, strict=True):
                self._known[(spec.id, number)] = result.outcome is Outcome.SCORED and result.score == 1.0
        return {n for n in numbers if self._known.get((spec.id, n), False)}
