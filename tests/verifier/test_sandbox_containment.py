"""Adversarial suite, part 1: resource bombs, time, output, crashes, forged and malformed results.

Every case runs through the real default backend (bwrap). Containment (cgroup pids/memory, rlimits, a per-worker
uid) was proven with bounded bombs before this suite was first run. After each test the autouse ``host_intact``
fixture checks that the sandbox holds no process but its launcher, zygote and fork server, and that the host sentinel
is intact.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from task_bank.validation import Outcome
from verifier import Limits, open_pool

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

CGROUP_PIDS = Path("/sys/fs/cgroup/pids/envsynth")
IDLE_PROCESSES = 6  # an idle worker: the launcher, the zygote, its fork server, the disposer and the two templates
LIMITS = Limits(wall_s=1.0, cpu_s=1.0, max_processes=32, memory_mb=192, output_kb=64, file_size_mb=4, scratch_mb=16)


@pytest.fixture(scope="module")
def pool():
    with open_pool("bwrap", workers=1, limits=LIMITS) as opened:
        yield opened


@pytest.fixture(scope="module")
def sentinel(tmp_path_factory):
    path = tmp_path_factory.mktemp("host") / "sentinel.txt"
    path.write_text("host data")
    return path


def sandbox_process_counts() -> list[int]:
    """pids.current of every sandbox cgroup this test process created."""
    return [int((d / "pids.current").read_text()) for d in CGROUP_PIDS.glob(f"{os.getpid()}-*")]


@pytest.fixture(autouse=True)
def host_intact(pool, sentinel):
    yield
    deadline = time.monotonic() + 3
    while any(n > IDLE_PROCESSES for n in sandbox_process_counts()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(n <= IDLE_PROCESSES for n in sandbox_process_counts()), "a process outlived its run"
    assert sentinel.read_text() == "host data"


def one(pool, source: str, response: str = "r"):
    return pool.score(source, [response])[0]


def test_fork_bomb_is_contained(pool):
    src = "import os\ndef verify(r):\n    while True:\n        try:\n            os.fork()\n        except OSError:\n            pass\n"
    assert one(pool, src).outcome in (Outcome.TIMEOUT, Outcome.CRASHED)


def test_thread_bomb_is_contained(pool):
    src = ("import threading, time\ndef verify(r):\n    while True:\n"
           "        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n")
    assert one(pool, src).outcome in (Outcome.CRASHED, Outcome.TIMEOUT)


def test_memory_bomb_is_crashed(pool):
    src = "def verify(r):\n    blocks = []\n    while True:\n        blocks.append(bytearray(1 << 24))\n"
    result = one(pool, src)
    assert result.outcome is Outcome.CRASHED
    assert "MemoryError" in result.detail


def test_memory_bomb_across_processes_is_contained(pool):
    src = ("import os\ndef verify(r):\n    for _ in range(3):\n        os.fork()\n    blocks = []\n"
           "    while True:\n        blocks.append(bytearray(1 << 24))\n")
    assert one(pool, src).outcome in (Outcome.CRASHED, Outcome.TIMEOUT)


def test_cpu_loop_times_out(pool):
    result = one(pool, "def verify(r):\n    while True:\n        pass\n")
    assert result.outcome is Outcome.TIMEOUT


def test_cpu_time_limit_stops_a_burner_before_the_wall_clock():
    with open_pool("bwrap", workers=1, limits=LIMITS.model_copy(update={"wall_s": 60.0, "cpu_s": 1.0})) as slow:
        result = slow.score("def verify(r):\n    while True:\n        pass\n", ["r"])[0]
    assert result.outcome is Outcome.TIMEOUT
    assert "CPU time" in result.detail


def test_sleep_times_out(pool):
    started = time.monotonic()
    result = one(pool, "import time\ndef verify(r):\n    time.sleep(30)\n    return 1.0\n")
    assert result.outcome is Outcome.TIMEOUT
    assert time.monotonic() - started < 5


def test_ignored_signals_do_not_prevent_the_kill(pool):
    src = ("import signal, time\ndef verify(r):\n"
           "    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU, signal.SIGALRM):\n"
           "        signal.signal(s, signal.SIG_IGN)\n    while True:\n        time.sleep(0.01)\n")
    assert one(pool, src).outcome is Outcome.TIMEOUT


def test_loading_a_verifier_that_hangs_times_out(pool):
    results = pool.score("while True:\n    pass\ndef verify(r):\n    return 1.0\n", ["a", "b"])
    assert [r.outcome for r in results] == [Outcome.TIMEOUT, Outcome.TIMEOUT]


def test_huge_stdout_is_capped(pool):
    src = "import sys\ndef verify(r):\n    while True:\n        sys.stdout.write('x' * 65536)\n"
    result = one(pool, src)
    assert result.outcome is Outcome.CRASHED
    assert "output limit" in result.detail


def test_huge_stderr_is_capped(pool):
    src = "import os\ndef verify(r):\n    while True:\n        os.write(2, b'e' * 65536)\n"
    result = one(pool, src)
    assert result.outcome is Outcome.CRASHED
    assert "output limit" in result.detail


def test_the_output_budget_is_each_calls_own_so_no_response_spends_the_next_ones(pool):
    """Round 28: counted per process, a response that made a chatty verifier print nearly the whole budget crashed
    the correct answer scored after it in the same group."""
    src = ("import sys\ndef verify(r):\n    print('checking', r, file=sys.stderr)\n"
           "    return 1.0 if r == '42' else 0.0\n")
    flood = "x" * (LIMITS.output_kb * 1024 - 20)  # printed, 10 bytes short of the budget
    assert [r.score for r in pool.score(src, ["42", flood, "42", "42"])] == [1.0, 0.0, 1.0, 1.0]


def test_modest_output_is_allowed(pool):
    assert one(pool, "def verify(r):\n    print('checking', r)\n    return 1.0\n").score == 1.0


def test_segfault_is_crashed(pool):
    result = one(pool, "import ctypes\ndef verify(r):\n    return ctypes.string_at(0)\n")
    assert result.outcome is Outcome.CRASHED
    assert "SIGSEGV" in result.detail


def test_deep_recursion_is_crashed(pool):
    src = "def f(n):\n    return f(n + 1) + 1\ndef verify(r):\n    return float(f(0))\n"
    result = one(pool, src)
    assert result.outcome is Outcome.CRASHED
    assert "RecursionError" in result.detail


def test_unbounded_recursion_limit_is_contained(pool):
    src = ("import sys\nsys.setrecursionlimit(10**8)\ndef f(n):\n    return f(n + 1) + 1\n"
           "def verify(r):\n    return float(f(0))\n")
    assert one(pool, src).outcome in (Outcome.CRASHED, Outcome.TIMEOUT)


def test_filling_scratch_space_fails_inside_the_sandbox(pool):
    src = ("import os\ndef verify(r):\n    i = 0\n    while True:\n"
           "        with open(f'f{i}', 'wb') as f:\n            f.write(b'x' * (1 << 20))\n        i += 1\n")
    result = one(pool, src)
    assert result.outcome is Outcome.CRASHED
    assert "No space left" in result.detail or "File too large" in result.detail


def test_file_size_limit_stops_one_big_file(pool):
    src = "def verify(r):\n    with open('big', 'wb') as f:\n        f.write(b'x' * (8 << 20))\n    return 1.0\n"
    result = one(pool, src)
    assert result.outcome is Outcome.CRASHED
    assert "File too large" in result.detail


def test_forged_result_on_stdout_is_ignored(pool):
    src = ("import json\ndef verify(r):\n    print(json.dumps({'outcome': 'scored', 'score': 1.0}))\n"
           "    print('{\"k\": \"val\", \"i\": 0, \"t\": \"float\", \"v\": 1.0}')\n    return 0.0\n")
    assert one(pool, src).score == 0.0


FORGE_ALL = ("import os, json\ndef forge():\n"
             "    for line in [{'outcome': 'scored', 'score': 1.0}, {'k': 'val', 'i': 0, 't': 'float', 'v': 1.0},\n"
             "                 {'results': [{'outcome': 'scored', 'score': 1.0}]}, {'k': 'loaded'}]:\n"
             "        data = ('\\n' + json.dumps(line) + '\\n').encode()\n"
             "        for fd in range(1024):\n            try:\n                os.write(fd, data)\n"
             "            except OSError:\n                pass\n")


def test_forged_result_on_every_descriptor_is_ignored(pool):
    assert one(pool, FORGE_ALL + "def verify(r):\n    forge()\n    return 0.0\n").score == 0.0


def test_forged_result_then_exit_is_crashed(pool):
    result = one(pool, FORGE_ALL + "def verify(r):\n    forge()\n    os._exit(0)\n")
    assert result.outcome is Outcome.CRASHED


def test_sys_exit_zero_inside_verify_is_crashed(pool):
    result = one(pool, "import sys\ndef verify(r):\n    sys.exit(0)\n")
    assert result.outcome is Outcome.CRASHED
    assert "SystemExit" in result.detail


def test_os_exit_zero_inside_verify_is_crashed(pool):
    result = one(pool, "import os\ndef verify(r):\n    os._exit(0)\n")
    assert result.outcome is Outcome.CRASHED
    assert "without a result" in result.detail


@pytest.mark.parametrize("value", ["1", "True", "'1.0'", "None", "[1.0]", "1j"])
def test_non_float_score_is_invalid(pool, value):
    assert one(pool, f"def verify(r):\n    return {value}\n").outcome is Outcome.INVALID


@pytest.mark.parametrize("value", ["float('nan')", "float('inf')", "-float('inf')"])
def test_non_finite_score_is_invalid(pool, value):
    assert one(pool, f"def verify(r):\n    return {value}\n").outcome is Outcome.INVALID


@pytest.mark.parametrize("value", ["1.0000001", "-0.0001", "2.0"])
def test_out_of_range_score_is_invalid(pool, value):
    assert one(pool, f"def verify(r):\n    return {value}\n").outcome is Outcome.INVALID


def test_float_subclass_cannot_disguise_its_value(pool):
    src = ("class Sly(float):\n    def __repr__(self):\n        return '1.0'\n    __str__ = __repr__\n"
           "    def __float__(self):\n        return 1.0\ndef verify(r):\n    return Sly(0.25)\n")
    assert one(pool, src).score == 0.25


def test_a_crash_only_costs_its_own_response(pool):
    src = ("import ctypes\ndef verify(r):\n    if r == 'boom':\n        ctypes.string_at(0)\n"
           "    return 1.0 if r == 'ok' else 0.0\n")
    results = pool.score(src, ["ok", "boom", "no", "ok"])
    assert [r.outcome for r in results] == [Outcome.SCORED, Outcome.CRASHED, Outcome.SCORED, Outcome.SCORED]
    assert [r.score for r in results] == [1.0, None, 0.0, 1.0]


def test_each_worker_gets_at_most_one_core():
    from verifier.sandbox.cgroup import CPU_PERIOD_US, ROOT, open_cgroup
    if not os.access(ROOT / "cpu", os.W_OK):
        pytest.skip("the cgroup v1 cpu controller is not writable here")
    group = open_cgroup(8, 64 << 20)
    try:
        assert (group.dirs["cpu"] / "cpu.cfs_quota_us").read_text().strip() == str(CPU_PERIOD_US)
    finally:
        group.remove()


def test_a_sandbox_orphaned_mid_start_by_a_killed_host_is_swept_by_the_next_pool():
    from verifier.sandbox.cgroup import ROOT, Cgroup, cgroups_available, sweep_stale
    if not cgroups_available():
        pytest.skip("cgroup v1 is not writable here (not root)")
    gone = subprocess.Popen(["true"])
    gone.wait()  # the host that owned the group: dead
    dirs = {c: ROOT / c / "envsynth" / f"{gone.pid}-orphan-test" for c in ("pids", "memory")}
    for directory in dirs.values():
        directory.mkdir(parents=True)
    info_r, info_w = os.pipe()
    os.close(info_r)  # nobody reads bwrap's info: its launcher dies writing it, before it releases its child
    argv = Cgroup(dirs).wrap([shutil.which("bwrap"), "--unshare-pid", "--as-pid-1", "--new-session", "--info-fd",
                              str(info_w), "--dev-bind", "/", "/", "--", "/bin/sleep", "600"])
    launcher = subprocess.Popen(argv, pass_fds=(info_w,), start_new_session=True, env={},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(info_w)
    launcher.wait(timeout=10)
    orphans = Cgroup(dirs).pids()
    assert orphans  # the child waits forever for its dead launcher: the leak being guarded against
    sweep_stale()
    assert not any(directory.exists() for directory in dirs.values())
    assert not [pid for pid in orphans if _still_running(pid)]


def _still_running(pid: int, within_s: float = 5.0) -> bool:
    """True while ``pid`` runs; a zombie waiting for init to reap it has ended."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/status").read_text().split("State:", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        if state == "Z":
            return False
        time.sleep(0.05)
    return True
