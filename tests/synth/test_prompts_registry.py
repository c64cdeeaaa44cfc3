"""Prompt templates carry their content hash; the backend registry is strict and suggests names."""

from __future__ import annotations

from pathlib import Path

import pytest

from synth.backends import BACKEND_NAMES, BackendOptions, create_backend
from synth.grouping import FailureGroup
from synth.prompts import PromptLibrary
from task_bank.errors import ConfigError
from task_bank.failure import FailureRecord

ANCHOR = FailureRecord(id="f1", conversation=[{"role": "user", "content": "3 km in m?"}], response="30",
                       signal={"kind": "correction", "detail": "3000"})
GROUP = FailureGroup(id="g_1", member_ids=("f1",), label="units")


def test_shipped_templates_render_with_name_and_hash() -> None:
    lib = PromptLibrary()
    for name, ctx in [("draft.j2", {"group": GROUP, "anchor": ANCHOR, "examples": [], "slot": 0,
                                    "diagnosis": None}),
                      ("repair.j2", {"group": GROUP, "anchor": ANCHOR, "previous": "{}", "reasons": ["unsolvable"],
                                     "details": ["reference: scored 0"], "round": 1}),
                      ("diagnose.j2", {"group": GROUP, "failures": [ANCHOR]})]:
        rendered = lib.render(name, **ctx)
        assert rendered.template == name
        assert len(rendered.template_hash) == 16
        assert [m.role for m in rendered.messages] == ["system", "user"]
        assert "3 km in m?" in rendered.messages[1].content


def test_hash_follows_file_content(tmp_path: Path) -> None:
    (tmp_path / "t.j2").write_text("{% block system %}s{% endblock %}{% block user %}{{ x }}{% endblock %}")
    first = PromptLibrary(tmp_path).template_hash("t.j2")
    (tmp_path / "t.j2").write_text("{% block system %}S{% endblock %}{% block user %}{{ x }}{% endblock %}")
    assert PromptLibrary(tmp_path).template_hash("t.j2") != first


def test_missing_variable_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "t.j2").write_text("{% block system %}s{% endblock %}{% block user %}{{ x }}{% endblock %}")
    with pytest.raises(ConfigError, match="'x' is undefined"):
        PromptLibrary(tmp_path).render("t.j2")


def test_unknown_backend_suggests_the_nearest_name() -> None:
    with pytest.raises(ConfigError, match="unknown backend 'vlm'; did you mean 'vllm'"):
        create_backend("vlm", BackendOptions())
    with pytest.raises(ConfigError, match="known backends: transformers, vllm, openai, replay"):
        create_backend("zzz", BackendOptions())
    assert BACKEND_NAMES == ("transformers", "vllm", "openai", "replay")


@pytest.mark.parametrize(("name", "field"), [("replay", "drafts"), ("openai", "model"), ("transformers", "model")])
def test_backends_name_their_missing_option(name: str, field: str) -> None:
    with pytest.raises(ConfigError, match=f"field '{field}'"):
        create_backend(name, BackendOptions())


def test_the_repair_prompt_tells_a_verifier_with_weak_tests_what_inputs_to_add() -> None:
    rendered = PromptLibrary().render("repair.j2", group=GROUP, anchor=ANCHOR, previous="{}", reasons=["weak_tests"],
                                      details=["weak_tests: ... total returning max(arg1) ..."], round=1)
    assert "do not tell the reference from simple wrong programs" in rendered.messages[0].content
    assert "do not tell" not in PromptLibrary().render("repair.j2", group=GROUP, anchor=ANCHOR, previous="{}",
                                                       reasons=["unsolvable"], details=[], round=1).messages[0].content
