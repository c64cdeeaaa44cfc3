"""The warm pool: public API, ordering, thread safety, worker replacement, clean shutdown, the backend registry and
the run environment used by determinism checks. Everything runs through the real bwrap backend unless the test is
about the registry itself.
"""

from __future__ import annotations

import logging
import os
import random
import subprocess
import sys
import signal
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from task_bank.errors import ConfigError, SandboxError
from task_bank.validation import Outcome, ScoreResult
from verifier import Backend, BackendRegistry, Limits, RunEnv, Worker, default_registry, open_pool
from verifier.sandbox.local import UnsafeSandboxWarning
from verifier.sandbox.process_worker import descendants

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

EXACT = "def verify(response):\n    return 1.0 if response.strip() == '42' else 0.0\n"
CGROUPS = [Path("/sys/fs/cgroup/pids/envsynth"), Path("/sys/fs/cgroup/memory/envsynth")]


def my_cgroups() -> list[Path]:
    return [d for root in CGROUPS for d in root.glob(f"{os.getpid()}-*")]


def alive(pid: int) -> bool:
    """True for a live (not zombie) process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="module")
def pool():
    with open_pool("bwrap", workers=2, limits=Limits(wall_s=2.0)) as opened:
        yield opened


def test_backend_name_is_reported(pool):
    assert pool.backend_name == "bwrap"


def test_score_keeps_input_order(pool):
    responses = ["42" if i % 3 == 0 else str(i) for i in range(50)]
    assert [r.score for r in pool.score(EXACT, responses)] == [1.0 if i % 3 == 0 else 0.0 for i in range(50)]


def test_score_batch_mixes_tasks_and_keeps_order(pool):
    other = "def verify(response):\n    return 0.5\n"
    pairs = [(EXACT, "42"), (other, "x"), (EXACT, "no"), (other, "y"), (EXACT, "42")]
    assert [r.score for r in pool.score_batch(pairs)] == [1.0, 0.5, 0.0, 0.5, 1.0]


def test_a_group_shares_one_loaded_verifier():
    src = "CALLS = []\ndef verify(response):\n    CALLS.append(response)\n    return len(CALLS) / 16\n"
    with open_pool("bwrap", workers=1) as single:
        assert [r.score for r in single.score(src, ["x"] * 4)] == [1 / 16, 2 / 16, 3 / 16, 4 / 16]


def test_concurrent_callers_are_served(pool):
    outcomes: list[list[float | None]] = []

    def call():
        outcomes.append([r.score for r in pool.score(EXACT, ["42", "1"] * 8)])

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == [[1.0, 0.0] * 8] * 6


def test_verifier_that_fails_to_load_crashes_every_response(pool):
    results = pool.score("def verify(response):\n    return (\n", ["a", "b"])
    assert [r.outcome for r in results] == [Outcome.CRASHED, Outcome.CRASHED]
    assert "SyntaxError" in results[0].detail


def test_missing_verify_function_is_crashed(pool):
    assert pool.score("def check(response):\n    return 1.0\n", ["a"])[0].outcome is Outcome.CRASHED


def test_dead_worker_is_replaced():
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=2.0)) as pool:
        for directory in my_cgroups():
            for pid in (directory / "cgroup.procs").read_text().split():
                os.kill(int(pid), signal.SIGKILL)
        assert [r.score for r in pool.score(EXACT, ["42", "0"])] == [1.0, 0.0]


def test_frozen_worker_is_killed_from_outside_and_its_group_rescored():
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=0.2)) as pool:
        frozen = [int(p) for d in my_cgroups() if "pids" in str(d) for p in (d / "cgroup.procs").read_text().split()]
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)
        assert [r.score for r in pool.score(EXACT, ["42"])] == [1.0]
        assert not [pid for pid in frozen if alive(pid)]


def test_close_leaves_no_process_behind():
    before, groups_before = set(descendants(os.getpid())), set(my_cgroups())
    pool = open_pool("bwrap", workers=2)
    pool.score("import os, time\ndef verify(response):\n    os.fork() or time.sleep(60)\n    return 1.0\n", ["a"])
    pool.close()
    deadline = time.monotonic() + 3
    while set(descendants(os.getpid())) - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert set(descendants(os.getpid())) - before == set()
    assert set(my_cgroups()) - groups_before == set()


def test_closed_pool_refuses_work():
    pool = open_pool("bwrap", workers=1)
    pool.close()
    with pytest.raises(SandboxError):
        pool.score(EXACT, ["42"])


def test_unknown_backend_suggests_the_closest_name():
    with pytest.raises(ConfigError, match="did you mean 'bwrap'"):
        open_pool("bwarp")


def test_registry_is_explicit_and_strict():
    registry = default_registry()
    assert registry.names() == ["bwrap", "docker", "unsafe-local"]
    with pytest.raises(ConfigError):
        registry.register("bwrap", lambda: registry.create("bwrap"))


class BrokenWorker(Worker):
    def score_group(self, source: str, responses: Sequence[str], run_env: RunEnv) -> list[ScoreResult]:
        raise SandboxError("worker lost")

    def alive(self) -> bool:
        return True

    def close(self) -> None:
        return None


class FailingBackend(Backend):
    """Starts one worker for the pool, then cannot start any more: an infrastructure failure."""

    name = "failing"

    def __init__(self) -> None:
        self.started = 0

    def unavailable_reason(self) -> str | None:
        return None

    def start_worker(self, limits: Limits, hash_seed: int = 0) -> Worker:
        self.started += 1
        if self.started > 1:
            raise SandboxError("cannot start a worker")
        return BrokenWorker()


def test_infrastructure_failure_is_error_never_a_score():
    registry = BackendRegistry()
    registry.register("failing", FailingBackend)
    with open_pool("failing", workers=1, registry=registry) as pool:
        results = pool.score(EXACT, ["42", "0"])
    assert [r.outcome for r in results] == [Outcome.ERROR, Outcome.ERROR]


def test_unsafe_local_warns_every_time_it_is_used(caplog):
    with pytest.warns(UnsafeSandboxWarning):
        pool = open_pool("unsafe-local", workers=1)
    with pool, caplog.at_level(logging.WARNING, logger="verifier.pool"):
        assert pool.score(EXACT, ["42"])[0].score == 1.0
        pool.score(EXACT, ["42"])
    assert sum("WITHOUT ISOLATION" in r.getMessage() for r in caplog.records) >= 2


def test_docker_backend_scores_when_an_engine_answers():
    reason = default_registry().create("docker").unavailable_reason()
    if reason is not None:
        pytest.skip(f"docker backend unavailable: {reason}")
    with open_pool("docker", workers=1) as pool:
        assert pool.backend_name == "docker"
        assert [r.score for r in pool.score(EXACT, ["42", "0"])] == [1.0, 0.0]


HASHY = "def verify(response):\n    return (hash(response) % 1000) / 1000\n"


def test_fresh_interpreters_expose_hash_seed_nondeterminism(pool):
    scores = {pool.score(HASHY, ["abc"], RunEnv(hash_seed=seed, fresh=True))[0].score for seed in (1, 2, 3, 4)}
    assert len(scores) > 1


def _hash_under_seed_0(text: str) -> int:
    out = subprocess.run([sys.executable, "-c", f"print(hash({text!r}))"], env={"PYTHONHASHSEED": "0"},
                         capture_output=True, text=True, check=True)
    return int(out.stdout)


def test_training_workers_hash_with_seeds_of_their_own_never_a_constant(pool):
    # Hash seed 0 in every training worker was a constant a verifier could test for, through any path that shows a
    # str hash (set order included), and then behave only where it was not seen.
    src = ("import sys\ndef verify(response):\n"
           f"    return 1.0 if sys.flags.hash_randomization and hash(response) != {_hash_under_seed_0('abc')} else 0.0\n")
    assert [pool.score(src, ["abc"])[0].score for _ in range(4)] == [1.0] * 4
    fractions = {pool.score(HASHY_FINE, ["abc"])[0].score for _ in range(6)}
    assert len(fractions) == 2  # the pool's two workers, each with its own seed


HASHY_FINE = "def verify(response):\n    return (hash(response) % 10**9) / 10**9\n"


def test_training_seeds_the_global_random_anew_in_every_group(pool):
    # Seeded 0, the global random made constants of everything drawn from it: the MIME boundary of ``email``, which
    # no static rule flags, told training (and run 0) from validation's varied runs.
    random.seed(0)
    boundary = str(random.randrange(sys.maxsize))
    src = ("from email.mime.multipart import MIMEMultipart\nimport random\ndef verify(response):\n"
           f"    return 0.0 if {boundary!r} in MIMEMultipart().as_string() else random.random()\n")
    scores = [pool.score(src, ["a"])[0].score for _ in range(6)]
    assert 0.0 not in scores and len(set(scores)) == 6


def test_fresh_run_with_the_same_seed_agrees_with_itself(pool):
    env = RunEnv(hash_seed=7, fresh=True)
    assert pool.score(HASHY, ["abc"], env)[0].score == pool.score(HASHY, ["abc"], env)[0].score


def test_clock_offset_shifts_time_and_datetime(pool):
    src = ("import time, datetime\ndef verify(response):\n"
           "    return 1.0 if time.time() < 1e6 and datetime.datetime.now().year < 1971 else 0.0\n")
    assert pool.score(src, ["a"], RunEnv(clock_offset_s=-time.time()))[0].score == 1.0
    assert pool.score(src, ["a"])[0].score == 0.0


def test_rng_seed_pins_global_random(pool):
    src = "import random\ndef verify(response):\n    return random.random()\n"
    first = pool.score(src, ["a"], RunEnv(rng_seed=5))[0].score
    assert pool.score(src, ["a"], RunEnv(rng_seed=5))[0].score == first
    assert pool.score(src, ["a"], RunEnv(rng_seed=6))[0].score != first


def test_limits_and_run_env_are_frozen_and_validated():
    with pytest.raises(ValueError):
        Limits(wall_s=0)
    with pytest.raises(ValueError):
        Limits().wall_s = 3  # type: ignore[misc]
    assert RunEnv(hash_seed=3).needs_fresh and not RunEnv().needs_fresh


HOST = """
import sys, time
sys.path.insert(0, {root!r})
from verifier import open_pool
pool = open_pool("bwrap", workers=1)
print("ready", flush=True)
pool.score("import time\\ndef verify(r):\\n    time.sleep(60)\\n", ["r"])
"""


def test_sandbox_dies_with_its_host_process():
    import subprocess
    import sys

    host = subprocess.Popen([sys.executable, "-c", HOST.format(root=str(Path(__file__).resolve().parents[2]))],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert host.stdout.readline().strip() == "ready"
        groups = list(Path("/sys/fs/cgroup/pids/envsynth").glob(f"{host.pid}-*"))
        assert groups
        time.sleep(0.3)
    finally:
        host.kill()
        host.wait()
    deadline = time.monotonic() + 5
    members = lambda: [p for g in groups if g.exists() for p in (g / "cgroup.procs").read_text().split()]
    while members() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert members() == []


class ScoringWorker(BrokenWorker):
    def score_group(self, source: str, responses: Sequence[str], run_env: RunEnv) -> list[ScoreResult]:
        return [ScoreResult(outcome=Outcome.SCORED, score=1.0) for _ in responses]


class FlakyBackend(FailingBackend):
    """The pool's worker breaks, one replacement works, then no worker can start."""

    def start_worker(self, limits: Limits, hash_seed: int = 0) -> Worker:
        self.started += 1
        if self.started > 2:
            raise SandboxError("cannot start a worker")
        return BrokenWorker() if self.started == 1 else ScoringWorker()


def test_a_replacement_that_cannot_start_costs_only_the_responses_it_would_have_scored():
    registry = BackendRegistry()
    registry.register("flaky", FlakyBackend)
    with open_pool("flaky", workers=1, registry=registry) as pool:
        results = pool.score(EXACT, ["42", "0"])
    assert [r.outcome for r in results] == [Outcome.SCORED, Outcome.ERROR]
