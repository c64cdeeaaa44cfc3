"""``python -m trainer.tiny_model DIR`` builds the tiny policy the README's examples and the tests use, offline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer

from trainer.tiny_model import main

ROOT = Path(__file__).resolve().parents[2]


def build(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trainer.tiny_model", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    folder = tmp_path_factory.mktemp("tiny") / "model"
    return folder, build(str(folder))


def test_it_prints_one_line_naming_the_model_and_its_folder(built):
    folder, done = built
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"tiny qwen2 model, 31,520 parameters, a plain chat template -> {folder}\n"


def test_the_folder_is_an_ordinary_model_that_generates(built):
    folder, _ = built
    model = AutoModelForCausalLM.from_pretrained(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], add_generation_prompt=True,
                                           return_tensors="pt", return_dict=True)
    out = model.generate(**prompt, max_new_tokens=4, do_sample=False)
    assert out.shape[1] == prompt["input_ids"].shape[1] + 4


def test_it_is_the_model_the_tests_use(built, tiny_model_dir):
    folder, _ = built
    mine, theirs = load_file(folder / "model.safetensors"), load_file(tiny_model_dir / "model.safetensors")
    assert mine.keys() == theirs.keys() and all((mine[k] == theirs[k]).all() for k in mine)


def test_a_folder_that_is_not_empty_is_refused_and_left_as_it_was(built, capsys):
    folder, _ = built
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert main([str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not empty" in err
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before


def test_tool_calls_give_a_template_that_renders_tools_and_json_prints_json_only(tmp_path):
    done = build(str(tmp_path / "tools"), "--tool-calls", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"output": str(tmp_path / "tools"), "model_type": "qwen2",
                                       "parameters": 31520, "tool_calls": True}
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "tools")
    tool = {"type": "function", "function": {"name": "add", "description": "Add two numbers.",
                                             "parameters": {"type": "object", "properties": {}}}}
    text = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], tools=[tool], tokenize=False)
    assert '"name": "add"' in text


def test_the_readme_shows_what_it_prints(built, tmp_path):
    folder, done = built
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert done.stdout.replace(str(folder), "runs/tiny-model").strip() in readme
    tools = build(str(tmp_path / "tools"), "--tool-calls")
    assert tools.stdout.replace(str(tmp_path / "tools"), "/tmp/tiny-tools").strip() in readme
