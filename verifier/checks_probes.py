"""The responses validation scores for one task (its probes), and the order each determinism run scores them in.

Every probe of a task is scored in one sandbox group, so a cheap verifier is loaded once per run instead of once per
response. The trivial responses are the cheap tricks a policy finds first: say nothing, say whitespace, repeat the
question, or spray every plausible answer at once (the junk string holds the numbers 0..2999, yes/no, true/false and
the letters of a multiple-choice answer). A verifier that pays any of them more than the trivial threshold is hackable.
"""

from __future__ import annotations

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


def build_probes(spec: TaskSpec, junk_chars: int) -> tuple[Probe, ...]:
    """Reference first, then each failure case, then the trivial responses."""
    probes = [Probe(kind=ProbeKind.REFERENCE, label="reference", response=spec.reference)]
    probes += [Probe(kind=ProbeKind.FAILURE_CASE, label=f"failure_cases[{i}]", response=case)
               for i, case in enumerate(spec.failure_cases)]
    trivial = {"empty": "", "whitespace": " \n\t  \n", "prompt_echo": spec.prompt_text,
               "junk": junk_response(junk_chars)}
    probes += [Probe(kind=ProbeKind.TRIVIAL, label=f"trivial:{name}", response=text) for name, text in trivial.items()]
    return tuple(probes)


def run_order(n_probes: int, run: int, repeats: int) -> list[int]:
    """Probe indices one run scores, in order.

    Run 0 scores every probe ``repeats`` times (in order, then reversed, then rotated), which catches state that
    leaks between calls in one interpreter. Later runs score every probe once, each in a different rotation, so no
    two runs see the same call order.
    """
    base = list(range(n_probes))
    if run == 0:
        order: list[int] = []
        for r in range(repeats):
            if r == 0:
                order += base
            elif r == 1:
                order += base[::-1]
            else:
                shift = r % n_probes if n_probes else 0
                order += base[shift:] + base[:shift]
        return order
    shift = run % n_probes if n_probes else 0
    return base[shift:] + base[:shift]
