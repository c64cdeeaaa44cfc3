"""Generator prompts, rendered from the Jinja2 templates in the top-level ``prompts/`` folder.

Prompts are files, not strings in code: each template defines a ``system`` and a ``user`` block, and every
rendered prompt carries the template's name and the hash of its file content, which the pipeline stores in each
task's provenance. Editing a template therefore changes the hash recorded on every task it produces afterwards.

Templates: ``diagnose.j2`` (what weakness does this group of failures show), ``draft.j2`` (write one task as a
JSON object), ``repair.j2`` (fix a rejected draft, given the concrete reasons).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import jinja2
from pydantic import BaseModel, ConfigDict

from task_bank.errors import ConfigError
from task_bank.spec import Message

DEFAULT_PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
"""The repository's ``prompts/`` folder."""


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

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else DEFAULT_PROMPTS_DIR
        if not self.root.is_dir():
            raise ConfigError(f"prompt folder {self.root} does not exist; pass --prompts DIR", field="prompts")
        self._env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(self.root)),
                                       undefined=jinja2.StrictUndefined, keep_trailing_newline=False,
                                       trim_blocks=True, lstrip_blocks=True, autoescape=False)
        self._hashes: dict[str, str] = {}

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
