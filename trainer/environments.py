"""GRPO on environments through TRL's ``environment_factory``: one adapter class per environment, sessions behind it.

TRL 1.16 builds one instance per rollout from a factory, calls ``reset(**row)`` before generation, offers every
other public method of the class as a tool (schema from type hints and a Google-style docstring), and passes the
instances to reward functions as ``environments``. For each admitted environment :func:`adapter_class` makes a class
whose tools are built from the environment's own signatures (read statically from its source, see
:mod:`task_bank.environment_tools`; :func:`verifier.env_rollout.tool_method`) and proxied to a sandboxed session
(:class:`verifier.env_rollout.Rollout` over :mod:`verifier.sessions`); the ``Env`` code
never runs in the trainer's process. ``environment_factory`` is the dict ``{environment id: class}``; each dataset row
names its environment and a seed (:func:`environment_rows`, an endless stream). A row's ``env_seed`` is the
reference seed, or, for a seeded family (one with ``solve``), a fresh seed per row: every rollout of a GRPO group
shares its row, hence its seed, and every group sees a new variant.

:class:`EnvironmentReward` is the reward: ``score`` of the final answer (the last assistant message) in the
rollout's session. A step the environment or the policy broke (``crashed``, ``timeout``, ``invalid``) earns 0.0;
a sandbox failure earns ``None`` (TRL skips it): infrastructure never becomes a reward of 0. The session is closed
once scored.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from typing import Any

from datasets import IterableDataset

from task_bank.environment import EnvironmentSpec
from task_bank.environment_tools import read_tools
from verifier.env_rollout import Rollout, ToolRefused, tool_method
from verifier.sessions import SessionPool

SEED_RANGE = 2**31
"""Family seeds for training are drawn from [0, SEED_RANGE)."""

ToolError = ToolRefused
"""A tool call the policy sees as ``{"error": ...}`` (TRL turns a raising tool into that message)."""


class EnvironmentAdapter:
    """Base of the per-environment classes; only ``reset`` is public (TRL would offer any other method as a tool).

    The policy-facing semantics (observation, tool calls under ``max_turns``, the reward) are
    :class:`verifier.env_rollout.Rollout`'s, shared with ``synth.replay``'s evaluation rollouts."""

    spec: EnvironmentSpec
    pool: SessionPool

    def __init__(self) -> None:
        self._rollout: Rollout | None = None

    def reset(self, **row: Any) -> str | None:
        """Open a fresh session for this row's seed; the observation is appended to the prompt."""
        self._close()
        self._rollout = Rollout.start(self.pool, self.spec, int(row["env_seed"]))
        return self._rollout.suffix

    def _call(self, name: str, args: dict[str, Any]) -> str:
        if self._rollout is None:
            raise ToolError("the environment is not available")
        return self._rollout.call(name, args)

    def _score(self, answer: str) -> float | None:
        """The rollout's reward; closes the session."""
        if self._rollout is None:
            return None
        rollout, self._rollout = self._rollout, None
        return rollout.reward(answer)

    def _close(self) -> None:
        if self._rollout is not None:
            self._rollout.close()
            self._rollout = None


def adapter_class(spec: EnvironmentSpec, pool: SessionPool) -> type[EnvironmentAdapter]:
    """The TRL environment class of ``spec``: ``reset`` plus one proxy method per tool, sessions from ``pool``."""
    interface = read_tools(spec.environment)
    members: dict[str, Any] = {"spec": spec, "pool": pool, "__doc__": f"Environment {spec.id}."}
    members.update({t.name: tool_method(t) for t in interface.tools})
    return type(f"Environment_{spec.id}", (EnvironmentAdapter,), members)


def environment_factories(specs: Sequence[EnvironmentSpec], pool: SessionPool) -> dict[str, type[EnvironmentAdapter]]:
    """``environment_factory`` for GRPOTrainer: environment id -> adapter class."""
    return {spec.id: adapter_class(spec, pool) for spec in specs}


def _rows(environments_json: str, seed: int) -> Iterator[dict[str, Any]]:
    """Rows forever, one per environment in turn; a family's ``env_seed`` is drawn afresh for every row.

    The environments travel as JSON text: ``datasets`` splits a list in ``gen_kwargs`` into shards."""
    environments = json.loads(environments_json)
    rng = random.Random(seed)
    while True:
        for env in environments:
            env_seed = rng.randrange(SEED_RANGE) if env["family"] else env["seed"]
            yield {"prompt": env["prompt"], "environment": env["id"], "env_seed": env_seed}


def environment_rows(specs: Sequence[EnvironmentSpec], seed: int) -> IterableDataset:
    """The endless training stream ``{prompt, environment, env_seed}``: environments in turn; families get a
    fresh seed per row (an endless supply of variants), others their reference seed. A fixed function of ``seed``;
    TRL must not shuffle it (``shuffle_dataset=False``, as ``trainer.grpo`` sets)."""
    environments = [{"id": spec.id, "prompt": spec.chat_prompt(), "seed": spec.reference.seed,
                     "family": read_tools(spec.environment).has_solve} for spec in specs]
    return IterableDataset.from_generator(_rows, gen_kwargs={"environments_json": json.dumps(environments),
                                                             "seed": seed})


def final_answer(completion: str | Sequence[dict[str, Any]]) -> str:
    """The answer ``score`` judges: the content of the last assistant message (empty when the rollout ended on a
    tool result)."""
    if isinstance(completion, str):
        return completion
    last = completion[-1] if completion else {}
    return str(last.get("content") or "") if last.get("role") == "assistant" else ""


class EnvironmentReward:
    """TRL reward function: each rollout's environment scores its final answer."""

    def __init__(self) -> None:
        self.__name__ = "environment"

    def __call__(self, completions: list[Any], environments: list[EnvironmentAdapter],
                 **kwargs: Any) -> list[float | None]:
        """Rewards in order. ``kwargs`` are TRL's extras (dataset columns, ``log_metric``); only ``log_metric`` is
        used."""
        rewards = [env._score(final_answer(c)) for env, c in zip(environments, completions, strict=True)]
        log_metric = kwargs.get("log_metric")
        if log_metric is not None:
            scored = [r for r in rewards if r is not None]
            log_metric("environment/infrastructure_errors", float(len(rewards) - len(scored)))
            log_metric("environment/solved", sum(r == 1.0 for r in scored) / len(scored) if scored else 0.0)
        return rewards
