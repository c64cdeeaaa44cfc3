"""What keeps a verifier or response process from telling a long-lived worker from a fresh one.

Runs inside the sandbox, standard library only (``ctypes`` for ``mount``, which Python 3.11 lacks).

- :func:`private_namespace`: a verifier or response process is pid 1 of a pid namespace of its own (the fork server
  clones it with ``CLONE_NEWPID | CLONE_NEWNS``). Why: the worker's pid counter grows with every group, so the
  real pid (``/proc/self``, ``/proc/self/stat``, the pid of a child it forks) told a long-lived training worker
  from the fresh ones validation starts, ``/proc/1/stat``'s start time told the worker's age, and the inode
  numbers of new files in the worker's scratch counted the groups before. In its own namespace every such process
  is pid 1, its children 2, 3, ... in every group of every worker, the oldest process it can see is itself, and
  its scratch is a fresh tmpfs. ``/proc`` is covered by an empty read-only tmpfs: such a process sees no
  ``/proc`` at all. Why not a ``/proc`` of its own namespace (as until red-team round 11): much of ``/proc`` is
  the host's, whatever the namespace. ``smaps``/``smaps_rollup`` (``Pss``, ``Shared_*``) and ``numa_maps``
  (``mapmax``) told how many processes map a page of the shared file image, so a verifier counted the sandbox
  workers alive on the host (5 with one pool open, 11 with two: a training fleet or a validation pool), and a
  sender holding pages sent 4,000 of 4,000 bits to another pool; ``/proc/loadavg`` counts the host's threads,
  ``/proc/stat`` its forks, ``/proc/uptime`` its age. A verifier needs none of it: Python's own functions use
  system calls (``os.cpu_count``, ``resource``, ``close_range``), and a process's memory and CPU time are in
  ``resource.getrusage``. The worker's own processes (the zygote and its helpers) keep bwrap's ``/proc``.
  ``/dev/pts`` is covered by an empty tmpfs too, once, in the worker's own namespace (:func:`cover_terminals`;
  red-team round 20): the worker's devpts instance lives as long as the worker, and its ``ptmx`` node kept the
  worker's start time: the ctime of ``/`` (reset for each verifier, below) minus the node's told a long-lived
  training worker from validation's fresh one (admitted 3 of 3, then 16 of 16 wrong answers paid once the pool
  was older than 40 s); a write to a pseudo-terminal set the node's mtime, a mark a later task on the worker
  read (4 of 4 bits). Task code needs no pseudo-terminal: ``/dev/ptmx`` leads nowhere
  (``os.openpty`` fails).
  The clone also gives each process an IPC namespace of its own (``CLONE_NEWIPC``): SysV IPC ids number
  objects in a sequence per namespace that removing them does not reset, so in the worker's namespace the next id
  told how many objects earlier groups had made (a channel between tasks, and a count of the groups before); a
  fresh namespace cost 0.17 ms a process (unshare, median of 300) and its objects die with
  it. A response process counts: a verifier can run any code through ``run_response`` and read
  what it reports.
- :func:`worker_start_paths` and :func:`touch`: the directories, symlinks and mount points bwrap made on its own
  tmpfs trees (``/``, ``/dev``, the devpts root) carry the worker's start in their times. The fork server touches
  them (all three times become now) before it clones each verifier process, so the times a verifier, or a
  response it starts, reads date only that verifier's start; birth times cannot be reset, so the seccomp filter
  answers ``statx`` with ENOSYS (the C library's ``stat`` family does not need it). Only in bwrap sandboxes:
  elsewhere ``/`` is the host's.
"""

import ctypes
import errno
import os
import platform
import signal
import stat

from verifier.sandbox.zygote.cleanup import libc

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 0x1, 0x2, 0x4, 0x8, 0x4000, 0x40000
CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWIPC = 0x00020000, 0x20000000, 0x08000000
SYS_CLONE, SYS_GETPID, CLONE_PARENT = 56, 39, 0x00008000
CLONE_PIDFD = 0x00001000
NAMESPACES = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC


def can_clone():
    """Whether :func:`clone` works here (the raw ``clone`` syscall number is x86_64's)."""
    return platform.machine() == "x86_64" and libc() is not None


def clone(flags, namespaces, number=SYS_CLONE, pidfd=None):
    """``clone(flags | SIGCHLD)`` into new pid, mount and IPC namespaces when ``namespaces[0]``; where the kernel
    refuses them (no CAP_SYS_ADMIN), without, from then on (``namespaces`` is a one-item list). This process is
    single-threaded and holds no lock at the call, so the copy is as consistent as after ``fork``. ``number``
    ``SYS_GETPID``: a rehearsal, the same call without a clone. ``pidfd`` (a ``ctypes.c_int``): the caller also gets
    a pidfd of the child, made by the same call (``CLONE_PIDFD``), so it can never name another process."""
    lib = libc()
    extra_flags, where = (CLONE_PIDFD, ctypes.byref(pidfd)) if pidfd is not None else (0, 0)
    while True:
        extra = NAMESPACES if namespaces[0] else 0
        pid = lib.syscall(number, flags | extra | extra_flags | signal.SIGCHLD, 0, where, 0, 0)
        if pid >= 0:
            return pid
        error = ctypes.get_errno()
        if not (namespaces[0] and error in (errno.EPERM, errno.EINVAL)):
            raise OSError(error, "clone failed")
        namespaces[0] = False


def undumpable():
    """``PR_SET_DUMPABLE`` 0 for this process: no process of its uid traces it or reads ``/proc/<pid>/mem`` (the
    session supervisor and spawner; best effort without a C library)."""
    lib = libc()
    if lib is not None:
        lib.prctl(4, 0, 0, 0, 0)


class ConfineError(Exception):
    """A confinement step failed: the process must not go on to run untrusted code."""


def mount_plan(scratch, scratch_mb, task_filter=None):
    """In the fork server, once: the ``mount`` function (argument types set) and the steps of
    :func:`private_namespace`, so that a child only makes the three calls. Why: every Python object a forked child
    touches for the first time costs it a copy-on-write page fault (4-5 us each in this VM); building the ctypes
    prototype and the arguments in each child cost 77 faults, a fifth of a response process's. None without a C
    library (the child then fails to confine itself)."""
    lib = libc()
    if lib is None:
        return None
    mount = lib.mount
    mount.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p)
    steps = ((None, b"/", None, MS_REC | MS_PRIVATE, None),
             (b"none", b"/proc", b"tmpfs", EMPTY, b"size=4k,mode=0555"),
             (b"tmpfs", scratch.encode(), b"tmpfs", MS_NOSUID | MS_NODEV,
              f"size={scratch_mb << 20},mode=1777".encode()))
    return mount, steps, filter_plan(lib, task_filter)


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def filter_plan(lib, program_hex):
    """In the fork server, once: the ``prctl`` call and its ``sock_fprog`` for the host's task filter
    (``task_filter.task_filter_program``, as hex); None without one."""
    if not program_hex:
        return None
    code = ctypes.create_string_buffer(bytes.fromhex(program_hex))
    prctl = lib.prctl
    prctl.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong)
    return prctl, SockFprog(len(code.raw) // 8, ctypes.addressof(code)), code


def restrict(plan):
    """Stack the task filter on this process (no_new_privs is set for the whole sandbox); raises ConfineError when
    the kernel refuses it, so no task code runs without it."""
    if plan is None or plan[2] is None:
        return
    prctl, program, _ = plan[2]
    if prctl(22, 2, ctypes.addressof(program), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        raise ConfineError(f"seccomp: {os.strerror(ctypes.get_errno())}")


EMPTY = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC
TERMINALS = (b"none", b"/dev/pts", b"tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, b"size=4k,mode=0555")
"""The cover of ``/dev/pts`` (module docstring): root's and not writable by task uids, but not a read-only mount,
so that the fork server can touch its times before each verifier process (``touch``; made at the worker's start,
they would date it)."""


def cover_terminals(plan):
    """In the fork server, once: cover ``/dev/pts`` in the worker's own mount namespace, which every verifier and
    response process's namespace copies, so none of them sees the worker's devpts (module docstring). Mounted per
    process it cost each ``run_response`` call a tmpfs made and torn down (about 5% of its time in an A/B run);
    the worker's own processes need no pseudo-terminal either. Where it cannot be mounted here, each process
    mounts it (``plan``, returned with the step added), and a process that cannot runs no task code."""
    if plan is None:
        return None
    mount, steps, task_filter = plan
    if mount(*TERMINALS) == 0:
        return plan
    return mount, steps + (TERMINALS,), task_filter


def inherit_filter(plan):
    """In a template, once: stack the task filter on the template itself, and return ``plan`` without it, so that
    every process the template clones starts under the filter (a clone inherits its parent's filters) and stacks
    none of its own. Why: the kernel compiles a filter where it is attached (a JIT pass and an executable page
    allocation whose mapping change interrupts every CPU): 230-260 us a process in this VM (median of 400 forks),
    about 5% of a ``run_response`` call, paid once per template now. The template needs nothing the filter
    refuses (it clones without pidfds, binds nothing). Raises ConfineError when the kernel refuses it, and the
    template then serves nothing."""
    restrict(plan)
    return None if plan is None else (plan[0], plan[1], None)


def private_namespace(plan):
    """In a fresh pid and mount namespace (as its pid 1): keep mounts private, cover ``/proc`` with an empty read-only
    tmpfs (``/dev/pts`` came covered from the worker's namespace: :func:`cover_terminals`) and mount a fresh size-capped
    tmpfs on the scratch directory (the worker's scratch numbers its inodes from the worker's start: a file's ``st_ino``
    counted the groups before). ``plan`` is :func:`mount_plan`'s. Raises ConfineError when a step fails."""
    if plan is None:
        raise ConfineError("the C library cannot be loaded")
    mount, steps, _ = plan
    for source, target, kind, flags, data in steps:
        if mount(source, target, kind, flags, data) != 0:
            raise ConfineError(f"mount {target.decode()}: {os.strerror(ctypes.get_errno())}")


def enter(plan, uid):
    """The first steps of every verifier and response process, while still root: the OOM killer's first pick
    (:func:`doom`, through the worker's ``/proc``), then no ``/proc`` and a scratch of its own when it is pid 1 of
    namespaces of its own (:func:`private_namespace`), a session of its own, and ``uid`` for good (no
    supplementary groups), where it has one to take."""
    doom()  # through the worker's /proc, before this process covers it
    if os.getpid() == 1:
        private_namespace(plan)
    os.setsid()
    if uid is not None and os.getuid() == 0:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    restrict(plan)


BASE_ENVIRONMENT = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "USER": "sandbox", "LOGNAME": "sandbox"}
"""``USER`` and ``LOGNAME`` name the sandbox's user, so that an honest verifier's ``getpass.getuser()`` works (there
is no passwd entry for the sandbox uid); the same in every run, so nothing here tells validation from training."""


def settle_environment():
    """In the fork server, once: the environment every verifier and response process starts from (nothing the host
    or bwrap set, such as the worker's hash seed, survives). Done once here rather than cleared in every child: a
    child pays for each Python function it runs the first time (copy-on-write faults), and ``environ.clear()``
    runs dozens."""
    os.environ.clear()
    os.environ.update(BASE_ENVIRONMENT)


def home(path):
    """In a verifier or response process: ``HOME`` and ``TMPDIR`` are its fresh working directory."""
    os.environ["HOME"] = os.environ["TMPDIR"] = path


def doom():
    """Make this process the OOM killer's first pick (while still root, so the write is allowed); best effort."""
    try:
        fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
    except OSError:
        return
    try:
        os.write(fd, b"1000")
    except OSError:
        pass
    finally:
        os.close(fd)


def worker_start_paths():
    """Every entry of the sandbox's own tmpfs trees (the root's and ``/dev``'s), with the devpts root: never one of
    a file system bound in from the host (touching ``/dev/null`` would change the host's)."""
    own = {os.lstat("/").st_dev, os.lstat("/dev").st_dev}
    found, pending = [], ["/"]
    while pending:
        path = pending.pop()
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if st.st_dev not in own and path != "/dev/pts":
            continue
        found.append(path)
        if stat.S_ISDIR(st.st_mode) and st.st_dev in own:
            try:
                pending.extend(os.path.join(path, name) for name in os.listdir(path))
            except OSError:
                pass
    return found


def touch(paths):
    """Set every time of ``paths`` (symlinks themselves) to now; an entry that refuses is left as it is."""
    for path in paths:
        try:
            os.utime(path, None, follow_symlinks=False)
        except OSError:
            pass
