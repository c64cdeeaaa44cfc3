"""Feed cursors: only new, complete lines are read, and the cursor only moves over processed records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synth.grow.feeds import FeedPosition, advance, read_new, records
from task_bank.errors import InputError


def _failure(i: int, **extra: object) -> dict:
    return {"conversation": [{"role": "user", "content": f"What is {i} + {i}?"}], "response": str(i),
            "signal": {"kind": "thumbs_down"}, **extra}


def _append(path: Path, *rows: dict | str) -> None:
    with path.open("a", encoding="utf-8") as fh:
        for row in rows:
            fh.write((row if isinstance(row, str) else json.dumps(row)) + "\n")


def test_first_read_starts_at_the_beginning_and_tags_the_feed_name(tmp_path):
    feed = tmp_path / "f.jsonl"
    _append(feed, _failure(1), _failure(2, source="other"))
    got = records(read_new(feed, "prod", FeedPosition.from_cursor(None)))
    assert [r.response for r in got] == ["1", "2"]
    assert [r.source for r in got] == ["prod", "other"]


def test_only_lines_after_the_cursor_are_read(tmp_path):
    feed = tmp_path / "f.jsonl"
    _append(feed, _failure(1), _failure(2))
    entries = read_new(feed, "prod", FeedPosition())
    done = advance(FeedPosition(), entries, {r.id for r in records(entries)})
    _append(feed, _failure(3))
    again = read_new(feed, "prod", FeedPosition.from_cursor(done.to_cursor()))
    assert [r.response for r in records(again)] == ["3"]


def test_a_half_written_last_line_waits_for_the_next_read(tmp_path):
    feed = tmp_path / "f.jsonl"
    _append(feed, _failure(1))
    with feed.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(_failure(2))[:20])
    entries = read_new(feed, "prod", FeedPosition())
    assert [r.response for r in records(entries)] == ["1"]
    assert advance(FeedPosition(), entries, {records(entries)[0].id}).offset == len(json.dumps(_failure(1))) + 1


def test_cursor_stops_before_the_first_unprocessed_record(tmp_path):
    feed = tmp_path / "f.jsonl"
    _append(feed, _failure(1), _failure(2), _failure(3))
    entries = read_new(feed, "prod", FeedPosition())
    ids = [r.id for r in records(entries)]
    assert advance(FeedPosition(), entries, {ids[0], ids[2]}) == entries[0].end
    assert advance(FeedPosition(), entries, set()) == FeedPosition()


def test_a_bad_line_is_reported_and_does_not_stall_the_feed(tmp_path):
    feed = tmp_path / "f.jsonl"
    _append(feed, "{not json", _failure(1), '{"response": "no conversation"}')
    entries = read_new(feed, "prod", FeedPosition())
    errors = [e.error for e in entries if e.error]
    assert len(errors) == 2 and str(feed) in errors[0]
    assert advance(FeedPosition(), entries, {r.id for r in records(entries)}) == entries[-1].end


@pytest.mark.parametrize("line", ["[" * 100_000, '{"a": ' + "9" * 5000 + "}"])
def test_a_line_no_reader_can_hold_is_reported_and_does_not_stall_the_feed(tmp_path, line):
    """100,000 ``[`` once raised RecursionError, which ended every later cycle at this line (red-team round 30)."""
    feed = tmp_path / "f.jsonl"
    _append(feed, _failure(1), line, _failure(2))
    entries = read_new(feed, "prod", FeedPosition())
    assert [e.error is not None for e in entries] == [False, True, False]
    assert advance(FeedPosition(), entries, {r.id for r in records(entries)}) == entries[-1].end


def test_a_line_that_is_not_utf8_is_reported_and_does_not_stall_the_feed(tmp_path):
    feed = tmp_path / "f.jsonl"
    _append(feed, _failure(1))
    with feed.open("ab") as fh:
        fh.write(b'{"response": "caf\xe9"}\n')
    _append(feed, _failure(2))
    entries = read_new(feed, "prod", FeedPosition())
    assert "not UTF-8" in (entries[1].error or "") and entries[2].record is not None


def test_chat_log_rows_are_read_like_the_loaders_read_them(tmp_path):
    feed = tmp_path / "f.jsonl"
    _append(feed, {"messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "5"}],
                   "feedback": "wrong sum"})
    (rec,) = records(read_new(feed, "chat", FeedPosition()))
    assert rec.response == "5" and rec.source == "chat"


def test_folder_feed_reads_files_in_name_order_from_the_cursor_file(tmp_path):
    feed = tmp_path / "feed"
    feed.mkdir()
    _append(feed / "2026-01-01.jsonl", _failure(1), _failure(2))
    entries = read_new(feed, "prod", FeedPosition())
    done = advance(FeedPosition(), entries, {r.id for r in records(entries)})
    _append(feed / "2026-01-02.jsonl", _failure(3))
    _append(feed / "2026-01-01.jsonl", _failure(4))
    (feed / "notes.txt").write_text("ignored")
    again = records(read_new(feed, "prod", done))
    assert [r.response for r in again] == ["4", "3"]


def test_a_truncated_feed_is_read_again_from_its_start(tmp_path):
    feed = tmp_path / "f.jsonl"
    _append(feed, _failure(1), _failure(2))
    far = FeedPosition(offset=feed.stat().st_size)
    feed.write_text(json.dumps(_failure(9)) + "\n")
    assert [r.response for r in records(read_new(feed, "prod", far))] == ["9"]


def test_a_missing_feed_is_an_input_error_naming_the_path(tmp_path):
    with pytest.raises(InputError, match=f"{tmp_path / 'absent.jsonl'}: feed not found"):
        read_new(tmp_path / "absent.jsonl", "prod", FeedPosition())


def test_an_empty_feed_folder_yields_nothing(tmp_path):
    assert read_new(tmp_path, "prod", FeedPosition()) == []


def test_a_corrupt_stored_cursor_is_an_input_error_that_says_how_to_reset(tmp_path):
    with pytest.raises(InputError, match="set it to '{}'"):
        FeedPosition.from_cursor("garbage")


def test_the_same_record_twice_in_a_feed_is_one_record(tmp_path):
    feed = tmp_path / "f.jsonl"
    _append(feed, _failure(1), _failure(1))
    assert len(records(read_new(feed, "prod", FeedPosition()))) == 1
