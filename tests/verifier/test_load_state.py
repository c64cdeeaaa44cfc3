"""What an isolated verifier process puts back after each response's fork (``load_state``): the files it wrote at load
time, the files it holds open, their offsets. Plain directories and descriptors, no sandbox."""

from __future__ import annotations

import os
import stat

from verifier.sandbox.zygote.cleanup import wipe
from verifier.sandbox.zygote.load_state import make_files, put_back, record, scratch_files


def test_files_directories_and_links_come_back_as_they_were(tmp_path):
    (tmp_path / "run" / "data").mkdir(parents=True)
    (tmp_path / "run" / "data" / "cases.json").write_text("[1, 2]")
    (tmp_path / "run" / "data" / "cases.json").chmod(0o400)
    (tmp_path / "run" / "latest").symlink_to("data/cases.json")
    kept = scratch_files(str(tmp_path))
    wipe(str(tmp_path))
    make_files(str(tmp_path), kept)
    assert (tmp_path / "run" / "latest").read_text() == "[1, 2]"
    assert os.readlink(tmp_path / "run" / "latest") == "data/cases.json"
    assert stat.S_IMODE((tmp_path / "run" / "data" / "cases.json").stat().st_mode) == 0o400


def test_a_changed_file_is_put_back_as_it_was_at_load_time(tmp_path):
    (tmp_path / "answer.txt").write_text("42")
    kept = scratch_files(str(tmp_path))
    (tmp_path / "answer.txt").write_text("0")
    wipe(str(tmp_path))
    make_files(str(tmp_path), kept)
    assert (tmp_path / "answer.txt").read_text() == "42"


def test_a_deep_tree_is_walked_without_recursion(tmp_path):
    path = tmp_path
    for _ in range(1100):  # deeper than the interpreter's recursion limit
        path = path / "d"
        path.mkdir()
    (path / "leaf").write_text("x")
    try:
        kept = scratch_files(str(tmp_path))
    finally:
        wipe(str(tmp_path))  # (iteratively: pytest's own clean-up would recurse)
    assert len(kept) == 1101 and kept[-1][2] == b"x"


def test_files_beyond_the_cap_are_left_out(tmp_path):
    (tmp_path / "small").write_bytes(b"s" * 10)
    (tmp_path / "large").write_bytes(b"l" * 100)
    assert {path for path, _, _ in scratch_files(str(tmp_path), cap=50)} == {"small"}


def test_a_file_held_open_reads_as_at_load_time_whatever_was_written_through_it(tmp_path):
    (tmp_path / "answer.txt").write_text("42")
    held = os.open(tmp_path / "answer.txt", os.O_RDWR)
    try:
        os.lseek(held, 1, os.SEEK_SET)
        state = record(str(tmp_path))
        os.pwrite(held, b"00", 0)  # what a fork could do through the shared description
        os.lseek(held, 0, os.SEEK_END)
        wipe(str(tmp_path))
        put_back(state, str(tmp_path))
        assert os.read(held, 10) == b"2" and os.pread(held, 10, 0) == b"42"
    finally:
        os.close(held)


def test_a_status_flag_a_fork_set_is_taken_back(tmp_path):
    read_end, write_end = os.pipe()
    try:
        state = record(str(tmp_path))
        os.set_blocking(write_end, False)
        put_back(state, str(tmp_path))
        assert os.get_blocking(write_end)
    finally:
        os.close(read_end)
        os.close(write_end)
