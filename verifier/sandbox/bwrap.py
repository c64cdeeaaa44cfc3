"""The default backend: bubblewrap started once per worker, a zygote inside, a fork per group of responses.

How one worker starts, and why each step is there (each step names the pitfall it answers; what the sandbox
enforces and what it does not is listed in the package docstring, ``verifier/sandbox/__init__.py``):

1. bwrap is launched by the host (root) with an *empty* environment, so not even bwrap itself (whose environ
   would otherwise show through ``/proc``) carries a host variable, and it waits on ``--block-fd``.
2. The host moves the waiting bwrap into a fresh cgroup v1 ``pids``/``memory`` pair and a ``cpuset`` (which holds
   one CPU while the worker scores a group: ``cpu_pinning.py``), then releases it; every process of the sandbox
   is counted from its first instruction.
3. bwrap unshares the pid, network, IPC, UTS and cgroup namespaces (no network: only a loopback of its own),
   binds the file image read-only (``file_image.py``: copies of the interpreter and its libraries, in shared
   memory) in place of ``/usr``, a new ``/proc`` and ``/dev``, and a size-capped tmpfs at
   ``/scratch`` (the only writable place), and runs the zygote as pid 1 (``--as-pid-1``) keeping only
   CAP_SETUID/SETGID/KILL and CAP_SYS_ADMIN, with ``no_new_privs`` and the seccomp deny list. Only the fork
   server keeps them (uid 0): it clones each verifier and response process into a pid and mount namespace of its
   own (``zygote/confine.py``), which the filter lets through; every process that runs task code drops them with
   uid 0, so the kernel refuses it those namespaces and ``mount``.
4. The zygote drops to a dedicated unprivileged uid (one per worker, so RLIMIT_NPROC counts only this worker),
   marks itself non-dumpable and waits for requests. As pid 1 of its namespace it cannot be killed by its children,
   and when it dies the kernel kills everything in the namespace.
5. Lifeline: the zygote exits when the host's end of its request pipe closes, which happens when the host closes
   the worker or dies in any way. bwrap's ``--die-with-parent`` is deliberately not used: its parent-death signal
   follows the *thread* that started bwrap, so a worker started from a short-lived thread would die with it.
"""

from __future__ import annotations

import json
import os
import random
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from task_bank.errors import SandboxError
from verifier.libraries import LIBRARY_ROOT, LibraryMount, bwrap_args, library_mounts
from verifier.limits import Limits, worker_hash_seed
from verifier.sandbox import clock_shim
from verifier.sandbox.base import Backend, SandboxUnavailableError, Worker
from verifier.sandbox.cgroup import ROOT as CGROUP_ROOT
from verifier.sandbox.cgroup import cgroups_available, open_cgroup
from verifier.sandbox.channel import Channel
from verifier.sandbox.file_image import FileImage, base_image, image_root, library_layer
from verifier.sandbox.image_leases import Leases
from verifier.sandbox.process_worker import STARTUP_TIMEOUT_S, ProcessWorker
from verifier.sandbox.program import zygote_loader, zygote_program_fd
from verifier.sandbox.seccomp import deny_list_program
from verifier.sandbox.task_filter import task_filter_program

SCRATCH = "/scratch"
UID_RANGE = (200_000, 260_000)
ZYGOTE_OVERHEAD_MB = 96


def python_paths() -> tuple[Path, Path]:
    """The interpreter binary and the install prefix to mount.

    Only the standard library of that install is importable inside: the zygote runs with ``-S`` and its ``sys.path``
    gets no ``site-packages``, so whatever else happens to be installed beside the interpreter (on a developer's
    machine: scipy, boto3, IPython, ...) stays out of a verifier's reach. The allow-listed verifier libraries are
    the only packages a verifier can import (``verifier/libraries.py``)."""
    prefix = Path(sys.base_prefix).resolve()
    binary = Path(sys.executable).resolve()
    if not binary.is_relative_to(prefix):
        binary = prefix / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    return binary, prefix


def bwrap_argv(image: FileImage, mounts: tuple[LibraryMount, ...], limits: Limits, fds: tuple[int, int],
               config: dict[str, object], privileged: bool, extra_caps: tuple[str, ...] = (),
               shim: Path | None = None) -> list[str]:
    """The bwrap command line for one worker (``image``: the interpreter's files; ``mounts``: the verifier
    libraries' layers; ``fds``: block and info fds; ``privileged``: started by root, when the sandbox keeps
    CAP_SETUID/SETGID/KILL and ``extra_caps``; ``shim``: the clock shim to preload, ``clock_shim``)."""
    argv = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--hostname", "sandbox",
            "--unshare-cgroup-try",
            "--as-pid-1", "--new-session", "--block-fd", str(fds[0]), "--info-fd", str(fds[1])]
    if privileged:
        argv += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_KILL"]
        for cap in extra_caps:
            argv += ["--cap-add", cap]
    else:
        argv += ["--unshare-user", "--disable-userns", "--cap-drop", "ALL"]
    argv += image.bwrap_args()  # the interpreter's files, copied to tmpfs (file_image.py), in place of /usr
    argv += clock_shim.bwrap_args(shim)  # the calendar clock, shifted in C in validation's varied runs
    argv += bwrap_args(mounts)  # allow-listed verifier libraries, read-only (verifier/libraries.py), also copies
    if mounts:
        config["site"] = [*config["site"], LIBRARY_ROOT]
    argv += ["--proc", "/proc", "--dev", "/dev",
             "--perms", "1777", "--size", str(limits.scratch_mb << 20), "--tmpfs", SCRATCH, "--chdir", SCRATCH,
             "--symlink", SCRATCH, "/tmp",
             "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "PYTHONHASHSEED", str(config.pop("hash_seed")),
             "--"]
    return argv


class BwrapBackend(Backend):
    """bubblewrap + zygote. Needs Linux, the ``bwrap`` binary and (for containment) root with cgroup v1."""

    name = "bwrap"

    def __init__(self, pin_cpus: bool = True, shift_clock_in_c: bool = True) -> None:
        self.pin_cpus = pin_cpus
        """Each worker scores a group on one CPU (``verifier.sandbox.cpu_pinning``); off only to measure what that is
        worth, never for one context (validation, training) and not the other: a verifier reads its CPU mask."""
        self.shift_clock_in_c = shift_clock_in_c
        """Preload the clock shim (``verifier.sandbox.clock_shim``) where it can be built; off only to test the
        fallback (the clock shifted in Python), which a host without a C compiler gets."""

    def unavailable_reason(self) -> str | None:
        if not sys.platform.startswith("linux"):
            return "bwrap needs Linux; use backend 'docker' or, knowingly, 'unsafe-local'"
        if shutil.which("bwrap") is None:
            return "the 'bwrap' binary is not installed (apt-get install bubblewrap)"
        return None

    def start_worker(self, limits: Limits, hash_seed: int | None = None) -> Worker:
        def zygote(binary: str, config: dict[str, object]) -> tuple[list[str], int]:
            # The fork server (root, in the sandbox) keeps CAP_SYS_ADMIN to give each verifier and response process
            # a pid namespace of its own (``zygote/confine.py``); every process that runs task code drops it with
            # uid 0. The filter lets those namespaces and ``mount`` through, for the kernel to refuse without it.
            task_filter = task_filter_program()  # stacked by every process that runs task code (zygote/confine.py)
            config.update(pid_namespace=config["uid"] is not None, undated=True, limits=limits.model_dump(mode="json"),
                          task_filter=None if task_filter is None else task_filter.hex())
            program_r = zygote_program_fd(config)  # the program travels in a memfd, not in /proc/1/cmdline
            return zygote_loader(binary), program_r

        memory = (limits.memory_mb + limits.scratch_mb + ZYGOTE_OVERHEAD_MB) << 20
        return launch_worker(limits, hash_seed, zygote, memory,
                             deny_list_program(process_namespaces=True, unix_sockets_only=True),
                             extra_caps=("CAP_SYS_ADMIN",), pin_cpus=self.pin_cpus,
                             shift_clock_in_c=self.shift_clock_in_c)


def launch_worker(limits: Limits, hash_seed: int | None,
                  program: Callable[[str, dict[str, object]], tuple[list[str], int | None]],
                  memory_bytes: int, filter_program: bytes | None, *,
                  extra_caps: tuple[str, ...] = (), pin_cpus: bool = True,
                  shift_clock_in_c: bool = True) -> ProcessWorker:
    """Start one bwrap worker (the steps of the module docstring) and wait for its greeting; the one start function
    of every program run under bwrap (the verifier zygote here, the session supervisor in
    ``verifier.session_launch``).

    ``program(binary, config)`` is the hook: it may add to ``config`` (the pipes ``in``/``out``, ``uid`` (even; a
    worker's responses run as ``response_uid`` = uid + 1, so no two workers' uids meet unless they draw the same
    one), ``scratch``, ``site``, ``nproc``) and returns the argv after bwrap's ``--`` and a descriptor to pass
    along (closed here once bwrap has it). ``filter_program``: the seccomp deny list bwrap installs on the whole
    sandbox (``seccomp.deny_list_program``; None: none). ``memory_bytes``: the worker cgroup's memory limit.
    ``pin_cpus``: the worker gets a cpuset, which holds one CPU while it scores a group (``cpu_pinning``; where the
    cgroup ``cpuset`` controller is writable). ``shift_clock_in_c``: preload the clock shim where it can be built
    (``clock_shim``)."""
    reason = BwrapBackend().unavailable_reason()
    if reason is not None:
        raise SandboxUnavailableError(reason)
    binary, prefix = python_paths()
    root = image_root()
    leases = Leases()  # held until the worker closes: no other process removes an image this worker mounts
    try:
        image = base_image(binary, prefix, root, leases)
        mounts = tuple(library_layer(mount, root, leases) for mount in library_mounts(limits.libraries))
        shim = clock_shim.built_shim(root) if shift_clock_in_c else None
    except BaseException:
        leases.close()
        raise
    to_r, to_w = os.pipe()
    from_r, from_w = os.pipe()
    block_r, block_w = os.pipe()
    info_r, info_w = os.pipe()
    privileged = os.geteuid() == 0
    uid = random.randrange(UID_RANGE[0], UID_RANGE[1], 2) if privileged else None
    config: dict[str, object] = {"in": to_r, "out": from_w, "uid": uid, "scratch": SCRATCH, "site": [],
                                 "response_uid": None if uid is None else uid + 1, "nproc": True,
                                 "hash_seed": worker_hash_seed(hash_seed)}
    argv = bwrap_argv(image, mounts, limits, (block_r, info_w), config, privileged, extra_caps, shim)
    tail, program_r = program(str(binary), config)
    argv += tail
    seccomp_r = program_fd(filter_program)
    if seccomp_r is not None:
        argv[1:1] = ["--seccomp", str(seccomp_r)]
    cgroup = open_cgroup(limits.max_processes, memory_bytes, pin_cpu=pin_cpus)
    if cgroup is not None:  # the shell that joins the groups runs with an empty environment: no PATH
        argv = cgroup.wrap([shutil.which(argv[0]) or argv[0], *argv[1:]])
    passed = tuple(fd for fd in (to_r, from_w, block_r, info_w, seccomp_r, program_r) if fd is not None)
    try:  # the program's descriptor is its stdin: a number that is the same on every host
        proc = subprocess.Popen(argv, env={}, stdin=subprocess.DEVNULL if program_r is None else program_r,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, pass_fds=passed, start_new_session=True)
    except OSError as exc:
        for fd in (*passed, to_w, from_r, block_w, info_r):
            os.close(fd)
        if cgroup is not None:
            cgroup.remove()
        leases.close()
        raise SandboxUnavailableError(f"cannot run bwrap: {exc}") from exc
    for fd in passed:
        os.close(fd)
    worker = ProcessWorker(proc, Channel(to_w, from_r), limits, cgroup, on_close=leases.close)
    try:
        worker.sandbox_pid = read_child_pid(info_r)
        if cgroup is not None:
            cgroup.add(proc.pid)
            cgroup.add(worker.sandbox_pid)
    except (OSError, SandboxError) as exc:
        os.close(block_w)
        worker.close()
        raise SandboxUnavailableError(f"cannot move the sandbox into its cgroup: {exc}") from exc
    os.write(block_w, b"go")
    os.close(block_w)
    worker.wait_ready()
    return worker


def program_fd(program: bytes | None) -> int | None:
    """A pipe's read end holding ``program`` (bwrap reads the filter from it), or None without a program."""
    if program is None:
        return None
    read_end, write_end = os.pipe()
    os.write(write_end, program)
    os.close(write_end)
    return read_end


def read_child_pid(info_fd: int) -> int:
    """The sandbox's first process (host pid), from bwrap's ``--info-fd`` JSON, written before it execs anything."""
    data = b""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            if not select.select([info_fd], [], [], deadline - time.monotonic())[0]:
                continue
            chunk = os.read(info_fd, 4096)
            if not chunk:
                break
            data += chunk
            if b"}" in data:
                break
    finally:
        os.close(info_fd)
    try:
        return int(json.loads(data)["child-pid"])
    except (ValueError, KeyError, TypeError) as exc:
        raise SandboxError(f"bwrap did not report its sandbox pid (got {data[:200]!r})") from exc


def containment() -> str:
    """Which process containment this host gives the bwrap backend (for reports and the benchmark)."""
    if not cgroups_available():
        return "rlimits only (not root: no cgroups)"
    cpu = "+cpu (one core per worker)" if os.access(CGROUP_ROOT / "cpu", os.W_OK) else ""
    return f"cgroup v1 pids+memory{cpu}, rlimits"
