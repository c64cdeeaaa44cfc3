"""A tool default that is not a plain JSON value is a rule broken, never a crash (issue 16, red-team findings).

``def add(self, name: str, qty: int = {[]: 1})`` raised TypeError out of the reader and ended ``validate``,
``task_bank import`` and ``synth.generate`` with no verdict for any line; a 5,000-digit hex default was admitted
and then could not be printed by ``task_bank show`` or the web view; a set default was rejected but stored, and
its record then took the web view's whole environments list down.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from task_bank.environment_store import EnvironmentRecord
from task_bank.environment_tools import ToolSpecError, read_tools
from task_bank.records import TaskStatus

from .conftest import CART, ROOT, cart_spec

HOSTILE_DEFAULTS = ["{[]: 1}", "0x" + "f" * 5000, "{1, 2}", "1j", "float('nan')", "10 ** 30", "(1, 2)",
                    "[" * 80 + "]" * 80, "{1: 2}"]


def _with_default(default: str) -> str:
    return CART.replace("def add(self, name: str, qty: int)", f"def add(self, name: str, qty: int = {default})")


@pytest.mark.parametrize("default", HOSTILE_DEFAULTS)
def test_a_default_that_is_not_a_plain_json_value_breaks_a_rule_naming_the_tool(default):
    source = _with_default(default)
    assert source != CART
    with pytest.raises(ToolSpecError, match="tool add: the default of qty"):
        read_tools(source)


def test_plain_defaults_are_read_as_they_are():
    tools = read_tools(_with_default("3"))
    assert [p.default for p in tools.tools[0].params] == [None, 3]


def test_a_stored_environment_whose_tools_cannot_be_read_has_no_interface_instead_of_an_error():
    record = EnvironmentRecord.model_construct(spec=cart_spec(_with_default("{1, 2}")), status=TaskStatus.REJECTED)
    assert record.interface is None


@pytest.mark.sandbox  # needs bubblewrap and root
def test_validate_gives_every_line_a_verdict_when_a_tool_default_is_unhashable(tmp_path):
    path = tmp_path / "envs.jsonl"
    lines = [cart_spec().to_json(), cart_spec(_with_default("{[]: 1}")).to_json(), cart_spec().to_json()]
    path.write_text("\n".join(lines) + "\n")
    done = subprocess.run([sys.executable, "-m", "verifier", "validate", str(path), "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0 and "internal error" not in done.stderr
    assert [(row["line"], row["admitted"]) for row in rows] == [(1, True), (2, False), (3, True)]
