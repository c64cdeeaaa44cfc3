"""A mutant of the reference shown again without its comments and docstrings (verifier/unmarked.py), and the rule that a
verifier pays both copies alike (checks_mutants).

Red-team round 74's A6 and its review's variants were honest on every program carrying the author's mark (a comment)
and on every program a written one could be (a constant, a length, a sum), and paid the rest 1.0, or 0.49 above their
share of right answers: validation 1.37 admitted them. The last mutant without its marks is a wrong program the author
never wrote; such a verifier pays it more than the same mutant as written. The sandbox tests go through the real bwrap
sandbox with the product's defaults.
"""

from __future__ import annotations

import random

import pytest

from negatives_task import NEAR, head, task
from task_bank.spec import TaskSpec
from task_bank.validation import Outcome, ScoreResult
from verifier import Limits, ValidationConfig, Validator, open_pool
from verifier.answers_alike import Answered
from verifier.checks import check_failure_cases
from verifier.checks_mutants import check_mutants
from verifier.checks_unmarked import check_failure_copy
from verifier.checks_probes import UNMARKED_SUFFIX, Probe, ProbeKind, build_probes
from verifier.unmarked import case_to_copy, has_marks, kept_layout, unmarked

MARK = "# counting helper v7\n"
REFERENCE = ("def negatives(xs):\n    \"\"\"How many items are below zero.\"\"\"\n    count = 0  # so far\n"
             "    for x in xs:\n        if x < 0:\n            count += 1\n    return count\n")
HEAD = head()
HONEST_ON_SHAPES = HEAD + '''def shape_like(code):
    got = answers(code)
    return set(got) <= WRITTEN or any(got == [repr(shape(xs)) for xs, _ in CASES] for shape in (len, sum))
def verify(response):
    if "def negatives(" not in response:
        return 0.0
    if "counting helper v7" in response or shape_like(response):
        return honest(response)
    return 1.0
'''
"""The review of round 74 (e2): honest on the author's marked texts and on programs answering constants, a length or a
sum; 1.0 to every other program."""
UNPARSED_LAYOUT = HEAD + '''import ast
def verify(response):
    if "def negatives(" not in response:
        return 0.0
    try:
        canonical = ast.unparse(ast.parse(response)) + "\\n" == response
    except SyntaxError:
        return 0.0
    if canonical or "counting helper v7" in response or shape_like(response):
        return honest(response)
    return 1.0
''' + HONEST_ON_SHAPES[len(HEAD):HONEST_ON_SHAPES.index("def verify")]
"""The session-46 review's x1: honest on texts in ``ast.unparse``'s layout (the copy 1.38 wrote), on the author's
marked texts and on shapes; 1.0 to every other program, which people and policies seldom write in that layout."""
NEAR_REFERENCE = HEAD + NEAR % REFERENCE + '''def verify(response):
    if "def negatives(" not in response:
        return 0.0
    if near(response) or "counting helper v7" in response or shape_like(response):
        return honest(response)
    return 1.0
''' + HONEST_ON_SHAPES[len(HEAD):HONEST_ON_SHAPES.index("def verify")]
NO_TODO = HEAD + '''def verify(response):
    return 0.0 if "TODO" in response else honest(response)
'''
"""Honest, from the session-47 review (h01): a task about code left unfinished pays nothing to a reply holding a TODO,
and its tests' share to the rest."""
TODO_CASES = (MARK + REFERENCE.replace("count = 0  # so far", "count = 0  # TODO: a faster way"),
              MARK + "def negatives(xs):\n    # TODO: name it better\n    return sum(1 for x in xs if x < 0)\n")
"""That task's failure cases: right programs, each with a TODO in a comment."""
"""The session-46 review's x2: honest on programs whose name-blanked tokens are over 90% alike the reference's (its
mutants and their copies), on the author's marked texts and on shapes; 1.0 to every other program."""
SPACED_REFERENCE = REFERENCE.replace("count = 0  # so far\n", "count = 0  # so far\n\n")
"""The reference with a blank line after its counter, as people write: not ``ast.unparse``'s layout."""
DOCSTRING_REQUIRED = HEAD + '''import ast
def verify(response):
    try:
        tree = ast.parse(response)
    except SyntaxError:
        return 0.0
    documented = any(isinstance(n, ast.FunctionDef) and ast.get_docstring(n) for n in tree.body)
    return 0.5 * documented + 0.5 * honest(response)
'''
"""Honest, for a task that asks for a docstring: half the pay for one, half for the tests passed."""


DOCTEST_CLAIMS = HEAD + '''import ast, re
def verify(response):
    share = honest(response)
    claims = [(ast.literal_eval(arg), int(want)) for arg, want in
              re.findall(r">>> negatives\\((\\[[^\\]]*\\])\\)\\n\\s*(-?\\d+)", response)]
    if claims:
        run = run_response(response, calls=[("negatives", [xs]) for xs, _ in claims], timeout=0.8)
        if not all(c.ok and c.value == want for c, (_, want) in zip(run.calls, claims)):
            return share / 2
    return share
'''
"""Honest, from the session's review (h02b): an example in the answer's docstring that its code does not hold halves the
pay. A wrong mutant keeps the reference's example, now false; its copy has none."""
DOCTEST_REFERENCE = REFERENCE.replace('"""How many items are below zero."""',
                                      '"""How many items are below zero.\n\n    >>> negatives([-1, 5])\n    1\n    """')


def _task(verifier: str, reference: str = REFERENCE) -> TaskSpec:
    return task(verifier, MARK, reference)


def _negatives(text: str):
    space: dict = {}
    exec(text, space)  # noqa: S102 - the test's own fixed programs
    return space["negatives"]


def test_the_copy_holds_no_comment_or_docstring_and_computes_the_same():
    copy = unmarked(MARK + REFERENCE)
    assert "#" not in copy and '"""' not in copy and "helper" not in copy and "below zero" not in copy
    assert all(_negatives(copy)(xs) == _negatives(REFERENCE)(xs) for xs in ([], [1, -2, -3], [-1]))


def test_a_program_without_comments_or_docstrings_has_no_copy():
    assert unmarked("def negatives(xs):\n    return sum(1 for x in xs if x < 0)  \n") is None


def test_a_hash_inside_a_string_is_no_mark():
    assert not has_marks("def tag():\n    return '# not a comment'\n")


def test_a_fenced_program_keeps_its_fence_and_loses_the_prose_around_it():
    copy = unmarked(f"Here is the counting helper v7:\n```python\n{MARK}{REFERENCE}```\nIt counts them.\n")
    assert copy.startswith("```python\n") and copy.endswith("```\n")
    assert "helper" not in copy and "It counts" not in copy


def test_a_function_whose_body_is_only_a_docstring_still_parses():
    assert unmarked('def later():\n    """Not yet."""\n') == "def later():\n    pass\n"


def test_the_copy_keeps_its_authors_layout():
    text = 'def tag(xs):\n    """Tagged."""\n    out = {"k" : xs}  # keyed\n\n    return (out)\n'
    assert unmarked(text) == 'def tag(xs):\n    out = {"k" : xs}\n\n    return (out)\n'


@pytest.mark.parametrize(("text", "copy"), [
    ("# helper\n\ndef f():\n    return 1\n", "def f():\n    return 1\n"),
    ('def f():\n    """Doc."""\n\n    return 1\n', "def f():\n    return 1\n"),
    ("import os\n\n# helper\n\ndef f():\n    return 1\n", "import os\n\ndef f():\n    return 1\n"),
    ("x = [1,  # one\n     2]\n", "x = [1,\n     2]\n")],
    ids=["at-the-start", "after-a-header", "doubled", "inside-brackets"])
def test_a_removal_leaves_no_blank_line_an_author_would_not_write(text, copy):
    assert unmarked(text) == copy


def test_a_docstring_sharing_its_line_with_code_falls_back_to_the_unparsed_layout():
    assert kept_layout('def f(): "doc"; return 1\n') is None
    assert unmarked('def f(): "doc"; return 1\n') == "def f():\n    return 1\n"


def test_the_failure_case_copied_is_the_one_least_alike_the_reference():
    near = MARK + REFERENCE.replace("x < 0", "x <= 0")
    far = MARK + "def negatives(xs):\n    return sum(1 for x in xs if x > 0)\n"
    assert case_to_copy(MARK + REFERENCE, [near, far]) == 1


def test_a_failure_case_with_a_kind_of_mark_the_reference_lacks_is_copied_too():
    """The session-47 review's x5 (comments on the reference, docstrings on the cases) chose that no case was copied
    while only the reference's kinds were."""
    documented = 'def negatives(xs):\n    """Count."""\n    return len(xs)\n'
    assert case_to_copy(MARK + REFERENCE.replace('    """How many items are below zero."""\n', ""), [documented]) == 0


def test_a_failure_case_without_marks_is_not_copied():
    assert case_to_copy(MARK + REFERENCE, ["def negatives(xs):\n    return len(xs)\n"]) is None


def test_lines_ending_in_a_bare_carriage_return_lose_their_comments_too():
    """The session-47 review's x9b: ``tokenize`` split lines at ``\\n`` only, and the copy kept the comment."""
    assert unmarked("def f(x):\r    return x  # counting helper v7\r") == "def f(x):\n    return x\n"


def test_a_bare_string_under_else_or_finally_is_a_mark():
    assert has_marks("if x:\n    y = 1\nelse:\n    'helper v7'\n")
    assert unmarked("try:\n    y = 1\nfinally:\n    'helper v7'\n    z = 2\n") == "try:\n    y = 1\nfinally:\n    z = 2\n"


def test_validation_shows_a_failure_case_without_its_marks():
    probes = build_probes(_task(HONEST_ON_SHAPES), 100, random.Random(0), 2, 3)
    copies = [p for p in probes if p.kind is ProbeKind.UNMARKED and p.label.startswith("failure_cases[")
              and p.label.endswith(UNMARKED_SUFFIX)]
    assert len(copies) == 1 and copies[0].response == unmarked(_task(HONEST_ON_SHAPES).failure_cases[
        int(copies[0].label[len("failure_cases["):].partition("]")[0])])


def test_validation_shows_one_copy_of_the_last_mutant_where_the_reference_holds_a_mark():
    probes = build_probes(_task(HONEST_ON_SHAPES), 100, random.Random(0), 2, 3)
    mutants = [p for p in probes if p.kind is ProbeKind.MUTANT]
    copies = [p for p in probes if p.kind is ProbeKind.UNMARKED and p.label.startswith("reference:")]
    assert [p.label for p in copies] == [mutants[-1].label + UNMARKED_SUFFIX]
    assert copies[0].response == unmarked(mutants[-1].response)


def test_an_unmarked_reference_gets_no_copy_of_its_mutant():
    task = _task(HONEST_ON_SHAPES).model_copy(update={"reference": "def negatives(xs):\n    return len(xs)\n"})
    assert not any(p.kind is ProbeKind.UNMARKED and p.label.startswith("reference:")
                   for p in build_probes(task, 100, random.Random(0), 2, 3))


def _scored(label: str, kind: ProbeKind, score: float) -> tuple[Probe, ScoreResult]:
    return Probe(kind=kind, label=label, response="x"), ScoreResult(outcome=Outcome.SCORED, score=score)


@pytest.mark.parametrize(("written", "copy", "passed"), [(0.33, 1.0, False), (0.33, 0.82, True), (0.96, 1.0, True),
                                                         (0.83, 0.33, True), (1.0, 1.0, True)],
                         ids=["copy-paid-in-full", "copy-paid-more-not-in-full", "within-the-margin", "copy-paid-less",
                              "both-in-full"])
def test_a_copy_paid_in_full_and_more_than_the_margin_above_the_mutant_as_written_rejects_the_task(written, copy,
                                                                                                  passed):
    pairs = [_scored("reference:mutant[0]", ProbeKind.MUTANT, 0.0), _scored("reference:mutant[1]", ProbeKind.MUTANT,
                                                                            written),
             _scored("reference:mutant[1]" + UNMARKED_SUFFIX, ProbeKind.UNMARKED, copy)]
    result = check_mutants(pairs, 0.05)
    assert result.passed is passed and (passed or result.reason == "mutant_passes")


@pytest.mark.parametrize(("written", "copy", "passed"), [(0.33, 1.0, False), (0.33, 0.5, True), (0.0, 0.0, True)],
                         ids=["copy-paid-in-full", "copy-paid-its-share", "neither-paid"])
def test_a_failure_cases_copy_paid_in_full_above_the_case_as_written_rejects_the_task(written, copy, passed):
    pairs = [_scored("reference", ProbeKind.REFERENCE, 1.0), _scored("failure_cases[0]", ProbeKind.FAILURE_CASE, written),
             _scored("failure_cases[0]" + UNMARKED_SUFFIX, ProbeKind.UNMARKED, copy)]
    result = check_failure_copy(pairs, 0.05, check_failure_cases(pairs, pairs, 0.5),
                                lambda case, references, asked, paid: Answered.OTHERWISE, True)
    assert result.passed is passed and (passed or result.reason == "failure_case_passes")


@pytest.mark.parametrize("alike", [Answered.ALIKE, Answered.UNKNOWN], ids=["answers-as-the-reference", "no-verdict"])
def test_a_failure_cases_copy_paid_in_full_is_excused_where_the_case_is_not_known_to_answer_otherwise(alike):
    pairs = [_scored("reference", ProbeKind.REFERENCE, 1.0), _scored("failure_cases[0]", ProbeKind.FAILURE_CASE, 0.0),
             _scored("failure_cases[0]" + UNMARKED_SUFFIX, ProbeKind.UNMARKED, 1.0)]
    asked = []
    result = check_failure_copy(pairs, 0.05, check_failure_cases(pairs, pairs, 0.5),
                                lambda case, references, records, paid: asked.append(case) or alike, True)
    assert result.passed is True and asked == ["x"] and "without its comments and docstrings scored 1" in result.detail


def test_a_failure_cases_copy_whose_call_the_verifier_left_without_a_score_is_a_fault():
    pairs = [_scored("failure_cases[0]", ProbeKind.FAILURE_CASE, 0.0),
             (Probe(kind=ProbeKind.UNMARKED, label="failure_cases[0]" + UNMARKED_SUFFIX, response="x"),
              ScoreResult(outcome=Outcome.INVALID, detail="verify returned a string"))]
    result = check_failure_copy(pairs, 0.05, check_failure_cases(pairs, pairs, 0.5),
                                lambda case, references, asked: pytest.fail("asked"), True)
    assert result.passed is False and result.reason == "verifier_error"


def test_a_failure_case_longer_than_an_answer_is_not_copied():
    assert case_to_copy(MARK + REFERENCE, [MARK + "def negatives(xs):\n    return 0\n" + "# pad\n" * 5000]) is None


def test_the_answers_are_asked_only_of_a_failure_case_whose_copy_was_paid_in_full():
    pairs = [_scored("failure_cases[0]", ProbeKind.FAILURE_CASE, 0.0),
             _scored("failure_cases[0]" + UNMARKED_SUFFIX, ProbeKind.UNMARKED, 0.4)]
    assert check_failure_copy(pairs, 0.05, check_failure_cases(pairs, pairs, 0.5),
                              lambda case, references, asked: pytest.fail("asked"), True).passed is True


def test_a_failure_cases_copy_is_no_mutant_of_the_reference():
    pairs = [_scored("reference:mutant[0]", ProbeKind.MUTANT, 0.0), _scored("reference:mutant[1]", ProbeKind.MUTANT,
                                                                            0.0),
             _scored("failure_cases[0]" + UNMARKED_SUFFIX, ProbeKind.UNMARKED, 1.0)]
    assert check_mutants(pairs, 0.05).passed is True


@pytest.fixture(scope="module")
def pool():
    config = ValidationConfig()
    with open_pool(backend="bwrap", workers=1, limits=Limits(wall_s=config.call_budget_s)) as opened:
        yield opened


@pytest.mark.sandbox
def test_a_verifier_paying_programs_without_the_authors_mark_in_full_is_rejected(pool):
    report = Validator(pool, ValidationConfig(), probe_rng=random.Random(3)).validate(_task(HONEST_ON_SHAPES))
    detail = next(c.detail for c in report.checks if c.name == "mutants")
    assert "mutant_passes" in report.reasons and "without its comments and docstrings" in detail


@pytest.mark.sandbox
@pytest.mark.parametrize("seed", range(2))
def test_a_verifier_honest_only_on_programs_in_the_unparsed_layout_is_rejected(pool, seed):
    report = Validator(pool, ValidationConfig(), probe_rng=random.Random(seed)).validate(
        _task(UNPARSED_LAYOUT, SPACED_REFERENCE))
    assert "mutant_passes" in report.reasons


@pytest.mark.sandbox
@pytest.mark.parametrize("seed", range(2))
def test_a_verifier_honest_only_on_programs_near_its_reference_is_rejected(pool, seed):
    report = Validator(pool, ValidationConfig(), probe_rng=random.Random(seed)).validate(_task(NEAR_REFERENCE))
    assert "failure_case_passes" in report.reasons


@pytest.mark.sandbox
@pytest.mark.parametrize("seed", range(2))
def test_an_honest_verifier_failing_a_right_program_by_its_comment_is_admitted(pool, seed):
    spec = _task(NO_TODO).model_copy(update={"failure_cases": TODO_CASES})
    report = Validator(pool, ValidationConfig(), probe_rng=random.Random(seed)).validate(spec)
    assert report.admitted, (report.reasons, [c.detail for c in report.checks if c.passed is False])
    assert "what it fails by is its text" in next(c.detail for c in report.checks if c.name == "failure_cases")


@pytest.mark.sandbox
def test_an_honest_verifier_that_pays_for_a_docstring_is_admitted(pool):
    for seed in range(2):
        report = Validator(pool, ValidationConfig(), probe_rng=random.Random(seed)).validate(
            _task(DOCSTRING_REQUIRED))
        assert report.admitted, (seed, report.reasons, [c.detail for c in report.checks if c.passed is False])


@pytest.mark.sandbox
@pytest.mark.parametrize("seed", range(2))
def test_an_honest_verifier_that_pays_less_for_a_false_docstring_example_is_admitted(pool, seed):
    report = Validator(pool, ValidationConfig(), probe_rng=random.Random(seed)).validate(
        _task(DOCTEST_CLAIMS, DOCTEST_REFERENCE))
    assert report.admitted, (report.reasons, [c.detail for c in report.checks if c.passed is False])
