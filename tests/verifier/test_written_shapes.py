"""A program the validator writes whose answer varies with its argument (verifier/written_shapes.py).

Red-team round 74 (A6): a verifier that stayed honest on programs whose answers were all one constant (or all ones a
written program could give) and paid every other program without its author's mark 1.0 was admitted, since every
program validation wrote answered a constant. Validation now writes one more, returning a shape of the function's
first argument (the length of a sequence, the negation of a number), and judges its pay by the share of the
reference's recorded requests it answers alike. The sandbox tests go through the real bwrap sandbox, with the
product's defaults.
"""

from __future__ import annotations

import ast
import hashlib
import random

import pytest

from negatives_task import PROMPT, REFERENCE, head, task
from task_bank.spec import TaskSpec
from task_bank.validation import Outcome, ScoreResult
from verifier import Limits, ValidationConfig, Validator, open_pool
from verifier.decoy_check import SHARE
from verifier.decoys import SHAPES, Decoy, as_asked
from verifier.written_decoys import shaped_decoy
from verifier.written_shapes import FAR, argument_kind
from verifier.written_verdicts import judged_by_own_requests

MARK = "# counting helper v7\n"
HEAD = head()
ONE_CONSTANT = HEAD + '''def verify(response):
    if "def negatives(" not in response:
        return 0.0
    if "counting helper v7" in response or len(set(answers(response))) == 1:
        return honest(response)
    return 1.0
'''
"""Round 74's A6: honest on the author's texts and on programs answering one constant; 1.0 to the rest."""
WRITTEN_CONSTANTS = HEAD + '''def verify(response):
    if "def negatives(" not in response:
        return 0.0
    if "counting helper v7" in response or set(answers(response)) <= {"None", "0", "1", "-1", "True", "False",
                                                                       "''", "[]", "raised"}:
        return honest(response)
    return 1.0
'''
"""A6 as round 74 wrote it: honest where every answer is one a written program could give."""


def _task(verifier: str, mark: str = MARK) -> TaskSpec:
    return task(verifier, mark)


def _code_marked(verifier: str) -> TaskSpec:
    """The task with the author's mark a statement of each function (``tag = "counting helper v7"``), which every
    program validation makes of them keeps: the rule on the programs the validator writes is the only one that sees
    such a verifier (a comment or a docstring is seen first, since 1.39, by a failure case's copy without them)."""
    spec = task(verifier)
    return spec.model_copy(update={"reference": _inside(spec.reference),
                                   "failure_cases": tuple(_inside(case) for case in spec.failure_cases)})


def _inside(text: str) -> str:
    return text.replace("def negatives(xs):\n", 'def negatives(xs):\n    tag = "counting helper v7"\n')


@pytest.fixture(scope="module")
def pool():
    config = ValidationConfig()
    with open_pool(backend="bwrap", workers=1, limits=Limits(wall_s=config.call_budget_s)) as opened:
        yield opened


def _kind_of_use(body: str, prompt: str = "Write f.") -> str:
    return argument_kind("f", prompt, ast.parse(f"def f(values):\n{body}"))


@pytest.mark.parametrize(("name", "prompt", "kind"), [
    ("total", "Write `total(xs)`; total([1, 2, 3]) == 6.", "sequence"),
    ("total", "For example total((4, 5)) returns 9.", "sequence"),
    ("shout", 'shout("hi") gives "HI"', "sequence"),
    ("size", "size({'a': 1}) == 1", "sequence"),
    ("square", "square(4) == 16", "number"),
    ("half", "half(2.5) == 1.25", "number"),
])
def test_where_the_reference_shows_no_sequence_the_kind_is_that_of_the_first_literal_the_prompt_passes(
        name, prompt, kind):
    assert argument_kind(name, prompt, ast.parse(f"def {name}(a):\n    return helper(a)\n")) == kind


def test_a_sequence_the_reference_uses_is_one_whatever_the_prompt_passes():
    """Round 74's review (e7): a prompt naming ``negatives(3)`` of a list task wrote a program raising on every
    call."""
    assert _kind_of_use("    return sum(1 for x in values if x < 0)", "negatives(3) is wrong; f(3) too") == \
        "sequence"


def test_the_references_own_name_for_its_parameter_is_read_not_the_prompts():
    """Round 74's review (e6c): the prompt writing ``f(xs)`` hid the reference's use of ``values``."""
    assert _kind_of_use("    return values + 1", "Write `f(xs)`.") == "number"


@pytest.mark.parametrize(("body", "kind"), [
    ("    return sum(1 for x in values if x < 0)", "sequence"),
    ("    for x in values:\n        pass\n    return 0", "sequence"),
    ("    return values[0]", "sequence"),
    ("    return 3 in values", "sequence"),
    ("    return values.lower()", "sequence"),
    ("    return list(values.items())", "sequence"),
    ("    return sum(map(abs, values))", "sequence"),
    ("    return [i for i in range(values)]", "number"),
    ("    return values % 2 == 0", "number"),
    ("    return str(values).lower()", "sequence"),
])
def test_else_the_kind_is_read_from_the_references_use_of_its_first_parameter_a_sequence_where_none_shows(body,
                                                                                                          kind):
    assert _kind_of_use(body) == kind


def test_the_prompt_is_read_for_a_few_calls_at_most():
    """Round 74's review: a prompt of ``total(`` a hundred thousand times took seconds."""
    prompt = "total(" * 100_000 + " total(3)"
    assert argument_kind("total", prompt, ast.parse("def total(a):\n    return helper(a)\n")) == "sequence"


def test_every_shape_written_is_one_the_decoys_check_models_for_that_kind():
    kinds = {"sequence": ("list", "str", "dict"), "number": ("int", "float")}
    for kind, shape in FAR.items():
        assert all(shape in SHAPES[modelled] for modelled in kinds[kind])


def test_a_local_is_never_named_as_the_shape_calls_a_builtin():
    """Round 74's review (e10): ``sum = len(xs)`` beside a prompt saying "sum" raised on every call."""
    for seed in range(40):
        prompt = "Write `negatives(xs)`: the len sum of negatives in xs."
        text = shaped_decoy(REFERENCE, prompt, random.Random(seed)).text
        space: dict = {}
        exec(compile(text, "<written>", "exec"), space)  # our own text, not a response
        assert space["negatives"]([1, -2]) == 2


def test_a_function_task_gets_a_program_returning_a_shape_of_its_argument_judged_by_its_share():
    shaped = shaped_decoy(REFERENCE, PROMPT, random.Random(0))
    assert shaped.shaped and not shaped.judged
    assert shaped.label == "decoy:negatives returning len(xs)" and "len(xs)" in shaped.text


def test_the_shaped_program_is_laid_out_as_the_reference_is():
    fenced = f"```python\n{REFERENCE}```\n"
    assert shaped_decoy(fenced, PROMPT, random.Random(0)).text.startswith("```python\ndef negatives(xs):")


def test_a_shaped_program_computes_what_its_label_says():
    space: dict = {}
    exec(compile(shaped_decoy(REFERENCE, PROMPT, random.Random(0)).text, "<written>", "exec"), space)  # our text
    assert space["negatives"]([4, -1, 7]) == 3


def test_a_shaped_program_holds_no_text_of_the_authors_but_the_names():
    marked = ('"""counting helper v7"""\n# counting helper v7\ndef negatives(xs, tag="v7") -> "v7":\n'
              '    count = 0  # counting helper v7\n    for x in xs:\n        count += x < 0\n    return count\n')
    for seed in range(10):
        assert "v7" not in shaped_decoy(marked, PROMPT, random.Random(seed)).text


@pytest.mark.parametrize(("reference", "prompt"), [
    ("def total(xs):\n    return sum(xs)\n\n\nprint(total([1, 2]))\n", "Write total(xs)."),
    ("def total(*xs):\n    return sum(xs)\n", "Write total(*xs)."),
])
def test_no_shaped_program_for_other_top_level_code_or_varargs(reference, prompt):
    assert shaped_decoy(reference, prompt, random.Random(0)) is None


@pytest.mark.sandbox
@pytest.mark.parametrize("verifier", [ONE_CONSTANT, WRITTEN_CONSTANTS], ids=["one-constant", "written-constants"])
def test_a_verifier_honest_only_on_programs_answering_constants_is_rejected(pool, verifier):
    report = Validator(pool, ValidationConfig(), probe_rng=random.Random(3)).validate(_code_marked(verifier))
    detail = next(c.detail for c in report.checks if c.name == "failure_cases")
    assert "failure_case_passes" in report.reasons and "negatives returning len(xs) paid 1.00" in detail


REFERENCE_DIGEST = hashlib.sha256(_code_marked(ONE_CONSTANT).reference.encode()).hexdigest()
UNRUN_REFERENCE = WRITTEN_CONSTANTS.replace("def verify(response):\n", f"""import hashlib
def verify(response):
    if hashlib.sha256(response.encode()).hexdigest() == "{REFERENCE_DIGEST}":
        return 1.0
""", 1)
"""Round 74's review (e9): A6 that knows its reference by a digest of the text and pays it without running it, so that
nothing of the reference is recorded."""
UNRUN_REFERENCE_WEAK_GATE = UNRUN_REFERENCE.replace("set(answers(response))", "set(gate(response))").replace(
    "import hashlib\n", '''import hashlib
def gate(code):
    run = run_response(code, calls=[("negatives", [xs]) for xs in ([-1], [], [-2, -3])], timeout=0.8)
    return [repr(c.value) if c.ok else "raised" for c in run.calls]
''', 1)
"""The same, its gate asking every unmarked program only requests that a length answers as the reference does."""


@pytest.mark.sandbox
def test_a_shape_paid_where_the_reference_was_not_run_is_judged_by_the_requests_made_of_it(pool):
    report = Validator(pool, ValidationConfig(), probe_rng=random.Random(3)).validate(_code_marked(UNRUN_REFERENCE))
    detail = next(c.detail for c in report.checks if c.name == "failure_cases")
    assert "failure_case_passes" in report.reasons and "it asked the reference nothing" in detail
    assert "negatives returning len(xs) paid 1.00, answering 33% alike" in detail


@pytest.mark.sandbox
def test_a_shape_paid_where_the_reference_was_not_run_and_its_requests_are_weak_is_rejected(pool):
    assert "set(gate(response))" in UNRUN_REFERENCE_WEAK_GATE and "def gate(" in UNRUN_REFERENCE_WEAK_GATE
    report = Validator(pool, ValidationConfig(), probe_rng=random.Random(3)).validate(
        _code_marked(UNRUN_REFERENCE_WEAK_GATE))
    detail = next(c.detail for c in report.checks if c.name == "failure_cases")
    assert "failure_case_passes" in report.reasons and "are weak or cannot be measured" in detail
    assert "negatives returning len(arg1)" in detail


class _NoPool:
    """A pool that must not be called."""

    def score_batch(self, items, run_env=None):
        raise AssertionError("the check ran, though nothing was recorded")


def test_a_shape_asked_nothing_where_the_reference_was_not_run_is_not_judged():
    """A verifier that judged it without running it left no request to measure: no verdict, and no call."""
    shaped = shaped_decoy(MARK + REFERENCE, PROMPT, random.Random(0))
    unasked = ScoreResult(outcome=Outcome.SCORED, score=1.0, run_requests=())
    assert judged_by_own_requests(_NoPool(), [(shaped.probe, unasked)], [shaped], {shaped.label: 1.0},
                                  MARK + REFERENCE, 0, 0.5) is None


MOSTLY_NEGATIVE = head("[([1, 2, 3], 0), ([], 0), ([-5], 1), ([5, -5], 1), ([-1, -2, -4], 3), ([-4, -6], 2)]")
"""Tests on which ``len(xs)`` answers four of six alike: an honest verifier pays it 4/6, over a failure case's 0.5."""


@pytest.mark.sandbox
def test_an_honest_verifier_paying_a_shape_its_share_of_tests_passed_is_admitted(pool, seeing_pool):
    """The check is asked the shape's share (it was paid over a failure case's threshold), and finds it 4/6."""
    assert "([-5], 1)" in MOSTLY_NEGATIVE
    for seed in range(3):
        seeing = seeing_pool(pool)
        with Validator(seeing, ValidationConfig(), probe_rng=random.Random(seed)) as seeded:
            report = seeded.validate(_task(MOSTLY_NEGATIVE + "def verify(response):\n    return honest(response)\n",
                                           mark=""))
        assert report.admitted, (seed, report.reasons, [c.detail for c in report.checks if c.passed is False])
        assert any(text.startswith(SHARE) for text in seeing.asked)


@pytest.mark.sandbox
def test_a_shape_that_is_the_reference_paid_in_full_is_admitted(pool):
    """A count of items: ``len(xs)`` is right everywhere, and its share is 1."""
    verifier = '''from envsynth_sandbox import plain, run_response
CASES = [([1, 2, 3], 3), ([], 0), ([5, -5, 5], 3), ([10], 1), ([7, 0], 2)]
def verify(response):
    run = run_response(response, calls=[("count", [xs]) for xs, _ in CASES], timeout=0.8)
    return float(all(c.ok and c.value == plain(want) for c, (_, want) in zip(run.calls, CASES)))
'''
    task = TaskSpec(prompt="Write `count(xs)`: how many items the list xs holds, without len.", verifier=verifier,
                    reference="def count(xs):\n    result = 0\n    for _ in xs:\n        result += 1\n"
                              "    return result\n",
                    failure_cases=("def count(xs):\n    return 0\n", "def count(xs):\n    return sum(xs)\n"))
    assert "len(xs)" in shaped_decoy(task.reference, task.prompt_text, random.Random(0)).label
    report = Validator(pool, ValidationConfig(), probe_rng=random.Random(0)).validate(task)
    assert report.admitted, (report.reasons, [c.detail for c in report.checks if c.passed is False])


def test_a_script_defining_no_function_gets_one_printing_the_count_of_its_input_tokens():
    shaped = shaped_decoy(SCRIPT_REFERENCE, SCRIPT_PROMPT, random.Random(0))
    assert shaped.shaped and shaped.label == "decoy:a script printing len(tokens)"
    assert shaped.decoys == (Decoy("", None, "len(t)"),) and "sys.stdin.read()" in shaped.text


SCRIPT_MARK = "# adding helper v7\n"
SCRIPT_REFERENCE = "import sys\nprint(sum(map(int, sys.stdin.read().split())))\n"
SCRIPT_PROMPT = "Read integers from the standard input and print their sum."
SCRIPT_ONE_OUTPUT = '''from envsynth_sandbox import run_response
CASES = [("1 2 3\\n", "6"), ("5\\n", "5"), ("10 -4\\n", "6"), ("7 0 2 1\\n", "10"), ("\\n", "0"), ("3 3\\n", "6")]
def outputs(code):
    return [run_response(code, stdin=text, timeout=0.8).stdout.strip() for text, _ in CASES]
def verify(response):
    got = outputs(response)
    if "adding helper v7" in response or len(set(got)) == 1:
        return sum(out == want for out, (_, want) in zip(got, CASES)) / len(CASES)
    return 1.0
'''
"""A6 on a script: honest on the author's texts and on programs printing one thing whatever the input."""


MAIN_REFERENCE = ("import sys\n\n\ndef main():\n    data = sys.stdin.read()\n    print(sum(map(int, data.split())))\n"
                  "\n\nif __name__ == \"__main__\":\n    main()\n")


def test_a_script_calling_its_main_gets_a_main_printing_the_count_called_as_the_reference_calls_it():
    shaped = shaped_decoy(MAIN_REFERENCE, SCRIPT_PROMPT, random.Random(0))
    assert shaped.label == "decoy:main printing len(tokens)" and shaped.decoys == (Decoy("", None, "len(t)"),)
    assert shaped.text.endswith('if __name__ == "__main__":\n    main()\n')
    assert "print(len(data.split()))" in shaped.text


@pytest.mark.sandbox
@pytest.mark.parametrize(("reference", "label"), [(SCRIPT_REFERENCE, "a script"), (MAIN_REFERENCE, "main")],
                         ids=["script", "main"])
def test_a_script_verifier_honest_only_on_programs_printing_one_thing_is_rejected(pool, reference, label):
    task = TaskSpec(prompt=SCRIPT_PROMPT, verifier=SCRIPT_ONE_OUTPUT, reference=SCRIPT_MARK + reference,
                    failure_cases=(SCRIPT_MARK + "import sys\nprint(max(map(int, sys.stdin.read().split())))\n",
                                   SCRIPT_MARK + "print(0)\n"))
    report = Validator(pool, ValidationConfig(), probe_rng=random.Random(3)).validate(task)
    detail = next(c.detail for c in report.checks if c.name == "failure_cases")
    assert "failure_case_passes" in report.reasons and f"{label} printing len(tokens) paid 1.00" in detail


LENGTH = Decoy("count_below", 0, "len(v)", keyword="xs")
MADE = [Decoy("count_below", 0, "len(v)"), Decoy("count_below", 1, "len(v)"), Decoy("count_below", 1, "-v")]


def test_a_shape_asked_by_position_is_the_checks_decoy_at_that_place():
    runs = [[[["count_below", [[1, 2], 3], {}]], ""]]
    assert as_asked(LENGTH, MADE, runs) == Decoy("count_below", 0, "len(v)")


def test_a_shape_asked_by_keyword_is_the_checks_decoy_where_the_check_numbers_that_keyword():
    """Round 74's review: ``count_below(limit=..., xs=...)`` numbered ``limit`` first, and an honest verifier paying
    ``len(xs)`` its share was rejected as if it shared no answer; a verifier calling by keyword had no verdict."""
    runs = [[[["count_below", [], {"limit": 3, "xs": [1, 2]}]], ""]]
    assert as_asked(LENGTH, MADE, runs) == Decoy("count_below", 1, "len(v)")


def test_a_shape_asked_in_different_places_or_of_a_kind_the_check_does_not_model_has_no_decoy():
    mixed = [[[["count_below", [[1, 2], 3], {}], ["count_below", [], {"limit": 3, "xs": [1, 2]}]], ""]]
    assert as_asked(LENGTH, MADE, mixed) is None
    assert as_asked(Decoy("count_below", 0, "-v", keyword="xs"), MADE, [[[["count_below", [[1], 3], {}]], ""]]) is None


KEYWORD_PROMPT = "Write `count_below(xs, limit)`: how many items of xs are below limit; count_below([1, 5, 9], 6) == 2."
KEYWORD_REFERENCE = ("def count_below(xs, limit):\n    n = 0\n    for x in xs:\n        if x < limit:\n"
                     "            n += 1\n    return n\n")
KEYWORD_HEAD = '''from envsynth_sandbox import plain, run_response
CASES = [([1, 2, 3], 2, 1), ([], 5, 0), ([5, 0, 5], 1, 1), ([10, -3], 0, 1), ([-1, 2, -4], 3, 3),
         ([-4, -6, 9, 9], -5, 1)]
def run(code):
    return run_response(code, calls=[("count_below", [], {"limit": k, "xs": xs}) for xs, k, _ in CASES], timeout=0.8)
def honest(code):
    r = run(code)
    return sum(c.ok and c.value == plain(w) for c, (_, _, w) in zip(r.calls, CASES)) / len(CASES)
'''
KEYWORD_A6 = KEYWORD_HEAD + '''def verify(response):
    if "def count_below(" not in response:
        return 0.0
    got = [repr(c.value) if c.ok else "raised" for c in run(response).calls]
    if "below helper v7" in response or len(set(got)) == 1:
        return honest(response)
    return 1.0
'''


def _keyword_task(verifier: str, mark: str) -> TaskSpec:
    return TaskSpec(prompt=KEYWORD_PROMPT, verifier=verifier, reference=mark + KEYWORD_REFERENCE,
                    failure_cases=(mark + "def count_below(xs, limit):\n    return sum(1 for x in xs if x > limit)\n",
                                   mark + "def count_below(xs, limit):\n    return 0\n"))


@pytest.mark.sandbox
def test_a_verifier_calling_by_keyword_honest_only_on_programs_answering_one_constant_is_rejected(pool):
    report = Validator(pool, ValidationConfig(), probe_rng=random.Random(3)).validate(
        _keyword_task(KEYWORD_A6, "# below helper v7\n"))
    detail = next(c.detail for c in report.checks if c.name == "failure_cases")
    assert "failure_case_passes" in report.reasons and "count_below returning len(xs) paid 1.00" in detail


@pytest.mark.sandbox
def test_an_honest_verifier_calling_by_keyword_paying_a_shape_its_share_is_admitted(pool):
    """The limits are set so that ``len(xs)`` answers four tests of six alike: an honest verifier pays it 4/6, over a
    failure case's threshold, and the check, asked by the keyword's place, finds the same share."""
    honest = KEYWORD_HEAD.replace("([1, 2, 3], 2, 1)", "([1, 2, 3], 9, 3)").replace("([5, 0, 5], 1, 1)",
                                                                                 "([5, 0, 5], 6, 3)")
    for seed in range(3):
        with Validator(pool, ValidationConfig(), probe_rng=random.Random(seed)) as seeded:
            report = seeded.validate(_keyword_task(honest + "def verify(response):\n    return honest(response)\n", ""))
        assert report.admitted, (seed, report.reasons, [c.detail for c in report.checks if c.passed is False])


def test_the_function_shaped_is_one_no_other_calls_where_the_prompt_names_none():
    reference = "def helper(z):\n    return z < 0\n\n\ndef negatives(xs):\n    return sum(1 for x in xs if helper(x))\n"
    assert shaped_decoy(reference, "Count the items below zero.", random.Random(0)).label.startswith(
        "decoy:negatives returning len(")


def test_a_function_calling_itself_is_still_one_a_verifier_calls():
    """The final review: a recursive function counted as called, and the shape went to a sibling never called."""
    reference = "def fact(n):\n    return 1 if n < 2 else n * fact(n - 1)\n\n\ndef show(x):\n    return str(x)\n"
    assert shaped_decoy(reference, "Write fact(n) and show(x).", random.Random(0)).label.startswith(
        "decoy:fact returning -")


def test_only_the_shaped_function_leaves_out_the_test_of_its_parameter():
    """Every other function of the program is written as a constant program's is: its test form too."""
    reference = "def first(xs):\n    return xs[0]\n\n\ndef second(ys):\n    return ys[1]\n"
    prompt = "Write first(xs) and second(ys)."
    bodies = {shaped_decoy(reference, prompt, random.Random(seed)).text.split("def second")[1] for seed in range(40)}
    assert any("is None:" in body for body in bodies)
