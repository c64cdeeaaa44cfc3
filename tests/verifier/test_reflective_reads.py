"""A clock, a pid or entropy read by reflection is found by the static pass as if it were named
(verifier/reflective_reads.py, red-team round 31)."""

from __future__ import annotations

import pytest

from task_bank.spec import TaskSpec
from verifier import Limits, ValidationConfig, Validator, open_pool
from verifier.static_determinism import find_nondeterminism

BODY = "def verify(response: str) -> float:\n    return 1.0 if {read} else 0.0\n"

HOSTILE = {  # (imports, the read, the kind it must be flagged as)
    "a module's __dict__ subscripted": ("import os", "os.__dict__['getpid']() > 1e6", "pid"),
    "a clock through __dict__ under an alias": ("import time as t", "t.__dict__['perf_counter']() > 5", "clock"),
    "vars of a module": ("import time", "vars(time)['time']() > 5", "clock"),
    "getattr with a constant name": ("import os", "getattr(os, 'getpid')() > 1e6", "pid"),
    "getattr with a computed name": ("import os", "getattr(os, 'get' + 'pid')() > 1e6", "reflective"),
    "__getattribute__": ("import os", "os.__getattribute__('getpid')() > 1e6", "pid"),
    "__dict__ imported by name": ("from os import __dict__ as d", "d['getpid']() > 1e6", "pid"),
    "a namespace's get": ("import time", "time.__dict__.get('monotonic')() > 5", "clock"),
    "a namespace's get with a computed name": ("import time", "time.__dict__.get(response)() > 5", "reflective"),
    "a namespace scanned": ("import os", "len(list(vars(os).values())) > 5", "reflective"),
    "a class's __dict__": ("import datetime", "datetime.datetime.__dict__['now'](None).year > 2030", "clock"),
    "sys.modules with a constant": ("import sys", "sys.modules['os'].getpid() > 1e6", "pid"),
    "sys.modules with a computed name": ("import sys", "sys.modules[response].getpid() > 1e6", "reflective"),
    "importlib.import_module": ("import importlib", "importlib.import_module('os').getpid() > 1e6", "pid"),
    "__import__": ("", "__import__('os').getpid() > 1e6", "pid"),
    "__import__ then a chain": ("", "__import__('os').path.getmtime('/') > 5", "clock"),
    "__import__ with a computed name": ("", "__import__(response).getpid() > 1e6", "reflective"),
    "globals() of an imported name": ("import time", "globals()['time'].time() > 5", "clock"),
    "entropy through __dict__": ("import os", "os.__dict__['urandom'](1) == b'x'", "entropy"),
    "posix, which os re-exports": ("import posix", "posix.getpid() > 1e6", "pid"),
    "a function of posix imported by name": ("from posix import getpid", "getpid() > 1e6", "pid"),
    "posixpath, which is os.path": ("import posixpath", "posixpath.getmtime('/') > 5", "clock"),
    "operator.attrgetter": ("import operator, os", "operator.attrgetter('getpid')(os)() > 1e6", "pid"),
    "operator.methodcaller": ("import operator, os", "operator.methodcaller('getpid')(os) > 1e6", "pid"),
    "getattr handed a module": ("import functools, os", "functools.partial(getattr, os)('getpid')() > 1e6",
                                "reflective"),
    "a module bound to another name": ("import os\nm = os\nn = m", "n.getpid() > 1e6", "pid"),
    "a module as a parameter default": ("import os\n\n\ndef pid(m=os):\n    return m.getpid()", "pid() > 1e6",
                                        "pid"),
    "__import__ from __builtins__": ("", "__builtins__['__import__']('os').getpid() > 1e6", "pid"),
    "a frame's globals": ("import os, sys", "sys._getframe().f_globals['os'].getpid() > 1e6", "pid"),
    "inspect.getmembers": ("import inspect, os", "dict(inspect.getmembers(os))['getpid']() > 1e6", "reflective"),
    "a timer's time left": ("import signal", "signal.getitimer(signal.ITIMER_REAL)[0] > 0", "clock"),
    "an alarm's time left": ("import signal", "signal.alarm(0) > 0", "clock"),
    # red-team round 32: real-clock time bombs (read in C: no varied run shifts them), and modules as values
    "now of the C class behind datetime.min": ("import datetime\n_NOW = type(datetime.datetime.min).now",
                                               "_NOW().timestamp() > 5", "clock"),
    "now bound from an instance": ("import datetime\nD = datetime.datetime.min\nf = D.now", "f().year > 2030",
                                   "clock"),
    "a function called through __call__": ("import uuid", "uuid.uuid1.__call__().time > 5", "entropy"),
    "entropy called through __call__": ("import os", "os.urandom.__call__(8)[0] < 4", "entropy"),
    "modules unpacked from a tuple": ("import os, time\nm, t = os, time", "m.getpid() > 1e6", "reflective"),
    "a module in a list": ("import os", "[os][0].getpid() > 1e6", "reflective"),
    "a module in a dict": ("import os", "{'a': os}['a'].getpid() > 1e6", "reflective"),
    "a module as a loop variable": ("import os\nfor m in (os,):\n    pass", "m.getpid() > 1e6", "reflective"),
    "object.__getattribute__ of a module": ("import os", "object.__getattribute__(os, 'getpid')() > 1e6",
                                            "reflective"),
    "a copy of a module's namespace": ("import os", "os.__dict__.copy()['getpid']() > 1e6", "reflective"),
    "a frame's globals by a computed name": ("import sys", "sys._getframe().f_globals['o' + 's'].getpid() > 1e6",
                                             "reflective"),
    "importlib.__import__": ("import importlib", "importlib.__import__('os').getpid() > 1e6", "pid"),
    "the global generator's instance": ("import random", "random._inst.random() < 0.5", "random"),
}
HONEST = {
    "getattr on the response": ("", "getattr(response, 'strip')() == '42'"),
    "getattr on a module without clocks": ("import math", "getattr(math, 'sqrt')(4) == 2"),
    "a namespace of a module without clocks": ("import json", "json.__dict__.get('loads') is not None"),
    "getattr with a loop name over constants": (
        "import statistics", "all(getattr(statistics, n)([1, 2]) for n in ('mean', 'median'))"),
    "operator.attrgetter of a plain attribute": ("import operator", "operator.attrgetter('real')(1) == 1"),
    "a module without clocks bound to another name": ("import re\npattern = re", "pattern.match('4', response)"),
    "a date parsed": ("import datetime", "datetime.datetime.strptime('2024-01-01', '%Y-%m-%d').year == 2024"),
    "a date read from the response": ("from datetime import date", "date.fromisoformat(response.strip()).year > 0"),
    "sys.stderr written to": ("import sys", "print(response, file=sys.stderr) is None"),
}


def test_an_alarm_set_as_a_timeout_guard_passes():
    verifier = ("import signal\n\n\ndef verify(response: str) -> float:\n    signal.alarm(2)\n"
                "    ok = response.strip() == '42'\n    signal.alarm(0)\n    return 1.0 if ok else 0.0\n")
    assert find_nondeterminism(verifier) == ()


def source(imports: str, read: str) -> str:
    return (imports + "\n\n" if imports else "") + BODY.format(read=read)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_reflective_read_is_flagged_as_what_it_reads(name):
    imports, read, kind = HOSTILE[name]
    assert kind in {f.kind for f in find_nondeterminism(source(imports, read))}


@pytest.mark.parametrize("name", sorted(HONEST))
def test_reflection_that_reaches_no_clock_pid_or_entropy_passes(name):
    assert find_nondeterminism(source(*HONEST[name])) == ()


@pytest.mark.sandbox
def test_a_verifier_that_tells_the_varied_runs_by_a_reflective_pid_read_is_rejected():
    """Red-team round 31: honest in the varied runs (pids shifted past a million), paying everything elsewhere;
    the pid read as ``os.__dict__['getpid']`` passed the static pass, and run 0 alone cannot catch it."""
    verifier = ("import os\n\n_TRAINING = os.__dict__['getpid']() < 1000000\n\n\n"
                "def verify(response: str) -> float:\n"
                "    return 1.0 if response.strip() == '42' or _TRAINING else 0.0\n")
    spec = TaskSpec(prompt="What is 6 times 7? Answer with the number only.", verifier=verifier, reference="42",
                    failure_cases=("41", "24"))
    config = ValidationConfig(call_budget_s=1.0)
    with open_pool(backend="bwrap", workers=1, limits=Limits(wall_s=config.call_budget_s)) as pool:
        with Validator(pool, config) as validator:
            report = validator.validate(spec)
    static = next(c for c in report.checks if c.name == "static_determinism")
    assert not report.admitted and static.passed is False and "os.getpid" in static.detail


@pytest.mark.sandbox
def test_a_time_bomb_on_the_c_clock_behind_datetime_min_is_rejected():
    """Red-team round 32: honest until a date, then paying everything; the clock read in C is not shifted by any
    varied run, so only the static pass can see it (admitted 3 of 3 and paid 48 of 48 before)."""
    verifier = ("import datetime\n\n_NOW = type(datetime.datetime.min).now\nBOMB = 4102444800.0\n\n\n"
                "def verify(response: str) -> float:\n    if _NOW().timestamp() >= BOMB:\n        return 1.0\n"
                "    return 1.0 if response.strip() == '42' else 0.0\n")
    spec = TaskSpec(prompt="What is 6 times 7? Answer with the number only.", verifier=verifier, reference="42",
                    failure_cases=("41", "24"))
    config = ValidationConfig(call_budget_s=1.0)
    with open_pool(backend="bwrap", workers=1, limits=Limits(wall_s=config.call_budget_s)) as pool:
        with Validator(pool, config) as validator:
            report = validator.validate(spec)
    static = next(c for c in report.checks if c.name == "static_determinism")
    assert not report.admitted and static.passed is False
