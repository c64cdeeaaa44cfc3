"""Build ``tasks.jsonl``, the retention suite: everyday requests judged by IFEval's and IFBench's checkers, plus
a few general tasks. ``synth.replay`` samples a policy on it beside the held-out replay tasks, so a policy that
learned to fix its failures by forgetting how to follow plain instructions shows it.

The requests live in ``requests.jsonl`` beside this script, one per line (an :class:`Instruction` or a
:class:`General` question). Run ``python examples/retention/build.py`` after editing it; the output is deterministic
(the file is shipped, and ``tests/replay/test_retention_suite.py`` checks every reference scores 1.0).

Each instruction-following verifier builds the checker from ``if-verifiable`` (imported in the sandbox, from the
allow-listed installed packages), with every argument given (a checker left to choose its own arguments draws
them at random), and guards it: an answer of fewer than ``min_words`` or more than 300 words scores 0, because an
evasive one-liner ("I'm ready to help. What's your request?") or a wall of junk follows many format rules without
answering anything; so does an answer that repeats the request (its first 60 characters). Only checkers that need
no NLTK data are used (the data is a download, and the sandbox is offline).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

REQUESTS = Path(__file__).with_name("requests.jsonl")
"""The suite's requests, one JSON object per line."""

EVASIVE = "I'm ready to help. What's your request?"

IF_VERIFIER = '''from if_verifiable.{bench} import instructions

KWARGS = {kwargs!r}
REQUEST = {request!r}


def verify(response: str) -> float:
    text = response.strip()
    words = len(text.split())
    if words < {min_words} or words > 300:
        return 0.0  # an evasive answer or a wall of text is not following the instruction
    if REQUEST in " ".join(text.lower().split()):
        return 0.0  # repeating the request is not answering it
    checker = instructions.{cls}({name!r})
    checker.build_description(**KWARGS)
    return 1.0 if checker.check_following(text) else 0.0
'''

EXACT_VERIFIER = '''def verify(response: str) -> float:
    text = " ".join(response.strip().rstrip(".").split()).lower()
    return 1.0 if text == {answer!r} else 0.0
'''


class Instruction(BaseModel):
    """An everyday request with one verifiable instruction, judged by an ``if-verifiable`` checker."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["instruction"]
    source: Literal["ifeval", "ifbench"]
    """The benchmark module holding the checker."""
    checker: str
    """The checker's instruction id, e.g. ``punctuation:no_comma``."""
    cls: str = Field(alias="class")
    """The checker's class in that module."""
    kwargs: dict[str, object]
    """Every argument of ``build_description`` (left out, the checker would draw it at random)."""
    min_words: int
    """Shorter answers score 0 (an evasive one-liner follows many format rules)."""
    prompt: str
    reference: str
    """An answer that follows the instruction."""
    violating: str
    """An answer that breaks it."""


class General(BaseModel):
    """A general question with one short exact answer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["general"]
    prompt: str
    answer: str
    """The answer, lowercased, that the verifier compares against (case and a final full stop are ignored)."""
    reference: str
    """The answer as a person writes it."""
    wrong: list[str]
    """Plausible wrong answers."""


Request = Annotated[Instruction | General, Field(discriminator="kind")]
"""One line of ``requests.jsonl``: the table this script turns into tasks, one request per line."""


def tasks(requests: Path = REQUESTS) -> list[dict[str, object]]:
    """Every task of the suite, as task spec v1 objects, in the order of ``requests``."""
    out: list[dict[str, object]] = []
    for line in requests.read_text(encoding="utf-8").splitlines():
        request = TypeAdapter(Request).validate_json(line)
        if isinstance(request, Instruction):
            echo = " ".join(request.prompt.lower().split())[:60]
            verifier = IF_VERIFIER.format(bench=request.source, kwargs=request.kwargs, min_words=request.min_words,
                                          cls=request.cls, name=request.checker, request=echo)
            out.append({"prompt": request.prompt, "verifier": verifier, "reference": request.reference,
                        "failure_cases": [request.violating, EVASIVE],
                        "metadata": {"suite": "retention", "checker": request.checker, "source": request.source}})
        else:
            out.append({"prompt": request.prompt, "verifier": EXACT_VERIFIER.format(answer=request.answer),
                        "reference": request.reference, "failure_cases": [*request.wrong, EVASIVE],
                        "metadata": {"suite": "retention", "checker": "general", "source": "general"}})
    return out


if __name__ == "__main__":
    target = Path(__file__).with_name("tasks.jsonl")
    target.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in tasks()), encoding="utf-8")
    print(f"wrote {len(tasks())} tasks to {target}")
