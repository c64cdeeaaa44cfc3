"""Which part of the reference's run holds its answer, for the decoys' checking verifier
(:mod:`verifier.decoy_check`): what its calls returned, or what it printed, and when a printed text counts.

Why a module of its own: the check's comparisons need one answer a run and a decoy, and a run offers two (its calls'
returns and its standard output) and ends in many ways. Which view holds the answer, and which endings leave a
printed answer standing, is one concept with its own history of red-team findings; comparing the decoys' answers
with it is another. ``printing``: a called function that printed and returned None printed its answer (round 62).
``ended``: a printed answer counts where the program loaded, exited with ``sys.exit()`` or ``sys.exit(0)``, or ended
as every recorded run of the reference that printed did (``USUAL``; rounds 70 to 72). ``prompted``: a run printed
only a prompt where it printed the one text that every recorded run of a non-blank input printed, on at least two
inputs, while their calls of no argument returned more than one answer (``PROMPT``; round 72, E2). ``shown``: the
check's text of a value, None where it cannot write one (an integer past CPython's 4,300 digits).

The text is a piece of :data:`verifier.decoy_check.DECOY_CHECK`'s source, formatted with it: its braces are doubled.
"""

from __future__ import annotations

__all__ = ["VIEWS"]

VIEWS = '''def returned(name, run, places):
    return [run.calls[at] for at in places.get(name, ()) if at < len(run.calls)]


def printing(name, run, places):
    got = returned(name, run, places)
    return bool(got and run.stdout.strip()) and all(call.ok and call.value is None for call in got)


def shown(value):
    try:
        return " ".join(map(str, value)) if isinstance(value, list) else str(value)
    except Exception:
        return None


def ending(run):
    error = run.load_error
    if run.loaded or error is None:
        return None
    return error.type, error.message if error.type == "SystemExit" else None


USUAL = []


def ended(run):
    if not USUAL:
        endings = {{ending(made) for made in RECORDED if made is not None and made.stdout.strip()}}
        USUAL.append(endings - {{None}} if len(endings) == 1 else set())
    error = run.load_error
    return run.loaded or ending(run) in USUAL[0] or (
        error is not None and error.type == "SystemExit" and error.message in ("", "0", "None"))


PROMPT = []


def prompted(run):
    if not PROMPT:
        made = [(done, stdin, calls) for done, (calls, stdin) in zip(RECORDED, RUNS)
                if done is not None and stdin.strip()]
        texts = {{done.stdout for done, _, _ in made}}
        values = {{shown(done.calls[at].value) for done, _, calls in made
                   for at, (_, args, kwargs) in enumerate(calls)
                   if not args and not kwargs and at < len(done.calls) and done.calls[at].ok}}
        PROMPT.extend(texts if len(texts) == 1 and len({{stdin for _, stdin, _ in made}}) > 1 and
                      len(values - {{"None", None}}) > 1 else [None])
    return PROMPT[0] is not None and run.stdout == PROMPT[0]
'''
"""The views' functions, and the ``USUAL`` and ``PROMPT`` they work out once from the recorded runs (``RECORDED``,
``RUNS``)."""
