"""Environment spec v1: the record, its id, and the tool signatures read from its source without running it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from task_bank.environment import EnvironmentSpec, parse_spec_line
from task_bank.environment_tools import ToolSpecError, read_tools
from task_bank.spec import TaskSpec

from .conftest import CART, cart_spec


def test_a_line_without_kind_is_a_task_spec():
    line = {"prompt": "p", "verifier": "def verify(r):\n    return 1.0\n", "reference": "a", "failure_cases": ["b"]}
    assert isinstance(parse_spec_line(line), TaskSpec)


def test_a_line_with_kind_environment_is_an_environment_spec():
    assert isinstance(parse_spec_line(cart_spec().model_dump(mode="json")), EnvironmentSpec)


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown kind"):
        parse_spec_line({"kind": "game", "prompt": "p"})


def test_the_id_is_derived_from_content_and_prefixed_e():
    spec = cart_spec()
    assert spec.id.startswith("e_") and spec.id == cart_spec().id
    assert cart_spec(response="99").id != spec.id


def test_an_environment_needs_a_failure_case():
    data = cart_spec().model_dump(mode="json") | {"failure_cases": []}
    with pytest.raises(ValidationError):
        EnvironmentSpec.model_validate(data)


def test_tools_are_the_public_methods_but_reset_score_and_solve():
    tools = read_tools(CART).tools
    assert [t.name for t in tools] == ["add"]
    assert [(p.name, p.annotation, p.description) for p in tools[0].params] == [
        ("name", "str", "item name"), ("qty", "int", "units")]
    assert tools[0].render() == "add(name: str, qty: int) -> dict"


def test_a_tool_without_docstring_is_refused():
    with pytest.raises(ToolSpecError, match="no docstring"):
        read_tools(CART.replace('        """Add units of an item.\n\n        Args:\n            name: item name\n'
                                '            qty: units\n        """\n', ""))


def test_a_tool_argument_without_a_json_type_is_refused():
    with pytest.raises(ToolSpecError, match="typed object"):
        read_tools(CART.replace("qty: int)", "qty: object)"))


def test_a_source_without_class_env_is_refused():
    with pytest.raises(ToolSpecError, match="class Env"):
        read_tools("class Game:\n    pass\n")


def test_solve_marks_a_seeded_family_and_changes_the_signature_key():
    plain = read_tools(CART)
    family = read_tools(CART + "\n    def solve(self) -> dict:\n        return {}\n")
    assert family.has_solve and not plain.has_solve
    assert family.signature_key != plain.signature_key


def test_every_example_source_file_is_the_environment_of_one_shipped_line():
    from .conftest import EXAMPLES, example_specs

    sources = [spec.environment for spec in example_specs()]
    files = sorted(EXAMPLES.parent.glob("*.py"))
    assert len(files) == len(sources) >= 5
    assert all(sources.count(path.read_text()) == 1 for path in files)
