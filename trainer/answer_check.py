"""Whether a text the verifier paid in full answers the verifier's requests of the reference as the reference does.

Why: red-team round 59 (F1) had a verifier run every program honestly and then pay the *novel* wrong ones (far from
the reference, not computing what a failure case computes) whenever a hash of their results fell in a share S.
Validation never showed it such a program (its wrong programs are mutants of the reference and twins of the failure
cases, and the verifier told both apart), and training's rules had nothing to compare: its score was a function of
what the runs reported (no results split), it ran every program (no unrun), and a mutant of a paid program computes
something else and was paid only at S (no mutant share). It paid 67 to 144 of 144 wrong programs over 24 groups,
unflagged. Yet every one of them answered the requests the verifier made of its own reference otherwise than the
reference did: an honest verifier that pays a program in full has seen it answer its tests as the right program does.

So, for each text of a task that the verifier paid in full, the trainer runs the text's code and the reference's
on those requests (the runs :mod:`trainer.results_replay` replays, in one verify call of its own, :data:`CHECK`) and
compares what each call returned, leniently (:data:`CHECK`'s ``alike``): integers exactly, numbers where either is a
float within 1% (or 0.01), strings up to case, runs of whitespace and the punctuation around them (``"Yes."`` and
``yes``), a number and a string that spells it, the items of a returned list in any order (their own items in
order: ``[r, c]`` is not ``[c, r]``), a set like a list of its members, a dict's missing key like a zero or empty
value; a call where
the reference raised, like any result (an honest verifier that calls ``f(None)`` only to see it end pays a program
that returns 0 there), except where no run compared a value: there a text that returned where the reference
raised answered otherwise (since 1.45: on a task whose function returns None and refuses what it must, a verifier
that paid programs refusing nothing was unchecked; another exception or message is still alike, as an honest
verifier may accept it); stdout only where the reference's calls returned nothing (a script, or procedures that
print), token by token the same way, or else by the numbers printed (``Answer: 42`` and ``42``). Why so lenient:
an honest verifier may accept the right answer in any order, within a tolerance, or whatever the program printed
beside it (red-team round 60 flagged five honest shapes before the last four of these); a wrong program it pays
differs by more (F1's differed by whole numbers). What that leniency leaves open: a verifier that pays wrong answers
differing from the right ones only in order, case or punctuation is not caught here (round 60, A5). What no
comparison can excuse: a task whose right answers are many (any valid pair of indices, any multiple of 7) pays
programs that answer otherwise than its reference honestly; the rule's share (:mod:`trainer.monitor_answers`) is
what keeps the few of those a policy writes from flagging it.

Both codes are stretches of the one text the check scores (the reference's code, then the text's), as
``run_response`` requires, and the verdict is the check's own score: 1.0 alike, 0.0 not. A text whose run timed out
where the reference's completed answered otherwise (red-team round 60, A6: a verifier paid wrong programs that loop
on one large request, and a time-out that gave no verdict hid them), and so did one whose answers could not even be
compared (round 60, A5: a string where a list was due crashed the comparison, and no verdict hid it), and so does
one whose comparison took more than :data:`verifier.answers_check.MAX_STEPS` steps, or went on past the call's wall
less part of its slack (since validator 1.43, as validation's: before, such a call ran past its wall and gave no
verdict, so a verifier whose requests had long answers, such as 256 lists of 900 floats, left every wrong program it
paid unchecked where the program's answers differed from the reference's item by item). A run of the
reference that did not complete raises: no verdict (the sandbox's ``verifier_error``). A text that defines several public
functions and not the reference's name is checked under each (at most four: since 1.43,
:func:`verifier.called_names.candidates`), and answered alike where one of them did: which one the verifier called,
training does not know. Each distinct code of a task
is checked once a run, a check without a verdict too.
"""

from __future__ import annotations

from collections.abc import Sequence

from verifier.called_names import called_name, renamings
from trainer.scoring import ScoringPool
from verifier.answers_check import CHECK, CHECK_BUDGET_S, MAX_STEPS, TRAINING_ENDINGS, check_source
from verifier.answers_check import verdict as checked
from verifier.response_code import whole_code

__all__ = ["CHECK", "CHECK_BUDGET_S", "MAX_CHECKED", "AnswerCheck", "check_source"]

MAX_CHECKED = 4096
"""Codes whose verdict is kept per task, at most (later ones are checked every time they are paid)."""


class AnswerCheck:
    """Per task, which codes answered the reference's requests as the reference does (checked once each)."""

    def __init__(self, pool: ScoringPool) -> None:
        self._pool = pool
        self._known: dict[str, dict[str, bool | None]] = {}
        self._checks: dict[tuple[str, str | None], str] = {}  # per task and name called: the checking verifier
        self._references: dict[str, str] = {}  # per task: the reference's code

    def alike(self, items: Sequence[tuple[str, Sequence[list], str, str]]) -> list[bool | None]:
        """For each ``(task_id, runs, reference, text)``: whether the text's code answered ``runs`` (the replayed
        requests) as the reference's code did, where it defines several public functions and not the reference's
        name whether one of them did (:func:`verifier.called_names.candidates`); None where either holds no code, or
        the check gave no verdict (a run of the reference that did not complete, a sandbox failure). One pool call
        for every code not checked before. Both codes are found however long their texts are: a cap let a reference padded past 20,000
        characters, or wrong programs paid only in texts that long, go unchecked (red-team round 60, A1 and A3)."""
        found: list[bool | None] = []
        todo: dict[tuple[str, str, str], list[int]] = {}
        codes = []
        for index, (task_id, runs, reference, text) in enumerate(items):
            if task_id not in self._references:  # (a task's replay is made once a run: so is its check)
                self._references[task_id] = whole_code(reference)
            reference_code = self._references[task_id]
            code = whole_code(text)
            codes.append(code)
            known = self._known.get(task_id, {})
            found.append(known.get(code) if reference_code and code else None)
            if reference_code and code and code not in known:  # (a code checked before is neither parsed nor run)
                for name in renamings(runs, code) or (None,):  # (each candidate function: called_names)
                    source = self._source(task_id, runs, reference_code, name)
                    todo.setdefault((task_id, source, f"{reference_code}\n{code}"), []).append(index)
        if not todo:
            return found
        results = self._pool.score_batch([(source, text) for _, source, text in todo])
        verdicts: dict[int, list[bool | None]] = {}
        for indices, result in zip(todo.values(), results, strict=True):
            for index in indices:
                verdicts.setdefault(index, []).append(checked(result))
        for index, each in verdicts.items():  # (alike where one candidate was; otherwise where every one was)
            verdict = True if True in each else False if all(one is False for one in each) else None
            known = self._known.setdefault(items[index][0], {})
            if len(known) < MAX_CHECKED:  # (no verdict stays none: the reference's run did not complete)
                known[codes[index]] = verdict
            found[index] = verdict
        return found

    def _source(self, task_id: str, runs: Sequence[list], reference_code: str, name: str | None) -> str:
        """The task's checking verifier, its texts' calls made to ``name`` (None: the reference's); made once per
        task and name (at most :data:`MAX_CHECKED` kept)."""
        source = self._checks.get((task_id, name))
        if source is None:
            source = check_source(runs, reference_code, None if name is None else {called_name(runs): name},
                                  max_steps=MAX_STEPS, endings=TRAINING_ENDINGS)
            if len(self._checks) < MAX_CHECKED:
                self._checks[task_id, name] = source
        return source
