"""``python -m synth.replay``: did training fix the deployment failures, and what did it forget?

    python -m synth.replay --policy PATH_OR_ID [--bank BANK] [--k 8] [--json] [--against OTHER]

Samples the policy k times on every held-out replay task of the bank and on the shipped retention suite, rolls it
out k times in every held-out replay environment (multi-turn, with the environment's tools, in sandboxed sessions;
:mod:`synth.env_rollout`), scores every sample in the sandbox, stores the evaluation in the bank (``replay_evals`` / ``replay_results``) and prints
"fixed X of Y, retention Z (was W)" with a Wilson 95% interval and a row per weakness group. A failure counts as
fixed when its replay task's pass rate over the k samples is at least 0.5 (``task_bank.evaluations.FIXED_AT``).
``--against OTHER`` evaluates a second policy on the same sample plan and compares the two with McNemar's exact
test over the replay tasks. The machinery is :mod:`synth.replay_eval`.

Bad input ends with one ``error:`` line and the shared exit code: k < 1 (2), a policy that cannot be loaded (3),
a bank without replay tasks or environments (5, saying how to make them), held-out environments with a backend
that cannot show tools to the policy (2; ``--no-environments`` skips them).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from synth.backends import GeneratorBackend, GeneratorRegistry, default_registry
from synth.band import PolicyProbe
from synth.env_rollout import ToolCallParser
from synth.cli_common import EXIT_CODES_EPILOG, HelpFormatter, add_backend_args, add_sandbox_args, generator_settings
from synth.executor import LocalExecutor
from synth.replay_eval import (RETENTION_SUITE, EnvironmentEvalResult, EvalItem, ReplayReport, compare, evaluate,
                               evaluate_environments, previous_retention, replay_items, retention_items, summarise)
from task_bank.cli_support import add_bank_args, bank_path, emit_json, run_command, text_console
from task_bank.environment_store import EnvironmentRecord
from task_bank.errors import ConfigError
from task_bank.evaluations import EvalSuite, TaskEvalResult

if TYPE_CHECKING:
    from verifier.routing import ScoringPool
    from verifier.sessions import SessionPool

RETENTION_LIBRARIES = ("if_verifiable.ifbench", "emoji", "syllapy")
"""Installed packages the retention suite's IFBench checkers import, allow-listed in the sandbox beside the
defaults (``verifier.libraries.DEFAULT_LIBRARIES``, IFEval's checkers)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m synth.replay", formatter_class=HelpFormatter, epilog=EXIT_CODES_EPILOG,
        description="Sample a policy on the bank's held-out replay tasks and the retention suite; report the "
                    "failures it fixed (pass rate >= 0.5 over k samples) and its retention, and record them.")
    parser.add_argument("--policy", required=True,
                        help="policy to evaluate: local folder, hub id, .gguf file or package short name")
    parser.add_argument("--k", "-k", type=int, default=8, help="samples per task")
    parser.add_argument("--against", default=None, metavar="OTHER",
                        help="a second policy, sampled on the same plan and compared with McNemar's exact test")
    parser.add_argument("--retention", type=Path, default=RETENTION_SUITE,
                        help="retention suite (task spec v1 JSONL)")
    parser.add_argument("--no-retention", action="store_true", help="skip the retention suite")
    parser.add_argument("--no-environments", action="store_true",
                        help="skip the held-out replay environments (default: each is rolled out k times with its "
                             "tools)")
    parser.add_argument("--pass-threshold", type=float, default=1.0, help="score at or above which a sample passes")
    parser.add_argument("--drafts", type=Path, default=None, help="recorded samples for --backend replay")
    parser.add_argument("--workers", type=int, default=1, help="stage work items run at once")
    parser.add_argument("--verifier-wall-s", type=float, default=60.0,
                        help="wall-time limit of one run of a retention-suite checker (its imports included); "
                             "generous, since a timeout scores the answer 0. Held-out replay tasks and environments "
                             "are always scored under exactly training's and validation's limits")
    add_backend_args(parser, default_backend="transformers", what="policy", max_new_tokens=256)
    add_bank_args(parser)
    add_sandbox_args(parser)
    return parser


def _open_policy(policy: str, args: argparse.Namespace, registry: GeneratorRegistry) -> GeneratorBackend:
    """The policy's backend; loading it first reports an unloadable policy before the sandbox starts."""
    settings = generator_settings(args, model=policy, drafts=args.drafts)
    return registry.create(settings.backend, settings.options(os.environ, structured=False, role="policy"))


def tool_parser(backend: GeneratorBackend) -> ToolCallParser:
    """How the policy's replies are read for tool calls: by its own chat template's parser when the backend holds
    its tokenizer (as TRL reads them in training), else TRL's ``<tool_call>`` format."""
    from synth.backends.transformers_backend import TransformersBackend

    if isinstance(backend, TransformersBackend):
        return ToolCallParser.for_tokenizer(backend.tokenizer)
    return ToolCallParser()


def _sample(policy: str, backend: GeneratorBackend, args: argparse.Namespace, items: Sequence[EvalItem],
            pools: "Pools", executor: LocalExecutor, environments: Sequence[EnvironmentRecord],
            sessions: "SessionPool | None") -> tuple[list[TaskEvalResult], list[EnvironmentEvalResult]]:
    """Every item sampled and scored, in input order: replay tasks in the held-out pool, the retention suite in
    its own (:class:`Pools`); then the held-out environments rolled out."""
    results: list[TaskEvalResult | None] = [None] * len(items)
    for suite, pool in ((EvalSuite.REPLAY, pools.heldout), (EvalSuite.RETENTION, pools.retention)):
        chosen = [i for i, item in enumerate(items) if item.suite is suite]
        if not chosen:
            continue
        probe = PolicyProbe(backend, pool(), k=args.k, pass_threshold=args.pass_threshold, policy=policy)
        for i, result in zip(chosen, evaluate([items[i] for i in chosen], probe, executor), strict=True):
            results[i] = result
    rolled: list[EnvironmentEvalResult] = []
    if environments and sessions is not None:
        rolled = evaluate_environments(environments, backend, tool_parser(backend), sessions, executor, k=args.k,
                                       pass_threshold=args.pass_threshold)
    return [*(r for r in results if r is not None), *(r.as_task_result() for r in rolled)], rolled


def _open_sessions(args: argparse.Namespace) -> "SessionPool":
    """Sessions for the held-out environments, under exactly the limits training's and validation's sessions run
    under (``SessionLimits.for_rewards()``; a rollout's clock counts the environment's own steps only, never the
    policy's generation between them). Why: an environment that could read other limits here (its CPU rlimit, a
    call's wall time) could pay every rollout of the evaluation and none of training's."""
    from verifier.sessions import SessionLimits, SessionPool

    return SessionPool(backend=args.sandbox, workers=1, limits=SessionLimits.for_rewards())


class Pools:
    """The two scoring pools of an evaluation, each opened on first use and closed with this object.

    - ``heldout``: the held-out replay tasks, drafted by the generator like any training task, are scored under
      exactly training's and validation's limits (``verifier.Limits()``). Why: red-team round 29 found that a
      verifier read replay's own limits (``envsynth_sandbox.CALL_WALL_S`` 60 s against 5 s, a CPU rlimit of 121 s
      against 11 s, the extra libraries on ``sys.path``), paid every wrong answer here and none in training, and
      so reported failures as fixed that training never fixed.
    - ``retention``: the shipped retention suite's checkers (the project's own code, not the generator's) with
      IFBench's libraries allow-listed beside the defaults (its checkers need ``emoji`` and ``syllapy``), and
      ``--verifier-wall-s`` for a run."""

    def __init__(self, args: argparse.Namespace) -> None:
        from verifier.libraries import DEFAULT_LIBRARIES
        from verifier.limits import Limits

        if args.sandbox_workers < 1:
            raise ConfigError(f"must be at least 1, got {args.sandbox_workers}", field="--sandbox-workers")
        try:
            self._limits = {EvalSuite.REPLAY: Limits(),
                            EvalSuite.RETENTION: Limits(wall_s=args.verifier_wall_s, cpu_s=args.verifier_wall_s,
                                                        libraries=(*DEFAULT_LIBRARIES, *RETENTION_LIBRARIES))}
        except ValueError as exc:
            raise ConfigError(f"bad option: {exc}", field="--verifier-wall-s") from None
        self._args = args
        self._open: dict[EvalSuite, ScoringPool] = {}

    def heldout(self) -> "ScoringPool":
        return self._pool(EvalSuite.REPLAY)

    def retention(self) -> "ScoringPool":
        return self._pool(EvalSuite.RETENTION)

    def _pool(self, suite: EvalSuite) -> "ScoringPool":
        from verifier.routing import open_scoring_pool

        if suite not in self._open:
            self._open[suite] = open_scoring_pool(backend=self._args.sandbox, workers=self._args.sandbox_workers,
                                                  limits=self._limits[suite])
        return self._open[suite]

    def __enter__(self) -> "Pools":
        return self

    def __exit__(self, *exc: object) -> None:
        for pool in self._open.values():
            pool.close()
        self._open.clear()


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def headline(report: ReplayReport) -> str:
    """``fixed X of Y, retention Z (was W)``."""
    ret = report.retention
    was = f" (was {_pct(ret.was)})" if ret.was is not None else ""
    return f"fixed {report.fixed} of {report.total}, retention {_pct(ret.pass_rate)}{was}"


def _print(report: ReplayReport, console: Console) -> None:
    low, high = report.interval
    console.print(f"replay of {report.policy} (k={report.k}) on {report.bank}", markup=False, highlight=False)
    table = Table(title=None)
    for column in ("weakness group", "tasks", "fixed", "pass@1", "fixed 95% CI"):
        table.add_column(column, justify="left" if column == "weakness group" else "right")
    for name, g in report.by_group.items():
        table.add_row(name, str(g.total), str(g.fixed), f"{g.pass_at_1:.2f}",
                      f"{g.interval[0]:.2f}-{g.interval[1]:.2f}")
    table.add_row("all", str(report.total), str(report.fixed), f"{report.pass_at_1:.2f}", f"{low:.2f}-{high:.2f}",
                  style="bold")
    console.print(table)
    unscored = f"; {report.unscored} task(s) could not be scored" if report.unscored else ""
    console.print(f"{headline(report)}; pass@1 {report.pass_at_1:.2f}, fixed share 95% CI {low:.2f}-{high:.2f}"
                  f"{unscored}", markup=False, highlight=False)
    if report.environments:
        rows = Table(title="held-out replay environments (rolled out with their tools)")
        for column in ("environment", "weakness group", "scored", "passed", "mean score", "tool calls"):
            rows.add_column(column, justify="left" if column in ("environment", "weakness group") else "right")
        for e in report.environments:
            rows.add_row(e.environment_id, e.group, f"{e.attempts}/{e.samples}", str(e.passes),
                         _pct(e.mean_score), str(e.tool_calls))
        console.print(rows)
    if report.against is not None:
        a, t = report.against, report.against.test
        verdict = "significant" if t.significant else "not significant"
        console.print(f"vs {a.policy}: fixed {a.fixed} of {a.total}, retention {_pct(a.retention.pass_rate)}; "
                      f"{t.only_this} fixed only here, {t.only_other} only there; McNemar exact p={t.p_value:.3g} "
                      f"({verdict} at 0.05)", markup=False, highlight=False)


def main(argv: Sequence[str] | None = None, *, registry: GeneratorRegistry | None = None) -> int:
    """Run the command; ``registry`` (default: every shipped backend) is where ``--backend`` names are looked up."""
    args = build_parser().parse_args(argv)
    return run_command(lambda: _main(args, registry or default_registry()))


def _main(args: argparse.Namespace, registry: GeneratorRegistry) -> int:
    from task_bank.store import Bank

    if args.k < 1:
        raise ConfigError(f"must be at least 1, got {args.k}", field="--k")
    path = bank_path(args.bank)
    if not path.is_file():
        raise ConfigError("no bank file here; give --bank PATH or set $ENVSYNTH_BANK (synth.generate creates one "
                          "with replay tasks)", field="--bank")
    generator_settings(args, model=args.policy, drafts=args.drafts)  # a bad flag fails before any model loads
    retention = [] if args.no_retention else retention_items(args.retention)
    with ExitStack() as stack:
        bank = stack.enter_context(Bank.open(path))
        items = [*replay_items(bank, environments=not args.no_environments), *retention]
        environments = [] if args.no_environments else bank.heldout_environments()
        backend = stack.enter_context(_open_policy(args.policy, args, registry))
        pools = stack.enter_context(Pools(args))
        sessions = stack.enter_context(_open_sessions(args)) if environments else None
        executor = stack.enter_context(LocalExecutor(args.workers))
        results, rolled = _sample(args.policy, backend, args, items, pools, executor, environments, sessions)
        against = None
        if args.against:
            with _open_policy(args.against, args, registry) as other_backend:
                other, _ = _sample(args.against, other_backend, args, items, pools, executor, environments,
                                   sessions)
            other_summary = summarise(other, policy=args.against, k=args.k)
            bank.record_replay_eval(other_summary, other)
            against = compare(results, other, other_summary)
        was = against.retention.pass_rate if against else previous_retention(bank, args.policy)
        summary = summarise(results, policy=args.policy, k=args.k, retention_was=was)
        bank.record_replay_eval(summary, results)
    report = ReplayReport(**dict(summary), bank=str(path), environments=tuple(rolled), against=against)
    if args.json:
        emit_json(report.model_dump(mode="json"))
    else:
        _print(report, text_console(soft_wrap=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
