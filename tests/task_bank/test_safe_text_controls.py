"""``escape_controls``: what a terminal would act on is written visibly; everything else is kept."""

from __future__ import annotations

import pytest

from task_bank.safe_text import escape_controls


@pytest.mark.parametrize(("raw", "shown"), [("\x1b[2J", "\\x1b[2J"), ("\x9b31m", "\\x9b31m"), ("a\x00b", "a\\x00b"),
                                            ("\u202eevil", "\\u202eevil"), ("\x7f", "\\x7f"), ("\r", "\\x0d")])
def test_terminal_controls_are_written_visibly(raw, shown):
    assert escape_controls(raw) == shown


def test_line_feeds_tabs_and_ordinary_text_are_kept():
    text = "line one\n\tline two: é 😀 ┃ naïve"
    assert escape_controls(text) == text
