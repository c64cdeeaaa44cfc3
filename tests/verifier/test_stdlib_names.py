"""A standard-library name is read as what it is: ``logging.os.getpid`` is ``os.getpid``
(verifier/stdlib_names.py, red-team round 32)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from verifier.static_determinism import find_nondeterminism
from verifier.stdlib_names import canonical, real_name

KNOWN = frozenset({"os.getpid", "time.time", "time.monotonic"})


@pytest.mark.parametrize(("written", "meant"), [
    ("logging.os.getpid", "os.getpid"),
    ("email.utils.time.time", "time.time"),
    ("tempfile._os.getpid", "os.getpid"),
    ("threading._time", "time.monotonic"),
    ("posix.getpid", "os.getpid"),
])
def test_a_name_held_under_another_module_is_read_as_the_original(written, meant):
    assert real_name(written, KNOWN) == meant


@pytest.mark.parametrize("name", ["random.random", "json.loads", "re.fullmatch", "os.path.join", "nosuch.module.x",
                                  "logging.nosuchattr"])
def test_other_names_keep_the_name_they_were_written_with(name):
    assert real_name(name, KNOWN) == name


def test_posix_and_posixpath_are_os_and_os_path():
    assert (canonical("posix.getpid"), canonical("posixpath.getmtime"), canonical("posixly")) == (
        "os.getpid", "os.path.getmtime", "posixly")


def test_modules_whose_import_does_something_are_never_imported():
    code = ("import sys\nfrom verifier.stdlib_names import real_name\n"
            "real_name('antigravity.geohash', frozenset()); real_name('this.s', frozenset())\n"
            "print('antigravity' in sys.modules, 'this' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False False"


@pytest.mark.parametrize("read", ["logging.os.getpid() > 1e6", "email.utils.time.time() > 5",
                                  "tempfile._os.getpid() > 1e6", "threading._time() > 5"])
def test_the_static_pass_flags_a_clock_or_pid_another_module_holds(read):
    module = read.split(".")[0]
    if module == "email":
        module = "email.utils"
    source = f"import {module}\n\n\ndef verify(response: str) -> float:\n    return 1.0 if {read} else 0.0\n"
    assert {f.kind for f in find_nondeterminism(source)} & {"clock", "pid"}


@pytest.mark.parametrize(("written", "meant"), [
    ("envsynth_sandbox.time.time", "time.time"),
    ("envsynth_sandbox.os.times", "os.times"),
    ("langdetect.detector.random.random", "random.random"),
    ("nltk.util._time.time", "time.time"),
])
def test_a_standard_module_held_by_a_library_or_the_sandbox_module_is_read_as_itself(written, meant):
    """Red-team round 38: ``envsynth_sandbox`` imports ``time`` and ``os``, and ``envsynth_sandbox.time.time()`` with
    ``.os.times()`` gave the real date past every rule (a time bomb admitted 4 of 4, paying 16 of 16)."""
    assert real_name(written, KNOWN) == meant


@pytest.mark.parametrize("name", ["envsynth_sandbox.run_response", "envsynth_sandbox.plain", "langdetect.detect",
                                  "if_verifiable.ifeval.instructions.CommaChecker", "regex.compile"])
def test_a_library_name_that_holds_no_standard_module_keeps_its_name(name):
    assert real_name(name, KNOWN) == name


@pytest.mark.parametrize("source", [
    "import envsynth_sandbox as sb\n\n\ndef verify(response):\n    return 1.0 if sb.time.time() > 5 else 0.0\n",
    "from envsynth_sandbox import time\n\n\ndef verify(response):\n    return 1.0 if time.monotonic() > 5 else 0.0\n",
    "import envsynth_sandbox\nCLOCKS = envsynth_sandbox.time\n\n\ndef verify(response):\n"
    "    return 1.0 if CLOCKS.time() > 5 else 0.0\n",
    "import email.utils\n\n\ndef verify(response):\n    c = email.utils.time\n    return 1.0 if c.time() > 5 else 0.0\n",
])
def test_the_static_pass_flags_the_clock_of_a_module_the_sandbox_module_holds(source):
    assert {f.kind for f in find_nondeterminism(source)} & {"clock", "reflective"}


@pytest.mark.parametrize(("written", "meant"), [
    ("six.moves.http_cookiejar.time2isoz", "http.cookiejar.time2isoz"),
    ("six.moves.urllib.parse.urlparse", "urllib.parse.urlparse"),
    ("six.moves.range", "builtins.range"),
])
def test_a_six_moves_name_is_read_as_the_standard_name_it_stands_for(written, meant):
    """Red-team round 39: ``six.moves.http_cookiejar.time2isoz()`` read the clock past every rule (a bomb admitted
    4 of 4)."""
    pytest.importorskip("six")
    assert real_name(written, KNOWN) == meant


COOKIE = "http.cookiejar.Cookie(0, 'a', 'b', None, False, 'd', False, False, '/', False, False, 5, False, None, None, {})"


@pytest.mark.parametrize(("imports", "read"), [
    ("http.cookiejar", f"{COOKIE}.is_expired()"),
    ("xmlrpc.client", "str(xmlrpc.client.DateTime()) > '2027'"),
    ("wsgiref.handlers", "wsgiref.handlers.SimpleHandler(None, None, None, {})"),
    ("mailbox", "mailbox.mbox('box')"),
    ("sched", "sched.scheduler()"),
    ("email.message", "'2027' in email.message.Message().as_string(unixfrom=True)"),
    ("email.message", "'2027' in email.message.Message().as_bytes(True).decode()"),
])
def test_the_static_pass_flags_standard_modules_that_stamp_what_they_make_with_the_time(imports, read):
    """Red-team round 39: a time bomb that paid only within a window of one day three days ahead read the clock
    through ``Cookie(...).is_expired()``, which no rule knew; run 1's drawn shift lands in such a window about 2% of
    the time, and it was admitted 4 of 4 times."""
    source = f"import {imports}\n\n\ndef verify(response):\n    return 1.0 if {read} else 0.0\n"
    assert "clock" in {f.kind for f in find_nondeterminism(source)}


def test_an_email_written_without_a_unix_from_line_passes():
    source = ("import email\n\n\ndef verify(response):\n"
              "    return 1.0 if email.message_from_string(response).as_string(unixfrom=False) else 0.0\n")
    assert find_nondeterminism(source) == ()
