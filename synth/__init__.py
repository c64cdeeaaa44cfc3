"""synth: turn deployment failures into validated RL tasks.

failures -> redact -> group -> prompts -> generator backends -> drafts -> validation (verifier) -> bank.
Entry points: ``python -m synth.generate`` and ``python -m synth.probe``; the reusable core is
:func:`synth.pipeline.run_pipeline`. Importing this package loads nothing heavy and configures nothing.
"""
