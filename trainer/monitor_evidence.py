"""A task's run-long evidence, and the four rules that judge it at every check: *canary*, *position*, *unrun* and
*mutant*.

Kept apart from :mod:`trainer.monitor` (which feeds it and turns a finding into a flag) because these rules share
one shape: counts that never expire, each judged against a threshold of :class:`trainer.monitor_config.MonitorConfig`.
Evidence of this kind does not decay: a verifier that tells training from validation does so whenever it can, and
one sighting is as true late in a run as early.

**position** — A verifier process scores a GRPO group's responses one after another, so a verifier can pay a
response by where it stands: every program after its K-th call, or only while its process has seen nothing but
programs (red-team findings; validation shows each verifier a process laid out as training's, but cannot show it
every layout). The reward function re-scores ``spot_checks`` responses of each group, at even odds *alone* (the
first call of a process of their own) or *after a canary* (second, after a fresh renamed twin of a failure case:
a verifier that recognised validation's twin openers paid everything else, alone included; red-team round 15)
(:class:`trainer.reward.VerifierReward`), and reports both rewards here.
An honest verifier gives a response the same score wherever it stands (validation checked that it is
deterministic), so a response that passes in its group and fails alone is a *gap* in the group's favour. A
response that draws its own randomness can differ either way; a verifier that pays by position differs one way
only; and only a score alone is evidence (a slow honest answer can run out of time alone that a warm process
did not spend: its verifier's first call builds its caches). The rule flags a task with at least
``min_position_gaps`` gaps in the group's favour, at least
``position_ratio`` times as many as the other way, or as many gaps the other way one-sidedly (a response that
failed in its group and passed alone: a verifier that paid a wrong program at its process's first call, where a spot
check alone stands, and honestly after it; red-team round 58), counted over the whole run (evidence of this kind does
not expire). A response that timed out in its group is not re-scored: alone it may finish.

**canary** — The reward function also scores known-wrong answers: ``canaries`` a group alone, in the background, and
``group_canaries`` inside the group's own call at a drawn place, where they meet the verifier at the calls its
responses do (red-team round 45: a verifier that paid failing answers only at calls 2 to 8 of a training group never
met an alone canary there). Each is a renamed twin of one of the task's failure cases (:mod:`verifier.code_renaming`,
drawn afresh, so no verifier can list it), a failure case as written, or the empty answer, at even odds. Each is as
wrong as its failure case, and validation saw the verifier score it low; one that pays it in training tells training
from validation by something validation could not vary (red-team findings: the host's page cache carried a bit from
validation's first call to its run 0; round 44's verifier paid the failure cases and the empty answer only while its
process had seen nothing but programs or empty answers, as in a training group of a coding task). The rule flags a
task once ``min_canary_passes`` canaries scored above ``canary_threshold``.

**unrun** — The sandbox's trusted side records whether a verifier ran any of a response's code (``run_response``:
``ScoreResult.ran_response``; a response process marks the text before any of its code runs, so no verifier can
say so). An honest verifier of a coding task judges a program by what it does: it runs every program it pays. A
verifier that runs programs (some response or canary of the task was run) yet pays programs it never ran judges
them by how they look; red-team round 45 (F4) had one run only the programs shaped like a failure case and pay
every other, which no canary could reach once it learnt to undo their reshaping (198 of 198 wrong programs paid,
no flag). A *program* here is a response whose code (its fenced blocks, or the whole text) parses as Python and does
something a bare value does not: a definition, an assignment, an import, a loop, a call (round 46: counting only
``def`` lines let ``total = lambda xs: ...`` be paid unrun, 109 of 109). *Paid* is scored above ``canary_threshold``,
as for canaries (round 46: counting only full marks let a verifier pay 0.99, 198 of 198 unflagged). The rule needs
``min_unrun_paid`` such programs and at least ``unrun_share`` of the programs paid: an honest verifier that
memoises its verdict per program, or pays the reference verbatim without running it, leaves a few unrun among many
run (round 46: flagged at 2 of about 100 before the share). What this cannot see: a verifier that runs every
program (or a fragment of it) and ignores what it saw, or one that never runs anything (a static checker, honest or
not, has no run to compare with); and it wrongly flags an honest verifier that pays most programs by a stated
answer and runs only the others (a program-of-thought task that reads an ``Answer: N`` line) was flagged too, until
*answer probes*: a program paid unrun that states the task's answer beside its code (a number its reference prints
on its last line: :mod:`trainer.reference_answers`; outside the program's code, or an unfenced last statement such
as ``Answer: 385``, which parses as Python) is scored again, in a later group's own call, with that answer changed
(:func:`verifier.stated_answers.stated_answer_changed`). Such a program counts for the rule only when that copy is
paid as much: a verifier that paid the stated answer fails it (round 46's h4: flagged at group 2, now clean), one
that pays the program's look pays it still. Any other number excuses nothing (round 50: a verifier that paid by look
only texts saying "Tested on Python 3." failed every probe that changed the 3, and was excused for 198 programs).

**mutant** — What unrun cannot see, a verifier that runs every program and then pays it by its look (red-team round
46, e2: 109 of 109 wrong programs paid over 30 groups, no flag), fails a test no look can pass: the reward function
scores *mutants* of programs the verifier ran and paid earlier in the run (one operator, number or name changed:
:mod:`verifier.code_mutation`), in the groups' own calls. A verifier that judges what a program computes fails most
of them; one that ignores what its runs returned pays them as it paid the originals. The rule flags a task once
``min_mutant_passes`` mutants were paid as much as their originals (and above ``canary_threshold``), at least
``mutant_share`` of the mutants scored. An equivalent mutant (one that computes the same on every input the verifier
tries) is paid by an honest verifier too, hence the share. Which programs give mutants is the reward function's
choice (:meth:`trainer.group_probes.GroupProbes.keep_paid`): those the verifier ran and paid, and, where the task's
reference is a program (validation then showed the verifier mutants of the reference and admitted it only as it
failed most), those it paid unrun, so a static checker that knew the reference's look and paid every other program by
its own is judged too; a static checker of a prose task (a style check that pays a reply holding code) gives none,
its mutants keeping their look. What this flags wrongly: an honest but lax one that runs programs yet checks little of what they return (any JSON, no crash), as its tests cannot tell
a changed program from the original: the detail says so, a reviewer restores the task or the repair round adds
tests.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from trainer.monitor_config import FlagRule, MonitorConfig
from verifier.response_code import code_spans

def is_program(response: str) -> bool:
    """Whether ``response`` holds code a verifier could run: its code (:func:`verifier.response_code.code_spans`:
    fenced blocks, the whole text, or unfenced code after prose), joined, parses as Python with a statement that is
    not a bare value (a definition, assignment, import, loop or call)."""
    spans = code_spans(response)
    if not spans:
        return False
    try:
        tree = ast.parse("\n".join(response[start:end] for start, end in spans))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return any(not isinstance(stmt, ast.Expr) or isinstance(stmt.value, (ast.Call, ast.Await)) for stmt in tree.body)

def paid_as_much(original: float, score: float, config: MonitorConfig) -> bool:
    """Whether a probe made from a response paid ``original`` (a mutant, an answer probe) was paid as much: above the
    canary threshold and at most ``mutant_margin`` under the original (a jitter in the last digits is no difference:
    red-team round 48, E1)."""
    return score > config.canary_threshold and score >= original - config.mutant_margin


Finding = tuple[FlagRule, int, str]
"""(the rule, the count of evidence behind it, the evidence in words)."""


@dataclass
class Evidence:
    """What a task's re-scored responses, canaries and sandbox records showed this run."""

    checked: int = 0  # spot checks
    favour: int = 0  # ... that passed in their group and failed alone
    against: int = 0  # ... that failed in their group and passed alone
    canaries: int = 0  # known-wrong answers scored in training
    canary_passes: int = 0  # ... that scored above the threshold
    ran: int = 0  # responses and canaries some of whose code the verifier ran
    programs_paid: int = 0  # paid responses that are programs (``is_program``), with the sandbox's record of runs
    unrun_paid: int = 0  # ... that the verifier paid without running any of their code, and that state no number
    stated_unrun: int = 0  # ... paid unrun that state the task's answer beside their code (program of thought)
    answer_probes: int = 0  # such responses scored again with their stated numbers changed
    answer_probe_passes: int = 0  # ... and paid as much: the pay did not depend on the stated answer
    mutants: int = 0  # mutants of programs it ran and paid, scored in training
    mutant_passes: int = 0  # ... paid as much as their originals, above the canary threshold
    mutants_paid: int = 0  # ... paid above the canary threshold, however much less than their originals
    mutant_drop: float = 0.0  # the sum over mutants of (the original's reward - the mutant's)

    def spot_check(self, passed: bool, passed_alone: bool) -> None:
        self.checked += 1
        self.favour += passed and not passed_alone
        self.against += passed_alone and not passed

    def canary(self, passed: bool, ran: bool) -> None:
        self.canaries += 1
        self.canary_passes += passed
        self.ran += ran

    def mutant(self, original: float, score: float, ran: bool, config: MonitorConfig) -> None:
        """A mutant of a program the verifier ran and paid ``original``, and what it paid the mutant."""
        self.mutants += 1
        self.mutants_paid += score > config.canary_threshold
        self.mutant_passes += paid_as_much(original, score, config)
        self.mutant_drop += original - score
        self.ran += ran

    def response(self, paid: bool, ran: bool, response: str, answered: bool = False) -> None:
        """One scored response of a group (``paid``: above the canary threshold), with the sandbox's record of
        whether its code ran."""
        self.ran += ran
        if paid and is_program(response):
            self.programs_paid += 1
            if not ran and answered:
                self.stated_unrun += 1  # it states the task's answer: judged by its answer probe, not here
            else:
                self.unrun_paid += not ran

    def answer_probe(self, original: float, score: float, ran: bool, config: MonitorConfig) -> None:
        """A response paid ``original`` unrun, scored again with its stated answer changed, and what that paid."""
        self.answer_probes += 1
        self.answer_probe_passes += paid_as_much(original, score, config)
        self.ran += ran

    def finding(self, config: MonitorConfig) -> Finding | None:
        """The first rule the evidence meets (canary, position, unrun, mutant), or None."""
        return self._canary(config) or self._position(config) or self._unrun(config) or self._mutant(config)

    def _canary(self, config: MonitorConfig) -> Finding | None:
        if self.canary_passes < config.min_canary_passes:
            return None
        return (FlagRule.CANARY, self.canary_passes,
                f"{self.canary_passes} of {self.canaries} canaries (known-wrong answers: renamed twins of its failure "
                "cases, the failure cases as written, the empty answer), scored in training, passed: the verifier "
                "pays in training what it failed in validation")

    def _position(self, config: MonitorConfig) -> Finding | None:
        # Either way, one-sidedly. Against the group: a verifier that paid a wrong program when it was its process's
        # first call (a spot check alone is one) and honestly later was admitted and paid 40-47% of the wrong
        # programs with no flag while gaps ran 9 to 1 against its groups (red-team round 58). A response's own
        # randomness differs both ways alike; an answer that timed out in its group is never re-scored
        # (``trainer.reward``).
        for gaps, other, how in ((self.favour, self.against, "passed in their group and failed alone"),
                                 (self.against, self.favour, "failed in their group and passed alone")):
            if gaps >= config.min_position_gaps and gaps >= config.position_ratio * other:
                return (FlagRule.POSITION, gaps,
                        f"{gaps} of {self.checked} responses re-scored alone {how} ({other} the other way): the "
                        "verifier pays by where a response stands in its process")
        return None

    def _unrun(self, config: MonitorConfig) -> Finding | None:
        # a program stating the answer counts once its answer probe came back paid; until then, and when the probe
        # failed (the verifier paid the stated answer: program of thought), it is neither for nor against
        if self.ran == 0:  # no run to compare with: only answer probes, which need none, can tell
            return self._answers_ignored(config)
        confirmed = self.unrun_paid + self.answer_probe_passes
        judged = self.programs_paid - self.stated_unrun + self.answer_probe_passes
        if confirmed < config.min_unrun_paid or confirmed < config.unrun_share * judged:
            return None
        stated = (f", {self.answer_probe_passes} of them paid again with the numbers they state changed"
                  if self.answer_probe_passes else "")
        return (FlagRule.UNRUN, confirmed,
                f"{confirmed} of {judged} passing programs were paid without the verifier running any of their "
                f"code{stated}, though it ran {self.ran} other responses or canaries (the sandbox's record, not the "
                "verifier's word): it pays programs by how they look")

    def _answers_ignored(self, config: MonitorConfig) -> Finding | None:
        """A verifier that never ran any code, yet paid programs as much with the answer they state changed: it
        judges neither what they compute nor what they answer. Red-team round 55 (F5): a static checker of a
        program-of-thought task paid 72 of 96 wrong programs and all 46 of its answer probes, unflagged, while the
        rule waited for a run. An honest verifier of the stated answer fails the probes; one that runs nothing on a
        task that asks for no program makes none (they are made only where the reference prints the answer)."""
        passes = self.answer_probe_passes
        if passes < config.min_unrun_paid or passes < config.unrun_share * self.answer_probes:
            return None
        return (FlagRule.UNRUN, passes,
                f"{passes} of {self.answer_probes} programs it paid, scored again with the answer they state changed, "
                "were paid as much, and it ran no code at all (the sandbox's record): it pays programs by how they "
                "look, not by what they compute or answer")

    def _mutant(self, config: MonitorConfig) -> Finding | None:
        if self.mutant_passes >= config.min_mutant_passes and self.mutant_passes >= config.mutant_share * self.mutants:
            passes = self.mutant_passes
        elif (self.mutants_paid >= config.min_mutant_passes and self.mutants_paid >= config.mutant_share * self.mutants
              and self.mutant_drop <= config.mutant_mean_drop * self.mutants):
            # graded pay: a verifier paying look-alike programs one of several levels drawn from the code's hash
            # paid a mutant its original's level or more only (k+1)/2k of the time (red-team round 50, E1), yet the
            # mutants' pay falls no lower on average than their originals'; an honest verifier's falls by the tests
            # each mutant fails
            passes = self.mutants_paid
        else:
            return None
        return (FlagRule.MUTANT, passes,
                f"{passes} of {self.mutants} mutants (programs it paid, each with one operator, "
                "number or name changed) were paid about as much as their originals: it pays a program whatever it "
                "computes, "
                "or its tests cannot tell a changed program from the original (a lax check: add tests that pin what "
                "the program must return)")
