"""Every synth command tells the truth (issue 11): missing feeds, unwritable banks, Ctrl-C at any moment, the band's
flags, ``--help``, failures the generator never answered, and the README's grow example."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from synth.backends import BACKEND_NAMES, GeneratorRegistry
from synth.backends.replay import ReplayBackend
from synth.generate import build_parser as generate_parser
from synth.generate import main as generate
from synth.grow.cli import main as grow
from synth.probe import build_parser as probe_parser
from task_bank.exit_codes import EXIT_BANK, EXIT_INTERRUPTED, EXIT_USAGE
from task_bank.records import RunOutcome
from task_bank.store import Bank

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ["--failures", str(ROOT / "examples/failures.jsonl"), "--backend", "replay", "--drafts",
           str(ROOT / "examples/drafts.jsonl"), "--sandbox", "unsafe-local", "--sandbox-workers", "1", "--no-replay"]


def _grow(config: Path, bank: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = grow(["--config", str(config), "--bank", str(bank), *args], out, err)
    return code, out.getvalue(), err.getvalue()


def test_grow_with_a_feed_that_does_not_exist_exits_2_naming_the_path(fx, tmp_path):
    missing = tmp_path / "typo" / "feed.jsonl"
    config = fx.write_config(tmp_path / "grow.toml", feed=missing, drafts=tmp_path / "drafts.jsonl")
    code, _, err = _grow(config, tmp_path / "bank.db")
    assert code == EXIT_USAGE
    assert err.startswith("error: ") and f"{missing}: feed not found" in err and len(err.splitlines()) == 1


def test_grow_on_a_bank_whose_folder_cannot_hold_the_lock_is_one_line_and_exit_5(fx, tmp_path):
    setup = fx.Setup(tmp_path / "site")
    setup.arrive([fx.failure_row(1)])
    config = setup.config()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the bank's folder should be")
    code, _, err = _grow(setup.root / "grow.toml", blocker / "bank.db")
    assert code == EXIT_BANK and config is not None
    assert err.startswith("error: bank: cannot create the growth lock") and len(err.splitlines()) == 1
    assert "Traceback" not in err


class _InterruptingReplay(ReplayBackend):
    """The replay backend, with Ctrl-C arriving while it drafts."""

    def generate(self, requests):
        raise KeyboardInterrupt


class _InterruptedWhileClosing(ReplayBackend):
    """The replay backend, with Ctrl-C arriving after every task is stored, while the backend closes."""

    def close(self) -> None:
        raise KeyboardInterrupt


def _registry(backend: type[ReplayBackend]) -> GeneratorRegistry:
    registry = GeneratorRegistry()
    registry.register("replay", lambda: backend)
    return registry


def _first_draft_only(tmp_path: Path) -> list[str]:
    """The example with its first draft alone (``g_011d358681cf/d0/r0``, a good one): every other request ends
    ``no_output`` at once, so one task is validated and stored before Ctrl-C arrives in ``close()`` (all 49 drafts
    took 167 s through ``unsafe-local``)."""
    drafts = tmp_path / "drafts.jsonl"
    drafts.write_text((ROOT / "examples/drafts.jsonl").read_text().splitlines(keepends=True)[0])
    return [str(drafts) if item == str(ROOT / "examples/drafts.jsonl") else item for item in EXAMPLE]


@pytest.mark.parametrize("backend", [_InterruptingReplay, _InterruptedWhileClosing])
def test_ctrl_c_during_generate_is_exit_130_one_line_and_the_run_recorded_interrupted(tmp_path, capsys, backend):
    bank = tmp_path / "bank.db"
    code = generate([*_first_draft_only(tmp_path), "--bank", str(bank), "--run-id", "run-1", "--json"], registry=_registry(backend))
    out, err = capsys.readouterr()
    assert code == EXIT_INTERRUPTED and out == ""
    assert err.strip().splitlines()[-1] == "error: interrupted"
    with Bank.open(bank) as opened:
        assert opened.get_run("run-1").outcome is RunOutcome.INTERRUPTED
        assert opened.count() == (1 if backend is _InterruptedWhileClosing else 0)


def test_ctrl_c_while_a_command_is_still_importing_is_one_line_and_exit_130():
    code = ("from synth import quiet_startup_interrupts; quiet_startup_interrupts(); import os, signal, time; "
            "os.kill(os.getpid(), signal.SIGINT); time.sleep(30)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == EXIT_INTERRUPTED
    assert done.stderr == "error: interrupted (exit 130)\n"


def test_band_flags_without_a_policy_are_an_error_naming_the_flags(tmp_path, capsys):
    code = generate([*EXAMPLE, "--bank", str(tmp_path / "b.db"), "--band-low", "2", "--band-high", "0.1"])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE and "--band-low, --band-high only apply with --policy" in err
    assert not (tmp_path / "b.db").exists()


def test_generate_help_explains_every_option_with_its_default_backends_records_and_exit_codes():
    parser = generate_parser()
    formatter = parser.formatter_class(parser.prog)
    for action in parser._actions:
        assert action.help, f"{action.option_strings} has no help text"
        takes_value = action.nargs != 0 and not action.required and action.option_strings
        if takes_value:
            assert "default" in formatter._get_help_string(action), f"{action.option_strings} hides its default"
    text = parser.format_help()
    assert all(name in text for name in BACKEND_NAMES)
    for fact in ('"conversation"', '"response"', '"signal"', '"messages"', "exit codes", "130 interrupted"):
        assert fact in text


def test_probe_samples_at_most_256_new_tokens_by_default_and_says_so():
    parser = probe_parser()
    assert parser.parse_args(["--policy", "p"]).max_new_tokens == 256
    assert "(default: 256)" in " ".join(parser.format_help().split())


@pytest.mark.slow
def test_grow_interrupted_while_sleeping_does_not_claim_a_run_was_interrupted(fx, tmp_path):
    setup = fx.Setup(tmp_path, evolve={"enabled": False}, revalidate={"enabled": False})
    setup.arrive([fx.failure_row(1)])
    setup.config()
    script = (f"import sys, time; sys.argv[1:] = ['--config', {str(setup.root / 'grow.toml')!r}, '--bank', "
              f"{str(setup.bank)!r}, '--every', '6h']\nfrom synth.grow.cli import main\nsys.exit(main())\n")
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = ""
    while "next cycle in" not in line:
        line = proc.stderr.readline()
        assert line, "the loop never went to sleep"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == EXIT_INTERRUPTED
    assert "no cycle was running" in err and "recorded as interrupted" not in err
    with setup.open() as bank:
        assert [r.outcome for r in bank.list_runs()] == [RunOutcome.SUCCEEDED]


@pytest.mark.slow
def test_the_readme_grow_example_reproduces_the_numbers_it_shows(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"succeeded in [\d.]+s: (\d+) admitted \((\d+) from (\d+) new failures", readme)
    spent = re.search(r"budget used: max_drafts (\d+)/\d+, max_tokens (\d+)/", readme)
    assert shown and spent, "the README shows no grow output"
    done = subprocess.run([sys.executable, "-m", "synth.grow", "--config", "deploy/grow.toml", "--bank",
                           str(tmp_path / "task_bank.db"), "--json"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)["run"]
    assert (run["counts"]["admitted"], run["counts"]["generate:admitted"], run["inputs_seen"]) == \
        tuple(int(n) for n in shown.groups())
    assert (run["budget_used"]["max_drafts"], run["budget_used"]["max_tokens"]) == \
        tuple(float(n) for n in spent.groups())


@pytest.mark.slow
def test_a_non_editable_install_finds_its_templates_from_any_directory(tmp_path):
    import shutil

    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", "build", "*.egg-info", "__pycache__", "*.db",
                                                                "tests", "bench", "runs", "outputs", ".venv"))
    target = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                              "--target", str(target), str(source)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "PYTHONPATH": str(target)}
    done = subprocess.run([sys.executable, "-m", "synth.generate", "--failures", str(ROOT / "examples/failures.jsonl"),
                           "--backend", "replay", "--drafts", str(ROOT / "examples/drafts.jsonl"), "--dry-run",
                           "--no-replay"],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "12 draft prompts" in done.stdout and "draft.j2" in done.stdout
    assert str(target) in subprocess.run([sys.executable, "-c", "import prompts; print(prompts.__file__)"],
                                         cwd=elsewhere, env=env, capture_output=True, text=True).stdout
