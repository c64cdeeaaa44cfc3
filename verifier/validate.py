"""The validator: admits a task only when its verifier is solvable, unhackable by trivial answers, and grindable.

One :class:`ValidationReport` per task records every check (see :mod:`verifier.checks` for the rules and the
machine-readable reasons). The order of work keeps a cheap task fast and a hostile one bounded:

1. ``schema`` and the static passes run on the trusted side; the source is parsed, never executed here: the
   nondeterminism pass, and ``executes_response`` (the verifier must not run the response as code in its own
   process; :mod:`verifier.static_exec`).
2. Run 0, before anything else of the task runs on the host (its first probe alone first, so a verifier that hangs
   or fails to load costs one call), in warm interpreters of the validator's own
   (:mod:`verifier.checks_interpreters`), where the calls of a group share one process: exactly the training
   environment (a hash seed drawn for each interpreter, the global ``random`` seeded from the operating system); the twins alone first, then every other probe once, then again in another order, then
   the reference, so state leaking between calls shows up as a changed score (never the same probe twice in a row,
   which a training group rarely shows). Whether the module loads and defines ``verify`` is read from these calls
   (the sandbox, not this process, executes the verifier). Why first: a call a verifier can recognise as
   validation (the reference alone, a varied run) moves host-wide counters that only grow, and a run 0 that read
   them could stay honest (red-team round 14).
3. Then, concurrently, the reference alone in one of the pool's warm workers under the pool's limits, and runs
   1..N-1, each scoring every probe once in an interpreter exec'd with another
   ``PYTHONHASHSEED``, a shifted clock and another RNG seed. The checks then judge every call of every run.

The clock shifts of runs 2.. are fixed functions of the run index; run 1's is drawn for each validation from the
probes' random source (a minute to ten years ahead: :func:`run_env`), and each varied run's hash seed is drawn once
for each validator (its interpreters stay warm across tasks). Validating an honest task twice gives the same
verdict.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from types import TracebackType

from task_bank.provenance import utcnow
from task_bank.response_exec import ExecFinding, find_response_exec
from task_bank.spec import TaskSpec
from task_bank.validation import CheckResult, Outcome, ScoreResult, ValidationReport
from verifier import checks, inode_noise
from verifier.answers_alike import answers_alike
from verifier.checks_mutants import check_code_size, check_mutants
from verifier.checks_probes import RENAMED_SUFFIX, Probe, ProbeKind, build_probes, renamed_twins, unpredictable_indices
from verifier.checks_unmarked import check_failure_copy
from verifier.checks_weak import weak_tests
from verifier.code_renaming import defines_function
from verifier.commented import is_program
from verifier.limits import draw_hash_seeds
from verifier.pool import Pool
from verifier.reference_hints import plain_value_hint
from verifier.run_order import mutants_later, run_order
from verifier.sinking_marks import blamed, carried_paid
from verifier.sandbox.registry import BackendRegistry, default_registry
from verifier.static_determinism import find_nondeterminism
from verifier.static_exec import check_response_exec
from verifier.validation_config import DETERMINISM_RUNS_MAX, ValidationConfig, near_future_offset_s, run_env
from verifier.validation_runs import ValidationRuns, load_error_of
from verifier.written_decoys import shaped_decoy, written_decoys

VALIDATOR_VERSION = "1.51"
"""Version of the validation rules. Bump it whenever a rule, threshold default or probe changes, so that tasks
judged under older rules are re-validated."""

MIN_TWINS = 2
"""Renamed twins validation draws at least, where the failure cases allow (each process of an isolated verifier
scores one response, so it has no count to keep)."""
_CHECK_ORDER = ("schema", "compiles", "static_determinism", "executes_response", "reference", "failure_cases",
                "mutants", "weak_tests", "trivial", "determinism", "budget")
_CHAIN_LABELS = ("trivial:empty", "trivial:whitespace")
"""With the failure cases as written, the probes run 0 scores right after its twins (``run_order``'s ``chain``)."""
_SANDBOX_CHECKS = ("reference", "failure_cases", "mutants", "trivial", "determinism", "budget")
class Validator:
    """Validates task specs through a sandbox pool it does not own (the caller opens and closes the pool).

    The reference is first scored in the pool itself, under the pool's limits: the configuration tasks will be
    scored in. The determinism runs use warm interpreters of the validator's own (:mod:`verifier.validation_runs`
    says which, and why). ``close()`` or leaving a ``with`` block ends them, and so does garbage collection of an
    unclosed validator.
    """

    def __init__(self, pool: Pool, config: ValidationConfig | None = None, *, concurrency: int | None = None,
                 registry: BackendRegistry | None = None, probe_rng: random.Random | None = None,
                 noise: Callable[[], object] = inode_noise.scramble) -> None:
        self._pool = pool
        self._probe_rng = probe_rng  # None: the unpredictable probes come from the operating system
        # The varied runs' hash seeds, drawn once: each run's interpreters stay warm for every task validated here.
        self._hash_seeds = draw_hash_seeds(probe_rng or random.SystemRandom(), DETERMINISM_RUNS_MAX)
        self._noise = noise  # called right before each run 0 (verifier/inode_noise.py)
        self._config = config or ValidationConfig()
        self._concurrency = max(1, concurrency or pool.workers)
        self._runs = ValidationRuns(pool, registry or default_registry(), self._concurrency)

    def close(self) -> None:
        """Stop the determinism interpreters; the pool stays open (it belongs to the caller)."""
        self._runs.close()

    def __enter__(self) -> Validator:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def config(self) -> ValidationConfig:
        """The thresholds and budgets in force."""
        return self._config

    def validate(self, spec: TaskSpec) -> ValidationReport:
        """Run every check on ``spec``; never raises for anything the task's verifier does."""
        started, t0 = utcnow(), time.perf_counter()
        done: dict[str, CheckResult] = {}
        done["schema"] = checks.check_schema(spec, self._config.max_verifier_chars, self._config.max_response_chars)
        executes: tuple[ExecFinding, ...] = ()
        if done["schema"].passed:
            executes = self._static(spec.verifier, done)
        if done["schema"].passed and "compiles" not in done:
            # a verifier that runs the response is scored as training scores it (``routing.needs_isolation``, the
            # same findings on the same source and libraries: read once here, not parsed again, about 1.3 ms)
            self._dynamic(spec, done, isolated=bool(executes))
        ordered = tuple(done.get(name) or checks.skipped(name, "an earlier check rejected the task")
                        for name in _CHECK_ORDER)
        reasons = tuple(dict.fromkeys(c.reason for c in ordered if c.passed is False and c.reason))
        return ValidationReport(task_id=spec.id, admitted=not reasons and all(c.passed for c in ordered),
                                reasons=reasons, checks=ordered, validator_version=VALIDATOR_VERSION,
                                sandbox_backend=self._pool.backend_name, started_at=started,
                                duration_ms=(time.perf_counter() - t0) * 1000)

    def validate_many(self, specs: Iterable[TaskSpec]) -> list[ValidationReport]:
        """Reports in input order; tasks are validated concurrently, one per pool worker."""
        return list(self.iter_validate(specs))

    def iter_validate(self, specs: Iterable[TaskSpec]) -> Iterator[ValidationReport]:
        """Reports in input order as soon as each is ready (for progress bars and streaming output)."""
        if self._concurrency == 1:
            yield from map(self.validate, specs)
            return
        with ThreadPoolExecutor(max_workers=self._concurrency, thread_name_prefix="validate") as executor:
            yield from executor.map(self.validate, specs)

    def _static(self, source: str, done: dict[str, CheckResult]) -> tuple[ExecFinding, ...]:
        """The static checks, into ``done``; returns what runs the response (``find_response_exec``)."""
        t0 = time.perf_counter()
        try:
            findings = find_nondeterminism(source)
            executes = find_response_exec(source, self._pool.limits.libraries)
        except SyntaxError as exc:
            done["compiles"] = checks.check_compiles((), f"SyntaxError at line {exc.lineno}: {exc.msg}")
            return ()
        except (ValueError, RecursionError, MemoryError) as exc:
            done["compiles"] = checks.check_compiles((), f"source cannot be parsed: {type(exc).__name__}: {exc}")
            return ()
        static = checks.check_static(findings)
        elapsed = {"duration_ms": (time.perf_counter() - t0) * 1000}
        done["static_determinism"] = static.model_copy(update=elapsed)
        done["executes_response"] = check_response_exec(executes, self._config.allow_response_exec).model_copy(
            update=elapsed)
        return executes

    def _dynamic(self, spec: TaskSpec, done: dict[str, CheckResult], isolated: bool) -> None:
        cfg = self._config
        rng = self._probe_rng or random.SystemRandom()
        source = spec.verifier
        # As many known-wrong programs as one process of this verifier scores in training (see CODE_GROUP_SIZE):
        # a verifier that paid only the programs after its first few met every twin in that window.
        twins = MIN_TWINS if isolated else max(MIN_TWINS, self._pool.group_size_for(source))
        probes = build_probes(spec, cfg.junk_chars, rng, twins, cfg.mutants)
        written = written_decoys(spec.reference, spec.prompt_text, rng)  # (drawn after the probes: as before 1.34)
        written += [w for w in [shaped_decoy(spec.reference, spec.prompt_text, rng)] if w is not None]  # (1.37)
        probes += tuple(w.probe for w in written)
        drift = near_future_offset_s(rng)
        envs = [run_env(run, drift, self._hash_seeds[run]) for run in range(cfg.determinism_runs)]
        t0 = time.perf_counter()
        leads = unpredictable_indices(probes)
        twin_of = renamed_twins(probes)
        # the mutants, like the twins, are unknown programs scored once each in run 0's first block
        # (the programs the validator wrote too, under a key of their own: once[0] opens run 0)
        once = {**twin_of, 0: [i for i, probe in enumerate(probes) if probe.kind in (ProbeKind.MUTANT,
                                                                                     ProbeKind.UNMARKED)],
                -1: [i for i, probe in enumerate(probes) if probe.kind is ProbeKind.DECOY]}
        chain = [i for i, probe in enumerate(probes) if probe.label in _CHAIN_LABELS or (
            probe.kind is ProbeKind.FAILURE_CASE and RENAMED_SUFFIX not in probe.label)]
        within = [i for i in chain if i in twin_of]  # the failure cases as written that are programs
        orders = {run: run_order(len(probes), run, cfg.repeat_calls, leads, once, rng, chain, within)
                  for run in range(cfg.determinism_runs)}
        orders[0][1:] = mutants_later(orders[0][1:], once[0])
        # Run 0 first, before anything else of this validation: no call a verifier could recognise as validation
        # (the reference alone, a varied run) may run on the host before it. Red-team round 14: the reference's
        # call, alone and first, moved a host-wide counter that only grows (the inode number of the next pipe);
        # run 0, started moments later, read it and stayed honest, and training paid 100 of 100 wrong answers. Its
        # first calls are unknown programs (its mutants and the copies without marks, else a twin), as a training
        # process holds policy answers.
        # (its requests recorded, as training records them: what ``weak_tests`` measures; and run 0's, where a
        # verifier's first request of a program the validator wrote is compared: ``asked_otherwise``)
        recording = envs[0].model_copy(update={"record_requests": True})
        reference_alone = partial(self._runs.run, source, probes, recording, orders[0][:1], in_pool=True, isolated=isolated)
        self._noise()  # no mark an earlier call left in the host's inode counter survives into run 0
        more, opened = self._runs.open(source, probes, recording, orders[0][1:2], once[0], rng, isolated)
        load_error = load_error_of([r for _, r in opened])
        done["compiles"] = checks.check_compiles([r for _, r in opened], load_error)
        if load_error is not None:
            return
        pairs = opened + more
        alone: list[tuple[Probe, ScoreResult]] = []
        if any(r.outcome is Outcome.ERROR for _, r in opened):  # the sandbox failed: nothing to judge the task by
            pairs += (alone := reference_alone())  # its verdict
            done["determinism"] = checks.sandbox_failed("determinism", "run 0's first call")
        elif any(r.outcome is Outcome.TIMEOUT for _, r in opened):  # a hang costs one call (two: a mutant's), and a
            done["budget"] = checks.first_call_timed_out(opened[0][0].label, opened[0][1].detail)  # verdict
            return
        else:
            # A first call that crashed or returned no float (the module loaded: else it is the load error above)
            # is that probe failing, as it would be anywhere else in the run: an honest verifier that raises on a
            # random word (``int(response)``), or whose failure case exits or escapes its exec, was rejected with no
            # reason here, and admitted when the draw put another probe first (helper review, round 28).
            # The rest of run 0, the opener again among its twins; then, concurrently, the reference alone in the
            # pool, under the pool's limits, and every probe once in each further interpreter (own hash seed,
            # clock offset and RNG seed). A varied run can tell it is validation (its hash seed orders a set
            # otherwise), so none starts before run 0 has ended (round 13: the varied runs forked fast while run 0
            # ran, and run 0 counted the host's new pids; 7 of 7 admitted).
            pairs += self._runs.run(source, probes, recording, orders[0][1:], isolated=isolated)
            if checks.fault_reason([r for probe, r in pairs if probe is probes[0]]) is not None:
                pairs += (alone := reference_alone())
                done["determinism"] = checks.skipped("determinism", "the reference did not score")
            else:
                jobs = [reference_alone]
                jobs += [partial(self._runs.run, source, probes, envs[run], orders[run], isolated=isolated)
                         for run in range(1, cfg.determinism_runs)]
                with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="validate-run") as executor:
                    alone, *varied = executor.map(lambda job: job(), jobs)
                    for run in (alone, *varied):
                        pairs += run
                done["determinism"] = checks.check_determinism(pairs, cfg.determinism_runs)
        firsts: dict[str, tuple[Probe, ScoreResult]] = {}
        for probe, result in pairs:
            firsts.setdefault(probe.label, (probe, result))
        primary = [firsts[p.label] for p in probes if p.label in firsts]  # in probe order, whatever the call order
        done["reference"] = checks.check_reference(pairs, plain_value_hint(spec.verifier, spec.reference))
        written_verdict = None
        if done["reference"].passed:
            done["weak_tests"], written_verdict = weak_tests(self._pool, self._config, spec, pairs, alone, rng,
                                                             written)
        if len(firsts) > 1:
            done["failure_cases"] = checks.check_failure_cases(pairs, primary, cfg.fail_threshold)
            if done["failure_cases"].passed and done["reference"].passed:
                done["failure_cases"] = check_failure_copy(pairs, cfg.mutant_margin, done["failure_cases"], partial(
                    answers_alike, self._pool, spec.reference, rng), is_program(spec.reference),
                    partial(carried_paid, self._pool, spec.verifier, spec.reference),
                    partial(blamed, self._pool, spec.verifier, spec.reference, margin=cfg.mutant_margin,
                            ceiling=cfg.fail_threshold), ceiling=cfg.fail_threshold)
            done["mutants"] = check_code_size(spec.reference) or check_mutants(pairs, cfg.mutant_margin)
            done["trivial"] = checks.check_trivial(pairs, primary, cfg.trivial_threshold)
        done["budget"] = checks.check_budget(pairs, cfg.call_budget_s * 1000)
        made = sum(len(each) for each in twin_of.values())
        programs = made > 0 or any(defines_function(case) for case in spec.failure_cases)
        if programs and made < twins and "failure_cases" in done and done["failure_cases"].passed:
            done["failure_cases"] = checks.few_twins(made, twins)  # none needed: prose, or scripts without functions
        if written_verdict is not None and "failure_cases" in done and done["failure_cases"].passed:
            done["failure_cases"] = written_verdict
        elapsed = (time.perf_counter() - t0) * 1000
        for name in _SANDBOX_CHECKS:
            if name in done and done[name].passed is not None:
                done[name] = done[name].model_copy(update={"duration_ms": elapsed})
