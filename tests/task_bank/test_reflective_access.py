"""A code runner reached by a name computed at run time counts as running the response (issue 16 follow-up,
hole 4): the static reading cannot resolve the name, so the reach itself is what it flags."""

from __future__ import annotations

import pytest

from task_bank.response_exec import executes_response, find_response_exec


def verifier(body: str, imports: str = "") -> str:
    lines = "\n".join("    " + line for line in body.splitlines())
    return f"{imports}\ndef verify(response):\n{lines}\n    return 1.0\n"


@pytest.mark.parametrize("reach", [
    "getattr(builtins, 'ex' + 'ec')(response)",
    "getattr(__builtins__, ''.join(['e', 'val']))(response)",
    "name = 'ex' + 'ec'\nrun = getattr(builtins, name)\nrun(response)",
    "getattr(sys.modules['built' + 'ins'], 'ex' + 'ec')(response)",
    "operator.attrgetter('ex' + 'ec')(builtins)(response)",
])
def test_getattr_with_a_computed_name_on_a_module_is_found(reach: str):
    assert executes_response(verifier(reach, "import builtins, operator, sys"))


@pytest.mark.parametrize("reach", [
    "vars(builtins)['ex' + 'ec'](response)",
    "builtins.__dict__['ex' + 'ec'](response)",
    "globals()['__builtins__']['ex' + 'ec'](response)",
    "space = (lambda: 0).__globals__['__builtins__']\nspace['ex' + 'ec'](response)",
])
def test_a_namespace_indexed_by_a_computed_or_runner_name_is_found(reach: str):
    assert executes_response(verifier(reach, "import builtins"))


def test_a_namespace_scanned_for_a_runner_is_found():
    scan = "run = [f for n, f in vars(builtins).items() if n.startswith('exe')][0]\nrun(response)"
    assert executes_response(verifier(scan, "import builtins"))


@pytest.mark.parametrize("rebuild", [
    "def f():\n    pass\nf.__code__ = (lambda: 0).__code__.replace(co_consts=(response,))",
    "def f():\n    pass\ng = f.__code__.replace(co_code=response.encode())",
])
def test_a_rebuilt_code_object_is_found(rebuild: str):
    assert executes_response(verifier(rebuild))


def test_the_finding_says_what_was_reached():
    [finding] = find_response_exec(verifier("getattr(builtins, 'ex' + 'ec')(response)", "import builtins"))
    assert finding.line == 3 and "computed name" in finding.detail


@pytest.mark.parametrize("honest", [
    "parts = response.split()\nok = getattr(str, 'upper')(parts[0])",
    "counts = {}\nkey = response.strip()\ncounts[key] = counts.get(key, 0) + 1",
    "data = json.loads(response)\nvalue = getattr(data, 'get', None)",
    "ok = getattr(json, 'dumps')([1])",
])
def test_ordinary_attribute_and_dict_access_passes(honest: str):
    assert not executes_response(verifier(honest, "import json"))


def test_getattr_over_a_loop_of_constant_names_reaches_only_those_names():
    """QA round 21: an honest verifier computing its expected values with ``getattr(statistics, n)`` for ``n`` in a
    literal tuple was rejected as executing the response."""
    honest = ("import statistics\nDATA = [4, 8, 15, 16]\n"
              "EXPECTED = {n: getattr(statistics, n)(DATA) for n in ('mean', 'median')}\n"
              "def verify(response):\n    return float(response == str(EXPECTED['mean']))\n")
    assert not executes_response(honest)


@pytest.mark.parametrize("reach", [
    "for n in ('len', 'exec'):\n    getattr(builtins, n)(response)",
    "for n in ('len',):\n    pass\nn = 'ex' + 'ec'\ngetattr(builtins, n)(response)",
    "def pick(n):\n    return getattr(builtins, n)\nfor n in ('len',):\n    pass\npick('ex' + 'ec')(response)",
])
def test_a_loop_name_is_no_constant_when_it_reaches_a_runner_or_is_bound_another_way(reach: str):
    assert executes_response(verifier(reach, "import builtins"))


@pytest.mark.parametrize("rebind", [
    "globals()['n'] = 'exec'", "globals().update(n='exec')", "g = globals()\ng['n'] = 'exec'",
    "setattr(builtins, 'n', 'exec')", "builtins.n = 'exec'", "verify.__globals__['n'] = 'exec'",
    "import sys\nsys.modules[__name__].n = 'exec'", "import sys\nvars(sys.modules[__name__])['n'] = 'exec'",
])
def test_a_loop_name_rebound_behind_the_readers_back_is_no_constant(rebind: str):
    """Red-team round 21: each of these turned a loop over ('mean', 'median') into getattr(builtins, n) of exec."""
    source = (f"import builtins, statistics\nfor n in ('mean', 'median'):\n    pass\n{rebind}\n"
              "def verify(response):\n    getattr(builtins, n)(response, {})\n    return 1.0\n")
    assert executes_response(source)


@pytest.mark.parametrize("reach", [
    "getattr(builtins, n)(response, {})",                      # builtins: never a plain module
    "getattr(getattr(statistics, m), n)(response)",            # the target computed
])
def test_only_a_plain_module_takes_a_loop_constant(reach: str):
    source = (f"import builtins, statistics\nfor n in ('mean', 'median'):\n    pass\nfor m in ('__dict__',):\n"
              f"    pass\ndef verify(response):\n    {reach}\n    return 1.0\n")
    assert executes_response(source)


def test_a_loop_constant_that_names_a_private_attribute_is_no_constant():
    source = ("import statistics\nfor n in ('_sum',):\n    pass\n"
              "def verify(response):\n    return float(bool(getattr(statistics, n)))\n")
    assert executes_response(source)
