"""Generator prompts, rendered from the Jinja2 templates of the ``prompts`` package (the top-level ``prompts/`` folder).

Prompts are files, not strings in code: each template defines a ``system`` and a ``user`` block, and every
rendered prompt carries the template's name and the hash of its file content, which the pipeline stores in each
task's provenance. Editing a template therefore changes the hash recorded on every task it produces afterwards.

Templates: ``diagnose.j2`` (what weakness does this group of failures show), ``draft.j2`` (write one task as a
JSON object), ``evolve.j2`` (a harder or varied version of a task), ``repair.j2`` (fix a rejected draft, given the
concrete reasons). They ship as package data and are read through ``importlib.resources``, so a non-editable
install (a wheel, ``pip install --target DIR``) finds them from any working directory; ``--prompts DIR`` reads
another folder instead.
"""

from __future__ import annotations

import hashlib
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import jinja2
from pydantic import BaseModel, ConfigDict

from task_bank.errors import ConfigError
from task_bank.spec import Message

def default_templates() -> Traversable:
    """The templates shipped with envsynth (the ``prompts`` package's data)."""
    return files("prompts")


class RenderedPrompt(BaseModel):
    """A chat prompt rendered from one template, with the template's identity."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    template: str
    """Template file name, e.g. ``draft.j2``."""
    template_hash: str
    """First 16 hex digits of the sha256 of the template file."""
    messages: tuple[Message, ...]
    """System and user turns."""


class PromptLibrary:
    """Loads the templates of one folder once and renders them (StrictUndefined: a missing variable is an error)."""

    def __init__(self, root: Path | Traversable | None = None) -> None:
        self.root: Path | Traversable = Path(root) if isinstance(root, str | Path) else (root or default_templates())
        if not self.root.is_dir():
            raise ConfigError(f"prompt folder {self.root} does not exist; pass --prompts DIR", field="prompts")
        self._env = jinja2.Environment(loader=jinja2.FunctionLoader(self._source),
                                       undefined=jinja2.StrictUndefined, keep_trailing_newline=False,
                                       trim_blocks=True, lstrip_blocks=True, autoescape=False)
        self._hashes: dict[str, str] = {}

    def _source(self, name: str) -> str | None:
        path = self.root / name
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def template_hash(self, name: str) -> str:
        """Content hash of template ``name`` (cached for the life of the library)."""
        if name not in self._hashes:
            path = self.root / name
            if not path.is_file():
                raise ConfigError(f"template {path} is missing", field="prompts")
            self._hashes[name] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        return self._hashes[name]

    def render(self, name: str, **context: Any) -> RenderedPrompt:
        """Render template ``name``'s ``system`` and ``user`` blocks into a two-turn chat."""
        digest = self.template_hash(name)
        try:
            template = self._env.get_template(name)
            ctx = template.new_context(context)
            turns = []
            for role in ("system", "user"):
                block = template.blocks.get(role)
                if block is None:
                    raise ConfigError(f"template {name} has no '{role}' block", field="prompts")
                text = "".join(block(ctx)).strip()
                if text:
                    turns.append(Message(role=role, content=text))
        except jinja2.TemplateError as exc:
            raise ConfigError(f"template {name}: {exc}", field="prompts") from None
        return RenderedPrompt(template=name, template_hash=digest, messages=tuple(turns))
