"""The static nondeterminism pass: each source of nondeterminism is flagged, deterministic idioms are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from verifier.static_determinism import find_nondeterminism


def kinds(source: str) -> list[str]:
    return [f.kind for f in find_nondeterminism(source)]


def test_unseeded_module_random_is_flagged():
    assert kinds("import random\ndef verify(r):\n    return random.random()\n") == ["random"]


def test_random_imported_by_name_is_flagged():
    assert kinds("from random import choice as pick\ndef verify(r):\n    return pick([0.0, 1.0])\n") == ["random"]


def test_seeded_random_instance_passes():
    assert kinds("import random\nRNG = random.Random(42)\ndef verify(r):\n    return RNG.random()\n") == []


def test_unseeded_random_instance_is_flagged():
    assert kinds("import random\ndef verify(r):\n    return random.Random().random()\n") == ["random"]


def test_global_random_seeded_in_the_same_function_passes():
    assert kinds("import random\ndef verify(r):\n    random.seed(7)\n    return random.random()\n") == []


def test_global_random_seeded_at_module_level_only_is_flagged():
    source = "import random\nrandom.seed(7)\ndef verify(r):\n    return random.random()\n"
    assert kinds(source) == ["random"]


def test_system_random_is_entropy():
    assert kinds("import random\ndef verify(r):\n    return random.SystemRandom().random()\n") == ["entropy"]


def test_time_clock_is_flagged():
    assert kinds("import time\ndef verify(r):\n    return float(time.time() > 0)\n") == ["clock"]


def test_monotonic_clock_imported_by_name_is_flagged():
    assert kinds("from time import perf_counter\ndef verify(r):\n    return float(perf_counter() > 0)\n") == ["clock"]


def test_datetime_now_and_date_today_are_flagged():
    source = "from datetime import datetime, date\ndef verify(r):\n    return float(datetime.now() and date.today())\n"
    assert kinds(source) == ["clock", "clock"]


def test_module_qualified_datetime_now_is_flagged():
    assert kinds("import datetime as dt\ndef verify(r):\n    return float(dt.datetime.now().year)\n") == ["clock"]


def test_time_sleep_passes():
    assert kinds("import time\ndef verify(r):\n    time.sleep(0.1)\n    return 1.0\n") == []


def test_getpid_is_flagged():
    assert kinds("import os\ndef verify(r):\n    return float(os.getpid() % 2)\n") == ["pid"]


def test_id_is_flagged():
    assert kinds("def verify(r):\n    return float(id(r) % 2)\n") == ["object_id"]


def test_hash_is_flagged():
    assert kinds("def verify(r):\n    return float(hash(r) % 2)\n") == ["hash"]


@pytest.mark.parametrize("call", ["os.urandom(4)", "secrets.token_hex(4)", "uuid.uuid4().hex", "ssl.RAND_bytes(4)"])
def test_entropy_sources_are_flagged(call: str):
    source = f"import os, secrets, ssl, uuid\ndef verify(r):\n    return float(len({call}) > 0)\n"
    assert kinds(source) == ["entropy"]


def test_first_element_of_list_of_set_is_flagged():
    source = "def verify(r):\n    words = r.split()\n    return float(list(set(words))[0] == 'a')\n"
    assert kinds(source) == ["set_order"]


def test_for_loop_over_a_set_variable_is_flagged():
    source = "def verify(r):\n    s = set(r.split())\n    for w in s:\n        return float(w == 'a')\n    return 0.0\n"
    assert kinds(source) == ["set_order"]


def test_join_of_set_comprehension_is_flagged():
    assert kinds("def verify(r):\n    return float(''.join({c for c in r}) == 'ab')\n") == ["set_order"]


def test_set_pop_is_flagged():
    assert kinds("def verify(r):\n    return float(set(r).pop() == 'a')\n") == ["set_order"]


def test_set_union_iteration_is_flagged():
    source = "def verify(r):\n    a = {'x'}\n    return float([c for c in a | set(r)] == ['x'])\n"
    assert kinds(source) == ["set_order"]


def test_sorted_set_and_order_free_uses_pass():
    source = ("def verify(r):\n    s = set(r.split())\n"
              "    return float(sorted(s) == ['a'] and 'a' in s and len(set(r)) == 1 and s == {'a'})\n")
    assert kinds(source) == []


def test_name_rebound_to_sorted_list_passes():
    source = "def verify(r):\n    s = set(r.split())\n    s = sorted(s)\n    return float(list(s)[0] == 'a')\n"
    assert kinds(source) == []


def test_findings_carry_line_and_fix():
    (finding,) = find_nondeterminism("import random\n\ndef verify(r):\n    return random.random()\n")
    assert (finding.line, finding.kind) == (4, "random")
    assert "Random(42)" in finding.detail


def test_syntax_error_is_raised_not_swallowed():
    with pytest.raises(SyntaxError):
        find_nondeterminism("def verify(r)\n    return 1.0\n")


def test_order_free_reduction_over_a_set_passes():
    source = ("def verify(r):\n    s = set(r.split())\n"
              "    return float(sum(1 for w in s if w.isdigit()) == 2 and any(w == 'a' for w in s))\n")
    assert kinds(source) == []


def test_set_comprehension_over_a_set_passes():
    assert kinds("def verify(r):\n    s = set(r)\n    return float({c.lower() for c in s} == {'a'})\n") == []


def test_dict_comprehension_over_a_set_is_flagged():
    assert kinds("def verify(r):\n    return float(list({c: 1 for c in set(r)})[0] == 'a')\n") == ["set_order"]


def test_max_with_key_over_a_set_is_flagged():
    assert kinds("def verify(r):\n    xs = r.split()\n    return float(max(set(xs), key=xs.count) == 'a')\n") == [
        "set_order"]


def test_max_with_key_over_a_sorted_set_passes():
    source = "def verify(r):\n    xs = r.split()\n    return float(max(sorted(set(xs)), key=xs.count) == 'a')\n"
    assert kinds(source) == []


# Sources an adversarial review got past validation (issue 16): each is flagged where it is named.

def test_random_seed_none_is_flagged_and_does_not_count_as_seeding():
    source = "import random\ndef verify(r):\n    random.seed(None)\n    return float(random.random() < 0.5)\n"
    assert kinds(source) == ["random", "random"]


def test_random_instance_seeded_with_none_is_flagged():
    assert kinds("import random\ndef verify(r):\n    return random.Random(None).random()\n") == ["random"]


def test_numpy_global_generator_is_flagged():
    assert kinds("import numpy as np\ndef verify(r):\n    return float(np.random.rand() < 0.5)\n") == ["random"]


def test_numpy_global_generator_through_an_alias_is_flagged():
    # (the alias itself is a module handed around as a value, flagged as reflective since red-team round 38)
    assert "random" in kinds("import numpy as np\nrng = np.random\ndef verify(r):\n    return float(rng.rand() < 0.5)\n")


def test_rng_state_read_is_flagged():
    source = "import random\ndef verify(r):\n    return float(random.getstate() == random.Random(0).getstate())\n"
    assert kinds(source) == ["random"]


def test_hash_as_a_sort_key_is_flagged():
    assert kinds("def verify(r):\n    return float(sorted(r.split(), key=hash)[0] == 'a')\n") == ["hash"]


def test_an_alias_of_id_is_flagged():
    assert kinds("f = id\ndef verify(r):\n    return float(f(r) % 2)\n") == ["object_id"]


def test_object_repr_address_is_flagged():
    source = "class A:\n    pass\ndef verify(r):\n    return float('0x7' in object.__repr__(A()))\n"
    assert kinds(source) == ["object_id"]


def test_dunder_hash_is_flagged():
    assert kinds("def verify(r):\n    return float(r.__hash__() % 2)\n") == ["hash"]


def test_a_local_named_hash_is_not_the_builtin():
    source = ("import hashlib\ndef verify(r):\n    hash = hashlib.sha256(r.encode()).hexdigest()\n"
              "    return float(hash[0] == 'a')\n")
    assert kinds(source) == []


def test_kernel_uuid_file_is_flagged():
    assert kinds("def verify(r):\n    return float(open('/proc/sys/kernel/random/uuid').read() < '8')\n") == [
        "entropy"]


def test_dev_urandom_is_flagged():
    assert kinds("def verify(r):\n    return float(open('/dev/urandom', 'rb').read(1)[0] < 128)\n") == ["entropy"]


def test_proc_file_time_is_flagged():
    kinds_found = kinds("import os\ndef verify(r):\n    return float(os.stat('/proc/self').st_mtime > 1.7e9)\n")
    assert kinds_found == ["clock", "proc"]


def test_process_group_id_is_flagged():
    assert kinds("import os\ndef verify(r):\n    return float(os.getpgrp() > 40)\n") == ["pid"]


def test_a_clock_behind_an_alias_is_flagged():
    assert kinds("import time\nnow = time.time\ndef verify(r):\n    return float(now() > 0)\n") == ["clock"]


def test_secrets_imported_by_name_is_flagged():
    assert kinds("from secrets import token_hex\ndef verify(r):\n    return float(len(token_hex(2)) == 4)\n") == [
        "entropy"]


def test_dict_fromkeys_of_a_set_is_flagged():
    assert kinds("def verify(r):\n    return float(list(dict.fromkeys(set(r.split())))[0] == 'a')\n") == [
        "set_order"]


def test_set_order_through_a_helper_function_is_flagged():
    source = "def first(xs):\n    return list(xs)[0]\ndef verify(r):\n    return float(first(set(r.split())) == 'a')\n"
    assert kinds(source) == ["set_order"]


def test_a_docstring_naming_proc_is_not_flagged():
    assert kinds('def verify(r):\n    """Never reads /proc/self."""\n    return float(r == "a")\n') == []


def _shipped_verifiers() -> list[tuple[str, str, tuple[str, ...]]]:
    """(name, verifier source, the verifier libraries it is scored with) of every shipped example: the tasks, the
    recorded drafts (ours and SmolLM2's) and the retention suite (scored with IFBench's libraries as well)."""
    import ast
    import json
    import re
    from pathlib import Path

    from synth.replay import RETENTION_LIBRARIES
    from verifier.libraries import DEFAULT_LIBRARIES

    examples = Path(__file__).resolve().parents[2] / "examples"
    found = [(f"tasks:{json.loads(line)['id']}", json.loads(line)["verifier"], DEFAULT_LIBRARIES)
             for line in (examples / "tasks.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    found += [(f"retention:{n}", json.loads(line)["verifier"], (*DEFAULT_LIBRARIES, *RETENTION_LIBRARIES))
              for n, line in enumerate((examples / "retention" / "tasks.jsonl").read_text(encoding="utf-8")
                                       .splitlines()) if line.strip()]
    for drafts in ("drafts.jsonl", "smollm2/drafts.jsonl"):
        for line in (examples / drafts).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            draft = json.loads(line)
            text = draft["text"]
            block = re.search(r"```json\n(.*?)\n```", text, re.S)  # SmolLM2's drafts are bare JSON
            body = block.group(1) if block else text[text.find("{"):text.rfind("}") + 1]
            if "unseeded" not in draft.get("note", ""):  # the one draft shipped to show this very rejection
                try:
                    source = json.loads(body)["verifier"]
                    ast.parse(source)
                except (ValueError, KeyError, SyntaxError):  # drafts shipped to show a parse failure
                    continue
                found.append((f"{drafts}:{draft['key']}", source, DEFAULT_LIBRARIES))
    return found


SHIPPED = _shipped_verifiers()


@pytest.mark.parametrize("name,source,libraries", SHIPPED, ids=[n for n, _, _ in SHIPPED])
def test_every_shipped_example_passes_the_static_pass(name: str, source: str, libraries: tuple[str, ...]):
    assert kinds(source) == []


@pytest.mark.parametrize("name,source,libraries", SHIPPED, ids=[n for n, _, _ in SHIPPED])
def test_no_shipped_example_runs_the_response_in_the_verifiers_process(name: str, source: str,
                                                                       libraries: tuple[str, ...]):
    from task_bank.response_exec import find_response_exec

    assert find_response_exec(source, libraries) == ()


def test_the_shipped_examples_cover_tasks_drafts_smollm2_drafts_and_the_retention_suite():
    kinds_of = {name.split(":")[0] for name, _, _ in SHIPPED}
    assert kinds_of == {"tasks", "retention", "drafts.jsonl", "smollm2/drafts.jsonl"}


@pytest.mark.parametrize("path", sorted((Path(__file__).resolve().parents[2] / "examples" / "environments")
                                        .glob("*.py")), ids=lambda p: p.name)
def test_every_shipped_environment_passes_the_static_pass(path: Path):
    assert kinds(path.read_text(encoding="utf-8")) == []


def test_file_times_of_scandir_entries_are_a_clock():
    """rt-datebomb: a file written during the call carries the real clock, which the shifted clock does not reach."""
    source = ("import os\ndef verify(r):\n    open('f', 'w').close()\n"
              "    return 1.0 if [e.stat().st_mtime for e in os.scandir('.')][0] > 5 else 0.0\n")
    assert kinds(source) == ["clock"]


@pytest.mark.parametrize("read", ["os.stat('f').st_mtime", "os.lstat('f').st_atime_ns", "os.fstat(0).st_ctime",
                                  "pathlib.Path('f').stat().st_birthtime", "os.stat('f').st_mtime_ns",
                                  "getattr(os.stat('f'), 'st_mtime')", "os.path.getmtime('f')",
                                  "os.stat('f')[stat.ST_MTIME]", "os.stat('f')[8]", "os.stat('f')[7:]"])
def test_every_way_of_reading_a_file_time_is_a_clock(read: str):
    assert "clock" in kinds(f"import os, pathlib, stat\ndef verify(r):\n    return float({read} > 5)\n")


def test_a_file_size_is_not_a_clock():
    source = "import os\ndef verify(r):\n    return float(os.stat('f').st_size > 5 and os.stat('f')[6] > 0)\n"
    assert kinds(source) == []


def test_reading_the_resource_limits_is_flagged():
    """rt-rlimit: the CPU limit grows with the group size, so it tells validation from training."""
    source = ("import resource\ndef verify(r):\n"
              "    return 1.0 if resource.getrlimit(resource.RLIMIT_CPU)[1] > 80 else 0.0\n")
    assert kinds(source) == ["pid"]


@pytest.mark.parametrize("expression", ["sorted(S, key=len)[0]", "'%s' % (S,)", "'%s' % S", "format(S)",
                                        "tuple(map(str, S))", "'{}'.format(S)", "list(zip(range(2), S))"])
def test_set_order_reaching_text_or_ties_is_found(expression):
    """Red-team round 14: these carried a set's order (which varies with PYTHONHASHSEED) past the static pass."""
    source = f"S = {{'apple', 'pear', 'fig'}}\ndef verify(r):\n    return float(str({expression}) == r)\n"
    assert "set_order" in kinds(source)


def test_a_set_mapped_inside_an_order_free_builtin_is_fine():
    assert kinds("S = {'apple', 'pear'}\ndef verify(r):\n    return float(sum(map(len, S)) == len(r))\n") == []


@pytest.mark.parametrize("read", [
    "time.strftime('%s')", "gzip.compress(b'')", "gzip.GzipFile(fileobj=io.BytesIO(), mode='wb')",
    "email.utils.formatdate()", "email.utils.localtime()", "email.utils.make_msgid()",
    "http.cookiejar.time2isoz()", "http.cookiejar.time2netscape()", "logging.makeLogRecord({}).created",
    "sched.scheduler().timefunc()", "http.server.BaseHTTPRequestHandler.date_time_string(None)",
    "timeit.default_timer()", "asyncio.new_event_loop().time()", "tuple(os.stat('/'))[8]",
    "zipfile.ZipFile(io.BytesIO(), 'w').writestr('a', 'x')"])
def test_every_clock_read_of_the_standard_library_is_a_clock(read: str):
    """Red-team round 20: a time bomb (honest before a date, paying everything after it) read the clock through
    these; validation's clock shifts missed its window and only the static pass can see it."""
    source = ("import asyncio, email.utils, gzip, http.cookiejar, http.server, io, logging, os, sched, time, timeit, "
              f"zipfile\ndef verify(r):\n    return float(bool({read}))\n")
    assert "clock" in kinds(source)


def test_an_event_loop_bound_to_a_name_reads_the_clock_too():
    source = "import asyncio\nLOOP = asyncio.new_event_loop()\ndef verify(r):\n    return float(LOOP.time() > 5)\n"
    assert kinds(source) == ["clock"]


@pytest.mark.parametrize("use", ["st = os.stat('f')\n    return float(st[8] > 5)",
                                 "*_, m, c = os.stat('f')\n    return float(m > 5)",
                                 "return float(max(os.stat('f')) > 5)"])
def test_a_stat_result_kept_whole_is_a_clock(use: str):
    assert "clock" in kinds(f"import os\ndef verify(r):\n    {use}\n")


@pytest.mark.parametrize("read", ["time.strftime('%Y', time.gmtime(0))", "gzip.compress(b'', mtime=0)",
                                  "gzip.compress(b'', 9, 0)", "email.utils.formatdate(0)",
                                  "http.cookiejar.time2isoz(0)", "sched.scheduler(lambda: 0)",
                                  "zipfile.ZipFile(io.BytesIO(), 'w').writestr(zipfile.ZipInfo('a'), 'x')"])
def test_the_same_functions_given_a_fixed_time_are_not_clocks(read: str):
    source = (f"import email.utils, gzip, http.cookiejar, io, sched, time, zipfile\ndef verify(r):\n"
              f"    return float(bool({read}))\n")
    assert kinds(source) == []


@pytest.mark.parametrize("source", [
    "import ctypes\ndef verify(r):\n    return float(ctypes.CDLL(None).time(None) > 5)\n",
    "from ctypes import CDLL\ndef verify(r):\n    return float(CDLL(None).time(None) > 5)\n",
    "import numpy as np\ndef verify(r):\n    return float(np.ctypeslib.ctypes.CDLL(None).time(None) > 5)\n",
    "def verify(r):\n    return float(__import__('ctypes').CDLL(None).time(None) > 5)\n",
    "import importlib\ndef verify(r):\n    return float(importlib.import_module('ctypes').CDLL(None).time(None) > 5)\n"])
def test_calling_c_directly_is_flagged(source):
    """ctypes reads the real clock (and pids, addresses), which no run of validation shifts: a time bomb read through
    it was invisible to every run."""
    assert "native" in kinds(source)


def test_numpy_without_its_ctypes_bridge_is_fine():
    assert kinds("import numpy as np\ndef verify(r):\n    return float(np.array([1, 2]).sum() == len(r))\n") == []


def test_a_constant_time_comparison_is_not_entropy():
    """QA round 22: secrets.compare_digest (hmac.compare_digest) was flagged as fresh entropy."""
    assert kinds("import secrets\ndef verify(r):\n    return float(secrets.compare_digest(r, 'x'))\n") == []
    assert kinds("import secrets\ndef verify(r):\n    return float(secrets.token_hex(2) == r)\n") == ["entropy"]


@pytest.mark.parametrize("read", [
    "datetime.datetime.min.now().year", "type(datetime.datetime.min).now().year",
    "datetime.datetime(2000, 1, 1).now().year", "getattr(datetime.datetime, 'now')().year",
    "posix.fstat(0)[8]", "max(posix.fstat(0))", "time.localtime(None).tm_year", "time.ctime(None)",
    "email.utils.formatdate(None)", "gzip.compress(b'', 9, None)", "gzip.open(io.BytesIO(), 'wb')",
    "tarfile.open(fileobj=io.BytesIO(), mode='w:gz')", "zipfile.ZipInfo.from_file('x').date_time",
    "sqlite3.connect(':memory:').execute(\"select strftime('%s','now')\").fetchone()[0]",
    "time.time.__call__()", "logging.makeLogRecord({}).created", "_uuid.generate_time_safe()",
    "mailbox.MaildirMessage().get_date()", "http.cookies.SimpleCookie()",
    "zipfile.ZipFile(io.BytesIO(), 'w').open('a', 'w')"])
def test_clock_reads_that_no_varied_run_shifts_are_clocks(read: str):
    """Red-team round 21: time bombs read the clock through these (C code, the original datetime class behind
    ``datetime.min``, ``posix``), admitted 3 of 3 times and paid 16 of 16 wrong answers after their date."""
    source = ("import _uuid, datetime, email.utils, gzip, http.cookies, io, logging, mailbox, posix, sqlite3, tarfile, "
              f"time, zipfile\ndef verify(r):\n    return float(bool({read}))\n")
    assert {"clock", "entropy"} & set(kinds(source)), kinds(source)


def test_a_log_format_with_the_records_time_is_a_clock():
    source = ("import io, logging\ndef verify(r):\n    b = io.StringIO()\n"
              "    logging.basicConfig(stream=b, format='%(asctime)s %(message)s')\n    return 0.0\n")
    assert kinds(source) == ["clock"]


@pytest.mark.parametrize("source", [
    "def verify(r):\n    return float('current_date' in r.lower())\n",
    "class Event:\n    created = 3\ndef verify(r):\n    return float(Event().created == len(r))\n",
])
def test_clock_words_count_only_where_the_library_that_reads_them_is_imported(source):
    assert kinds(source) == []


@pytest.mark.parametrize("source", [
    "import logging\nclass Keep(logging.Handler):\n    def emit(self, record):\n        pass\n",
    "import logging\nSEEN = []\nlogging.getLogger('x').addFilter(lambda record: SEEN.append(vars(record)))\n",
    "import sqlite3\nNOW = sqlite3.connect(':memory:').execute(\"select strftime('%s', ?)\", ('no' + 'w',))\n",
    "import py_compile\npy_compile.compile('made.py')\n",
    "import zipfile\nwith zipfile.ZipFile('stamp.zip', 'w') as z:\n    z.write('made.txt')\n",
], ids=["log-handler", "log-filter", "sql-date-with-a-parameter", "byte-code-header", "zip-entry-of-a-file"])
def test_clock_reads_that_carried_a_time_bomb_past_the_static_pass_are_flagged(source: str):
    """Red-team round 35: each read the date where no clock name says so; with the hash seed telling a varied run
    apart (by design), only the static pass stops a bomb that reads it in run 0 and training alone."""
    assert "clock" in kinds(source + "def verify(r):\n    return 1.0\n")


@pytest.mark.parametrize("source", [
    "import logging\ndef verify(r):\n    logging.info('scored %s', r)\n    return 1.0\n",
    "import sqlite3\ndef verify(r):\n    c = sqlite3.connect(':memory:')\n"
    "    return float(c.execute(\"select date('2020-01-01', '+1 day')\").fetchone()[0] == r)\n",
    "import sqlite3\ndef verify(r):\n    c = sqlite3.connect(':memory:')\n"
    "    return float(len(c.execute('select ? as x', (r,)).fetchall()))\n",
], ids=["logging-a-message", "sql-date-arithmetic", "sql-parameter"])
def test_honest_logging_and_sql_pass(source: str):
    assert kinds(source) == []


@pytest.mark.parametrize("read", ["sys.flags.hash_randomization", "flags.optimize", "os.environ['PYTHONHASHSEED']"])
def test_reading_how_the_hash_seed_was_set_is_flagged(read: str):
    """The hash seed differs between validation's runs by design; a verifier that reads how it was set can tell the
    varied runs from run 0 and training, and keep a time bomb quiet in them alone (red-team round 35)."""
    assert "hash" in kinds(f"import os, sys\nfrom sys import flags\ndef verify(r):\n    return float(bool({read}))\n")


def test_an_honest_zip_of_fixed_dates_passes():
    source = ("import io, zipfile\ndef verify(r):\n    with open('answer.txt', 'w') as f:\n        f.write(r)\n"
              "    with zipfile.ZipFile(io.BytesIO(), 'w') as z:\n"
              "        z.writestr(zipfile.ZipInfo('a', (2020, 1, 1, 0, 0, 0)), r)\n    return 1.0\n")
    assert kinds(source) == []


@pytest.mark.parametrize("walk", [
    "import gc\ndef verify(r):\n    return float(len(gc.get_objects()) > 9)\n",
    "from gc import get_referents as g\ndef verify(r):\n    return float(bool(g(r)))\n",
    "import gc\ndef verify(r):\n    f = gc.get_referrers\n    return float(bool(f(r)))\n",
], ids=["get_objects", "imported-under-another-name", "alias"])
def test_walking_the_heap_is_flagged(walk: str):
    """The heap holds the varied runs' patches of the monotonic clocks, absent in run 0 and training: a walk of it
    tells the runs apart without naming any clock (note of session 13)."""
    assert kinds(walk) == ["reflective"]


def test_collecting_garbage_passes():
    assert kinds("import gc\ndef verify(r):\n    gc.collect()\n    gc.disable()\n    return 1.0\n") == []


@pytest.mark.parametrize(("source", "kind"), [
    ("import sys\ndef verify(r):\n    sys.setprofile(lambda *a: None)\n    return 1.0\n", "reflective"),
    ("import sys\ndef verify(r):\n    sys.settrace(None)\n    return 1.0\n", "reflective"),
    ("import threading\ndef verify(r):\n    threading.setprofile(print)\n    return 1.0\n", "reflective"),
    ("import gc\n_G = gc.get_count()[0]\ndef verify(r):\n    return float(_G > 137)\n", "reflective"),
    ("import sys\ndef verify(r):\n    return float(sys.getallocatedblocks() > 5)\n", "reflective"),
    ("import asyncio\nloop = asyncio.new_event_loop()\ndef verify(r):\n"
     "    return float(loop.call_later(0, print).when() > 3e8)\n", "clock"),
    ("import mailbox\ndef verify(r):\n    return float(mailbox.MaildirMessage()._date > 1.8e9)\n", "clock"),
    ("from mailbox import mboxMessage\ndef verify(r):\n    return float('2027' in mboxMessage().get_from())\n", "clock"),
    ("import io, tarfile\ndef verify(r):\n    return float(tarfile.TarFile(fileobj=io.BytesIO(), mode='w') is None)\n",
     "clock"),
    ("import tarfile\nT = tarfile.open('a.tar')\ndef verify(r):\n    return float(T.gettarinfo('p').mtime > 1.8e9)\n",
     "clock"),
    ("import sys\ndef verify(r):\n    return float(sys.modules.get('time').time() > 1.8e9)\n", "clock"),
    ("import sys\ndef verify(r):\n    return float(len([m for m in sys.modules.values()]) > 3)\n", "reflective"),
], ids=["setprofile", "settrace", "threading.setprofile", "gc.get_count", "getallocatedblocks", "timer-when",
        "MaildirMessage", "mboxMessage", "TarFile-writing", "gettarinfo", "sys.modules.get", "sys.modules.values"])
def test_what_red_team_round_36_read_unflagged_is_flagged(source: str, kind: str):
    """Round 36 told a varied run from training through profile hooks and the heap's counts, and read the date
    through mailbox, tarfile and a timer's ``when()``, all with no finding."""
    assert kind in kinds(source)


def test_reading_sys_modules_for_one_module_by_name_passes():
    assert kinds("import sys\ndef verify(r):\n    return float('json' in sys.modules)\n") == []


@pytest.mark.parametrize(("source", "kind"), [
    ("import sys\ndef verify(r):\n    return float(len(list(sys.path_importer_cache.items())) > 1)\n", "reflective"),
    ("import sys\nF = sys.path_importer_cache\ndef verify(r):\n    return 1.0\n", "reflective"),
    ("def verify(r, f=None):\n    return float(f._path_mtime > 1)\n", "clock"),
    ("import json, tempfile\ndef verify(r):\n"
     "    return float(json.__spec__.loader.path_stats(tempfile.mkdtemp())['mtime'] > 1)\n", "clock"),
], ids=["path_importer_cache", "path_importer_cache-kept", "_path_mtime", "path_stats"])
def test_what_red_team_round_37_read_unflagged_is_flagged(source: str, kind: str):
    """Round 37 learnt the shift from the import finders' cached directory times, and read a file's time through a
    loader, with no finding."""
    assert kind in kinds(source)


ROUND_40 = {
    "localtime-of-None-name": "import time\ndef verify(r):\n    t = None\n    return float(time.localtime(t).tm_year > 2030)\n",
    "strftime-starred": "import time\ndef verify(r):\n    return float(int(time.strftime('%s', *())) > 2e9)\n",
    "gmtime-double-starred": "import time\ndef verify(r):\n    return float(time.gmtime(**{}).tm_year > 2030)\n",
    "formatdate-of-a-get": "import email.utils\ndef verify(r):\n    t = {}.get(1)\n"
                           "    return float('2030' in email.utils.formatdate(t))\n",
    "gzip-mtime-parameter": "import gzip\ndef verify(r, m=None):\n    return float(gzip.compress(b'', mtime=m)[4] > 9)\n",
    "makeRecord": "import logging\ndef verify(r):\n"
                  "    return float(logging.root.makeRecord('n', 10, 'f', 1, 'm', None, None).__dict__['x'] > 2e9)\n",
    "record-vars-created": "import logging\ndef verify(r, rec=None):\n    return float(vars(rec)['msecs'] > 1)\n",
    "sqlite-now-joined": "import sqlite3\ndef verify(r):\n    c = sqlite3.connect(':memory:')\n"
                         "    return float(c.execute(\"select '\" + 'no' + \"w'\").fetchone()[0] > '2030')\n",
    "sqlite-date-function": "import sqlite3\ndef verify(r):\n    c = sqlite3.connect(':memory:')\n"
                            "    return float(c.execute(\"select strftime('%s','\" + r + \"')\").fetchone()[0] > 9)\n",
    "linecache-cache": "import linecache\ndef verify(r):\n    linecache.getline('m.txt', 1)\n"
                       "    return float(linecache.cache['m.txt'][1] > 2e9)\n",
    "TarFile-gzopen": "import io, tarfile\ndef verify(r):\n    b = io.BytesIO()\n"
                      "    tarfile.TarFile.gzopen('x', 'w', b).close()\n    return float(b.getvalue()[4] > 9)\n",
    "urlopen-file": "import urllib.request\ndef verify(r):\n"
                    "    return float('2030' in urllib.request.urlopen('file:///x').headers['Last-modified'])\n",
    "make_archive": "import shutil, zipfile\ndef verify(r):\n"
                    "    return float(zipfile.ZipFile(shutil.make_archive('a', 'zip', 'd')).infolist()[0].date_time[0] > 2030)\n",
    "ZipInfo-alias": "import zipfile\nZ = zipfile.ZipInfo\ndef verify(r):\n"
                     "    return float(Z.from_file('x').date_time[0] > 2030)\n",
}


@pytest.mark.parametrize("name", sorted(ROUND_40))
def test_what_red_team_round_40_read_unflagged_is_flagged(name: str):
    """Round 40 read the date past the pass through a time argument that was None in disguise, a log record made by
    ``makeRecord``, SQL's 'now' built from pieces, and the time of a file just written handed back by ``linecache``,
    ``urllib``, ``tarfile``'s ``gzopen`` and ``shutil.make_archive``: each carried a time bomb admitted 4 of 4 times."""
    assert "clock" in kinds(ROUND_40[name])


@pytest.mark.parametrize("source", [
    "import time\ndef verify(r):\n    return float(time.strftime('%Y', time.gmtime(int(r))) == '1970')\n",
    "import time\nDAY = 86400\ndef verify(r):\n    return float(time.ctime(DAY * 2 + 1.5) in r)\n",
    "import email.utils\ndef verify(r):\n    t = len(r) if r else 0\n    return float(email.utils.formatdate(t) in r)\n",
    "import gzip\ndef verify(r):\n    return float(len(gzip.compress(r.encode(), mtime=0)) > 10)\n",
])
def test_a_time_that_cannot_be_none_still_passes(source: str):
    assert kinds(source) == []


REDUCTIONS_THAT_SEE_NO_ORDER = ["any(w in r for w in S)", "sum(1 for w in S if w in r)", "sum(w in r for w in S)",
                                "any(re.search(r'\\b' + w + r'\\b', r) for w in S)", "len([w for w in S if w in r])",
                                "max(len(w) for w in S)", "sorted(w.upper() for w in S)", "sum(map(len, S))"]


@pytest.mark.parametrize("reduction", REDUCTIONS_THAT_SEE_NO_ORDER)
def test_a_pure_generator_over_a_set_handed_to_an_order_free_builtin_passes(reduction: str):
    assert kinds(f"import re\nS = {{'apple', 'pear'}}\ndef verify(r):\n    return float(bool({reduction}))\n") == []


REDUCTIONS_THAT_SEE_ORDER = {
    "a function of the verifier's called on each member": "sum(spy(w) for w in S)",
    "a function of the verifier's mapped over the members": "any(map(spy, S))",
    "a function of the verifier's in the test": "any(w for w in S if spy(w))",
    "ties broken by key in visit order": "max((w for w in S), key=len)",
    "a stable sort by key": "sorted((w for w in S), key=len)[0]",
    "floats summed in visit order": "sum(0.1 if w == 'apple' else 0.2 if w == 'pear' else 0.3 for w in S)",
    "members summed": "sum(w for w in {1.5, 'x'} if w != 'x')",
}


@pytest.mark.parametrize("reduction", REDUCTIONS_THAT_SEE_ORDER.values(), ids=REDUCTIONS_THAT_SEE_ORDER.keys())
def test_a_generator_over_a_set_whose_visit_order_shows_is_flagged(reduction: str):
    """Red-team round 58: ``sum(spy(w) for w in BANNED)`` passed, and ``spy`` recorded the visit order."""
    source = ("SEEN = []\ndef spy(w):\n    SEEN.append(w)\n    return 0\nS = {'apple', 'pear', 'plum'}\n"
              f"def verify(r):\n    value = {reduction}\n    return 1.0 if SEEN[:1] == ['apple'] else 0.5\n")
    assert "set_order" in kinds(source)


def test_an_order_free_builtin_the_verifier_redefined_gets_no_exemption():
    source = ("def sum(values):\n    return float(next(iter(values)) == 'a')\nS = {'a', 'b'}\n"
              "def verify(r):\n    return sum(w for w in S)\n")
    assert kinds(source) == ["set_order"]
