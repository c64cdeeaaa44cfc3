"""Each rejection reason of the validator, produced through the real default sandbox backend (bwrap)."""

from __future__ import annotations

import random

import pytest

from task_bank.errors import SandboxError
from task_bank.spec import TaskSpec
from verifier import (VALIDATOR_VERSION, Backend, BackendRegistry, Limits, ValidationConfig, Validator, Worker,
                      open_pool)

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

GOOD = "def verify(response: str) -> float:\n    return 1.0 if response.strip() == '42' else 0.0\n"


@pytest.fixture(scope="module")
def validator():
    """The product's default budget (2 s a call): several tests here send requests too large to record, which a
    loaded machine took over 1 s to run (a fresh-clone CI run found the reference timed out at 1 s)."""
    config = ValidationConfig()
    with open_pool(backend="bwrap", workers=1, limits=Limits(wall_s=config.call_budget_s)) as pool:
        yield Validator(pool, config)


def task(verifier: str = GOOD, reference: str = "42", failure_cases: tuple[str, ...] = ("41", "24")) -> TaskSpec:
    return TaskSpec(prompt="What is 6 times 7? Answer with the number only.", verifier=verifier,
                    reference=reference, failure_cases=failure_cases)


def check(report, name: str):
    return next(c for c in report.checks if c.name == name)


def test_a_sound_task_is_admitted_with_every_check_passed(validator):
    report = validator.validate(task())
    assert report.admitted and report.reasons == ()
    assert [c.name for c in report.checks] == ["schema", "compiles", "static_determinism", "executes_response",
                                               "reference", "failure_cases", "mutants", "weak_tests", "trivial",
                                               "determinism", "budget"]
    assert all(c.passed is True for c in report.checks)


def test_report_records_version_backend_and_task_id(validator):
    spec = task()
    report = validator.validate(spec)
    assert (report.task_id, report.validator_version, report.sandbox_backend) == (spec.id, VALIDATOR_VERSION, "bwrap")


def test_reference_among_failure_cases_is_schema(validator):
    report = validator.validate(task(failure_cases=("42",)))
    assert report.reasons == ("schema",)
    assert all(c.passed is None for c in report.checks[1:])


def test_syntax_error_is_verifier_error(validator):
    report = validator.validate(task(verifier="def verify(response)\n    return 1.0\n"))
    assert report.reasons == ("verifier_error",)
    assert check(report, "compiles").passed is False and "line 1" in check(report, "compiles").detail


def test_module_without_verify_is_verifier_error_found_in_the_sandbox(validator):
    report = validator.validate(task(verifier="def check(response):\n    return 1.0\n"))
    assert report.reasons == ("verifier_error",)
    assert "verify" in check(report, "compiles").detail


def test_verifier_that_raises_on_load_is_verifier_error(validator):
    report = validator.validate(task(verifier="raise RuntimeError('broken import')\ndef verify(r):\n    return 1.0\n"))
    assert report.reasons == ("verifier_error",)
    assert "broken import" in check(report, "compiles").detail


def test_verifier_returning_an_int_is_verifier_error(validator):
    report = validator.validate(task(verifier="def verify(response):\n    return 1\n"))
    assert "verifier_error" in report.reasons


def test_verifier_raising_on_junk_counts_the_junk_as_failing(validator):
    source = "def verify(response):\n    return 1.0 if int(response) == 42 else 0.0\n"
    report = validator.validate(task(verifier=source))
    assert check(report, "trivial").passed is True
    assert "crashed" in check(report, "trivial").detail


def test_reference_scoring_below_one_is_unsolvable(validator):
    report = validator.validate(task(reference="forty-two"))
    assert report.reasons == ("unsolvable",)


def test_failure_case_that_scores_high_is_failure_case_passes(validator):
    source = "def verify(response):\n    return 1.0 if response.strip() in ('42', '41') else 0.0\n"
    report = validator.validate(task(verifier=source))
    assert report.reasons == ("failure_case_passes",)


def test_verifier_paying_for_an_empty_answer_is_trivial(validator):
    source = "def verify(response):\n    return 1.0 if response.strip() in ('42', '') else 0.0\n"
    report = validator.validate(task(verifier=source))
    assert report.reasons == ("trivial",)
    assert "trivial:empty" in check(report, "trivial").detail


def test_substring_verifier_fooled_by_junk_is_trivial(validator):
    report = validator.validate(task(verifier="def verify(response):\n    return 1.0 if '42' in response else 0.0\n"))
    assert report.reasons == ("trivial",)
    assert "trivial:junk" in check(report, "trivial").detail


def test_prompt_echo_that_scores_is_trivial(validator):
    source = "def verify(response):\n    return 1.0 if '42' in response or '6 times 7' in response else 0.0\n"
    report = validator.validate(task(verifier=source, failure_cases=("41",)))
    assert "trivial:prompt_echo" in check(report, "trivial").detail


def test_slow_verifier_over_budget_is_timeout(validator):
    source = "import time\ndef verify(response):\n    time.sleep(5 if response == '42' else 0)\n    return 1.0\n"
    report = validator.validate(task(verifier=source))
    assert "timeout" in report.reasons
    assert check(report, "determinism").passed is None


def test_a_verifier_that_hangs_while_loading_is_verifier_error_found_in_one_call(validator):
    report = validator.validate(task(verifier="while True:\n    pass\ndef verify(response):\n    return 1.0\n"))
    assert report.reasons == ("verifier_error",)
    assert "did not finish loading" in check(report, "compiles").detail


@pytest.mark.parametrize("seed", range(6))
def test_a_verifier_that_raises_on_a_random_word_is_admitted_whichever_probe_comes_first(seed):
    # Run 0's first call is a random number or a random run of letters, by the draw; ``int`` raises on the letters.
    # A crash there is that probe failing, as anywhere else (it was a rejection with no reason: helper review).
    source = "def verify(response: str) -> float:\n    return 1.0 if int(response.strip()) == 42 else 0.0\n"
    config = ValidationConfig(call_budget_s=1.0)
    with open_pool(backend="bwrap", workers=1, limits=Limits(wall_s=1.0)) as pool, \
            Validator(pool, config, probe_rng=random.Random(seed)) as validator:
        report = validator.validate(task(verifier=source))
    assert report.admitted and report.reasons == ()


def test_nondeterministic_verifier_is_nondeterministic(validator):
    source = ("import random\ndef verify(response):\n"
              "    return 1.0 if response.strip() == '42' or random.random() < 0.5 else 0.0\n")
    report = validator.validate(task(verifier=source))
    assert "nondeterministic" in report.reasons


class _DeadWorker(Worker):
    """A worker whose sandbox has failed: every group raises SandboxError (infrastructure)."""

    def score_group(self, source, responses, run_env):
        raise SandboxError("the sandbox lost its cgroup")

    def alive(self) -> bool:
        return True

    def close(self) -> None:
        pass


class _CollapsingBackend(Backend):
    """Starts one worker, which then fails; every later start fails too: an infrastructure outage."""

    name = "collapsing"

    def __init__(self) -> None:
        self.started = 0

    def unavailable_reason(self) -> str | None:
        return None

    def start_worker(self, limits, hash_seed=0) -> Worker:
        self.started += 1
        if self.started > 1:
            raise SandboxError("cannot start a sandbox: out of capacity")
        return _DeadWorker()


def test_sandbox_outage_is_sandbox_error_not_the_tasks_fault():
    registry = BackendRegistry()
    registry.register(_CollapsingBackend.name, _CollapsingBackend)
    with open_pool(backend="collapsing", workers=1, registry=registry) as pool, \
            Validator(pool, ValidationConfig(), registry=registry) as validator:
        report = validator.validate(task())
    assert report.reasons == ("sandbox_error",)
    assert check(report, "reference").reason == "sandbox_error"


def test_a_call_that_crashes_with_load_failure_text_is_not_a_load_failure(validator):
    # The phase is set where the sandbox sees the module load fail; a verify call cannot forge it with a message.
    source = ("Fake = type('verifier failed to load', (Exception,), {})\n"
              "def verify(response: str) -> float:\n    raise Fake('no')\n")
    report = validator.validate(task(verifier=source))
    assert check(report, "compiles").passed is True
    assert check(report, "reference").passed is False and report.reasons == ("verifier_error",)


# weak_tests: the requests made of the reference do not tell it from simple wrong programs (verifier.weak_requests) --

SUM = "def total(xs):\n    result = 0\n    for x in xs:\n        result += x\n    return result\n"
SUM_STAR = "def total(*numbers):\n    result = 0\n    for n in numbers:\n        result += n\n    return result\n"
SUM_STAR_PROMPT = "Write `total(*numbers)`, the sum of its arguments."


def _total_task(verifier: str) -> TaskSpec:
    """A task of ``total(xs)``, the sum of a list of ints, whose verifier is ``verifier``."""
    return TaskSpec(prompt="Write `total(xs)`, the sum of a list of ints.", verifier=verifier, reference=SUM,
                    failure_cases=("def total(xs):\n    return len(xs)\n",))


def _sum_task(cases: list[list[int]]) -> TaskSpec:
    verifier = ("from envsynth_sandbox import run_response\n"
                f"CASES = {cases!r}\n"
                "def verify(response):\n"
                "    run = run_response(response, calls=[('total', [xs]) for xs in CASES], timeout=1.0)\n"
                "    return 1.0 if all(c.ok and c.value == sum(xs) for c, xs in zip(run.calls, CASES)) else 0.0\n")
    return _total_task(verifier)


def test_a_verifier_whose_one_test_a_wrong_program_passes_is_rejected_as_weak_tests(validator):
    """Red-team round 60 (A4): ``total([7])`` alone was admitted 5 of 5 times, and training paid 90 to 131 wrong
    programs a run before its own check of the requests flagged the task."""
    report = validator.validate(_sum_task([[7]]))
    assert report.reasons == ("weak_tests",)
    assert "total returning max(arg1)" in check(report, "weak_tests").detail


def test_a_verifier_whose_tests_leave_one_program_that_drops_its_argument_is_rejected(validator):
    report = validator.validate(_sum_task([[7], [7, 0], [0, 7]]))
    assert report.reasons == ("weak_tests",) and "max(arg1)" in check(report, "weak_tests").detail


def test_a_verifier_with_varied_tests_passes_weak_tests(validator):
    report = validator.validate(_sum_task([[1, 2, 3], [], [5, -5, 5], [7], [2, 2, 9]]))
    assert report.admitted and check(report, "weak_tests").passed is True


def test_a_verifier_that_runs_no_program_has_nothing_to_measure(validator):
    assert "asked the reference nothing" in check(validator.validate(task()), "weak_tests").detail


def _padded_sum_task(honest_run: bool) -> TaskSpec:
    """A verifier that pays ``total([7])`` alone (``max`` and the first item pass it), made in a run beside an ignored
    call of 200,000 items whose request (1.3 MB) is too large for the sandbox to record; with ``honest_run``, a second
    run of varied tests whose record is kept and that the verifier also ignores."""
    honest = "    run_response(response, calls=[('total', [xs]) for xs in [[1, 2, 3], [], [5, -5, 5], [2, 2, 9]]])\n"
    verifier = ("from envsynth_sandbox import run_response\n"
                "def verify(response):\n"
                + (honest if honest_run else "")
                + "    run = run_response(response, calls=[('total', [[7]]), ('total', [list(range(200000))])])\n"
                "    return 1.0 if run.calls and run.calls[0].ok and run.calls[0].value == 7 else 0.0\n")
    return _total_task(verifier)


def test_a_weak_test_in_a_run_too_large_to_record_is_rejected_as_weak_tests(validator):
    """Session 34: the check found nothing to measure (the run's record left out) and the task was admitted. The
    run is recorded shrunk now, ``total([7])`` kept, and measured."""
    report = validator.validate(_padded_sum_task(honest_run=False))
    assert report.reasons == ("weak_tests",) and "max(arg1)" in check(report, "weak_tests").detail


def _pays_first_call(calls: str, value: str = "7", then: str = "", **task: object) -> TaskSpec:
    """A task (``total(xs)``, the sum of a list, unless ``task`` says otherwise) whose verifier makes one run of
    ``calls`` (a Python expression), then the statement ``then``, and pays the run's first call returning ``value``
    alone."""
    verifier = ("from envsynth_sandbox import run_response\n"
                "def verify(response):\n"
                f"    run = run_response(response, calls={calls})\n"
                + (f"    {then}\n" if then else "")
                + f"    return 1.0 if run.calls and run.calls[0].ok and run.calls[0].value == {value} else 0.0\n")
    fields = dict(prompt="Write `total(xs)`, the sum of a list of numbers.", verifier=verifier, reference=SUM,
                  failure_cases=("def total(xs):\n    return len(xs)\n",))
    return TaskSpec(**{**fields, **task})


def test_a_weak_test_in_a_run_too_large_to_record_beside_a_run_of_no_function_is_rejected_as_weak_tests(validator):
    """Session 35's red-team (round 66): beside a recorded run that called nothing a program defines, the run too
    large to record left the check that run alone to measure, and the task was admitted."""
    report = validator.validate(_pays_first_call("[('total', [[7]]), ('total', [list(range(300000))])]",
                                                 then="run_response(response, calls=[('!', [])])"))
    assert report.reasons == ("weak_tests",) and "max(arg1)" in check(report, "weak_tests").detail


def test_a_function_asked_only_in_a_call_too_large_to_record_is_rejected_as_weak_tests(validator):
    """The one paid call padded past the records' region (its answer, 7, is what ``max`` and the first item give),
    beside a recorded run that called nothing a program defines: ``total`` is known by name alone."""
    report = validator.validate(_pays_first_call("[('total', [[7] + [0] * 600000])]",
                                                 then="run_response(response, calls=[('!', [])])"))
    assert report.reasons == ("weak_tests",)
    assert "asked `total` only in requests too large to record" in check(report, "weak_tests").detail


def test_a_run_too_large_to_record_beside_recorded_ones_is_measured_by_those(validator):
    """Session 34's red-team (FP3): an honest performance test of 200,000 items beside varied small tests, each run
    of its own, was rejected while any record was left out; the recorded runs are measured (training's answers check
    runs every paid text on them too), and a verifier that ignores its varied run pays the wrong programs they tell
    apart only there, which training flags."""
    report = validator.validate(_padded_sum_task(honest_run=True))
    assert check(report, "weak_tests").passed is True


def test_a_list_padded_past_the_records_beside_a_kept_call_of_another_kind_is_rejected_as_weak_tests(validator):
    """Session 36's red-team (F1): ``total(5)``, which the reference raised on, kept, and the paid list padded past
    the region known by name alone: its int gave no decoy of a list, and the task was admitted 4 of 4 times."""
    verifier = ("from envsynth_sandbox import run_response\n"
                "def verify(response):\n"
                "    run = run_response(response, calls=[('total', [5]), ('total', [[7] + [0] * 600000])])\n"
                "    return 1.0 if len(run.calls) == 2 and not run.calls[0].ok and run.calls[1].value == 7 else 0.0\n")
    report = validator.validate(_total_task(verifier))
    assert report.reasons == ("weak_tests",) and "`total`" in check(report, "weak_tests").detail


def test_an_honest_performance_test_in_the_run_of_its_small_tests_passes_weak_tests(validator):
    """The run's record is too large (1.3 MB): recorded shrunk, it keeps the small tests, which the check measures."""
    verifier = ("from envsynth_sandbox import run_response\n"
                "CASES = [[1, 2, 3], [], [5, -5, 5], [7], [2, 2, 9], list(range(200000))]\n"
                "def verify(response):\n"
                "    run = run_response(response, calls=[('total', [xs]) for xs in CASES])\n"
                "    return float(all(call.ok and call.value == sum(xs) for call, xs in zip(run.calls, CASES)))\n")
    report = validator.validate(_total_task(verifier))
    assert check(report, "weak_tests").passed is True


def test_a_verifier_whose_requests_give_too_many_decoys_to_measure_is_rejected_as_weak_tests(validator):
    """Red-team round 64 (C5): ``total([7], 0, 1, ..., 1099)`` crowded the list's shapes out of the decoys, and the
    one test, which ``max`` and the first item pass, was admitted."""
    verifier = ("from envsynth_sandbox import run_response\n"
                "def verify(response):\n"
                "    run = run_response(response, calls=[('total', [[7], *range(1100)])])\n"
                "    return 1.0 if run.calls and run.calls[0].ok and run.calls[0].value == 7 else 0.0\n")
    report = validator.validate(TaskSpec(prompt="Write `total(xs, *pad)`, the sum of xs.", verifier=verifier,
                                         reference="def total(xs, *pad):\n    return sum(xs)\n",
                                         failure_cases=("def total(xs, *pad):\n    return len(xs)\n",)))
    assert report.reasons == ("weak_tests",) and "so many functions" in check(report, "weak_tests").detail


def _weak_beside_task(ignored: str) -> TaskSpec:
    """A verifier that pays ``total([7])`` alone (``max`` and the first item pass it), made in one run beside the
    ignored calls ``ignored`` (a Python expression of a list of calls; ``nested(n)`` is a list nested ``n`` deep);
    the reference also defines ``size``."""
    verifier = ("from envsynth_sandbox import run_response\n"
                "def nested(levels):\n"
                "    value = []\n"
                "    for _ in range(levels):\n"
                "        value = [value]\n"
                "    return value\n"
                "def verify(response):\n"
                f"    run = run_response(response, calls=[('total', [[7]]), *{ignored}])\n"
                "    return 1.0 if run.calls and run.calls[0].ok and run.calls[0].value == 7 else 0.0\n")
    return TaskSpec(prompt="Write `total(xs)`, the sum of a list of numbers, and `size(xs)`, its length.",
                    verifier=verifier, reference=SUM + "def size(xs):\n    return len(xs)\n",
                    failure_cases=("def total(xs):\n    return len(xs)\n\ndef size(xs):\n    return len(xs)\n",))


def test_a_weak_test_beside_an_ignored_nan_argument_is_rejected_as_weak_tests(validator):
    """Session 34's red-team (E1): the NaN made the run's record malformed, the check had nothing to measure, and the
    task was admitted. The record is read now, and a call every program answers NaN tells none apart."""
    report = validator.validate(_weak_beside_task("[('total', [[float('nan')]])]"))
    assert report.reasons == ("weak_tests",) and "max(arg1)" in check(report, "weak_tests").detail


def test_a_weak_test_beside_an_ignored_argument_nested_deep_is_rejected_as_weak_tests(validator):
    """Session 34's red-team (E4): an argument nested 70 deep made the record malformed (64 levels were read)."""
    report = validator.validate(_weak_beside_task("[('total', [nested(70)])]"))
    assert report.reasons == ("weak_tests",) and "max(arg1)" in check(report, "weak_tests").detail


def test_a_weak_test_beside_an_argument_too_deep_to_read_back_is_rejected_as_weak_tests(validator):
    report = validator.validate(_weak_beside_task("[('total', [nested(500)])]"))
    assert report.reasons == ("weak_tests",) and "could not be read back" in check(report, "weak_tests").detail


def test_a_weak_test_sorted_past_the_calls_a_run_holds_is_rejected_as_weak_tests(validator):
    """Session 34's red-team (E3): 64 ignored calls of a helper sorted before ``total([7])`` and cut it."""
    report = validator.validate(_weak_beside_task("[('size', [list(range(i))]) for i in range(64)]"))
    assert report.reasons == ("weak_tests",) and "max(arg1)" in check(report, "weak_tests").detail


def test_an_honest_verifier_of_nan_and_deep_arguments_passes_weak_tests(validator):
    """Session 34's red-team (FP1, FP2): honest records holding NaN or nested 80 deep were dropped as malformed."""
    verifier = ("from envsynth_sandbox import run_response\n"
                "import math\n"
                "CASES = [[1.0, 2.5], [], [float('nan'), 1.0], [4.0, -4.0, 3.0], [2.0, 2.0, 9.0]]\n"
                "def verify(response):\n"
                "    deep = []\n"
                "    for _ in range(80):\n"
                "        deep = [deep]\n"
                "    run = run_response(response, calls=[*[('total', [xs]) for xs in CASES], ('depth', [deep]),\n"
                "                                        ('depth', [[]]), ('depth', [[[], [[]]]])])\n"
                "    got = [c.value if c.ok else None for c in run.calls]\n"
                "    sums = [sum(xs) for xs in CASES]\n"
                "    same = all(g == s or (math.isnan(s) and g != g) for g, s in zip(got, sums))\n"
                "    return 1.0 if same and got[len(CASES):] == [81, 1, 3] else 0.0\n")
    reference = ("def total(xs):\n    result = 0.0\n    for x in xs:\n        result += x\n    return result\n\n"
                 "def depth(xs):\n    if not isinstance(xs, list):\n        return 0\n"
                 "    return 1 + max((depth(x) for x in xs), default=0)\n")
    report = validator.validate(TaskSpec(
        prompt="Write `total(xs)`, the sum of a list of floats, and `depth(xs)`, how deep a list nests.",
        verifier=verifier, reference=reference,
        failure_cases=(reference.replace("result += x", "result = x"), reference.replace("1 + max", "max"))))
    assert check(report, "weak_tests").detail.startswith("the requests tell the reference from every simple wrong")


def test_a_weak_test_after_64_ignored_calls_each_with_a_keyword_of_its_own_is_rejected_as_weak_tests(validator):
    """Session 35's red-team (E1): the calls, merged and cut keeping any new feature first, kept the keywords and
    left ``total([7])`` out; the check measures every record now."""
    report = validator.validate(_weak_beside_task("[('size', [], {f'k{i:02}': i}) for i in range(64)]"))
    assert report.reasons == ("weak_tests",) and "max(arg1)" in check(report, "weak_tests").detail


def test_a_weak_test_in_a_run_that_cannot_be_read_back_beside_a_readable_one_is_rejected(validator):
    """Session 35's red-team (E2): a record past 400 levels counted for nothing while another could be read."""
    verifier = _weak_beside_task("[('total', [nested(500)])]").verifier.replace(
        "    return 1.0 if", "    run_response(response, calls=[('size', [[5, 9]])])\n    return 1.0 if")
    report = validator.validate(_weak_beside_task("[]").model_copy(update={"verifier": verifier}))
    assert report.reasons == ("weak_tests",) and "could not be read back" in check(report, "weak_tests").detail


def test_a_script_paid_by_one_input_after_eight_ignored_inputs_is_rejected_as_weak_tests(validator):
    """Session 35's red-team (E3): eight ignored inputs without a number sorted before the paid ``7``, and the cut
    left it unmeasured."""
    reference = "import sys\nprint(sum(int(t) for t in sys.stdin.read().split() if t.lstrip('-').isdigit()))\n"
    verifier = ("from envsynth_sandbox import run_response\n"
                "def verify(response):\n"
                "    run = run_response(response, stdin='7\\n')\n"
                "    for i in range(8):\n"
                "        run_response(response, stdin='!' * (i + 1) + '\\n')\n"
                "    return 1.0 if run.stdout.strip() == '7' else 0.0\n")
    report = validator.validate(TaskSpec(
        prompt="Write a program that reads integers from standard input and prints their sum.", verifier=verifier,
        reference=reference, failure_cases=(reference.replace("sum(", "len(list(") + ")",)))
    assert report.reasons == ("weak_tests",) and "a script printing" in check(report, "weak_tests").detail


def test_a_weak_test_of_an_infinity_is_rejected_as_weak_tests(validator):
    """Session 35's red-team (E4): ``total([inf])`` alone was admitted, as every near move left the infinity one."""
    report = validator.validate(_pays_first_call("[('total', [[float('inf')]])]", value="float('inf')"))
    assert report.reasons == ("weak_tests",) and "max(arg1)" in check(report, "weak_tests").detail


def test_one_number_passed_to_a_function_of_star_args_is_rejected_as_weak_tests(validator):
    """Session 35's red-team (E5): ``total(7)`` alone, of ``total(*numbers)``, was admitted."""
    report = validator.validate(_pays_first_call("[('total', [7])]", reference=SUM_STAR,
                                                 prompt=SUM_STAR_PROMPT,
                                                 failure_cases=("def total(*numbers):\n    return len(numbers)\n",)))
    assert report.reasons == ("weak_tests",) and "max(args)" in check(report, "weak_tests").detail



def test_one_number_passed_after_eight_runs_of_ignored_helpers_is_rejected_as_weak_tests(validator):
    """Session 56: eight runs of ignored helpers (``h0()`` ... ``h7()``) before ``total(7)`` took every near copy,
    and the weak task was admitted on every draw (through 1.48 as first written)."""
    verifier = ("from envsynth_sandbox import run_response\n"
                "def verify(response):\n"
                "    for i in range(8):\n"
                "        run_response(response, calls=[('h%d' % i, [])])\n"
                "    run = run_response(response, calls=[('total', [7])])\n"
                "    return 1.0 if run.calls and run.calls[0].ok and run.calls[0].value == 7 else 0.0\n")
    report = validator.validate(TaskSpec(prompt=SUM_STAR_PROMPT,
                                         verifier=verifier, reference=SUM_STAR,
                                         failure_cases=("def total(*numbers):\n    return len(numbers)\n",)))
    assert report.reasons == ("weak_tests",) and "max(args)" in check(report, "weak_tests").detail


def test_a_function_of_star_args_asked_with_no_argument_alone_is_rejected_as_weak_tests(validator):
    """Session 56's red team: ``total()`` alone, of ``total(*numbers)``, was admitted on every draw: no near run
    passed an argument, and ``return 0`` answered each as the sum did."""
    report = validator.validate(_pays_first_call("[('total', [])]", value="0", reference=SUM_STAR,
                                                 prompt=SUM_STAR_PROMPT,
                                                 failure_cases=("def total(*numbers):\n    return 1\n",)))
    assert report.reasons == ("weak_tests",) and "total returning 0" in check(report, "weak_tests").detail


def test_a_list_of_equal_flags_alone_is_rejected_as_weak_tests(validator):
    """Session 56's red team: ``all_true([True, True])`` alone was admitted in about 1 of 17 draws, when no near
    list held a ``False``. (Validation draws its own seed, so this passes on 1.48 in about 16 runs of 17; the near
    runs' own test, ``test_every_draw_brings_a_false_among_a_list_of_equal_flags``, holds every seed of 512.)"""
    reference = "def all_true(flags):\n    for flag in flags:\n        if not flag:\n            return False\n" \
                "    return True\n"
    report = validator.validate(_pays_first_call("[('all_true', [[True, True]])]", value="True", reference=reference,
                                                 prompt="Write `all_true(flags)`: whether every flag is True.",
                                                 failure_cases=("def all_true(flags):\n    return False\n",)))
    assert report.reasons == ("weak_tests",) and "all_true returning True" in check(report, "weak_tests").detail


def _both(verifier: str) -> TaskSpec:
    """A task of ``both(a, b)`` (whether both flags are True) whose verifier is ``verifier``."""
    return TaskSpec(prompt="Write `both(a, b)`: whether both flags are True.", verifier=verifier,
                    reference="def both(a, b):\n    return a and b\n",
                    failure_cases=("def both(a, b):\n    return True\n",))


def test_two_flags_asked_beside_seven_runs_of_ignored_helpers_are_rejected_as_weak_tests(validator):
    """Session 57's red team: ``both(True, False)`` and ``both(False, True)`` beside seven other runs were admitted on
    every draw (1.48, 1.49): the one near copy of their run turned both flags, so ``(True, True)`` never came and
    ``return False`` answered every near call as the reference did. Each run now has four near copies."""
    verifier = ("from envsynth_sandbox import run_response\n"
                "def verify(response):\n"
                "    for i in range(7):\n"
                "        run_response(response, calls=[('h%d' % i, [])])\n"
                "    run = run_response(response, calls=[('both', [True, False]), ('both', [False, True])])\n"
                "    return 1.0 if [call.ok and call.value is False for call in run.calls] == [True, True] else 0.0\n")
    report = validator.validate(_both(verifier))
    assert report.reasons == ("weak_tests",) and "both returning False" in check(report, "weak_tests").detail


def test_an_honest_function_refusing_odd_numbers_tested_on_sixteen_consecutive_even_ones_is_admitted(validator):
    """The 1.50 red team (R3): ``next_odd(n)`` raises on odd ``n``; tested on 2, 4 ... 32, its near copies moved by an
    even step met the recorded numbers again, which confirm nothing, and its decoy ``n + 1`` (the reference itself)
    was taken for wrong: 1.50 admitted it on 3 of 7 validations measured. Such a near call is moved on to a number
    not recorded."""
    verifier = ("from envsynth_sandbox import run_response\n"
                "def verify(response):\n"
                "    runs = [run_response(response, calls=[('next_odd', [n])]) for n in range(2, 34, 2)]\n"
                "    return 1.0 if all(r.calls[0].ok and r.calls[0].value == n + 1\n"
                "                      for r, n in zip(runs, range(2, 34, 2))) else 0.0\n")
    reference = "def next_odd(n):\n    if n % 2:\n        raise ValueError('n must be even')\n    return n + 1\n"
    report = validator.validate(TaskSpec(prompt="Write `next_odd(n)`: the odd number after an even `n`.",
                                         verifier=verifier, reference=reference,
                                         failure_cases=("def next_odd(n):\n    return n\n",)))
    assert report.admitted, report.reasons


def test_two_flags_asked_in_runs_of_their_own_beside_sixteen_helpers_of_no_argument_are_rejected_as_weak_tests(
        validator):
    """The 1.50 red team (W4): beside 16 runs of ignored helpers of no argument, each of the 18 runs had one or two
    near copies, so ``both(True, False)`` and ``both(False, True)`` never met ``(True, True)`` and were admitted as
    on 1.49. A run of no argument on a blank input waits for its second copy until each run of arguments has four."""
    verifier = ("from envsynth_sandbox import run_response\n"
                "def verify(response):\n"
                "    for i in range(16):\n"
                "        run_response(response, calls=[('h%d' % i, [])])\n"
                "    runs = [run_response(response, calls=[('both', [True, False])]),\n"
                "            run_response(response, calls=[('both', [False, True])])]\n"
                "    return 1.0 if all(run.calls[0].ok and run.calls[0].value is False for run in runs) else 0.0\n")
    report = validator.validate(_both(verifier))
    assert report.reasons == ("weak_tests",) and "both returning False" in check(report, "weak_tests").detail


def test_a_string_lacking_vowels_asked_alone_of_a_vowel_test_is_rejected_as_weak_tests(validator):
    """Session 57's red team: ``has_vowel('xyz')`` alone was admitted in about 1 of 5 draws, when no near string
    held a vowel. (Validation draws its own seed, so this passes on 1.49 in about 4 runs of 5; the near runs' own
    test, ``test_a_string_meets_a_character_of_a_kind_it_lacks_on_every_draw``, holds every seed of 128.)"""
    reference = "def has_vowel(text):\n    return any(char in 'aeiou' for char in text)\n"
    report = validator.validate(_pays_first_call("[('has_vowel', ['xyz'])]", value="False", reference=reference,
                                                 prompt="Write `has_vowel(text)`: whether it holds a small vowel.",
                                                 failure_cases=("def has_vowel(text):\n    return True\n",)))
    assert report.reasons == ("weak_tests",) and "has_vowel returning False" in check(report, "weak_tests").detail


def test_a_script_paid_by_one_comma_separated_number_is_rejected_as_weak_tests(validator):
    """Session 35's red-team (E6): the one input ``7,`` was admitted; no decoy read a number of it."""
    verifier = ("from envsynth_sandbox import run_response\n"
                "def verify(response):\n"
                "    run = run_response(response, stdin='7,')\n"
                "    return 1.0 if run.stdout.strip() == '7' else 0.0\n")
    reference = "print(sum(int(x) for x in input().split(',') if x.strip()))\n"
    report = validator.validate(TaskSpec(prompt="Read numbers separated by commas; print their sum.",
                                         verifier=verifier, reference=reference,
                                         failure_cases=("print(len(input().split(',')))\n",)))
    assert report.reasons == ("weak_tests",) and "max(numbers)" in check(report, "weak_tests").detail


def _script_paid_by_a_large_input(beside: str) -> TaskSpec:
    """A script task (print the sum of the input's integers) whose verifier pays an input of 1.2 MB that ``7``
    opens (the first number, the largest and the sum are all 7), too large to record, beside a recorded input
    ``beside`` whose run must print nothing (the reference refuses it)."""
    verifier = ("from envsynth_sandbox import run_response\n"
                "def verify(response):\n"
                f"    beside = run_response(response, stdin={beside!r})\n"
                "    run = run_response(response, stdin='7\\n' + '0\\n' * 600000)\n"
                "    return 1.0 if not beside.stdout.strip() and run.stdout.strip() == '7' else 0.0\n")
    reference = "import sys\nprint(sum(int(t) for t in sys.stdin.read().split()))\n"
    return TaskSpec(prompt="Read whitespace-separated integers from standard input and print their sum.",
                    verifier=verifier, reference=reference,
                    failure_cases=("import sys\nprint(len(sys.stdin.read().split()))\n",))


def test_a_script_paid_by_an_input_too_large_to_record_beside_one_without_numbers_is_rejected(validator):
    """Session 36's red-team (F2): the large input was recorded as ``null``, and the recorded ``x`` counted as
    measuring it; admitted 4 of 4 times."""
    report = validator.validate(_script_paid_by_a_large_input("x"))
    assert report.reasons == ("weak_tests",)
    assert "a standard input holding numbers" in check(report, "weak_tests").detail


def test_a_script_paid_by_an_input_too_large_to_record_beside_one_the_reference_refuses_is_rejected(validator):
    """Session 37: beside ``5 x`` (numbers and words, as the large input holds), which the reference raised on, no
    decoy was compared, and the task was admitted."""
    report = validator.validate(_script_paid_by_a_large_input("5 x"))
    assert report.reasons == ("weak_tests",) and "max(numbers)" in check(report, "weak_tests").detail


def test_a_call_too_large_to_record_beside_a_call_of_its_kinds_the_reference_refuses_is_rejected(validator):
    """Session 37: the paid ``total([7, 0, ...])`` too large to record, beside ``total(['x'])``, which the reference
    raised on (and the verifier required it to): no decoy was compared, and the task was admitted."""
    report = validator.validate(_pays_first_call("[('total', [[7] + [0] * 600000])]", value="7",
                                                 then="run_response(response, calls=[('total', [['x']])])"))
    assert report.reasons == ("weak_tests",) and "max(arg1)" in check(report, "weak_tests").detail


def test_an_honest_call_that_must_raise_beside_a_call_too_large_to_record_passes_weak_tests(validator):
    """Red-team round 68 (B1): ``total(5)``, which the reference must raise on, beside varied small tests and a sum
    of a large list known by kinds alone, made every shape of an int a rival (validator 1.29 as first written): an
    int was never passed where the request was left out."""
    verifier = ("from envsynth_sandbox import run_response\n"
                "CASES = [[1, 2, 3], [], [5, -5, 5], [7], [2, 2, 9], [10, -3]]\n"
                "def verify(response):\n"
                "    run = run_response(response, calls=[('total', [xs]) for xs in CASES] + [('total', [5])])\n"
                "    big = run_response(response, calls=[('total', [[7] + [1] * 400000])])\n"
                "    small = all(call.ok and call.value == sum(xs) for call, xs in zip(run.calls, CASES))\n"
                "    return float(small and len(run.calls) == 7 and not run.calls[6].ok and big.calls[0].ok\n"
                "                 and big.calls[0].value == 400007)\n")
    report = validator.validate(_total_task(verifier))
    assert check(report, "weak_tests").passed is True


def test_one_sorted_list_of_a_reference_that_refuses_every_other_is_rejected_as_weak_tests(validator):
    """Red-team round 68 (A3): ``second_smallest([5, 5, 9])`` alone, its reference raising on any other list, paid
    the first item and the smallest; the near lists keep their order, where those two answer alike."""
    verifier = ("from envsynth_sandbox import run_response\n"
                "def verify(response):\n"
                "    run = run_response(response, calls=[('second_smallest', [[5, 5, 9]])])\n"
                "    return 1.0 if run.calls and run.calls[0].ok and run.calls[0].value == 5 else 0.0\n")
    reference = ("def second_smallest(xs):\n    if xs != [5, 5, 9]:\n        raise ValueError(xs)\n"
                 "    return sorted(xs)[1]\n")
    report = validator.validate(TaskSpec(prompt="Write `second_smallest(xs)`, the second item of xs sorted.",
                                         verifier=verifier, reference=reference,
                                         failure_cases=("def second_smallest(xs):\n    return max(xs)\n",)))
    assert report.reasons == ("weak_tests",) and "min(arg1)" in check(report, "weak_tests").detail


def test_a_script_tested_on_a_blank_input_alone_is_rejected_as_weak_tests(validator):
    """Red-team round 68 (A5's control): ten newlines alone, the sum 0, paid ``print(0)`` and the count of tokens."""
    verifier = ("from envsynth_sandbox import run_response\n"
                "def verify(response):\n"
                "    return 1.0 if run_response(response, stdin='\\n' * 10).stdout.strip() == '0' else 0.0\n")
    reference = "import sys\nprint(sum(int(t) for t in sys.stdin.read().split()))\n"
    report = validator.validate(TaskSpec(prompt="Read whitespace-separated integers and print their sum.",
                                         verifier=verifier, reference=reference,
                                         failure_cases=("print(-1)\n",)))
    assert report.reasons == ("weak_tests",) and "a script printing 0" in check(report, "weak_tests").detail


MAIN_COUNTING_DOWN = ("import sys\ndef main():\n    data = sys.stdin.read()\n    total = -1\n"
                      "    for token in data.split():\n        total -= 1\n    print(total)\n")


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_called_main_tested_on_a_blank_input_alone_is_rejected_as_weak_tests(validator):
    """Red-team round 69 (A2c): ``main()``, called on ten newlines alone, paid ``def main(): print(0)``."""
    verifier = ("from envsynth_sandbox import run_response\n"
                "def verify(response):\n"
                "    run = run_response(response, calls=[('main', [])], stdin='\\n' * 10)\n"
                "    return 1.0 if run.stdout.strip() == '0' else 0.0\n")
    reference = "import sys\ndef main():\n    print(sum(int(t) for t in sys.stdin.read().split()))\n"
    report = validator.validate(TaskSpec(prompt="Write `main()`: read integers and print their sum.",
                                         verifier=verifier, reference=reference,
                                         failure_cases=(MAIN_COUNTING_DOWN,)))
    assert report.reasons == ("weak_tests",) and "a script printing len(tokens)" in check(report, "weak_tests").detail
