"""Generation in budgeted waves: the one loop every drafting stage (generate, evolve) runs its requests through.

A wave is as many requests as the executor's workers can keep busy (``batch_size`` per worker). Before each wave
the budget is checked and the wave trimmed to the drafts it still allows, so a run stops between waves, never
in the middle of one, and what was not drafted is known exactly (the caller counts what the waves consumed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from synth.backends.base import Generation, GenerationRequest, GeneratorBackend
from synth.budget import BudgetTracker
from synth.executor import Executor

T = TypeVar("T")


def generate_in_waves(items: Sequence[T], request_of: Callable[[T], GenerationRequest], backend: GeneratorBackend,
                      executor: Executor, tracker: BudgetTracker) -> Iterator[tuple[Sequence[T], list[Generation]]]:
    """Yield ``(items of the wave, their generations)`` until every item is drafted or the budget runs out."""
    wave = backend.batch_size * max(1, executor.workers)
    i = 0
    while i < len(items) and tracker.exhausted() is None:
        left = tracker.drafts_left()
        take = items[i:i + (wave if left is None else min(wave, left))]
        i += len(take)
        requests = [request_of(item) for item in take]
        batches = [requests[k:k + backend.batch_size] for k in range(0, len(requests), backend.batch_size)]
        gens = [g for batch in executor.map(backend.generate, batches) for g in batch]
        tracker.spend(len(gens), sum(g.completion_tokens for g in gens))
        yield take, gens
