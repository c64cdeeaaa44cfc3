"""Adversarial suite, part 2: the host's files, environment, network and processes stay out of reach, and no
state survives from one run to the next. Every case runs through the real default backend (bwrap).
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from task_bank.validation import Outcome
from verifier import Limits, open_pool

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

CGROUP_PIDS = Path("/sys/fs/cgroup/pids/envsynth")
IDLE_PROCESSES = 6  # an idle worker: the launcher, the zygote, its fork server, the disposer and the two templates
SECRET = "envsynth-host-secret-7c1f"
LIMITS = Limits(wall_s=2.0, cpu_s=2.0, max_processes=32, memory_mb=192, scratch_mb=16)
LIBRARY_FILE = Path(os.__file__)


@pytest.fixture(scope="module")
def pool():
    os.environ["ENVSYNTH_SANDBOX_TEST_SECRET"] = SECRET
    try:
        with open_pool("bwrap", workers=1, limits=LIMITS) as opened:
            yield opened
    finally:
        del os.environ["ENVSYNTH_SANDBOX_TEST_SECRET"]


@pytest.fixture(scope="module")
def sentinel(tmp_path_factory):
    path = tmp_path_factory.mktemp("host") / "sentinel.txt"
    path.write_text("host data")
    return path


@pytest.fixture(autouse=True)
def host_intact(pool, sentinel):
    library_before = LIBRARY_FILE.read_bytes()
    yield
    deadline = time.monotonic() + 3
    counts = lambda: [int((d / "pids.current").read_text()) for d in CGROUP_PIDS.glob(f"{os.getpid()}-*")]
    while any(n > IDLE_PROCESSES for n in counts()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(n <= IDLE_PROCESSES for n in counts()), "a process outlived its run"
    assert sentinel.read_text() == "host data"
    assert LIBRARY_FILE.read_bytes() == library_before


def one(pool, source: str, response: str = "r"):
    return pool.score(source, [response])[0]


def any_succeeds(attempts: str) -> str:
    """A verifier scoring 1.0 when any of ``attempts`` (one Python statement per line) succeeds, else 0.0."""
    body = "".join(f"    try:\n        {line}\n        return 1.0\n    except Exception:\n        pass\n"
                   for line in attempts.strip().splitlines())
    return f"import os, socket\ndef verify(r):\n{body}    return 0.0\n"


def test_writes_outside_scratch_fail(pool):
    paths = ["/usr/evil", "/evil", "/root/evil", "/dev/shm/evil", "/proc/evil", f"{LIBRARY_FILE}.evil"]
    src = any_succeeds("\n".join(f"open({p!r}, 'w').write('x')" for p in paths))
    assert one(pool, src).score == 0.0


def test_host_files_cannot_be_deleted(pool, sentinel):
    src = any_succeeds(f"os.remove({str(sentinel)!r})\nos.remove({str(LIBRARY_FILE)!r})")
    assert one(pool, src).score == 0.0
    assert sentinel.exists() and LIBRARY_FILE.exists()


def test_host_files_cannot_be_changed(pool):
    src = any_succeeds(f"open({str(LIBRARY_FILE)!r}, 'a').write('#')\nos.chmod({str(LIBRARY_FILE)!r}, 0o777)")
    assert one(pool, src).score == 0.0


def test_host_files_are_unreadable(pool, sentinel):
    paths = ["/etc/shadow", "/etc/passwd", "/root/.bashrc", str(sentinel), "/work/main/pyproject.toml",
             "/proc/1/root/etc/passwd"]
    assert one(pool, any_succeeds("\n".join(f"open({p!r}).read()" for p in paths))).score == 0.0


def test_host_environment_is_invisible(pool):
    src = f"import os\ndef verify(r):\n    return 1.0 if any({SECRET!r} in v for v in os.environ.values()) else 0.0\n"
    assert one(pool, src).score == 0.0


def test_host_secret_is_invisible_through_proc(pool):
    src = ("import os\ndef verify(r):\n    for pid in [p for p in os.listdir('/proc') if p.isdigit()]:\n"
           "        for name in ('environ', 'cmdline'):\n            try:\n"
           "                data = open(f'/proc/{pid}/{name}', 'rb').read()\n            except OSError:\n"
           "                continue\n"
           f"            if {SECRET.encode()!r} in data or b'ENVSYNTH_SANDBOX_TEST' in data:\n"
           "                return 1.0\n    return 0.0\n")
    assert one(pool, src).score == 0.0


def test_parent_memory_is_unreadable(pool):
    src = any_succeeds("open(f'/proc/{os.getppid()}/mem', 'rb').read(1)\nopen('/proc/1/mem', 'rb').read(1)")
    assert one(pool, src).score == 0.0


CAPGET = """import ctypes, os
def verify(r):
    libc = ctypes.CDLL(None, use_errno=True)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    sets = (ctypes.c_uint32 * 6)()  # two of (effective, permitted, inheritable)
    if libc.syscall(125, header, sets) != 0:  # capget (x86_64)
        raise OSError(ctypes.get_errno(), 'capget')
    effective, permitted = sets[0] | sets[3] << 32, sets[1] | sets[4] << 32
    return 1.0 if os.getuid() != 0 and os.geteuid() != 0 and effective == permitted == 0 else 0.0
"""


@pytest.mark.skipif(platform.machine() != "x86_64", reason="capget is syscall 125 on x86_64")
def test_runs_as_an_unprivileged_uid_without_capabilities(pool):
    """No /proc/self/status (CapEff) in a verifier: it reads its capability sets with the capget system call."""
    assert one(pool, CAPGET).score == 1.0
    namespace = {}  # the reader sees capabilities where there are some: this test process runs as root
    exec(CAPGET.replace("os.getuid() != 0 and os.geteuid() != 0 and ", ""), namespace)
    assert namespace["verify"]("r") == 0.0


def test_no_host_process_is_visible(pool):
    src = f"import os\ndef verify(r):\n    return 1.0 if os.path.exists('/proc/{os.getpid()}') else 0.0\n"
    assert one(pool, src).score == 0.0


def test_network_to_host_loopback_fails(pool):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    try:
        src = any_succeeds(f"socket.create_connection(('127.0.0.1', {port}), timeout=0.5)")
        assert one(pool, src).score == 0.0
    finally:
        server.close()


def test_external_network_is_unreachable(pool):
    src = any_succeeds("socket.create_connection(('1.1.1.1', 53), timeout=0.5)\nsocket.getaddrinfo('example.com', 80)")
    assert one(pool, src).score == 0.0


def test_server_bound_inside_is_unreachable_from_host(pool):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    src = (f"import socket, time\ndef verify(r):\n    s = socket.create_server(('0.0.0.0', {port}))\n"
           "    time.sleep(1.0)\n    return 1.0\n")
    reached = []

    def knock():
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                reached.append(True)
                return
            except OSError:
                time.sleep(0.05)

    knocker = threading.Thread(target=knock)
    knocker.start()
    result = one(pool, src)
    knocker.join()
    assert result.outcome is Outcome.CRASHED, "no internet socket inside (test_sandbox_loopback.py)"
    assert not reached


def test_killing_the_parent_fails_and_the_worker_survives(pool):
    src = ("import os, signal\ndef verify(r):\n    for pid in (os.getppid(), 1):\n        try:\n"
           "            os.kill(pid, signal.SIGKILL)\n        except OSError:\n            pass\n    return 0.5\n")
    assert one(pool, src).score == 0.5
    assert one(pool, "def verify(r):\n    return 1.0\n").score == 1.0


def test_killing_every_process_only_kills_the_sandbox(pool):
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        one(pool, "import os, signal\ndef verify(r):\n    os.kill(-1, signal.SIGKILL)\n    return 1.0\n")
        assert bystander.poll() is None
        assert one(pool, "def verify(r):\n    return 1.0\n").score == 1.0
    finally:
        bystander.kill()
        bystander.wait()


DAEMON = ("import os, time\ndef verify(r):\n    if os.fork() == 0:\n        os.setsid()\n        if os.fork() == 0:\n"
          "            while True:\n                open('/scratch/daemon-was-here', 'w').write('x')\n"
          "                time.sleep(0.02)\n        os._exit(0)\n    time.sleep(0.1)\n    return 0.0\n")


def test_background_daemons_and_double_forks_are_killed(pool):
    assert one(pool, DAEMON).score == 0.0
    src = "import os, time\ndef verify(r):\n    time.sleep(0.2)\n    return 1.0 if os.path.exists('/scratch/daemon-was-here') else 0.0\n"
    assert one(pool, src).score == 0.0


def test_scratch_does_not_leak_between_runs(pool):
    one(pool, "import os\ndef verify(r):\n    open('/scratch/plant', 'w').write('42')\n    open('answer', 'w').write('42')\n    os.mkdir('/scratch/d')\n    os.chmod('/scratch/d', 0)\n    return 0.0\n")
    src = "import os\ndef verify(r):\n    return 1.0 if os.listdir('/scratch') != [os.path.basename(os.getcwd())] or os.listdir('.') else 0.0\n"
    assert one(pool, src).score == 0.0


def test_interpreter_state_does_not_leak_between_runs(pool):
    one(pool, "import builtins, json\ndef verify(r):\n    builtins.PLANTED = 1\n    json.loads = lambda s: 1.0\n    return 0.0\n")
    src = "import builtins, json\ndef verify(r):\n    return 1.0 if hasattr(builtins, 'PLANTED') or json.loads('[]') == 1.0 else 0.0\n"
    assert one(pool, src).score == 0.0


def test_each_run_gets_a_fresh_private_scratch_directory(pool):
    src = "import os\ndef verify(r):\n    return 1.0 if os.getcwd().startswith('/scratch/run-') and not os.listdir('.') else 0.0\n"
    assert [r.score for r in pool.score(src, ["a"]) + pool.score(src, ["b"])] == [1.0, 1.0]


SABOTEUR = ("import os, sys\nSECRET_CASES = [1]\ndef verify(r):\n    if r == 'sabotage':\n"
            "        SECRET_CASES.clear()\n        open('/scratch/planted', 'w').write('x')\n        return 0.0\n"
            "    return 1.0 if SECRET_CASES and not os.path.exists('/scratch/planted') else 0.0\n")


def test_isolated_responses_cannot_affect_later_ones_in_their_group():
    with open_pool("bwrap", workers=1, limits=LIMITS.model_copy(update={"isolate_responses": True})) as isolated:
        assert [r.score for r in isolated.score(SABOTEUR, ["ok", "sabotage", "ok"])] == [1.0, 0.0, 1.0]


def test_isolated_responses_each_get_their_own_outcome():
    src = "import os, time\ndef verify(r):\n    if r == 'exit':\n        os._exit(0)\n    if r == 'hang':\n        time.sleep(30)\n    return 0.5\n"
    with open_pool("bwrap", workers=1, limits=LIMITS.model_copy(update={"isolate_responses": True, "wall_s": 0.5})) as isolated:
        results = isolated.score(src, ["a", "exit", "b", "hang", "c"])
    assert [r.outcome for r in results] == [Outcome.SCORED, Outcome.CRASHED, Outcome.SCORED, Outcome.TIMEOUT,
                                            Outcome.SCORED]


def test_shared_group_process_is_the_documented_default(pool):
    assert [r.score for r in pool.score(SABOTEUR, ["ok", "sabotage", "ok"])] == [1.0, 0.0, 0.0]


def test_an_isolated_response_that_locks_its_work_directory_is_not_charged_to_the_next():
    src = ("import os\ndef verify(r):\n    if r == 'lock':\n        open('f', 'w').write('x')\n"
           "        os.chmod('.', 0o500)\n    return 0.75\n")
    with open_pool("bwrap", workers=1, limits=LIMITS.model_copy(update={"isolate_responses": True})) as isolated:
        results = isolated.score(src, ["lock", "b", "c"])
    assert [(r.outcome, r.score) for r in results] == [(Outcome.SCORED, 0.75)] * 3


def test_an_unreadable_directory_left_in_scratch_does_not_cost_the_worker(pool, caplog):
    one(pool, "import os\ndef verify(r):\n    os.mkdir('/scratch/x')\n    os.chmod('/scratch/x', 0)\n    return 0.0\n")
    with caplog.at_level("WARNING", logger="verifier.pool"):
        assert [r.score for r in pool.score("def verify(r):\n    return 0.5\n", ["a", "b"])] == [0.5, 0.5]
    assert not [r for r in caplog.records if "worker failed" in r.getMessage()]


EXECUTES = "def verify(response):\n    namespace = {}\n    exec(response, namespace)\n    return float(namespace.get('answer') == 42)\n"
_FIND_SEND = '''import os, select, sys
frame, send = sys._getframe(), None
while frame is not None and send is None:
    send = frame.f_locals.get("send") if callable(frame.f_locals.get("send")) else None
    frame = frame.f_back
'''
STRAY = _FIND_SEND + '''if os.fork() == 0:
    os.setsid()  # out of the reach of killpg
    if os.fork() == 0:
        ready, _, _ = select.select([5], [], [], 3.0)
        if ready:
            os.read(5, 1 << 20)  # the next response's line
            send(k="val", i=1, t="float", v=1.0)
        os._exit(0)
    os._exit(0)
answer = 0
'''
AHEAD = _FIND_SEND + '''send(k="val", i=0, t="float", v=0.0)
send(k="val", i=1, t="float", v=1.0)  # read in the same batch, it was judged as the next response's
answer = 0
'''


@pytest.mark.parametrize("forger", [STRAY, AHEAD], ids=["stray-process", "frame-ahead"])
def test_an_isolated_response_cannot_score_the_next_response_of_its_group(forger):
    """Red-team round 22: response code the verifier executes left an ``os.setsid()`` process that read the next
    response's line and wrote a 1.0 for it, or wrote the next call's frame right after its own; an honest wrong
    answer after it scored 1.0 in 2 of 3 runs."""
    limits = LIMITS.model_copy(update={"isolate_responses": True, "wall_s": 3.0, "cpu_s": 3.0})
    with open_pool("bwrap", workers=1, limits=limits) as isolated:
        for _ in range(3):
            results = isolated.score(EXECUTES, [forger, "answer = 41\n", "answer = 42\n"])
            assert [r.score for r in results[1:]] == [0.0, 1.0], [r.detail for r in results]  # its own: its doing


RUNS_AND_EXECUTES = '''from envsynth_sandbox import plain, run_response
CASES = [([1, 2, 3], 6), ([], 0), ([5], 5)]
def verify(response):
    namespace = {}
    try:
        exec(response, namespace)
    except Exception:
        return 0.0
    run = run_response(response, calls=[("total", [xs]) for xs, _ in CASES], timeout=1.0)
    return sum(c.ok and c.value == plain(w) for c, (_, w) in zip(run.calls, CASES)) / len(CASES)
'''
STALE_REPLY = '''import os, socket, struct
socket.socket(fileno=os.dup(4)).send(struct.pack("=cI", b"R", 1))  # a 1 ms run whose reply nobody reads
raise SystemError("this call's own verify never reaches run_response")
'''
PEEKED_REPLY = '''import json, os, socket, struct, sys
calls = [["total", [xs], {}] for xs, _ in sys._getframe(1).f_globals["CASES"]]
channel = socket.socket(fileno=os.dup(4))
channel.send(struct.pack("=cI", b"R", 3000))
_, fds, _, _ = socket.recv_fds(channel, 16, 4, socket.MSG_PEEK)  # copies; the reply stays queued for the next caller
os.write(fds[0], json.dumps({"code": "def total(xs):\\n    return sum(xs)\\n", "calls": calls, "stdin": ""}).encode())
raise SystemError("this call's own verify never reaches run_response")
'''


@pytest.mark.parametrize("leaver", [STALE_REPLY, PEEKED_REPLY], ids=["stale-reply", "pre-fed-process"])
def test_an_isolated_response_cannot_leave_a_response_process_for_the_next_one(leaver):
    """Red-team round 23: replies came on the verifier's shared fork-server channel, so a response could leave one
    queued for the next response's ``run_response``: a process already timed out (a right answer scored 0.0), or
    one it had fed a right answer itself (a wrong answer scored 1.0). Each request now has a reply socket of its
    own."""
    right, wrong = "def total(xs):\n    return sum(xs)\n", "def total(xs):\n    return 0\n"
    limits = LIMITS.model_copy(update={"isolate_responses": True, "wall_s": 3.0, "cpu_s": 3.0})
    with open_pool("bwrap", workers=1, limits=limits) as isolated:
        for _ in range(2):
            results = isolated.score(RUNS_AND_EXECUTES, [leaver, wrong, right, wrong])
            assert [r.score for r in results[1:]] == [1 / 3, 1.0, 1 / 3], [r.detail for r in results]


FLOODS_THE_CHANNEL = """import os, socket, struct
channel, kept = socket.socket(fileno=os.dup(4)), []
for _ in range(100):  # run_response commands whose reply sockets stay alive in flight (their peers ride below)
    asker, peer = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        socket.send_fds(channel, [struct.pack("=cI", b"R", 3000)], [asker.fileno()])
    except OSError:
        break
    kept += [asker, peer]
for start in range(0, len(kept), 250):
    try:
        socket.send_fds(channel, [b"xx"], [each.fileno() for each in kept[start:start + 250]])
    except OSError:
        pass
"""


def test_an_isolated_response_cannot_flood_the_fork_server_for_the_next_ones():
    """Red-team round 24: a response's fork queued a hundred ``run_response`` commands on the shared channel, kept
    their reply sockets alive in flight and died; the server started them all after its death, and the next right
    answer's own ``run_response`` could not start a process (scored 0.0, 3 of 3 runs). The server now starts nothing
    for a command whose sender has ended and ends a response when the process that asked for it ends; the verifier
    process waits until the server has read what the fork left on the channel."""
    right, wrong = "def total(xs):\n    return sum(xs)\n", "def total(xs):\n    return 0\n"
    limits = LIMITS.model_copy(update={"isolate_responses": True, "wall_s": 3.0, "cpu_s": 3.0})
    with open_pool("bwrap", workers=1, limits=limits) as isolated:
        for _ in range(2):
            results = isolated.score(RUNS_AND_EXECUTES, [FLOODS_THE_CHANNEL, right, right, wrong])
            assert [r.score for r in results[1:]] == [1.0, 1.0, 1 / 3], [r.detail for r in results]


ENDS_THE_CHANNEL = {
    "shutdown": "import os, socket\nsocket.socket(fileno=os.dup(4)).shutdown(socket.SHUT_WR)\n",
    "empty-message": "import os, socket\nsocket.socket(fileno=os.dup(4)).send(b'')\n",
}


@pytest.mark.parametrize("ender", list(ENDS_THE_CHANNEL.values()), ids=list(ENDS_THE_CHANNEL))
def test_an_isolated_response_cannot_end_the_fork_server_channel_of_the_next_ones(ender):
    """Red-team round 25: a response's fork shared its verifier process's channel to the fork server, and
    ``shutdown`` of it, or an empty message (read as end of file), closed it for the rest of the group: every later
    right answer's ``run_response`` failed (3 of 3 runs). Each fork now has a channel of its own."""
    right, wrong = "def total(xs):\n    return sum(xs)\n", "def total(xs):\n    return 0\n"
    limits = LIMITS.model_copy(update={"isolate_responses": True, "wall_s": 3.0, "cpu_s": 3.0})
    with open_pool("bwrap", workers=1, limits=limits) as isolated:
        results = isolated.score(RUNS_AND_EXECUTES, [ender, right, wrong, right])
    assert [r.score for r in results[1:]] == [1.0, 1 / 3, 1.0], [r.detail for r in results]


HOLDS_MANY_DESCRIPTORS = ("import os\nKEPT = []\nwhile len(KEPT) < 242:\n    KEPT.extend(os.pipe())\n"
                          + RUNS_AND_EXECUTES)


def test_a_fork_never_holds_its_verifier_processes_own_channel():
    """Red-team round 26: a verifier holding 242 of its 256 descriptors had no room for the eight fork channels it
    asked for, so every fork shared the verifier process's own channel again, and one response's ``shutdown`` of
    it failed every later right answer (3 of 3 runs). The verifier process now keeps what fits, and a fork that
    gets no channel has none."""
    right, wrong = "def total(xs):\n    return sum(xs)\n", "def total(xs):\n    return 0\n"
    limits = LIMITS.model_copy(update={"isolate_responses": True, "wall_s": 3.0, "cpu_s": 3.0})
    with open_pool("bwrap", workers=1, limits=limits) as isolated:
        results = isolated.score(HOLDS_MANY_DESCRIPTORS, [ENDS_THE_CHANNEL["shutdown"], right, wrong, right])
    assert [r.score for r in results[1:]] == [1.0, 1 / 3, 1.0], [r.detail for r in results]


WRITES_ITS_ANSWER = '''import signal, sys
def _on_alarm(signum, frame):  # the usual signal.alarm timeout pattern
    raise TimeoutError("verify took too long")
signal.signal(signal.SIGALRM, _on_alarm)
def verify(response):
    namespace = {}
    exec(response, namespace)
    with open("answer.txt", "w") as kept:  # a file of its work directory
        kept.write(repr(namespace.get("answer")))
    print("checked", namespace.get("answer"), file=sys.stderr)  # an ordinary debug line
    return float(namespace.get("answer") == 42)
'''
LEAVERS = {
    "read-only-workdir": "import os\nopen('left', 'w').write('1.0')\nos.chmod('.', 0o500)\nanswer = 0\n",
    "renamed-workdir": "import os\nos.rename(os.getcwd(), os.getcwd() + '-gone')\nanswer = 0\n",
    "read-only-answer-file": "import os\nopen('answer.txt', 'w').write('x')\nos.chmod('answer.txt', 0o400)\nanswer = 0\n",
    "output-budget": "import os\nfor _ in range(1023):\n    os.write(1, b'x' * 1024)\nos.write(1, b'x' * 1000)\nanswer = 0\n",
    "nonblocking-output": "import os\nos.set_blocking(1, False)\nos.set_blocking(2, False)\nanswer = 0\n",
}


@pytest.mark.parametrize("leaver", list(LEAVERS.values()), ids=list(LEAVERS))
def test_an_isolated_response_leaves_nothing_that_costs_the_next_ones(leaver):
    """Red-team round 23: the work directory made read-only or renamed, a file planted where the verifier writes,
    the group's output budget spent, the shared stderr pipe set to signal the verifier process (``O_ASYNC``,
    ``F_SETOWN``: its SIGALRM handler raised there): each made every later right answer of the group crash."""
    limits = LIMITS.model_copy(update={"isolate_responses": True, "wall_s": 3.0, "cpu_s": 3.0, "output_kb": 1024})
    with open_pool("bwrap", workers=1, limits=limits) as isolated:
        results = isolated.score(WRITES_ITS_ANSWER, [leaver, "answer = 42\n", "answer = 42\n"])
    assert [(r.outcome, r.score) for r in results[1:]] == [(Outcome.SCORED, 1.0)] * 2, [r.detail for r in results]


KEEPS_ITS_ANSWER_IN_A_FILE = '''import os
os.makedirs("data/cases", exist_ok=True)
with open("data/cases/answer.txt", "w") as kept:  # written once, at load time
    kept.write("42")
os.symlink("data/cases/answer.txt", "answer")
def verify(response):
    namespace = {}
    exec(response, namespace)
    with open("answer") as kept:
        return float(namespace.get("answer") == int(kept.read()))
'''


def test_each_isolated_response_finds_the_files_its_verifier_wrote_at_load_time():
    """Red-team round 24: the scratch space is made afresh after each response's fork, and a file the verifier wrote
    while loading was gone after the first response, so every later right answer crashed. What the verifier left in
    scratch when it loaded is now made again for each response; a response that rewrote it changes nothing for the
    next."""
    overwrites = "open('data/cases/answer.txt', 'w').write('0')\nanswer = 0\n"
    limits = LIMITS.model_copy(update={"isolate_responses": True, "wall_s": 3.0, "cpu_s": 3.0})
    with open_pool("bwrap", workers=1, limits=limits) as isolated:
        results = isolated.score(KEEPS_ITS_ANSWER_IN_A_FILE, ["answer = 42", overwrites, "answer = 42", "answer = 42"])
    del results[1]  # its own score is its own doing (it forged its expected answer)
    assert [(r.outcome, r.score) for r in results] == [(Outcome.SCORED, 1.0)] * 3, [r.detail for r in results]


READS_AN_OPEN_FILE = '''with open("answer.txt", "w") as written:
    written.write("42")
ANSWER = open("answer.txt", "r+")  # opened while loading, read by each call: it starts where the last one left it
def verify(response):
    namespace = {}
    exec(response, namespace)
    return float(namespace.get("answer") == int(ANSWER.read()))
'''


WRITES_THROUGH_EVERY_DESCRIPTOR = """import os
for fd in range(3, 64):
    try:
        os.pwrite(fd, b"00", 0)
    except OSError:
        pass
answer = 0
"""


def test_each_isolated_response_reads_a_file_its_verifier_opened_as_it_was_at_load_time():
    """Red-team round 24: a response's fork shares the open file descriptions of its verifier process, offsets
    included, so a file the verifier opened while loading was read from where the previous response's fork had left
    it (the second right answer read nothing and crashed), and what a fork wrote through it stayed. The verifier
    process now points such a descriptor at a fresh copy of the file and puts its offset back."""
    limits = LIMITS.model_copy(update={"isolate_responses": True, "wall_s": 3.0, "cpu_s": 3.0})
    responses = ["answer = 42", "answer = 42", WRITES_THROUGH_EVERY_DESCRIPTOR, "answer = 41", "answer = 42"]
    with open_pool("bwrap", workers=1, limits=limits) as isolated:
        results = isolated.score(READS_AN_OPEN_FILE, responses)
    del results[2]  # its own score is its own doing
    assert [(r.outcome, r.score) for r in results] == [(Outcome.SCORED, s) for s in (1.0, 1.0, 0.0, 1.0)], [
        r.detail for r in results]


ALARMED = '''import signal, sys
from envsynth_sandbox import plain, run_response
def _on_alarm(signum, frame):  # the usual signal.alarm timeout pattern
    raise TimeoutError("verify took too long")
signal.signal(signal.SIGALRM, _on_alarm)
CASES = [([1, 2, 3], 6), ([], 0), ([5], 5)]
def verify(response):
    namespace = {}
    try:
        exec(response, namespace)
    except Exception:
        return 0.0
    run = run_response(response, calls=[("total", [xs]) for xs, _ in CASES], timeout=1.0)
    print("passed", [call.ok for call in run.calls], file=sys.stderr)
    return sum(c.ok and c.value == plain(w) for c, (_, w) in zip(run.calls, CASES)) / len(CASES)
'''
ARMS_A_SIGNAL = """import fcntl, os, signal
fcntl.fcntl(2, fcntl.F_SETOWN, 1)  # pid 1 of this namespace: the verifier process
fcntl.fcntl(2, 10, int(signal.SIGALRM))  # F_SETSIG
fcntl.fcntl(2, fcntl.F_SETFL, fcntl.fcntl(2, fcntl.F_GETFL) | os.O_ASYNC)
raise SystemError("its own score: 0")
"""


def test_an_isolated_response_cannot_arm_a_signal_for_its_verifier_process():
    """Red-team round 23: the fork shares the verifier process's stderr pipe; ``O_ASYNC``, ``F_SETOWN`` and
    ``F_SETSIG`` on it had the next call's stderr line raise the verifier's SIGALRM handler in the verifier process
    itself, and a right answer was charged "exited with status 70" (3 of 3 runs)."""
    limits = LIMITS.model_copy(update={"isolate_responses": True, "wall_s": 3.0, "cpu_s": 3.0})
    right = "def total(xs):\n    return sum(xs)\n"
    with open_pool("bwrap", workers=1, limits=limits) as isolated:
        results = isolated.score(ALARMED, [ARMS_A_SIGNAL, right, right, right])
    assert [(r.outcome, r.score) for r in results[1:]] == [(Outcome.SCORED, 1.0)] * 3, [r.detail for r in results]


LEAVES_SHARED_MEMORY = """import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
libc.shmat.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_int)
libc.shmdt.argtypes = (ctypes.c_void_p,)
for _ in range(7):
    segment = libc.shmget(0, 64 << 20, 0o1600)  # IPC_PRIVATE, IPC_CREAT | 0600, never removed
    if segment < 0:
        break
    address = libc.shmat(segment, None, 0)
    ctypes.memset(address, 1, 64 << 20)
    libc.shmdt(address)
answer = 0
"""
NEEDS_MEMORY = "block = bytearray(300 << 20)\nfor i in range(0, len(block), 4096):\n    block[i] = 1\nanswer = 42\n"


def test_shared_memory_an_isolated_response_left_does_not_cost_the_next_ones():
    """Red-team round 24: a response's fork shares the verifier process's IPC namespace, and its SysV segments
    outlived it, charged to the worker's memory: every later response of the group was killed for memory (3 of 3
    runs). The verifier process now removes every IPC object it did not have before its first fork."""
    with open_pool("bwrap", workers=1, limits=Limits(isolate_responses=True, wall_s=5.0, cpu_s=5.0)) as isolated:
        results = isolated.score(EXECUTES, [LEAVES_SHARED_MEMORY, NEEDS_MEMORY, NEEDS_MEMORY])
    assert [(r.outcome, r.score) for r in results[1:]] == [(Outcome.SCORED, 1.0)] * 2, [r.detail for r in results]
