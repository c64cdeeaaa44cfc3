"""A stored text a person reads is shown as a bounded head, and an unvalidated import stores only what validation
could judge (red-team round 45, F5 and F6).

``import --no-validate`` stored a verifier of 300,000 lines; ``task_bank show`` then took 60 s and printed 25 MB, and
its web page took 11 s and 36 MB. Explicit ids held NUL and ESC, which reached the ``/tasks`` HTML raw.
"""

from __future__ import annotations

import io
import json

from fastapi.testclient import TestClient
from rich.console import Console

from task_bank.jsonl import import_jsonl
from task_bank.records import TaskStatus
from task_bank.shown_text import SHOWN_CHARS, SHOWN_LINES, VERIFIER_CHARS_LIMIT, Shown, shown
from task_bank.spec import TaskLine
from task_bank.tables import code_panel
from task_bank.web import create_app

HUGE = "def verify(response):\n    return 0.0\n" + "".join(f"z{i} = {i}\n" for i in range(30_000))


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _printed(renderable) -> str:
    out = io.StringIO()
    Console(file=out, width=120, color_system=None).print(renderable)
    return out.getvalue()


def test_a_short_text_is_shown_whole():
    assert shown("a\nb\n") == Shown("a\nb\n")


def test_a_long_source_is_shown_as_its_first_lines_and_says_what_it_left_out():
    head = shown(HUGE)
    assert head.text.count("\n") == SHOWN_LINES and HUGE.startswith(head.text)
    assert head.omitted_chars == len(HUGE) - len(head.text)
    assert head.omitted_lines == HUGE.count("\n") - SHOWN_LINES
    assert f"{head.omitted_lines:,} more line(s)" in head.note and "--json" in head.note


def test_one_long_line_is_cut_at_the_character_bound():
    head = shown("x" * (3 * SHOWN_CHARS))
    assert len(head.text) == SHOWN_CHARS and head.omitted_lines == 1


def test_the_terminal_shows_a_huge_verifier_as_a_head_and_a_note():
    printed = _printed(code_panel(HUGE, "verifier"))
    assert "more character(s) not shown" in printed
    assert f"z{SHOWN_LINES}" not in printed and "z10 = 10" in printed


def test_the_web_page_of_a_huge_verifier_stays_small(bank, bank_path, make_spec):
    spec = make_spec(1).model_copy(update={"verifier": HUGE, "id": "huge"})
    bank.admit_many([spec], status=TaskStatus.CANDIDATE)
    bank.close()
    with TestClient(create_app(bank_path)) as client:
        page = client.get("/tasks/huge")
    assert page.status_code == 200
    assert "more character(s) not shown" in page.text and len(page.text) < 2_000_000


def test_an_unvalidated_import_refuses_a_verifier_validation_would_refuse_for_its_size(bank, tmp_path, make_spec):
    big = json.loads(make_spec(1).model_copy(update={"verifier": "#" * (VERIFIER_CHARS_LIMIT + 1)}).to_json())
    del big["id"]
    path = _write(tmp_path / "a.jsonl", [make_spec(2).model_dump_json(exclude={"id"}), json.dumps(big)])
    report = import_jsonl(bank, path)
    assert report.stored == 1
    [problem] = report.problems
    assert (problem.line, problem.field) == (2, "verifier") and "200,000" in problem.message


def test_a_new_id_with_a_control_character_is_refused_by_line_and_field(bank, tmp_path, make_spec):
    lines = [json.dumps({**json.loads(make_spec(i).to_json()), "id": f"t{i}{char}x"})
             for i, char in enumerate(["\x00", "\x1b", "\u202e", "\u2028", "-"])]
    report = import_jsonl(bank, _write(tmp_path / "a.jsonl", lines))
    assert [(p.line, p.field) for p in report.problems] == [(1, "id"), (2, "id"), (3, "id"), (4, "id")]
    assert "U+0000" in report.problems[0].message
    assert report.stored == 1 and bank.has_task("t4-x")


def test_an_exported_bank_with_an_old_unprintable_id_still_exports(bank, tmp_path, make_spec):
    """Refused for new lines only: a bank that already holds such an id loses nothing."""
    from task_bank.jsonl import export_jsonl

    bank.admit_many([make_spec(1).model_copy(update={"id": "old\x1bid"})], status=TaskStatus.CANDIDATE)
    assert export_jsonl(bank, tmp_path / "out.jsonl") == 1
    assert TaskLine.model_validate_json((tmp_path / "out.jsonl").read_text().splitlines()[0]).id == "old\x1bid"
