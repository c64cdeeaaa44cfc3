"""Response code runs in a process of its own (``envsynth_sandbox.run_response``), never in the verifier's.

Adversarial suite for issue 16, finding 1, through the real default backend (bwrap): a response whose code the
verifier runs cannot forge its own score or its siblings', cannot pass with a sly object, cannot patch what the
verifier uses, cannot end the verify call, and cannot reach the verifier's process or files.
"""

from __future__ import annotations

import time

import pytest

from task_bank.validation import Outcome
from verifier import Limits, open_pool
from verifier.checks_probes import junk_response

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

LIMITS = Limits(wall_s=3.0, cpu_s=3.0, max_processes=32, memory_mb=256, scratch_mb=16)

HUMANEVAL = '''from envsynth_sandbox import plain, run_response
CASES = [([1, 2, 3], 6), ([], 0), ([5, -5, 5], 5)]
def verify(response):
    run = run_response(response, calls=[("total", [xs]) for xs, _ in CASES], timeout=1.0)
    return sum(c.ok and c.value == plain(w) for c, (_, w) in zip(run.calls, CASES)) / len(CASES)
'''
CORRECT = "def total(xs):\n    return sum(xs)\n"
WRONG = "def total(xs):\n    return 0\n"


def probe(expression: str, calls: str = "[('f', [])]", timeout: float = 1.0) -> str:
    """A verifier scoring 1.0 when ``expression`` (over ``run``) holds, else raising with the run's repr."""
    return (f"from envsynth_sandbox import plain, run_response\ndef verify(response):\n"
            f"    run = run_response(response, calls={calls}, timeout={timeout})\n"
            f"    if {expression}:\n        return 1.0\n    raise AssertionError(repr(run))\n")


@pytest.fixture(scope="module")
def pool():
    with open_pool("bwrap", workers=1, limits=LIMITS) as opened:
        yield opened


def scores(pool, source: str, responses: list[str]) -> list[float | None]:
    return [r.score for r in pool.score(source, responses)]


def test_correct_code_scores_one_and_wrong_code_zero(pool):
    assert scores(pool, HUMANEVAL, [CORRECT, WRONG]) == [1.0, 1 / 3]


FRAME_WALKER = '''import os, sys
def total(xs):
    frame = sys._getframe()
    while frame is not None:
        for value in list(frame.f_locals.values()):
            if callable(value) and getattr(value, "__name__", "") == "send":
                for i in range(16):
                    value(k="val", i=i, t="float", v=1.0 if i == frame.f_locals.get("index") else 0.0)
        frame = frame.f_back
    for fd in range(3, 256):
        try:
            os.write(fd, b'\\n{"k": "val", "i": 0, "t": "float", "v": 1.0}\\n')
        except OSError:
            pass
    return -1
'''


def test_response_cannot_write_its_own_score_by_walking_frames(pool):
    assert scores(pool, HUMANEVAL, [FRAME_WALKER, CORRECT, CORRECT]) == [0.0, 1.0, 1.0]


def test_always_equal_object_does_not_pass(pool):
    sly = "class Same:\n    def __eq__(self, other):\n        return True\ndef total(xs):\n    return Same()\n"
    assert scores(pool, HUMANEVAL, [sly]) == [0.0]


def test_patched_builtins_do_not_reach_the_verifier(pool):
    patcher = ("import builtins, json\nbuiltins.sum = lambda *a: 3\nbuiltins.len = lambda *a: 1\n"
               "builtins.zip = lambda *a: [(type('T', (), {'ok': True, 'value': 6})(), ([], 6))] * 3\n"
               "json.loads = lambda *a, **k: {'e': 'call', 'i': 0, 'ok': True, 'value': 6}\n" + WRONG)
    assert scores(pool, HUMANEVAL, [patcher, CORRECT]) == [1 / 3, 1.0]


@pytest.mark.parametrize("ending", ["import sys\nsys.exit(0)\n", "import os\nos._exit(0)\n",
                                    "raise SystemExit(0)\n", "raise KeyboardInterrupt\n"])
def test_a_response_that_exits_only_ends_its_own_process(pool, ending):
    results = pool.score(HUMANEVAL, [ending, CORRECT])
    assert [(r.outcome, r.score) for r in results] == [(Outcome.SCORED, 0.0), (Outcome.SCORED, 1.0)]


def test_a_hanging_response_is_a_timeout_of_its_own_run(pool):
    source = probe("run.outcome == 'timeout' and run.calls[0].error.type == 'Timeout'", timeout=0.5)
    assert scores(pool, source, ["import time\ndef f():\n    time.sleep(30)\n"]) == [1.0]


def test_response_cannot_signal_the_verifier(pool):
    killer = ("import os, signal\ndef total(xs):\n    for pid in os.listdir('/proc'):\n"
              "        if pid.isdigit() and int(pid) != os.getpid():\n            for sig in (9, 19):\n"
              "                try:\n                    os.kill(int(pid), sig)\n"
              "                except OSError:\n                    pass\n    return sum(xs)\n")
    results = pool.score(HUMANEVAL, [killer, CORRECT])
    assert [(r.outcome, r.score) for r in results] == [(Outcome.SCORED, 1.0), (Outcome.SCORED, 1.0)]


SECRET_KEEPER = '''from envsynth_sandbox import run_response
def verify(response):
    open("expected.txt", "w").write("s3cr3t-answer")
    open("/tmp/expected-shared.txt", "w").write("s3cr3t-answer")
    run = run_response(response, calls=[("peek", [])], timeout=1.0)
    return 1.0 if run.calls[0].ok and "s3cr3t" in str(run.calls[0].value) else 0.0
'''
PEEKER = '''import os
def peek():
    found = []
    for root in ("/scratch", "/tmp", "/proc"):
        for top, dirs, files in os.walk(root):
            if top.startswith("/proc/") and top.count("/") > 3:
                dirs[:] = []
            for name in files:
                if top.startswith("/proc") and name not in ("environ", "cmdline", "mem"):
                    continue
                try:
                    found.append(open(os.path.join(top, name), "rb").read(65536).decode("latin-1"))
                except OSError:
                    pass
    return found
'''


def test_response_cannot_read_the_verifiers_files_or_memory(pool):
    assert scores(pool, SECRET_KEEPER, [PEEKER]) == [0.0]


PLANTER = '''import os, time
def total(xs):
    open("/scratch/planted", "w").write("6")
    os.chmod("/scratch/planted", 0o666)
    me = os.getpid()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            while os.path.exists(f"/proc/{me}"):  # outlive the call, then stop every process it can reach
                time.sleep(0.01)
            while True:
                for pid in os.listdir("/proc"):
                    if pid.isdigit():
                        try:
                            os.kill(int(pid), 19)
                        except OSError:
                            pass
                time.sleep(0.01)
        os._exit(0)
    time.sleep(0.05)
    return sum(xs)
'''
CHECKER = ("import os\ndef total(xs):\n    leftovers = [n for n in os.listdir('/scratch') if not n.startswith('run-')]"
           "\n    return sum(xs) if leftovers == ['response-%d' % os.getpid()] else -1\n")


def test_one_response_cannot_change_a_siblings_score(pool):
    assert scores(pool, HUMANEVAL, [PLANTER, CHECKER, CORRECT, WRONG]) == [1.0, 1.0, 1.0, 1 / 3]


def test_results_are_plain_values(pool):
    code = ("def f():\n    return (1, [2, 3]), {'a': (4,)}, {5, 6}, None, True, 1.5, 'x'\n"
            "def g():\n    return object()\n")
    expected = "[(1, [2, 3]), {'a': (4,)}, {5, 6}, None, True, 1.5, 'x']"
    source = probe(f"run.calls[0].value == plain({expected}) and run.calls[1].error.type == 'UnserializableResult'",
                   calls="[('f', []), ('g', [])]")
    assert scores(pool, source, [code]) == [1.0]


def test_stdout_is_captured_and_bounded(pool):
    source = probe("run.stdout.startswith('hello') and len(run.stdout) <= 65536 and run.outcome == 'completed'")
    assert scores(pool, source, ["print('hello')\nprint('x' * 200000)\ndef f():\n    return 1\n"]) == [1.0]


def test_arguments_and_stdin_reach_the_response(pool):
    source = probe("run.calls[0].value == ['abc', 3, {'k': [1]}]",
                   calls="[('f', ['abc'], {'n': 3, 'extra': {'k': [1]}})]").replace(
        "timeout=1.0)", "timeout=1.0, stdin='abc\\n')")
    code = "import sys\ndef f(word, n, extra):\n    return [sys.stdin.readline().strip(), n, extra]\n"
    assert scores(pool, source, [code]) == [1.0]


DEEP_ARGUMENT = '''import sys
from envsynth_sandbox import run_response
sys.setrecursionlimit(20000)
def verify(response):
    value = []
    for _ in range(2999):
        value = [value]
    run = run_response(response, calls=[("depth", [value])], timeout=2.0)
    return 1.0 if run.calls and run.calls[0].ok and run.calls[0].value == 3000 else 0.0
'''
RECURSIVE_DEPTH = ("import sys\nsys.setrecursionlimit(20000)\n"
                   "def depth(xs):\n    return 1 + max((depth(x) for x in xs if isinstance(x, list)), default=0)\n")


def test_an_argument_nested_deeper_than_the_default_recursion_limit_reaches_the_response(pool):
    # a verifier that raised its own limit passed a 3,000-deep list: the response process died before any response
    # code ran (status 70) and the honest task was rejected as unsolvable (red-team round 58, D)
    assert scores(pool, DEEP_ARGUMENT, [RECURSIVE_DEPTH]) == [1.0]


def test_empty_code_gives_the_same_answer_as_running_it(pool):
    source = probe("run.outcome == 'completed' and run.loaded and run.calls[0].error.type == 'NameError'")
    assert scores(pool, source, ["", " \n\t ", "# only a comment\n"]) == [1.0, 1.0, 1.0]


SAME_AS_A_PROCESS = '''import envsynth_sandbox
from envsynth_sandbox import run_response
def verify(response):
    # a surrogate pair split in two code units: the request's JSON joins it again, so the code the process runs is
    # still the response's own (``run_response`` runs only that)
    response = response.replace("\\U00010000", "\\ud800\\udc00")
    calls = [("total", [[1, 2]]), ("other", [])]
    short = run_response(response, calls=calls, timeout=1.0)
    checked = envsynth_sandbox._foreseen
    envsynth_sandbox._foreseen = lambda code, wanted: None  # the full path: a process compiles, runs and reports
    try:
        full = run_response(response, calls=calls, timeout=1.0)
    finally:
        envsynth_sandbox._foreseen = checked
    if short == full:
        return 1.0
    raise AssertionError(f"{short!r} != {full!r}")
'''
NOT_CODE = ["The answer is to add them all up.", "def total(xs):\n  return sum(xs\n", "x = 1\n  y = 2\n",
            "if True:\n\tx = 1\n        y = 2\n", "a\x00b", "x = '\ud800'\n)", "s = '\ud800'\n", "return 5\n",
            # longer than FORESEEN_CHARS: failing early, or not, whatever comes later
            junk_response(20_000), "0 1 " * 6_000 + "\ndef total(xs):\n    return 0\n", "yes no " * 4_000 + "\n'open",
            "yes no " * 3_000 + "\n" + "(" * 300, "x = 1\n" * 4_000 + "0 1", "0 1 " * 6_000 + "\n'\\d'\n"]


INERT_OR_ONE_NAME = ["", "  \n", "# a comment\n", "12345", "-5", "1.5e3", "True", "()", "abcdef", "abcdef\n",
                     "print", "__name__", "None", "'a docstring'", "x = 1", "x" * 200, "x" * 201, "\u00e9" * 1200,
                     "a\U00010000", "a\U00010000b c", "# " + "y" * 20_000 + "\n)"]


def test_code_that_does_not_compile_gets_the_answer_its_process_would_give(pool):
    assert scores(pool, SAME_AS_A_PROCESS, NOT_CODE) == [1.0] * len(NOT_CODE)


@pytest.mark.parametrize("calls", ['[("total", [[1, 2]]), ("other", [])]', '[("__name__", []), ("total", [])]'])
def test_code_that_does_nothing_or_names_one_unknown_name_gets_the_answer_its_process_would_give(pool, calls):
    source = SAME_AS_A_PROCESS.replace('[("total", [[1, 2]]), ("other", [])]', calls)
    assert scores(pool, source, INERT_OR_ONE_NAME) == [1.0] * len(INERT_OR_ONE_NAME)


def test_code_whose_run_the_text_decides_starts_no_process(pool):
    source = '''import envsynth_sandbox
from envsynth_sandbox import run_response
def verify(response):
    def refuse(timeout_ms):
        raise AssertionError("a response process was asked for")
    envsynth_sandbox._start = refuse
    run = run_response(response, calls=[("total", [[1]])], timeout=1.0)
    return 1.0 if not run.loaded and run.load_error.type in ("SyntaxError", "IndentationError") else 0.0
'''
    assert scores(pool, source, ["The answer is 4.", "def f(:\n", junk_response(20_000)]) == [1.0, 1.0, 1.0]
    inert = source.replace("not run.loaded and run.load_error.type in",
                           "run.outcome == 'completed' and str(run.calls[0].error.type) in")
    assert scores(pool, inert.replace('("SyntaxError", "IndentationError")', '("NameError", "NoResult")'),
                  ["", "42", "seventeen"]) == [1.0, 1.0, 1.0]


IPC_PLANTER = '''import ctypes
libc = ctypes.CDLL(None, use_errno=True)
def total(xs):
    shmid = libc.shmget(0x5EC12E7, 4096, 0o1666)  # IPC_CREAT, readable by everyone
    return sum(xs) if shmid >= 0 else -1
'''
# A response process has no /proc (so no /proc/sysvipc/shm): it looks for segments through the IPC system calls,
# the planted key with shmget(key, 0, 0) and any segment at all with shmctl(0, SHM_INFO)'s count of ids in use.
IPC_FINDER = '''import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
def segments():
    """How many segments this process can see (0: none), or -1 when a probe fails for another reason than none."""
    planted = libc.shmget(0x5EC12E7, 0, 0)
    if planted < 0 and ctypes.get_errno() != errno.ENOENT:
        return -1
    info = ctypes.create_string_buffer(64)  # struct shm_info: int used_ids first
    if libc.shmctl(0, 14, info) < 0:  # SHM_INFO
        return -1
    return max(int.from_bytes(info.raw[:4], "little"), planted >= 0)
def total(xs):
    return sum(xs) if segments() == 0 else -1
'''


def test_shared_memory_left_by_a_response_is_gone_for_the_next(pool):
    assert scores(pool, HUMANEVAL, [IPC_PLANTER, IPC_FINDER]) == [1.0, 1.0]
    # the finder sees a segment where there is one: planted in its own process, the response fails every case
    plant_then_find = IPC_FINDER.replace("def total(xs):\n",
                                         "def total(xs):\n    libc.shmget(0x5EC12E7, 4096, 0o1666)\n")
    assert scores(pool, HUMANEVAL, [plant_then_find]) == [0.0]


def test_run_response_works_where_everything_shares_one_uid():
    """unsafe-local has no uids to give responses (and no isolation): the primitive still runs and reports."""
    with pytest.warns(UserWarning), open_pool("unsafe-local", workers=1, limits=LIMITS) as local:
        hang = "import time\ndef total(xs):\n    time.sleep(30)\n"
        assert scores(local, HUMANEVAL, [CORRECT, hang, "import sys\nsys.exit(0)\n", WRONG]) == [1.0, 0.0, 0.0, 1 / 3]


def test_responses_end_without_ending_the_workers_own_processes():
    """A response is pid 1 of its own namespaces, and its end is the end of all of it: the server ends it alone.
    Its old sweep (``kill(-1)`` as the response uid) also reached the server's disposer, re-forked every group."""
    from verifier import RunEnv
    from verifier.sandbox.bwrap import BwrapBackend
    from verifier.sandbox.process_worker import descendants

    def settled() -> set[int]:  # the worker's processes once the last group's verifier process is cleaned up
        time.sleep(0.3)
        return set(descendants(worker.sandbox_pid))

    worker = BwrapBackend().start_worker(LIMITS)
    try:
        worker.score_group(HUMANEVAL, [CORRECT], RunEnv())
        before = settled()
        for _ in range(3):
            assert [r.score for r in worker.score_group(HUMANEVAL, [CORRECT, WRONG], RunEnv())] == [1.0, 1 / 3]
        assert settled() == before
    finally:
        worker.close()



def test_result_lines_are_read_alike_whole_or_one_by_one():
    """The client parses a response's result lines as one array when all are well formed, line by line otherwise;
    a malformed or hostile line costs only itself."""
    from verifier.sandbox.zygote.response_results import events

    good = [b'{"e": "load", "ok": true}', b'{"e": "call", "i": 0, "ok": true, "value": 6}']
    assert events(b"\n".join(good) + b"\n", 1) == [{"e": "load", "ok": True},
                                                   {"e": "call", "i": 0, "ok": True, "value": 6}]
    hostile = [b"[" * 60000, b'{"v": ' + b"9" * 5000 + b"}", b"not json", b"\xff\xfe", b"[1, 2]"]
    assert events(b"\n".join(good[:1] + hostile + good[1:]), 1) == events(b"\n".join(good), 1)


def test_only_the_first_lines_of_a_runs_results_are_read():
    """One line per event a run writes (its load, each call, its stderr) and 16 more: a response that floods its
    results descriptor loses its own later events (red-team round 30: four million lines held the verifier 20 s)."""
    from verifier.sandbox.zygote.response_results import EVENT_SLACK, events

    call, room = b'{"e": "call", "i": 0, "ok": true, "value": 6}', 1 + 2 + EVENT_SLACK  # lines read for one call
    assert events(b"x\n" * (room - 1) + call, 1) == [{"e": "call", "i": 0, "ok": True, "value": 6}]
    assert events(b"x\n" * room + call, 1) == []


def test_a_responses_home_and_tmpdir_are_its_own_fresh_working_directory(pool):
    code = ("import os, tempfile\ndef where():\n    open('/tmp/notes', 'w').write('x')\n"
            "    found = [os.listdir('.')]\n    open('here', 'w').write('y')\n"
            "    return [os.environ['HOME'], os.environ['TMPDIR'], os.getcwd(), tempfile.gettempdir(), found,\n"
            "            open('/tmp/notes').read()]\n")
    fresh = "run.calls[0].ok and len(set(run.calls[0].value[:4])) == 1 and run.calls[0].value[4:] == [[[]], 'x']"
    source = probe(fresh, calls="[('where', [])]")
    assert scores(pool, source, [code, code]) == [1.0, 1.0]


FROM_THREADS = '''import threading
from envsynth_sandbox import run_response
def verify(response):
    passed = [False] * 4
    def check(i):
        run = run_response(response, calls=[("double", [i])], timeout=2.0)
        passed[i] = run.calls[0].ok and run.calls[0].value == 2 * i
    threads = [threading.Thread(target=check, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return float(all(passed))
'''


def test_run_response_from_several_threads_scores_each_right_answer():
    """Red-team round 26: ``run_response`` closed its request pipe twice; between the two closes another thread had
    been given that descriptor number, and lost it: 7 to 10 of 10 right answers failed."""
    limits = LIMITS.model_copy(update={"wall_s": 10.0, "cpu_s": 10.0})
    with open_pool("bwrap", workers=1, limits=limits) as threaded:
        results = threaded.score(FROM_THREADS, ["def double(x):\n    return 2 * x\n"] * 10)
    assert [r.score for r in results] == [1.0] * 10, [r.detail for r in results]
