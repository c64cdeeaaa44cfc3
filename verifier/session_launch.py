"""Start a session worker: the session supervisor (:mod:`verifier.session_program`) inside the sandbox.

Sessions start through the verifier sandbox's one start function, :func:`verifier.sandbox.bwrap.launch_worker`
(bubblewrap command line, cgroup v1 groups joined before the first instruction, ``--info-fd``, the bounded
JSON-lines channel, :class:`~verifier.sandbox.process_worker.ProcessWorker` for the greeting and for killing the
whole tree, an even uid per worker drawn like the verifier workers', the seccomp deny list on the whole
sandbox), with a hook that supplies the session supervisor instead of the verifier zygote. Session workers get the
strict filter (no namespaces, no ``mount``) and no extra capability.
The sandbox properties listed in :mod:`verifier.sandbox` therefore hold for session workers too (a worker per hash
seed, a dedicated uid, non-dumpable supervisor, no network, no host files).

``unsafe-local`` starts the same program as a plain subprocess: NO isolation; for machines without bwrap.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from importlib import resources

from verifier.limits import Limits, worker_hash_seed
from verifier.sandbox.base import SandboxUnavailableError
from verifier.sandbox.bwrap import ZYGOTE_OVERHEAD_MB, launch_worker
from verifier.sandbox.channel import Channel
from verifier.sandbox.local import UNSAFE_MESSAGE, UnsafeSandboxWarning
from verifier.sandbox.process_worker import ProcessWorker
from verifier.sandbox.seccomp import deny_list_program
from verifier.sandbox.task_filter import task_filter_program

BACKENDS = ("bwrap", "unsafe-local")
"""Backends a session worker can run under."""


MODULES = ("sandbox.zygote.cleanup", "sandbox.zygote.confine", "sandbox.zygote.environment", "session_child",
           "session_process", "session_program")
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


def start_session_worker(backend: str, limits: Limits, hash_seed: int | None = None) -> ProcessWorker:
    """A ready session supervisor under ``backend`` (hash seed None: drawn, :func:`verifier.limits.worker_hash_seed`);
    SandboxUnavailableError when it cannot start here."""
    if backend == "bwrap":
        return _start_bwrap(limits, hash_seed)
    if backend == "unsafe-local":
        return _start_local(limits, hash_seed)
    raise SandboxUnavailableError(f"session workers run under {' or '.join(BACKENDS)}, not {backend!r}")


def _start_bwrap(limits: Limits, hash_seed: int | None) -> ProcessWorker:
    def supervisor(binary: str, config: dict[str, object]) -> tuple[list[str], None]:
        # As the verifier zygote's fork server, the session spawner (root, in the sandbox) keeps CAP_SYS_ADMIN to
        # clone each session into namespaces of its own (session_child.spawner_main); the session drops it with
        # uid 0 and stacks the task filter before its source loads.
        task_filter = task_filter_program()
        config.update(pid_namespace=config["uid"] is not None, scratch_mb=limits.scratch_mb,
                      task_filter=None if task_filter is None else task_filter.hex())
        return session_command(binary, config), None

    memory = (limits.memory_mb * 2 + limits.scratch_mb + ZYGOTE_OVERHEAD_MB) << 20
    # AF_UNIX sockets only, as for verifiers: the worker's loopback is shared by its sessions, and a session that
    # listened on it was found by the others (a channel, and a count of the sessions alive: red-team round 28).
    return launch_worker(limits, hash_seed, supervisor, memory,
                         deny_list_program(process_namespaces=True, unix_sockets_only=True),
                         extra_caps=("CAP_SYS_ADMIN",))


def _start_local(limits: Limits, hash_seed: int | None) -> ProcessWorker:
    warnings.warn(UNSAFE_MESSAGE, UnsafeSandboxWarning, stacklevel=3)
    scratch = tempfile.mkdtemp(prefix="envsynth-sessions-")
    to_r, to_w = os.pipe()
    from_r, from_w = os.pipe()
    config = {"in": to_r, "out": from_w, "uid": None, "scratch": scratch, "site": [], "nproc": False}
    proc = subprocess.Popen(session_command(sys.executable, config),
                            env={"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": str(worker_hash_seed(hash_seed))},
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            pass_fds=(to_r, from_w), start_new_session=True)
    os.close(to_r)
    os.close(from_w)
    worker = ProcessWorker(proc, Channel(to_w, from_r), limits,
                           on_close=lambda: shutil.rmtree(scratch, ignore_errors=True))
    worker.wait_ready()
    return worker
