"""Ship the zygote into a sandbox as ``python -c``: its modules travel as source text on the command line.

Why not a file: the sandbox mounts no envsynth checkout (and a container has none), and ``-c`` works the same for
bwrap, docker and unsafe-local. A short bootstrap registers each module under its real name (with empty parent
packages, so ``verifier/__init__`` and its pydantic imports never run inside) and calls ``supervisor.main``.
"""

from __future__ import annotations

import json
from importlib import resources

MODULES = ("frames", "cleanup", "child", "run", "supervisor")
PACKAGE = "verifier.sandbox.zygote"

BOOTSTRAP = """
import json, sys, types
for name in ("verifier", "verifier.sandbox", "verifier.sandbox.zygote"):
    package = types.ModuleType(name)
    package.__path__ = []
    sys.modules[name] = package
for name, text in json.loads(sys.argv[1]):
    module = types.ModuleType(name)
    sys.modules[name] = module
    exec(compile(text, name, "exec"), module.__dict__)
sys.modules["verifier.sandbox.zygote.supervisor"].main(sys.argv[2])
"""


def zygote_command(python: str, config: dict[str, object]) -> list[str]:
    """argv that runs the zygote with ``config`` under the interpreter ``python`` (no site, no bytecode)."""
    sources = [(f"{PACKAGE}.{name}", resources.files(PACKAGE).joinpath(f"{name}.py").read_text())
               for name in MODULES]
    return [python, "-S", "-s", "-B", "-c", BOOTSTRAP, json.dumps(sources), json.dumps(config)]
