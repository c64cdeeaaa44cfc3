"""The web view shows environments: tool signatures and docstrings, the reference replay, per-seed results."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from task_bank.provenance import Provenance
from task_bank.store import Bank
from task_bank.web.app import create_app

from .conftest import example_specs


DRAFTED = Provenance(source_failure_ids=("f_cart",), failure_group="g_cart", generator_backend="replay",
                     prompt_template="environment.j2", prompt_template_hash="0123456789abcdef", growth_run_id="run-7")


@pytest.fixture(scope="module")
def client(validator, tmp_path_factory):
    path = tmp_path_factory.mktemp("web") / "bank.db"
    with Bank.open(path) as bank:
        for spec in example_specs():
            verdict = validator.validate(spec)
            drafted = spec == cart()
            bank.add_environment(spec, verdict.report, verdict.evidence, provenance=DRAFTED if drafted else None)
    with TestClient(create_app(path)) as client:
        yield client


def family():
    return next(s for s in example_specs() if s.metadata.get("skill") == "tool-use/counting")


def cart():
    return next(s for s in example_specs() if s.metadata.get("skill") == "tool-use/shopping")


def test_the_list_shows_every_environment(client):
    page = client.get("/environments").text
    assert all(spec.id in page for spec in example_specs())


def test_an_environment_page_lists_its_tools_with_signatures_and_docstrings(client):
    page = client.get(f"/environments/{cart().id}").text
    assert "add_item(name: str, qty: int) -&gt; dict" in page and "Put units of a product into the cart." in page


def test_an_environment_page_shows_the_reference_trajectory_with_each_observation(client):
    page = client.get(f"/environments/{cart().id}").text
    assert "Catalogue: apple" in page and "checkout()" in page and "12.51" in page


def test_a_family_page_shows_per_seed_results(client):
    page = client.get(f"/environments/{family().id}").text
    assert 'id="seeds"' in page and page.count("Shelves hold:") >= 8


def test_an_unknown_environment_is_a_404(client):
    assert client.get("/environments/e_nope").status_code == 404


def test_an_environment_page_shows_its_provenance_and_split(client):
    page = client.get(f"/environments/{cart().id}").text
    assert 'href="/failures/f_cart"' in page and 'href="/runs/run-7"' in page and "0123456789abcdef" in page
    assert ">train<" in page
