"""The shared command-line plumbing: bank path, one-line errors and exit codes, JSON out, the JSONL reader."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from task_bank.cli_support import add_bank_args, default_bank, emit_json, one_line, run_command
from task_bank.lines import BadLine, ParsedLine, read_jsonl
from task_bank.errors import BankError, InputError, SandboxError


class Band(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    low: float = Field(ge=0.0, le=1.0)
    high: float = 1.0


def test_default_bank_is_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVSYNTH_BANK", "/tmp/elsewhere.db")
    assert default_bank() == Path("/tmp/elsewhere.db")


def test_an_empty_environment_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVSYNTH_BANK", "")
    assert default_bank() == Path("task_bank.db")


def test_bank_args_show_their_defaults_in_help() -> None:
    parser = argparse.ArgumentParser()
    add_bank_args(parser)
    text = parser.format_help()
    assert "$ENVSYNTH_BANK, else ./task_bank.db" in text
    assert "--json" in text


def test_one_line_names_the_flag_not_the_model_field() -> None:
    with pytest.raises(ValidationError) as caught:
        Band(low=2)
    assert one_line(caught.value, flags={"low": "--band-low"}).startswith("--band-low: ")


def test_one_line_is_one_line() -> None:
    with pytest.raises(ValidationError) as caught:
        Band(low="x", high="y")
    text = one_line(caught.value)
    assert "\n" not in text and text.startswith("low: ") and "; high: " in text


@pytest.mark.parametrize(("error", "code", "label"), [
    (InputError("bad file", path="x.jsonl", line=3), 2, "error: x.jsonl:3: bad file"),
    (SandboxError("bwrap missing"), 4, "error: sandbox failed: bwrap missing"),
    (BankError("locked database"), 5, "error: bank: locked database"),
    (KeyboardInterrupt(), 130, "error: interrupted"),
])
def test_run_command_maps_an_error_to_one_line_and_the_shared_code(
        capsys: pytest.CaptureFixture[str], error: BaseException, code: int, label: str) -> None:
    def body() -> int:
        raise error
    assert run_command(body) == code
    assert capsys.readouterr().err == label + "\n"


def test_run_command_turns_an_unexpected_exception_into_one_line_and_exit_1(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENVSYNTH_DEBUG", raising=False)

    def body() -> int:
        raise RuntimeError("boom\nsecond line")
    assert run_command(body) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "RuntimeError: boom second line" in err


def test_run_command_reraises_under_envsynth_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVSYNTH_DEBUG", "1")

    def body() -> int:
        raise RuntimeError("boom")
    with pytest.raises(RuntimeError):
        run_command(body)


def test_emit_json_escapes_a_lone_surrogate_instead_of_crashing(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    emit_json({"text": "caf\udce9"})
    out = capsysbinary.readouterr().out
    assert json.loads(out) == {"text": "caf\udce9"}


def _write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "lines.jsonl"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_reader_yields_each_good_line_with_its_line_number(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"low": 0.1}\n\n{"low": 0.2}\n')
    items = list(read_jsonl(path, Band))
    assert [(i.line, i.value.low) for i in items if isinstance(i, ParsedLine)] == [(1, 0.1), (3, 0.2)]


def test_a_truncated_line_reports_its_real_column(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"low": 0.1}\n{"low": 0.1, "high"\n')
    bad = [i for i in read_jsonl(path, Band) if isinstance(i, BadLine)]
    assert [(b.line, b.column) for b in bad] == [(2, 20)]


def test_a_bad_line_names_file_line_column_field_and_message(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"low": 7}\n')
    (bad,) = list(read_jsonl(path, Band))
    assert isinstance(bad, BadLine) and bad.field == "low" and bad.line == 1
    assert str(bad).startswith(f"{path}:1: low: ")


def test_a_line_that_is_not_utf8_is_a_bad_line_at_its_column(tmp_path: Path) -> None:
    path = _write(tmp_path, b'{"low": "\xff"}\n')
    (bad,) = list(read_jsonl(path, Band))
    assert isinstance(bad, BadLine) and bad.column == 10 and "UTF-8" in bad.message


def test_a_line_that_is_not_an_object_is_a_bad_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "[1, 2]\n")
    (bad,) = list(read_jsonl(path, Band))
    assert isinstance(bad, BadLine) and bad.field is None and "list" in bad.message


def test_a_missing_file_is_input_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nope.jsonl"):
        list(read_jsonl(tmp_path / "nope.jsonl", Band))
