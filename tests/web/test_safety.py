"""Safety: generated content is escaped, every response carries a CSP, unknown ids are styled 404s, and the
server refuses to bind beyond loopback without an access token."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from task_bank.cli import build_parser
from task_bank.errors import ConfigError
from task_bank.web.cli import main as web_main
from task_bank.web.cli import run_serve
from task_bank.web.security import check_bind, is_loopback


def _no_live_markup(html: str) -> None:
    assert "<script>alert" not in html
    assert "</textarea><img" not in html
    assert "<img src=x" not in html
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, f"inline script: {tag}"


def test_prompt_verifier_and_cases_with_markup_render_as_text(client: TestClient, ids, evil: str) -> None:
    html = client.get(f"/tasks/{ids.evil_task}").text
    _no_live_markup(html)
    assert "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt;&lt;/textarea&gt;" in html, "prompt shown as text"
    assert "&lt;/textarea&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in html, "failure case shown as text"
    assert "&lt;img src=x onerror=alert(1)&gt;" in html, "verifier and metadata shown as text"


def test_markup_in_the_list_and_search_renders_as_text(client: TestClient) -> None:
    _no_live_markup(client.get("/tasks").text)
    html = client.get("/tasks", params={"q": "<script>alert(\"owned\")</script>"}).text
    _no_live_markup(html)
    assert 'value="&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt;"' in html


def test_pages_carry_a_strict_content_security_policy(client: TestClient, ids) -> None:
    for url in ("/", "/tasks", f"/tasks/{ids.task}", "/tasks/t_missing", "/static/style.css", "/api/overview"):
        response = client.get(url)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp, url
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"


def test_pages_have_no_inline_styles_or_scripts(client: TestClient, ids) -> None:
    for url in ("/", "/tasks", f"/tasks/{ids.task}", f"/failures/{ids.failure}", "/runs"):
        html = client.get(url).text
        assert " style=" not in html and "<style" not in html, url
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        handlers = [tag for tag in re.findall(r"<[a-zA-Z][^>]*>", html) if re.search(r"\son[a-z]+=", tag)]
        assert not handlers, (url, handlers)


@pytest.mark.parametrize("url", ["/tasks/t_nope", "/failures/f_nope", "/runs/nope", "/no/such/page"])
def test_unknown_ids_give_a_styled_404_page(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert '<div class="code-big">404</div>' in response.text and "Traceback" not in response.text
    assert 'href="/tasks"' in response.text, "the page keeps the site's navigation"


def test_unknown_id_with_markup_is_escaped_on_the_404_page(client: TestClient) -> None:
    html = client.get("/tasks/%3Cscript%3Ealert(1)%3C%2Fscript%3E").text
    assert "<script>alert(1)" not in html


def test_loopback_addresses_are_recognised() -> None:
    for host in ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "::", "192.168.1.5", "example.com"):
        assert not is_loopback(host), host


def test_binding_beyond_loopback_needs_a_token() -> None:
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", "a-token")
    with pytest.raises(ConfigError, match="refusing to bind"):
        check_bind("0.0.0.0", None)


def test_serve_refuses_a_public_bind_without_the_token_env(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("ENVSYNTH_WEB_TOKEN", raising=False)
    bank = tmp_path / "bank.db"
    bank.write_bytes(b"")
    assert web_main(["serve", "--bank", str(bank), "--host", "0.0.0.0"]) == 2
    assert "refusing to bind" in capsys.readouterr().err


def test_serve_refuses_a_missing_bank(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("ENVSYNTH_WEB_TOKEN", raising=False)
    args = build_parser().parse_args(["serve", "--bank", str(tmp_path / "missing.db")])
    with pytest.raises(ConfigError, match="no bank at"):
        run_serve(args, console=None)


def test_bank_cli_has_the_serve_subcommand() -> None:
    args = build_parser().parse_args(["serve", "--bank", "x.db", "--port", "9001", "--token-env", "MY_TOKEN"])
    assert args.handler is run_serve and args.port == 9001 and args.host == "127.0.0.1"


@pytest.mark.parametrize(("tags", "shown"), [(5, []), (None, []), (True, []), (1.5, []), ({"a": 1}, []),
                                             ("one tag", ["one tag"]), (["kept", 3, None], ["kept"])])
def test_a_task_page_renders_whatever_its_metadata_tags_hold(tmp_path, tags, shown) -> None:
    """Metadata is free-form: ``"tags": 5`` once made the task page a 500 (red-team round 30)."""
    from task_bank import TaskSpec
    from task_bank.store import Bank
    from task_bank.web import create_app

    path = tmp_path / "bank.db"
    with Bank.open(path) as bank:
        bank.admit(TaskSpec(id="t_tags", prompt="Say 1.", reference="1", failure_cases=("x",), metadata={"tags": tags},
                            verifier="def verify(r):\n    return float(r == '1')\n"))
    with TestClient(create_app(path)) as client:
        page = client.get("/tasks/t_tags")
    assert page.status_code == 200
    assert re.findall(r'<span class="tag">([^<]*)</span>', page.text) == shown


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_serve_refuses_a_port_outside_the_range_as_a_usage_error(port, capsys) -> None:
    """99999 ended in an internal OverflowError from bind() (QA round 30)."""
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["serve", "--port", port])
    assert info.value.code == 2 and "--port" in capsys.readouterr().err
