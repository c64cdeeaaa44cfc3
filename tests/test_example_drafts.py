"""The shipped recorded drafts ask for what their prompts say: a verifier scores the task, not a proxy of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verifier import open_pool

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

ROOT = Path(__file__).resolve().parents[1]


def autumn_verifiers() -> list[str]:
    found = []
    for line in (ROOT / "examples" / "drafts.jsonl").read_text(encoding="utf-8").splitlines():
        text = json.loads(line)["text"]
        if "Describe autumn in exactly four words" in text:
            found.append(json.loads(text[text.index("{"):text.rindex("}") + 1])["verifier"])
    return found


@pytest.mark.parametrize("index", [0, 1])
def test_four_words_that_do_not_describe_autumn_score_zero(index):
    verifier = autumn_verifiers()[index]
    with open_pool(backend="bwrap", workers=1) as pool:
        results = pool.score(verifier, ["One two three four.", "Bright sunny beach days.", "Crisp leaves, cold wind."])
    assert [r.score for r in results] == [0.0, 0.0, 1.0]
