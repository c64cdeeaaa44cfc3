"""The bounds and thresholds the decoys' check runs under (:data:`verifier.decoy_check.DECOY_CHECK`), each with why
it is what it is: how long the reference's runs may take, when a near run that did not end is a refusal, how much
refusal makes a decoy wrong, how near two answers are alike, and how long a comparison may go on.

Why a module of its own: each bound was set by a red-team finding, and its reasons are longer than the checking
program; the program (:mod:`verifier.decoy_check`) reads them as values written into its text.
"""

from __future__ import annotations

__all__ = ["BUDGET_S", "FAIR_S", "FAIR_TIMES", "MAX_STEPS", "NEAR_BUDGET_S", "REFUSED", "REL_TOL", "ROOMY_TIMES"]

BUDGET_S = 2.0
"""Seconds one of the reference's recorded runs may take in the check (validation's budget for a whole verify call);
one that does not end in them leaves the check no verdict."""
FAIR_S = 0.2
"""A near run's time, at least, before its not ending says the reference refused it (:data:`FAIR_TIMES`)."""
FAIR_TIMES = 4
"""A near run's time as a multiple of its own original's (the recorded run it copies; at least :data:`FAIR_S`): a
near run is run within it, the quickest first within each round of copies (:mod:`verifier.decoy_runs`); one that
does not end in it is refused, and so is one that no longer fit (it weighs as a refusal, :data:`REFUSED`). One whose
fair time is past what is left (of the near runs' budget, or the longest run a verify call allows) is run for what
is left, and counts as one that did not fit where it does not end in that. Why its own original's, and whole or not
at all: red-team round 63 (B4) had a first recorded run of 0.25 s make every near run's fair time the whole budget,
and round 64 (C2) a reference slow on its one recorded input and hanging elsewhere, whose near runs were all cut
short by the budget before their fair time: a run cut short that way said nothing. Why four times: round 64 (C2b)
had a reference right everywhere but ten times slower on any input but the recorded one. Why one that did not fit is
refused (session 33): the same reference at 0.7 s on its input made every near run's fair time 2.8 s, none fit, and
nothing was said (5 of 6 wrong programs paid, no flag); a refusal weighs only where two decoys the requests did not
tell apart answer otherwise, one of which is then wrong, so a slow reference with tests that tell its decoys apart
is no trouble. Why one is run for what is left (session 37, red-team round 67's E8): a reference of 0.7 s whose one
test was ``second_smallest([5, 5, 9])`` had no near run made, and its near lists kept their order, so the first item
and the smallest, both paid, answered alike on every one, and no refusal weighed (no trouble, its digest excused in
training); run for the 2.5 s a verify call allows under the default 5 s wall, three of them end, and both decoys are
shown wrong. What is left: the longest run a verify call allows, and what is left of
:data:`NEAR_BUDGET_S`; the runs go on over the check's calls (:data:`verifier.decoy_questions.GOING_ON`)."""
REL_TOL = 1e-4
"""How near two floats are alike in this check (0.01 apart always is): the answers check's 1% made the first, the
last, the largest and the smallest of close prices (``[100.0, 100.4, 100.8]``, their mean asked) look not told
apart, and a total past 500 plus 4.99 look like the sum, where the honest verifiers checked to within 1e-6 and
paid those programs 0.25 and 0 (red-team round 63, FP1 and FP2: flagged 5 of 5 seeds each)."""
REFUSED = 0.25
"""The share of a decoy's near calls (those it did not answer otherwise than the reference) that the reference
refused (raised on, did not end in fair time, or had no room) where another decoy the requests did not tell apart
answers otherwise than this one (so one of them is wrong there), at least, that makes the decoy wrong. Which other
decoys weigh: for a strict decoy, any on a call the reference raised on or did not end, and only strict ones on a
near run the check could not fit (so that a right strict decoy beside one wrong rearranging rival is not taken for
wrong because the reference is slow); for a decoy that rearranges its argument, only strict ones. Why rearranging
decoys weigh at all (session 34): ``first("A")`` alone, of a reference taking 0.7 s a run (no near run fit), was
no trouble on 3 of 3 seeds while it paid the string itself, upper-cased, reversed and stripped. Why a quarter: a
reference that answers only the one-item near lists of the request ``[7]`` (where every decoy answers as it does)
refuses about three quarters. Why only where two such decoys differ: an honest reference refuses a near call that
breaks its input's form (a pair of a list of pairs shortened), where its decoys that keep the list (sorted,
reversed: alike to the answers check, which compares a list's items in any order) answer alike. And a rearranging
decoy only against a strict one (:attr:`verifier.decoys.Decoy.strict`): ``rotate_left(xs, k)`` raised on near lists
given a duplicate, where ``sorted(set(xs))`` differs from ``xs`` (red-team round 63, FP3: flagged 5 of 20 seeds). A
recorded call the reference raised on tells no decoy apart (as in the answers check): a verifier that made one and
ignored it hid every decoy (round 63, B1). Nor does one it answered None, or a script's run that printed nothing
(red-team round 68, A1 and A2): a verifier that takes a refusal for that answer pays every wrong program that raises
there, where a decoy's answer (the first item of ``['x']``, the number of ``1.5``) looked told apart."""
ROOMY_TIMES = 2
"""A strict decoy of a function that is a shape of its arguments (:attr:`verifier.decoys.Decoy.strict`: the first
item, the smallest, a length ...) that the recorded runs did not tell apart is wrong also where the reference
refused near calls of it and answered none of them alike, no matter how its rivals answer there; a near run that did
not end counts so once it was given this many times its original's time, or the longest run a verify call allows (a
run cut short sooner says nothing of a slow reference; red-team round 69, A1: a reference of 1.35 s that looped
elsewhere had 2.5 s a near run, less than twice its time, and none counted). A near call that is a recorded one
again confirms nothing (:func:`verifier.near_runs.seen_calls`). Why (red-team round 68, A3):
``second_smallest([5, 5, 9])`` alone, of a reference that raised, or looped, on every other list. Near lists keep
their order, so the first item and the smallest, both paid, answer alike on every one, and the quarter of
:data:`REFUSED` weighs only where two rivals differ: admitted, its digest excused in training. A decoy that no near
run confirmed is a wrong program the requests let through as far as anything measured shows; a right one is
confirmed by any near call the reference answers. Only strict decoys: an honest reference refuses near lists of
pairs that a change broke (session 31), where its rivals that keep the list were never confirmed. Only a function's:
a script's near inputs all hold a number more or fewer (:func:`verifier.script_decoys.near_stdin`), and an honest
``a, b = map(int, input().split())`` refuses every one (its sum, the task's answer, was taken for wrong). Not a
constant: an honest ``validate_date(s)`` that returns True or raises, tested on valid dates and on invalid ones that
must raise, refuses every near string (each is malformed), and ``True`` and ``1`` were taken for wrong (round 69,
B1); a raise the verifier required is not in the records. Still open: a reference that answers the near calls where
the decoys happen to be right (a list whose two smallest items are equal) and refuses the rest; and the same as a
script, the one input ``5 5 9``."""
MAX_STEPS = 50_000
"""Steps (values compared) of one comparison in this check, at most; past them it says nothing (a recorded call
neither tells the decoy apart nor counts as compared, a near call neither shows it wrong nor agrees). Red-team
round 64 (C3) made an ignored recorded call that the comparison could not finish tell every decoy apart, while it
counted so. Why: red-team round 63 (B5c) recorded
a list of 256 lists of 901 items, whose comparison in any order took the check past its time, so that it gave no
verdict on the call that mattered."""
NEAR_BUDGET_S = 4.0
"""Seconds of near runs, all calls together, at most."""
