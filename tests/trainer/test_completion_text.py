"""What a verifier sees of a completion, whatever its shape: the reward function never raises for one (red-team
round 28: a message with ``content: None``, content as a list of parts, a bare message or ``None`` raised and would
have ended training), and a batch whose task ids do not match its completions is refused."""

from __future__ import annotations

import pytest

from trainer.ledger import ScoreLedger
from trainer.reward import VerifierReward, completion_text

SHAPES = {
    "plain text": ("42", "42"),
    "a chat completion": ([{"role": "assistant", "content": "4"}, {"role": "assistant", "content": "2"}], "42"),
    "other roles left out": ([{"role": "tool", "content": "x"}, {"role": "assistant", "content": "42"}], "42"),
    "content None": ([{"role": "assistant", "content": None}, {"role": "assistant", "content": "42"}], "42"),
    "content missing": ([{"role": "assistant"}, {"role": "assistant", "content": "42"}], "42"),
    "content as parts": ([{"role": "assistant", "content": [{"type": "text", "text": "4"}, {"type": "image"},
                                                             {"type": "text", "text": "2"}]}], "42"),
    "a bare message": ({"role": "assistant", "content": "42"}, "42"),
    "None": (None, ""),
    "a message that is not a dict": (["42", {"role": "assistant", "content": "42"}], "42"),
}


@pytest.mark.parametrize(("completion", "text"), SHAPES.values(), ids=SHAPES.keys())
def test_every_completion_shape_gives_a_text(completion, text):
    assert completion_text(completion) == text


class NoPool:
    def score_batch(self, items):
        raise AssertionError("nothing should be scored")


class NoBank:
    def find(self, task_id):
        return None


def test_a_batch_with_fewer_task_ids_than_completions_is_refused():
    reward = VerifierReward(NoPool(), NoBank(), ScoreLedger(1.0), group_size=2)
    with pytest.raises(ValueError, match="3 completions but 2 task ids"):
        reward([None] * 3, ["a", "b", "c"], task_id=["t", "t"])
    reward.close()
