"""A local Ray instance started by the Ray executor listens on 127.0.0.1 only, never the machine's address.

Each case runs in a fresh interpreter: Ray reads its loopback switch once, when it is first imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="Ray is an optional extra: pip install ray")

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

_START_AND_REPORT = """
import json
from synth.ray_executor import RayExecutor
ex = RayExecutor(workers=1)
import ray
try:
    assert ex.map(abs, [-3]) == [3]
    print(json.dumps({"node": ray.util.get_node_ip_address(), "gcs": ray.get_runtime_context().gcs_address}))
finally:
    ex.close()
"""

_IMPORT_RAY_FIRST = """
import ray
from synth.ray_executor import RayExecutor
from task_bank.errors import ConfigError
try:
    RayExecutor(workers=1)
except ConfigError as exc:
    print("refused:", exc)
"""


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True,
                          text=True, timeout=300)


def test_a_local_ray_instance_binds_loopback_only():
    done = _run(_START_AND_REPORT)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["node"] == "127.0.0.1"
    assert report["gcs"].startswith("127.0.0.1:")


def test_ray_imported_without_the_loopback_switch_is_refused_rather_than_exposed():
    done = _run(_IMPORT_RAY_FIRST, RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="1")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "refused:" in done.stdout and "127.0.0.1" in done.stdout
