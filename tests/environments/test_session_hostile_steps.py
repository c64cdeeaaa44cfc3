"""Red-team round 28 on environment sessions: what one session's failure, frames or arguments can do to the other
sessions of its worker (nothing), and what an environment can read of its limits (the same in validation and in
training). Through the real bwrap sandbox."""

from __future__ import annotations

import json

import pytest

from task_bank.environment_results import StepOutcome
from verifier.env_validate import EnvValidationConfig
from verifier.sessions import SessionLimits, SessionPool

from .conftest import CART

CART_ANSWER = str(2 * __import__("random").Random(0).randrange(1, 9))

HOSTILE = '''
import os, socket, time


class Env:
    def reset(self, seed: int) -> str:
        return ""

    def die(self) -> int:
        os._exit(0)

    def infinite_value(self) -> int:
        """A frame the child never writes: 1e999 parses to infinity."""
        os.write(4, b'{"k": "ok", "v": 1e999}\\n')
        time.sleep(5)

    def listen(self) -> int:
        """A loopback listener the other sessions of the worker could find."""
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.listen()
        return server.getsockname()[1]

    def score(self, response: str) -> float:
        """A score frame holding a 401-digit integer."""
        os.write(4, b'{"k": "val", "t": "float", "v": 1' + b'0' * 400 + b'}\\n')
        time.sleep(5)
'''

SPY = '''
class Env:
    def reset(self, seed: int) -> str:
        return "spy"

    def add(self, name: str, qty: int) -> dict:
        return {"apple": 2, "spy": True}

    def score(self, response: str) -> float:
        return 1.0
'''


def test_a_failed_sessions_close_does_not_cut_a_later_session_off_from_its_process(sessions):
    failed = sessions.open(HOSTILE, 0)
    assert failed.call("die", {}).outcome is StepOutcome.CRASHED
    with sessions.open(CART, 0) as victim:  # takes the failed session's descriptor numbers
        failed.close()
        with sessions.open(SPY, 0):  # would take them again, had the close freed them twice
            assert victim.call("add", {"name": "apple", "qty": 2}).value == {"apple": 2}
            assert victim.score("wrong answer").score == 0.0


def test_a_non_finite_value_is_the_environments_invalid_step_and_its_neighbours_go_on(sessions):
    with sessions.open(CART, 0) as victim, sessions.open(HOSTILE, 0) as hostile:
        assert hostile.call("infinite_value", {}).outcome is StepOutcome.INVALID
        assert victim.call("add", {"name": "apple", "qty": 2}).outcome is StepOutcome.OK
        assert victim.score(CART_ANSWER).score == 1.0


def test_a_huge_integer_score_is_invalid_and_its_neighbours_go_on(sessions):
    with sessions.open(CART, 0) as victim, sessions.open(HOSTILE, 0) as hostile:
        assert hostile.score("x").outcome is StepOutcome.INVALID
        assert victim.call("add", {"name": "apple", "qty": 2}).outcome is StepOutcome.OK


def test_non_finite_tool_arguments_are_the_policys_error_and_reach_no_worker(sessions):
    with sessions.open(CART, 0) as victim, sessions.open(CART, 0) as policy:
        nan_args = json.loads('{"name": "apple", "qty": NaN}')  # what a policy's tool call can parse to
        assert policy.call("add", nan_args).outcome is StepOutcome.RAISED
        assert victim.call("add", {"name": "apple", "qty": 2}).outcome is StepOutcome.OK
        assert victim.score(CART_ANSWER).score == 1.0


def test_a_session_cannot_open_an_internet_socket(sessions):
    with sessions.open(HOSTILE, 0) as hostile:
        result = hostile.call("listen", {})
        assert result.outcome is StepOutcome.RAISED and "Address family not supported" in result.detail


def test_validation_runs_environments_under_trainings_limits():
    assert EnvValidationConfig().limits == SessionLimits.for_rewards()


@pytest.mark.parametrize("field", ["call_s", "memory_mb"])
def test_trainings_session_limits_are_a_verify_calls(field):
    from verifier import Limits
    assert getattr(SessionLimits.for_rewards(), field) == getattr(Limits(), {"call_s": "wall_s"}.get(field, field))


SLOW = '''
import time


class Env:
    def reset(self, seed: int) -> str:
        return ""

    def wait(self, s: float) -> str:
        time.sleep(s)
        return "done"

    def score(self, response: str) -> float:
        return 1.0
'''


def test_time_between_a_sessions_steps_does_not_count_against_its_rollout_limit():
    # Red-team round 28: TRL runs every rollout's tools in one thread; counted from open, other tasks' slow tools
    # and the policy's generation ran out a correct rollout's clock, and its answer scored 0.
    limits = SessionLimits(call_s=1.0, rollout_s=1.5)
    with SessionPool("bwrap", workers=1, limits=limits) as pool, pool.open(CART, 0) as session:
        __import__("time").sleep(2.0)  # the rest of the batch: generation, other sessions' tools
        assert session.call("add", {"name": "apple", "qty": 2}).outcome is StepOutcome.OK
        assert session.score(CART_ANSWER).score == 1.0


def test_a_sessions_own_steps_together_are_held_to_its_rollout_limit():
    limits = SessionLimits(call_s=1.0, rollout_s=1.5)
    with SessionPool("bwrap", workers=1, limits=limits) as pool, pool.open(SLOW, 0) as session:
        assert session.call("wait", {"s": 0.8}).outcome is StepOutcome.OK
        result = session.call("wait", {"s": 0.8})
        assert result.outcome is StepOutcome.TIMEOUT and "rollout time limit" in result.detail
