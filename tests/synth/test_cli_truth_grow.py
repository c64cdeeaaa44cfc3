"""synth.grow names its config's keys, never another command's flags: an empty config asks for
``generator.drafts`` (the replay backend is the [generator] default), and no bank is left behind."""

from __future__ import annotations

import io

from synth.grow.cli import main as grow
from task_bank.exit_codes import EXIT_USAGE


def test_an_empty_config_names_the_generator_drafts_key_not_a_drafts_flag(tmp_path):
    config, bank = tmp_path / "e.toml", tmp_path / "x.db"
    config.write_text("")
    out, err = io.StringIO(), io.StringIO()
    code = grow(["--config", str(config), "--bank", str(bank)], out, err)
    line = err.getvalue()
    assert code == EXIT_USAGE and line.count("\n") == 1 and line.startswith(f"error: {config}: ")
    assert "(field 'generator.drafts')" in line and "[generator]" in line and "--drafts" not in line
    assert not bank.exists()
