"""Rolling a policy out in an environment for evaluation, as TRL's tool loop does in training.

``synth.replay`` measures a held-out replay environment (:mod:`synth.env_replay`) by rolling the policy out k times
from the environment's reference seed, each in its own sandboxed session (:class:`verifier.env_rollout.Rollout`,
the same session semantics the TRL adapter uses), and scoring the final answer with the environment's ``score``.
Each rollout, as in TRL 1.16's ``_tool_call_loop``:

1. the prompt is the environment's, the observation appended to the last user message; the tools are offered as
   the JSON schemas TRL builds (:func:`verifier.env_rollout.tool_schemas`) through ``GenerationRequest.tools``;
2. the policy's reply is parsed by :class:`ToolCallParser`: transformers' response parser with the response
   template TRL sets for the policy's chat template (``trl.chat_template_utils.add_response_schema``), or TRL's
   template for the ``<tool_call>{json}</tool_call>`` format (Qwen2.5/Qwen3, the chat template the tiny test
   models use) when the backend has no tokenizer; a reply the parser cannot read is plain text, as in TRL;
3. a reply with tool calls gets them run in order, each answered by a ``tool`` message (the tool's return, or
   ``{'error': ...}`` for an unknown tool, a refused call or a raising tool, written as TRL writes it), and the
   policy replies again, for at most ``metadata.max_turns`` (default 8) rounds;
4. the answer is the content of the last reply; its reward is ``score`` (0.0 for a step the environment or the
   policy broke; None, left out of the pass rate, for a sandbox failure or a reply the backend never produced).

Rollouts of one environment advance together, one generation request each per round (key
``<environment id>/s<sample>/t<round>``, seed ``sampling seed + sample``), so a recorded backend can replay them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from synth.backends.base import GenerationRequest, GeneratorBackend
from synth.executor import Executor
from task_bank.environment import DEFAULT_TURNS, EnvironmentSpec
from task_bank.environment_tools import read_tools
from task_bank.errors import ConfigError
from task_bank.spec import Message
from verifier.env_rollout import Rollout, ToolRefused, tool_schemas
from verifier.sessions import SessionPool


class ParsedCall(BaseModel):
    """One tool call read from a reply."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    """The tool the policy called."""
    arguments: JsonValue = None
    """Its arguments (a JSON object when well formed)."""


class PolicyReply(BaseModel):
    """A reply as the chat template's response parser reads it: the text content and the tool calls."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    content: str = ""
    calls: tuple[ParsedCall, ...] = ()


class ToolCallParser:
    """Reads a reply the way TRL's tool loop does (see the module docstring)."""

    def __init__(self, template: dict[str, Any] | None = None) -> None:
        from trl.chat_template_utils import qwen3_template

        self.template = template or qwen3_template
        """The transformers response template (``response_template``) the reply is parsed with."""

    @classmethod
    def for_tokenizer(cls, tokenizer: Any) -> "ToolCallParser":
        """The parser TRL would use for ``tokenizer``'s chat template; ConfigError when TRL knows no parser for it
        (such a policy cannot be trained on environments either)."""
        from trl.chat_template_utils import add_response_schema

        template = tokenizer.response_template
        if template is None:
            try:
                template = add_response_schema(tokenizer).response_template
            except ValueError:
                raise ConfigError("the policy's chat template has no known tool-call format (TRL's "
                                  "add_response_schema does not recognise it); held-out environments need a "
                                  "tool-capable chat template", field="--policy") from None
        return cls(template)

    def parse(self, text: str, tools: Sequence[dict[str, Any]] = ()) -> PolicyReply:
        """The reply's content and tool calls; unreadable tool-call markup makes it plain text."""
        from transformers.utils.chat_parsing import parse_response

        try:
            parsed = parse_response(text, self.template, prefix="", tools=list(tools) or None)
            calls = tuple(_call(c) for c in parsed.get("tool_calls") or ())
        except (ValueError, TypeError, KeyError, AttributeError):
            return PolicyReply(content=text)
        return PolicyReply(content=str(parsed.get("content") or ""), calls=calls)


def _call(raw: Any) -> ParsedCall:
    """A parsed call in either shape TRL accepts (``{"function": {...}}`` or flat); ValueError otherwise."""
    function = raw.get("function", raw) if isinstance(raw, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise ValueError("a tool call without a name")
    return ParsedCall(name=function["name"], arguments=function.get("arguments") or {})


class RolloutResult(BaseModel):
    """One rollout: its reward, its tool calls and how many rounds it took."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reward: float | None = Field(ge=0.0, le=1.0)
    """``score`` of the final answer; None when it could not be scored (sandbox failure, no reply)."""
    tool_calls: int = Field(ge=0)
    """Tool calls the policy made (refused and failed ones included)."""
    rounds: int = Field(ge=0)
    """Replies the policy gave."""
    answer: str = ""
    """The final answer scored."""


@dataclass
class _Live:
    sample: int
    rollout: Rollout
    messages: list[Message]
    rounds: int = 0
    calls: int = 0
    answer: str | None = None
    silent: bool = False
    """The backend produced no reply: the rollout is not scored."""


def _prompt(spec: EnvironmentSpec, suffix: str | None) -> list[Message]:
    """The environment's prompt with the observation appended to the last user message (a new user message when
    the prompt has none)."""
    messages = [Message.model_validate(m) for m in spec.chat_prompt()]
    if suffix:
        users = [i for i, m in enumerate(messages) if m.role == "user"]
        if users:
            messages[users[-1]] = messages[users[-1]].model_copy(
                update={"content": messages[users[-1]].content + suffix})
        else:
            messages.append(Message(role="user", content=suffix.lstrip()))
    return messages


def _tool_message(rollout: Rollout, call: ParsedCall, names: set[str]) -> Message:
    """The ``tool`` message answering one call, as TRL writes it (``str`` of the return or of ``{"error": ...}``)."""
    try:
        if call.name not in names:
            raise ToolRefused(f"Tool {call.name} not found.")
        if not isinstance(call.arguments, dict):
            raise ToolRefused("tool call arguments must be a JSON object")
        content = rollout.call(call.name, call.arguments)
    except ToolRefused as exc:
        content = str({"error": str(exc)})
    return Message(role="tool", content=content)


def roll_out(spec: EnvironmentSpec, backend: GeneratorBackend, parser: ToolCallParser, pool: SessionPool,
             executor: Executor, k: int) -> list[RolloutResult]:
    """``k`` rollouts of ``backend``'s policy in ``spec`` from its reference seed (see the module docstring)."""
    if not backend.renders_tools:
        raise ConfigError(f"the {backend.name} backend does not show tools to the policy; roll environments out "
                          f"with the transformers backend (or recorded replies)", field="--backend")
    interface = read_tools(spec.environment)
    tools = tuple(tool_schemas(interface))
    names = {t.name for t in interface.tools}
    rounds = spec.max_turns or DEFAULT_TURNS
    base = backend.sampling.seed or 0
    every: list[_Live] = []
    try:
        for sample in range(k):
            rollout = Rollout.start(pool, spec, spec.reference.seed)
            every.append(_Live(sample, rollout, _prompt(spec, rollout.suffix)))
        live = list(every)
        while live:
            requests = [GenerationRequest(key=f"{spec.id}/s{r.sample}/t{r.rounds}", messages=tuple(r.messages),
                                          tools=tools, seed=base + r.sample) for r in live]
            size = backend.batch_size
            batches = [requests[i:i + size] for i in range(0, len(requests), size)]
            replies = [g.text for batch in executor.map(backend.generate, batches) for g in batch]
            going = []
            for r, text in zip(live, replies, strict=True):
                if text is None:
                    r.silent = True
                    continue
                r.rounds += 1
                reply = parser.parse(text, tools)
                r.messages.append(Message(role="assistant", content=text))
                if reply.calls and r.rounds <= rounds:
                    r.calls += len(reply.calls)
                    r.messages.extend(_tool_message(r.rollout, call, names) for call in reply.calls)
                    going.append(r)
                else:
                    r.answer = reply.content
            live = going
        return [RolloutResult(reward=None if r.silent else r.rollout.reward(r.answer or ""), tool_calls=r.calls,
                              rounds=r.rounds, answer=r.answer or "") for r in every]
    finally:
        for r in every:
            r.rollout.close()
