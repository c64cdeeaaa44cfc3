"""Ship the zygote into a sandbox: its modules travel as source text, read by a short loader.

Why not a file: the sandbox mounts no envsynth checkout (and a container has none). Why not ``argv``:
``/proc/1/cmdline`` is readable by every process in the sandbox, and would hand each verifier the zygote's whole
program. So bwrap and unsafe-local start ``python -c LOADER`` with a host memfd holding the modules and the
worker's config as its stdin (fd 0: no host descriptor number in ``argv``, which every verifier process inherits
as ``sys.argv`` and ``/proc/self/cmdline``, and which varied with how many files the host had open); the loader
reads it, puts ``/dev/null`` in its place, registers each module under its real name (with
empty parent packages, so ``verifier/__init__`` and its pydantic imports never run inside) and calls
``supervisor.main``. Only the docker backend, which cannot pass a descriptor into a container, still ships the
program in ``argv`` (:func:`zygote_command`).
"""

from __future__ import annotations

import json
import os
from importlib import resources

MODULES = ("plainjson", "frames", "cleanup", "confine", "environment", "response_results", "foreseen", "envsynth_sandbox",
           "disposer", "fork_protocol", "run_digest", "results_slot",
           "response_text", "response_calls", "response", "clean_image", "template", "load_state", "isolation", "child",
           "response_watch", "response_spawn", "channels", "forkserver", "run", "supervisor")
PACKAGE = "verifier.sandbox.zygote"

_REGISTER = """
import json, os, sys, types
for name in ("verifier", "verifier.sandbox", "verifier.sandbox.zygote"):
    package = types.ModuleType(name)
    package.__path__ = []
    sys.modules[name] = package
def register(sources):
    for name, text in sources:
        module = types.ModuleType(name)
        sys.modules[name] = module
        exec(compile(text, name, "exec"), module.__dict__)
"""
BOOTSTRAP = _REGISTER + """
register(json.loads(sys.argv[1]))
sys.modules["verifier.sandbox.zygote.supervisor"].main(sys.argv[2])
"""
LOADER = _REGISTER + """
chunks = []
while True:
    chunk = os.read(0, 1 << 16)
    if not chunk:
        break
    chunks.append(chunk)
null = os.open("/dev/null", os.O_RDWR)
os.dup2(null, 0)
os.close(null)
sources, config = json.loads(b"".join(chunks))
del chunks
register(sources)
sys.modules["verifier.sandbox.zygote.supervisor"].main(config)
"""


def _sources() -> list[tuple[str, str]]:
    return [(f"{PACKAGE}.{name}", resources.files(PACKAGE).joinpath(f"{name}.py").read_text()) for name in MODULES]


def zygote_command(python: str, config: dict[str, object]) -> list[str]:
    """argv that runs the zygote with ``config`` under ``python``, program in argv (containers only)."""
    return [python, "-S", "-s", "-B", "-c", BOOTSTRAP, json.dumps(_sources()), json.dumps(config)]


def zygote_program_fd(config: dict[str, object]) -> int:
    """A descriptor (a host memfd at offset 0) holding the program and ``config`` for :data:`LOADER`: the
    zygote's stdin."""
    payload = json.dumps([_sources(), config]).encode()
    fd = os.memfd_create("envsynth-zygote", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    try:
        os.write(fd, payload)
        os.lseek(fd, 0, os.SEEK_SET)
    except OSError:
        os.close(fd)
        raise
    return fd


def zygote_loader(python: str) -> list[str]:
    """argv that runs the zygote whose program (:func:`zygote_program_fd`) is its stdin; the same on every host."""
    return [python, "-S", "-s", "-B", "-c", LOADER]
