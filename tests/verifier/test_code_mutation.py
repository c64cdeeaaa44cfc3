"""A mutant is its program with one token changed where a caller's tests look, and computes something else."""

from __future__ import annotations

import ast
import difflib
import io
import random
import tokenize

import pytest

from verifier.code_mutation import ATTRIBUTES, CALLS, SWAPS, mutants, mutated

SUM_LOOP = "def total(xs):\n    result = 0\n    for x in xs:\n        result += x\n    return result\n"
PROGRAMS = [
    SUM_LOOP,
    "def total(xs):\n    return sum(xs)\n",
    "def total(xs):\n    return xs[0] + xs[-1] if len(xs) > 1 else 0\n",
    "def is_adult(age):\n    return age >= 18 and age < 130\n",
    "def total(xs):\n    acc = 1\n    for v in xs:\n        acc *= v\n    return acc\n",
]


def tokens(code: str) -> list[str]:
    return [t.string for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.string.strip()]


def each_mutant(text: str, draws: int = 40) -> set[str]:
    rng = random.Random(7)
    return {m for m in (mutated(text, rng) for _ in range(draws)) if m is not None}


@pytest.mark.parametrize("program", PROGRAMS)
def test_a_mutant_differs_from_its_program_in_exactly_one_token(program):
    for mutant in each_mutant(program):
        before, after = tokens(program), tokens(mutant)
        assert len(before) == len(after)
        changed = [(a, b) for a, b in zip(before, after) if a != b]
        assert len(changed) == 1
        old, new = changed[0]
        assert new in ((str(int(old) - 1) if old != "0" else "1") if old.isdigit() else None, SWAPS.get(old),
                       CALLS.get(old), ATTRIBUTES.get(old))


@pytest.mark.parametrize("program", PROGRAMS)
def test_a_mutant_parses_to_another_syntax_tree(program):
    mutants = each_mutant(program)
    assert mutants
    for mutant in mutants:
        assert ast.dump(ast.parse(mutant)) != ast.dump(ast.parse(program))


def test_the_mutants_of_a_sum_compute_other_sums():
    """Every mutant of the summing loop is killed by a test with more than one item (none is equivalent)."""
    for mutant in each_mutant(SUM_LOOP):
        namespace: dict[str, object] = {}
        exec(mutant, namespace)  # noqa: S102 - the test's own program
        assert namespace["total"]([1, 2, 3]) != 6  # type: ignore[operator]


def test_a_whole_answer_without_operators_changes_its_builtin():
    assert each_mutant("def total(xs):\n    return sum(xs)\n") == {"def total(xs):\n    return len(xs)\n"}


def test_a_builtin_the_program_rebinds_is_not_swapped():
    assert each_mutant("def total(sum):\n    return len(sum)\n") == set()


def test_prose_around_a_fenced_program_is_kept():
    reply = f"Here is my answer:\n\n```python\n{SUM_LOOP}```\n\nIt adds the items, 1 by 1."
    for mutant in each_mutant(reply):
        assert mutant.startswith("Here is my answer:\n\n```python\n")
        assert mutant.endswith("```\n\nIt adds the items, 1 by 1.")
        assert len([op for op in difflib.ndiff(reply.splitlines(), mutant.splitlines()) if op[0] in "+-"]) == 2


def test_code_outside_the_functions_is_left_alone():
    """A demo under ``if __name__`` and a default value are not what a caller's tests reach."""
    program = ("def total(xs, start=5):\n    return start - 5 + sum(xs)\n\n"
               "if __name__ == '__main__':\n    print(total([1, 2]) == 3)\n")
    for mutant in each_mutant(program):
        assert mutant.split("\n")[0] == "def total(xs, start=5):"
        assert mutant.split("\n", 2)[2] == program.split("\n", 2)[2]


def test_the_items_of_a_literal_and_a_calls_arguments_are_left_alone():
    """Data a lax but honest check may never read (an equivalent mutant)."""
    program = "def table():\n    return {'a': [1, 2], 'b': round(2.5, 1)}\n"
    assert each_mutant(program) == set()


def test_a_script_without_functions_changes_anywhere():
    assert each_mutant("xs = [1, 2, 3]\nprint(xs[0] + 1)\n") == {
        "xs = [1, 2, 3]\nprint(xs[0] + 0)\n", "xs = [1, 2, 3]\nprint(xs[0] - 1)\n"}


def test_a_non_ascii_line_changes_at_the_right_column():
    program = "def f(s):\n    t = 'é' * 2  # ü\n    return len(t) > 1\n"
    for mutant in each_mutant(program):
        ast.parse(mutant)
        assert "'é'" in mutant and "# ü" in mutant


@pytest.mark.parametrize("text", ["The answer is 42.", "", "```python\ndef broken(:\n```", "x" * 30_000,
                                  "def f():\n" + "    " + "(" * 300 + "1" + ")" * 300 + "\n"])
def test_no_mutant_of_what_is_no_program_and_never_an_exception(text):
    assert mutated(text, random.Random(0)) is None


def test_a_comparison_is_negated_never_moved_by_one():
    """``x < lo`` to ``x <= lo`` returns ``lo`` where it returned ``x == lo``: the same value, so a strict honest
    ``clamp`` task paid every such mutant and was flagged (red-team round 48, FP1)."""
    clamp = ("def clamp(x, lo, hi):\n    if x < lo:\n        return lo\n    if x > hi:\n        return hi\n"
             "    return x\n")
    assert each_mutant(clamp) == {clamp.replace("x < lo", "x >= lo"), clamp.replace("x > hi", "x <= hi")}


@pytest.mark.parametrize("program", [
    "def largest(xs):\n    best = xs[0]\n    return best\n",  # an index
    "def fact(n):\n    out = 1\n    for i in range(2, n):\n        out = out * i\n    return out\n",
    "def root(n):\n    x = n\n    for _ in range(100):\n        x = x\n    return x\n"])  # a count of steps
def test_an_index_a_bound_an_initial_value_or_a_count_of_steps_keeps_its_number(program):
    for mutant in each_mutant(program):
        assert [t for t in tokens(mutant) if t.isdigit()] == [t for t in tokens(program) if t.isdigit()]


@pytest.mark.parametrize("program, changed", [
    ("def total(xs, f=lambda v: max(v) + 1):\n    return f(xs)\n", "lambda v: min(v) + 1"),
    ("_f = lambda v: max(v)\ndef total(xs):\n    return _f(xs)\n", "_f = lambda v: min(v)"),
    ("import math\ndef total(xs):\n    return math.prod(xs)\n", "math.fsum(xs)"),
    ("def shout(s):\n    return s.upper()\n", "s.swapcase()"),
    ("total = max\n", "total = min"),
    ("def total(xs):\n    return xs[1]\n", "return xs[0]"),
    ("_first = lambda xs: xs[0] if xs else 0\ndef total(xs):\n    return _first(xs)\n", "xs[1] if xs"),
    ("```python\ndef total(xs):\n    return xs.pop()\n```", "xs.copy()"),
])
def test_logic_without_an_operator_in_a_function_body_still_has_a_site(program, changed):
    """Red-team round 48 (E3): a verifier that paid by look only the programs ``mutated`` could not change (logic in
    a lambda or a default value, a call with no operator) was paid 114 of 114 wrong programs unflagged."""
    assert any(changed in mutant for mutant in each_mutant(program))


def test_prose_then_unfenced_code_is_code():
    """Red-team round 48 (E4): such replies were no program to either rule, and were paid by look unrun."""
    reply = f"Here is the code:\n\n{SUM_LOOP}\nIt adds each item.\n"
    mutants = each_mutant(reply)
    assert mutants and all(m.startswith("Here is the code:\n\ndef total(xs):") for m in mutants)
    assert all(m.endswith("\nIt adds each item.\n") for m in mutants)


@pytest.mark.parametrize("separator", ["\x0c", "\r", "\u2028", "\x85", "\x1c", "\v"])
def test_a_line_break_only_str_splitlines_knows_never_misplaces_a_site(separator):
    """Red-team round 48 (X1): positions were mapped through ``str.splitlines``, which breaks at a form feed the
    parser keeps inside a line; a site landed on another name and ``KeyError`` aborted training."""
    program = (f"def _check(v):\n    return v\n{separator}\ndef total(xs):\n    q = (1, 2, xs, min(xs or [0]))\n"
               "    return sum(xs)\n")
    for seed in range(40):
        mutant = mutated(program, random.Random(seed))
        assert mutant is None or len(tokens(mutant.replace(separator, "\n"))) == len(
            tokens(program.replace(separator, "\n")))


def test_a_number_too_long_to_print_is_left_alone():
    """Red-team round 48 (X2): ``str(int("9" * 4300) + 1)`` raises, and a right answer holding such a literal
    aborted training in 26 of 50 seeds."""
    program = "def total(xs):\n    return sum(xs) + 0 * " + "9" * 4300 + "\n"
    for seed in range(50):
        mutant = mutated(program, random.Random(seed))
        assert mutant is None or "9" * 4300 in mutant



def test_a_case_fold_becomes_swapcase_never_the_other_fold():
    """``key=str.lower`` to ``str.upper`` sorts the same: 300 of 300 such mutants of an honest task's program were
    paid (red-team round 49, F1)."""
    program = "def sort_words(words):\n    return sorted(words, key=lambda w: w.lower())\n"
    assert "w.swapcase()" in " ".join(each_mutant(program))
    assert "upper" not in " ".join(each_mutant(program))


def test_a_flag_that_leaves_the_result_alone_is_not_swapped():
    """``ensure_ascii=False`` to ``True`` dumps ASCII data the same (round 49, F2); ``sort_keys`` is kept."""
    program = "import json\ndef to_json(d):\n    return json.dumps(d, ensure_ascii=False, sort_keys=True)\n"
    assert each_mutant(program) == {program.replace("sort_keys=True", "sort_keys=False")}


def test_a_squares_multiplication_is_not_swapped():
    """``i * i`` to ``i + i`` only checks more in a prime test (round 49)."""
    program = "def f(n, i):\n    return i * i <= n\n"
    assert all("i + i" not in mutant for mutant in each_mutant(program))


def test_a_fenced_reply_with_crlf_line_ends_holds_code():
    """Round 49 (F3): the fence pattern wanted a bare newline, and such replies held no code for either rule."""
    reply = "Here:\r\n```python\r\n" + SUM_LOOP.replace("\n", "\r\n") + "```\r\nDone.\r\n"
    mutants = each_mutant(reply)
    assert mutants and all(m.startswith("Here:\r\n```python\r\ndef total(xs):\r\n") for m in mutants)
    assert all(m.endswith("```\r\nDone.\r\n") for m in mutants)


def test_nothing_in_a_while_loop_changes():
    """A change in a ``while`` loop's condition or body often never ends it: each such run cost a second."""
    program = ("def collatz(n):\n    steps = 0\n    while n != 1:\n        n = n // 2 if n % 2 == 0 else 3 * n + 1\n"
               "        steps += 1\n    return steps + 0 * n\n")
    loop = program.splitlines()[2:5]
    made = [mutated(program, random.Random(seed)) for seed in range(30)]
    assert all(text is not None and text.splitlines()[2:5] == loop for text in made)


def test_several_mutants_of_one_program_each_change_another_site():
    program = ("def f(xs, lo):\n    total = 0\n    for x in xs:\n        if x < lo and x > -lo:\n"
               "            total += x * 3\n    return total\n")
    made = mutants(program, random.Random(2), 5)
    changed_lines = [tuple(i for i, (a, b) in enumerate(zip(text.splitlines(), program.splitlines())) if a != b)
                     for text in made]
    assert len(made) == 5 == len(set(made)) and all(len(lines) == 1 for lines in changed_lines)


def test_where_the_prompt_names_a_function_only_it_and_what_it_calls_change():
    """Red-team round 52 (F3): a right answer that carried a self-test had most of its mutants there, equivalent for
    every honest verifier, which was flagged in 2 of 3 runs."""
    program = ("def _add(a, b):\n    return a + b\n\n\ndef total(xs):\n    acc = 0\n    for x in xs:\n"
               "        acc = _add(acc, x)\n    return acc\n\n\ndef _check():\n    assert total([1, 2]) == 3\n"
               "    assert total([]) == 0 and total([-1]) < 0\n")
    made = [mutated(program, random.Random(seed), names={"Write", "total", "xs"}) for seed in range(40)]
    assert all(text is not None and text.split("def _check")[1] == program.split("def _check")[1] for text in made)
    assert any("return a - b" in text for text in made)  # the helper ``total`` calls
    unnamed = [mutated(program, random.Random(seed)) for seed in range(40)]
    assert any(text.split("def _check")[1] != program.split("def _check")[1] for text in unnamed)


def test_a_program_s_settings_keep_their_tokens():
    """A modulus or a recursion limit (``MOD = 10**9 + 7``, ``setrecursionlimit(1 << 20)``) is not reached by tests of
    small inputs: an honest verifier of a ``pow(a, b, MOD)`` script paid 7 of its 8 mutants, all there (red-team
    round 54, F6)."""
    program = ("import sys\nsys.setrecursionlimit(1 << 20)\nMOD = 10**9 + 7\na, b = map(int, input().split())\n"
               "print(pow(a, b, MOD) * 2 % MOD)\n")
    made = each_mutant(program)
    assert made and all(text.splitlines()[:3] == program.splitlines()[:3] for text in made)


def test_a_program_of_thought_s_arithmetic_keeps_its_sites():
    """Literal arithmetic that is printed, or assigned to a name in lower case, is what a program of thought
    computes: a change there is what an honest verifier that runs it sees."""
    assert len(each_mutant("print(10 * 11 * 21 // 6)\n")) >= 3
    assert any(text.startswith("hours = 365 + 24") for text in each_mutant("hours = 365 * 24\nprint(hours)\n"))


def test_a_constant_in_capitals_that_is_printed_or_small_keeps_its_sites():
    """Red-team round 55 (F4): with every assignment to a name in capitals inert, ``ANSWER = 10 * 11 * 21 // 3`` then
    ``print(ANSWER)`` had no site, and a verifier that paid that style by its look was paid 72 of 96 wrong programs,
    never flagged. A setting is large and never printed or returned as it is."""
    assert each_mutant("ANSWER = 10 * 11 * 21 // 3\nprint(ANSWER)\n")
    assert each_mutant("SECONDS = 24 * 3600 * 7\nprint(f'{SECONDS} s')\n")
    assert each_mutant("RATE = 3 * 4\nprint(RATE * 2 > 5)\n") >= {"RATE = 3 + 4\nprint(RATE * 2 > 5)\n"}


def test_an_assignment_to_a_name_the_program_never_reads_keeps_its_tokens():
    """A template's ``INF = 10**18 - 1`` or ``DEBUG = False`` (round 54, F5: 6 to 8 of 8 mutants paid, all there); a
    lambda or a builtin bound at the top level is what a caller's tests call, and keeps its sites."""
    program = "INF = 10 ** 18 - 1\nDEBUG = False\nLIMIT = 10 ** 6\nsolve = lambda xs: len(xs) > LIMIT - 1\n"
    made = each_mutant(program)
    assert made and all(text.splitlines()[:3] == program.splitlines()[:3] for text in made)
    assert {"total = min\n"} == each_mutant("total = max\n")  # what a caller's tests call


def test_a_script_that_reads_its_input_through_a_lambda_changes_anywhere():
    """Red-team round 55 (F3): a fast-input template's lambda (``input = lambda: sys.stdin.readline().rstrip()``)
    took the script for a program of functions, and every mutant fell in the lambda, where ``.rstrip`` to ``.lstrip``
    changes nothing: an honest verifier was flagged in 3 of 3 runs."""
    program = ("import sys\ninput = lambda: sys.stdin.readline().rstrip()\nn = int(input())\n"
               "xs = sorted(map(int, input().split()))\nprint(xs[-1] - xs[0])\n")
    made = each_mutant(program)
    assert made and all(text.splitlines()[1] == program.splitlines()[1] for text in made)  # the helper is I/O


PADDED = ("def total(xs):\n    check = (1 + 2) * (3 + 4) - (5 + 6) * (7 - 8) + (9 + 10) * (11 - 12)\n"
          "    return sum(xs)\n")


def test_an_assignment_to_a_local_its_function_never_reads_keeps_its_tokens():
    """Red-team round 58: right answers padded with a line of arithmetic never read had most of their mutants there,
    and an honest verifier paid 6 of 7 of them and was flagged."""
    made = each_mutant(PADDED) | set(mutants(PADDED, random.Random(0), 8))
    assert made == {PADDED.replace("sum(xs)", "len(xs)")}
    annotated = "def total(xs):\n    count: int = 2 * 3\n    count += 4\n    return xs[0] + xs[-1]\n"
    assert all(text.splitlines()[1:3] == annotated.splitlines()[1:3] for text in each_mutant(annotated))


@pytest.mark.parametrize("program", [
    "def total(xs):\n    check = (1 + 2) * 3\n    return sum(xs) + check - 9\n",  # read
    "def total(xs):\n    check = (1 + 2) * 3\n    def inner():\n        return check\n    return sum(xs)\n",  # closure
    "def total(xs):\n    global check\n    check = (1 + 2) * 3\n    return sum(xs)\n",  # a global
    "def total(xs):\n    check = abs(1 + 2) * 3\n    return sum(xs)\n",  # a call
    "def total(xs):\n    check = (1 + 2) * 3\n    return sum(xs) + locals()['check'] - 9\n",  # read by locals()
])
def test_a_local_that_is_read_declared_or_calls_keeps_its_sites(program):
    line = next(number for number, text in enumerate(program.splitlines()) if "check = " in text)
    assert any(text.splitlines()[line] != program.splitlines()[line] for text in each_mutant(program))
