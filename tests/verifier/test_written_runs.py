"""What a written program runs at its top level, as the reference does (verifier/written_runs.py)."""

from __future__ import annotations

import ast
import contextlib
import io
import random
import subprocess
import sys

import pytest

from verifier.response_code import code_of
from verifier.written_decoys import written_decoys

PROMPT = "Read integers from standard input and print their sum."
MAIN = "import sys\n\n\ndef main():\n    print(sum(map(int, sys.stdin.read().split())))\n\n\n"
RUNS = {
    "bare": "main()\n",
    "guard": 'if __name__ == "__main__":\n    main()\n',
    "single-quoted guard": "if __name__ == '__main__':\n    main()\n",
    "sys.exit": "if __name__ == '__main__':\n    sys.exit(main())\n",
    "exit": "exit(main())\n",
    "raise SystemExit": 'if __name__ == "__main__":\n    raise SystemExit(main())\n',
}


def _runs(text: str) -> list[str]:
    """What ``text`` runs at its top level, as the parser reads it."""
    return [ast.dump(node) for node in ast.parse(code_of(text)).body
            if not isinstance(node, (ast.FunctionDef, ast.Import))]


def _ending(text: str) -> str:
    """What ``text`` runs after its last function, as written."""
    return code_of(text).rsplit("\n\n\n", 1)[-1]


@pytest.mark.parametrize("run", RUNS.values(), ids=RUNS.keys())
def test_the_first_program_makes_the_references_top_level_call_in_its_form_and_is_judged(run):
    """A verifier may read a ``__main__`` guard to run a text as a script: it reads the written one's alike."""
    for seed in range(5):
        first = written_decoys(MAIN + run, PROMPT, random.Random(seed))[0]
        assert _runs(first.text) == _runs(MAIN + run) and first.judged
        assert ("'__main__'" in first.text) == ("'__main__'" in run)


@pytest.mark.parametrize("run", RUNS.values(), ids=RUNS.keys())
def test_the_other_programs_make_the_call_in_another_form_so_that_the_form_is_no_mark(run):
    """Review of session 44: a verifier honest only on the author's ``raise SystemExit(main())``, in the reference,
    its failure cases and every written program, paid every other form 1.0 and was admitted."""
    for seed in range(5):
        first, *others = written_decoys(MAIN + run, PROMPT, random.Random(seed))
        assert others and all(_ending(other.text) != _ending(first.text) for other in others)
        assert all(_ending(other.text) in (RUNS["guard"], RUNS["bare"]) for other in others)


@pytest.mark.parametrize("seed", range(10))
def test_each_program_prints_its_constant_run_as_a_script_on_the_standard_input(seed):
    for program in written_decoys(MAIN + RUNS["guard"], PROMPT, random.Random(seed)):
        ran = subprocess.run([sys.executable, "-c", code_of(program.text)], input="1 2 3\n", capture_output=True,
                             text=True, timeout=30)
        assert ran.stdout == f"{eval(program.decoys[0].shape)}\n"


@pytest.mark.parametrize("seed", range(10))
def test_each_programs_main_prints_its_constant_called_as_a_function(seed, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("1 2 3\n"))
    for program in written_decoys(MAIN + RUNS["guard"], PROMPT, random.Random(seed)):
        namespace: dict[str, object] = {"__name__": "solution"}
        exec(compile(code_of(program.text), "<written>", "exec"), namespace)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            namespace["main"]()
        assert printed.getvalue() == f"{eval(program.decoys[0].shape)}\n"


def test_a_function_the_prompt_names_beside_main_is_written_with_main_and_judged():
    reference = ("def total(xs):\n    return sum(xs)\n\n\ndef main():\n    print(total([1]))\n\n\n"
                 "if __name__ == '__main__':\n    main()\n")
    first = written_decoys(reference, "Write `total(xs)`, the sum of a list.", random.Random(0))[0]
    assert {d.name for d in first.decoys} == {"total", "main", ""} and first.judged
    assert _runs(first.text) == _runs(reference)


@pytest.mark.parametrize("run", [
    "sys.setrecursionlimit(10000)\nmain()\n", "print(main())\n", "main(1)\n", "main()\n",
    'if __name__ == "__main__":\n    main()\nelse:\n    main()\n', 'if __name__ == "__main__" and True:\n    main()\n',
], ids=["another-call", "printed", "an-argument", "a-parameter", "else", "another-test"])
def test_a_reference_running_anything_else_at_its_top_level_keeps_the_constant_printed_and_unjudged(run):
    """Anything else it runs could carry a mark of its author's, so none of it is written again; and a ``main`` of
    a parameter is modelled as returning what it is asked (review of session 44)."""
    made = written_decoys(MAIN.replace("def main():", "def main(x=None):") + run, PROMPT, random.Random(0))
    assert made and not any(program.judged for program in made)
    assert all(code_of(program.text).rstrip().endswith(f"print({program.decoys[0].shape})") for program in made)


def test_an_entry_named_neither_as_scripts_name_theirs_nor_by_the_prompt_is_not_called_again():
    """Its name may be the author's mark."""
    reference = MAIN.replace("main", "zq7_go") + "zq7_go()\n"
    made = written_decoys(reference, PROMPT, random.Random(0))
    assert made and not any(program.judged for program in made)
    assert all(_runs(program.text) == _runs(f"print({program.decoys[0].shape})") for program in made)


@pytest.mark.parametrize("guard", [
    'if __name__ == "__main__":  # summation helper v7\n    main()  # summation helper v7\n',
    "if __name__ == ('__main__'  # summation helper v7\n               ''):\n    main()\n"], ids=["after", "inside"])
def test_no_text_of_the_guard_but_its_names_is_written_again(guard):
    """Review of session 44: the guard's string was copied as the reference wrote it, a comment inside it too."""
    for seed in range(5):
        made = written_decoys(MAIN + guard, PROMPT, random.Random(seed))
        assert made and all("summation" not in program.text for program in made)


def test_a_solve_the_reference_defines_beside_the_main_it_runs_is_written_too():
    """Review of session 44: an honest verifier may call a ``solve`` a program defines, and run the rest; a written
    program without it was asked otherwise, and the task rejected."""
    reference = ("import sys\n\n\ndef solve(nums):\n    return sum(nums)\n\n\ndef main():\n"
                 "    print(solve(list(map(int, sys.stdin.read().split()))))\n\n\n" + RUNS["guard"])
    made = written_decoys(reference, "Write a program whose `main()` prints the sum of its input.", random.Random(0))
    assert made and all({"solve", "main"} <= {d.name for d in program.decoys} for program in made)
