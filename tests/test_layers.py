"""Architecture rules that CI can see: imports point down only, and nothing configures logging at import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"task_bank", "verifier", "synth", "trainer"}
ALLOWED = {
    "task_bank": set(),
    "verifier": {"task_bank"},
    "synth": {"task_bank", "verifier"},
    "trainer": {"task_bank", "verifier"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & OURS


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_packages_import_only_the_layers_below_them(package):
    bad = {str(p.relative_to(ROOT)): sorted(_imports(p) - ALLOWED[package] - {package})
           for p in _modules(package)}
    assert {k: v for k, v in bad.items() if v} == {}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_no_module_configures_logging_at_import(package):
    offenders = [str(p.relative_to(ROOT)) for p in _modules(package)
                 if "logging.basicConfig(" in p.read_text(encoding="utf-8")
                 and not p.name.endswith(("__main__.py", "cli.py", "generate.py", "grow.py", "grpo.py", "probe.py"))]
    assert offenders == []
