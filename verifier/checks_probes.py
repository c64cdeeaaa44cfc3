"""The responses validation scores for one task (its probes), and the order each determinism run scores them in.

Every probe of a task is scored in one sandbox group, so a cheap verifier is loaded once per run instead of once per
response. The trivial responses are the cheap tricks a policy finds first: say nothing, say whitespace, repeat the
question, or spray every plausible answer at once (the junk string holds the numbers 0..2999, yes/no, true/false and
the letters of a multiple-choice answer). A verifier that pays any of them more than the trivial threshold is hackable.

Those four are fixed, so a hostile verifier can score them 0 and pay everything else 1.0. Two more trivial probes are
drawn afresh for every validation from an unpredictable source (a random integer and a random run of letters):
such a verifier pays them and is rejected as ``trivial``. An honest verifier scores them low whatever they are, so
the verdict does not depend on the draw; only a verifier that would be hackable anyway can notice the difference.
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence
from enum import Enum

from pydantic import BaseModel, ConfigDict

from task_bank.spec import TaskSpec


class ProbeKind(str, Enum):
    """Why a response is scored during validation."""

    REFERENCE = "reference"
    FAILURE_CASE = "failure_case"
    TRIVIAL = "trivial"


class Probe(BaseModel):
    """One response validation scores, with what it is for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ProbeKind
    """reference, failure_case or trivial."""
    label: str
    """Where it came from, e.g. ``failure_cases[2]`` or ``trivial:prompt_echo``."""
    response: str
    """The text handed to ``verify``."""


_JUNK_WORDS = " yes no Yes No YES NO true false True False null None A B C D E (A) (B) (C) (D) [] {} "


def junk_response(length: int) -> str:
    """A deterministic shotgun answer of exactly ``length`` characters: many numbers, words and choices at once."""
    seed = " ".join(str(i) for i in range(3000)) + _JUNK_WORDS + "-1 0.5 1.0 3.14 1e9 -273.15 "
    return (seed * (length // len(seed) + 1))[:length]


UNPREDICTABLE_LABELS = ("trivial:random_number", "trivial:random_letters")
"""Labels of the probes :func:`unpredictable_responses` draws (``trivial:`` + its keys)."""


def unpredictable_responses(rng: random.Random) -> dict[str, str]:
    """A random integer (up to nine digits) and a random run of 6-40 lowercase letters, drawn from ``rng``."""
    return {"random_number": str(rng.randrange(10 ** rng.randrange(3, 10))),
            "random_letters": "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randrange(6, 41)))}


def build_probes(spec: TaskSpec, junk_chars: int, rng: random.Random | None = None) -> tuple[Probe, ...]:
    """Reference first, then each failure case, then the trivial responses (``rng``: the unpredictable ones' source,
    the operating system's by default)."""
    probes = [Probe(kind=ProbeKind.REFERENCE, label="reference", response=spec.reference)]
    probes += [Probe(kind=ProbeKind.FAILURE_CASE, label=f"failure_cases[{i}]", response=case)
               for i, case in enumerate(spec.failure_cases)]
    trivial = {"empty": "", "whitespace": " \n\t  \n", "prompt_echo": spec.prompt_text,
               "junk": junk_response(junk_chars), **unpredictable_responses(rng or random.SystemRandom())}
    probes += [Probe(kind=ProbeKind.TRIVIAL, label=f"trivial:{name}", response=text) for name, text in trivial.items()]
    return tuple(probes)


def unpredictable_indices(probes: Sequence[Probe]) -> list[int]:
    """Indices of the probes drawn afresh for every validation (see :func:`unpredictable_responses`)."""
    return [i for i, probe in enumerate(probes) if probe.label in UNPREDICTABLE_LABELS]


def run_order(n_probes: int, run: int, repeats: int, leads: Sequence[int] = ()) -> list[int]:
    """Probe indices one run scores, in order.

    Run 0 scores the reference (index 0) first and alone-able, then every other probe ``repeats`` times back to
    back, then the reference again: a second call that differs from the first (state leaking between calls in one
    interpreter) shows up as a changed score, even when the pool splits the run into groups. Later runs score every
    probe once, each in a different rotation, so the call order differs from run to run.

    ``leads`` (the unpredictable probes) open every process after the reference's own call: run 0's rest starts
    with them and each later run's rotation starts at one of them. Why: a verifier that remembered the first
    response its process scored, and behaved only when that was a text its author knew (the reference, a failure
    case, a fixed probe), passed validation and paid every training sample 1.0; now such a verifier meets an
    answer nobody could predict first, pays it, and is rejected as ``trivial``.
    """
    if n_probes == 0:
        return []
    leads = [i for i in leads if 0 < i < n_probes]
    if run == 0:
        rest = leads + [i for i in range(1, n_probes) if i not in leads]
        return [0] + [i for i in rest for _ in range(repeats)] + [0] * (repeats - 1)
    shift = leads[(run - 1) % len(leads)] if leads else run % n_probes
    base = list(range(n_probes))
    return base[shift:] + base[:shift]
