"""The response-execution reading: a verifier that runs the response as code is found, however it gets there;
verifiers that only read the response are not."""

from __future__ import annotations

import pytest

from task_bank.response_exec import executes_response, find_response_exec


def found(source: str) -> bool:
    return bool(find_response_exec(source))


def test_exec_of_the_response_is_found():
    assert found("def verify(response):\n    ns = {}\n    exec(response, ns)\n    return 1.0\n")


def test_eval_of_a_value_derived_from_the_response_is_found():
    assert found("def verify(r):\n    expr = r.strip().splitlines()[-1]\n    return float(eval(expr) == 3)\n")


def test_compile_then_exec_is_found():
    assert found("def verify(r):\n    code = compile(r, '<r>', 'exec')\n    exec(code, {})\n    return 1.0\n")


def test_exec_inside_a_helper_function_is_found():
    source = ("def run(src):\n    g = {}\n    exec(src, g)\n    return g\n"
              "def verify(response):\n    return float('f' in run(response.strip()))\n")
    assert found(source)


def test_exec_through_a_module_global_set_by_verify_is_found():
    source = ("SRC = ''\ndef run():\n    exec(SRC, {})\n"
              "def verify(r):\n    global SRC\n    SRC = r\n    run()\n    return 1.0\n")
    assert found(source)


def test_exec_of_an_attribute_holding_the_response_is_found():
    source = ("class Box:\n    def __init__(self, s):\n        self.s = s\n    def go(self):\n        exec(self.s)\n"
              "def verify(r):\n    Box(r).go()\n    return 1.0\n")
    assert found(source)


@pytest.mark.parametrize("alias", ["run = exec", "import builtins\n    run = getattr(builtins, 'exec')",
                                   "run = __builtins__['exec']"])
def test_an_alias_of_exec_is_found(alias: str):
    assert found(f"def verify(r):\n    {alias}\n    run(r)\n    return 1.0\n")


def test_exec_handed_to_map_is_found():
    assert found("def verify(r):\n    list(map(exec, [r]))\n    return 1.0\n")


def test_dunder_import_of_the_response_is_found():
    assert found("def verify(r):\n    __import__(r.strip())\n    return 1.0\n")


def test_importlib_after_writing_the_response_to_a_file_is_found():
    source = ("import importlib, sys\ndef verify(r):\n    with open('m.py', 'w') as f:\n        f.write(r)\n"
              "    sys.path.insert(0, '.')\n    importlib.import_module('m')\n    return 1.0\n")
    assert found(source)


def test_runpy_after_writing_the_response_to_a_file_is_found():
    source = ("import runpy, pathlib\ndef verify(r):\n    pathlib.Path('m.py').write_text(r)\n"
              "    runpy.run_path('m.py')\n    return 1.0\n")
    assert found(source)


@pytest.mark.parametrize("loads", ["pickle.loads", "marshal.loads"])
def test_unpickling_the_response_is_found(loads: str):
    module = loads.split(".")[0]
    assert found(f"import {module}, base64\ndef verify(r):\n    return float({loads}(base64.b64decode(r)) == 1)\n")


def test_function_type_built_from_compiled_response_is_found():
    source = ("import types\ndef verify(r):\n    c = compile(r, 'x', 'eval')\n"
              "    return float(types.FunctionType(c, {})() == 1)\n")
    assert [f.detail.split("(")[0] for f in find_response_exec(source)] == ["compile", "types.FunctionType"]


def test_interactive_interpreter_runsource_is_found():
    source = "import code\ndef verify(r):\n    i = code.InteractiveInterpreter()\n    i.runsource(r)\n    return 1.0\n"
    assert found(source)


def test_codeop_compiler_instance_is_found():
    assert found("import codeop\ndef verify(r):\n    c = codeop.CommandCompiler()\n    c(r)\n    return 1.0\n")


def test_response_run_as_a_subprocess_is_found():
    source = ("import subprocess, sys\ndef verify(r):\n"
              "    return float(subprocess.run([sys.executable, '-c', r]).returncode == 0)\n")
    assert found(source)


def test_literal_eval_and_ast_parse_pass():
    source = ("import ast\ndef verify(r):\n    try:\n        tree = ast.parse(r)\n        value = ast.literal_eval(r)\n"
              "    except (SyntaxError, ValueError):\n        return 0.0\n"
              "    return float(value == 3 and tree is not None)\n")
    assert not found(source)


def test_eval_of_a_constant_passes():
    assert not found("EXPECTED = eval('2 + 3')\ndef verify(r):\n    return float(r.strip() == str(EXPECTED))\n")


def test_a_local_variable_named_code_is_not_the_code_module():
    source = ("import re\ndef verify(r):\n    code = r.strip()\n"
              "    return float(code.startswith('1') and bool(re.compile('1').match(code)))\n")
    assert not found(source)


def test_pickling_the_response_without_loading_passes():
    assert not found("import pickle\ndef verify(r):\n    return float(len(pickle.dumps(r)) > 3)\n")


def test_findings_name_line_and_sink():
    (finding,) = find_response_exec("def verify(r):\n\n    return float(eval(r) == 1)\n")
    assert finding.line == 3 and finding.detail.startswith("eval()")


def test_source_that_does_not_parse_does_not_count_as_executing():
    assert executes_response("def verify(r)\n    exec(r)\n") is False



def test_exec_reached_as_an_attribute_of_any_object_is_found():
    assert found("def verify(r):\n    globals()['__builtins__'].exec(r)\n    return 1.0\n")


def test_a_regex_compiled_from_the_response_passes():
    assert not found("import re\ndef verify(r):\n    return float(bool(re.compile(re.escape(r)).match('a')))\n")
