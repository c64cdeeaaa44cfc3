"""A policy's rollout in an environment: how a policy meets a sandboxed session, the same in training and evaluation.

TRL's tool loop in training (:mod:`trainer.environments`) and ``synth.replay``'s rollouts of held-out replay
environments (:mod:`synth.env_rollout`) put a policy in front of an environment in exactly one way, this one:

- :meth:`Rollout.start` opens a session for the environment and seed; :attr:`Rollout.suffix` is what is appended
  to the last user message (a blank line and the observation ``reset`` returned; None when there is none or the
  reset failed);
- :meth:`Rollout.call` is one tool call as the policy sees it: the tool's return as text
  (:meth:`~task_bank.environment_results.StepResult.for_policy`), or :class:`ToolRefused` carrying the message the
  policy reads as an error: the environment is unavailable, the ``max_turns`` limit is reached, the tool raised,
  or the step ended the session;
- :meth:`Rollout.reward` scores the final answer and closes the session: ``score`` in [0, 1]; 0.0 when the
  environment or the policy broke a step (``crashed``, ``timeout``, ``invalid``); None for a sandbox failure, so
  infrastructure never becomes a reward of 0 (TRL skips None; evaluation leaves the sample unscored).

:func:`tool_method` builds the Python method TRL reads a tool's schema from (typed signature and Google-style
docstring from the environment's own declaration, :mod:`task_bank.environment_tools`); :func:`tool_schemas` gives the
same schemas (``transformers.utils.get_json_schema``) for a chat template's ``tools=``, so an evaluated policy is
shown the tools exactly as training showed them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import JsonValue

from task_bank.environment import EnvironmentSpec
from task_bank.environment_results import ENDS_SESSION, StepOutcome, StepResult
from task_bank.environment_tools import EnvInterface, ToolSignature
from verifier.sessions import Session, SessionPool

_TYPES: dict[str, Any] = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict}


class ToolRefused(RuntimeError):
    """A tool call the policy sees as an error message (TRL turns a raising tool into ``{"error": ...}``)."""


class Rollout:
    """One policy rollout's session: reset, tool calls under ``max_turns``, and the reward of the final answer."""

    def __init__(self, session: Session, max_turns: int | None) -> None:
        self.session = session
        """The sandboxed session (closed by :meth:`reward` or :meth:`close`)."""
        self.max_turns = max_turns
        """Tool calls the rollout may make (None: no limit of its own)."""
        self.calls = 0
        """Tool calls made so far, refused ones included."""
        observation = session.observation
        self._broken: StepResult | None = observation if observation.outcome is not StepOutcome.OK else None

    @classmethod
    def start(cls, pool: SessionPool, spec: EnvironmentSpec, seed: int) -> "Rollout":
        """A session of ``spec`` reset with ``seed``, from ``pool``."""
        return cls(pool.open(spec.environment, seed), spec.max_turns)

    @property
    def suffix(self) -> str | None:
        """What to append to the last user message: ``"\\n\\n" + observation``, or None."""
        value = self.session.observation.value
        if self._broken is not None or not value:
            return None
        return f"\n\n{value}"

    def call(self, name: str, args: dict[str, JsonValue]) -> str:
        """Call one tool; its return as the policy reads it, or ToolRefused with the error it reads instead."""
        if self._broken is not None or not self.session.alive:
            raise ToolRefused("the environment is not available")
        self.calls += 1
        if self.max_turns is not None and self.calls > self.max_turns:
            raise ToolRefused(f"tool call limit of {self.max_turns} reached; give your final answer")
        result = self.session.call(name, args)
        if result.outcome is StepOutcome.OK:
            return result.for_policy()
        if result.outcome in ENDS_SESSION:
            self._broken = result
        raise ToolRefused(result.detail or result.outcome.value)

    def reward(self, answer: str) -> float | None:
        """``score(answer)`` (see the module docstring for 0.0 and None); closes the session."""
        try:
            result = self.session.score(answer) if self._broken is None else self._broken
            if result.outcome is StepOutcome.SCORED:
                return result.score
            return None if result.outcome is StepOutcome.ERROR else 0.0
        finally:
            self.close()

    def close(self) -> None:
        """Close the session; idempotent."""
        self.session.close()


def tool_method(signature: ToolSignature) -> Callable[..., str]:
    """A method named after the tool, with its typed signature and a Google-style docstring, whose body calls
    ``self._call(name, kwargs)`` (the owning class proxies it to a :class:`Rollout`)."""
    import inspect

    def tool(self: Any, **kwargs: Any) -> str:
        return self._call(signature.name, kwargs)

    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    annotations: dict[str, Any] = {}
    for param in signature.params:
        hint = eval(param.annotation, {"__builtins__": {}}, _TYPES)  # names checked by read_tools: JSON types only
        annotations[param.name] = hint
        params.append(inspect.Parameter(param.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=hint,
                                        default=inspect.Parameter.empty if param.required else param.default))
    annotations["return"] = str
    lines = [signature.summary or signature.name]
    if signature.params:
        lines += ["", "Args:"] + [f"    {p.name}: {p.description or p.name}" for p in signature.params]
    tool.__name__ = tool.__qualname__ = signature.name
    tool.__doc__ = "\n".join(lines)
    tool.__signature__ = inspect.Signature(params, return_annotation=str)  # type: ignore[attr-defined]
    tool.__annotations__ = annotations
    return tool


def tool_schemas(interface: EnvInterface) -> list[dict[str, Any]]:
    """The JSON schema of every tool, as TRL builds it from :func:`tool_method` (``get_json_schema``), in the
    ``{"type": "function", "function": {...}}`` form a chat template's ``tools=`` takes."""
    from transformers.utils import get_json_schema

    return [get_json_schema(tool_method(t)) for t in interface.tools]
