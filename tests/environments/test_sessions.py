"""Sandboxed sessions: one Env instance per rollout, in its own process, under reset, call and rollout limits."""

from __future__ import annotations

from task_bank.environment_results import StepOutcome
from verifier.sessions import SessionLimits, SessionPool

from .conftest import CART

COUNTER = '''
class Env:
    shared = []

    def reset(self, seed: int) -> str:
        return str(seed)

    def push(self, item: int) -> list:
        """Append to a list kept on the class.

        Args:
            item: value
        """
        Env.shared.append(item)
        return Env.shared

    def hang(self) -> int:
        """Never returns."""
        while True:
            pass

    def nan(self) -> float:
        """Returns NaN."""
        return float("nan")

    def deep(self) -> list:
        """Returns a list nested 5,000 deep."""
        value = []
        for _ in range(5000):
            value = [value]
        return value

    def score(self, response: str) -> float:
        return float(response)
'''


def test_state_persists_across_calls_of_one_session(sessions):
    with sessions.open(CART, 0) as session:
        session.call("add", {"name": "apple", "qty": 1})
        assert session.call("add", {"name": "apple", "qty": 1}).value == {"apple": 2}


def test_sessions_do_not_share_class_state(sessions):
    with sessions.open(COUNTER, 0) as first, sessions.open(COUNTER, 0) as second:
        first.call("push", {"item": 1})
        assert second.call("push", {"item": 2}).value == [2]


def test_reset_returns_the_observation(sessions):
    with sessions.open(CART, 0) as session:
        assert session.observation.outcome is StepOutcome.OK
        assert session.observation.value.startswith("apples cost ")


def test_a_raising_tool_is_reported_and_the_session_goes_on(sessions):
    with sessions.open(CART, 0) as session:
        raised = session.call("add", {"name": "pear", "qty": 1})
        assert raised.outcome is StepOutcome.RAISED and "no item pear" in raised.detail
        assert session.call("add", {"name": "apple", "qty": 1}).outcome is StepOutcome.OK


def test_an_unknown_tool_is_an_error_for_the_policy_not_a_crash(sessions):
    with sessions.open(CART, 0) as session:
        assert session.call("reset", {}).outcome is StepOutcome.RAISED
        assert session.call("_private", {}).outcome is StepOutcome.RAISED
        assert session.alive


def test_a_hanging_tool_is_killed_by_the_call_limit(sessions):
    with sessions.open(COUNTER, 0) as session:
        result = session.call("hang", {})
        assert result.outcome is StepOutcome.TIMEOUT and "call time limit" in result.detail
        assert not session.alive
        assert session.call("push", {"item": 1}).outcome is StepOutcome.DEAD


def test_the_rollout_limit_ends_a_session_that_keeps_calling():
    with SessionPool("bwrap", limits=SessionLimits(call_s=5.0, rollout_s=1.0)) as pool, pool.open(COUNTER, 0) as s:
        result = s.call("hang", {})
        assert result.outcome is StepOutcome.TIMEOUT and "rollout time limit" in result.detail


def test_a_hanging_reset_is_killed_by_the_reset_limit():
    source = COUNTER.replace("        return str(seed)", "        while True:\n            pass")
    with SessionPool("bwrap", limits=SessionLimits(reset_s=1.0)) as pool, pool.open(source, 0) as session:
        assert session.observation.outcome is StepOutcome.TIMEOUT


def test_a_non_json_return_is_invalid(sessions):
    with sessions.open(COUNTER, 0) as session:
        assert session.call("nan", {}).outcome is StepOutcome.INVALID


def test_a_deeply_nested_return_is_invalid_and_the_worker_survives(sessions):
    with sessions.open(COUNTER, 0) as session:
        assert session.call("deep", {}).outcome is StepOutcome.INVALID
    with sessions.open(CART, 0) as session:
        assert session.call("add", {"name": "apple", "qty": 1}).outcome is StepOutcome.OK


def test_a_score_outside_zero_one_is_invalid(sessions):
    with sessions.open(COUNTER, 0) as session:
        assert session.score("1.5").outcome is StepOutcome.INVALID


def test_a_score_in_range_is_scored(sessions):
    with sessions.open(COUNTER, 0) as session:
        result = session.score("0.25")
        assert result.outcome is StepOutcome.SCORED and result.score == 0.25


def test_a_source_that_fails_to_load_is_crashed(sessions):
    with sessions.open("raise RuntimeError('boom')\n", 0) as session:
        assert session.observation.outcome is StepOutcome.CRASHED and "boom" in session.observation.detail


def test_a_dead_worker_is_an_infrastructure_error_then_replaced():
    with SessionPool("bwrap") as pool:
        session = pool.open(CART, 0)
        pool._workers[0].process.close()  # the sandbox dies under an open session
        assert session.call("add", {"name": "apple", "qty": 1}).outcome is StepOutcome.ERROR
        with pool.open(CART, 0) as fresh:
            assert fresh.call("add", {"name": "apple", "qty": 1}).outcome is StepOutcome.OK


def test_the_session_cannot_reach_host_files(sessions):
    source = CART.replace("        return f\"apples cost {self.price}\"",
                          "        import os\n        return str(os.path.exists('/etc/passwd') or "
                          "os.path.exists('/work'))")
    with sessions.open(source, 0) as session:
        assert session.observation.value == "False"


def test_sessions_run_without_bwrap_under_unsafe_local():
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with SessionPool("unsafe-local") as pool, pool.open(CART, 0) as session:
            assert session.call("add", {"name": "apple", "qty": 2}).value == {"apple": 2}
    assert any("WITHOUT ISOLATION" in str(w.message) for w in caught)
