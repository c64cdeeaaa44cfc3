"""The new names of a renamed twin (:mod:`verifier.code_renaming`): names a person writes, of the old name's shape.

Why a module of its own: which names a twin may take decides whether a verifier can tell it from an answer. Random
letters (``hsrelt``), then common words glued together (``rethead``), each let a verifier that paid only person-like
code tell validation's twins apart (red-team findings); so every new name is a word programs use, or two joined by
``_`` for a snake-case name.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Iterator

_PLAIN = re.compile(r"[a-z]+")
_SNAKE = re.compile(r"[a-z]+(?:_[a-z]+)+")
_NUMBERED = re.compile(r"([a-z]+)([0-9]+)")
_UPPER = re.compile(r"[A-Z]+(?:_[A-Z]+)*")
_CAMEL = re.compile(r"[a-z]+(?:[A-Z][a-z]+)+")
COMMON_NAMES = tuple("""
i j k n x y s c a b d e f g h m p q r t u v w z
xs ys ns zs el ch lo hi ok fn op dp dx dy ix kv pt sz ms ps ts vs ws nx ny cx cy px py ax ay bx by
idx num val res ans out acc cur tmp key arr lst row col pos cnt mid end buf seq vec ptr ret msg err obj elt dst
src low top gap
nums vals item left prev size last data head tail node word line char text best seen keys step mask bits diff rows
cols temp curr base half
total count value index items start first right words chars lines pairs nodes stack queue limit score delta carry
width depth level digit parts steps
result values answer output length number target counts totals digits buffer prefix suffix source weight height
offset window cursor
current numbers counter results answers outputs visited longest largest pending matches
previous elements smallest position distance
frequency character remainder candidate threshold sequences neighbors positions distances collected
collection occurrence characters candidates iterations dictionary accumulator frequencies occurrences
intermediate combinations permutations
i_x n_i
max_n min_n cur_i
max_val min_val cur_sum end_idx row_idx col_idx
best_sum left_sum new_list prev_val next_val
total_sum start_idx num_items char_list word_list
char_count word_count
running_total
""".split())
"""The names programs use most, of 1 to 13 characters, the most common of each length first: a renamed program reads like one a person or a model
wrote (random letters told a verifier which answer was validation's, red-team finding). Kept short and common on
purpose: a verifier that pays only code whose names look like a person's must then pay the twins too, and one that
leaves these names out of what it pays leaves out most real answers."""


def name_pools(names: list[str], taken: set[str]) -> dict[str, tuple[str, ...]]:
    """Each lower-case, snake-case, numbered, upper-case (``N``, ``MAX_N``) or camel-case (``maxVal``) name of
    ``names`` -> the new names it may take (:func:`_candidates`; upper-case and camel-case names were left out until
    QA round 21, and a failing answer written in competition style, ``def total(A): N = len(A)``, got no twin, so
    its honest task was rejected as ``few_twins``),
    the most common first, clashing with nothing (``taken``: every identifier of the program, every builtin and
    keyword, and every word of the prompt, which may require a name the failure case lacks; nor ``names``).
    Same shape, and the same length for short names: a rule about names in general (no single letters, snake case)
    judges the twin as the original (red-team finding: ``s`` renamed ``total`` passed "no single-letter names").
    Names of another shape are left out (they keep theirs)."""
    used = set(taken) | set(names)
    pools: dict[str, tuple[str, ...]] = {}
    for name in names:
        numbered = _NUMBERED.fullmatch(name)  # s1, s2: a word of as many letters, the same digits
        if numbered:
            pool = [w + numbered[2] for w in _candidates(len(numbered[1]), False) if len(w) == len(numbered[1])]
        elif _SNAKE.fullmatch(name) or _PLAIN.fullmatch(name):
            pool = list(_candidates(len(name), bool(_SNAKE.fullmatch(name))))
        elif _UPPER.fullmatch(name):  # N, A, MOD, MAX_N: the same words in capitals (QA round 21)
            pool = [w.upper() for w in _candidates(len(name), "_" in name)]
        elif _CAMEL.fullmatch(name):  # maxVal: a snake-case word camel-cased, of the same length up to 4 more
            humps = sum(c.isupper() for c in name)
            pool = [camel for w in _candidates(len(name) + humps, True)
                    if len(name) <= len(camel := _camel_case(w)) <= len(name) + 4]
        else:
            continue
        pools[name] = tuple(w for w in pool if w not in used)
    return pools


KEEP = 0.5
"""In a partial twin (:func:`fresh_names` with ``partial``), the chance that a name it could change keeps its own. Why
partial twins: a twin that renamed every name never held a name its failure case uses, and policy answers nearly
always copy the signature's parameter; a verifier that paid any program taking the parameter ``s``, when every
failure case took ``s`` too, met no twin with ``s`` and was admitted (red-team finding). Why whole twins as well: a
verifier that paid programs whose every name is a common word, when the failure cases used odd ones, met only
twins that kept an odd name. Validation draws both kinds, in turn."""


def fresh_names(names: list[str], taken: set[str], rng: random.Random, partial: bool = False,
                favoured: frozenset[str] = frozenset()) -> dict[str, str]:
    """A new name for each name :func:`name_pools` gives new names for, drawn from ``rng``, no two alike; the most
    common names the most often (a pool runs from common to rare within a length). A name whose pool the earlier
    draws used up keeps its own. ``partial``: each name keeps its own with chance :data:`KEEP`, and a name in
    ``favoured`` (a word of the prompt: the signature's parameters) always does, yet at least one name changes."""
    pools = name_pools(names, taken)
    kept: set[str] = set()
    if partial:
        changeable = [name for name, pool in pools.items() if pool]
        kept = {name for name in changeable if name in favoured or rng.random() < KEEP}
        if changeable and len(kept) == len(changeable):
            others = [name for name in changeable if name not in favoured]
            kept.discard(rng.choice(others or changeable))
    mapping: dict[str, str] = {}
    for name, pool in pools.items():
        free = [w for w in pool if w not in mapping.values()]
        if free and name not in kept:
            mapping[name] = rng.choices(free, weights=[(1 + rank) ** -0.75 for rank in range(len(free))])[0]
    return mapping


def every_mapping(names: list[str], taken: set[str]) -> Iterator[dict[str, str]]:
    """Every mapping :func:`fresh_names` can draw, each once, lazily, the most common names first (for each name,
    every new name before its own). Why: near the
    edge (few names, few words of their shape) drawing with replacement could miss twins that exist, so whether a
    task was rejected as ``few_twins`` depended on the draw; validation tops its draws up from here, and the
    verdict depends only on how many different twins the failure cases allow."""
    pools = list(name_pools(names, taken).items())
    if not pools:
        return
    choices: list[Iterator[str | None]] = []
    picked: list[str | None] = []

    def options(depth: int) -> Iterator[str | None]:
        free = [w for w in pools[depth][1] if w not in picked]
        return iter([*free, None])  # None: the name keeps its own (drawn to, or with nothing left)

    choices.append(options(0))
    while choices:  # a depth-first walk with a stack of its own: a program may have hundreds of names
        word = next(choices[-1], _END)
        if word is _END:
            choices.pop()
            if picked:
                picked.pop()
            continue
        picked.append(word)
        if len(picked) == len(pools):
            if any(new is not None for new in picked):  # a twin changes at least one name
                yield {name: new for (name, _), new in zip(pools, picked) if new is not None}
            picked.pop()
        else:
            choices.append(options(len(picked)))


_END = object()


def _camel_case(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.capitalize() for part in rest)


@functools.lru_cache(maxsize=64)
def _candidates(length: int, snake: bool) -> tuple[str, ...]:
    """New names for a name of ``length`` characters and one shape, every one a name a person writes: for a
    lower-case name, :data:`COMMON_NAMES`'s words of the same length, or for a name of 6 letters or more, of its
    length up to 4 more (so a long name stays long); for a snake-case one, two such words of 3 letters or more joined by ``_``
    (``total_count``), of the same length up to 4 more. Never shorter: no line gets shorter, so a failure case that
    broke a line-length rule stays broken. Words glued without ``_`` (``rethead``) marked a twin (red-team finding)."""
    words = [w for w in COMMON_NAMES if _PLAIN.fullmatch(w)]
    if not snake:
        if length < 6:
            return tuple(w for w in words if len(w) == length)
        return tuple(w for w in words if length <= len(w) <= length + 4)
    found = [w for w in COMMON_NAMES if _SNAKE.fullmatch(w) and length <= len(w) <= length + 4]
    parts = [w for w in words if len(w) >= 3]
    found += [a + "_" + b for a in parts for b in parts if a != b and length <= len(a) + 1 + len(b) <= length + 4]
    return tuple(dict.fromkeys(found))
