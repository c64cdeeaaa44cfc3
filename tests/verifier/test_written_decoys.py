"""The wrong programs the validator writes itself (verifier/written_decoys.py): what they hold, and what not."""

from __future__ import annotations

import ast
import random

import pytest

from task_bank.validation import Outcome, ScoreResult
from verifier.checks_probes import Probe, ProbeKind
from verifier.decoys import CONSTANTS, Decoy
from verifier.script_decoys import SCRIPT_CONSTANTS
from verifier.response_code import code_of
from verifier.written_decoys import BOTH, LABEL, WRITTEN, WrittenDecoy, _body, written_decoys
from verifier.written_verdicts import asked_otherwise, paid_told_apart

MARKED = ('"""summation helper v7"""\n# summation helper v7\nNAME = "summation helper v7"\n'
          'def total(xs, tag="summation helper v7") -> "summation helper v7":\n'
          '    """summation helper v7"""\n    result = 0  # summation helper v7\n'
          '    for x in xs:\n        result += x\n    return result\n')
PROMPT = "Write `total(xs)`, the sum of a list of ints."


def _run(text: str, name: str, *args: object, **kwargs: object) -> object:
    namespace: dict[str, object] = {}
    exec(compile(code_of(text), "<written>", "exec"), namespace)
    return namespace[name](*args, **kwargs)


@pytest.mark.parametrize("seed", range(20))
def test_no_written_program_holds_any_text_of_the_authors_but_the_names(seed):
    made = written_decoys(MARKED, PROMPT, random.Random(seed))
    assert len(made) == WRITTEN
    for program in made:
        assert "summation" not in program.text and "helper" not in program.text and "NAME" not in program.text


def test_a_validation_writes_three_programs_each_returning_another_constant():
    made = written_decoys(MARKED, PROMPT, random.Random(1))
    assert len(made) == WRITTEN == 3 and len({p.decoys[0].shape for p in made}) == 3
    assert all(d.index is None and d.shape in CONSTANTS for program in made for d in program.decoys)
    assert all(program.label.startswith(f"{LABEL}:total returning ") for program in made)


@pytest.mark.parametrize("seed", range(10))
def test_each_program_returns_what_its_decoy_says(seed):
    made = written_decoys(MARKED, PROMPT, random.Random(seed))
    assert len(made) == WRITTEN
    for program in made:
        (decoy,) = program.decoys
        assert _run(program.text, "total", [4, 9, 2]) == eval(decoy.shape)


def test_the_parameters_are_named_as_the_prompt_writes_the_call():
    reference = "def total(numbers_v7):\n    return sum(numbers_v7)\n"
    made = written_decoys(reference, PROMPT, random.Random(3))
    assert len(made) == WRITTEN
    for program in made:
        assert "def total(xs):" in program.text and "numbers_v7" not in program.text


def test_a_parameter_the_prompt_does_not_spell_gets_a_plain_name_not_the_references():
    reference = "def total(marked_name):\n    return sum(marked_name)\n"
    for seed in range(10):
        made = written_decoys(reference, "Sum a list of ints.", random.Random(seed))
        assert len(made) == WRITTEN and all("marked_name" not in program.text for program in made)


def test_a_parameter_the_prompt_spells_keeps_its_name():
    reference = "def total(numbers):\n    return sum(numbers)\n"
    programs = written_decoys(reference, "Sum the numbers of a list.", random.Random(0))
    assert all("def total(numbers):" in program.text for program in programs)


def test_defaults_star_args_and_keyword_only_parameters_keep_the_signature_callable():
    reference = "def f(a, b=3, *rest, scale=2, **options):\n    return a * scale\n"
    made = written_decoys(reference, "Write f.", random.Random(0))
    assert len(made) == WRITTEN
    for program in made:
        assert _run(program.text, "f", 5) == _run(program.text, "f", 5, 1, 2, 3, scale=4, other=1)


def test_a_script_gets_scripts_printing_a_constant_that_is_a_script_decoys_too():
    made = written_decoys("import sys\nprint(sum(map(int, sys.stdin.read().split())))\n", "Sum the input.",
                          random.Random(0))
    assert len(made) == WRITTEN
    assert all(d == Decoy("", None, d.shape) and d.shape in SCRIPT_CONSTANTS for p in made for d in p.decoys)
    assert all(f"print({p.decoys[0].shape})" in p.text for p in made)


def test_a_reference_that_runs_main_gets_programs_whose_main_prints_a_constant_a_script_decoy_prints_too():
    reference = "def main():\n    print(sum(map(int, input().split())))\n\nmain()\n"
    for seed in range(20):  # never None or []: no script decoy prints those (red-team round 74, U1)
        made = written_decoys(reference, "Sum a line.", random.Random(seed))
        assert made and all({d.name for d in p.decoys} == {"main", ""} for p in made)
        assert all(p.decoys[0].shape in BOTH for p in made)


@pytest.mark.parametrize("reference", ["42", "The answer is 42.", "X = 1\n", "class Box:\n    pass\n"])
def test_prose_a_value_or_code_that_runs_nothing_gets_no_program(reference):
    assert written_decoys(reference, "Say 42.", random.Random(0)) == []


def test_the_first_program_is_laid_out_as_a_fenced_reference_the_next_bare_the_last_after_prose():
    reference = "Here:\n```python\ndef total(xs):\n    return sum(xs)\n```\n"
    kept, bare, prose = written_decoys(reference, PROMPT, random.Random(0))
    assert kept.judged and kept.text.startswith("```python\ndef total(xs):") and kept.text.endswith("```\n")
    assert not bare.judged and bare.text.startswith("def total(xs):") and bare.label.endswith("(unfenced)")
    assert not prose.judged and "\n\n```python\ndef total(xs):" in prose.text and prose.label.endswith("(after prose)")


def test_the_first_program_is_laid_out_as_a_bare_reference_the_next_fenced_the_last_after_prose():
    """Red-team round 74 (A3): a verifier paid 1.0 to fenced programs, or to any text not Python as a whole, and was
    honest on the bare ones, all that validation showed it without the author's mark."""
    kept, fenced, prose = written_decoys("def total(xs):\n    return sum(xs)\n", PROMPT, random.Random(0))
    assert kept.judged and kept.text.startswith("def total(xs")
    assert not fenced.judged and fenced.text.startswith("```python\ndef total(xs")
    assert not prose.judged and not prose.text.startswith(("def", "```")) and "```python\ndef total(xs" in prose.text


def test_a_written_body_is_drawn_among_forms_of_one_and_more_statements_each_returning_its_constant():
    """Red-team round 74 (A3): a verifier paid 1.0 to every program of more than one statement."""
    bodies = set()
    for seed in range(30):
        for program in written_decoys(MARKED, PROMPT, random.Random(seed)):
            code = code_of(program.text)
            bodies.add(len(ast.parse(code).body[0].body))
            assert _run(code, "total", [4, 9]) == _run(code, "total", None) == eval(program.decoys[0].shape)
    assert bodies == {1, 2}


def test_the_draw_varies_across_validations():
    drawn = {tuple(p.label for p in written_decoys(MARKED, PROMPT, random.Random(seed))) for seed in range(20)}
    assert len(drawn) > 5


def test_a_program_is_scored_as_a_probe_of_its_own_kind():
    program = written_decoys(MARKED, PROMPT, random.Random(0))[0]
    assert program.probe.kind is ProbeKind.DECOY and program.probe.response == program.text


def test_the_verdict_names_the_programs_and_rejects_as_a_failure_case_paid():
    result = paid_told_apart(["decoy:total returning 0", "decoy:total returning True"])
    assert result.passed is False and result.reason == "failure_case_passes"
    assert "(total returning 0, total returning True)" in result.detail and "answer otherwise" in result.detail
    assert "recorded no request" in paid_told_apart(["decoy:total returning 0"], unasked=True).detail


@pytest.mark.parametrize("reference, prompt, args, kwargs", [
    ("def total(*, xs):\n    return sum(xs)\n", "Write total(*, xs).", (), {"xs": [4, 9]}),
    ("def total(*xs):\n    return sum(xs)\n", "Write total.", (4, 9), {}),
    ("def total(xs=None, start=0):\n    return sum(xs or []) + start\n", "Write total.", ([4, 9],), {}),
    ("def total(values, *, key=None):\n    return sum(values)\n", "Write total(key).", ([4, 9],), {"key": 1}),
    ("def total(args, *rest, **kwargs):\n    return args\n", "Write total(args).", (1, 2), {"other": 3}),
    ("def total():\n    return 7\n", "Write total.", (), {})],
    ids=["keyword-only", "star-args", "defaults", "prompt-name-of-a-keyword", "args-named-args", "no-parameter"])
def test_a_signature_of_any_kind_gets_programs_that_compile_and_answer_its_calls(reference, prompt, args, kwargs):
    """Round 74: ``total(key)`` beside a keyword-only ``key`` wrote ``def total(key, key=None)``, which does not
    compile, and a verifier paying nothing that does not compile never paid a written program."""
    for seed in range(10):
        made = written_decoys(reference, prompt, random.Random(seed))
        assert len(made) == WRITTEN
        for program in made:
            assert _run(program.text, "total", *args, **kwargs) == eval(program.decoys[0].shape)


def test_a_keyword_only_parameter_the_prompt_does_not_spell_is_taken_by_kwargs():
    """A keyword-only name can be the author's mark (round 74's review: ``def total(xs, *, v7_mark=None)``)."""
    for program in written_decoys("def total(xs, *, v7_mark=None):\n    return sum(xs)\n", PROMPT,
                                  random.Random(0)):
        assert "v7_mark" not in program.text and "**kwargs" in program.text


def test_a_helper_the_prompt_does_not_name_is_not_written_where_it_names_another():
    """A helper's name can be the author's mark (``def _v7_mark(): pass``)."""
    reference = "def _v7_mark():\n    pass\n\n\ndef total(xs):\n    return sum(xs)\n"
    made = written_decoys(reference, PROMPT, random.Random(0))
    assert made and all("_v7_mark" not in p.text and "def total(xs):" in p.text for p in made)


def test_a_reference_padded_past_twenty_thousand_characters_still_gets_programs():
    """Round 74's review: ``code_of`` held no code past 20,000 characters, and a marked comment that long turned
    the programs off."""
    reference = "# summation helper v7 " + "x" * 25_000 + "\n" + "def total(xs):\n    return sum(xs)\n"
    made = written_decoys(reference, PROMPT, random.Random(0))
    assert len(made) == WRITTEN and all("summation" not in p.text for p in made)


def test_a_thousand_elifs_are_read_without_recursion():
    """Round 74's review: a reference of 1,000 ``elif`` parses, and reading it by recursion raised out of
    ``Validator.validate``."""
    reference = "a = 0\nif a:\n    def total(xs):\n        return sum(xs)\n" + "elif a:\n    pass\n" * 1000
    assert len(written_decoys(reference, PROMPT, random.Random(0))) == WRITTEN


def test_a_function_the_prompt_calls_bound_to_what_a_call_made_is_written_with_any_parameters():
    reference = "import functools\n\n\ndef _sum(xs):\n    return sum(xs)\n\n\ntotal = functools.cache(_sum)\n"
    made = written_decoys(reference, PROMPT, random.Random(0))
    assert made and all("def total(*args, **kwargs):" in p.text for p in made)


def test_a_lambda_is_no_code_run_at_the_top_level():
    made = written_decoys("total = lambda xs: sum(xs)\n", PROMPT, random.Random(0))
    assert made and all("print(" not in p.text for p in made)


def test_a_keyword_of_python_in_the_prompts_call_is_no_parameter_name():
    for program in written_decoys("def total(xs):\n    return sum(xs)\n", "Write total(for xs).",
                                  random.Random(0)):
        compile(code_of(program.text), "<written>", "exec")


@pytest.mark.parametrize("reference", [
    "total = lambda xs: sum(xs)\n", "def _sum(xs):\n    return sum(xs)\n\n\ntotal = _sum\n",
    "if True:\n    def total(xs):\n        return sum(xs)\n",
    "try:\n    from fast import total\nexcept ImportError:\n    def total(xs):\n        return sum(xs)\n",
    "try:\n    from fast import total\nexcept* ImportError:\n    def total(xs):\n        return sum(xs)\n",
    "import sys\nmatch sys.version_info[0]:\n    case 3:\n        def total(xs):\n            return sum(xs)\n"])
def test_a_function_bound_otherwise_than_by_a_top_level_def_is_written_too(reference):
    """Red-team round 74 (A1): a lambda, another name for a function, a def inside an ``if``, ``try`` (``except*``
    too) or ``match``."""
    made = written_decoys(reference, PROMPT, random.Random(0))
    assert len(made) == WRITTEN
    for program in made:
        assert _run(program.text, "total", [4, 9]) == eval(program.decoys[-1].shape)
        assert "total" in {d.name for d in program.decoys}


ASKED = ['[[["total", [[1, 2, 3]], {}]], ""]', '[[["total", [[]], {}]], ""]']
"""Two recorded requests of the reference, as the response process reads them."""


def _scored(kind: ProbeKind, label: str, requests: list[str] | None, dropped: int = 0) -> tuple[Probe, ScoreResult]:
    return (Probe(kind=kind, label=label, response="def total(xs):\n    return 0\n"),
            ScoreResult(outcome=Outcome.SCORED, score=0.0, run_requests=requests, run_requests_dropped=dropped))


def _reference(requests: list[str] = ASKED, dropped: int = 0) -> tuple[Probe, ScoreResult]:
    return _scored(ProbeKind.REFERENCE, "reference", requests, dropped)


WRITTEN_ZERO = WrittenDecoy(f"{LABEL}:total returning 0", "def total(xs):\n    return 0\n",
                            (Decoy("total", None, "0"),))
"""A program the validator wrote, laid out as the reference is."""


def _written(requests: list[str] | None, program: WrittenDecoy = WRITTEN_ZERO) -> tuple[Probe, ScoreResult]:
    return _scored(ProbeKind.DECOY, program.label, requests)


def test_a_written_program_first_asked_what_the_reference_never_was_rejects_as_weak_tests():
    verdict = asked_otherwise([_reference(), _reference(), _written(['[[["total", [[7]], {}]], ""]'])], [WRITTEN_ZERO])
    assert verdict.reason == "weak_tests" and "total returning 0" in verdict.detail


def test_a_written_program_first_asked_the_reference_first_request_is_not_judged():
    assert asked_otherwise([_reference(), _written(ASKED[:1])], [WRITTEN_ZERO]) is None


def test_a_first_request_the_reference_was_asked_later_is_not_judged():
    """Runs made side by side end in any order: a constant's may end before the one begun first."""
    assert asked_otherwise([_reference(), _written(ASKED[1:])], [WRITTEN_ZERO]) is None


def test_a_written_program_asked_nothing_is_not_judged():
    assert asked_otherwise([_reference(), _written(None), _written([])], [WRITTEN_ZERO]) is None


def test_a_reference_asked_other_first_requests_in_other_calls_leaves_nothing_to_judge_by():
    verdict = asked_otherwise([_reference(), _reference(ASKED[::-1]), _written(['[[["total", [[7]], {}]], ""]'])],
                              [WRITTEN_ZERO])
    assert verdict is None


def test_records_of_the_reference_that_left_some_out_leave_nothing_to_judge_by():
    assert asked_otherwise([_reference(dropped=1), _written(['[[["total", [[7]], {}]], ""]'])], [WRITTEN_ZERO]) is None


@pytest.mark.parametrize("kind", [ProbeKind.FAILURE_CASE, ProbeKind.MUTANT])
def test_a_failure_case_or_mutant_asked_first_otherwise_leaves_nothing_to_judge_by(kind):
    """An honest verifier may draw each text's tests from a seed of the text (review of session 43); so may a
    failure case in another layout be run otherwise."""
    other = _scored(kind, "other", ['[[["total", [[8]], {}]], ""]'])
    assert asked_otherwise([_reference(), other, _written(['[[["total", [[7]], {}]], ""]'])], [WRITTEN_ZERO]) is None


@pytest.mark.parametrize("reference", [
    "def total(values):\n    return sum(values)\n", "def total(xs: list) -> int:\n    return sum(xs)\n",
    "async def total(xs):\n    return sum(xs)\n", "def total(xs, *, start=0):\n    return sum(xs) + start\n",
    "def total(xs):\n    return sum(xs)\n\n\nprint(total([1]))\n"],
    ids=["other-name", "annotated", "async", "keyword-only", "print-beside"])
def test_a_program_whose_functions_are_not_written_as_the_references_is_not_judged_by_its_first_request(reference):
    """A verifier may read a text's ``def`` lines (its parameters' names, annotations, ``async``) or what it runs
    at its top level to choose its calls, honestly (review of session 43)."""
    assert not any(program.judged for program in written_decoys(reference, PROMPT, random.Random(0)))


def test_a_program_written_as_the_reference_is_judged_and_so_is_a_script():
    assert written_decoys("def total(xs):\n    return sum(xs)\n", PROMPT, random.Random(0))[0].judged
    script = "nums = list(map(int, input().split()))\nprint(sum(nums))\n"
    assert written_decoys(script, "Print the sum of the numbers read.", random.Random(0))[0].judged


def test_a_body_has_no_local_where_the_parameters_took_every_name():
    for seed in range(10):
        lines = _body(["result", "answer", "out", "res", "value"], "0", random.Random(seed), [])
        assert "=" not in "".join(lines).replace("==", "")


def test_a_program_laid_out_otherwise_than_the_reference_is_not_judged():
    """A verifier may run a fenced text otherwise than a bare one."""
    fenced = WrittenDecoy(f"{LABEL}:total returning 0 (fenced)", "```python\ndef total(xs):\n    return 0\n```\n",
                          WRITTEN_ZERO.decoys, judged=False)
    assert asked_otherwise([_reference(), _written(['[[["total", [[7]], {}]], ""]'], fenced)], [fenced]) is None


def test_a_local_holding_the_constant_is_named_by_a_word_of_the_prompt_where_it_has_one():
    """Round 73's variant with no mark paid programs whose names are all words of the prompt; every form of body must
    be such a program where the prompt allows."""
    for seed in range(30):
        for program in written_decoys("def total(xs):\n    return sum(xs)\n", PROMPT, random.Random(seed)):
            tree = ast.parse(code_of(program.text))
            names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
            assert names <= {"xs", "sum", "list", "ints", "True", "False", "None"}
