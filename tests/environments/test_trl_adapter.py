"""The TRL adapter: one class per environment whose tools mirror the environment's and run in its session."""

from __future__ import annotations

import inspect
import itertools

import pytest
from transformers.utils import get_json_schema

from trainer.environments import EnvironmentReward, adapter_class, environment_rows, final_answer

from .conftest import cart_spec, example_specs


@pytest.fixture()
def cart(sessions):
    return adapter_class(cart_spec(), sessions)()


def test_the_adapter_offers_exactly_the_environment_tools():
    cls = adapter_class(cart_spec(), None)
    public = [n for n, _ in inspect.getmembers(cls, predicate=inspect.isfunction) if not n.startswith("_")]
    assert public == ["add", "reset"]


def test_each_tool_has_the_json_schema_transformers_builds_from_its_signature():
    schema = get_json_schema(adapter_class(cart_spec(), None).add)["function"]
    assert schema["parameters"]["properties"] == {"name": {"type": "string", "description": "item name"},
                                                  "qty": {"type": "integer", "description": "units"}}
    assert schema["description"] == "Add units of an item."


def test_reset_opens_a_session_for_the_row_seed_and_returns_its_observation(cart):
    assert cart.reset(prompt=[], env_seed=0).startswith("\n\napples cost ")


def test_tool_calls_are_proxied_to_the_session(cart):
    cart.reset(env_seed=0)
    assert cart.add(name="apple", qty=2) == '{"apple": 2}'


def test_a_raising_tool_raises_for_trl_to_show_the_error(cart):
    cart.reset(env_seed=0)
    with pytest.raises(RuntimeError, match="no item pear"):
        cart.add(name="pear", qty=1)


def test_the_reward_is_the_score_of_the_final_answer(cart):
    observation = cart.reset(env_seed=0)
    cart.add(name="apple", qty=2)
    price = int(observation.split()[-1])
    completion = [{"role": "assistant", "content": "", "tool_calls": []},
                  {"role": "tool", "name": "add", "content": "{}"}, {"role": "assistant", "content": str(2 * price)}]
    assert EnvironmentReward()(completions=[completion], environments=[cart]) == [1.0]


def test_an_infrastructure_failure_is_a_reward_of_none(sessions):
    adapter = adapter_class(cart_spec(), sessions)()
    adapter.reset(env_seed=0)
    adapter._rollout.session._worker.process.close()  # the sandbox dies mid-rollout
    assert EnvironmentReward()(completions=["4"], environments=[adapter]) == [None]


def test_a_rollout_that_ends_on_a_tool_result_answers_nothing():
    assert final_answer([{"role": "assistant", "content": "x"}, {"role": "tool", "content": "y"}]) == ""


def test_family_rows_draw_a_fresh_seed_per_row_and_others_keep_the_reference_seed():
    specs = example_specs()
    rows = list(itertools.islice(environment_rows(specs, seed=0), 3 * len(specs)))
    by_env: dict[str, list[int]] = {}
    for row in rows:
        by_env.setdefault(row["environment"], []).append(row["env_seed"])
    family = next(s for s in specs if "solve" in s.environment)
    plain = next(s for s in specs if "solve" not in s.environment)
    assert len(set(by_env[family.id])) == 3
    assert set(by_env[plain.id]) == {plain.reference.seed}


def test_calls_past_max_turns_are_refused(sessions):
    spec = cart_spec().model_copy(update={"metadata": {"max_turns": 1}})
    adapter = adapter_class(spec, sessions)()
    adapter.reset(env_seed=0)
    adapter.add(name="apple", qty=1)
    with pytest.raises(RuntimeError, match="tool call limit of 1"):
        adapter.add(name="apple", qty=1)
