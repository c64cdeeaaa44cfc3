"""The training plot: reward, pass rate and zero-std fraction over steps, written as a PNG."""

from __future__ import annotations

from trainer.plots import curves, write_plot

HISTORY = [
    {"step": 1, "reward": 0.1, "verifier/pass_rate": 0.0, "frac_reward_zero_std": 0.5},
    {"step": 2, "reward": 0.3, "verifier/pass_rate": 0.25, "frac_reward_zero_std": 0.0},
    {"step": 2, "train_runtime": 1.0},
]


def test_curves_read_reward_pass_rate_and_zero_std_by_step():
    found = curves(HISTORY)
    assert found["reward"] == ([1, 2], [0.1, 0.3])
    assert found["verifier/pass_rate"] == ([1, 2], [0.0, 0.25])
    assert found["frac_reward_zero_std"] == ([1, 2], [0.5, 0.0])


def test_plot_is_a_png(tmp_path):
    path = write_plot(HISTORY, tmp_path / "ckpt" / "training_curves.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_empty_history_still_plots(tmp_path):
    assert write_plot([], tmp_path / "p.png").stat().st_size > 0
