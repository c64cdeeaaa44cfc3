"""Results altered on purpose: what a *perturbed* run hands the verifier instead of what the response returned.

Runs inside the sandbox, standard library only, in a response process after the response's code ran. Why: a
verifier that runs every program and pays by its look whatever the run returned was paid 109 of 109 wrong programs,
with no flag (red-team round 46, e2): it ran them, so the ``unrun`` rule had nothing to see. Training re-scores a
program the verifier paid, alone, with its run's results altered (:func:`perturbed`); an honest verifier compares
what a run returns with what it expects, so it fails the altered run, and one that ignores results pays it again.
The alteration is a function of the value alone and plausible as a wrong program's own answer (a number off by a
half and one, a string or a list one item longer, a truth value flipped), so no verifier can tell it from a wrong
answer without knowing the right one; and it is far outside any tolerance (a float is scaled by 1.5).
"""

PERTURB = 1
"""The text file's flag (``fork_protocol.TEXT_HEADER``'s last field) for a run whose results are altered."""
SCRIPT_TAIL = "\nx\n"
"""What a perturbed script run (no calls) prints after the program's own output, before it exits with status 1."""


def perturbed(value):
    """``value`` (plain JSON data, ``response.plain``'s) altered so that it equals no value it could be compared
    with as right: numbers moved, strings and lists lengthened, truth values flipped, dicts given a key more."""
    if value is None:
        return 0
    if value is True or value is False:
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value * 1.5 + 1.0
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, list):
        return value + [perturbed(value[-1]) if value else 0]
    if isinstance(value, dict):
        if "$set" in value and isinstance(value["$set"], list):  # a set, as plain data: one item more
            return {"$set": value["$set"] + [perturbed(value["$set"][-1]) if value["$set"] else 0]}
        return {**value, "~": 0}
    return value
