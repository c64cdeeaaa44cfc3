"""The --every loop, the cycle lock and the grow config file, each in isolation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from synth.grow.config import GrowConfig, load_config, resolve_bank
from synth.grow.runs import cycle_lock
from synth.grow.cli import next_tick, parse_interval, run_every
from task_bank.errors import ConfigError, LockedError

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("text", "seconds"), [("6h", 21600), ("30m", 1800), ("90s", 90), ("1d", 86400),
                                               ("1h30m", 5400), ("0.5h", 1800)])
def test_intervals_read_with_units(text, seconds):
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["6", "h", "6x", "", "0s", "-1h"])
def test_bad_intervals_are_config_errors_naming_the_option(text):
    with pytest.raises(ConfigError, match="--every"):
        parse_interval(text)


def test_ticks_stay_anchored_to_the_first_start():
    assert next_tick(0.0, 10.0, previous=0.0, now=3.0) == 10.0
    assert next_tick(0.0, 10.0, previous=10.0, now=12.5) == 20.0


def test_an_overrun_cycle_is_followed_at_once_and_missed_ticks_are_dropped():
    assert next_tick(0.0, 10.0, previous=0.0, now=35.0) == 30.0


class _FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_the_loop_runs_max_cycles_times_and_sleeps_to_each_tick():
    fake = _FakeClock()

    def cycle() -> int:
        fake.now += 4.0
        return 0

    assert run_every(cycle, 10.0, max_cycles=3, sleep=fake.sleep, clock=fake.clock) == [0, 0, 0]
    assert fake.sleeps == [6.0, 6.0]


def test_a_failed_or_locked_cycle_does_not_end_the_loop():
    codes = iter([1, 75, 0])
    fake = _FakeClock()
    assert run_every(lambda: next(codes), 5.0, max_cycles=3, sleep=fake.sleep, clock=fake.clock) == [1, 75, 0]


def test_ctrl_c_while_sleeping_propagates_to_the_caller():
    def sleep(_seconds: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_every(lambda: 0, 5.0, sleep=sleep)


def test_a_held_lock_refuses_at_once_and_names_the_holder(tmp_path):
    lock = tmp_path / "bank.db.grow.lock"
    code = ("import sys, time; from pathlib import Path; from synth.grow.runs import cycle_lock\n"
            "with cycle_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(30)\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(lock)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockedError, match=rf"pid {holder.pid}.*{lock.name} is held"):
            with cycle_lock(lock):
                pass
    finally:
        holder.kill()
        holder.wait()
    with cycle_lock(lock):
        pass


def test_config_paths_resolve_against_the_config_folder(tmp_path):
    cfg = tmp_path / "conf" / "grow.toml"
    cfg.parent.mkdir()
    cfg.write_text('bank = "b.db"\n[generator]\ndrafts = "d.jsonl"\n[[sources]]\nname = "a"\npath = "feed/"\n')
    config = load_config(cfg)
    assert config.bank == cfg.parent / "b.db"
    assert config.generator.drafts == cfg.parent / "d.jsonl"
    assert config.sources[0].path == cfg.parent / "feed"
    assert config.lock_path(config.bank) == cfg.parent / "b.db.grow.lock"


def test_config_errors_name_the_file_and_the_field(tmp_path):
    cfg = tmp_path / "grow.toml"
    cfg.write_text("[budget]\nmax_draftz = 3\n")
    with pytest.raises(ConfigError, match=r"grow\.toml.*budget\.max_draftz"):
        load_config(cfg)


def test_repeated_source_names_are_refused(tmp_path):
    cfg = tmp_path / "grow.toml"
    cfg.write_text('[[sources]]\nname = "a"\npath = "x"\n[[sources]]\nname = "a"\npath = "y"\n')
    with pytest.raises(ConfigError, match="repeated: a"):
        load_config(cfg)


def test_bank_precedence_is_flag_then_config_then_environment(monkeypatch):
    with_bank = GrowConfig(bank=Path("/c.db"))
    monkeypatch.setenv("ENVSYNTH_BANK", "/env.db")
    assert resolve_bank(Path("/flag.db"), with_bank) == Path("/flag.db")
    assert resolve_bank(None, with_bank) == Path("/c.db")
    assert resolve_bank(None, GrowConfig()) == Path("/env.db")
    monkeypatch.delenv("ENVSYNTH_BANK")
    assert resolve_bank(None, GrowConfig()) == Path("task_bank.db")


def test_the_shipped_example_config_is_valid():
    config = load_config(ROOT / "deploy" / "grow.toml")
    assert config.executor.kind == "local" and config.sources
