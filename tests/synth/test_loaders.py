"""Loaders: each input shape becomes FailureRecords; bad input is named by file, line and field."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from synth.loaders import ColumnMapping, load_failures
from task_bank.errors import InputError
from task_bank.failure import SignalKind


def _write(path: Path, rows: list[object]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


CHAT = {"messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "5"}],
        "rating": "down", "tags": ["math"]}
RECORD = {"conversation": [{"role": "user", "content": "Convert 3 km to m"}], "response": "30 m",
          "signal": {"kind": "correction", "detail": "3000 m"}}


def test_chat_log_final_assistant_turn_is_the_response(tmp_path: Path) -> None:
    rec = load_failures(_write(tmp_path / "f.jsonl", [CHAT])).records[0]
    assert rec.response == "5"
    assert [m.content for m in rec.conversation] == ["2+2?"]
    assert rec.signal.kind is SignalKind.THUMBS_DOWN
    assert rec.tags == ("math",)


def test_chat_log_feedback_fields_map_to_signals(tmp_path: Path) -> None:
    rows = [{**CHAT, "rating": None, "correction": "4"}, {**CHAT, "rating": None, "error": "Traceback"},
            {**CHAT, "rating": None, "feedback": {"kind": "failed_check", "detail": "expected 4"}}]
    kinds = [r.signal.kind for r in load_failures(_write(tmp_path / "f.jsonl", rows)).records]
    assert kinds == [SignalKind.CORRECTION, SignalKind.ERROR, SignalKind.FAILED_CHECK]


def test_failure_record_lines_load_with_source_defaulting_to_file_name(tmp_path: Path) -> None:
    rec = load_failures(_write(tmp_path / "feed.jsonl", [RECORD])).records[0]
    assert rec.source == "feed.jsonl"
    assert rec.id.startswith("f_")


@pytest.mark.parametrize(("row", "line_field"), [
    ("{not json", ":2:"),
    ({**CHAT, "messages": [{"role": "user", "content": "hi"}]}, "(field 'messages')"),
    ({**CHAT, "rating": None}, "(field 'feedback')"),
    ({**RECORD, "signal": {"kind": "meh"}}, "(field 'signal.kind')"),
    ({**RECORD, "conversation": [{"role": "robot", "content": "x"}]}, "(field 'conversation.0.role')"),
    ([1, 2], ":2:"),
])
def test_bad_line_names_file_line_and_field(tmp_path: Path, row: object, line_field: str) -> None:
    path = _write(tmp_path / "bad.jsonl", [RECORD, row])
    with pytest.raises(InputError) as info:
        load_failures(path)
    message = str(info.value)
    assert message.startswith(f"{path}:2:")
    assert line_field in message


def test_skip_invalid_returns_issues_and_keeps_good_lines(tmp_path: Path) -> None:
    result = load_failures(_write(tmp_path / "f.jsonl", [RECORD, "{oops", CHAT]), skip_invalid=True)
    assert len(result.records) == 2
    assert [(i.line, i.field) for i in result.issues] == [(2, None)]


def _with_latin1_line(tmp_path: Path) -> Path:
    path = tmp_path / "f.jsonl"
    path.write_bytes(json.dumps(RECORD).encode() + b'\n{"response": "caf\xe9"}\n' + json.dumps(CHAT).encode() + b"\n")
    return path


def test_a_line_that_is_not_utf8_is_named_by_file_and_line(tmp_path: Path) -> None:
    """One such byte once ended the run with an internal UnicodeDecodeError and no line (red-team round 30)."""
    path = _with_latin1_line(tmp_path)
    with pytest.raises(InputError, match=re.escape(f"{path}:2:") + ".*not UTF-8 text"):
        load_failures(path)


def test_skip_invalid_skips_a_line_that_is_not_utf8(tmp_path: Path) -> None:
    result = load_failures(_with_latin1_line(tmp_path), skip_invalid=True)
    assert len(result.records) == 2 and [i.line for i in result.issues] == [2]


def test_missing_file_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        load_failures(tmp_path / "nope.jsonl")


def test_parquet_with_column_mapping(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    table = pa.table({"question": ["What is 2+2?", "Spell cat"], "answer": ["5", "kat"],
                      "why": ["wrong sum", "typo"], "labels": [["math"], ["spelling"]]})
    pq.write_table(table, tmp_path / "f.parquet")
    mapping = ColumnMapping(prompt="question", response="answer", signal_detail="why", tags="labels")
    recs = load_failures(tmp_path / "f.parquet", mapping=mapping).records
    assert [(r.user_text, r.response, r.signal.detail, r.tags) for r in recs] == [
        ("What is 2+2?", "5", "wrong sum", ("math",)), ("Spell cat", "kat", "typo", ("spelling",))]
    assert recs[0].signal.kind is SignalKind.FEEDBACK


def test_parquet_missing_column_names_row_and_column(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    pq.write_table(pa.table({"question": ["q"], "answer": ["a"]}), tmp_path / "f.parquet")
    with pytest.raises(InputError, match=r"f.parquet:1: column 'prompt' is missing \(field 'prompt'\)"):
        load_failures(tmp_path / "f.parquet")


def test_saved_dataset_folder_with_messages_column(tmp_path: Path) -> None:
    import datasets
    ds = datasets.Dataset.from_list([{"chat": CHAT["messages"], "kind": "thumbs_down"}])
    ds.save_to_disk(str(tmp_path / "ds"))
    mapping = ColumnMapping(messages="chat", prompt=None, response=None, signal_kind="kind")
    rec = load_failures(tmp_path / "ds", mapping=mapping).records[0]
    assert rec.response == "5" and rec.signal.kind is SignalKind.THUMBS_DOWN


@pytest.mark.parametrize("feedback", [
    {"rating": "thumbs_down", "comment": "wrong sum"}, {"rating": -1, "comment": "wrong sum"},
    {"score": 0, "comment": "wrong sum"}, {"value": "down", "text": "wrong sum"}])
def test_chat_tool_feedback_shapes_are_read_as_a_thumbs_down_with_their_comment(tmp_path: Path,
                                                                                  feedback: dict) -> None:
    row = {**CHAT, "rating": None, "feedback": feedback}
    signal = load_failures(_write(tmp_path / "f.jsonl", [row])).records[0].signal
    assert (signal.kind, signal.detail) == (SignalKind.THUMBS_DOWN, "wrong sum")


@pytest.mark.parametrize(("feedback", "message"), [
    ({"stars": 1}, "unknown feedback shape (fields: stars)"),
    ({"rating": 1, "comment": "great"}, "rating 1 is positive feedback, not a failure"),
    ({"score": 0.9}, "score 0.9 is positive feedback"),
])
def test_feedback_that_marks_no_failure_is_refused_naming_the_field(tmp_path: Path, feedback: dict,
                                                                    message: str) -> None:
    path = _write(tmp_path / "f.jsonl", [{**CHAT, "rating": None, "feedback": feedback}])
    with pytest.raises(InputError, match=re.escape(f"{path}:1: {message}")) as caught:
        load_failures(path)
    assert str(caught.value).endswith("(field 'feedback')")


@pytest.mark.parametrize(("rating", "shown"), [("meh", "rating 'meh' is not a rating"),
                                               ("sk-proj-AbCdEf0123456789AbCdEf0123456789", "not shown")])
def test_a_feedback_value_that_is_not_a_rating_is_quoted_only_when_it_is_a_short_word(tmp_path: Path, rating: str,
                                                                                      shown: str) -> None:
    """A feedback field is user text: a secret pasted into one was echoed whole on stderr (red-team round 30)."""
    path = _write(tmp_path / "f.jsonl", [{**CHAT, "rating": None, "feedback": {"rating": rating}}])
    with pytest.raises(InputError) as caught:
        load_failures(path)
    assert shown in str(caught.value) and "sk-proj" not in str(caught.value)
