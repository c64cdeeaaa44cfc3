"""How the decoys' check makes the reference's near runs (``verifier.decoy_runs.GO_ON``): in which order, within
its budget. The template runs here on a fake clock and a fake ``run_response`` passed in as its globals, so the
order depends on the times the fake gives and on nothing measured."""

from __future__ import annotations

from types import SimpleNamespace

from verifier.decoy_bounds import BUDGET_S, FAIR_S, FAIR_TIMES, NEAR_BUDGET_S, ROOMY_TIMES
from verifier.decoy_runs import GO_ON


class FakeClock:
    """``time`` for the template: ``monotonic`` reads ``now``, which the fake runs move on."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now


def _go_on(runs: list, near: list, seconds: dict[str, float], required: int | None = None,
           longest: float = 60.0) -> tuple[list[int], set[int]]:
    """The near runs made, by index into ``near`` (each distinct from every other and from the recorded runs), in
    the order ``go_on`` made them; a run of the reference takes ``seconds[name]`` of the fake clock, ``name`` its
    first call's. Also the near runs left ``SKIPPED``; ``required``: ``REQUIRED`` (every near run unless said), and
    ``longest``: the longest run a verify call allows."""
    clock, asked = FakeClock(), []

    def run_response(reference, calls, stdin, timeout):
        clock.now += seconds[calls[0][0]]
        asked.append([calls, stdin])
        return SimpleNamespace(outcome="completed")

    space = dict(REQUIRED=len(near) if required is None else required, SKIPPED=set(), FAILED=[],
                 RUNS=runs, NEAR=near, RECORDED=[None] * len(runs), TOOK=[0.0] * len(runs),
                 NEAR_RUNS=[None] * len(near), TRIED=set(), LEFT=[NEAR_BUDGET_S], ROOMY=set(), BUDGET=BUDGET_S,
                 FAIR_S=FAIR_S, FAIR_TIMES=FAIR_TIMES, ROOMY_TIMES=ROOMY_TIMES, time=clock,
                 run_limits=lambda: (longest, 0.0), run_response=run_response, Uncompared=RuntimeError)
    exec(GO_ON, space)
    assert any(space["go_on"]("reference") for _ in range(16))  # (the check's calls, each ``longest`` long)
    copies = [[calls, stdin] for calls, stdin, _ in near]
    return [copies.index(run) for run in asked if run in copies], space["SKIPPED"]


def test_every_recorded_runs_first_near_copy_is_made_before_any_runs_second():
    """The 1.50 review: with four copies of each run, quick runs of ignored helpers were made first, all four copies
    of each, and their time came off the near runs' budget before a slower paid run's first copy."""
    runs = [[[[f"h{at}", [], {}]], ""] for at in range(7)] + [[[["total", [[7]], {}]], ""]]
    near = [[[[name, [*args, copy], kwargs]], stdin, origin] for copy in range(4)
            for origin, ([[name, args, kwargs]], stdin) in enumerate(runs)]
    made, _ = _go_on(runs, near, {**{f"h{at}": 0.01 for at in range(7)}, "total": 0.3})
    assert sorted(made[:8]) == list(range(8))


def test_within_a_round_of_copies_the_quickest_near_runs_go_first():
    runs = [[[["slow", [1], {}]], ""], [[["quick", [1], {}]], ""]]
    near = [[[["slow", [2], {}]], "", 0], [[["quick", [2], {}]], "", 1],
            [[["slow", [3], {}]], "", 0], [[["quick", [3], {}]], "", 1]]
    assert _go_on(runs, near, {"slow": 0.3, "quick": 0.01})[0] == [1, 0, 3, 2]


def test_near_runs_past_the_required_ones_are_skipped_where_the_call_that_made_those_cannot_hold_them():
    """The 1.50 red team: a reference of 0.2 s a run tested in three to eight runs had 12 to 32 near runs, which six
    calls of the check could not hold, and its honest task was rejected as taking too long. The near runs 1.49 made
    are required; the rest are made in the time left of the call that made those, else skipped (compared with
    nothing), and the runs are done."""
    runs = [[[[f"f{at}", [at], {}]], ""] for at in range(3)]
    near = [[[[f"f{origin}", [origin + 10 * copy + 10], {}]], "", origin] for copy in range(4) for origin in range(3)]
    made, skipped = _go_on(runs, near, {f"f{at}": 0.45 for at in range(3)}, required=8, longest=2.5)
    assert set(range(8)) <= set(made) and skipped and sorted([*made, *skipped]) == list(range(12))
