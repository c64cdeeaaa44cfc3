"""Scorers keep old-style verifiers apart: where a verifier runs the response as code, one response can never change
another's score, because each runs in a process of its own. Through the real sandbox (bwrap)."""

from __future__ import annotations

from task_bank.validation import Outcome
from verifier import Limits, open_pool
from verifier.routing import needs_isolation, open_scoring_pool

# HumanEval-style: the response is exec'd in the verifier's process, then its function is tried on the cases.
OLD_STYLE = ("CASES = [(2, 4), (5, 10)]\n\n"
             "def verify(response: str) -> float:\n    namespace = {}\n    try:\n        exec(response, namespace)\n"
             "        return 1.0 if all(namespace['double'](x) == y for x, y in CASES) else 0.0\n"
             "    except BaseException:\n        return 0.0\n")
# Reaches the verifier's globals through its frame and empties the cases: every later call in the process passes.
SABOTEUR = "import sys\nsys._getframe(1).f_globals['CASES'].clear()\ndef double(x):\n    return 0\n"
WRONG = "def double(x):\n    return x + 1\n"
RIGHT = "def double(x):\n    return 2 * x\n"
PLAIN = "def verify(response: str) -> float:\n    return 1.0 if response.strip() == '42' else 0.0\n"
LIMITS = Limits(wall_s=2.0)


def scores(results) -> list[float | None]:
    assert all(r.outcome is Outcome.SCORED for r in results), [r.detail for r in results]
    return [r.score for r in results]


def test_the_sabotage_works_where_responses_share_a_process():
    with open_pool("bwrap", workers=1, limits=LIMITS) as shared:
        assert scores(shared.score(OLD_STYLE, [SABOTEUR, WRONG])) == [1.0, 1.0]


def test_one_response_cannot_change_another_responses_score_under_an_old_style_verifier():
    with open_scoring_pool("bwrap", workers=1, limits=LIMITS) as pool:
        assert scores(pool.score(OLD_STYLE, [SABOTEUR, WRONG, RIGHT, WRONG])) == [1.0, 0.0, 1.0, 0.0]


def test_mixed_batches_keep_input_order_across_the_two_paths():
    with open_scoring_pool("bwrap", workers=1, limits=LIMITS) as pool:
        pairs = [(PLAIN, "42"), (OLD_STYLE, SABOTEUR), (PLAIN, "41"), (OLD_STYLE, WRONG), (PLAIN, "42")]
        assert scores(pool.score_batch(pairs)) == [1.0, 1.0, 0.0, 0.0, 1.0]


def test_only_verifiers_that_run_the_response_are_isolated():
    assert needs_isolation(OLD_STYLE) and not needs_isolation(PLAIN)
