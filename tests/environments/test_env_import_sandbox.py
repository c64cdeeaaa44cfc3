"""Environment import never stores a verdict that only says the sandbox failed (QA round 30).

A mistyped ``--sandbox`` stored every environment of the file as rejected (``sandbox_error``), exit 0, and
importing the file again with the right sandbox changed nothing: an id already stored was returned as it was.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest
from rich.console import Console

from task_bank.environment_store import EnvironmentRecord
from task_bank.errors import SandboxError
from task_bank.store import Bank
from task_bank.validation import CheckResult, Reason, ValidationReport
from task_bank.environment_results import EnvironmentEvidence
from verifier.env_cli import cmd_import
from verifier.env_validate import ENV_VALIDATOR_VERSION, EnvVerdict

from .conftest import ROOT, cart_spec


class BrokenSandbox:
    """A validator whose sandbox fails on every environment, as a broken backend's does."""

    def __init__(self, backend: str) -> None:
        self.backend = backend

    def __enter__(self) -> BrokenSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def validate(self, spec) -> EnvVerdict:
        failed = CheckResult(name="reference", passed=False, reason=Reason.SANDBOX_ERROR, detail="sandbox failure")
        return EnvVerdict(report=ValidationReport(task_id=spec.id, admitted=False, reasons=(Reason.SANDBOX_ERROR,),
                                                  checks=(failed,), sandbox_backend=self.backend,
                                                  validator_version=ENV_VALIDATOR_VERSION),
                          evidence=EnvironmentEvidence())


def _args(tmp_path, **extra: object) -> argparse.Namespace:
    path = tmp_path / "envs.jsonl"
    path.write_text(cart_spec().to_json() + "\n")
    return argparse.Namespace(file=str(path), bank=tmp_path / "bank.db", json=False, sandbox="bwrap",
                              skip_tasks=False, **extra)


def test_a_sandbox_failure_stores_nothing_and_ends_the_import_as_the_sandboxs_fault(tmp_path):
    args = _args(tmp_path)
    with pytest.raises(SandboxError, match="envs.jsonl:1: the sandbox failed"):
        cmd_import(args, Console(file=open("/dev/null", "w")), validator=BrokenSandbox)
    assert not args.bank.exists()  # the bank it made holds nothing: removed


def test_an_environment_stored_with_a_sandbox_error_is_judged_again_on_the_next_import(tmp_path):
    args = _args(tmp_path)
    with Bank.open(args.bank) as bank:
        stale = BrokenSandbox("docker").validate(cart_spec())
        bank.add_environment(cart_spec(), stale.report, stale.evidence)
    assert cmd_import(args, Console(file=open("/dev/null", "w"))) == 0
    with Bank.open(args.bank) as bank:
        record: EnvironmentRecord = bank.find_environment(cart_spec().id)
    assert (record.status.value, record.reasons) == ("admitted", ())


def test_an_unknown_sandbox_is_a_usage_error_before_anything_is_stored(tmp_path):
    args = _args(tmp_path)
    done = subprocess.run([sys.executable, "-m", "verifier.env_cli", "import", args.file, "--sandbox", "docker",
                           "--bank", str(args.bank)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "invalid choice: 'docker'" in done.stderr
    assert not args.bank.exists()


def test_validating_environment_lines_under_a_backend_without_sessions_is_the_sandboxs_failure(tmp_path):
    args = _args(tmp_path)
    done = subprocess.run([sys.executable, "-m", "verifier", "validate", args.file, "--sandbox", "docker"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 4 and done.stderr.count("\n") == 1 and "--sandbox bwrap" in done.stderr
