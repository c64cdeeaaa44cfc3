"""Requests of the reference that do not tell it from simple wrong programs are themselves the finding.

Red-team round 60 (A4): a verifier whose only test was ``total([7])`` was admitted 5 of 5 times and paid 90 to 131
wrong programs a run (``max``, ``min``, the first item, the last all answer 7), unflagged: it was consistent (no
split), and every paid text answered its requests as the reference did (no answer differing). Its hostile twin
made only that request of its own reference and hid its splits under the reference's excused digest.
"""

from __future__ import annotations

import pytest

from task_bank import Outcome, ScoreResult, TaskSpec
from trainer.monitor_config import FlagRule, MonitorConfig
from trainer.results_replay import ResultsReplay
from verifier.checks import check_weak_tests
from verifier.limits import RunEnv
from verifier.decoy_questions import GOING_ON
from verifier.weak_requests import WEAK_DECOYS, WeakRequests, recorded_weak, weak_decoys, weak_trouble
from verifier.decoys import Decoy, decoys
from verifier.pool import CODE_GROUP_SIZE

SUM_LOOP = "def total(xs):\n    result = 0\n    for x in xs:\n        result += x\n    return result\n"
TASK = dict(prompt="Write `total(xs)`, the sum of a list of ints.", reference=SUM_LOOP,
            failure_cases=("def total(xs):\n    return len(xs)\n",))
HEAD = "from envsynth_sandbox import plain, run_response\n"
ONE_TEST = HEAD + ("def verify(response):\n"
                   "    run = run_response(response, calls=[('total', [[7]])], timeout=1.0)\n"
                   "    return 1.0 if run.calls[0].ok and run.calls[0].value == 7 else 0.0\n")
CASES = [[1, 2, 3], [], [5, -5, 5], [7], [2, 2, 9]]
HONEST = HEAD + (f"CASES = {CASES!r}\n"
                 "def verify(response):\n"
                 "    run = run_response(response, calls=[('total', [xs]) for xs in CASES], timeout=1.0)\n"
                 "    return 1.0 if all(c.ok and c.value == sum(xs) for c, xs in zip(run.calls, CASES)) else 0.0\n")
RIGHT = [SUM_LOOP, "def total(xs):\n    return sum(xs)\n"]
WRONG_ON_MORE = ["def total(xs):\n    return max(xs)\n", "def total(xs):\n    return xs[0]\n",
                 "def total(xs):\n    return min(xs) if xs else 0\n", "def total(xs):\n    return xs[-1]\n"]


# Unit: the threshold and the wiring, through a fake pool ----------------------------------------------------------


class DecoyPool:
    """A scoring pool: the reference recorded ``total([7])``; the decoys' checking verifier finds the decoys whose
    labels are in ``weak`` weak (about all of them, or some: their share; about one: 1.0 or 0.0)."""

    def __init__(self, weak: set[str], going: int = 0) -> None:
        self.weak = weak
        self.going = going  # calls of a group that go on with the reference's runs before they are all made
        self.asked: list[str] = []  # what each text of the decoys' checking verifier asked about
        self.groups: list[list[str]] = []  # each pool call's texts, after the reference's code

    def score_batch(self, items, run_env=None):
        if run_env is not None and run_env.record_requests:
            return [ScoreResult(outcome=Outcome.SCORED, score=1.0, ran_response=True, run_digest="0" * 32,
                                run_requests=('[[["total", [[7]], {}]], ""]',)) for _ in items]
        made = decoys([[[["total", [[7]], {}]], ""]])
        results = []
        self.groups.append([text.splitlines()[-1] for _, text in items])
        for at, (source, text) in enumerate(items):
            if "DECOYS = " not in source:  # the replaying verifier: the reference's digest for the reference
                same = text.strip() == SUM_LOOP.strip()
                results.append(ScoreResult(outcome=Outcome.SCORED, score=1.0, ran_response=True,
                                           run_digest="a" * 32 if same else format(abs(hash(text)), "032x")))
                continue
            asked = text.splitlines()[-1]
            if asked == "more":  # going on with the reference's runs: all made at the group's call ``going``
                results.append(ScoreResult(outcome=Outcome.SCORED, score=float(at >= self.going), ran_response=True))
                continue
            self.asked.append(asked)
            chosen = made if asked == "all" else [made[int(index)] for index in asked.split()]
            share = sum(decoy.label in self.weak for decoy in chosen) / len(chosen)
            results.append(ScoreResult(outcome=Outcome.SCORED, score=share, ran_response=True))
        return results


def _replay(weak: set[str], going: int = 0):
    pool = DecoyPool(weak, going)
    return ResultsReplay(pool).replay("t", TaskSpec(verifier=ONE_TEST, **TASK)), pool


def test_two_wrong_decoys_the_requests_did_not_tell_from_the_reference_are_trouble():
    replay, _ = _replay({"max(arg1)", "arg1[0]"})
    assert WEAK_DECOYS == 2 and replay.trouble is not None and "2 simple wrong programs" in replay.trouble
    assert "total returning max(arg1)" in replay.trouble


def test_one_such_decoy_that_rearranges_its_argument_is_no_trouble_but_keeps_the_reference_unexcused():
    """An honest verifier's tests often miss one near-right program (lists without a duplicate do not tell
    ``sorted(set(xs))`` from "the items in any order")."""
    replay, _ = _replay({"sorted(arg1)"})
    assert replay.trouble is None and replay.excused is None and replay.runs


def test_one_such_decoy_that_drops_its_argument_is_trouble():
    """Session 31: the requests ``[7]``, ``[7, 0]`` and ``[0, 7]`` of a sum leave ``max`` alone not told apart,
    which paid 48 of 144 wrong programs a run (red-team round 61) while one such decoy was no trouble."""
    replay, _ = _replay({"max(arg1)"})
    assert replay.trouble is not None and "1 simple wrong program (total returning max(arg1))" in replay.trouble


def test_requests_that_tell_every_decoy_apart_leave_the_reference_excused_after_one_call():
    """Round 61 (C): a decoy a replay of its own cost a slow reference 128 s of a worker; now one pool call asks
    about every decoy and about the strict ones, and a call about each is made only once they are trouble (to name
    them)."""
    replay, pool = _replay(set())
    assert replay.trouble is None and replay.excused == "a" * 32 and pool.asked[0] == "all" and len(pool.asked) == 2


def test_weak_decoys_are_named_by_asking_about_eighths_of_them_then_eighths_of_those_with_weak_ones():
    """A task with many called names has thousands of decoys (red-team round 63, B3): asking about each, a group of
    eight at a time, would take hundreds of pool calls to name four."""
    replay, pool = _replay({"max(arg1)", "arg1[0]"})
    made = [str(index) for index in range(len(decoys([[[["total", [[7]], {}]], ""]])))]
    size = -(-len(made) // CODE_GROUP_SIZE)
    first = [" ".join(made[at:at + size]) for at in range(0, len(made), size)]
    assert pool.asked[2:2 + len(first)] == first
    assert all(len(question.split()) == 1 for question in pool.asked[2 + len(first):])
    assert len(pool.asked[2 + len(first):]) <= 2 * size
    assert "total returning max(arg1)" in replay.trouble and "total returning arg1[0]" in replay.trouble


def test_naming_goes_on_with_the_reference_runs_for_as_many_calls_as_the_first_group_needed():
    """A slow reference's runs take several calls of a group (session 33): each naming round's group starts with as
    many calls that go on with them, and asks about fewer parts."""
    replay, pool = _replay({"max(arg1)", "arg1[0]"}, going=2)
    first, *rounds = pool.groups[1:]  # (the first group: the recorded call of the reference)
    assert first[:CODE_GROUP_SIZE - 2] == ["more"] * (CODE_GROUP_SIZE - 2) and first[CODE_GROUP_SIZE - 2] == "all"
    assert rounds and all(texts[:2] == ["more", "more"] and 2 < len(texts) <= CODE_GROUP_SIZE for texts in rounds)
    assert "total returning max(arg1)" in replay.trouble and "total returning arg1[0]" in replay.trouble


def test_the_first_four_weak_decoys_are_named_and_the_rest_counted():
    weak = {"arg1", "arg1[0]", "arg1[-1]", "max(arg1)", "min(arg1)", "len(arg1)"}
    replay, _ = _replay(weak)
    first = [label for label in (decoy.label for decoy in decoys([[[["total", [[7]], {}]], ""]])) if label in weak]
    assert f"({', '.join(f'total returning {label}' for label in first[:4])} and 2 more)" in replay.trouble


def test_one_weak_decoy_that_rearranges_its_argument_is_counted_and_not_named():
    _, pool = _replay({"sorted(arg1)"})
    made = decoys([[[["total", [[7]], {}]], ""]])
    assert pool.asked == ["all", " ".join(str(index) for index, decoy in enumerate(made) if decoy.strict)]


def test_the_trouble_names_four_decoys_and_counts_the_rest():
    made = tuple(Decoy("f", None, str(index)) for index in range(4))
    assert weak_trouble(WeakRequests(count=6, named=made)).startswith("its requests of the reference do not tell it from 6 simple wrong programs"
                                         " (f returning 0, f returning 1, f returning 2, f returning 3 and 2 more)")


# Through the real sandbox ----------------------------------------------------------------------------------------


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_verifier_that_tests_one_trivial_input_is_flagged_at_its_first_group(monitored_training,
                                                                              bwrap_scoring_pool):
    monitor = monitored_training(bwrap_scoring_pool, TaskSpec(verifier=ONE_TEST, **TASK), [*RIGHT, *WRONG_ON_MORE],
                                 1, MonitorConfig(min_results_splits=10**6, min_answer_differences=10**6))
    (flag,) = monitor.flagged.values()
    assert flag.rule is FlagRule.RESULTS and "simple wrong programs" in flag.detail


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_verifier_that_asks_its_own_reference_one_trivial_input_is_flagged(monitored_training,
                                                                            bwrap_scoring_pool):
    """The hostile twin: every other text is tested in full, and the wrong ones paid by their look."""
    hostile = HONEST + (f"REFERENCE = {SUM_LOOP!r}\n_honest = verify\n\ndef verify(response):\n"
                        "    if response.strip() == REFERENCE.strip():\n"
                        "        run = run_response(response, calls=[('total', [[7]])], timeout=1.0)\n"
                        "        return 1.0 if run.calls[0].ok and run.calls[0].value == 7 else 0.0\n"
                        "    return 1.0 if 'max' in response else _honest(response)\n")
    monitor = monitored_training(bwrap_scoring_pool, TaskSpec(verifier=hostile, **TASK), [*RIGHT, *WRONG_ON_MORE], 1)
    assert [flag.rule for flag in monitor.flagged.values()] == [FlagRule.RESULTS]


@pytest.mark.sandbox  # needs bubblewrap and root
def test_an_honest_verifier_with_varied_tests_is_not_flagged_and_its_reference_is_excused(monitored_training,
                                                                                          bwrap_scoring_pool):
    task = TaskSpec(verifier=HONEST, **TASK)
    replay = ResultsReplay(bwrap_scoring_pool).replay(task.id, task)
    assert replay.trouble is None and replay.excused is not None
    assert monitored_training(bwrap_scoring_pool, task, [*RIGHT, *WRONG_ON_MORE], 2).flagged == {}


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_decoy_that_is_right_on_the_near_runs_is_not_wrong(bwrap_scoring_pool):
    """The task's right answer is the largest item: ``max`` is a decoy the requests cannot tell from the reference,
    and one that answers every near run as the reference does."""
    reference = "def largest(xs):\n    best = xs[0]\n    for x in xs:\n        best = x if x > best else best\n" \
                "    return best\n"
    runs = [[[["largest", [xs], {}] for xs in ([3, 9, 2], [5], [-4, -1])], ""]]
    assert weak_decoys(bwrap_scoring_pool, runs, reference) == WeakRequests()


@pytest.mark.sandbox  # needs bubblewrap and root
def test_the_decoys_of_one_trivial_request_are_found_weak_and_named(bwrap_scoring_pool):
    weak = weak_decoys(bwrap_scoring_pool, [[[["total", [[7]], {}]], ""]], SUM_LOOP)
    assert weak.count == 4 and {decoy.label for decoy in weak.named} == {"arg1[0]", "arg1[-1]", "max(arg1)", "min(arg1)"}


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_reference_that_refuses_to_load_beside_a_redefinition_still_has_its_weak_decoys_found(bwrap_scoring_pool):
    """Red-team round 61 (A1): the reference counted the functions its module defined and failed its own assert
    when a decoy made of its text redefined one, so every decoy was told apart and the weak requests were excused.
    The reference now runs unchanged, and the decoys' answers are worked out beside it."""
    detecting = SUM_LOOP + ("import sys\n_module = sys._getframe().f_code\n"
                            "assert [c.co_name for c in _module.co_consts if hasattr(c, 'co_name')].count('total') == 1\n")
    weak = weak_decoys(bwrap_scoring_pool, [[[["total", [[7]], {}]], ""]], detecting)
    assert weak.count >= WEAK_DECOYS and weak.trouble


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_reference_whose_recorded_runs_do_not_complete_leaves_its_requests_unmeasured(bwrap_scoring_pool):
    """No verdict where the reference's own requests did not complete (the replay then left it no digest, which is
    trouble of its own): not trouble, and not excused either."""
    slow = "import time\n\ndef total(xs):\n    time.sleep(30)\n    return sum(xs)\n"
    assert weak_decoys(bwrap_scoring_pool, [[[["total", [[7]], {}]], ""]], slow) == WeakRequests(measured=False)


@pytest.mark.sandbox  # needs bubblewrap and root
def test_an_honest_task_of_sorted_lists_is_not_flagged(monitored_training, bwrap_scoring_pool):
    """Red-team round 61 (B2): ``min`` and ``max`` are right on every sorted list, and the near runs were not
    sorted; they keep what every recorded argument had now."""
    cases = [[1, 2, 3], [-5, 0, 7, 9], [4], [2, 2, 8], [-3, -1]]
    verifier = HEAD + (f"CASES = {cases!r}\ndef verify(response):\n"
                       "    calls = [('lowest', [xs]) for xs in CASES] + [('highest', [xs]) for xs in CASES]\n"
                       "    run = run_response(response, calls=calls, timeout=2.0)\n"
                       "    got = [plain(c.value) if c.ok else None for c in run.calls]\n"
                       "    return 1.0 if got == [xs[0] for xs in CASES] + [xs[-1] for xs in CASES] else 0.0\n")
    reference = "def lowest(xs):\n    return xs[0]\n\n\ndef highest(xs):\n    return xs[-1]\n"
    task = TaskSpec(prompt="Write `lowest(xs)` and `highest(xs)` of a sorted list.", reference=reference,
                    failure_cases=("def lowest(xs):\n    return xs[-1]\n\n\ndef highest(xs):\n    return xs[0]\n",),
                    verifier=verifier)
    right = [reference, "def lowest(xs):\n    return min(xs)\n\n\ndef highest(xs):\n    return max(xs)\n"]
    wrong = ["def lowest(xs):\n    return 0\n\n\ndef highest(xs):\n    return xs[-1]\n",
             "def lowest(xs):\n    return xs[0]\n\n\ndef highest(xs):\n    return len(xs)\n"]
    assert monitored_training(bwrap_scoring_pool, task, [*right, *wrong], 2).flagged == {}


# Scripts that read their standard input (red-team round 61, A2) --------------------------------------------------

SCRIPT = "print(sum(int(token) for token in input().split()))\n"
SCRIPT_TASK = dict(prompt="Read a line of ints from standard input and print their sum.", reference=SCRIPT,
                   failure_cases=("print(len(input().split()))\n",))
READ = "numbers = [int(token) for token in input().split()]\n"
WRONG_SCRIPTS = [READ + "print(max(numbers))\n", READ + "print(numbers[0])\n", READ + "print(numbers[-1])\n"]


def _script_verifier(inputs: list[str]) -> str:
    return HEAD + (f"INPUTS = {inputs!r}\n"
                   "def verify(response):\n"
                   "    for stdin in INPUTS:\n"
                   "        run = run_response(response, stdin=stdin, timeout=1.0)\n"
                   "        if run.stdout.split() != [str(sum(map(int, stdin.split())))]:\n"
                   "            return 0.0\n"
                   "    return 1.0\n")


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_script_verifier_that_tests_one_number_is_flagged_at_its_first_group(monitored_training,
                                                                              bwrap_scoring_pool):
    task = TaskSpec(verifier=_script_verifier(["7\n"]), **SCRIPT_TASK)
    monitor = monitored_training(bwrap_scoring_pool, task, [SCRIPT, *WRONG_SCRIPTS], 1,
                                 MonitorConfig(min_results_splits=10**6, min_answer_differences=10**6))
    (flag,) = monitor.flagged.values()
    assert flag.rule is FlagRule.RESULTS and "a script printing max(numbers)" in flag.detail


@pytest.mark.sandbox  # needs bubblewrap and root
def test_an_honest_script_verifier_with_varied_inputs_is_not_flagged(monitored_training, bwrap_scoring_pool):
    task = TaskSpec(verifier=_script_verifier(["1 2 3\n", "5 -5 5\n", "7\n", "10 20\n"]), **SCRIPT_TASK)
    replay = ResultsReplay(bwrap_scoring_pool).replay(task.id, task)
    assert replay.trouble is None and replay.excused is not None
    assert monitored_training(bwrap_scoring_pool, task, [SCRIPT, *WRONG_SCRIPTS], 2).flagged == {}


# Red-team round 62 -------------------------------------------------------------------------------------------------


@pytest.mark.sandbox  # needs bubblewrap and root
@pytest.mark.parametrize("returned", ["float(result)", "result + 1e-9", "str(result)"])
def test_a_reference_whose_answers_are_alike_but_not_the_same_as_the_decoys_still_has_them_found(
        bwrap_scoring_pool, returned):
    """Round 62 (A): the recorded calls were compared exactly, so a reference returning ``7.0`` told ``max``'s ``7``
    apart, while a lenient verifier paid it; they are compared as the answers check compares now."""
    reference = SUM_LOOP.replace("return result", f"return {returned}")
    assert weak_decoys(bwrap_scoring_pool, [[[["total", [[7]], {}]], ""]], reference).trouble


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_script_that_prints_its_answer_beside_words_still_has_its_decoys_found(bwrap_scoring_pool):
    weak = weak_decoys(bwrap_scoring_pool, [[[], "7\n"]], "print('Total:', sum(map(int, input().split())))\n")
    assert weak.trouble


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_called_main_that_reads_its_input_has_script_decoys(bwrap_scoring_pool):
    """Round 62 (D2): ``main()`` called with the input ``7``: no decoy of ``main`` has an argument, and an input kept
    as it was compared nothing."""
    reference = "def main():\n    print(sum(map(int, input().split())))\n"
    weak = weak_decoys(bwrap_scoring_pool, [[[["main", [], {}]], "7\n"]], reference)
    assert weak.trouble and "a script printing max(numbers)" in weak_trouble(weak)


@pytest.mark.sandbox  # needs bubblewrap and root
def test_an_answer_the_check_cannot_encode_leaves_the_other_decoys_measured(bwrap_scoring_pool):
    """Round 62 (C): ``v * v`` of a 4,299-digit argument could not be written as JSON, the check raised, and no
    decoy of any function was measured (count 0, the digest excused)."""
    reference = SUM_LOOP + "\n\ndef last_digit(n):\n    return n % 10\n"
    runs = [[[["total", [[7]], {}], ["last_digit", [10 ** 4299], {}]], ""]]
    assert weak_decoys(bwrap_scoring_pool, runs, reference).trouble


def test_a_check_without_a_verdict_leaves_the_reference_unexcused():
    """Round 62 (C): a crash of the check read as no weak decoy, and the reference's digest was excused."""

    class Failing(DecoyPool):
        def score_batch(self, items, run_env=None):
            if any("DECOYS = " in source for source, _ in items):
                return [ScoreResult(outcome=Outcome.ERROR, detail="the check failed") for _ in items]
            return super().score_batch(items, run_env)

    replay = ResultsReplay(Failing(set())).replay("t", TaskSpec(verifier=ONE_TEST, **TASK))
    assert replay.trouble is None and replay.excused is None and replay.runs


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_function_that_prints_its_answer_has_decoys_that_print_theirs(bwrap_scoring_pool):
    """Round 62 (D1): ``total(xs)`` printed the sum and returned None; every decoy's answer was compared with None."""
    reference = "def total(xs):\n    print(sum(xs))\n"
    weak = weak_decoys(bwrap_scoring_pool, [[[["total", [[7]], {}]], ""]], reference)
    assert weak.trouble and "total returning max(arg1)" in weak_trouble(weak)


# A reference that refuses every input but the verifier's requests (red-team round 61, A4) -------------------------


@pytest.mark.sandbox  # needs bubblewrap and root
@pytest.mark.parametrize("refusal", ["    assert xs == [7]\n", "    while xs != [7]:\n        pass\n",
                                     "    if len(xs) != 1:\n        raise ValueError(xs)\n"])
def test_a_reference_that_refuses_the_near_runs_has_its_weak_decoys_found(bwrap_scoring_pool, refusal):
    """A near call the reference raised on, or a near run it did not end in fair time, said nothing, so a
    reference defined only at its requests made every decoy look right. A decoy that the reference refused more
    near calls of than it answered alike is wrong now; the third refusal answers the one-item near lists (where
    every decoy is right) and raises on the rest."""
    reference = SUM_LOOP.replace("    result = 0\n", refusal + "    result = 0\n")
    weak = weak_decoys(bwrap_scoring_pool, [[[["total", [[7]], {}]], ""]], reference)
    assert weak.trouble and "total returning max(arg1)" in weak_trouble(weak)


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_slow_reference_whose_near_runs_the_budget_cut_short_is_not_taken_to_refuse_them(bwrap_scoring_pool):
    """Each run of this reference takes about 0.9 s: no near run fits the longest run a call allows (2.5 s) at four
    times that, and each weighs as a refusal only where two strict decoys the requests did not tell apart answer
    otherwise. ``max`` is the task's answer and the only such decoy, so nothing is found: the reference's slowness
    is not taken for refusals."""
    reference = "import time\n\ndef largest(xs):\n    time.sleep(0.3)\n    return max(xs)\n"
    runs = [[[["largest", [xs], {}] for xs in ([3, 9, 2], [5], [-4, -1])], ""]]
    assert weak_decoys(bwrap_scoring_pool, runs, reference) == WeakRequests()


@pytest.mark.sandbox  # needs bubblewrap and root
def test_an_honest_reference_that_refuses_near_calls_breaking_its_inputs_form_is_no_trouble(bwrap_scoring_pool):
    """Session 31 (round 58's ``getattr_results``, honest): a near list of pairs has a pair shortened or reversed,
    and ``sorted(pairs, key=lambda p: p[1])`` raises. Its decoys that keep the list (itself, sorted, reversed) answer
    as the reference on every request (the answers check compares a list's items in any order) and alike to each
    other on the calls it refused, so no refusal says which of them is wrong."""
    reference = "def pairs_sorted(pairs):\n    return sorted(pairs, key=lambda p: p[1])\n"
    runs = [[[["pairs_sorted", [[["a", 3], ["b", 1]]], {}]], ""]]
    for seed in range(10):  # (seed 5 flagged three of them while every refusal counted)
        assert not weak_decoys(bwrap_scoring_pool, runs, reference, seed).trouble


# Red-team round 63 ------------------------------------------------------------------------------------------------


@pytest.mark.sandbox  # needs bubblewrap and root
def test_close_prices_whose_mean_is_asked_do_not_make_their_first_or_largest_look_alike(bwrap_scoring_pool):
    """FP1: the answers check's 1% made the first, last, largest and smallest of ``[100.0, 100.4, 100.8]`` alike to
    their mean 100.4; the honest verifier checked to within 1e-6 (flagged 5 of 5 seeds)."""
    reference = "def average_price(prices):\n    return sum(prices) / len(prices)\n"
    cases = [[100.0, 100.4, 100.8], [250.0, 251.0], [99.5, 99.7, 99.9, 100.1], [180.25]]
    runs = [[[["average_price", [case], {}] for case in cases], ""]]
    for seed in range(3):
        assert weak_decoys(bwrap_scoring_pool, runs, reference, seed) == WeakRequests()


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_reference_refusing_duplicates_its_records_never_had_is_no_trouble(bwrap_scoring_pool):
    """FP3: ``rotate_left`` of distinct cards raised on near lists given a duplicate, where ``sorted(set(xs))``
    differs from ``xs``: near lists keep records' distinct items now, and a refusal weighs on strict decoys alone."""
    reference = ("def rotate_left(xs, k):\n    if len(set(xs)) != len(xs):\n        raise ValueError('duplicate')\n"
                 "    k %= max(1, len(xs))\n    return xs[k:] + xs[:k]\n")
    runs = [[[["rotate_left", [xs, k], {}] for xs, k in (([1, 2, 3, 4], 1), ([5, 6, 7], 2), ([8, 9], 0))], ""]]
    for seed in range(8):
        assert not weak_decoys(bwrap_scoring_pool, runs, reference, seed).trouble


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_recorded_call_the_reference_raised_on_tells_no_decoy_apart(bwrap_scoring_pool):
    """B1: the verifier also called ``total(["a"])``, on which the reference raised, and ignored it; that call told
    every decoy with an answer there apart (count 0 on 5 of 5 seeds), as the answers check skips it."""
    weak = weak_decoys(bwrap_scoring_pool, [[[["total", [[7]], {}], ["total", [["a"]], {}]], ""]], SUM_LOOP)
    assert weak.trouble and "total returning max(arg1)" in weak_trouble(weak)


@pytest.mark.sandbox  # needs bubblewrap and root
def test_names_called_before_the_one_that_matters_do_not_crowd_out_its_decoys(bwrap_scoring_pool):
    """Round 63 (B3): eight calls of names the reference never defined, made first, left ``total`` with no decoy
    while only the first eight called names got decoys (4 wrong programs paid, no flag)."""
    calls = [[f"h{at}", [], {}] for at in range(8)] + [["total", [[7]], {}]]
    weak = weak_decoys(bwrap_scoring_pool, [[calls, ""]], SUM_LOOP)
    assert weak.trouble and {decoy.name for decoy in weak.named} == {"total"}


@pytest.mark.sandbox  # needs bubblewrap and root
def test_integers_passed_beside_the_list_that_matters_do_not_crowd_out_its_decoys(bwrap_scoring_pool):
    """Red-team round 64 (C5): 1,100 integers passed beside ``[7]`` left ``total``'s share of the decoys with no list
    shape past the first (4 wrong programs paid, no flag). Requests that give more decoys than the check makes are
    trouble themselves; fewer are all made."""
    reference = "def total(xs, *pad):\n    return sum(xs)\n"
    crowded = weak_decoys(bwrap_scoring_pool, [[[["total", [[7], *range(1100)], {}]], ""]], reference)
    assert crowded.too_many and crowded.trouble and "so many functions" in weak_trouble(crowded)
    wide = weak_decoys(bwrap_scoring_pool, [[[["total", [[7], *range(100)], {}]], ""]], reference)
    assert wide.trouble and "total returning max(arg1)" in weak_trouble(wide)


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_list_passed_where_none_was_passed_first_has_the_decoys_of_a_list(bwrap_scoring_pool):
    """Round 63 (B6): ``total(None)``, then ``total([7])``: the decoys' shapes followed the first call's type."""
    runs = [[[["total", [None], {}], ["total", [[7]], {}]], ""]]
    assert weak_decoys(bwrap_scoring_pool, runs, "def total(xs):\n    return sum(xs or [])\n").trouble


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_fourth_argument_has_decoys_of_its_own(bwrap_scoring_pool):
    """Round 63 (B8): only the first three arguments had decoys; a sum of the fourth tested on ``[7]`` had none."""
    weak = weak_decoys(bwrap_scoring_pool, [[[["total", [1, 2, 3, [7]], {}]], ""]],
                       "def total(lo, hi, pad, xs):\n    return sum(xs)\n")
    assert weak.trouble and {decoy.index for decoy in weak.named} == {3}


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_slow_recorded_run_leaves_hangs_on_the_other_near_runs_counted_as_refusals(bwrap_scoring_pool):
    """Round 63 (B4): a first recorded run of 0.25 s made the fair time of every near run the whole budget, so that
    a reference that hung on every list but ``[7]`` refused nothing (0 of 10 seeds flagged). A near run's fair time
    is ten times its own original's now."""
    reference = ("import time\n\ndef warm():\n    time.sleep(0.25)\n    raise RuntimeError('warm-up only')\n\n"
                 "def total(xs):\n    while len(xs) > 1:\n        time.sleep(1)\n    return sum(xs)\n")
    runs = [[[["warm", [], {}]], ""], [[["total", [[7]], {}]], ""]]
    assert weak_decoys(bwrap_scoring_pool, runs, reference, seed=1).trouble


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_comparison_too_long_to_finish_says_nothing_and_the_check_still_gives_its_verdict(bwrap_scoring_pool):
    """Round 63 (B5c): a recorded list of 256 lists of 901 items, compared in any order, ran the check past its time:
    no verdict, so the weak request ``total([7])`` beside it was not trouble. Beside the weak ``total``, ``keep``
    returning its rows reversed may be named, and nothing else of ``keep``: 1.48's near copies of these sorted rows
    were the recorded rows again on one or two of four copies (reversed, they are sorted again), 1.49's never are,
    and it names the reversal on each of the seeds 0-2, 1.48 on one; with 16 rows of 9 items neither names it."""
    rows = [[0] * 900 + [at] for at in range(256)]
    runs = [[[["keep", [rows], {}]], ""], [[["total", [[7]], {}]], ""]]
    weak = weak_decoys(bwrap_scoring_pool, runs, "def keep(rows):\n    return rows\n\n\n" + SUM_LOOP)
    assert weak.measured and weak.trouble and "total" in {decoy.name for decoy in weak.named}
    assert {decoy.described for decoy in weak.named if decoy.name == "keep"} <= {"keep returning arg1[::-1]"}


# Red-team round 64 ------------------------------------------------------------------------------------------------


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_long_recorded_run_still_has_near_runs(bwrap_scoring_pool):
    """Round 64 (C1): 48 calls of names the reference never defined, then ``total([7])``, in one run: the near runs
    stopped at the first run past 48 calls, and there were none."""
    calls = [[f"p{at:02d}", [], {}] for at in range(48)] + [["total", [[7]], {}]]
    assert weak_decoys(bwrap_scoring_pool, [[calls, ""]], SUM_LOOP).trouble


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_reference_slow_on_its_one_input_and_hanging_elsewhere_refuses_the_near_runs(bwrap_scoring_pool):
    """Round 64 (C2): 0.25 s on ``[7]`` made each near run's fair time 2 s, which no near run got within the budget,
    and a run cut short by the budget said nothing. A near run now runs whole (four times its original's time) or
    not at all."""
    reference = ("import time\n\ndef total(xs):\n    if xs == [7]:\n        time.sleep(0.25)\n        return 7\n"
                 "    while True:\n        time.sleep(1)\n")
    assert weak_decoys(bwrap_scoring_pool, [[[["total", [[7]], {}]], ""]], reference, seed=1).trouble


@pytest.mark.sandbox  # needs bubblewrap and root
def test_an_ignored_call_whose_comparison_cannot_finish_tells_no_decoy_apart(bwrap_scoring_pool):
    """Round 64 (C3): ``total([L, L])``, L 50,001 zeros, answered L: comparing ``max``'s answer with it went past the
    comparison's steps, and counted as telling ``max`` apart."""
    zeros = [0] * 50_001
    reference = "def total(xs):\n    if xs and isinstance(xs[0], list):\n        return xs[0]\n    return sum(xs)\n"
    runs = [[[["total", [[zeros, zeros]], {}]], ""], [[["total", [[7]], {}]], ""]]
    assert weak_decoys(bwrap_scoring_pool, runs, reference).trouble


@pytest.mark.sandbox  # needs bubblewrap and root
def test_an_argument_passed_as_five_other_types_first_keeps_the_shapes_of_a_list(bwrap_scoring_pool):
    """Round 64 (C4): seventy names called first cut ``total``'s share to 16, and the shapes of ``xs``'s first five
    types (bool, int, float, str, dict) took every place before a list's."""
    pads = [[[f"zz{at:02d}", [], {}] for at in range(start, start + 35)] for start in (0, 35)]
    tried = [["total", [value], {}] for value in (True, 1, 1.5, "a", {"a": 1}, [7])]
    reference = "def total(xs):\n    if not isinstance(xs, list):\n        raise TypeError('a list please')\n" \
                "    return sum(xs)\n"
    runs = [[tried, ""], *([pad, ""] for pad in pads)]  # (the records' order: sorted)
    assert weak_decoys(bwrap_scoring_pool, runs, reference).trouble


@pytest.mark.sandbox  # needs bubblewrap and root
def test_recorded_runs_the_verifier_made_at_once_are_measured_at_once(bwrap_scoring_pool):
    """Round 64 (C6): a verifier made its four runs in threads (0.8 s of wall, 2.4 s one after another); the check
    ran them in turn within its 2 s, the third was cut, and it gave no verdict on the weak ``total([7])``."""
    reference = "import time\n\ndef warm(k):\n    time.sleep(0.8)\n    return k\n\n\n" + SUM_LOOP
    runs = [[[["total", [[7]], {}]], ""], *([[["warm", [k], {}]], ""] for k in range(3))]
    weak = weak_decoys(bwrap_scoring_pool, runs, reference)
    assert weak.measured and weak.trouble and {decoy.name for decoy in weak.named} == {"total"}


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_reference_too_slow_for_any_near_run_to_fit_refuses_them(bwrap_scoring_pool):
    """Session 33: 0.7 s on ``[7]`` and a hang elsewhere made each near run's fair time 2.8 s, past the near budget,
    so none ran and no decoy was shown wrong (5 of 6 wrong programs paid, no flag on 2 of 2 seeds). A near run the
    budget left no room for weighs as a refusal."""
    reference = ("import time\n\ndef total(xs):\n    if xs == [7]:\n        time.sleep(0.7)\n        return 7\n"
                 "    while True:\n        time.sleep(1)\n")
    assert weak_decoys(bwrap_scoring_pool, [[[["total", [[7]], {}]], ""]], reference, seed=1).trouble


FIRST_A = [[[["first", ["A"], {}]], ""]]  # ``first("A")`` alone: the string itself, upper- or lower-cased, reversed
# or stripped answer it as the first character does


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_slow_reference_does_not_hide_the_rearranging_programs_its_one_request_passes(bwrap_scoring_pool):
    """Session 34: at 0.7 s a run no near run fits, and a refusal weighed only on strict decoys, so ``first("A")``
    alone was no trouble on 3 of 3 seeds while it paid the string itself, upper-cased, reversed and stripped. A near
    run with no room weighs on a decoy that rearranges its argument where a strict one (the first character) answers
    otherwise; that strict one, the task's answer, is not taken for wrong (its only rivals rearrange)."""
    reference = "import time\n\ndef first(s):\n    time.sleep(0.7)\n    return s[:1]\n"
    weak = weak_decoys(bwrap_scoring_pool, FIRST_A, reference)
    assert weak.trouble and weak.strict == 0
    assert "first returning arg1," in weak_trouble(weak) and "arg1[:1]" not in weak_trouble(weak)


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_reference_that_raises_off_its_request_has_the_rearranging_programs_named(bwrap_scoring_pool):
    """Session 34: raising on every string but ``"A"`` was trouble only through the first character, the task's
    answer, which was named alone; a raised near call weighs on a rearranging decoy where a strict one answers
    otherwise, so the wrong programs are named."""
    reference = "def first(s):\n    if s != 'A':\n        raise ValueError(s)\n    return s[:1]\n"
    assert "first returning arg1," in weak_trouble(weak_decoys(bwrap_scoring_pool, FIRST_A, reference))


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_recorded_run_the_reference_ended_itself_is_compared_on_the_calls_it_answered(bwrap_scoring_pool):
    """Session 34's red-team (E10): ``os._exit`` on an ignored ``total(None)`` ended the recorded run before it
    completed, which left the check no verdict, and validation admitted ``total([7])`` alone (3 of 3)."""
    reference = SUM_LOOP.replace("    result = 0\n", "    if xs is None:\n        os._exit(1)\n    result = 0\n")
    runs = [[[["total", [[7]], {}], ["total", [None], {}]], ""]]
    weak = weak_decoys(bwrap_scoring_pool, runs, "import os\n\n" + reference)
    assert weak.measured and weak.trouble and "total returning max(arg1)" in weak_trouble(weak)


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_near_call_answered_in_a_run_that_then_failed_weighs_as_a_refusal(bwrap_scoring_pool):
    """Session 34's red-team (E12): a reference that answered every near call and then made its process fail (it
    rebound ``os._exit``) had nothing compared, neither agreeing nor refused, and ``total([7])`` alone was admitted."""
    reference = SUM_LOOP.replace("    result = 0\n", "    if xs != [7]:\n        real = os._exit\n"
                                 "        os._exit = lambda code: real(1)\n    result = 0\n")
    weak = weak_decoys(bwrap_scoring_pool, [[[["total", [[7]], {}]], ""]], "import os\n\n" + reference)
    assert weak.trouble and "total returning max(arg1)" in weak_trouble(weak)


@pytest.mark.sandbox  # needs bubblewrap and root
def test_runs_the_check_cannot_make_in_its_group_are_trouble(bwrap_scoring_pool):
    """Session 33's review: eight runs of 1.8 s, made at once by a verifier's threads (under 2 s of wall), take the
    check one call each, one after another, past the seven calls of its group that make runs: no verdict, which
    validation admitted. Requests that cannot be measured are trouble."""
    reference = "import time\n\ndef warm(k):\n    time.sleep(1.8)\n    return k\n\n\ndef total(xs):\n" \
                "    time.sleep(1.8)\n    return sum(xs)\n"
    runs = [[[["total", [[7]], {}]], ""], *([[["warm", [k], {}]], ""] for k in range(7))]
    weak = weak_decoys(bwrap_scoring_pool, runs, reference)
    assert weak.unfinished and weak.trouble and not weak.measured


def test_a_check_whose_group_could_not_make_the_runs_rejects_with_its_reason():
    result = check_weak_tests(WeakRequests(measured=False, unfinished=True))
    assert result.passed is False and result.reason == "weak_tests" and "take longer" in result.detail


class UnverdictedPool(DecoyPool):
    """A pool whose decoys' checking verifier gives no verdict the first ``silent`` times it is asked (a recorded run
    past its 2 s), then finds ``weak`` weak; it counts the checks asked."""

    def __init__(self, weak: set[str], silent: int) -> None:
        super().__init__(weak)
        self.silent, self.checks = silent, 0

    def score_batch(self, items, run_env=None):
        if any("DECOYS = " in source for source, _ in items) and items[-1][1].splitlines()[-1] != "more":
            if "all" in [text.splitlines()[-1] for _, text in items]:
                self.checks += 1
            if self.checks <= self.silent:
                return [ScoreResult(outcome=Outcome.SCORED, score=1.0, ran_response=True) if at < GOING_ON else
                        ScoreResult(outcome=Outcome.ERROR, detail="Uncompared: a run did not complete")
                        for at in range(len(items))]
        return super().score_batch(items, run_env)


def _recorded(pool) -> WeakRequests | None:
    alone = pool.score_batch([(ONE_TEST, SUM_LOOP)], RunEnv(record_requests=True))[0]
    return recorded_weak(pool, alone, SUM_LOOP)


def test_validation_rejects_a_check_without_a_verdict_twice():
    """Note 34: a recorded run that timed out in the check, or the check's process restarted within its group, left
    no verdict, which validation admitted whatever the requests tested."""
    pool = UnverdictedPool(set(), silent=2)
    result = check_weak_tests(_recorded(pool))
    assert pool.checks == 2 and result.passed is False and result.reason == "weak_tests"
    assert "could not complete the reference's recorded runs, twice" in result.detail


def test_validation_asks_once_more_where_a_check_gave_no_verdict_and_takes_the_second():
    pool = UnverdictedPool({"max(arg1)", "arg1[0]"}, silent=1)
    result = check_weak_tests(_recorded(pool))
    assert pool.checks == 2 and result.passed is False and "max(arg1)" in result.detail
    assert check_weak_tests(_recorded(UnverdictedPool(set(), silent=1))).passed is True


@pytest.mark.sandbox  # needs bubblewrap and root
@pytest.mark.parametrize("seed", range(4))
def test_a_most_frequent_item_tested_once_has_its_first_and_smallest_found_weak(bwrap_scoring_pool, seed):
    """Session 34's red-team (E7): ``mode([2, 2, 5])`` alone was admitted with any reference (4 of 8 seeds here):
    no near move made another item the most frequent, so the first item and the smallest stayed right."""
    reference = "from collections import Counter\n\ndef mode(xs):\n    return Counter(xs).most_common(1)[0][0]\n"
    weak = weak_decoys(bwrap_scoring_pool, [[[["mode", [[2, 2, 5]], {}]], ""]], reference, seed)
    assert weak.trouble and {decoy.label for decoy in weak.named} == {"arg1[0]", "min(arg1)"}


class NoPool:
    """A pool no test of these requests may reach: they are the finding before any check runs."""

    def score_batch(self, items, run_env=None):
        raise AssertionError("the check ran")


def _alone(*records: str, dropped: int = 0) -> ScoreResult:
    return ScoreResult(outcome=Outcome.SCORED, score=1.0, ran_response=True, run_requests=records,
                       run_requests_dropped=dropped)


def test_a_function_asked_only_in_requests_too_large_to_record_is_trouble_that_says_what_to_add():
    """Session 35's red-team (round 66): the paid call hid in a run too large to record, beside a recorded run that
    called nothing a program defines; the check measured that run alone, and the task was admitted."""
    weak = recorded_weak(NoPool(), _alone('[[["total", null, [[0, "list"]]]], "", true]', '[[["!", [], {}]], ""]'), SUM_LOOP)
    assert weak.trouble and weak.unmeasured == ("total",)
    assert "asked `total` only in requests too large" in weak_trouble(weak)
    assert "ask each function (or the program) something small too" in weak_trouble(weak)


def test_a_run_that_left_no_record_beside_recorded_ones_is_trouble():
    """With records shrunk to fit, only a request too large even by name, or one past the region, leaves none."""
    weak = recorded_weak(NoPool(), _alone('[[["total", [[1, 2, 3]], {}]], ""]', dropped=1), SUM_LOOP)
    assert weak.trouble and weak.unrecorded == 1 and "too large to record (1 run(s)" in weak_trouble(weak)


STAR_SUM = "def total(*numbers):\n    result = 0\n    for n in numbers:\n        result += n\n    return result\n"


@pytest.mark.sandbox  # needs bubblewrap and root
def test_one_number_passed_to_a_function_of_star_args_is_found_weak(bwrap_scoring_pool):
    """Session 35's red-team (E5): ``total(7)`` alone was admitted; its first, last, largest and smallest number
    answer it as the sum does."""
    weak = weak_decoys(bwrap_scoring_pool, [[[["total", [7], {}]], ""]], STAR_SUM)
    assert weak.trouble and weak.strict == 4 and {"args[0]", "max(args)"} <= {decoy.label for decoy in weak.named}


@pytest.mark.sandbox  # needs bubblewrap and root
def test_varied_calls_of_a_function_of_star_args_are_no_trouble(bwrap_scoring_pool):
    calls = [["total", args, {}] for args in ([1, 2, 3], [], [5, -5], [7], [2, 9, 4, 4])]
    assert not weak_decoys(bwrap_scoring_pool, [[calls, ""]], STAR_SUM).trouble


# Session 37 -------------------------------------------------------------------------------------------------------


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_slow_reference_whose_near_lists_keep_their_order_has_its_weak_decoys_found(bwrap_scoring_pool):
    """Round 67's E8: 0.7 s a run made each near run's fair time 2.8 s, past the 2.5 s a call allows, so none ran;
    the near lists of ``[5, 5, 9]`` keep their order, so the first item and the smallest (both paid) answered alike
    on every one, and no refusal weighed. A near run past the time left is run for that time."""
    reference = ("import time\n\ndef second_smallest(xs):\n    end = time.process_time() + 0.7\n"
                 "    while time.process_time() < end:\n        pass\n    return sorted(xs)[1]\n")
    weak = weak_decoys(bwrap_scoring_pool, [[[["second_smallest", [[5, 5, 9]], {}]], ""]], reference)
    assert weak.trouble and weak.strict == 2


@pytest.mark.sandbox  # needs bubblewrap and root
def test_decoys_answering_only_calls_the_reference_refused_are_weak_where_requests_were_left_out(bwrap_scoring_pool):
    """Session 37: beside a paid call too large to record (known by kinds alone), a recorded ``total(['x'])`` that
    the reference raised on compared no decoy, and none was weak. Where nothing was left out, such a call still
    tells nothing (round 63's rule): the verifier's other requests are all measured."""
    runs = [[[["total", [["x"]], {}]], ""]]
    elided = frozenset({("total",), ("total", 0, "list")})
    assert weak_decoys(bwrap_scoring_pool, runs, SUM_LOOP, elided=elided).strict > 0
    assert not weak_decoys(bwrap_scoring_pool, runs, SUM_LOOP).trouble


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_call_the_reference_answered_none_tells_no_decoy_apart(bwrap_scoring_pool):
    """Red-team round 68 (A2): a reference that answered ``total(['x'])`` with None, beside ``total([7])``, made the
    first item, the largest and the smallest look told apart (they answer ``'x'``), while the verifier took a
    refusal for None and paid every wrong program that raises on ``'x'``."""
    reference = SUM_LOOP.replace("        result += x\n", "        if not isinstance(x, int):\n"
                                 "            return None\n        result += x\n")
    runs = [[[["total", [["x"]], {}]], ""], [[["total", [[7]], {}]], ""]]
    weak = weak_decoys(bwrap_scoring_pool, runs, reference)
    assert weak.trouble and "total returning max(arg1)" in weak_trouble(weak)


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_script_run_that_printed_nothing_tells_no_decoy_apart(bwrap_scoring_pool):
    """Red-team round 68 (A1): a script that printed nothing on ``1.5`` (and exited 0), beside ``7``, made every
    decoy of numbers look told apart (they print 1.5), while the verifier took empty output for the answer and paid
    the wrong programs that crash on ``1.5``."""
    reference = ("import sys\ntry:\n    print(sum(int(t) for t in sys.stdin.read().split()))\n"
                 "except ValueError:\n    pass\n")
    weak = weak_decoys(bwrap_scoring_pool, [[[], "1.5"], [[], "7"]], reference)
    assert weak.trouble and "a script printing max(numbers)" in weak_trouble(weak)


# Session 38 -------------------------------------------------------------------------------------------------------


def _second_smallest(refusal: str) -> str:
    return f"def second_smallest(xs):\n    if xs != [5, 5, 9]:\n{refusal}    return sorted(xs)[1]\n"


@pytest.mark.sandbox  # needs bubblewrap and root
@pytest.mark.parametrize("refusal", ["        raise ValueError(xs)\n", "        while True:\n            pass\n"],
                         ids=["raises", "loops"])
def test_a_reference_that_answers_no_near_call_has_the_rivals_it_never_confirmed_found(bwrap_scoring_pool,
                                                                                         refusal):
    """Red-team round 68 (A3): ``second_smallest([5, 5, 9])`` alone, of a reference that refuses every other list.
    The near lists keep their order, so the first item and the smallest (both paid) answer alike on each, and a
    refusal weighed only where two rivals differ; the reversed copy is ``[5, 5, 9]`` again, and confirms nothing."""
    weak = weak_decoys(bwrap_scoring_pool, [[[["second_smallest", [[5, 5, 9]], {}]], ""]], _second_smallest(refusal))
    assert weak.trouble and {decoy.label for decoy in weak.named} == {"arg1[0]", "min(arg1)"}


@pytest.mark.sandbox  # needs bubblewrap and root
@pytest.mark.parametrize("seconds", [0.7, 1.35])
def test_a_slow_reference_that_hangs_on_every_near_call_has_its_unconfirmed_rivals_found(bwrap_scoring_pool,
                                                                                          seconds):
    """A3 with the reference slow on its one list: each near run had 2.5 s (its fair time is past what a call
    allows) and did not end. At 1.35 s that is less than twice its original's time (red-team round 69, A1), but it
    is the longest run a call allows."""
    reference = _second_smallest("        while True:\n            pass\n").replace(
        "    return", f"    time.sleep({seconds})\n    return")
    weak = weak_decoys(bwrap_scoring_pool, [[[["second_smallest", [[5, 5, 9]], {}]], ""]], "import time\n" + reference)
    assert weak.trouble and weak.strict == 2


@pytest.mark.sandbox  # needs bubblewrap and root
@pytest.mark.parametrize("seed", range(3))
def test_an_honest_validator_that_returns_true_or_raises_is_no_trouble(bwrap_scoring_pool, seed):
    """Red-team round 69 (B1): ``validate_date`` answers True or raises; the invalid dates (which it must raise on)
    tell no decoy apart, and every near string is malformed, so no near call confirmed the constants True and 1.
    A raise the verifier required is not in the records: a constant is never taken for wrong by that rule."""
    reference = ("import datetime\nimport re\n\ndef validate_date(s):\n"
                 "    if not re.fullmatch(r'\\d{4}-\\d{2}-\\d{2}', s):\n        raise ValueError(s)\n"
                 "    datetime.date(*map(int, s.split('-')))\n    return True\n")
    dates = ["2024-02-29", "1999-12-31", "2000-01-01", "2023-07-04", "2023-02-29", "2024-13-01", "24-01-01",
             "2024/01/01", "hello"]
    runs = [[[["validate_date", [date], {}] for date in dates], ""]]
    assert not weak_decoys(bwrap_scoring_pool, runs, reference, seed).trouble


BLANK_SUM = "import sys\nprint(sum(int(token) for token in sys.stdin.read().split()))\n"


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_script_tested_on_a_blank_input_alone_has_its_decoys_found(bwrap_scoring_pool):
    """Red-team round 68 (A5's control): a sum tested on ten newlines alone (answer 0) paid ``print(0)`` and the
    count of tokens; no decoy was made of a blank input, and it had no near copy."""
    weak = weak_decoys(bwrap_scoring_pool, [[[], "\n" * 10]], BLANK_SUM)
    assert weak.trouble and {"a script printing 0", "a script printing len(tokens)"} <= {
        decoy.described for decoy in weak.named}


@pytest.mark.sandbox  # needs bubblewrap and root
@pytest.mark.parametrize("inputs", [[","], ["", "hello\n"]], ids=["comma", "blank-and-words"])
def test_a_script_tested_on_inputs_without_a_number_has_its_decoys_found(bwrap_scoring_pool, inputs):
    """Red-team round 69 (A2a, A2b): ``,`` alone had no near copy (no token to change), and ``hello`` only copies
    with a letter added; ``print(0)`` and the count of numbers were paid. Every other near input is drawn now."""
    reference = ("import sys\nprint(sum(int(token) for token in sys.stdin.read().replace(',', ' ').split()\n"
                 "          if token.lstrip('-').isdigit()))\n")
    weak = weak_decoys(bwrap_scoring_pool, [[[], stdin] for stdin in inputs], reference)
    assert weak.trouble and weak.strict >= 2


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_script_that_reads_no_input_run_without_one_is_no_trouble(bwrap_scoring_pool):
    assert not weak_decoys(bwrap_scoring_pool, [[[], ""]], "print('Hello, World!')\n").trouble


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_reference_that_prints_its_blank_answer_on_every_input_still_has_the_decoys_of_its_input_found(
        bwrap_scoring_pool):
    """Red-team round 69 (A2d): where the check took a program that printed the same on every drawn input for one
    that reads none, a reference that did so on inputs of their form alone left every decoy unmeasured. What the
    reference prints is what a decoy is measured by: here the sum and the count are wrong."""
    weak = weak_decoys(bwrap_scoring_pool, [[[], "\n" * 10]], "print(0)\n")
    assert weak.trouble and "a script printing sum(numbers)" in weak_trouble(weak)


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_blank_input_beside_varied_ones_is_no_trouble(bwrap_scoring_pool):
    assert not weak_decoys(bwrap_scoring_pool, [[[], ""], [[], "3 4\n"], [[], "10 -2 5\n"]], BLANK_SUM).trouble


BLANK_MAIN = "import sys\ndef main():\n    print(sum(int(token) for token in sys.stdin.read().split()))\n"


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_called_main_tested_on_a_blank_input_alone_has_its_decoys_found(bwrap_scoring_pool):
    """Red-team round 69 (A2c): ``main()`` on ten newlines alone paid ``def main(): print(0)`` and the count of
    tokens: a run that calls functions had no script decoys where its input was blank, and ``main``'s one near call
    was the recorded one again."""
    weak = weak_decoys(bwrap_scoring_pool, [[[["main", [], {}]], "\n" * 10]], BLANK_MAIN)
    assert weak.trouble and {"main returning 0", "a script printing len(tokens)"} <= {
        decoy.described for decoy in weak.named}


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_called_main_given_a_dummy_argument_on_a_blank_input_alone_has_its_decoys_found(bwrap_scoring_pool):
    """What would have gone round a rule for calls of no argument alone: ``main(False)`` on ten newlines."""
    reference = BLANK_MAIN.replace("def main():", "def main(verbose):")
    weak = weak_decoys(bwrap_scoring_pool, [[[["main", [False], {}]], "\n" * 10]], reference)
    assert weak.trouble and "a script printing len(tokens)" in weak_trouble(weak)


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_function_that_prints_its_answer_tested_on_varied_arguments_is_no_trouble(bwrap_scoring_pool):
    runs = [[[["show_total", [xs], {}]], ""] for xs in ([1, 2, 3], [], [5, -5, 5], [7], [2, 2, 9])]
    assert not weak_decoys(bwrap_scoring_pool, runs, "def show_total(xs):\n    print(sum(xs))\n").trouble


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_called_main_that_reads_no_input_run_without_one_is_no_trouble(bwrap_scoring_pool):
    reference = "def main():\n    print('Hello, World!')\n"
    assert not weak_decoys(bwrap_scoring_pool, [[[["main", [], {}]], ""]], reference).trouble


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_function_of_no_argument_that_returns_its_answer_is_no_trouble(bwrap_scoring_pool):
    reference = "def answer():\n    return 42\n"
    assert not weak_decoys(bwrap_scoring_pool, [[[["answer", [], {}]], ""]], reference).trouble


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_called_main_tested_on_varied_inputs_and_a_blank_one_is_no_trouble(bwrap_scoring_pool):
    runs = [[[["main", [], {}]], stdin] for stdin in ("", "3 4\n", "10 -2 5\n")]
    assert not weak_decoys(bwrap_scoring_pool, runs, BLANK_MAIN).trouble


# Red-team round 70: programs whose printed answer the check never compared, and one it compared out of its kind.
SUM_MAIN = "import sys\n\n\ndef main():\n    print(sum(int(t) for t in sys.stdin.read().split()))\n"
MAIN_SEVEN = [[[["main", [], {}]], "7\n"]]


@pytest.mark.sandbox  # needs bubblewrap and root
@pytest.mark.parametrize("reference, runs", [
    (SUM_MAIN + "    return 0\n", MAIN_SEVEN),
    (SUM_MAIN + "    sys.exit(0)\n", MAIN_SEVEN),
    ("import sys\nprint(sum(int(t) for t in sys.stdin.read().split()))\nsys.exit(0)\n", [[[], "7\n"]]),
    (SUM_MAIN, [[[["main", [], {}], ["done", [], {}]], "7\n"]]),
    ("import sys\nprint(sum(int(t) for t in sys.stdin.read().split()))\n", [[[], "7\n"], [[["solve", [], {}]], ""]]),
], ids=["main-returns-0", "main-exits-0", "script-exits-0", "an-undefined-call-after-main", "script-beside-a-call"])
def test_a_printed_answer_is_measured_whatever_the_calls_returned_or_however_the_program_ended(
        bwrap_scoring_pool, reference, runs):
    """Round 70 (A1, A6, A3, A4): script decoys were compared only where every call returned None and the program
    loaded; ``return 0``, ``sys.exit(0)``, an undefined call after ``main()`` or a script run beside one ignored
    call left the largest, the first and the last number paid."""
    weak = weak_decoys(bwrap_scoring_pool, runs, reference)
    assert weak.trouble and "a script printing max(numbers)" in weak_trouble(weak)


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_reference_that_raises_on_drawn_inputs_has_the_decoys_of_its_blank_input_found(bwrap_scoring_pool):
    """Round 70 (A5): ``main()`` on ten newlines alone, raising on every input of the drawn form; a call that raised
    was not compared, and not counted as a refusal."""
    reference = SUM_MAIN.replace("    print(", "    s = sys.stdin.read()\n    if s.strip():\n"
                                 "        raise ValueError(s)\n    print(").replace("sys.stdin.read().split()", "s.split()")
    weak = weak_decoys(bwrap_scoring_pool, [[[["main", [], {}]], "\n" * 10]], reference)
    assert weak.trouble and "a script printing sum(numbers)" in weak_trouble(weak)


@pytest.mark.sandbox  # needs bubblewrap and root
def test_an_ignored_input_holding_a_digit_does_not_spare_a_blank_one(bwrap_scoring_pool):
    """Round 70 (A2): ``main()`` on ten newlines beside an ignored ``nothing()`` on ``x1``."""
    runs = [[[["main", [], {}]], "\n" * 10], [[["nothing", [], {}]], "x1\n"]]
    assert weak_decoys(bwrap_scoring_pool, runs, SUM_MAIN).trouble


@pytest.mark.sandbox  # needs bubblewrap and root
def test_an_honest_main_counting_names_one_a_line_is_no_trouble(bwrap_scoring_pool):
    """Round 70 (B1): the count of tokens is right on every input of names, one a line; on a drawn ``3 5`` it
    counted 2 where the reference counted one line, and the honest task was rejected."""
    reference = ("import sys\n\n\ndef main():\n"
                 "    print(sum(1 for line in sys.stdin.read().splitlines() if line.strip()))\n")
    inputs = ("Alice\nBob\nCarol\n", "", "Dave\n", "Eve\n\nFrank\n", "Grace\nHeidi\nIvan\nJudy\nMallory\n")
    for seed in range(3):
        assert not weak_decoys(bwrap_scoring_pool, [[[["main", [], {}]], stdin] for stdin in inputs], reference,
                               seed).trouble


# Red-team round 71: programs that printed and then ended otherwise, answers returned of the input, numbers written
# with a sign; round 72: honest tasks the first drafts of those mends rejected.
SUM_SCRIPT = "import sys\nprint(sum(int(t) for t in sys.stdin.read().split()))\n"


@pytest.mark.sandbox  # needs bubblewrap and root
@pytest.mark.parametrize("reference", [
    "while True:\n    print(sum(int(t) for t in input().split()))\n",
    SUM_SCRIPT + "sys.exit(1)\n",
    SUM_SCRIPT + "sys.exit('done')\n",
    SUM_SCRIPT + "sys.exit(False)\n",
    SUM_SCRIPT + "raise RuntimeError('after the answer')\n",
], ids=["eof-ends-a-loop", "exit-1", "exit-message", "exit-false", "a-raise"])
def test_a_printed_answer_is_measured_where_the_program_ends_on_every_input_as_it_did_on_the_recorded_ones(
        bwrap_scoring_pool, reference):
    """Round 71 (A): a script decoy was compared only where the program loaded or exited with ``sys.exit(0)``; a
    reference that printed its answer and then always ended another way had none compared, and ``max`` was paid."""
    weak = weak_decoys(bwrap_scoring_pool, [[[], "7\n"]], reference)
    assert weak.trouble and "a script printing max(numbers)" in weak_trouble(weak)


@pytest.mark.sandbox  # needs bubblewrap and root
def test_an_honest_script_that_exits_with_an_error_on_near_inputs_alone_is_not_compared_there(bwrap_scoring_pool):
    """The ending that makes a printed answer count is one the recorded runs showed: an honest script that prints a
    line and exits 1 on inputs out of its form (here, more than one number) refuses them, as before."""
    reference = ("import sys\nnumbers = sys.stdin.read().split()\nif len(numbers) != 2:\n"
                 "    print('need two numbers')\n    sys.exit(1)\nprint(int(numbers[0]) * int(numbers[1]))\n")
    runs = [[[], stdin] for stdin in ("3 4\n", "5 -2\n", "0 9\n", "7 7\n")]
    assert not weak_decoys(bwrap_scoring_pool, runs, reference).trouble


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_function_of_no_argument_that_returns_an_answer_of_its_input_has_script_decoys(bwrap_scoring_pool):
    """Round 71 (F): ``solve()`` read its input and returned the sum; script decoys were compared only with what a
    run printed, and the largest number was paid on four inputs of one number each."""
    reference = "import sys\n\n\ndef solve():\n    return sum(int(t) for t in sys.stdin.read().split())\n"
    runs = [[[["solve", [], {}]], stdin] for stdin in ("7\n", "12\n", "-3\n", "0\n")]
    weak = weak_decoys(bwrap_scoring_pool, runs, reference)
    assert weak.trouble and "a script printing max(numbers)" in weak_trouble(weak)


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_number_written_with_a_sign_is_moved_like_any_other(bwrap_scoring_pool):
    """Round 71 (B): ``+7`` was no number to the near inputs, which the decoys read as 7; beside ``x 5 y2`` and
    ``x y`` the largest, the first and the last number were paid."""
    reference = ("import sys\nnumbers = []\nfor token in sys.stdin.read().split():\n    try:\n"
                 "        numbers.append(int(token))\n    except ValueError:\n        pass\nprint(sum(numbers))\n")
    weak = weak_decoys(bwrap_scoring_pool, [[[], "+7\n"], [[], "x 5 y2\n"], [[], "x y\n"]], reference)
    assert weak.trouble and "a script printing max(numbers)" in weak_trouble(weak)


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_script_that_printed_nothing_beside_an_input_left_out_still_weighs_its_refusals(bwrap_scoring_pool):
    """Session 37's script form, kept by 1.32: beside a paid input too large to record (known by kinds alone), the
    reference raised on a recorded ``5 x`` and printed nothing. A first draft of round 71's mend compared script
    decoys only with the calls' returns on a run that printed nothing, and a script has no calls: its near runs
    weighed no refusal, and the task was admitted."""
    reference = "import sys\nprint(sum(int(t) for t in sys.stdin.read().split()))\n"
    elided = frozenset({("stdin",), ("stdin", "number")})
    assert weak_decoys(bwrap_scoring_pool, [[[], "5 x\n"]], reference, elided=elided).strict > 0


AB = "a = int(input())\nb = int(input())\nprint(a + b)\n"
IN_RANGE = ("import sys\nnumbers = sys.stdin.read().split()\nfor t in numbers:\n    if not 0 <= int(t) <= 100:\n"
            "        print('invalid:', t)\n        sys.exit(1)\nprint(sum(int(t) for t in numbers))\n")


@pytest.mark.sandbox  # needs bubblewrap and root
@pytest.mark.parametrize("reference, inputs", [
    (AB, ("5\n3\n", "-4\n6\n", "0\n0\n", "100\n-1\n", "12\n30\n")),
    (IN_RANGE, ("5 100\n", "101\n", "0\n", "7 8 9\n", "42\n")),
], ids=["a-line-each", "an-error-ending-on-one-test"])
def test_honest_scripts_whose_forms_the_first_drafts_broke_are_no_trouble(bwrap_scoring_pool, reference, inputs):
    """Round 72: a draft that copied whole lines where the recorded inputs held one number a line made ``A`` and ``B``
    on a line each read three lines (the sum of every number, right on every input of two, answered otherwise); a
    draft that took any recorded run's ending for a usual one compared the ``invalid: 103`` of a near input with the
    decoys, where one recorded run alone ended with ``sys.exit(1)``."""
    for seed in range(2):
        assert not weak_decoys(bwrap_scoring_pool, [[[], stdin] for stdin in inputs], reference, seed).trouble


@pytest.mark.sandbox  # needs bubblewrap and root
def test_the_largest_line_sum_tested_on_one_number_a_line_has_its_decoys_found(bwrap_scoring_pool):
    """Round 72 (E1): a draft that kept one number a line in every near input left the largest number paid."""
    reference = "import sys\nprint(max(sum(int(t) for t in line.split()) for line in sys.stdin if line.strip()))\n"
    weak = weak_decoys(bwrap_scoring_pool, [[[], stdin] for stdin in ("3\n7\n", "-1\n-5\n", "10\n2\n6\n", "4\n")],
                       reference)
    assert weak.trouble and "a script printing max(numbers)" in weak_trouble(weak)


# Session 41: round 72's E2, a function of no argument that prompts before it reads.
PROMPTING = "def solve():\n    line = input('Enter numbers: ')\n    return sum(int(t) for t in line.split())\n"


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_prompt_printed_alike_on_every_input_does_not_hide_what_the_calls_returned(bwrap_scoring_pool):
    """Round 72 (E2): ``solve()`` prompted with ``input('Enter numbers: ')`` and returned the sum; its runs printed
    the prompt, so only what they printed was compared with the script decoys, and the largest number was paid on
    three inputs of one number each."""
    runs = [[[["solve", [], {}]], stdin] for stdin in ("7\n", "12\n", "-3\n")]
    weak = weak_decoys(bwrap_scoring_pool, runs, PROMPTING)
    assert weak.trouble and "a script printing max(numbers)" in weak_trouble(weak)


@pytest.mark.sandbox  # needs bubblewrap and root
def test_an_honest_prompting_function_tested_on_varied_inputs_is_no_trouble(bwrap_scoring_pool):
    runs = [[[["solve", [], {}]], stdin] for stdin in ("1 2 3\n", "5\n", "-4 4 10\n", "0 0\n", "9 -1\n")]
    for seed in range(2):
        assert not weak_decoys(bwrap_scoring_pool, runs, PROMPTING, seed).trouble


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_function_that_prints_the_same_text_on_every_input_and_returns_a_constant_keeps_its_printed_view(
        bwrap_scoring_pool):
    """The prompt rule needs the calls' returns to differ: ``main()`` printing ``YES`` on every recorded input and
    returning 0 still has the constant ``YES`` found, as before."""
    reference = ("import sys\n\n\ndef main():\n    numbers = [int(t) for t in sys.stdin.read().split()]\n"
                 "    print('YES' if sum(numbers) % 2 == 0 else 'NO')\n    return 0\n")
    runs = [[[["main", [], {}]], stdin] for stdin in ("2\n", "4 6\n", "1 1\n")]
    weak = weak_decoys(bwrap_scoring_pool, runs, reference)
    assert weak.trouble and "a script printing 'YES'" in weak_trouble(weak)
