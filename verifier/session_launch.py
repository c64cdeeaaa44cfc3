"""Start a session worker: the session supervisor (:mod:`verifier.session_program`) inside the sandbox.

Sessions reuse the verifier sandbox's public pieces rather than a copy of them: the bubblewrap command line
(:func:`verifier.sandbox.bwrap.bwrap_argv`: empty environment, private pid/net/IPC/UTS namespaces, read-only
``/usr`` and Python, a size-capped tmpfs scratch, pid 1), the seccomp deny list
(:func:`verifier.sandbox.seccomp.deny_list_program`, handed to bwrap by :func:`verifier.sandbox.bwrap.program_fd`),
bwrap's ``--info-fd`` report of the sandbox pid (:func:`verifier.sandbox.bwrap.read_child_pid`), the per-worker cgroup v1 pids/memory/cpu groups
(:func:`verifier.sandbox.cgroup.open_cgroup`, joined before the first instruction), the bounded JSON-lines
:class:`~verifier.sandbox.channel.Channel`, and :class:`~verifier.sandbox.process_worker.ProcessWorker` for the
greeting and for killing the whole tree. Only the program after bwrap's ``--`` differs: the session supervisor
instead of the verifier zygote. The sandbox properties listed in :mod:`verifier.sandbox` therefore hold for session
workers too (a worker per hash seed, a dedicated uid, non-dumpable supervisor, no network, no host files).

``unsafe-local`` starts the same program as a plain subprocess: NO isolation; for machines without bwrap.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import warnings
from importlib import resources

from task_bank.errors import SandboxError
from verifier.limits import Limits
from verifier.sandbox.base import SandboxUnavailableError
from verifier.sandbox.bwrap import (SCRATCH, UID_RANGE, ZYGOTE_OVERHEAD_MB, BwrapBackend, bwrap_argv, program_fd,
                                    python_paths, read_child_pid)
from verifier.sandbox.cgroup import open_cgroup
from verifier.sandbox.channel import Channel
from verifier.sandbox.local import UNSAFE_MESSAGE, UnsafeSandboxWarning
from verifier.sandbox.process_worker import ProcessWorker
from verifier.sandbox.seccomp import deny_list_program

BACKENDS = ("bwrap", "unsafe-local")
"""Backends a session worker can run under."""


MODULES = ("sandbox.zygote.environment", "session_child", "session_program")
"""The supervisor's modules under ``verifier``, shipped as source text in this order (standard library only); the
first is the verifier sandbox's run-environment code (seeding, clock and pid shifting), shared, not copied."""
BOOTSTRAP = """
import json, sys, types
for name, text in json.loads(sys.argv[1]):
    parts = name.split(".")
    for i in range(1, len(parts)):
        prefix = ".".join(parts[:i])
        if prefix not in sys.modules:
            package = types.ModuleType(prefix)
            package.__path__ = []
            sys.modules[prefix] = package
    module = types.ModuleType(name)
    sys.modules[name] = module
    exec(compile(text, name, "exec"), module.__dict__)
sys.modules["verifier.session_program"].main(sys.argv[2])
"""


def session_command(python: str, config: dict[str, object]) -> list[str]:
    """argv that runs the session supervisor under ``python`` (no site, no bytecode): a bootstrap registers each
    module under its real name (empty ``verifier`` packages above them, so nothing of envsynth's host side loads
    inside)."""
    root = resources.files("verifier")
    sources = [(f"verifier.{name}", root.joinpath(*name.split(".")[:-1], name.split(".")[-1] + ".py").read_text())
               for name in MODULES]
    return [python, "-S", "-s", "-B", "-c", BOOTSTRAP, json.dumps(sources), json.dumps(config)]


def start_session_worker(backend: str, limits: Limits, hash_seed: int = 0) -> ProcessWorker:
    """A ready session supervisor under ``backend``; SandboxUnavailableError when it cannot start here."""
    if backend == "bwrap":
        return _start_bwrap(limits, hash_seed)
    if backend == "unsafe-local":
        return _start_local(limits, hash_seed)
    raise SandboxUnavailableError(f"session workers run under {' or '.join(BACKENDS)}, not {backend!r}")


def _start_bwrap(limits: Limits, hash_seed: int) -> ProcessWorker:
    reason = BwrapBackend().unavailable_reason()
    if reason is not None:
        raise SandboxUnavailableError(reason)
    binary, prefix = python_paths()
    to_r, to_w = os.pipe()
    from_r, from_w = os.pipe()
    block_r, block_w = os.pipe()
    info_r, info_w = os.pipe()
    seccomp_r = program_fd(deny_list_program())
    privileged = os.geteuid() == 0
    config: dict[str, object] = {"in": to_r, "out": from_w, "uid": random.randrange(*UID_RANGE) if privileged else None,
                                 "scratch": SCRATCH, "site": [], "nproc": True, "hash_seed": hash_seed}
    argv = bwrap_argv(binary, prefix, limits, (block_r, info_w), config, privileged)
    argv = argv[:argv.index("--") + 1] + session_command(str(binary), config)
    if seccomp_r is not None:
        argv[1:1] = ["--seccomp", str(seccomp_r)]
    cgroup = open_cgroup(limits.max_processes, (limits.memory_mb * 2 + limits.scratch_mb + ZYGOTE_OVERHEAD_MB) << 20)
    if cgroup is not None:
        argv = cgroup.wrap([shutil.which(argv[0]) or argv[0], *argv[1:]])
    passed = tuple(fd for fd in (to_r, from_w, block_r, info_w, seccomp_r) if fd is not None)
    try:
        proc = subprocess.Popen(argv, env={}, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, pass_fds=passed, start_new_session=True)
    except OSError as exc:
        for fd in (*passed, to_w, from_r, block_w, info_r):
            os.close(fd)
        if cgroup is not None:
            cgroup.remove()
        raise SandboxUnavailableError(f"cannot run bwrap: {exc}") from exc
    for fd in passed:
        os.close(fd)
    worker = ProcessWorker(proc, Channel(to_w, from_r), limits, cgroup)
    try:
        worker.sandbox_pid = read_child_pid(info_r)
        if cgroup is not None:
            cgroup.add(proc.pid)
            cgroup.add(worker.sandbox_pid)
    except (OSError, SandboxError) as exc:
        os.close(block_w)
        worker.close()
        raise SandboxUnavailableError(f"cannot start the session sandbox: {exc}") from exc
    os.write(block_w, b"go")
    os.close(block_w)
    worker.wait_ready()
    return worker


def _start_local(limits: Limits, hash_seed: int) -> ProcessWorker:
    warnings.warn(UNSAFE_MESSAGE, UnsafeSandboxWarning, stacklevel=3)
    scratch = tempfile.mkdtemp(prefix="envsynth-sessions-")
    to_r, to_w = os.pipe()
    from_r, from_w = os.pipe()
    config = {"in": to_r, "out": from_w, "uid": None, "scratch": scratch, "site": [], "nproc": False}
    proc = subprocess.Popen(session_command(sys.executable, config),
                            env={"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": str(hash_seed)},
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            pass_fds=(to_r, from_w), start_new_session=True)
    os.close(to_r)
    os.close(from_w)
    worker = ProcessWorker(proc, Channel(to_w, from_r), limits,
                           on_close=lambda: shutil.rmtree(scratch, ignore_errors=True))
    worker.wait_ready()
    return worker
