"""Fixtures of the synth tests: builders for growth-cycle data (failure feeds, recorded replies keyed like the
pipeline's requests, configs), handed to tests as the ``fx`` fixture.

Why built and not checked in: a replay key names a weakness group (``<group id>/d<slot>/r<round>``) and a group's
id hashes its member ids, so the keys depend on which failures one cycle sees. Tests that feed failures in over
several cycles compute the keys with the pipeline's own :func:`synth.pipeline.prepare`, exactly as a cycle will.

Every recorded task is valid and distinct: "Task n: multiply 1000+n by 3", answer ``3000+3n``, so the validator
admits it, no two are duplicates (different prompt shingles, verifier constants and answers), and the deployed
model's failing response (a sentence) can never score 1.0. ``bad=True`` records a verifier that accepts anything,
which the validator rejects as ``trivial``.

:class:`Setup` bundles a feed, a drafts file, a config and a bank under one folder for in-process cycles.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest

from synth.backends.base import Generation, GenerationRequest, GeneratorBackend
from synth.grow.config import GrowConfig, load_config
from synth.grow.cycle import CycleReport, run_cycle
from synth.grow.runtime import Runtime, open_runtime
from synth.pipeline import PipelineConfig, prepare
from task_bank.failure import FailureRecord
from task_bank.store import Bank

TAGS = ("units", "dates", "sums", "format", "json", "regex", "sorting")
_VOCAB = ("apple", "river", "engine", "violet", "candle", "harbor", "pencil", "meadow", "rocket", "walnut",
          "glacier", "lantern", "orchid", "saddle", "thunder", "velvet", "anchor", "biscuit", "canyon", "dolphin",
          "ember", "falcon", "garnet", "hammock", "island", "jigsaw", "kettle", "lemon", "marble", "nectar",
          "oyster", "pepper", "quartz", "raven", "spruce", "tulip", "umber", "vortex", "willow", "yarrow")


def _topic(tag: str) -> str:
    """Ten words that only failures of ``tag`` share, so grouping puts each tag in its own group."""
    digest = hashlib.sha256(tag.encode()).digest()
    return " ".join(_VOCAB[b % len(_VOCAB)] for b in digest[:10])


def failure_row(i: int, tag: str | None = None, source: str | None = None) -> dict:
    """Failure ``i``: a wrong sum; tagged ``tag`` (default: one of seven skills by ``i``)."""
    a, b = 10 + i, 3 * i + 7
    tag = tag or TAGS[i % len(TAGS)]
    row = {"id": f"f_grow_{i:05d}",
           "conversation": [{"role": "user", "content": f"{_topic(tag)}: question {i}, add {a} and {b}."}],
           "response": f"I believe the answer is {a + b + 1}.",
           "signal": {"kind": "correction", "detail": f"{a} + {b} = {a + b}"},
           "tags": [tag], "expected": str(a + b)}
    if source is not None:
        row["source"] = source
    return row


def write_feed(path: Path, rows: Iterable[dict], append: bool = True) -> Path:
    """Append (or write) failure rows as JSONL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a" if append else "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
    return path


def task_draft(n: int, *, bad: bool = False) -> str:
    """A generator reply holding valid task ``n`` (or, with ``bad``, a verifier that accepts anything)."""
    answer = str(3000 + 3 * n)
    verifier = ("def verify(response: str) -> float:\n    return 1.0\n" if bad else
                f"def verify(response: str) -> float:\n    return 1.0 if response.strip() == {answer!r} else 0.0\n")
    draft = {"prompt": f"Task {n}: multiply {1000 + n} by 3 and reply with the product only.",
             "verifier": verifier, "reference": answer, "failure_cases": [str(3000 + 3 * n + 1), "3"],
             "skill": "multiplication"}
    return "```json\n" + json.dumps(draft) + "\n```"


def _seed(key: str) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:7], 16)


def draft_keys(failures: Sequence[dict], config: PipelineConfig, per_group_cap: int | None = None,
               processed: Iterable[str] = ()) -> list[str]:
    """The first-round request keys a pipeline run over ``failures`` will make (no budget cut)."""
    records = [FailureRecord.model_validate(r) for r in failures]
    prep = prepare(records, config, set(processed))
    slots = config.drafts_per_group if per_group_cap is None else min(config.drafts_per_group, per_group_cap)
    return [f"{g.id}/d{s}/r0" for g in prep.groups for s in range(slots)]


def evolve_keys(parent_ids: Iterable[str], per_parent: int) -> list[str]:
    """The request keys the evolve stage makes for these parents."""
    return [f"evolve/{p}/d{s}/r0" for p in parent_ids for s in range(per_parent)]


def record_drafts(path: Path, keys: Iterable[str], *, bad_keys: Iterable[str] = ()) -> Path:
    """Add a recorded reply for each new key to the drafts file (existing keys are kept as they are)."""
    existing: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                existing[row["key"]] = row["text"]
    bad = set(bad_keys)
    for key in keys:
        existing.setdefault(key, task_draft(_seed(key), bad=key in bad))
    path.write_text("".join(json.dumps({"key": k, "text": t}) + "\n" for k, t in existing.items()),
                    encoding="utf-8")
    return path


def write_config(path: Path, *, feed: Path, drafts: Path, source: str = "prod", sandbox: str = "bwrap",
                 executor: str = "local", workers: int = 2, sandbox_workers: int | None = None,
                 budget: dict | None = None, evolve: dict | None = None, revalidate: dict | None = None,
                 pipeline: dict | None = None, more_sources: dict[str, Path] | None = None,
                 groups_per_batch: int | None = None) -> Path:
    """A grow TOML file for a test cycle (``more_sources``: further feeds by name)."""
    def table(name: str, values: dict | None) -> str:
        if not values:
            return ""
        return f"[{name}]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items())

    feeds = {source: feed, **(more_sources or {})}
    pipeline = {"replay": False, **(pipeline or {})}  # practice tasks only: tests/replay covers replay tasks
    top = f"groups_per_batch = {groups_per_batch}\n" if groups_per_batch else ""
    text = (top + "".join(f'[[sources]]\nname = "{name}"\npath = "{path}"\n' for name, path in feeds.items())
            + f'[generator]\nbackend = "replay"\ndrafts = "{drafts}"\n'
            f'[validation]\nsandbox = "{sandbox}"\nworkers = {sandbox_workers or workers}\n'
            f'[executor]\nkind = "{executor}"\nworkers = {workers}\n'
            + table("budget", budget) + table("evolve", evolve) + table("revalidate", revalidate)
            + table("pipeline", pipeline))
    path.write_text(text, encoding="utf-8")
    return path


class Setup:
    """A feed, a drafts file, a config and a bank path under one temporary folder."""

    def __init__(self, root: Path, **config: object) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.feed = root / "feed.jsonl"
        self.drafts = root / "drafts.jsonl"
        self.bank = root / "bank.db"
        self.rows: list[dict] = []
        self.config_kwargs = config
        self.feed.touch()
        self.drafts.touch()

    def arrive(self, rows: list[dict], per_group_cap: int | None = None, bad: int = 0) -> list[str]:
        """Append failures to the feed and record replies for the requests the next cycle will make."""
        processed = {r["id"] for r in self.rows}
        self.rows += rows
        write_feed(self.feed, rows)
        pipeline = PipelineConfig(**self.config_kwargs.get("pipeline", {}))
        keys = draft_keys(self.rows, pipeline, per_group_cap, processed)
        record_drafts(self.drafts, keys, bad_keys=keys[:bad])
        return keys

    def config(self, **override: object) -> GrowConfig:
        kwargs = {**self.config_kwargs, **override}
        return load_config(write_config(self.root / "grow.toml", feed=self.feed, drafts=self.drafts, **kwargs))

    def cycle(self, opener=None, validator_version: str | None = None, **override: object) -> CycleReport:
        extra = {"opener": opener} if opener is not None else {}
        return run_cycle(self.config(**override), self.bank, validator_version=validator_version, **extra)

    def open(self) -> Bank:
        return Bank.open(self.bank)


class FailOnCall(GeneratorBackend):
    """A real backend that raises ``exc`` on its ``on_call``-th ``generate`` call (1-based): a Ctrl-C, a dead
    server or a bug arriving at a chosen moment of a run."""

    def __init__(self, inner: GeneratorBackend, exc: BaseException, on_call: int = 1) -> None:
        super().__init__(model=inner.model, sampling=inner.sampling, batch_size=inner.batch_size)
        self.name = inner.name
        self.inner, self.exc, self.on_call, self.calls = inner, exc, on_call, 0

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        self.calls += 1
        if self.calls == self.on_call:
            raise self.exc
        return self.inner.generate(requests)


def failing_opener(exc: BaseException, on_call: int = 1):
    """A runtime opener for :func:`synth.grow.cycle.run_cycle` whose backend fails as :class:`FailOnCall` says."""
    @contextmanager
    def opener(config: GrowConfig) -> Iterator[Runtime]:
        with open_runtime(config) as rt:
            yield Runtime(FailOnCall(rt.backend, exc, on_call), rt.validator, rt.executor)
    return opener


@pytest.fixture(scope="session")
def fx():
    """These builders (``fx.Setup``, ``fx.failure_row``, ``fx.record_drafts``, ...)."""
    return SimpleNamespace(**{k: v for k, v in globals().items() if not k.startswith("_")})
