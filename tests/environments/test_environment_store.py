"""Environments in the bank: stored with their verdict, deduplicated by source and by tool signatures, exported."""

from __future__ import annotations

import json

from task_bank.environment import EnvironmentSpec, parse_spec_line
from task_bank.records import TaskStatus
from task_bank.store import Bank
from task_bank.validation import Reason, ValidationReport

from .conftest import CART, cart_spec


def rejected(spec: EnvironmentSpec) -> ValidationReport:
    return ValidationReport(task_id=spec.id, admitted=False, reasons=(Reason.UNSOLVABLE,), validator_version="t",
                            sandbox_backend="bwrap")


def test_an_environment_is_stored_admitted_and_read_back(tmp_path):
    spec = cart_spec()
    with Bank.open(tmp_path / "bank.db") as bank:
        bank.add_environment(spec)
        record = bank.find_environment(spec.id)
    assert record.status is TaskStatus.ADMITTED and record.spec == spec


def test_a_rejecting_report_stores_the_environment_rejected_with_its_reasons(tmp_path):
    spec = cart_spec()
    with Bank.open(tmp_path / "bank.db") as bank:
        record = bank.add_environment(spec, rejected(spec))
    assert record.status is TaskStatus.REJECTED and record.reasons == (Reason.UNSOLVABLE,)


def test_the_same_source_reformatted_is_a_duplicate(tmp_path):
    first = cart_spec()
    second = cart_spec(CART.replace('    """A cart."""', '    """A shopping cart, reworded."""\n    # comment'))
    with Bank.open(tmp_path / "bank.db") as bank:
        bank.add_environment(first)
        record = bank.add_environment(second.model_copy(update={"prompt": "Another wording of the task."}))
    assert record.reasons == (Reason.DUPLICATE,) and record.duplicate_of == first.id


def test_the_same_tools_for_the_same_prompt_are_a_duplicate(tmp_path):
    first = cart_spec()
    second = cart_spec(CART.replace("self.items[name] = self.items.get(name, 0) + qty",
                                    "self.items[name] = qty + self.items.get(name, 0)"))
    with Bank.open(tmp_path / "bank.db") as bank:
        bank.add_environment(first)
        assert bank.add_environment(second).duplicate_of == first.id


def test_different_tools_are_not_a_duplicate(tmp_path):
    first = cart_spec()
    second = cart_spec(CART.replace("def add(self, name: str, qty: int)", "def put(self, name: str, qty: int)"),
                       reference_calls=[{"tool": "put", "args": {"name": "apple", "qty": 2}}])
    with Bank.open(tmp_path / "bank.db") as bank:
        bank.add_environment(first)
        assert bank.add_environment(second).status is TaskStatus.ADMITTED


def test_export_writes_admitted_environments_as_spec_lines(tmp_path):
    spec = cart_spec()
    with Bank.open(tmp_path / "bank.db") as bank:
        bank.add_environment(spec)
        bank.add_environment(cart_spec(response="1"), rejected(cart_spec(response="1")))
        lines = list(bank.export_environments())
    assert [parse_spec_line(json.loads(line)) for line in lines] == [spec]
