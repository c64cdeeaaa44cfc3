"""The order in which each of validation's runs scores a task's probes (:mod:`verifier.checks_probes`).

Why a module of its own: what a verifier meets first, and next to what, is how a verifier that tells validation from
training by the order of its calls is caught; each rule below names the red-team finding it answers. The probes
themselves, and which are twins, leads and mutants, are :mod:`verifier.checks_probes`'s.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

__all__ = ["mutants_later", "run_order"]

_INSIDE_WITHIN = 7
"""``within`` probes land at one of the block's calls 2 to 8: a training process scores up to 8 answers of a group
(``verifier.pool.CODE_GROUP_SIZE``), its canaries among them."""


def run_order(n_probes: int, run: int, repeats: int, leads: Sequence[int] = (),
              twins: Mapping[int, Sequence[int]] | None = None, rng: random.Random | None = None,
              chain: Sequence[int] = (), within: Sequence[int] = ()) -> list[int]:
    """Probe indices one run scores, in order.

    Run 0 is the run in exactly the training environment. Its first entry is the reference (index 0), which the
    validator scores alone in the pool after the rest of run 0 (nothing recognisable may come before run 0: see
    ``verifier.validate``); then every other probe once, then all of them again ``repeats - 1`` times, each pass in another rotation and
    followed by the reference again: a later call that differs from the first (state leaking between calls in one
    interpreter) shows up as a changed score, even when the pool splits the run into groups. No probe is scored
    twice in a row: a training group's responses rarely repeat, and a verifier that paid 1.0 unless the response
    before was the same text passed validation when run 0 scored every probe twice back to back (red-team finding).
    Later runs score every probe once, each in a different rotation, so the call order differs from run to run.

    ``leads`` (the unpredictable probes) open every process after the reference's own call. Why: a verifier that
    remembered the first response its process scored, and behaved only when that was a text its author knew (the
    reference, a failure case, a fixed probe), passed validation and paid every training sample 1.0; now such a
    verifier meets an answer nobody could predict first, pays it, and is rejected.

    ``twins`` (failure case -> its renamed twins; the validator adds the reference's mutants under index 0, as
    unknown programs like them) are scored once each in run 0's first pass, and only there (the
    later runs score the failure case, never a twin); the failure case itself comes later in run 0 with the other
    probes (red-team round 14: while run 0 scored only twins, a verifier that paid the failure case's own tokens
    where hash randomisation was off, that is in run 0 and in training, was admitted 23 of 23 times and paid the
    deployed model's own failing answer). Run 0 opens with the twins alone, in an order drawn from ``rng``: validation draws as many as one training
    process of the verifier scores, so its first process holds nothing but unknown programs, exactly as a training process holds nothing but policy answers, and every position of that process
    holds a twin. Why: a verifier that paid every program from its K-th call on, as long as every call of its
    process so far had been a program, passed validation while the twins were shuffled among probes it could
    recognise (empty, junk, the random number and letters, prose failure cases), and paid 10 of 16 wrong answers
    (red-team finding); and one honest only for its first calls meets twins after them. Where there are twins,
    ``chain`` (the failure cases as written, the empty and the blank answer) follows them, in a drawn order, before
    any probe no policy would write: red-team round 44's verifier paid those answers only while every response of
    its process had been a program or empty, which a training group of a coding task always is and validation's
    lead always broke first (admitted 3 of 3 times, 82 of 94 such answers paid in training). A lead follows and the
    rest come in a drawn order (the remaining lead at a drawn place).

    ``within`` (the failure cases as written that are programs) go at drawn places inside that block instead, at its
    calls 2 to 8: training puts its canaries inside a group at drawn places, so a verifier met a failure case as written
    among programs only in training, and one that turned dishonest after meeting it there was admitted 3 of 3 times
    and paid 40-47% of the wrong programs (red-team round 58). Inside the block, the mutants and twins after it meet
    a verifier so turned. The empty and blank answers stay after the block: inside it, they would end the run of
    programs that a verifier paying "every program from its K-th call, while its process saw only programs" needs
    to meet (this module's twin layout).
    """
    if n_probes == 0:
        return []
    twins = {case: list(made) for case, made in (twins or {}).items()}
    spare = {twin for made in twins.values() for twin in made}
    leads = [i for i in leads if 0 < i < n_probes and i not in spare]
    if run == 0:
        block = sorted(spare)  # the twins alone first, in a drawn order: a process laid out as training's
        inside = [i for i in dict.fromkeys(within) if 0 < i < n_probes and i not in spare and i not in leads] \
            if block and rng is not None else []
        follow = sorted({i for i in chain if 0 < i < n_probes and i not in spare and i not in leads
                         and i not in inside}) if block else []
        tail = [i for i in range(1, n_probes) if i not in spare and i not in leads and i not in follow
                and i not in inside]
        if rng is not None:
            rng.shuffle(block)
            for i in inside:  # at drawn places after the block's first, where a training group's canary lands
                block.insert(1 + rng.randrange(min(len(block), _INSIDE_WITHIN)), i)
            rng.shuffle(follow)
            rng.shuffle(leads)
        tail = leads[1:] + tail
        if rng is not None:
            rng.shuffle(tail)
        first = block + follow + leads[:1] + tail
        again = [i for i in first if i not in spare]
        order = [0] + first
        for k in range(1, repeats):
            shift = (k * len(again)) // repeats or (1 if len(again) > 1 else 0)
            order += again[shift:] + again[:shift] + [0]
        return order
    base = [i for i in range(n_probes) if i not in spare]
    shift = base.index(leads[(run - 1) % len(leads)]) if leads else run % len(base)
    return base[shift:] + base[:shift]


def mutants_later(order: list[int], mutants: Sequence[int]) -> list[int]:
    """``order`` with any mutants that lead it moved behind its first other probe: run 0's first call, scored alone,
    stops validation with ``timeout`` when it hangs (a verifier that hangs on every call costs one call), and a
    mutant may loop where the reference does not: that is the mutant's doing, never the verifier's."""
    lead = 0
    while lead < len(order) and order[lead] in mutants:
        lead += 1
    if lead == 0 or lead == len(order):
        return order
    return [order[lead], *order[:lead], *order[lead + 1:]]
