"""``unsafe-local``: the zygote as a plain subprocess of the host. NO ISOLATION; for platforms with no sandbox.

It runs verifier code as the current user, with the host's filesystem and network. What it still gives: the
trusted/untrusted process split (a forged result is still refused), rlimits on the forked child (memory, CPU, file
size), the wall-time kill, output caps, a private scratch directory per worker, and, where this process may create
cgroup v1 groups (root), the same ``pids``/``memory`` containment as bwrap. Where util-linux ``unshare`` works, the
zygote also runs as pid 1 of its own pid namespace, so that ``kill(-1)`` from a verifier (which, run as root in
the host namespace, would kill every process on the machine) reaches only the worker. It warns on every pool it
serves and logs a warning on every group it scores, so nobody mistakes it for a sandbox.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import warnings

from verifier.limits import Limits, worker_hash_seed
from verifier.sandbox.base import Backend, Worker
from verifier.sandbox.cgroup import open_cgroup
from verifier.sandbox.channel import Channel
from verifier.sandbox.process_worker import ProcessWorker
from verifier.sandbox.program import zygote_loader, zygote_program_fd

UNSAFE_MESSAGE = ("sandbox backend 'unsafe-local' runs verifier code WITHOUT ISOLATION (host files, network and "
                  "environment are reachable); use 'bwrap' or 'docker' for anything untrusted")


class UnsafeSandboxWarning(UserWarning):
    """Emitted whenever the unsafe-local backend is used."""


class UnsafeLocalBackend(Backend):
    """Plain subprocess workers; always available."""

    name = "unsafe-local"

    def unavailable_reason(self) -> str | None:
        return None

    def start_worker(self, limits: Limits, hash_seed: int | None = None) -> Worker:
        warnings.warn(UNSAFE_MESSAGE, UnsafeSandboxWarning, stacklevel=2)
        scratch = tempfile.mkdtemp(prefix="envsynth-unsafe-")
        to_zygote_r, to_zygote_w = os.pipe()
        from_zygote_r, from_zygote_w = os.pipe()
        config = {"in": to_zygote_r, "out": from_zygote_w, "uid": None, "scratch": scratch, "site": [],
                  "nproc": False, "response_uid": None, "limits": limits.model_dump(mode="json")}
        env = {"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": str(worker_hash_seed(hash_seed))}
        cgroup = open_cgroup(limits.max_processes + 16, (limits.memory_mb + 256) << 20)
        program_r = zygote_program_fd(config)
        command = zygote_loader(sys.executable)
        proc = subprocess.Popen(pid_namespace_prefix() + command, env=env,
                                stdin=program_r, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                pass_fds=(to_zygote_r, from_zygote_w), start_new_session=True)
        os.close(program_r)
        if cgroup is not None:
            cgroup.add(proc.pid)
        os.close(to_zygote_r)
        os.close(from_zygote_w)
        worker = ProcessWorker(proc, Channel(to_zygote_w, from_zygote_r), limits, cgroup,
                               on_close=lambda: shutil.rmtree(scratch, ignore_errors=True))
        worker.wait_ready()
        return worker



def pid_namespace_prefix() -> list[str]:
    """``unshare`` arguments that give the worker its own pid namespace, or [] where that is impossible."""
    binary = shutil.which("unshare")
    if binary is None:
        return []
    prefix = [binary, "--pid", "--fork", "--kill-child"]
    if os.geteuid() != 0:
        prefix[1:1] = ["--user", "--map-current-user"]
    probe = subprocess.run(prefix + ["true"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=10, check=False)
    return prefix if probe.returncode == 0 else []
