"""The zygote program that runs inside every sandbox worker (standard library only, no other envsynth import).

The host never imports this package to run it: ``verifier.sandbox.program`` ships its modules' source text into
the sandbox and starts ``supervisor.main`` there. Modules: ``supervisor`` (serve requests, drive children, enforce
wall time and output caps), ``run`` (one forked child seen from the zygote), ``child`` (the forked child itself),
``frames`` (the child's reports and the judging of scores), ``cleanup`` (after each child).
"""
