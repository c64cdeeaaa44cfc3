"""The second seccomp filter: what every verifier and response process is refused on top of the worker's deny list
(:mod:`verifier.sandbox.seccomp`), stacked before it runs task code (``zygote/confine.py``, ``inherit_filter``).

Why a module of its own: the worker's deny list binds the whole sandbox, the fork server and disposer included, and
those need what this one refuses (pidfds to watch their children, ``bind``, ``execve``); task code needs none of it.
Its list, and the red-team finding behind each entry, are in :func:`task_filter_program`. It is assembled by the
deny list's assembler (:func:`verifier.sandbox.seccomp.assemble`) and, like it, built for x86_64 only.
"""

from __future__ import annotations

import platform

from verifier.sandbox.seccomp import ALLOW, ARG0, ARG1, ARG2, JEQ, JGE, JSET, LD_ABS, RET, SYS_CLONE, assemble

TASK_DENIED_X86_64 = {"pidfd_open": 434, "bind": 49, "execve": 59, "execveat": 322, "adjtimex": 159,
                      "clock_adjtime": 305}
TASK_UNANSWERED_X86_64 = {
    "io_setup": 206, "process_mrelease": 448, "futex_waitv": 449, "set_mempolicy_home_node": 450,
    "futex_wake": 454, "futex_wait": 455, "futex_requeue": 456, "lsm_get_self_attr": 459, "lsm_set_self_attr": 460,
    "lsm_list_modules": 461, "setxattrat": 463, "getxattrat": 464, "listxattrat": 465, "removexattrat": 466,
}
"""Answered ENOSYS to task code, as if the kernel lacked them (:func:`task_filter_program` says why each)."""
HIGHEST_REVIEWED_X86_64 = 467
"""``open_tree_attr``: every syscall number above it answers ENOSYS to task code, whatever a later kernel adds."""
SYS_FUTEX, FUTEX_PRIVATE_FLAG = 202, 128
SYS_SETSOCKOPT, SYS_GETSOCKOPT, SO_PASSPIDFD, SO_PEERPIDFD = 54, 55, 76, 77
SO_PASSCRED, SO_PASSSEC = 16, 34  # either makes a unix socket take a name of its own when it sends (autobind)
SO_TIMESTAMPS = {"SO_TIMESTAMP": 29, "SO_TIMESTAMPNS": 35, "SO_TIMESTAMPING": 37, "SO_TIMESTAMP_NEW": 63,
                 "SO_TIMESTAMPNS_NEW": 64, "SO_TIMESTAMPING_NEW": 65}
"""Socket options with which the kernel dates each message it receives, by its own clock (``SCM_TIMESTAMP``)."""
SYS_IOCTL, SIOCGSTAMPS = 16, {"SIOCGSTAMP": 0x8906, "SIOCGSTAMPNS": 0x8907}
CLONE_PIDFD = 0x1000


def task_filter_program() -> bytes | None:
    """A second filter, which every verifier and response process runs under, stacked on the worker's before it runs
    task code (once per template, ``confine.inherit_filter``; per process where there is no template); None where
    it was not built for this machine.

    Why a second one: the worker's own processes need what it refuses. The fork server and disposer watch their
    children through pidfds, but a pidfd's inode number comes from a host-wide counter of every process ever
    created (red-team round 13: 82-89 others counted in 0.5 s while the host forked, and a bit from one group to the
    next in a worker, 64 of 64), so task code gets none: ``pidfd_open``, ``clone`` with ``CLONE_PIDFD``,
    ``SO_PEERPIDFD`` and ``SO_PASSPIDFD`` are refused. ``io_setup`` answers ENOSYS (the host's count of async I/O
    events in use is host-wide and was read exactly: 120 of 120 bits between pools). ``bind`` is refused, and so
    are ``SO_PASSCRED`` and ``SO_PASSSEC``, with which a socket takes a name of its own when it sends (round 14): an
    abstract socket name lives in the worker's network namespace, and one parked in a loop of passed sockets
    outlived its group.

    Round 34 (once the clock shim shifted the calendar clock of the C library in validation's varied runs): the
    clocks a process reads without the C library are refused. ``execve``/``execveat``: a verifier started
    ``python -S`` with ``subprocess``, whose interpreter loads no shim and runs code no static check read (a time
    bomb was admitted and paid every wrong answer); nothing scores text by running a program. The socket options
    that have the kernel date each received message (:data:`SO_TIMESTAMPS`, ``SIOCGSTAMP*``): another bomb read the
    real date from a ``socketpair``. ``adjtimex``/``clock_adjtime``, whose answer holds the time.

    Round 58: a syscall a later kernel adds is refused by default: every number above
    :data:`HIGHEST_REVIEWED_X86_64` answers ENOSYS (as if the kernel lacked it; the C library falls back where it
    can), so a new call reaches task code only once someone reviews it and raises the ceiling. Of those reviewed
    (448-467), three pass: ``fchmodat2`` (``fchmodat`` with flags), ``map_shadow_stack`` and ``mseal`` (the
    caller's own memory); ``cachestat``, ``statmount``, ``listmount`` and ``open_tree_attr`` stay refused by the
    worker's filter; the rest answer ENOSYS (:data:`TASK_UNANSWERED_X86_64`), none being called by the interpreter
    or glibc 2.36: ``process_mrelease`` takes a pidfd, ``lsm_list_modules`` reports the host's security modules and
    the other ``lsm_*`` calls the caller's attributes under them, the ``*xattrat`` calls repeat the ``*xattr`` ones,
    and the futex2 calls (``futex_wait``, ``futex_wake``, ``futex_waitv``, ``futex_requeue``) take their shared or
    private flag as one more argument or in memory, where a filter would have to follow each.

    The classic ``futex`` takes only operations with ``FUTEX_PRIVATE_FLAG`` (others: EPERM). A futex that is not
    private is keyed by the file when its word lies in a file mapping, and every sandbox maps the same file image,
    so a wait in one pool was woken from another: a ``FUTEX_WAKE`` counted another pool's waiters (24 of 24 bits),
    and the kernel's own wake at a thread's exit, aimed at the image by ``set_tid_address``, carried 16 of 16 bits
    with no futex call on the sending side, so refusing the waking operations alone would not close it. Private
    futexes (every lock, condition and semaphore of Python, and glibc's defaults) pass. Not covered: a
    process-shared glibc object (a ``PTHREAD_PROCESS_SHARED`` mutex; ``sem_open``, behind ``multiprocessing``
    locks, which the sandbox already refused for want of ``/dev/shm``) and ``pthread_join`` of a thread still
    running (glibc waits on the thread's id with a shared futex) abort with glibc's "The futex facility returned an
    unexpected error code". Python 3.11's threads are detached and never joined that way; from 3.13
    ``Thread.join`` calls ``pthread_join``, so an interpreter upgrade must revisit this."""
    if platform.machine() != "x86_64":
        return None
    code: list[tuple[int, int | str, int | str, int]] = [
        (LD_ABS, 0, 0, 0),                                 # A = syscall number (the worker's filter checked arch)
        (JGE, "enosys", 0, HIGHEST_REVIEWED_X86_64 + 1),
        *[(JEQ, "eperm", 0, number) for number in sorted(TASK_DENIED_X86_64.values())],
        *[(JEQ, "enosys", 0, number) for number in sorted(TASK_UNANSWERED_X86_64.values())],
        (JEQ, "futex", 0, SYS_FUTEX),
        (JEQ, "clone", 0, SYS_CLONE),
        (JEQ, "getsockopt", 0, SYS_GETSOCKOPT),
        (JEQ, "setsockopt", 0, SYS_SETSOCKOPT),
        (JEQ, "ioctl", 0, SYS_IOCTL),
        (RET, 0, 0, ALLOW),
    ]
    labels = {"futex": len(code)}
    code += [(LD_ABS, 0, 0, ARG1), (JSET, "allow", "eperm", FUTEX_PRIVATE_FLAG)]
    labels["clone"] = len(code)
    code += [(LD_ABS, 0, 0, ARG0), (JSET, "eperm", "allow", CLONE_PIDFD)]
    labels["getsockopt"] = len(code)
    code += [(LD_ABS, 0, 0, ARG2), (JEQ, "enoprotoopt", "allow", SO_PEERPIDFD)]
    labels["setsockopt"] = len(code)
    code += [(LD_ABS, 0, 0, ARG2), (JEQ, "enoprotoopt", 0, SO_PASSPIDFD), (JEQ, "eperm", 0, SO_PASSCRED),
             *[(JEQ, "eperm", 0, option) for option in sorted(SO_TIMESTAMPS.values())],
             (JEQ, "eperm", "allow", SO_PASSSEC)]
    labels["ioctl"] = len(code)
    code += [(LD_ABS, 0, 0, ARG1), *[(JEQ, "eperm", 0, request) for request in sorted(SIOCGSTAMPS.values())],
             (RET, 0, 0, ALLOW)]
    return assemble(code, labels, ("allow", "eperm", "enosys", "enoprotoopt"))
