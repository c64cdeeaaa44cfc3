"""A seccomp deny list for the bwrap sandbox, assembled as classic BPF (no libseccomp needed).

Why: namespaces, an unprivileged uid and limits keep a verifier away from the host's files, network and processes,
but the whole kernel syscall surface would still be reachable. This filter (passed to bwrap with ``--seccomp``,
so it binds the zygote and everything it forks) refuses with EPERM the syscalls a verifier never needs and that
either widen the kernel attack surface or carry state between runs:

- new namespaces: ``unshare``, ``setns``, and ``clone`` with any CLONE_NEW* flag (``clone3`` answers ENOSYS, so
  the C library falls back to ``clone``, whose flags the filter can read)
- ``ptrace``, ``process_vm_readv/writev``; kernel keyrings (``keyctl``, ``add_key``, ``request_key``; they would
  outlive a run); ``mount`` and the new mount API, ``pivot_root``, ``chroot``; ``bpf``, ``perf_event_open``,
  ``userfaultfd``, ``io_uring_*``; module loading, ``kexec``, ``reboot``, ``swapon/off``, ``acct``, ``syslog``,
  ``quotactl``, ``open_by_handle_at``, ``ioperm``/``iopl``
- POSIX message queues (``mq_*``): the IPC namespace lives as long as the worker, so a queue would carry data from
  one task to the next
- changing *another* process's limits or scheduling (``prlimit64``, ``setpriority``, ``sched_set*``,
  ``ioprio_set`` with a target other than the caller itself): children share the zygote's uid, and lowering the
  zygote's limits would break every later task on the worker
- ``memfd_create`` and ``memfd_secret``: memory held by a descriptor is not bounded by RLIMIT_AS, and filling it
  made the worker's cgroup kill the zygote instead of the run (the scratch tmpfs is the size-capped place to write)
- ``modify_ldt`` (16-bit segments: a verifier never needs them; a history of kernel bugs) and ``personality``
  other than the query ``personality(0xffffffff)`` (it can switch off address-space randomisation or make data
  executable for the processes a run starts)
- ``landlock_*``: a verifier may not sandbox itself further; nothing needs it, and a self-restricted process
  would make a run behave differently under the same inputs
- channels between concurrent workers through the host files every sandbox mounts read-only: an exclusive
  ``flock`` (shared locks never conflict, so only ``LOCK_SH``/``LOCK_UN`` pass), ``inotify_init*`` and
  ``fanotify_init`` (one worker watching a file that another reads), and the ``fcntl`` commands that take or test
  a POSIX record lock (``F_GETLK``/``F_SETLK``/``F_SETLKW`` and the open-file-description ``F_OFD_*`` variants;
  ``fcntl.lockf`` uses them: locks on disjoint byte ranges of one read-only file passed 16 bits a call between
  two workers) or ask for directory change signals (``F_NOTIFY``); every other ``fcntl`` command passes
  (``F_GETFD``/``F_SETFD``/``F_GETFL``/``F_SETFL``/``F_DUPFD*``: Python needs them). A verifier that opens an
  sqlite database on a file therefore gets a locking error (``:memory:`` works)
- ``statx`` answers ENOSYS (the C library then falls back to ``fstatat``): its birth times cannot be reset, and
  those of the directories the sandbox made at start dated the worker (``zygote/confine.py``)
- in the verifier sandbox (``unix_sockets_only``), ``socket`` of any family but ``AF_UNIX`` answers EAFNOSUPPORT:
  the worker's network namespace lives as long as the worker, so its loopback counted every packet earlier groups
  sent (``/proc/net/dev``: a channel between tasks, and a count that told a used worker from a fresh one) and a
  port left in TIME_WAIT made a later group's ``bind`` fail. A namespace per process cost over a millisecond a
  process; verifiers score text and need no internet socket (``AF_UNIX`` ones, for ``socketpair`` and the fork
  server's channel, pass)
- the page cache as a channel: every sandbox used to read the same host files, so one page of a file nobody else
  read was a bit that outlived the process, the task and the worker (red-team finding: a verifier that set it on
  validation's reference call stayed honest for run 0 and paid 160 of 160 wrong answers in training, spot checks
  included). The files are copies on tmpfs now (``file_image.py``), whose pages never leave memory; the calls that
  test or drop a page stay refused: ``mincore``, ``cachestat``, ``preadv2``/``pwritev2`` with flags
  (``RWF_NOWAIT``), ``fadvise64`` and ``process_madvise``
- ``madvise`` takes only the advice a program uses for its own memory (:data:`MADV_ALLOWED`). Refused, among
  others: ``MADV_COLLAPSE`` and ``MADV_HUGEPAGE`` (red-team round 11: collapsing a range of a file-image file
  into one huge page is a state of the shared page cache that outlives every process, a bit per file read back
  by any later sandbox, and 2 MiB pinned each), ``MADV_MERGEABLE`` (KSM merges equal pages across processes,
  and the time of a write then tells whether another process holds the same bytes), ``MADV_COLD`` and
  ``MADV_PAGEOUT`` (dropped a page of the cache again), the hardware-poisoning ones
- what reports the host whatever the namespace (red-team round 12), answered ENOSYS: ``sysinfo`` (the host's
  thread count, load, free and shared memory: a count of the sandbox workers alive, and a channel from a sandbox
  that filled its scratch, 0 errors in 320 bits; ``os.getloadavg`` and ``sysconf('SC_AVPHYS_PAGES')`` use it),
  ``statfs``/``fstatfs``/``ustat`` (the file image's directory reported the free blocks of the host's
  ``/dev/shm``); and memory locking (``mlock*``, ``munlock*``, ``mmap`` with ``MAP_LOCKED``: locking a range of the
  shared image took half as long when another process held it locked, 0 errors in 480 bits between pools)
- the mount tree as the host sees it (red-team round 58): ``statmount`` and ``listmount`` read, for every mount a
  sandbox has, the host's paths (the file image under ``/envsynth-images/...``), the host ``/dev/shm``'s size
  option, superblock device numbers and the mount ids. The legacy mount id is the lowest free one host-wide: it
  rose by 2 for every other sandbox worker alive, a count of the workers on the host and a channel between two
  concurrent pools (24 of 24 bits). Refused with them: ``quotactl_fd`` (``quotactl`` is) and ``open_tree_attr``
  (``open_tree`` is)
- any non-native (x32) syscall number

Every verifier and response process also runs under a second filter,
:func:`verifier.sandbox.task_filter.task_filter_program`, whose docstring lists what it adds: among it, every syscall
number above the highest one reviewed answers ENOSYS (a later kernel's calls are refused to task code until reviewed)
and a futex operation that is not private is refused (a channel between pools through the shared file image,
red-team round 58). Both filters are assembled here (:func:`assemble`).

It is built for x86_64 only; on another architecture :func:`deny_list_program` returns None and the sandbox runs
without it (the sandbox docstring says so).
"""

from __future__ import annotations

import errno
import platform
import struct

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000
CLONE_NEW_FLAGS = 0x7E020080  # NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME
CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWIPC = 0x00020000, 0x20000000, 0x08000000
SYS_CLONE, SYS_CLONE3, SYS_STATX = 56, 435, 332
DENIED_X86_64 = {
    "ptrace": 101, "syslog": 103, "pivot_root": 155, "chroot": 161, "acct": 163, "mount": 165, "umount2": 166,
    "swapon": 167, "swapoff": 168, "reboot": 169, "iopl": 172, "ioperm": 173, "init_module": 175,
    "delete_module": 176, "quotactl": 179, "kexec_load": 246, "add_key": 248, "request_key": 249, "keyctl": 250,
    "unshare": 272, "perf_event_open": 298, "name_to_handle_at": 303, "open_by_handle_at": 304, "setns": 308,
    "process_vm_readv": 310, "process_vm_writev": 311, "finit_module": 313, "kexec_file_load": 320, "bpf": 321,
    "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "open_tree": 428,
    "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
    "mq_open": 240, "mq_unlink": 241, "mq_timedsend": 242, "mq_timedreceive": 243, "mq_notify": 244,
    "mq_getsetattr": 245, "memfd_create": 319, "memfd_secret": 447, "modify_ldt": 154,
    "landlock_create_ruleset": 444, "landlock_add_rule": 445, "landlock_restrict_self": 446,
    "inotify_init": 253, "inotify_init1": 294, "fanotify_init": 300,
    "mincore": 27, "fadvise64": 221, "cachestat": 451, "process_madvise": 440,
    "mlock": 149, "munlock": 150, "mlockall": 151, "munlockall": 152, "mlock2": 325,
    "statmount": 457, "listmount": 458, "quotactl_fd": 443, "open_tree_attr": 467,
}
UNANSWERED_X86_64 = {"sysinfo": 99, "ustat": 136, "statfs": 137, "fstatfs": 138}
"""Answered ENOSYS, as if the kernel lacked them: they report the host, whatever the namespace (red-team round 12)."""
SYS_MMAP, MAP_LOCKED = 9, 0x2000
SELF_ONLY_ARG0 = {  # allowed only with a pid argument of 0 (the caller itself), as the C library passes it
    "sched_setparam": 142, "sched_setscheduler": 144, "sched_setaffinity": 203, "prlimit64": 302,
    "sched_setattr": 314,
}
SYS_SETPRIORITY, SYS_IOPRIO_SET = 141, 251  # allowed only as (PRIO_PROCESS, 0) and (IOPRIO_WHO_PROCESS, 0)
SYS_PERSONALITY, PERSONALITY_QUERY = 135, 0xFFFFFFFF
SYS_FLOCK, LOCK_EX = 73, 2
SYS_FCNTL = 72
SYS_SOCKET, AF_UNIX = 41, 1
SYS_MADVISE = 28
MADV_ALLOWED = {"NORMAL": 0, "RANDOM": 1, "SEQUENTIAL": 2, "WILLNEED": 3, "DONTNEED": 4, "FREE": 8, "REMOVE": 9,
                "DONTFORK": 10, "DOFORK": 11, "UNMERGEABLE": 13, "NOHUGEPAGE": 15, "DONTDUMP": 16, "DODUMP": 17,
                "WIPEONFORK": 18, "KEEPONFORK": 19, "POPULATE_READ": 22, "POPULATE_WRITE": 23,
                "DONTNEED_LOCKED": 24, "GUARD_INSTALL": 102, "GUARD_REMOVE": 103}
"""``madvise`` advice that passes the filter; any other answers EPERM (numpy's ``MADV_HUGEPAGE`` is best effort)."""
SYS_PREADV2, SYS_PWRITEV2 = 327, 328
FCNTL_DENIED = {"F_GETLK": 5, "F_SETLK": 6, "F_SETLKW": 7, "F_OFD_GETLK": 36, "F_OFD_SETLK": 37, "F_OFD_SETLKW": 38,
                "F_NOTIFY": 1026}
ARG0, ARG1, ARG2, ARG3, ARG5 = 16, 24, 32, 40, 56  # offsets of the low words of arguments in struct seccomp_data

LD_ABS, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
ALLOW = 0x7FFF0000
_ERRNO = 0x00050000


def deny_list_program(process_namespaces: bool = False, unix_sockets_only: bool = False) -> bytes | None:
    """The filter as raw ``struct sock_filter`` records, or None where it was not built for this machine.

    ``process_namespaces`` (the verifier sandbox): ``clone`` into a new pid, mount and IPC namespace, and ``mount``,
    pass the filter, so that the fork server can give every verifier and response process a pid namespace, an empty
    ``/proc``, SysV IPC ids and a scratch of its own (``zygote/confine.py``). Both need CAP_SYS_ADMIN, which only that server (uid 0 in
    the sandbox) holds; every process that runs task code has dropped it with uid 0, so the kernel refuses them
    (EPERM), and a new user namespace, the way to regain it, stays denied here. Installed once per worker: a filter
    installed per process cost 0.6 ms a process (its compilation), a third of a grouped call's budget.
    ``unix_sockets_only`` (the verifier sandbox): ``socket`` of another family than ``AF_UNIX`` answers
    EAFNOSUPPORT."""
    if platform.machine() != "x86_64":
        return None
    denied = {name: number for name, number in DENIED_X86_64.items()
              if not (process_namespaces and name == "mount")}
    clone_mask = CLONE_NEW_FLAGS & ~(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC) if process_namespaces else CLONE_NEW_FLAGS
    code: list[tuple[int, int | str, int | str, int]] = [
        (LD_ABS, 0, 0, 4),                                 # A = arch
        (JEQ, 1, 0, AUDIT_ARCH_X86_64),
        (RET, 0, 0, _ERRNO | errno.EPERM),
        (LD_ABS, 0, 0, 0),                                 # A = syscall number
        (JGE, "eperm", 0, X32_SYSCALL_BIT),
        *[(JEQ, "eperm", 0, number) for number in sorted(denied.values())],
        *[(JEQ, "self", 0, number) for number in sorted(SELF_ONLY_ARG0.values())],
        (JEQ, "setpriority", 0, SYS_SETPRIORITY),
        (JEQ, "ioprio", 0, SYS_IOPRIO_SET),
        (JEQ, "personality", 0, SYS_PERSONALITY),
        (JEQ, "flock", 0, SYS_FLOCK),
        (JEQ, "fcntl", 0, SYS_FCNTL),
        (JEQ, "madvise", 0, SYS_MADVISE),
        (JEQ, "rwflags", 0, SYS_PREADV2),
        (JEQ, "rwflags", 0, SYS_PWRITEV2),
        (JEQ, "enosys", 0, SYS_CLONE3),
        (JEQ, "enosys", 0, SYS_STATX),
        *[(JEQ, "enosys", 0, number) for number in sorted(UNANSWERED_X86_64.values())],
        (JEQ, "mmap", 0, SYS_MMAP),
        (JEQ, "clone", 0, SYS_CLONE),
        *([(JEQ, "socket", 0, SYS_SOCKET)] if unix_sockets_only else []),
        (RET, 0, 0, ALLOW),
    ]
    labels = {"clone": len(code)}
    code += [(LD_ABS, 0, 0, ARG0), (JSET, "eperm", 0, clone_mask), (RET, 0, 0, ALLOW)]
    labels["socket"] = len(code)
    code += [(LD_ABS, 0, 0, ARG0), (JEQ, "allow", "eafnosupport", AF_UNIX)]
    labels["self"] = len(code)
    code += [(LD_ABS, 0, 0, ARG0), (JEQ, "allow", "eperm", 0)]
    labels["setpriority"] = len(code)
    code += [(LD_ABS, 0, 0, ARG0), (JEQ, 0, "eperm", 0), (LD_ABS, 0, 0, ARG1), (JEQ, "allow", "eperm", 0)]
    labels["ioprio"] = len(code)
    code += [(LD_ABS, 0, 0, ARG0), (JEQ, 0, "eperm", 1), (LD_ABS, 0, 0, ARG1), (JEQ, "allow", "eperm", 0)]
    labels["personality"] = len(code)
    code += [(LD_ABS, 0, 0, ARG0), (JEQ, "allow", "eperm", PERSONALITY_QUERY)]
    labels["flock"] = len(code)
    code += [(LD_ABS, 0, 0, ARG1), (JSET, "eperm", "allow", LOCK_EX)]
    labels["fcntl"] = len(code)
    code += [(LD_ABS, 0, 0, ARG1), *[(JEQ, "eperm", 0, cmd) for cmd in sorted(FCNTL_DENIED.values())],
             (RET, 0, 0, ALLOW)]
    labels["madvise"] = len(code)
    code += [(LD_ABS, 0, 0, ARG2), *[(JEQ, "allow", 0, advice) for advice in sorted(MADV_ALLOWED.values())],
             (RET, 0, 0, _ERRNO | errno.EPERM)]
    labels["mmap"] = len(code)
    code += [(LD_ABS, 0, 0, ARG3), (JSET, "eperm", "allow", MAP_LOCKED)]
    labels["rwflags"] = len(code)
    code += [(LD_ABS, 0, 0, ARG5), (JEQ, "allow", "eperm", 0)]
    return assemble(code, labels, ("allow", "eperm", "enosys", "eafnosupport"))


_RETURNS = {"allow": ALLOW, "eperm": _ERRNO | errno.EPERM, "enosys": _ERRNO | errno.ENOSYS,
            "eafnosupport": _ERRNO | errno.EAFNOSUPPORT, "enoprotoopt": _ERRNO | errno.ENOPROTOOPT}
"""The answers a program's jumps may end on, by label."""


def assemble(code: list[tuple[int, int | str, int | str, int]], labels: dict[str, int],
             returns: tuple[str, ...]) -> bytes:
    """Raw ``struct sock_filter`` records: ``code``, then one return per name of ``returns`` (:data:`_RETURNS`),
    with each jump to a label turned into an offset."""
    code = list(code)
    labels = dict(labels)
    for name in returns:
        labels[name] = len(code)
        code.append((RET, 0, 0, _RETURNS[name]))
    out = bytearray()
    for at, (op, jt, jf, k) in enumerate(code):
        jumps = [labels[j] - at - 1 if isinstance(j, str) else j for j in (jt, jf)]
        out += struct.pack("=HBBI", op, jumps[0], jumps[1], k)
    return bytes(out)
