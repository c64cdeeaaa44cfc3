"""Scheduled growth of the task bank (``python -m synth.grow``): one cycle reads new failures from feeds, drafts
tasks from them through :func:`synth.pipeline.run_pipeline`, evolves tasks the policy still fails through the same
drafting loop, re-validates tasks an older validator judged, and records itself as a run.

Modules: :mod:`.cli` (the command and its ``--every`` loop), :mod:`.config` (the TOML file), :mod:`.cycle` (one
cycle and the order of its writes), :mod:`.feeds` (feeds and their cursors), :mod:`.evolve`, :mod:`.revalidate`,
:mod:`.runs` (the lock and the run record), :mod:`.runtime` (backend, validator and executor of a cycle).
"""
