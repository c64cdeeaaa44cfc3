"""The deploy/ examples: the systemd timer and service pass ``systemd-analyze verify`` and their command runs; the
cron line is a valid schedule and its command runs a cycle."""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from task_bank.exit_codes import EXIT_LOCKED

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SERVICE = DEPLOY / "systemd" / "envsynth-grow.service"
TIMER = DEPLOY / "systemd" / "envsynth-grow.timer"
CRON = DEPLOY / "cron" / "envsynth-grow.cron"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True, comment_prefixes=("#", ";"))
    parser.optionxform = str
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture
def grow_setup(fx, tmp_path):
    setup = fx.Setup(tmp_path / "site", evolve={"enabled": False})
    setup.arrive([fx.failure_row(i) for i in range(3)])
    setup.config()
    return setup


def test_the_timer_is_persistent_and_starts_the_service():
    timer = _unit(TIMER)
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Timer"]["Unit"] == SERVICE.name
    assert timer["Timer"]["OnCalendar"]
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_the_service_is_a_oneshot_grow_cycle_that_treats_a_held_lock_as_success():
    service = _unit(SERVICE)["Service"]
    assert service["Type"] == "oneshot"
    assert " -m synth.grow --config " in service["ExecStart"]
    assert str(EXIT_LOCKED) in service["SuccessExitStatus"].split()


def _site_units(tmp_path: Path) -> tuple[Path, Path]:
    """Copies of both units with this machine's interpreter and checkout in place of /opt/envsynth."""
    site = tmp_path / "units"
    site.mkdir()
    service = SERVICE.read_text(encoding="utf-8")
    service = re.sub(r"^ExecStart=\S+", f"ExecStart={sys.executable}", service, flags=re.M)
    service = service.replace("WorkingDirectory=/opt/envsynth", f"WorkingDirectory={ROOT}")
    (site / SERVICE.name).write_text(service, encoding="utf-8")
    shutil.copy(TIMER, site / TIMER.name)
    return site / SERVICE.name, site / TIMER.name


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed (structural checks still run)")
def test_systemd_analyze_verifies_both_units(tmp_path):
    service, timer = _site_units(tmp_path)
    result = subprocess.run([SYSTEMD_ANALYZE, "verify", str(timer), str(service)], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ignoring" not in result.stderr.lower(), result.stderr


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
def test_the_timer_calendar_expression_parses():
    calendar = _unit(TIMER)["Timer"]["OnCalendar"]
    result = subprocess.run([SYSTEMD_ANALYZE, "calendar", calendar], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Next elapse" in result.stdout


def test_the_service_command_runs_a_cycle(grow_setup):
    service = _unit(SERVICE)["Service"]
    argv = shlex.split(service["ExecStart"])
    argv[0] = sys.executable
    argv[argv.index("--config") + 1] = str(grow_setup.root / "grow.toml")
    name, value = service["Environment"].split("=", 1)
    env = {**os.environ, name: str(grow_setup.bank)}
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["run"]["outcome"] == "succeeded"
    assert grow_setup.bank.exists()


_CRON_FIELDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def _cron_field_ok(field: str, low: int, high: int) -> bool:
    for part in field.split(","):
        m = re.fullmatch(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?", part)
        if m is None:
            return False
        numbers = [int(n) for n in m.group(2, 3, 4) if n is not None]
        step = m.group(4)
        if step is not None and int(step) < 1:
            return False
        values = numbers[:-1] if step is not None else numbers
        if any(not low <= v <= high for v in values):
            return False
    return True


def _crontab() -> tuple[dict[str, str], list[str], str]:
    env: dict[str, str] = {}
    schedules: list[tuple[list[str], str]] = []
    for line in CRON.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        assignment = re.fullmatch(r"([A-Z_][A-Z0-9_]*)=(.*)", line)
        if assignment:
            env[assignment.group(1)] = assignment.group(2)
            continue
        fields = line.split(None, 5)
        schedules.append((fields[:5], fields[5]))
    assert len(schedules) == 1, "the example holds exactly one schedule line"
    (times, command), = schedules
    return env, times, command


def test_the_cron_line_is_a_valid_schedule():
    env, times, command = _crontab()
    assert len(times) == 5
    assert all(_cron_field_ok(f, lo, hi) for f, (lo, hi) in zip(times, _CRON_FIELDS)), times
    assert "%" not in command, "an unescaped % ends a cron command"
    assert "-m synth.grow --config" in command
    assert {"ENVSYNTH_HOME", "ENVSYNTH_CONFIG", "ENVSYNTH_BANK", "ENVSYNTH_LOG", "PATH"} <= set(env)


def test_the_cron_command_runs_a_cycle_and_logs_json(grow_setup):
    env, _, command = _crontab()
    log = grow_setup.root / "grow.log"
    env.update(ENVSYNTH_HOME=str(ROOT), ENVSYNTH_CONFIG=str(grow_setup.root / "grow.toml"),
               ENVSYNTH_BANK=str(grow_setup.bank), ENVSYNTH_LOG=str(log),
               PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin", HOME=str(grow_setup.root))
    shell = env.pop("SHELL", "/bin/sh")
    result = subprocess.run([shell, "-c", command], env=env, capture_output=True, text=True, timeout=300,
                            cwd=grow_setup.root)
    assert result.returncode == 0, log.read_text() if log.exists() else result.stderr
    (report,) = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert report["run"]["outcome"] == "succeeded" and report["run"]["counts"]["generate:admitted"] > 0
