"""Reading a training configuration: defaults < a TOML or YAML file < dotted ``--set`` overrides, validated.

A wrong value never reaches TRL as a traceback: each error is a :class:`task_bank.ConfigError` that names the field
(``grpo.num_generations``), what was wrong with it and how to fix it, so ``python -m trainer.grpo`` can print it
and exit. The schema it validates against is :mod:`trainer.config` (GRPO's :class:`~trainer.config.TrainConfig`, or
another trainer's :class:`~trainer.config.RunConfig`); it is kept apart from the schema because reading files,
parsing overrides and turning a pydantic error into that one line is the same for every trainer's schema.
"""

from __future__ import annotations

import difflib
import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from task_bank import ConfigError
from trainer.config import RunConfig, TrainConfig

C = TypeVar("C", bound="RunConfig")


def load_config(path: Path | None = None, overrides: Mapping[str, object] | None = None,
                defaults: Mapping[str, object] | None = None, schema: type[C] = TrainConfig) -> C:
    """Validate ``defaults`` < the file at ``path`` (TOML or YAML) < dotted ``overrides`` as ``schema`` (GRPO's
    TrainConfig unless another trainer passes its own RunConfig); ConfigError on any fault."""
    data: dict[str, Any] = dict(defaults or {})
    data.update(read_config_file(path) if path is not None else {})
    for dotted, value in (overrides or {}).items():
        _set_dotted(data, dotted, value)
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_explain(exc.errors()[0], schema), path=str(path) if path else None) from None


def read_config_file(path: Path) -> dict[str, Any]:
    """The raw mapping in a TOML (.toml) or YAML (.yaml/.yml) file."""
    if not path.is_file():
        raise ConfigError("config file not found; pass an existing file to --config", path=str(path))
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text) or {}
        else:
            raise ConfigError("unknown config format; name the file *.toml, *.yaml or *.yml", path=str(path))
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot parse config: {exc}", path=str(path)) from None
    if not isinstance(data, dict):
        raise ConfigError("config must be a mapping of sections", path=str(path))
    return data


def parse_override(text: str) -> tuple[str, object]:
    """``'grpo.max_steps=3'`` -> ``('grpo.max_steps', 3)``; values are TOML literals, else plain strings."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"override {text!r} is not of the form section.field=value; write e.g. "
                          f"--set grpo.max_steps=10")
    try:
        value: object = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key.strip(), value


def _set_dotted(data: dict[str, Any], dotted: str, value: object) -> None:
    *parents, leaf = dotted.split(".")
    node = data
    for name in parents:
        child = node.setdefault(name, {})
        if not isinstance(child, dict):
            raise ConfigError(f"'{name}' is a value, not a section, so '{dotted}' cannot be set", field=dotted)
        node = child
    node[leaf] = value


def _field_names(loc: tuple[Any, ...], schema: type[BaseModel]) -> tuple[type[BaseModel], list[str]]:
    """The section model of ``schema`` that holds the last element of ``loc``, and its field names."""
    model = schema
    for part in loc[:-1]:
        info = model.model_fields.get(str(part))
        if info is None or not (isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)):
            break
        model = info.annotation
    return model, list(model.model_fields)


def _explain(error: Mapping[str, Any], schema: type[BaseModel]) -> str:
    loc = tuple(p for p in error["loc"] if not isinstance(p, int))
    dotted = ".".join(str(p) for p in loc) or "config"
    if error["type"] == "extra_forbidden":
        _, names = _field_names(loc, schema)
        close = difflib.get_close_matches(str(loc[-1]), names, n=1)
        hint = f"did you mean '{'.'.join([*map(str, loc[:-1]), close[0]])}'?" if close else \
            f"valid fields here: {', '.join(names)}"
        return f"config field '{dotted}': unknown setting; {hint}"
    if error["type"] == "missing":
        flag = f"--{dotted}" if dotted in ("policy", "bank", "output") else f"--set {dotted}=VALUE"
        return f"config field '{dotted}': required but not set; pass {flag} or set it in the config file"
    if error["type"] == "value_error":
        return f"config section '{dotted}': {str(error['msg']).removeprefix('Value error, ')}"
    model, _ = _field_names(loc, schema) if loc else (schema, [])
    info = model.model_fields.get(str(loc[-1])) if loc else None
    meaning = f" ({info.description.splitlines()[0]})" if info is not None and info.description else ""
    got = json.dumps(error.get("input"), default=str)
    return (f"config field '{dotted}': {error['msg']} (got {got}){meaning}; fix it in the config file or with "
            f"--set {dotted}=VALUE")
