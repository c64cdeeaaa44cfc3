"""Tool calls written by a policy reach the environment's session the way TRL's tool loop delivers them, in
training (the TRL adapter) and in evaluation (synth.env_rollout), with a tool-capable chat template."""

from __future__ import annotations

import inspect
import json
import shutil
from collections.abc import Sequence

import pytest
from transformers import AutoTokenizer
from trl.chat_template_utils import add_response_schema, parse_response

from synth.backends.base import Generation, GenerationRequest, GeneratorBackend
from synth.env_rollout import ToolCallParser, roll_out
from synth.executor import LocalExecutor
from synth.replay import tool_parser
from task_bank.environment_tools import read_tools
from task_bank.errors import ConfigError
from task_bank.provenance import SamplingSettings
from task_bank.spec import Message
from trainer.environments import EnvironmentReward, adapter_class
from trainer.tiny_model import tool_template
from verifier.env_rollout import tool_schemas

from .conftest import CART, cart_spec

PROMPT = [{"role": "user", "content": "Buy two apples; answer with what they cost."}]
TOOLS = tool_schemas(read_tools(CART))


def call_text(*calls: tuple[str, dict]) -> str:
    return "".join(f"<tool_call>\n{json.dumps({'name': n, 'arguments': a})}\n</tool_call>\n" for n, a in calls)


@pytest.fixture(scope="module")
def policy_dir(tiny_model_dir, tmp_path_factory):
    """The tiny model with TRL's Qwen2.5 chat template (tool-capable), as the environment GRPO test uses it."""
    into = tmp_path_factory.mktemp("tool-policy") / "policy"
    shutil.copytree(tiny_model_dir, into)
    tokenizer = AutoTokenizer.from_pretrained(into)
    tokenizer.chat_template = tool_template()
    tokenizer.save_pretrained(into)
    return into


@pytest.fixture(scope="module")
def tokenizer(policy_dir):
    return add_response_schema(AutoTokenizer.from_pretrained(policy_dir))


def trl_reads(tokenizer, text: str) -> dict:
    """What GRPOTrainer makes of a generated reply: ``parse_response`` on its ids, the prompt ids as prefix."""
    prefix = tokenizer.apply_chat_template(PROMPT, tools=TOOLS, add_generation_prompt=True, tokenize=False)
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    return parse_response(tokenizer, ids, prefix=tokenizer(prefix, add_special_tokens=False)["input_ids"],
                          tools=TOOLS)


@pytest.mark.parametrize("text", [
    call_text(("add", {"name": "apple", "qty": 2})),
    call_text(("add", {"name": "apple", "qty": 1}), ("add", {"name": "apple", "qty": 1})),
    "They cost 8.",
    "<tool_call>\n{\"name\": \"add\", \"arguments\": \n</tool_call>",
], ids=["one call", "two calls", "plain answer", "malformed call"])
def test_evaluation_reads_a_reply_as_trl_reads_it(tokenizer, text):
    trl = trl_reads(tokenizer, text)
    ours = ToolCallParser.for_tokenizer(tokenizer).parse(text, TOOLS)
    assert [(c.name, c.arguments) for c in ours.calls] == [
        (c["function"]["name"], c["function"]["arguments"]) for c in trl.get("tool_calls") or ()]
    assert ours.content.strip() == trl["content"].strip()


def test_the_trl_adapter_runs_a_tool_call_trl_parsed_from_a_generation_in_its_session(tokenizer, sessions):
    adapter = adapter_class(cart_spec(), sessions)()
    price = int(adapter.reset(env_seed=0).split()[-1])
    reply = trl_reads(tokenizer, call_text(("add", {"name": "apple", "qty": 2})))
    tools = {name: getattr(adapter, name) for name, _ in inspect.getmembers(type(adapter), inspect.isfunction)
             if name not in ("reset", "get_reward") and not name.startswith("_")}  # as GRPOTrainer builds them
    [call] = reply["tool_calls"]
    returned = tools[call["function"]["name"]](**call["function"]["arguments"])
    completion = [reply, {"role": "tool", "name": "add", "content": returned},
                  {"role": "assistant", "content": str(2 * price)}]
    assert returned == '{"apple": 2}'
    assert EnvironmentReward()(completions=[completion], environments=[adapter]) == [1.0]


def test_the_transformers_backend_shows_the_tools_with_the_chat_template(policy_dir, tokenizer):
    from synth.backends.transformers_backend import TransformersBackend

    backend = TransformersBackend(str(policy_dir), sampling=SamplingSettings(), device="cpu")
    request = GenerationRequest(key="k", messages=tuple(Message.model_validate(m) for m in PROMPT), tools=tuple(TOOLS))
    rendered = backend._render(request)
    assert rendered == tokenizer.apply_chat_template(PROMPT, tools=TOOLS, add_generation_prompt=True, tokenize=False)
    assert '"name": "add"' in rendered and tool_parser(backend).template == tokenizer.response_template


class Caller(GeneratorBackend):
    """A policy that always answers with one ``add`` call."""

    name = "caller"
    renders_tools = True

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        return [Generation(key=r.key, text=call_text(("add", {"name": "apple", "qty": 1}))) for r in requests]


def test_an_evaluation_rollout_runs_at_most_max_turns_rounds_of_tool_calls(sessions):
    spec = cart_spec().model_copy(update={"metadata": {"max_turns": 2}})
    policy = Caller(model="caller", sampling=SamplingSettings(), batch_size=4)
    with LocalExecutor(1) as executor:
        [result] = roll_out(spec, policy, ToolCallParser(), sessions, executor, k=1)
    assert (result.rounds, result.tool_calls, result.reward, result.answer) == (3, 2, 0.0, "")


def test_an_evaluation_rollout_refuses_a_backend_that_would_not_show_the_tools(sessions):
    class Blind(Caller):
        renders_tools = False

    with LocalExecutor(1) as executor, pytest.raises(ConfigError, match="does not show tools"):
        roll_out(cart_spec(), Blind(model="b", sampling=SamplingSettings(), batch_size=1), ToolCallParser(),
                 sessions, executor, k=1)
