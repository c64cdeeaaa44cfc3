"""The growth-cycle configuration: one TOML file an operator writes once and a scheduler replays every few hours.

Why a file and not flags: a cron line or a systemd unit should stay one short command, and the effective
configuration is stored on every :class:`task_bank.records.GrowthRun`, so the file is what a reviewer reads back.
Relative paths in the file are resolved against the file's own folder, so the same config works from any cwd.

Example (``deploy/grow.toml`` is a complete one)::

    [generator]
    backend = "replay"
    drafts = "drafts.jsonl"

    [[sources]]
    name = "prod-chat"
    path = "failures/"          # a JSONL file, or a folder of *.jsonl read in name order

    [budget]
    max_drafts = 200
    max_tokens = 400000
    max_wall_s = 3600
    max_drafts_per_group = 20
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from synth.backends.base import GeneratorSettings
from synth.pipeline import PipelineConfig
from task_bank.cli_support import default_bank
from task_bank.errors import ConfigError


class SourceConfig(BaseModel):
    """One failure feed; the bank keeps one cursor per feed name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    """Feed name: the cursor key, and the ``source`` given to records that carry the default one."""
    path: Path
    """An append-only JSONL file of failure records, or a folder of ``*.jsonl`` files read in name order."""


GeneratorConfig = GeneratorSettings
"""The ``[generator]`` table: the same settings ``synth.generate``'s backend flags read into."""


class BudgetConfig(BaseModel):
    """Limits per cycle, and per weakness group so one noisy failure cluster cannot flood the bank.

    Work the cycle budget cannot pay for is deferred to the next cycle (its failures stay unprocessed and the
    cursor stops before them); draft slots a group is refused beyond ``max_drafts_per_group`` are not made up
    later, because more tasks from the same cluster are what flooding means. New failures are drafted first;
    evolution gets what the cycle budget has left.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_drafts: int = Field(default=200, ge=0)
    """Drafts the generator may produce in one cycle, new failures and evolution together."""
    max_tokens: int = Field(default=400_000, ge=0)
    """Generator completion tokens (as the backend reports them) in one cycle."""
    max_wall_s: float = Field(default=3600.0, gt=0.0)
    """Wall time after which the cycle starts no new stage or batch."""
    max_drafts_per_group: int = Field(default=4, ge=1)
    """Draft slots one weakness group may use in one cycle (a slot's repairs do not count)."""


class EvolveConfig(BaseModel):
    """Drafting harder or varied versions of admitted tasks the policy still fails."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    """Run the evolve stage."""
    max_pass_rate: float = Field(default=0.2, ge=0.0, le=1.0)
    """Admitted tasks whose latest recorded pass rate is at or below this are parents."""
    max_parents: int = Field(default=20, ge=0)
    """Parents evolved per cycle (lowest pass rate first)."""
    drafts_per_parent: int = Field(default=2, ge=1, le=8)
    """Variants drafted per parent: the first a varied task of the same difficulty, the rest harder ones."""
    policy: str | None = None
    """Only pass rates measured for this policy checkpoint; None: the latest of any policy."""


class RevalidateConfig(BaseModel):
    """Re-judging admitted tasks whose latest report came from an older validator version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    """Run the re-validation stage."""
    max_tasks: int = Field(default=500, ge=0)
    """Tasks re-validated per cycle; the rest wait for the next cycle."""


class ValidationSettings(BaseModel):
    """Where validation runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sandbox: str = "bwrap"
    """Sandbox backend: bwrap (default), docker, unsafe-local (tests only)."""
    workers: int = Field(default=2, ge=1)
    """Sandbox worker processes (per Ray worker, under the Ray executor)."""


class ExecutorConfig(BaseModel):
    """How pipeline stages are spread: in this process, or across a Ray cluster."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["local", "ray"] = "local"
    """local (default) or ray (needs ``pip install ray``)."""
    workers: int = Field(default=2, ge=1)
    """Threads for local, worker actors for ray."""
    ray_address: str | None = None
    """Address of a running Ray cluster; None starts a local instance with ``workers`` CPUs."""


class GrowConfig(BaseModel):
    """Everything one growth cycle needs besides the bank path."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sources: tuple[SourceConfig, ...] = ()
    """Failure feeds read each cycle."""
    generator: GeneratorConfig = Field(default_factory=GeneratorConfig)
    """Generator backend."""
    budget: BudgetConfig = Field(default_factory=BudgetConfig)
    """Limits per cycle and per group."""
    evolve: EvolveConfig = Field(default_factory=EvolveConfig)
    """Evolve stage."""
    revalidate: RevalidateConfig = Field(default_factory=RevalidateConfig)
    """Re-validation stage."""
    validation: ValidationSettings = Field(default_factory=ValidationSettings)
    """Sandbox settings."""
    pipeline: PipelineConfig = Field(default_factory=PipelineConfig)
    """The generate pipeline's knobs (drafts per group, repair rounds, grouping); ``run_kind`` and
    ``record_run`` are set by the cycle, which records the run itself."""
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)
    """Where stages run."""
    groups_per_batch: int = Field(default=32, ge=1)
    """Weakness groups handed to the pipeline at once; after each batch its failures are marked processed and
    the cursors move, so a killed cycle redoes at most one batch."""
    bank: Path | None = None
    """Bank file, used when ``--bank`` is not given (see :func:`resolve_bank`)."""
    lock: Path | None = None
    """Lock file; default: the bank path with ``.grow.lock`` appended."""

    @model_validator(mode="after")
    def _unique_sources(self) -> "GrowConfig":
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique (the cursor key); repeated: {', '.join(dupes)}")
        return self

    def lock_path(self, bank_path: Path) -> Path:
        """The lock file guarding cycles on ``bank_path``."""
        return self.lock if self.lock is not None else bank_path.with_name(bank_path.name + ".grow.lock")


def resolve_bank(cli_bank: Path | None, config: GrowConfig) -> Path:
    """The bank a cycle works on: ``--bank``, else the config's ``bank``, else ``$ENVSYNTH_BANK``, else
    ``./task_bank.db`` (the project-wide default of every command)."""
    if cli_bank is not None:
        return cli_bank
    if config.bank is not None:
        return config.bank
    return default_bank()


def _resolve(base: Path, raw: dict) -> dict:
    """Resolve the relative paths of a raw TOML mapping against ``base``."""
    def fix(value: object) -> object:
        if isinstance(value, str) and value:
            p = Path(value).expanduser()
            return str(p if p.is_absolute() else (base / p))
        return value

    out = dict(raw)
    for key in ("bank", "lock"):
        if key in out:
            out[key] = fix(out[key])
    if isinstance(out.get("generator"), dict) and "drafts" in out["generator"]:
        out["generator"] = {**out["generator"], "drafts": fix(out["generator"]["drafts"])}
    if isinstance(out.get("sources"), list):
        out["sources"] = [{**s, "path": fix(s.get("path"))} if isinstance(s, dict) else s for s in out["sources"]]
    return out


def load_config(path: Path) -> GrowConfig:
    """Read and validate a grow TOML file; errors name the file and the field to fix."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("config file not found; pass --config PATH (deploy/grow.toml is an example)",
                          path=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=str(path)) from None
    try:
        config = GrowConfig.model_validate(_resolve(path.resolve().parent, raw))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        raise ConfigError(f"{first['msg']} ({exc.error_count()} error(s))", path=str(path), field=field) from None
    if config.generator.backend == "replay" and config.generator.drafts is None:
        # named here, as the config's key: the backend's own message names synth.generate's --drafts flag
        raise ConfigError('the replay backend (the [generator] default) needs recorded drafts: set drafts = "FILE" '
                          'in the [generator] table, or another backend (deploy/grow.toml is an example)',
                          path=str(path), field="generator.drafts")
    return config
