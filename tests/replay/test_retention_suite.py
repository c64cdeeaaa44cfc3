"""The shipped retention suite: IFEval / IFBench checkers over everyday requests, plus general tasks; gold-checked.

Its verifiers import ``if_verifiable``, which the sandbox cannot import until it mounts allow-listed libraries, so
here they run in this process (no isolation at all: these are our own shipped verifiers, never generated code).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from synth.replay_eval import RETENTION_SUITE, retention_items
from task_bank.evaluations import EvalSuite
from verifier.checks_probes import junk_response

EVASIVE = "I'm ready to help. What's your request?"


@pytest.fixture(scope="module")
def verifiers() -> dict[str, Callable[[str], float]]:
    """Each retention task's ``verify``, by task id, loaded in this process."""
    loaded = {}
    for item in retention_items():
        namespace: dict[str, object] = {}
        exec(compile(item.spec.verifier, f"<retention {item.group}>", "exec"), namespace)  # our shipped code
        loaded[item.spec.id] = namespace["verify"]
    return loaded


def test_the_suite_mixes_ifeval_ifbench_and_general_tasks():
    sources = [json.loads(line)["metadata"]["source"] for line in RETENTION_SUITE.read_text().splitlines()]
    assert sources.count("ifeval") >= 10 and sources.count("ifbench") >= 2 and sources.count("general") >= 3


def test_every_item_is_a_retention_item_named_after_its_checker():
    items = retention_items()
    assert {i.suite for i in items} == {EvalSuite.RETENTION}
    assert all(i.group for i in items) and len({i.spec.id for i in items}) == len(items)


def test_every_reference_scores_one(verifiers):
    bad = [(i.group, verifiers[i.spec.id](i.spec.reference)) for i in retention_items()
           if verifiers[i.spec.id](i.spec.reference) != 1.0]
    assert bad == []


def test_an_evasive_answer_and_every_failure_case_score_zero(verifiers):
    scores = [verifiers[i.spec.id](case) for i in retention_items() for case in (*i.spec.failure_cases, EVASIVE)]
    assert set(scores) == {0.0}


def test_echoing_the_request_or_answering_with_junk_scores_zero(verifiers):
    scores = [verifiers[i.spec.id](text) for i in retention_items()
              for text in (i.spec.prompt_text, junk_response(20_000), "")]
    assert set(scores) == {0.0}


@pytest.mark.slow
def test_through_the_sandbox_every_reference_scores_one_and_an_evasive_answer_zero():
    """The checkers are imported inside bwrap from the allow-listed libraries ``synth.replay`` mounts."""
    import argparse

    from synth.replay import Pools

    items = retention_items()
    args = argparse.Namespace(sandbox="bwrap", sandbox_workers=2, verifier_wall_s=120.0)
    with Pools(args) as pools:
        results = pools.retention().score_batch([(i.spec.verifier, i.spec.reference) for i in items]
                                   + [(i.spec.verifier, EVASIVE) for i in items])
    assert [(r.outcome.value, r.score) for r in results] == ([("scored", 1.0)] * len(items)
                                                               + [("scored", 0.0)] * len(items))
