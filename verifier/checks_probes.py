"""The responses validation scores for one task (its probes); :mod:`verifier.run_order` says in which order each
determinism run scores them.

Every probe of a task is scored in one sandbox group, so a cheap verifier is loaded once per run instead of once per
response. The trivial responses are the cheap tricks a policy finds first: say nothing, say whitespace, repeat the
question, or spray every plausible answer at once (the junk string holds the numbers 0..2999, yes/no, true/false and
the letters of a multiple-choice answer). A verifier that pays any of them more than the trivial threshold is hackable.

Those four are fixed, so a hostile verifier can score them 0 and pay everything else 1.0. Two more trivial probes are
drawn afresh for every validation from an unpredictable source (a random integer and a random run of letters):
such a verifier pays them and is rejected as ``trivial``. An honest verifier scores them low whatever they are, so
the verdict does not depend on the draw; only a verifier that would be hackable anyway can notice the difference.

A failure case that is a program gets renamed twins (:mod:`verifier.code_renaming`): the same program with its
local names and parameters drawn afresh, so it is as wrong, yet its text is new. A verifier that knew its failure
cases by their text pays a twin and is rejected as ``failure_case_passes``.

A reference that is a program gets *mutants* (:mod:`verifier.reference_mutants`): a renamed twin of the reference with
one token changed (a comparison negated, an operator swapped, a number one less), so nearly every one computes
something else, and none has the reference's text or its names. A verifier that judges what a program does pays few
of them; one that pays most of them as much as the reference judges its programs by their look, or does not look at
what they do at all (a static checker of a program's shape: red-team round 46's e1, which ran nothing and paid 109 of
109 wrong programs in training), and is rejected as ``mutant_passes`` (``checks.check_mutants``).
"""

from __future__ import annotations

import itertools
import random
import re
import string
from collections.abc import Sequence
from enum import Enum

from pydantic import BaseModel, ConfigDict

from task_bank.spec import TaskSpec
from verifier.code_renaming import every_twin, renamed
from verifier.commented import case_to_comment, commented
from verifier.reference_mutants import reference_mutants
from verifier.unmarked import case_to_copy, unmarked


class ProbeKind(str, Enum):
    """Why a response is scored during validation."""

    REFERENCE = "reference"
    FAILURE_CASE = "failure_case"
    TRIVIAL = "trivial"
    MUTANT = "mutant"
    DECOY = "decoy"  # a wrong program the validator wrote (verifier.written_decoys)
    UNMARKED = "unmarked"  # a mutant or a failure case without its author's comments and docstrings
    # (verifier.unmarked), or a failure case with a comment of the validator's in their place (verifier.commented)


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


NUMBER_LABEL = "trivial:random_number"
RANDOM_NUMBERS = 3
"""How many random numbers a validation draws: ``trivial:random_number`` and ``trivial:random_number[1]`` ...
(:func:`verifier.checks.check_trivial` counts them as one trivial answer, paid only when all are)."""
UNPREDICTABLE_LABELS = (NUMBER_LABEL, "trivial:random_letters")
"""Labels of the probes that open the processes (:func:`run_order`'s ``leads``), of those
:func:`unpredictable_responses` draws (``trivial:`` + its keys)."""


def unpredictable_responses(rng: random.Random) -> dict[str, str]:
    """A random run of 6-40 lowercase letters and :data:`RANDOM_NUMBERS` random integers (up to nine digits each),
    drawn from ``rng``. Why several numbers: one was a right answer of an open-answer task ("any multiple of 7 above
    100") about one validation in seven, and the honest task was rejected as trivial (red-team round 58, D); a
    verifier that pays any number pays all of them."""
    first, *more = [str(rng.randrange(10 ** rng.randrange(3, 10))) for _ in range(RANDOM_NUMBERS)]
    letters = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randrange(6, 41)))
    return {"random_number": first, "random_letters": letters,
            **{f"random_number[{k}]": number for k, number in enumerate(more, 1)}}


FAILURE_LABEL = "failure_cases["
"""How the labels of the failure cases, their twins and their copies open: ``failure_cases[0]``, ..."""
MUTANT_LABEL = "reference:mutant"
"""Labels of the reference's mutants: ``reference:mutant[0]``, ``reference:mutant[1]``, ..."""
UNMARKED_SUFFIX = ":unmarked"
"""Added to a mutant's label, or a failure case's, for its copy without comments and docstrings
(:mod:`verifier.unmarked`)."""
COMMENTED_SUFFIX = ":commented"
"""Added to a failure case's label for its copy with a comment of the validator's in place of its author's marks
(:mod:`verifier.commented`; kind ``unmarked`` too: neither copy carries its author's mark)."""
RENAMED_SUFFIX = ":renamed"
"""Marks the label of a failure case's renamed twin (``failure_cases[0]:renamed[1]``)."""
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CODE_SPAN = re.compile(r"`+([^`]+)`+|\b([A-Za-z_][A-Za-z0-9_]*\((?!e?s\))[^()]*\))")
_CAMEL = re.compile(r"[a-z][A-Z]")


def prompt_words(prompt: str) -> frozenset[str]:
    """The identifiers a prompt spells, prose or code: no twin's new name (a task can be about a name)."""
    return frozenset(_WORD.findall(prompt))


def prompt_names(prompt: str) -> frozenset[str]:
    """The identifiers a prompt names as code: a local a twin keeps (rename the ambiguous ``l``; call the parameter
    max_val). A word in backticks or a fence, or in a call written out (``total(xs)``, not a plural such as
    ``line(s)``: partial twins keep the parameters the prompt names, :mod:`verifier.twin_names`), or one shaped like
    a name rather than prose: with an underscore, a digit or a capital after a small letter, or of one letter (not
    "a", "A" or "I"). Why not every word: a failure case's local often shares a word of the prose ("reads one line",
    ``line = input()``), and keeping those left an honest ``main()`` no twin to make (``few_twins``; session 41's
    honest corpus)."""
    coded = {word for spans in _CODE_SPAN.findall(prompt) for span in spans for word in _WORD.findall(span)}
    shaped = {word for word in _WORD.findall(prompt)
              if "_" in word or any(c.isdigit() for c in word) or _CAMEL.search(word)
              or (len(word) == 1 and word not in ("a", "A", "I"))}
    return frozenset(coded | shaped)


def failure_case_twin(spec: TaskSpec, case: str, rng: random.Random, partial: bool = False) -> str | None:
    """A renamed twin of ``case``, one of ``spec``'s failure cases, under validation's rules (the names the prompt
    gives as code keep theirs, and no word of the prompt is a new name; ``partial``: a partial twin), or None when
    none can be made. Training's canaries (:mod:`trainer.reward`) draw theirs here too, so both sides always make
    the same kind of twin."""
    return renamed(case, rng, keep=prompt_names(spec.prompt_text), partial=partial,
                   avoid=prompt_words(spec.prompt_text))


def build_probes(spec: TaskSpec, junk_chars: int, rng: random.Random | None = None,
                 twins: int = 2, mutants: int = 0) -> tuple[Probe, ...]:
    """Reference first, then each failure case, then the trivial responses, then ``twins`` renamed twins of the
    failure cases that are programs, taken in turn (fewer where the names run out), each different, then up to
    ``mutants`` different mutants of the reference (:mod:`verifier.reference_mutants`), and the last one's copy
    without comments and docstrings where it has any, and one failure case's (:mod:`verifier.unmarked`), and one
    failure case with a comment of the validator's in their place (:mod:`verifier.commented`; ``rng``: the source of
    the unpredictable probes, of the twins' names and of that comment, the operating system's by default). A local the
    prompt names as code keeps its name in the twins (:func:`prompt_names`), and no twin takes a word of the prompt
    as a new name: a task can be about a name (rename the ambiguous ``l``; call the parameter ``max_val``)."""
    rng = rng or random.SystemRandom()
    probes = [Probe(kind=ProbeKind.REFERENCE, label="reference", response=spec.reference)]
    probes += [Probe(kind=ProbeKind.FAILURE_CASE, label=f"failure_cases[{i}]", response=case)
               for i, case in enumerate(spec.failure_cases)]
    drawn = unpredictable_responses(rng)
    while spec.reference.strip() in {text.strip() for text in drawn.values()}:  # "Say 7." drew 7: a right answer,
        drawn = unpredictable_responses(rng)  # not a trivial one (an honest task was rejected as trivial in CI)
    trivial = {"empty": "", "whitespace": " \n\t  \n", "prompt_echo": spec.prompt_text,
               "junk": junk_response(junk_chars), **drawn}
    probes += [Probe(kind=ProbeKind.TRIVIAL, label=f"trivial:{name}", response=text) for name, text in trivial.items()]
    named, words = prompt_names(spec.prompt_text), prompt_words(spec.prompt_text)
    seen = {spec.reference, *spec.failure_cases}
    made: dict[int, int] = {}

    def add(i: int, twin: str | None) -> None:
        if twin is not None and twin not in seen and sum(made.values()) < twins:
            seen.add(twin)
            probes.append(Probe(kind=ProbeKind.FAILURE_CASE, response=twin,
                                label=f"failure_cases[{i}]{RENAMED_SUFFIX}[{made.get(i, 0)}]"))
            made[i] = made.get(i, 0) + 1

    programs = []
    for i, case in enumerate(spec.failure_cases):
        first = renamed(case, rng, keep=named, avoid=words)
        if first is not None:
            programs.append(i)
            add(i, first)
    for attempt in range(6 * twins):  # in turn; a draw that repeats an earlier twin is lost
        if not programs or sum(made.values()) >= twins:
            break
        i = programs[attempt % len(programs)]
        # whole and partial twins by turns (twin_names.KEEP says why both)
        add(i, renamed(spec.failure_cases[i], rng, keep=named, partial=made.get(i, 0) % 2 == 1, avoid=words))
    # Still short (few names, few words of their shape): every twin each program has, in turn, until enough. Each
    # walk passes at most every text seen so far before it gives a new one, so how many twins a task gets depends
    # only on how many there are, never on the draw.
    walks = {i: every_twin(spec.failure_cases[i], keep=named, avoid=words) for i in programs}
    while walks and sum(made.values()) < twins:
        for i in list(walks):
            before = len(seen)
            for twin in itertools.islice(walks[i], len(seen) + 1):
                add(i, twin)
                if len(seen) > before:
                    break
            else:
                del walks[i]  # every twin of this program is in
            if sum(made.values()) >= twins:
                break
    made_mutants = reference_mutants(spec, rng, mutants, seen, words)
    probes += [Probe(kind=ProbeKind.MUTANT, label=f"{MUTANT_LABEL}[{k}]", response=text)
               for k, text in enumerate(made_mutants)]
    # The copies without their author's marks (kind unmarked): the last mutant's (most often its returned value
    # changed), one failure case's without comments and docstrings (1.39: a wrong program far from the reference)
    # and one's with a comment the author never wrote (1.40); each only where it is a text not shown yet.
    copied = case_to_copy(spec.reference, spec.failure_cases)
    noted = case_to_comment(spec.reference, spec.failure_cases)
    copies = [(f"{MUTANT_LABEL}[{len(made_mutants) - 1}]{UNMARKED_SUFFIX}",
               unmarked(made_mutants[-1]) if made_mutants else None),
              (f"{FAILURE_LABEL}{copied}]{UNMARKED_SUFFIX}",
               unmarked(spec.failure_cases[copied]) if copied is not None else None),
              (f"{FAILURE_LABEL}{noted}]{COMMENTED_SUFFIX}",
               commented(spec.failure_cases[noted], spec.prompt_text, rng) if noted is not None else None)]
    for label, text in copies:
        if text is not None and text not in {probe.response for probe in probes}:
            probes.append(Probe(kind=ProbeKind.UNMARKED, label=label, response=text))
    return tuple(probes)


def renamed_twins(probes: Sequence[Probe]) -> dict[int, list[int]]:
    """Index of each failure case that has renamed twins -> the indices of its twins."""
    index = {probe.label: i for i, probe in enumerate(probes)}
    twins: dict[int, list[int]] = {}
    for i, probe in enumerate(probes):
        original = probe.label.partition(RENAMED_SUFFIX)[0]
        if RENAMED_SUFFIX in probe.label and original in index:
            twins.setdefault(index[original], []).append(i)
    return twins


def unpredictable_indices(probes: Sequence[Probe]) -> list[int]:
    """Indices of the probes drawn afresh for every validation (see :func:`unpredictable_responses`)."""
    return [i for i, probe in enumerate(probes) if probe.label in UNPREDICTABLE_LABELS]
