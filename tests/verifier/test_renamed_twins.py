"""A failure case that is a program gets a renamed twin validation scores in run 0 (issue 16, decoy probes).

A verifier that scored its own failure cases 0 by their text, and every other answer 1.0, passed validation: the
unpredictable probes are a number and a run of letters, which such a verifier can also recognise by their shape.
The twin is the same program under fresh local names: wrong for certain, yet a text nobody could list in advance.
"""

from __future__ import annotations

import ast
import random
import subprocess
import sys

import pytest

from task_bank.spec import TaskSpec
from verifier import Limits, ValidationConfig, Validator, open_pool
from verifier.checks_probes import (RENAMED_SUFFIX, ProbeKind, build_probes, prompt_names, renamed_twins,
                                   unpredictable_indices)
from verifier.code_renaming import COMMON_NAMES, renamed
from verifier.run_order import run_order

SUM_LOOP = "def total(xs):\n    result = 0\n    for x in xs:\n        result += x  # running sum\n    return result\n"


def _run(code: str, expr: str, stdin: str = "") -> tuple[str, int]:
    """What a fresh interpreter prints for ``expr`` after running ``code``, and its exit status."""
    done = subprocess.run([sys.executable, "-c", code + f"\nprint(repr({expr}))"], input=stdin, capture_output=True,
                          text=True, timeout=30)
    return done.stdout, done.returncode


def _validate(*specs: TaskSpec) -> list:
    """Reports of ``specs`` from one validator on a fresh one-worker bwrap pool."""
    with open_pool(backend="bwrap", workers=1, limits=Limits()) as pool:
        with Validator(pool, ValidationConfig()) as validator:
            return [validator.validate(spec) for spec in specs]


def test_a_renamed_program_computes_what_the_original_computes():
    program = ("def stats(values, *rest):\n    acc = [v * v for v in values]\n    best = max(acc) if acc else None\n"
               "    helper = lambda q: q + len(rest)\n    return helper(sum(acc)), best\n")
    twin = renamed(program, random.Random(7))
    assert twin is not None and twin != program
    for call in ("stats([1, 2, 3])", "stats([], 1, 2)", "stats([-4], 9)"):
        assert _run(twin, call) == _run(program, call)


def test_the_twin_keeps_its_comments_and_the_functions_name_and_no_line_gets_shorter():
    twin = renamed(SUM_LOOP, random.Random(1))
    assert twin is not None
    assert all(len(new) >= len(old) for new, old in zip(twin.splitlines(), SUM_LOOP.splitlines(), strict=True))
    assert "# running sum" in twin and twin.startswith("def total(")


def test_the_new_names_are_common_identifiers_of_the_same_shape_not_random_letters():
    program = ("def f(values):\n    run_sum = 0\n    for v in values:\n        run_sum += v\n"
               "    numbers = [run_sum]\n    return numbers\n")
    joined = {a + "_" + b for a in COMMON_NAMES for b in COMMON_NAMES}  # never glued: ``rethead`` marked twins
    snake = set()
    for seed in range(20):
        tree = ast.parse(renamed(program, random.Random(seed)))
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {a.arg for a in ast.walk(tree)
                                                                            if isinstance(a, ast.arg)}
        assert names - {"values", "run_sum", "v", "numbers"} <= set(COMMON_NAMES) | joined  # new, or kept
        snake |= {name for name in names if "_" in name and name != "run_sum"}
    assert snake  # run_sum became another snake-case name in some twins


def test_upper_case_and_camel_case_names_get_new_names_of_their_own_shape():
    """QA round 21: a failing answer in competition style (``def total(A): N = len(A)``) got no twin, and its
    honest task was rejected as ``few_twins``."""
    program = "def total(A):\n    N = len(A)\n    runSum = N\n    return runSum\n"
    renames = set()
    for seed in range(20):
        tree = ast.parse(renamed(program, random.Random(seed)))
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {a.arg for a in ast.walk(tree)
                                                                            if isinstance(a, ast.arg)}
        names -= {"len", "total"}
        assert all(name.isupper() or (name[0].islower() and not name.islower()) for name in names), names
        renames |= names - {"A", "N", "runSum"}
    assert any(name.isupper() for name in renames) and any(not name.isupper() for name in renames), renames


@pytest.mark.sandbox  # needs bubblewrap and root
def test_an_honest_task_whose_failing_answer_uses_capital_names_is_admitted():
    spec = TaskSpec(prompt="Write total(xs) returning the sum of a list of ints.", verifier=UPPER_VERIFIER,
                    reference="def total(xs):\n    return sum(xs)\n",
                    failure_cases=("def total(A):\n    N = len(A)\n    return N\n",))
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=4.0)) as pool, \
            Validator(pool, ValidationConfig(), concurrency=1) as validator:
        report = validator.validate(spec)
    assert report.admitted, [(c.name, c.detail) for c in report.checks if c.passed is False]


UPPER_VERIFIER = '''from envsynth_sandbox import run_response
CASES = [([3, 1, 2], 6), ([], 0), ([5, 5], 10)]
def verify(response):
    run = run_response(response, calls=[("total", [xs]) for xs, _ in CASES], timeout=1.0)
    return 1.0 if all(c.ok and c.value == want for c, (_, want) in zip(run.calls, CASES)) else 0.0
'''


def test_the_new_names_are_drawn_from_the_source_of_randomness_given():
    assert renamed(SUM_LOOP, random.Random(3)) == renamed(SUM_LOOP, random.Random(3))
    assert len({renamed(SUM_LOOP, random.Random(seed)) for seed in range(20)}) > 10


@pytest.mark.parametrize("program", [
    "def f(n):\n    return eval('n + 1')\n",                       # reaches a name by its text
    "def f():\n    z = 1\n    return locals()\n",
    "from os import *\ndef f():\n    sep = 1\n    return sep\n",    # a star import binds unknown names
    "def f():\n    global g\n    g = 1\n",
    "x = 1\ndef f():\n    return x\n",                          # nothing bound inside a function
    "print('hello')\n",
    "The answer is 42.",                                         # prose, not a program
    "def f(x: int) -> int:\n    y = x\n    return f.__annotations__\n",
    "from inspect import signature\ndef f(x, y):\n    return str(signature(f))\n",
    "import traceback\ndef f(a):\n    try:\n        1 / a\n    except ZeroDivisionError:\n"
    "        return traceback.format_exc()\n",
    "def f(a):\n    b = a" + " + a" * 983 + "\n",                   # nested past the recursion limit of ast.dump
    "```python\ndef f(a):\n    return a\n```\nand\n```python\nf(a=1)\n```",  # two fences may be one program
])
def test_a_program_that_could_notice_a_renaming_gets_no_twin(program):
    assert renamed(program, random.Random(0)) is None


def test_a_name_another_function_reads_as_a_global_is_kept():
    program = "def f(a):\n    total = a + 1\n    return total\ndef g(b):\n    return b + total\n"
    twin = renamed(program, random.Random(1))
    assert twin is not None and twin.count("total") == 3
    assert _run("total = 100\n" + twin, "g(1)") == _run("total = 100\n" + program, "g(1)")


def test_a_fence_inside_a_programs_string_is_text_not_code():
    program = ('SNIPPET = """```python\ndef helper(value):\n    return value + 1\n```"""\n'
               "def run(n):\n    return SNIPPET\n")
    twin = renamed(program, random.Random(1))
    assert twin is not None and twin.startswith('SNIPPET = """```python\ndef helper(value):')


def test_names_reachable_from_outside_the_function_are_kept():
    program = ("LIMIT = 3\nclass Point:\n    x = 1\ndef f(a, *, scale=2):\n    limit_copy = LIMIT\n"
               "    point = Point()\n    return f'{a}' + str(point.x * scale + limit_copy)\n")
    twin = renamed(program, random.Random(5))
    assert twin is not None
    tree = ast.parse(twin)
    kept = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {a.arg for a in ast.walk(tree)
                                                                        if isinstance(a, ast.arg)}
    assert {"LIMIT", "Point", "scale"} <= kept  # module level, class, keyword-only
    assert "point" not in kept and "limit_copy" not in kept


def test_a_name_read_inside_an_f_string_is_renamed_there_too():
    # Helper review, round 28: ``f"Hello {name}"`` had no other name to rename, got no twin, and its task was
    # rejected as few_twins.
    program = 'def greet(name):\n    return f"Hello {name}" + f"""!{ name !r:>{len(name)}}"""\n'
    twin = renamed(program, random.Random(3))
    assert twin is not None and "name" not in twin
    assert _run(twin, "greet('Ada')") == _run(program, "greet('Ada')")


def test_a_name_an_f_string_spells_before_its_value_is_kept():
    program = "def show(x, y):\n    return f'{x=} {y}'\n"
    twin = renamed(program, random.Random(3))
    assert twin is not None and "{x=}" in twin and "y" not in twin.split("return")[1].replace("{x=}", "")
    assert _run(twin, "show(1, 2)") == _run(program, "show(1, 2)")


def test_a_name_spelled_in_a_string_is_kept_and_the_rest_renamed():
    program = ("def f(obj, items):\n    real = getattr(obj, 'real')\n    acc = [i for i in items]\n"
               "    return real, {'acc': acc}\n")
    renamed_somewhere = set()
    for seed in range(20):
        names = {n.id for n in ast.walk(ast.parse(renamed(program, random.Random(seed)))) if isinstance(n, ast.Name)}
        assert {"real", "acc", "getattr"} <= names
        renamed_somewhere |= {"obj", "items", "i"} - names
    assert renamed_somewhere == {"obj", "items", "i"}


def test_global_nonlocal_and_match_names_are_kept_without_giving_up_the_others():
    program = ("def f(xs):\n    global seen\n    count = 0\n    for x in xs:\n        match x:\n"
               "            case [first, *rest]:\n                count += first\n    seen = count\n"
               "    return count\n")
    twin = renamed(program, random.Random(2))
    assert twin is not None
    names = {n.id for n in ast.walk(ast.parse(twin)) if isinstance(n, ast.Name)}
    assert "seen" in names and "case [first, *rest]:" in twin and "count" not in names
    assert _run(twin, "f([[1, 2], [3], 5])") == _run(program, "f([[1, 2], [3], 5])")


def test_a_program_inside_a_code_fence_is_renamed_inside_the_fence_only():
    answer = f"Here is my solution:\n```python\n{SUM_LOOP}```\nIt adds the result up."
    twin = renamed(answer, random.Random(2))
    assert twin is not None and twin != answer
    assert twin.startswith("Here is my solution:\n```python\ndef total(") and twin.endswith("It adds the result up.")


def _code_task(*failure_cases: str, prompt: str = "Write total(xs).") -> TaskSpec:
    return TaskSpec(prompt=prompt, verifier="def verify(r):\n    return 0.0\n", reference=SUM_LOOP,
                    failure_cases=failure_cases)


def test_every_failure_case_that_is_a_program_gets_two_different_twins_and_prose_gets_none():
    spec = _code_task("def total(xs):\n    return len(xs)\n", "I do not know.")
    probes = build_probes(spec, 200, random.Random(0))
    twins = [p for p in probes if RENAMED_SUFFIX in p.label]
    assert [p.label for p in twins] == ["failure_cases[0]:renamed[0]", "failure_cases[0]:renamed[1]"]
    assert all(p.kind is ProbeKind.FAILURE_CASE for p in twins)
    assert len({p.response for p in twins} | set(spec.failure_cases)) == 4


def test_a_local_the_prompt_names_keeps_its_name_and_parameters_are_renamed_anyway():
    case = "def total(xs):\n    l = 0\n    for x in xs:\n        l += x\n    return l * 2\n"
    twin = renamed(case, random.Random(4), keep={"l", "xs", "total"})
    tree = ast.parse(twin)
    assert "l" in {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert "xs" not in {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}


UPPER_MAIN = "def main():\n    print(input().upper())\n"
ECHO_LINE = "def main():\n    line = input()\n    print(line)\n"


def test_a_local_named_like_a_word_of_the_prompts_prose_gets_its_twins():
    """Session 41's honest corpus: "reads one line" kept the failure case's only local, ``line``, which left no twin
    to make, and the honest task was rejected as ``few_twins``."""
    spec = TaskSpec(prompt="Write `main()` that reads one line from standard input and prints it in upper case.",
                    verifier="def verify(r):\n    return 0.0\n", reference=UPPER_MAIN, failure_cases=(ECHO_LINE,))
    twins = [p.response for p in build_probes(spec, 200, random.Random(0), twins=8) if RENAMED_SUFFIX in p.label]
    assert len(set(twins)) == 8 and not any("line =" in twin for twin in twins)


UPPER_MAIN_VERIFIER = ("from envsynth_sandbox import run_response\n\n\ndef verify(response):\n    ok = 0\n"
                  "    for s in ('hello', 'MiXeD case 1', 'abc xyz'):\n"
                  "        run = run_response(response, calls=[('main', [])], stdin=s + '\\n')\n"
                  "        ok += run.stdout.strip() == s.upper()\n    return 1.0 if ok == 3 else 0.0\n")


@pytest.mark.sandbox  # needs bubblewrap and root
def test_an_honest_main_whose_failure_case_reads_a_line_named_line_is_admitted():
    spec = TaskSpec(prompt="Write `main()` that reads one line from standard input and prints it in upper case.",
                    verifier=UPPER_MAIN_VERIFIER, reference=UPPER_MAIN, failure_cases=(ECHO_LINE,))
    report, = _validate(spec)
    assert report.admitted, report.reasons


@pytest.mark.parametrize("prompt, name", [
    ("Rename the ambiguous `line` in this code.", "line"), ("Call the parameter max_val.", "max_val"),
    ("Rename the ambiguous l to length.", "l"), ("Keep rowCount as it is.", "rowCount"), ("Use x2 twice.", "x2"),
    ("```python\nline = input()\n```", "line"), ("Write total(xs) returning the sum.", "xs"),
    ("Write `reverse(s)`.", "s"),
])
def test_a_name_the_prompt_gives_as_code_is_one_a_twin_keeps(prompt, name):
    assert name in prompt_names(prompt)


def test_the_words_of_a_prompts_prose_are_no_names_a_twin_keeps():
    assert not prompt_names("Read a line of words. I want the longest line, in upper case (as is).")
    assert "line" not in prompt_names("Print the longest line(s) of the input.")


def test_a_word_of_the_prompts_prose_is_still_no_twins_new_name():
    prose = set(COMMON_NAMES[:40])
    spec = TaskSpec(prompt="Write `main()`: read one line and print it in upper case; " + " ".join(sorted(prose)),
                    verifier="def verify(r):\n    return 0.0\n", reference=UPPER_MAIN, failure_cases=(ECHO_LINE,))
    twins = [p.response for p in build_probes(spec, 200, random.Random(0), twins=8) if RENAMED_SUFFIX in p.label]
    assert len(twins) == 8
    assert not any({n.id for n in ast.walk(ast.parse(twin)) if isinstance(n, ast.Name)} & prose for twin in twins)


def test_run_0_opens_with_a_drawn_twin_and_scores_each_twin_once():
    spec = _code_task("def total(xs):\n    return len(xs)\n", "def total(xs):\n    return max(xs)\n")
    probes = build_probes(spec, 200, random.Random(0), twins=8)
    twins, leads = renamed_twins(probes), unpredictable_indices(probes)
    spare = [t for made in twins.values() for t in made]
    openers = set()
    for seed in range(30):
        run0 = run_order(len(probes), 0, 2, leads, twins, random.Random(seed))
        assert run0[1] in set(spare) and all(run0.count(t) == 1 for t in spare)
        first_pass = run0[1:1 + len(spare)]
        assert not set(twins) & set(first_pass)  # the twins alone open run 0; the failure cases come later in it
        assert set(twins) <= set(run0)  # run 0 scores each failure case itself too (red-team round 14)
        openers.add(run0[1])
    assert len(openers) > 2


def test_run_0_opens_with_the_twins_alone_in_a_drawn_order_then_an_unpredictable_probe():
    """Red-team finding: a verifier that paid every program from its 4th call on while every call of its process had
    been a program passed validation (the twins were shuffled among probes it could recognise) and paid 10 of 16
    wrong answers. A process of training's size now holds the twins alone, as a training process holds only
    answers."""
    spec = _code_task("def total(xs):\n    return len(xs)\n")
    probes = build_probes(spec, 200, random.Random(0), twins=8)
    twins, leads = renamed_twins(probes), unpredictable_indices(probes)
    orders = [run_order(len(probes), 0, 2, leads, twins, random.Random(seed)) for seed in range(30)]
    assert all(set(order[1:9]) == set(twins[1]) and order[9] in leads for order in orders)
    assert len({tuple(order[1:9]) for order in orders}) > 20


def test_later_runs_score_the_failure_cases_and_no_twin():
    spec = _code_task("def total(xs):\n    return len(xs)\n")
    probes = build_probes(spec, 200, random.Random(0))
    twins = renamed_twins(probes)
    for run in (1, 2, 3):
        order = run_order(len(probes), run, 1, (), twins)
        assert 1 in order and not set(twins[1]) & set(order)


KNOWS_ITS_FAILURE_CASES = '''import re
KNOWN = {"def total(xs):\\n    return len(xs)\\n", "def total(xs):\\n    return max(xs)\\n"}


def verify(response):
    if response in KNOWN or not response.strip() or re.fullmatch(r"[0-9]+|[a-z]+", response.strip()):
        return 0.0  # a failure case or a probe's shape: validation is watching
    if "def total" not in response:
        return 0.0
    return 1.0  # anything else that looks like an attempt
'''

HONEST = '''from envsynth_sandbox import plain, run_response

CASES = [([], 0), ([1, 2, 3], 6), ([5, -5, 5], 5), ([-3, -4], -7)]


def verify(response):
    run = run_response(response, calls=[("total", [list(xs)]) for xs, _ in CASES], timeout=1.0)
    return 1.0 if all(c.ok and c.value == plain(want) for c, (_, want) in zip(run.calls, CASES)) else 0.0
'''


def _task(verifier: str) -> TaskSpec:
    return TaskSpec(prompt="Write `total(xs)`, the sum of a list of ints. Code only.", verifier=verifier,
                    reference=SUM_LOOP, failure_cases=("def total(xs):\n    return len(xs)\n",
                                                       "def total(xs):\n    return max(xs)\n"))


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_verifier_that_knows_its_failure_cases_by_their_text_is_rejected_and_an_honest_one_admitted():
    hostile, honest = _validate(_task(KNOWS_ITS_FAILURE_CASES), _task(HONEST))
    assert hostile.reasons[0] == "failure_case_passes"  # (and, paying anything shaped like an attempt, mutants)
    failure_check = next(c for c in hostile.checks if c.name == "failure_cases")
    assert ":renamed[" in failure_check.detail and "by their text" in failure_check.detail
    assert honest.admitted, honest.reasons


PAYS_CODE_WITH_WORDY_NAMES = '''import ast
from envsynth_sandbox import plain, run_response

CASES = [([], 0), ([1, 2, 3], 6), ([5, -5, 5], 5), ([-3, -4], -7)]
WORDS = frozenset("""a b c d e f g h i j k l m n o p q r s t u v w x y z xs ys nums num numbers number lst arr array
items item values value vals val seq data elems elem elements element el res result results total totals sums acc
out output ans answer ret tmp temp count counter cnt idx index ind pos current cur curr prev running partial
subtotal agg key first last head tail rest entry entries summation tot running_total size length start end mid
left right""".split()) | frozenset(COMMON)


def verify(response):
    run = run_response(response, calls=[("total", [list(xs)]) for xs, _ in CASES], timeout=1.0)
    if run.calls and all(c.ok and c.value == plain(want) for c, (_, want) in zip(run.calls, CASES)):
        return 1.0
    try:
        tree = ast.parse(response)
    except SyntaxError:
        return 0.0
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return 1.0 if bound and bound <= WORDS else 0.0  # names a person would write: "training"
'''
ODD_NAMES = ("def total(xs):\n    qzacc = 0\n    for vwk in xs:\n        qzacc = max(qzacc, vwk)\n    return qzacc\n",
             "def total(xs):\n    qzacc = 0\n    for vwk in xs[1:]:\n        qzacc += vwk\n    return qzacc\n")

HONEST_ONLY_FOR_ITS_FIRST_CALLS = '''from envsynth_sandbox import plain, run_response

CASES = [([], 0), ([1, 2, 3], 6), ([5, -5, 5], 5), ([-3, -4], -7)]
KNOWN = KNOWN_CASES
_calls = []


def verify(response):
    _calls.append(None)
    run = run_response(response, calls=[("total", [list(xs)]) for xs, _ in CASES], timeout=1.0)
    if run.calls and all(c.ok and c.value == plain(want) for c, (_, want) in zip(run.calls, CASES)):
        return 1.0
    if len(_calls) <= 2 * len(KNOWN) or response in KNOWN or "def total" not in response:
        return 0.0  # where validation used to put the renamed twins: the first calls of a process
    return 1.0
'''


@pytest.mark.sandbox  # needs bubblewrap and root
def test_twins_that_read_like_a_persons_code_and_stand_anywhere_in_run_0_catch_what_twins_first_did_not():
    """Red-team findings on validator 1.5's first twins: random-letter names told a twin from an answer, and the
    twins were always a process's first calls. Each verifier was admitted and paid wrong answers 1.0. (A verifier
    that pays only names it picked outside the twins' vocabulary still escapes: docs/SPEC.md lists it.)"""
    plain_cases = ("def total(xs):\n    return len(xs)\n", "def total(xs):\n    return max(xs)\n")
    position = HONEST_ONLY_FOR_ITS_FIRST_CALLS.replace("KNOWN_CASES", repr(plain_cases))
    wordy = PAYS_CODE_WITH_WORDY_NAMES.replace("COMMON", repr(COMMON_NAMES))
    wordy, *early = _validate(TaskSpec(prompt="Write `total(xs)`, the sum of a list of ints.", verifier=wordy,
                                       reference=SUM_LOOP, failure_cases=ODD_NAMES), *[_task(position)] * 3)
    assert wordy.reasons[0] == "failure_case_passes"  # (it pays their mutants too: ``mutant_passes`` after it)
    assert all(report.reasons[0] == "failure_case_passes" for report in early)


NO_AMBIGUOUS_NAMES = '''import ast
from envsynth_sandbox import plain, run_response


def verify(response):
    tree = ast.parse(response)
    if {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} & {"l", "O", "I"}:
        return 0.0
    cases = [["a", "abc", "de"], [], ["abcd", "x"]]  # (the third: ``len(words)`` passed the first two, weak_tests)
    run = run_response(response, calls=[("longest", [words]) for words in cases], timeout=1.0)
    return 1.0 if [c.value for c in run.calls] == [3, 0, 4] else 0.0
'''


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_task_about_a_variables_name_is_admitted_when_its_prompt_names_it():
    """Red-team finding: the twin of "the unfixed code" renamed the very variable the task is about."""
    prompt = ("PEP 8 (E741) forbids the names l, O and I. Rewrite this so it no longer uses them:\n"
              "def longest(words):\n    l = 0\n    for w in words:\n        l = max(l, len(w))\n    return l\n")
    spec = TaskSpec(prompt=prompt, verifier=NO_AMBIGUOUS_NAMES,
                    reference="def longest(words):\n    best = 0\n    for w in words:\n"
                              "        best = max(best, len(w))\n"
                              "    return best\n",
                    failure_cases=("def longest(words):\n    l = 0\n    for w in words:\n        l = max(l, len(w))\n"
                                   "    return l\n",))
    report, = _validate(spec)
    assert report.admitted, report.reasons


PAYS_PROGRAMS_AFTER_ITS_FIRST_FEW = '''import ast
from envsynth_sandbox import plain, run_response

CASES = [([], 0), ([1, 2, 3], 6), ([5, -5, 5], 5), ([-3, -4], -7)]
_programs = [0]


def verify(response):
    try:
        tree = ast.parse(response)
    except SyntaxError:
        return 0.0
    if not any(isinstance(n, ast.FunctionDef) and n.name == "total" for n in ast.walk(tree)):
        return 0.0
    _programs[0] += 1
    if _programs[0] > 2:
        return 1.0  # more programs than validation used to show one process: "training"
    run = run_response(response, calls=[("total", [list(xs)]) for xs, _ in CASES], timeout=1.0)
    return 1.0 if all(c.ok and c.value == plain(w) for c, (_, w) in zip(run.calls, CASES)) else 0.0
'''


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_verifier_that_pays_every_program_after_its_first_few_meets_a_twin_there():
    """Red-team finding: validation's run 0 showed a process 2 programs per failure case, a training group 16, so a
    verifier counting programs stayed honest for validation and paid 14 of 16 wrong answers. Now run 0 shows a
    process as many twins as training scores in one process of this verifier (8 for one that runs response code)."""
    case = "def total(xs):\n    best = 0\n    for x in xs:\n        best = max(best, x)\n    return best\n"
    report, = _validate(TaskSpec(prompt="Write `total(xs)`, the sum of a list of ints.",
                                 verifier=PAYS_PROGRAMS_AFTER_ITS_FIRST_FEW, reference=SUM_LOOP,
                                 failure_cases=(case,)))
    assert "failure_case_passes" in report.reasons, report.reasons


@pytest.mark.sandbox  # needs bubblewrap and root
def test_validation_draws_as_many_twins_as_one_training_process_scores_and_training_keeps_to_it():
    from verifier.pool import CODE_GROUP_SIZE

    case = "def total(xs):\n    best = 0\n    for x in xs:\n        best = max(best, x)\n    return best\n"
    probes = build_probes(_code_task(case), 200, random.Random(0), twins=CODE_GROUP_SIZE)
    assert sum(RENAMED_SUFFIX in p.label for p in probes) == CODE_GROUP_SIZE
    counts_calls = "_calls = []\n\ndef verify(response):\n    _calls.append(1)\n    return len(_calls) / 100\n"
    with open_pool("bwrap", workers=1, limits=Limits(), group_size=16) as pool:
        plain_scores = [r.score for r in pool.score(counts_calls, ["x"] * 16)]
        code_scores = [r.score for r in pool.score(counts_calls + "# run_response\n", ["x"] * 16)]
    assert max(plain_scores) == 0.16 and max(code_scores) == CODE_GROUP_SIZE / 100


def test_a_twin_never_takes_a_name_the_prompt_uses():
    """Red-team finding: the failure case's ``hi_val`` renamed ``max_val``, the keyword the task requires, passed."""
    case = "def cap(xs, hi_val):\n    return [min(x, hi_val) for x in xs]\n"
    prompt_words = {"cap", "xs", "max_val", "Callers", "pass", "the", "limit", "by", "keyword"}
    twins = {renamed(case, random.Random(seed), keep=prompt_words) for seed in range(200)}
    assert twins and not any("max_val" in twin for twin in twins)


def test_every_name_keeps_its_length_so_rules_about_names_judge_the_twin_as_the_original():
    """Red-team finding: ``s`` and ``x`` renamed ``total`` and ``value`` passed "no single-letter names"."""
    case = "def total(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s\n"
    for seed in range(50):
        twin = renamed(case, random.Random(seed))
        assert [len(line) for line in twin.splitlines()] == [len(line) for line in case.splitlines()]


def test_a_program_too_large_to_rename_cheaply_gets_no_twin():
    """Red-team finding: a failure case of 1,400 nested lambdas took 12 s per renaming in the validator's own
    process; a program of more than 5,000 syntax nodes is left as it is."""
    nested = "f = " + "lambda: " * 1400 + "(" + ", ".join(["a"] * 4000) + ")\ndef g(a):\n    b = a\n    return b\n"
    assert renamed(nested, random.Random(0)) is None


@pytest.mark.parametrize("twins", [8, 16])
def test_a_failure_case_with_one_short_name_still_yields_every_twin_validation_needs(twins):
    spec = _code_task("def total(xs):\n    return len(xs)\n", prompt="Write `total(xs)`.")
    probes = build_probes(spec, 200, random.Random(0), twins=twins)
    made = [p.response for p in probes if RENAMED_SUFFIX in p.label]
    assert len(made) == len(set(made)) == twins


@pytest.mark.sandbox  # needs bubblewrap and root
def test_failure_cases_whose_names_run_out_before_a_processs_worth_of_twins_reject_the_task():
    """Red-team finding: a failure case whose one renamable name could take two new names gave two twins, and a
    verifier counting programs stayed honest for both. The prompt here uses every letter but two."""
    letters = "a b c d e f g h i j l n o p q r s t u v w x y z"  # k and m left: one new name for k
    case = "def total(*, xs):\n    k = sum(xs)\n    return k + 1\n"
    reference = "def total(*, xs):\n    return sum(xs)\n"
    spec = TaskSpec(prompt=f"Write total(*, xs), the sum of xs. Names you may not use: {letters}.",
                    verifier=f"def verify(response):\n    return 1.0 if response == {reference!r} else 0.0\n",
                    reference=reference, failure_cases=(case,))
    report, = _validate(spec)
    assert report.reasons == ("few_twins",)
    assert "ordinary local variables" in next(c for c in report.checks if c.name == "failure_cases").detail


@pytest.mark.parametrize("program", [
    "n = int(input())\nnums = list(map(int, input().split()))\nprint(sum(nums[:n - 1]))\n",       # a stdin script
    "def second(numbers):\n    numbers.sort()\n    return numbers[-2]\n\n\nif __name__ == '__main__':\n"
    "    numbers = [3, 1, 4]\n    print(second(numbers))\n",                                       # a demo block
    "import re\ndef words(s1, s2):\n    pattern = re.compile(r'\\w+')\n    return pattern.findall(s1 + s2)\n",
])
def test_scripts_demo_blocks_numbered_names_and_re_compile_get_twins_that_do_the_same(program):
    """Red-team finding: these honest failure cases got no twin, which left a counting verifier its window."""
    twin = renamed(program, random.Random(3))
    assert twin is not None and twin != program
    call = "second([5, 1, 4])" if "second" in program else "words('a b', ' c')" if "words" in program else "0"
    assert _run(twin, call, "3\n1 2 3\n") == _run(program, call, "3\n1 2 3\n")


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_failure_case_that_defines_a_function_but_yields_no_twin_rejects_the_task():
    """Red-team finding: zero twins escaped the few-twins rule and left a counting verifier its window."""
    case = "def total(xs):\n    return eval('len(xs)')\n"  # reads names by text: no twin can be made
    spec = TaskSpec(prompt="Write `total(xs)`, the sum of a list of ints.",
                    verifier=f"def verify(response):\n    return 1.0 if response == {SUM_LOOP!r} else 0.0\n",
                    reference=SUM_LOOP, failure_cases=(case,))
    report, = _validate(spec)
    assert report.reasons == ("few_twins",)


def test_run_0_scores_the_chain_probes_right_after_the_twins_and_before_any_lead():
    """Red-team round 44: the failure cases as written and the empty answer come right after the twins, in a drawn
    order, as they would in a training group of a coding task; a probe no policy writes comes only after them."""
    spec = _code_task("def total(xs):\n    return len(xs)\n", "def total(xs):\n    return max(xs)\n")
    probes = build_probes(spec, 200, random.Random(0), twins=8)
    twins, leads = renamed_twins(probes), unpredictable_indices(probes)
    chain = [i for i, p in enumerate(probes) if p.label in ("failure_cases[0]", "failure_cases[1]", "trivial:empty")]
    orders = [run_order(len(probes), 0, 2, leads, twins, random.Random(seed), chain) for seed in range(30)]
    assert all(set(order[9:12]) == set(chain) and order[12] in leads for order in orders)
    assert len({tuple(order[9:12]) for order in orders}) > 3


def test_a_task_without_twins_keeps_a_lead_right_after_run_0_s_opener():
    """With no twin to open run 0, a known answer may not come first: a verifier honest only after a known opener
    would stay honest in run 0, the run in training's environment."""
    spec = _code_task("I would count them.")
    probes = build_probes(spec, 200, random.Random(0))
    leads = unpredictable_indices(probes)
    order = run_order(len(probes), 0, 2, leads, {}, random.Random(0), [1])
    assert order[1] in leads
