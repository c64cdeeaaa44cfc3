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


WRITES = "    open('solution.py', 'w').write(r)\n"


@pytest.mark.parametrize("load", ["import solution", "from solution import add", "import solution.sub as s",
                                  "__import__('solution')", "m = __import__(name)",
                                  "import importlib\n    importlib.import_module('solution')",
                                  "import importlib\n    importlib.import_module(name)", "import runpy"])
def test_importing_a_module_written_at_run_time_is_found(load: str):
    """rt-importsol: the response saved as a file, then imported, runs in the verifier's process."""
    assert found(f"def verify(r):\n    name = 'solution'\n{WRITES}    {load}\n    return 1.0\n")


def test_a_module_the_sandbox_does_not_ship_is_found_even_without_a_visible_write():
    assert found("from solution import add\ndef verify(r):\n    return float(add(2, 3) == 5)\n")


def test_a_relative_import_is_found():
    assert found("from . import solution\ndef verify(r):\n    return 1.0\n")


@pytest.mark.parametrize("source", ["import json, re, collections.abc\nfrom datetime import date",
                                    "from envsynth_sandbox import plain, run_response",
                                    "import importlib\nJSON = importlib.import_module('json')",
                                    "JSON = __import__('json')"])
def test_standard_library_and_sandbox_imports_pass(source: str):
    assert not found(f"{source}\ndef verify(r):\n    return float(r == 'x')\n")


def test_an_allow_listed_library_passes_only_when_the_sandbox_lists_it():
    source = ("from if_verifiable.ifeval.instructions import CommaChecker\nimport nltk.tokenize\n"
              "def verify(r):\n    return float(CommaChecker('x').check_following(r))\n")
    assert find_response_exec(source, ("if_verifiable.ifeval", "nltk")) == ()
    assert len(find_response_exec(source, ("if_verifiable.ifeval",))) == 1
    assert len(find_response_exec(source)) == 2


def test_a_parent_of_an_allow_listed_subpackage_is_not_itself_allow_listed():
    assert not executes_response("from if_verifiable import ifeval\ndef verify(r):\n    return 1.0\n",
                                 ("if_verifiable.ifeval",))
    assert executes_response("from if_verifiable import datasets_loader\ndef verify(r):\n    return 1.0\n",
                             ("if_verifiable.ifeval",))


@pytest.mark.parametrize("value", ["runners = [exec]\n    runners[0](r, {})",
                                   "table = {'go': eval}\n    table['go'](r)",
                                   "c = compile\n    exec(c(r, 'x', 'exec'))", "load = __import__",
                                   "import builtins\n    fs = (builtins.exec,)"])
def test_a_builtin_code_runner_used_as_a_value_is_found(value: str):
    assert found(f"def verify(r):\n    {value}\n    return 1.0\n")


@pytest.mark.parametrize("module", ["doctest", "ctypes", "code", "codeop", "site", "pydoc", "pkgutil",
                                    "importlib.util", "logging.config"])
def test_a_module_that_runs_code_or_loads_modules_by_name_is_found(module: str):
    assert found(f"import {module}\ndef verify(r):\n    return float(r == 'x')\n")


def test_the_doctest_runner_on_the_response_is_found():
    source = ("import doctest\ndef verify(r):\n    t = doctest.DocTestParser().get_doctest(r, {}, 'x', None, 0)\n"
              "    return float(doctest.DocTestRunner().run(t).failed == 0)\n")
    assert found(source)


def test_ctypes_run_simple_string_is_found():
    assert found("import ctypes\ndef verify(r):\n    ctypes.pythonapi.PyRun_SimpleString(r.encode())\n"
                 "    return 1.0\n")


def test_exec_of_a_constant_that_imports_a_written_module_is_found():
    assert found(f"def verify(r):\n{WRITES}    ns = {{}}\n    exec('from solution import add', ns)\n"
                 "    return float(ns['add'](2, 3) == 5)\n")


def test_exec_of_code_assembled_at_run_time_is_found():
    assert found(f"def verify(r):\n{WRITES}    exec('imp' + 'ort solution')\n    return 1.0\n")


@pytest.mark.parametrize("call", ["pickle.loads(b'csolution\\nadd\\n.')", "breakpoint()",
                                  "importlib.reload(json)"])
def test_loaders_that_run_code_whatever_their_argument_are_found(call: str):
    assert found(f"import pickle, importlib, json\ndef verify(r):\n{WRITES}    {call}\n    return 1.0\n")


def test_writing_any_file_then_running_a_subprocess_is_found():
    source = ("import subprocess, sys\ndef verify(r):\n    open('t.py', 'w').write('print(1)')\n"
              "    return float(subprocess.run([sys.executable, 't.py']).returncode == 0)\n")
    assert found(source)


@pytest.mark.parametrize("load", ["import colorsys", "__import__('colorsys')",
                                  "import importlib\n    importlib.import_module('colorsys')"])
def test_a_written_file_that_shadows_a_standard_module_is_found(load: str):
    """The working directory is on the sandbox's sys.path: ``colorsys.py`` written there runs on import."""
    assert found(f"def verify(r):\n    open('colorsys.py', 'w').write(r)\n    {load}\n    return 1.0\n")


def test_a_written_file_named_for_a_lazy_standard_import_is_found():
    source = ("import time\nNAME = '_strptime.py'\ndef verify(r):\n    open(NAME, 'w').write(r)\n"
              "    return float(time.strptime('2024', '%Y').tm_year == 2024)\n")
    assert found(source)


def test_a_verifier_that_writes_a_scratch_file_and_imports_at_the_top_passes():
    source = ("import json\ndef verify(r):\n    with open('/tmp/out.json', 'w') as f:\n        json.dump([r], f)\n"
              "    with open('/tmp/out.json') as f:\n        return float(json.load(f) == [r])\n")
    assert not found(source)


# Red-team round 58: writes that cannot make a file were counted as file writes, and with them every import inside
# ``verify`` (a file written to the working directory shadows the module it imports).
IN_MEMORY_WRITES = {
    "an io.StringIO buffer written, io imported in verify": (
        "def verify(r):\n    import io\n    buf = io.StringIO()\n    buf.write('1 | 2')\n"
        "    return 1.0 if r.strip() == buf.getvalue() else 0.0\n"),
    "a message printed to sys.stderr, re imported in verify": (
        "import sys\ndef verify(r):\n    import re\n    if not re.fullmatch(r'\\d+', r):\n"
        "        print('no number found', file=sys.stderr)\n        return 0.0\n    return 1.0\n"),
    "a pattern compiled and a message to sys.stderr, re imported in verify": (
        "import sys\ndef verify(r):\n    import re\n    digits = re.compile(r'\\d+')\n"
        "    if not digits.fullmatch(r):\n        sys.stderr.write('no number\\n')\n        return 0.0\n"
        "    return 1.0\n"),
    "sys.stdout written, json imported in verify": (
        "import sys\ndef verify(r):\n    import json\n    sys.stdout.write(json.dumps([r]))\n    return 1.0\n"),
    "a buffer from 'from io import StringIO' in a with block": (
        "from io import StringIO\ndef verify(r):\n    import re\n    with StringIO() as out:\n"
        "        print(r, file=out)\n        return float(bool(re.search('x', out.getvalue())))\n"),
}


@pytest.mark.parametrize("source", IN_MEMORY_WRITES.values(), ids=IN_MEMORY_WRITES.keys())
def test_writes_to_the_standard_streams_or_an_in_memory_buffer_are_not_file_writes(source: str):
    assert not found(source)


def test_a_file_written_with_open_still_makes_an_import_inside_verify_count():
    assert found("import sys\ndef verify(r):\n    open('re.py', 'w').write(r)\n    print('x', file=sys.stderr)\n"
                 "    import re\n    return 1.0\n")


def test_a_buffer_name_also_bound_to_an_open_file_counts_as_a_file():
    assert found("import io\ndef verify(r):\n    buf = io.StringIO()\n    buf = open('colorsys.py', 'w')\n"
                 "    buf.write(r)\n    import colorsys\n    return 1.0\n")


def test_a_buffer_name_bound_to_a_file_in_another_function_counts_as_a_file():
    assert found("import io, pathlib\ndef keep():\n    buf = pathlib.Path('colorsys.py').open('w')\n"
                 "def verify(r):\n    buf = io.StringIO()\n    buf.write(r)\n    import colorsys\n    return 1.0\n")


@pytest.mark.parametrize("swap", ["sys.stdout = pathlib.Path('colorsys.py').open('w')",
                                  "setattr(sys, 'std' + 'out', pathlib.Path('colorsys.py').open('w'))",
                                  "sys.modules['io'] = pathlib", "os.close(1)", "os.dup2(3, 1)",
                                  "exec('import sys')"])
def test_a_module_that_could_swap_a_stream_for_a_file_gets_no_exemption(swap: str):
    """Writes to ``sys.stdout`` are harmless only while it is the stream the interpreter made."""
    assert found(f"import sys, os, io, pathlib\ndef verify(r):\n    {swap}\n    sys.stdout.write(r)\n"
                 "    io.StringIO().write(r)\n    import colorsys\n    return 1.0\n")


@pytest.mark.parametrize("rebinding", ["from types import SimpleNamespace\nsys = SimpleNamespace()", "import os as sys",
                                       "def print(*a, file=None):\n    pass"])
def test_a_stream_reached_through_a_rebound_name_counts_as_a_file(rebinding: str):
    assert found(f"import sys\n{rebinding}\ndef verify(r):\n    print(r, file=sys.stderr)\n    import colorsys\n"
                 "    return 1.0\n")


def test_print_with_keyword_arguments_unpacked_counts_as_a_file_write():
    """``**kwargs`` may hold a ``file``."""
    assert found("import sys\ndef verify(r):\n    print(r, **{'file': sys.stderr})\n    import colorsys\n"
                 "    return 1.0\n")


@pytest.mark.parametrize("write", [
    "shutil.copyfileobj(io.StringIO(r), io.FileIO('colorsys.py', 'w'))",
    "shutil.copyfile(src, 'colorsys.py')",
    "os.replace(src, 'colorsys.py')",
])
def test_a_file_made_by_copying_or_renaming_makes_an_import_inside_verify_count(write: str):
    """Red-team round 58: these wrote a module that ``verify`` then imported, and no write was counted."""
    assert found(f"import io, os, shutil\nsrc = 'x'\ndef verify(r):\n    {write}\n    import colorsys\n"
                 "    return 1.0\n")


def test_a_path_opened_for_writing_as_sys_stdout_makes_an_import_inside_verify_count():
    assert found("import pathlib, sys\ndef verify(r):\n    with pathlib.Path('colorsys.py').open('w') as sys.stdout:\n"
                 "        print(r)\n    import colorsys\n    return 1.0\n")


def test_a_path_opened_for_reading_is_no_file_write():
    assert not found("import pathlib\ndef verify(r):\n    import re\n    pathlib.Path('x').open().close()\n"
                     "    return float(bool(re.search('x', r)))\n")
