"""Adversarial suite for issue 16's red-team review (H2, H8, H9), through the real default backend (bwrap): a
verifier reads the same limits in validation's probe groups as in training's groups of any size, the limits of
``verifier validate``/``score`` are the trainer's, its own ``run_response`` never outlives its call, and concurrent
workers cannot pass bits through POSIX record locks on a file every sandbox mounts.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from task_bank.spec import TaskSpec
from trainer.config import RewardSection
from verifier import Limits, open_pool
from verifier.limits import RunEnv

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

ROOT = Path(__file__).resolve().parents[2]

# A verifier has no /proc/self/limits: getrlimit over every RLIMIT_* constant (and numbers up to 16) reads every
# limit; the file's text, or the error opening it, still counts, should /proc come back in some groups only.
LIMITS_PROBE = """import resource, zlib
def verify(response):
    which = sorted({getattr(resource, n) for n in dir(resource) if n.startswith('RLIMIT_')} | set(range(16)))
    seen = tuple((w, resource.getrlimit(w)) for w in which)
    try:
        with open('/proc/self/limits') as f:
            text = f.read()
    except OSError as exc:
        text = exc.errno
    return zlib.crc32(repr((seen, text)).encode()) / 2 ** 32
"""


@pytest.fixture(scope="module")
def pool():
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=2.0, cpu_s=2.0)) as opened:
        yield opened


def test_every_readable_limit_is_the_same_in_validation_and_in_training_groups_of_any_size(pool):
    validation = pool.score(LIMITS_PROBE, [f"probe {i}" for i in range(7)],
                            RunEnv(fresh=True, hash_seed=7, clock_offset_s=86400.0, rng_seed=3))
    training = [pool.score(LIMITS_PROBE, [f"r {i}" for i in range(size)]) for size in (1, 8, 16)]
    outcomes = [(r.outcome.value, r.detail) for group in (validation, *training) for r in group]
    assert all(outcome == "scored" for outcome, _ in outcomes), outcomes
    assert len({r.score for group in (validation, *training) for r in group}) == 1


def test_a_cpu_heavy_group_is_scored_whole_under_the_constant_cpu_cap():
    # 8 calls of 0.3 CPU seconds each outgrow one process's cap of 2 s (cpu_s 0.5): the group needs a fresh process
    burner = ("import time\ndef verify(response):\n    start = time.process_time()\n"
              "    while time.process_time() - start < 0.3:\n        pass\n    return 1.0\n")
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=5.0, cpu_s=0.5)) as small:
        results = small.score(burner, [str(i) for i in range(8)])
    assert [(r.outcome.value, r.score) for r in results] == [("scored", 1.0)] * 8


def test_verifier_cli_and_trainer_use_the_one_default_limits(tmp_path):
    slow = TaskSpec(prompt="What is 6*7?", verifier="import time\ndef verify(r):\n    time.sleep(3.0)\n"
                    "    return 1.0 if r.strip() == '42' else 0.0\n", reference="42", failure_cases=("41",))
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(slow.to_json() + "\n", encoding="utf-8")
    responses = tmp_path / "responses.jsonl"
    responses.write_text(json.dumps({"id": slow.id, "response": "42"}) + "\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "verifier", "score", str(tasks), "--responses", str(responses),
                           "--json"], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["score"] for line in done.stdout.splitlines()] == [1.0]
    reward = RewardSection()
    assert reward.limits() == Limits()


def test_run_response_never_outlives_its_own_verify_call(pool):
    src = ("from envsynth_sandbox import run_response\ndef verify(response):\n"
           "    run = run_response(response, calls=[('f', [])], timeout=30.0)\n"
           "    return 1.0 if run.outcome == 'timeout' else 0.0\n")
    result = pool.score(src, ["import time\ndef f():\n    time.sleep(60)\n"])[0]
    assert (result.outcome.value, result.score) == ("scored", 1.0)


LOCK_CALLS = {"F_GETLK": 5, "F_SETLK": 6, "F_SETLKW": 7, "F_OFD_GETLK": 36, "F_OFD_SETLK": 37, "F_OFD_SETLKW": 38}


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the seccomp filter is built for x86_64 only")
@pytest.mark.parametrize("command", sorted(LOCK_CALLS.values()))
def test_posix_record_locks_on_shared_files_are_denied(pool, command):
    src = ("import errno, fcntl, os, struct\ndef verify(response):\n    fd = os.open(os.__file__, os.O_RDONLY)\n"
           "    lock = struct.pack('=hh4xqqi4x', fcntl.F_RDLCK, 0, 5000, 1, 0)\n    try:\n"
           f"        fcntl.fcntl(fd, {command}, lock)\n    except OSError as exc:\n"
           "        return 1.0 if exc.errno == errno.EPERM else 0.5\n    return 0.0\n")
    assert pool.score(src, ["r"])[0].score == 1.0


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the seccomp filter is built for x86_64 only")
def test_descriptor_flags_still_work_under_the_fcntl_filter(pool):
    src = ("import fcntl, os\ndef verify(response):\n    fd = os.open(os.__file__, os.O_RDONLY)\n"
           "    fcntl.fcntl(fd, fcntl.F_SETFD, fcntl.FD_CLOEXEC)\n    fcntl.fcntl(fd, fcntl.F_SETFL, os.O_NONBLOCK)\n"
           "    copy = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)\n"
           "    ok = fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC\n"
           "    ok = ok and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK\n"
           "    return 1.0 if ok and copy >= 10 else 0.0\n")
    assert pool.score(src, ["r"])[0].score == 1.0


SENDER = """import fcntl, os, time
def verify(response):
    fd = os.open(os.__file__, os.O_RDONLY)
    for i in range(16):
        if 0b1011001110001101 >> i & 1:
            try:
                fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB, 1, 5000 + i)
            except OSError:
                pass
    time.sleep(1.5)
    return 0.0
"""
RECEIVER = """import fcntl, os, struct, time
def verify(response):
    fd = os.open(os.__file__, os.O_RDONLY)
    seen, end = 0, time.monotonic() + 1.5
    while time.monotonic() < end:
        for i in range(16):
            try:
                got = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack("=hh4xqqi4x", fcntl.F_WRLCK, 0, 5000 + i, 1, 0))
            except OSError:
                continue
            if struct.unpack("=hh4xqqi4x", got)[0] != fcntl.F_UNLCK:
                seen |= 1 << i
        time.sleep(0.01)
    return seen / 65536
"""


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the seccomp filter is built for x86_64 only")
def test_record_locks_carry_no_bits_between_concurrent_workers():
    with open_pool("bwrap", workers=2, limits=Limits(wall_s=4.0)) as two:
        results = two.score_batch([(SENDER, "x"), (RECEIVER, "x")])
    assert [r.outcome.value for r in results] == ["scored", "scored"]
    assert results[1].score == 0.0
