"""What a verifier or response process costs to clone: the pieces that keep it low, each checked on its own.

A ``run_response`` call's process used to take about 1,000 page faults (4-5 us each in this VM), 400 of them on
the interpreter's code and constants that the kernel left for each clone to fault in again, and a hundred on the
Python layers of ``json.loads``. ``clean_image.inherit_code_mappings`` makes clones start with the code mapped, and
``plainjson.own_codec`` is ``json`` without its Python layers; both must change nothing a process can observe.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from verifier.sandbox.zygote.child import request_lines
from verifier.sandbox.zygote.clean_image import inherit_code_mappings
from verifier.sandbox.zygote.plainjson import own_codec

ROOT = Path(__file__).resolve().parents[2]

CLONE_MAPPED = textwrap.dedent('''
    import ctypes, json, os
    from verifier.sandbox.zygote.clean_image import inherit_code_mappings

    EVAL = ctypes.cast(ctypes.pythonapi.PyEval_EvalCode, ctypes.c_void_p).value

    def interpreter_file(pid):
        with open(f"/proc/{pid}/maps") as maps:
            for line in maps:
                fields = line.split(maxsplit=5)
                start, end = (int(bound, 16) for bound in fields[0].split("-"))
                if start <= EVAL < end:
                    return fields[5].strip()

    def code_mapped_in_a_clone():
        """(kB of the interpreter's code, kB of it in the page table) of a clone that has run nothing yet."""
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.read(read_end, 1)
            os._exit(0)
        size = resident = 0
        try:
            path = interpreter_file(pid)
            with open(f"/proc/{pid}/smaps") as smaps:
                executable = False
                for line in smaps:
                    fields = line.split()
                    if "-" in fields[0] and not fields[0].endswith(":"):
                        executable = len(fields) >= 6 and fields[1] == "r-xp" and fields[5] == path
                    elif executable and fields[0] == "Size:":
                        size += int(fields[1])
                    elif executable and fields[0] == "Rss:":
                        resident += int(fields[1])
        finally:
            os.write(write_end, b"x")
            os.waitpid(pid, 0)
        return size, resident

    plain = code_mapped_in_a_clone()
    prepared = inherit_code_mappings()
    after = code_mapped_in_a_clone()
    print(json.dumps({"plain": plain, "prepared": prepared, "after": after}))
''')


def test_clones_of_a_prepared_image_start_with_its_code_mapped():
    done = subprocess.run([sys.executable, "-c", CLONE_MAPPED], capture_output=True, text=True, timeout=60,
                          cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": os.environ.get("PATH", "")})
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout)
    if figures["prepared"] == 0:
        pytest.skip("this kernel refuses writes through /proc/self/mem (proc_mem.force_override)")
    (size, plain), (_, after) = figures["plain"], figures["after"]
    assert after >= size * 0.95 and after > plain, figures  # before: what the parent happened to have run


def test_preparing_the_image_changes_no_byte_of_its_code(tmp_path):
    library = tmp_path / "code.bin"
    library.write_bytes(bytes(range(256)) * 64)  # four pages
    script = textwrap.dedent(f'''
        import mmap, os, sys
        from verifier.sandbox.zygote.clean_image import inherit_code_mappings
        with open({str(library)!r}, "rb") as file:
            view = mmap.mmap(file.fileno(), 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ)
        before = view[:]
        prepared = inherit_code_mappings()
        sys.stdout.write(f"{{prepared}} {{int(view[:] == before)}} {{int(before == open({str(library)!r}, 'rb').read())}}")
    ''')
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": os.environ.get("PATH", "")})
    assert done.returncode == 0, done.stderr[-2000:]
    prepared, unchanged, faithful = (int(word) for word in done.stdout.split())
    if prepared == 0:
        pytest.skip("this kernel refuses writes through /proc/self/mem (proc_mem.force_override)")
    assert (unchanged, faithful) == (1, 1)


def test_an_image_without_proc_prepares_nothing(tmp_path):
    assert inherit_code_mappings(maps=str(tmp_path / "absent-maps"), mem=str(tmp_path / "absent-mem")) == 0


VALUES = [
    {"e": "call", "i": 0, "ok": True, "value": [1.5, -0.0, 10 ** 30, "caf\u00e9", "\ud800", None, True, {"$$set": []}]},
    {"n": "ab" * 16, "k": "val", "t": "float", "v": "nan"},
    [],
    "only text \n with a newline",
    {"nested": [[[{"deep": [1, [2, [3]]]}]]]},
]


@pytest.mark.parametrize("value", VALUES)
def test_the_own_codec_writes_exactly_what_json_dumps_writes(value):
    _, encode = own_codec()
    assert encode(value) == json.dumps(value)


def test_the_own_codec_writes_non_finite_floats_as_json_dumps_does():
    _, encode = own_codec()
    assert encode([math.inf, -math.inf]) == json.dumps([math.inf, -math.inf])
    assert encode([math.nan]) == "[NaN]"


@pytest.mark.parametrize("value", VALUES)
def test_the_own_codec_reads_back_what_json_loads_reads(value):
    decode, _ = own_codec()
    text = json.dumps(value)
    assert decode(text) == json.loads(text)


def test_the_own_codec_refuses_malformed_text():
    decode, _ = own_codec()
    with pytest.raises((StopIteration, ValueError)):
        decode("{\"unterminated\": ")


def test_request_lines_come_whole_however_the_pipe_splits_them():
    read_end, write_end = os.pipe()
    try:
        for piece in (b'{"source": "x"}\n{"a"', b': 1}\n', b'"last"\n'):
            os.write(write_end, piece)
        os.close(write_end)
        write_end = None
        assert list(request_lines(read_end)) == [b'{"source": "x"}', b'{"a": 1}', b'"last"']
    finally:
        os.close(read_end)
        if write_end is not None:
            os.close(write_end)


def test_request_lines_carry_a_line_longer_than_one_read():
    read_end, write_end = os.pipe()
    line = b'"' + b"x" * 200_000 + b'"'
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        os.write(write_end, line + b"\n")
        os._exit(0)
    os.close(write_end)
    try:
        assert list(request_lines(read_end)) == [line]
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)


def test_the_own_codec_refuses_a_second_value_after_the_first():
    decode, _ = own_codec()
    assert decode('{"code": "x"}  \n') == {"code": "x"}
    with pytest.raises(ValueError):
        decode('{"code": "mine"}{"code": "theirs"}')
