"""Verifier libraries: allow-listed installed packages a verifier may import inside the bwrap sandbox, read-only,
and nothing else of the environment."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from task_bank.spec import TaskSpec
from task_bank.validation import Outcome
from verifier import Limits, ValidationConfig, Validator, open_pool
from verifier.libraries import DEFAULT_LIBRARIES, LIBRARY_ROOT, library_mounts, missing_libraries, parse_libraries

NO_COMMAS = """
from if_verifiable.ifeval.instructions import CommaChecker


def verify(response: str) -> float:
    checker = CommaChecker("punctuation:no_comma")
    checker.build_description()
    return 1.0 if checker.check_following(response) else 0.0
"""

LOWERCASE = """
from langdetect import DetectorFactory, detect
from if_verifiable.ifeval.instructions import LowercaseLettersEnglishChecker

DetectorFactory.seed = 0
detect("load the language profiles now, not in the first call")


def verify(response: str) -> float:
    checker = LowercaseLettersEnglishChecker("change_case:english_lowercase")
    checker.build_description()
    return 1.0 if len(response.split()) >= 5 and checker.check_following(response) else 0.0
"""


ROOMY = Limits(wall_s=60.0, cpu_s=10.0)
"""Importing nltk costs ~0.3 s of CPU, which a busy shared machine can stretch past the 5 s default."""


@pytest.fixture(scope="module")
def pool():
    with open_pool("bwrap", workers=1, limits=ROOMY) as p:
        yield p


def test_a_verifier_imports_an_ifeval_checker_and_scores_through_the_bwrap_sandbox(pool):
    results = pool.score(NO_COMMAS, ["Tea is best with milk and honey.", "Tea, milk, and honey."])
    assert [(r.outcome, r.score) for r in results] == [(Outcome.SCORED, 1.0), (Outcome.SCORED, 0.0)]


def test_langdetect_based_checkers_score_inside_the_sandbox(pool):
    results = pool.score(LOWERCASE, ["boil the water and then pour it over the tea leaves.",
                                     "Boil The Water And Then Pour It."])
    assert [r.score for r in results] == [1.0, 0.0]


def test_a_package_not_on_the_list_cannot_be_imported():
    with open_pool("bwrap", workers=1, limits=ROOMY.model_copy(update={"libraries": ("six",)})) as narrow:
        result = narrow.score(NO_COMMAS, ["no commas"])[0]
    assert result.outcome is Outcome.CRASHED
    assert "No module named 'if_verifiable'" in result.detail


SYS_PATH = """
import json, sys


def verify(response):
    raise RuntimeError(json.dumps(sys.path))
"""


def test_nothing_installed_beside_the_interpreter_is_on_the_sandboxed_path(pool):
    """Only the standard library and the allow-listed libraries: the interpreter's own site-packages (where a
    developer machine keeps scipy, boto3, ...) is not importable, and a library found there would also shadow the
    allow-listed copy."""
    import sysconfig

    result = pool.score(SYS_PATH, ["x"])[0]
    path = json.loads(result.detail.split(": ", 1)[1])
    stdlib = (sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"])
    stdlib_zip = f"python{sys.version_info.major}{sys.version_info.minor}.zip"  # on every default sys.path
    outside = [p for p in path if not p.startswith((LIBRARY_ROOT, *stdlib)) and not p.endswith(stdlib_zip)]
    assert outside == []
    assert not any("site-packages" in p or "dist-packages" in p for p in path)


def test_the_parent_of_a_listed_subpackage_is_not_mounted(pool):
    source = "import if_verifiable.api\n\ndef verify(response):\n    return 1.0\n"
    result = pool.score(source, ["x"])[0]
    assert result.outcome is Outcome.CRASHED and "if_verifiable.api" in result.detail


def test_the_libraries_cannot_be_written_from_inside_the_sandbox(pool):
    source = (f"def verify(response):\n    try:\n        open('{LIBRARY_ROOT}/six.py', 'a').write('x')\n"
              f"    except OSError:\n        return 1.0\n    return 0.0\n")
    assert pool.score(source, ["x"])[0].score == 1.0


def test_a_task_whose_verifier_imports_a_checker_passes_validation_with_its_determinism_checks(pool):
    spec = TaskSpec(prompt="Explain how to boil an egg in one sentence. Use only lowercase letters.",
                    verifier=LOWERCASE, reference="put the egg in boiling water for about eight minutes.",
                    failure_cases=["Put The Egg In Boiling Water For Eight Minutes.", "ok"])
    with Validator(pool, ValidationConfig(call_budget_s=60.0)) as validator:  # machine load is not the point
        report = validator.validate(spec)
    assert report.admitted, report.reasons


def test_a_subpackage_is_mounted_alone_and_a_module_file_by_its_file_name(tmp_path):
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "sub" / "__init__.py").write_text("")
    (tmp_path / "single.py").write_text("")
    mounts = library_mounts(["pkg.sub", "single"], search_path=[str(tmp_path)])
    assert [(m.source, m.target) for m in mounts] == [
        (str(tmp_path / "pkg" / "sub"), f"{LIBRARY_ROOT}/pkg/sub"), (str(tmp_path / "single.py"),
                                                                    f"{LIBRARY_ROOT}/single.py")]


def test_a_packages_vendored_shared_libraries_are_mounted_beside_it(tmp_path):
    """Red-team finding: numpy, allowed explicitly, failed to load in the sandbox: its wheel keeps its OpenBLAS in the
    sibling ``numpy.libs``, which was not mounted."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg.libs").mkdir()
    mounts = library_mounts(["pkg"], search_path=[str(tmp_path)])
    assert [(m.source, m.target) for m in mounts] == [(str(tmp_path / "pkg"), f"{LIBRARY_ROOT}/pkg"),
                                                     (str(tmp_path / "pkg.libs"), f"{LIBRARY_ROOT}/pkg.libs")]


@pytest.mark.sandbox  # needs bubblewrap and root
def test_numpy_allowed_explicitly_loads_and_scores_in_the_sandbox():
    pytest.importorskip("numpy")
    source = "import numpy as np\n\ndef verify(r):\n    return float(np.array([1.0, 2.0]).sum() == 3.0)\n"
    with open_pool("bwrap", workers=1, limits=Limits(libraries=("numpy",))) as numpy_pool:
        assert numpy_pool.score(source, ["x"])[0].score == 1.0


def test_an_entry_inside_another_listed_entry_is_mounted_once(tmp_path):
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "sub" / "__init__.py").write_text("")
    assert [m.name for m in library_mounts(["pkg.sub", "pkg"], search_path=[str(tmp_path)])] == ["pkg"]


def test_an_entry_that_is_not_installed_is_reported_missing_and_not_mounted(tmp_path):
    assert missing_libraries(["nothere"], search_path=[str(tmp_path)]) == ["nothere"]
    assert library_mounts(["nothere"], search_path=[str(tmp_path)]) == ()


def test_limits_refuse_a_library_name_that_is_a_path():
    with pytest.raises(ValidationError):
        Limits(libraries=("../etc",))


def test_the_defaults_hold_the_ifeval_checkers_and_are_all_installed_here():
    assert "if_verifiable.ifeval" in DEFAULT_LIBRARIES and missing_libraries(DEFAULT_LIBRARIES) == []


def test_the_libraries_option_reads_a_comma_list_or_none_and_refuses_a_missing_package():
    assert parse_libraries("six, nltk") == ("six", "nltk")
    assert parse_libraries("none") == ()
    with pytest.raises(argparse.ArgumentTypeError, match="not installed: surely_not_a_package"):
        parse_libraries("six,surely_not_a_package")


def test_verifier_cli_libraries_none_takes_the_checkers_away(tmp_path):
    spec = TaskSpec(prompt="Say hello without commas.", verifier=NO_COMMAS, reference="hello there",
                    failure_cases=["hello, there"])
    tasks, responses = tmp_path / "tasks.jsonl", tmp_path / "responses.jsonl"
    tasks.write_text(spec.model_dump_json() + "\n")
    responses.write_text(json.dumps({"id": spec.id, "response": "hello there"}) + "\n")
    details = {}
    for option in ([], ["--libraries", "none"]):
        out = subprocess.run([sys.executable, "-m", "verifier", "score", str(tasks), "--responses", str(responses),
                              "--json", *option], capture_output=True, text=True, timeout=300,
                             cwd=Path(__file__).resolve().parents[2])
        details[bool(option)] = json.loads(out.stdout.splitlines()[0])["detail"]
    missing = "No module named 'if_verifiable'"
    assert missing not in details[False] and missing in details[True]
