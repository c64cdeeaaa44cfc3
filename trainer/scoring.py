"""What the reward function asks of the verifier layer and the bank, and how a verifier result becomes a reward.

Shared by :mod:`trainer.reward` (the in-group rewards) and :mod:`trainer.background_checks` (the same responses
scored again alone, and canaries), so both read an outcome the same way (docs/SPEC.md, "Verifier outcomes").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from task_bank import Outcome, ScoreResult, TaskRecord
from verifier.limits import RunEnv

ZERO_OUTCOMES = frozenset({Outcome.CRASHED, Outcome.TIMEOUT, Outcome.INVALID})
"""Outcomes caused by the response (or its run): reward 0.0."""


class ScoringPool(Protocol):
    """The part of ``verifier``'s pool the reward function uses."""

    def score_batch(self, items: Sequence[tuple[str, str]], run_env: RunEnv | None = None) -> list[ScoreResult]:
        """Score ``(verifier_source, response)`` pairs of mixed tasks, results in input order; ``run_env``: the
        environment (None: training's), and whether to record the requests of each response's runs."""


class TaskLookup(Protocol):
    """The part of the bank the reward function uses."""

    def find(self, task_id: str) -> TaskRecord | None:
        """The stored task, or None."""


def reward_of(result: ScoreResult) -> float | None:
    """The GRPO reward for one verifier result: the score, 0.0 for a response's fault, None for the sandbox's."""
    if result.outcome is Outcome.SCORED:
        return result.score
    if result.outcome in ZERO_OUTCOMES:
        return 0.0
    return None


def completion_text(completion: Any) -> str:
    """The response a verifier sees: a plain completion, or the assistant turns of a chat completion joined.

    Never raises for the shape of a completion (red-team round 28: a message with ``content: None`` or without it,
    content as a list of parts, a bare message or ``None`` raised here and would have ended training): a missing or
    ``None`` content adds nothing, a list of parts adds its ``text`` parts, a bare message is a one-turn chat."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        completion = [completion]
    if not isinstance(completion, (list, tuple)):
        return ""
    parts: list[str] = []
    for message in completion:
        if not isinstance(message, dict) or message.get("role", "assistant") != "assistant":
            continue
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, (list, tuple)):
            parts += [part["text"] for part in content if isinstance(part, dict) and isinstance(part.get("text"), str)]
    return "".join(parts)
