"""What validation runs under: its thresholds and budgets (:class:`ValidationConfig`), and the environment of each
determinism run (:func:`run_env`: run 0 exactly training's, the others with a shifted clock, another hash seed and
shifted pids).

Why a module of its own: the settings are what a caller chooses (``verifier validate``'s options, ``synth.generate``,
the environments' validator), and the runs' environments are what a verifier must not tell from training; how the
validator orders and judges its calls (:mod:`verifier.validate`) is another concept.
"""

from __future__ import annotations

import math
import random

from pydantic import BaseModel, ConfigDict, Field

from task_bank.shown_text import TEXT_CHARS_LIMIT, VERIFIER_CHARS_LIMIT
from task_bank.validation import LOW_SCORE_CEILING
from verifier.limits import RunEnv, worker_hash_seed

__all__ = ["DETERMINISM_RUNS_MAX", "ValidationConfig", "near_future_offset_s", "run_env"]

# Clock shifts of determinism runs 2, 3, 4, ...: +10 years, -3 years, +30 years, each off by an odd fraction of a
# second (then again, 17 s further). Run 1's is drawn at random for each validation (near_future_offset_s).
_CLOCK_OFFSETS_S = (315_576_000.0 + 3_607.5, -94_672_800.0 - 59.25, 946_728_000.0 + 1.125)
_NEAR_FUTURE_S = (60.0, 315_576_000.0)  # the range of run 1's: a minute to ten years ahead, drawn log-uniformly
DETERMINISM_RUNS_MAX = 16
"""The most determinism runs a configuration may ask for (each has a hash seed of its own, drawn once for each
validator, whose interpreters stay warm across tasks)."""


class ValidationConfig(BaseModel):
    """Thresholds and budgets of validation. Defaults suit verifiers that score free-text answers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fail_threshold: float = Field(default=0.5, ge=0.0, le=LOW_SCORE_CEILING)
    """Every failure case must score at most this, in every call (at most ``LOW_SCORE_CEILING``: training shows
    failure cases again as canaries, and pays one only above that)."""
    trivial_threshold: float = Field(default=0.2, ge=0.0, le=LOW_SCORE_CEILING)
    """Empty, whitespace, prompt-echo, junk and the two random responses must score at most this (at most
    ``LOW_SCORE_CEILING``: the empty answer is one of training's canaries)."""
    determinism_runs: int = Field(default=3, ge=3, le=DETERMINISM_RUNS_MAX)
    """Fresh interpreters (distinct hash seed, clock offset, RNG seed) in which every probe is scored."""
    repeat_calls: int = Field(default=2, ge=2, le=8)
    """How many passes the first run makes over the probes, each in another order (a failure case that is a program
    is stood for by its renamed twins, each scored once, in the first pass; :mod:`verifier.checks_probes`)."""
    call_budget_s: float = Field(default=2.0, gt=0.0, le=120.0)
    """Wall-time budget of one ``verify`` call; slower calls reject the task with ``timeout``."""
    junk_chars: int = Field(default=20_000, ge=100, le=1_000_000)
    """Length of the junk trivial response."""
    max_verifier_chars: int = Field(default=VERIFIER_CHARS_LIMIT, ge=100)
    """Longest verifier source accepted by the schema check."""
    max_response_chars: int = Field(default=TEXT_CHARS_LIMIT, ge=100)
    """Longest reference or failure case accepted by the schema check."""
    mutant_margin: float = Field(default=0.05, ge=0.0, le=0.5)
    """A mutant scored at least 1.0 minus this is paid as much as the reference (:mod:`verifier.checks_mutants`)."""
    mutants: int = Field(default=8, ge=0, le=32)
    """Mutants of the reference scored once each, among the twins of run 0's first pass, where the reference is a
    program (it defines functions, or prints: :mod:`verifier.reference_mutants`; 0: none, and the check passes)."""
    allow_response_exec: bool = False
    """Admit a verifier that runs the response as code in its own process (old-style HumanEval imports; the
    ``--allow-response-exec`` flag). Off: such a verifier is rejected with ``executes_response``."""


def run_env(run: int, near_future_s: float = 86_400.0 + 3_607.5, hash_seed: int | None = None) -> RunEnv:
    """The environment of determinism run ``run``: its clock shift (run 1's is ``near_future_s``), its hash seed
    (``hash_seed``; None draws one) and its pid shift.

    Run 0 is exactly the training environment (``RunEnv()``: a hash seed drawn for the interpreter, the global
    ``random`` seeded from the operating system, real clock and pids), so a verifier cannot tell validation from
    training by anything it observes; later runs shift the clock and the pids in an interpreter of another hash
    seed. No run's seeds are constants: a hash or an RNG state that training always showed (hash seed 0 and RNG
    seed 0, before session 14) let a verifier recognise training through paths no static rule knows (the MIME boundary of
    ``email``, which comes from the global ``random``), behave in every validation run and pay in training. Run 1's
    clock runs ``near_future_s`` ahead: the validator draws it for each validation (:func:`near_future_offset_s`).
    Why: a time bomb (honest until a date some hours after validation, paying everything after it) read the clock
    through a function the static pass did not know; the fixed shifts (+10 years, -3 years) missed its window, and
    it was admitted 3 of 3 times and paid 16 of 16 wrong answers (red-team round 20). A shift drawn anywhere from a
    minute to ten years ahead lands in a window of a week that opens an hour after validation in a third of
    validations, and in a window of a year in more than half; a bomb cannot know where it lands."""
    if run == 0:
        return RunEnv()
    if run == 1:
        offset = near_future_s
    else:
        offset = _CLOCK_OFFSETS_S[(run - 2) % len(_CLOCK_OFFSETS_S)] + 17.0 * ((run - 2) // len(_CLOCK_OFFSETS_S))
    seed = worker_hash_seed(hash_seed)
    return RunEnv(hash_seed=seed, clock_offset_s=offset, pid_offset=run * 1_398_101)  # up to pid_max in the last runs


def near_future_offset_s(rng: random.Random) -> float:
    """Run 1's clock shift: log-uniform from a minute to ten years ahead (:data:`_NEAR_FUTURE_S`)."""
    low, high = (math.log(bound) for bound in _NEAR_FUTURE_S)
    return round(math.exp(rng.uniform(low, high)), 3)
