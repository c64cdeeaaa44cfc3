"""Adversarial suite, part 3: the seccomp deny list. Each case asks the kernel for something a verifier never needs
(a new namespace, a keyring entry that would outlive the run, ptrace, a mount, io_uring) through the real default
backend, and scores 1.0 only if the kernel said yes.
"""

from __future__ import annotations

import ast
import platform

import pytest

from verifier import Limits, open_pool

pytestmark = [pytest.mark.sandbox,
              pytest.mark.skipif(platform.machine() != "x86_64", reason="the seccomp filter is built for x86_64 only")]


@pytest.fixture(scope="module")
def pool():
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=2.0)) as opened:
        yield opened


def syscall_verifier(call: str) -> str:
    """Verifier that scores 1.0 when ``call`` (a libc.syscall(...) expression) returns success (>= 0)."""
    return ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            f"def verify(r):\n    return 1.0 if {call} >= 0 else 0.0\n")


def test_new_user_namespace_is_denied(pool):
    assert pool.score(syscall_verifier("libc.syscall(272, 0x10000000)"), ["r"])[0].score == 0.0


def test_clone_into_new_namespaces_is_denied(pool):
    src = ("import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\ndef verify(r):\n"
           "    pid = libc.syscall(56, 0x20000000 | 17, 0, 0, 0, 0)\n    if pid == 0:\n        os._exit(0)\n"
           "    return 1.0 if pid > 0 else 0.0\n")
    assert pool.score(src, ["r"])[0].score == 0.0


def test_kernel_keyring_is_denied(pool):
    call = "libc.syscall(248, b'user', b'planted', b'answer', 6, -4)"  # add_key to the user keyring
    assert pool.score(syscall_verifier(call), ["r"])[0].score == 0.0


def test_ptrace_is_denied(pool):
    assert pool.score(syscall_verifier("libc.syscall(101, 0, 0, 0, 0)"), ["r"])[0].score == 0.0


def test_mount_is_denied(pool):
    call = "libc.syscall(165, b'none', b'/scratch', b'tmpfs', 0, 0)"
    assert pool.score(syscall_verifier(call), ["r"])[0].score == 0.0


def test_io_uring_is_denied(pool):
    src = ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nparams = ctypes.create_string_buffer(120)\n"
           "def verify(r):\n    return 1.0 if libc.syscall(425, 4, params) >= 0 else 0.0\n")
    assert pool.score(src, ["r"])[0].score == 0.0


def test_ordinary_forks_and_threads_still_work(pool):
    src = ("import os, threading\ndef verify(r):\n    t = threading.Thread(target=lambda: None)\n    t.start()\n"
           "    t.join()\n    pid = os.fork()\n    if pid == 0:\n        os._exit(7)\n"
           "    return 1.0 if os.WEXITSTATUS(os.waitpid(pid, 0)[1]) == 7 else 0.0\n")
    assert pool.score(src, ["r"])[0].score == 1.0


HONEST = "def verify(r):\n    return 0.5\n"


def test_lowering_the_zygotes_limits_is_denied_and_later_tasks_still_score(pool):
    attack = ("import resource\ndef verify(r):\n    try:\n        resource.prlimit(1, resource.RLIMIT_FSIZE, "
              "(1 << 20, 1 << 20))\n        return 1.0\n    except OSError:\n        return 0.0\n")
    assert pool.score(attack, ["r"])[0].score == 0.0
    assert [r.score for r in pool.score(HONEST, ["a", "b"])] == [0.5, 0.5]


def test_renicing_the_zygote_is_denied(pool):
    assert pool.score(syscall_verifier("libc.setpriority(0, 1, 15)"), ["r"])[0].score == 0.0
    assert pool.score(syscall_verifier("libc.setpriority(2, 0, 15)"), ["r"])[0].score == 0.0  # PRIO_USER


def test_a_process_may_still_set_its_own_limits_and_priority(pool):
    src = ("import os, resource\ndef verify(r):\n    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"
           "    os.nice(1)\n    return 1.0\n")
    assert pool.score(src, ["r"])[0].score == 1.0


def test_posix_message_queues_cannot_carry_an_answer_to_a_later_task(pool):
    plant = syscall_verifier("libc.syscall(240, b'envsynth_leak', 0o100 | 0o2, 0o600, 0)")  # mq_open(O_CREAT|O_RDWR)
    assert pool.score(plant, ["r"])[0].score == 0.0


@pytest.mark.parametrize("call", [
    "libc.syscall(135, 0x0040000)",  # personality(ADDR_NO_RANDOMIZE): the layout of every process it starts
    "libc.syscall(154, 0, 0, 0)",  # modify_ldt(read)
    "libc.syscall(444, 0, 0, 1)",  # landlock_create_ruleset(version query)
    "libc.syscall(447, 0)",  # memfd_secret
    "libc.syscall(319, b'x', 0)",  # memfd_create
])
def test_reviewed_syscalls_are_denied(pool, call):
    assert pool.score(syscall_verifier(call), ["r"])[0].score == 0.0


def test_querying_the_personality_is_still_allowed(pool):
    assert pool.score(syscall_verifier("libc.syscall(135, 0xffffffff)"), ["r"])[0].score == 1.0


PAGE_CACHE = '''import mmap, os
PATH = os.__file__  # a file every sandbox reads from the host
OFF = 4096


def verify(r):
    fd = os.open(PATH, os.O_RDONLY)
    try:
        if r == "nowait":  # read only if cached: tested residency without setting it
            os.preadv(fd, [bytearray(4096)], OFF, os.RWF_NOWAIT)
        elif r == "fadvise":  # dropped the page again
            os.posix_fadvise(fd, OFF, 4096, os.POSIX_FADV_DONTNEED)
        elif r in ("pageout", "cold"):
            with mmap.mmap(fd, 8192, prot=mmap.PROT_READ) as m:
                m.madvise(21 if r == "pageout" else 20)  # MADV_PAGEOUT, MADV_COLD (numbers: Python 3.11 lacks them)
        elif r == "plain":  # what every reader does: allowed
            os.preadv(fd, [bytearray(4096)], OFF)
            with mmap.mmap(fd, 8192, prot=mmap.PROT_READ) as m:
                m.madvise(mmap.MADV_DONTNEED)
        return 1.0
    except PermissionError:
        return 0.0
    finally:
        os.close(fd)
'''


@pytest.mark.parametrize("primitive", ["nowait", "fadvise", "pageout", "cold"])
def test_no_process_can_test_or_drop_a_page_of_the_shared_page_cache(pool, primitive):
    """Red-team finding: one page of a host file was a bit every later process could test (``RWF_NOWAIT``) and clear
    (``POSIX_FADV_DONTNEED``): a verifier set it on validation's reference call, stayed honest for run 0 and paid
    160 of 160 wrong answers in training."""
    assert pool.score(PAGE_CACHE, [primitive])[0].score == 0.0


def test_reading_a_file_and_dropping_ones_own_mapping_still_work(pool):
    assert pool.score(PAGE_CACHE, ["plain"])[0].score == 1.0


RESIDENCY = '''import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p


def verify(r):
    fd = os.open(os.__file__, os.O_RDONLY)
    if r == "mincore":
        addr = libc.mmap(None, 4096, 1, 2, fd, 0)  # PROT_READ, MAP_PRIVATE
        vec = ctypes.create_string_buffer(1)
        return 1.0 if libc.syscall(27, ctypes.c_void_p(addr), 4096, vec) == 0 else 0.0
    span = (ctypes.c_uint64 * 2)(0, 4096)
    stats = (ctypes.c_uint64 * 5)()
    return 1.0 if libc.syscall(451, fd, span, stats, 0) == 0 else 0.0
'''


@pytest.mark.parametrize("call", ["mincore", "cachestat"])  # which pages of a file are cached
def test_asking_which_pages_of_a_file_are_cached_is_denied(pool, call):
    assert pool.score(RESIDENCY, [call])[0].score == 0.0


ADVICE = '''import mmap, os


def verify(r):
    advice = int(r)
    fd = os.open(os.__file__, os.O_RDONLY)  # a file of the shared file image
    try:
        with mmap.mmap(fd, 2 * mmap.PAGESIZE, prot=mmap.PROT_READ) as shared, mmap.mmap(-1, 1 << 21) as own:
            shared.madvise(advice)
            own.madvise(advice)
        return 1.0
    except PermissionError:
        return 0.0
    finally:
        os.close(fd)
'''


@pytest.mark.parametrize("advice", [25, 14, 12])  # MADV_COLLAPSE, MADV_HUGEPAGE, MADV_MERGEABLE
def test_no_page_can_be_made_huge_or_merged_with_another_process(pool, advice):
    """Red-team round 11: ``MADV_COLLAPSE`` on a file of the shared file image turned its small pages into one huge
    page of the shared page cache, a bit every later sandbox read back (90 of 90) that lasted until the image was
    deleted, and 2 MiB pinned each; KSM merging (``MADV_MERGEABLE``) tells by a write's time whether another
    process holds the same bytes."""
    assert pool.score(ADVICE, [str(advice)])[0].score == 0.0


@pytest.mark.parametrize("advice", [0, 1, 2, 3, 4, 15, 22])  # NORMAL .. DONTNEED, NOHUGEPAGE, POPULATE_READ
def test_the_advice_programs_give_their_own_memory_is_still_taken(pool, advice):
    assert pool.score(ADVICE, [str(advice)])[0].score == 1.0


HOST_REPORTS = '''import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)


def verify(r):
    if r == "sysinfo":  # the host's threads, load, free and shared memory, whatever the namespace
        return 1.0 if libc.sysinfo(ctypes.create_string_buffer(256)) == 0 else 0.0
    try:
        if r == "loadavg":
            os.getloadavg()
        elif r == "statvfs":  # the file image's directory reported the host's /dev/shm
            os.statvfs("/usr")
        elif r == "fstatvfs":
            os.fstatvfs(0)
        return 1.0
    except OSError:
        return 0.0
'''


@pytest.mark.parametrize("reader", ["sysinfo", "loadavg", "statvfs", "fstatvfs"])
def test_nothing_reports_the_hosts_threads_load_or_free_space(pool, reader):
    """Red-team round 12: ``sysinfo`` counted the host's threads (111 with one idle pool, 140 with two more
    workers) and carried 320 of 320 bits from a sandbox that filled its scratch (shared memory); ``statvfs`` of the
    file image reported the host's ``/dev/shm``."""
    assert pool.score(HOST_REPORTS, [reader])[0].score == 0.0


LOCKING = '''import ctypes, mmap
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long)
FAILED = ctypes.c_void_p(-1).value


def verify(r):
    if r == "plain":  # what the allocator does: still allowed
        return 1.0 if libc.mmap(None, 4096, 3, 0x22, -1, 0) != FAILED else 0.0
    if r == "map_locked":
        return 1.0 if libc.mmap(None, 4096, 3, 0x22 | 0x2000, -1, 0) != FAILED else 0.0
    address = libc.mmap(None, 4096, 3, 0x22, -1, 0)
    calls = {"mlock": lambda: libc.mlock(ctypes.c_void_p(address), 4096),
             "mlock2": lambda: libc.syscall(325, ctypes.c_void_p(address), 4096, 0),
             "mlockall": lambda: libc.mlockall(1)}
    return 1.0 if calls[r]() == 0 else 0.0
'''


@pytest.mark.parametrize("call", ["mlock", "mlock2", "mlockall", "map_locked"])
def test_no_process_can_lock_memory(pool, call):
    """Red-team round 12: locking 4 MiB of the shared file image's libpython took 135 us when another process
    held it locked and 300 us when none did: 480 of 480 bits between two pools running at once."""
    assert pool.score(LOCKING, [call])[0].score == 0.0


def test_mapping_memory_without_locking_still_works(pool):
    assert pool.score(LOCKING, ["plain"])[0].score == 1.0


TASK_ONLY = '''import ctypes, os, socket
from envsynth_sandbox import run_response
PROBE = """import ctypes, os, socket
def refused():
    libc = ctypes.CDLL(None, use_errno=True)
    seen = []
    try:
        os.pidfd_open(os.getpid())  # a pidfd's inode number counts every process the host ever made
        seen.append("pidfd_open")
    except OSError:
        pass
    left, right = socket.socketpair()
    try:
        left.getsockopt(socket.SOL_SOCKET, 77)  # SO_PEERPIDFD: a pidfd of the peer
        seen.append("SO_PEERPIDFD")
    except OSError:
        pass
    if libc.syscall(56, 0x1000 | 17, 0, 0, 0, 0) == 0:  # clone(CLONE_PIDFD | SIGCHLD): a child and its pidfd
        os._exit(0)
    elif ctypes.get_errno() != 1:
        seen.append("CLONE_PIDFD")
    if libc.syscall(206, 8, ctypes.byref(ctypes.c_ulong(0))) == 0:  # io_setup: the host's async I/O count
        seen.append("io_setup")
    try:
        socket.socket(socket.AF_UNIX).bind("\\\\0envsynth-name")  # an abstract name lives in the worker's namespace
        seen.append("bind")
    except OSError:
        pass
    for option in (16, 34):  # SO_PASSCRED, SO_PASSSEC: the socket names itself when it sends (autobind)
        try:
            socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).setsockopt(socket.SOL_SOCKET, option, 1)
            seen.append(f"option {option}")
        except OSError:
            pass
    return seen
"""


def verify(response):
    namespace = {}
    exec(PROBE, namespace)
    run = run_response(response, calls=[("refused", [])], timeout=2.0)  # the response is the same probe
    seen = namespace["refused"]() + (run.calls[0].value if run.calls and run.calls[0].ok else ["no response"])
    if seen:
        raise RuntimeError(",".join(seen))
    return 1.0
'''


def test_no_task_process_gets_a_pidfd_async_io_or_a_socket_name(pool):
    """Red-team round 13: a pidfd's inode number counts every process the host ever created (a bit from one group
    to the next, 64 of 64, and the host's fork rate, which told run 0 that validation's varied runs were forking);
    the host's count of async I/O events in use carried 120 of 120 bits between pools; an abstract socket name
    outlived its group. The worker's own processes still use pidfds (the fork server and disposer watch with them)."""
    probe = ast.literal_eval('"""' + TASK_ONLY.split('PROBE = """', 1)[1].split('"""', 1)[0] + '"""')
    result = pool.score(TASK_ONLY, [probe])[0]
    assert (result.outcome.value, result.score) == ("scored", 1.0), result.detail


def test_the_sandbox_has_a_host_name_of_its_own(pool):
    source = "import os, socket\ndef verify(r):\n    return 1.0 if os.uname().nodename == 'sandbox' else 0.0\n"
    assert pool.score(source, ["x"])[0].score == 1.0


MOUNT_TREE = '''import ctypes, struct
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
LSMT_ROOT, STATMOUNT_MNT_BASIC = 2**64 - 1, 2


def request(mount_id, mask):  # struct mnt_id_req: size, spare, mnt_id, param, mnt_ns_id
    return ctypes.create_string_buffer(struct.pack("<IIQQQ", 32, 0, mount_id, mask, 0))


def verify(r):
    ids = (ctypes.c_uint64 * 64)()
    answer = libc.syscall(ctypes.c_long(458), request(LSMT_ROOT, 0), ids, ctypes.c_long(64), ctypes.c_long(0))
    if r == "statmount":
        mount_id = ids[0] if answer > 0 else 0x80000001  # its own root mount, or a guess where listmount is refused
        answer = libc.syscall(ctypes.c_long(457), request(mount_id, STATMOUNT_MNT_BASIC),
                              ctypes.create_string_buffer(1024), ctypes.c_long(1024), ctypes.c_long(0))
    if answer >= 0:
        return 1.0
    if ctypes.get_errno() == 1:  # EPERM: the filter's answer
        return 0.0
    raise OSError(ctypes.get_errno(), r)
'''


@pytest.mark.parametrize("call", ["listmount", "statmount"])
def test_no_process_can_read_the_mount_tree(pool, call):
    """Red-team round 58: ``statmount``/``listmount`` read the host's paths of the file image, the host
    ``/dev/shm``'s size and the legacy mount id, which is the lowest free one host-wide: it rose by 2 for every other
    sandbox worker alive, a count of the workers on the host and a channel between two pools (24 of 24 bits)."""
    result = pool.score(MOUNT_TREE, [call])[0]
    assert (result.outcome.value, result.score) == ("scored", 0.0), result.detail


def errno_verifier(call: str, refused: int) -> str:
    """Verifier that scores 1.0 when ``call`` succeeds, 0.0 when it fails with errno ``refused``, and crashes (with
    the errno) when it fails otherwise."""
    return ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nlibc.syscall.restype = ctypes.c_long\n"
            f"def verify(r):\n    if {call} >= 0:\n        return 1.0\n"
            f"    if ctypes.get_errno() == {refused}:\n        return 0.0\n    raise OSError(ctypes.get_errno(), r)\n")


@pytest.mark.parametrize("call", [
    "libc.syscall(468, -100, b'/tmp', ctypes.create_string_buffer(24), 24, 0)",  # file_getattr (Linux 6.17)
    "libc.syscall(500, 0, 0, 0)",
])
def test_a_syscall_above_the_highest_reviewed_answers_enosys(pool, call):
    """A syscall a later kernel adds reaches no task code until it is reviewed: ``file_getattr`` succeeded in a
    verifier on this host's kernel before the ceiling."""
    result = pool.score(errno_verifier(call, 38), ["r"])[0]
    assert (result.outcome.value, result.score) == ("scored", 0.0), result.detail


FUTEX = '''import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long)
FUTEX_WAIT, FUTEX_WAKE, FUTEX_PRIVATE_FLAG = 0, 1, 128


def verify(r):
    word = libc.mmap(None, 4096, 1, 1, os.open(os.__file__, os.O_RDONLY), 0)  # PROT_READ, MAP_SHARED: the image
    value = ctypes.c_int.from_address(word).value
    timeout = (ctypes.c_long * 2)(0, 1000)
    private = FUTEX_PRIVATE_FLAG if r.startswith("private") else 0
    if r.endswith("wake"):
        answer = libc.syscall(ctypes.c_long(202), ctypes.c_void_p(word), ctypes.c_long(FUTEX_WAKE | private),
                              ctypes.c_long(1), None, None, ctypes.c_long(0))
    elif r.endswith("wait"):
        answer = libc.syscall(ctypes.c_long(202), ctypes.c_void_p(word), ctypes.c_long(FUTEX_WAIT | private),
                              ctypes.c_long(value), timeout, None, ctypes.c_long(0))
    else:  # futex2 futex_wake(uaddr, mask, nr, FUTEX2_SIZE_U32)
        answer = libc.syscall(ctypes.c_long(454), ctypes.c_void_p(word), ctypes.c_long(-1), ctypes.c_long(1),
                              ctypes.c_long(2))
    if answer >= 0 or ctypes.get_errno() == 110:  # woken, or waited until the timeout (ETIMEDOUT)
        return 1.0
    if ctypes.get_errno() in (1, 38):  # EPERM, ENOSYS: the filter's answers
        return 0.0
    raise OSError(ctypes.get_errno(), r)
'''


@pytest.mark.parametrize("operation", ["shared wake", "shared wait", "futex2 wake"])
def test_no_futex_is_shared_with_another_sandbox(pool, operation):
    """Red-team round 58: a futex that is not private is keyed by the file when its word lies in a file mapping, and
    every sandbox maps the same file image: a ``FUTEX_WAKE`` counted the waiters of another pool (24 of 24 bits),
    and a thread's exit, its ``set_tid_address`` aimed at the image, woke another pool's wait (16 of 16), so
    waiting is refused as well as waking."""
    result = pool.score(FUTEX, [operation])[0]
    assert (result.outcome.value, result.score) == ("scored", 0.0), result.detail


@pytest.mark.parametrize("operation", ["private wake", "private wait"])
def test_private_futexes_still_work(pool, operation):
    result = pool.score(FUTEX, [operation])[0]
    assert (result.outcome.value, result.score) == ("scored", 1.0), result.detail


def test_threads_queues_and_conditions_still_work(pool):
    src = ("import concurrent.futures, json, queue, threading\ndef verify(r):\n    q = queue.Queue()\n"
           "    threads = [threading.Thread(target=q.put, args=(i,)) for i in range(8)]\n"
           "    for t in threads:\n        t.start()\n    for t in threads:\n        t.join()\n"
           "    done = threading.Event()\n    threading.Timer(0.01, done.set).start()\n"
           "    with concurrent.futures.ThreadPoolExecutor(4) as pool:\n"
           "        squares = sum(pool.map(lambda x: x * x, range(100)))\n"
           "    got = json.loads(json.dumps(sorted(q.get() for _ in range(8))))\n"
           "    return 1.0 if done.wait(2) and squares == 328350 and got == list(range(8)) else 0.0\n")
    assert pool.score(src, ["r"])[0].score == 1.0
