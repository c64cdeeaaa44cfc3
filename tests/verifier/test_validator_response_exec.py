"""A verifier that runs the response as code in its own process is rejected (``executes_response``) with a repair
hint naming the sandbox's response primitive, unless the caller explicitly allows it; an allowed task is marked,
and the mark round-trips through the bank and export. Validation runs through the real sandbox (bwrap)."""

from __future__ import annotations

import pytest

from task_bank.response_exec import RESPONSE_EXEC_KEY, find_response_exec
from task_bank.spec import TaskSpec
from task_bank.store import Bank
from task_bank.validation import Reason
from verifier import Limits, ValidationConfig, Validator, open_pool
from verifier.static_exec import mark_response_exec

OLD_STYLE = ("def verify(response: str) -> float:\n    namespace = {}\n    try:\n        exec(response, namespace)\n"
             "        return 1.0 if namespace['double'](21) == 42 else 0.0\n    except BaseException:\n"
             "        return 0.0\n")
PRIMITIVE = ("from envsynth_sandbox import plain, run_response\n\n"
             "def verify(response: str) -> float:\n"
             "    run = run_response(response, calls=[('double', [21])], timeout=2.0)\n"
             "    return 1.0 if all(c.ok and c.value == plain(42) for c in run.calls) else 0.0\n")


def old_style() -> TaskSpec:
    return TaskSpec(prompt="Write double(x) returning twice x.", verifier=OLD_STYLE,
                    reference="def double(x):\n    return 2 * x\n", failure_cases=("def double(x):\n    return x\n",))


@pytest.fixture(scope="module")
def pool():
    with open_pool(backend="bwrap", workers=1, limits=Limits(wall_s=2.0)) as pool:
        yield pool


def test_verifier_that_executes_the_response_is_rejected_with_executes_response(pool):
    with Validator(pool, ValidationConfig()) as validator:
        report = validator.validate(old_style())
    assert not report.admitted and Reason.EXECUTES_RESPONSE in report.reasons
    check = next(c for c in report.checks if c.name == "executes_response")
    assert check.passed is False and "line 4" in check.detail


def test_rejection_carries_a_repair_hint_naming_the_response_primitive(pool):
    with Validator(pool, ValidationConfig()) as validator:
        detail = next(c.detail for c in validator.validate(old_style()).checks if c.name == "executes_response")
    assert "from envsynth_sandbox import plain, run_response" in detail and "run.calls" in detail


def test_allow_response_exec_admits_an_old_style_task_and_says_so(pool):
    with Validator(pool, ValidationConfig(allow_response_exec=True)) as validator:
        report = validator.validate(old_style())
    assert report.admitted, report.reasons
    check = next(c for c in report.checks if c.name == "executes_response")
    assert check.passed is True and "--allow-response-exec" in check.detail


def test_an_allowed_old_style_task_whose_failure_case_exits_is_admitted(pool):
    # Its twins exit too, one of them in run 0's first call: that probe failing, not a rejection without a reason.
    verifier = ("def verify(response: str) -> float:\n    ns = {}\n    exec(response, ns)\n"
                "    return 1.0 if ns['double'](4) == 8 else 0.0\n")
    spec = TaskSpec(prompt="Write double(x) returning twice x.", verifier=verifier,
                    reference="def double(x):\n    return 2 * x\n",
                    failure_cases=("import sys\n\ndef double(x):\n    result = x + 2\n    return result\n\nsys.exit(0)\n",))
    with Validator(pool, ValidationConfig(allow_response_exec=True)) as validator:
        report = validator.validate(spec)
    assert report.admitted and report.reasons == ()


def test_a_verifier_using_the_response_primitive_passes_the_static_check():
    assert find_response_exec(PRIMITIVE) == ()


def test_allowed_task_is_marked_and_others_are_not():
    assert mark_response_exec(old_style()).metadata[RESPONSE_EXEC_KEY] is True
    honest = old_style().model_copy(update={"verifier": PRIMITIVE})
    assert mark_response_exec(honest) == honest


def test_mark_keeps_the_task_id():
    spec = old_style()
    assert mark_response_exec(spec).id == spec.id == mark_response_exec(spec).content_id


def test_mark_round_trips_through_the_bank_and_export(tmp_path):
    marked = mark_response_exec(old_style())
    with Bank.open(tmp_path / "bank.db") as bank:
        bank.admit(marked)
        stored = bank.find(marked.id)
    assert stored is not None and stored.spec.metadata[RESPONSE_EXEC_KEY] is True
    assert TaskSpec.model_validate_json(stored.spec.to_json()).metadata[RESPONSE_EXEC_KEY] is True


IMPORTS_SOLUTION = ("import sys\n\ndef verify(response: str) -> float:\n"
                    "    with open('solution.py', 'w') as f:\n        f.write(response)\n"
                    "    sys.path.insert(0, '.')\n    try:\n        import solution\n"
                    "        return 1.0 if solution.double(21) == 42 else 0.0\n    except BaseException:\n"
                    "        return 0.0\n")
LIBRARY = ("from immutabledict import immutabledict\n\nWANT = immutabledict({'answer': '42'})\n\n"
           "def verify(response: str) -> float:\n    return 1.0 if response.strip() == WANT['answer'] else 0.0\n")


def test_importing_the_response_saved_as_a_module_is_rejected_with_the_repair_hint(pool):
    """rt-importsol: ``import solution`` of a file the verifier wrote runs the response in the verifier's process."""
    spec = old_style().model_copy(update={"verifier": IMPORTS_SOLUTION})
    with Validator(pool, ValidationConfig()) as validator:
        report = validator.validate(spec)
    check = next(c for c in report.checks if c.name == "executes_response")
    assert Reason.EXECUTES_RESPONSE in report.reasons and "'solution'" in check.detail
    assert "from envsynth_sandbox import plain, run_response" in check.detail


def test_an_import_counts_as_running_the_response_only_when_the_pool_does_not_list_the_library(pool):
    spec = TaskSpec(prompt="What is six times seven?", verifier=LIBRARY, reference="42", failure_cases=("41",))
    with open_pool(backend="bwrap", workers=1, limits=Limits(wall_s=2.0, libraries=())) as bare:
        with Validator(bare, ValidationConfig()) as validator:
            unlisted = validator.validate(spec)
    with Validator(pool, ValidationConfig()) as validator:
        listed = validator.validate(spec)
    assert Reason.EXECUTES_RESPONSE in unlisted.reasons
    assert next(c for c in listed.checks if c.name == "executes_response").passed is True
