"""A verifier library's name for a standard-library function is read as that function, from the library's source
(verifier/library_names.py; red-team round 39 left ``nltk.parse.earleychart.perf_counter`` unread)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from verifier.library_names import stdlib_binding
from verifier.static_determinism import find_nondeterminism


@pytest.fixture()
def library(tmp_path):
    """A package ``fakelib`` on a path of its own, binding standard-library names in the ways libraries do."""
    root = tmp_path / "fakelib"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("from fakelib.clocks import stamp as now\n")
    (root / "clocks.py").write_text(textwrap.dedent("""\
        import os
        import time as _t
        import email.utils
        from random import shuffle, choice as pick
        from datetime import *
        try:
            from time import perf_counter
        except ImportError:
            perf_counter = None
        stamp = _t.time
        mine = pick


        def choice(xs):
            return xs[0]
        """))
    (root / "sub" / "__init__.py").write_text("")
    (root / "sub" / "deeper.py").write_text("from ..clocks import perf_counter as tick\nfrom . import other\n")
    (root / "sub" / "other.py").write_text("from time import monotonic\n")
    return [str(tmp_path)]


@pytest.mark.parametrize(("written", "meant"), [
    ("fakelib.clocks.perf_counter", "time.perf_counter"),      # from ... import, inside a try block
    ("fakelib.clocks._t.time", "time.time"),                   # import ... as a name of its own choosing
    ("fakelib.clocks.stamp", "time.time"),                     # an assignment of an imported name
    ("fakelib.clocks.shuffle", "random.shuffle"),
    ("fakelib.clocks.pick", "random.choice"),                  # from ... import ... as
    ("fakelib.clocks.mine", "random.choice"),
    ("fakelib.clocks.datetime.now", "datetime.datetime.now"),  # from ... import *
    ("fakelib.clocks.email.utils.formatdate", "email.utils.formatdate"),
    ("fakelib.now", "time.time"),                              # a re-export of a re-export
    ("fakelib.sub.deeper.tick", "time.perf_counter"),          # a relative import
    ("fakelib.sub.deeper.other.monotonic", "time.monotonic"),  # through a submodule bound by a relative import
])
def test_a_name_a_library_binds_to_a_standard_one_is_read_as_it(library, written, meant):
    assert stdlib_binding(written.split("."), path=library) == meant


@pytest.mark.parametrize("written", ["fakelib.clocks.choice",  # the library's own function, defined after
                                     "fakelib.clocks.nosuch", "fakelib.sub", "nolib.time.time"])
def test_a_name_the_library_defines_or_lacks_is_not_rewritten(library, written):
    assert stdlib_binding(written.split("."), path=library) is None


def test_reading_a_library_never_imports_it(library):
    code = ("import sys\nfrom verifier.library_names import stdlib_binding\n"
            f"print(stdlib_binding(['fakelib', 'clocks', 'perf_counter'], path={library!r}), 'fakelib' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["time.perf_counter", "False"]


@pytest.mark.parametrize(("imports", "read", "kind"), [
    ("from nltk.parse import earleychart", "earleychart.perf_counter() > 5", "clock"),
    ("import nltk.parse.featurechart", "nltk.parse.featurechart.perf_counter() > 5", "clock"),
    ("from nltk.metrics import scores", "scores.shuffle(xs) is None", "random"),
])
def test_the_static_pass_flags_a_standard_function_a_verifier_library_reexports(imports, read, kind):
    pytest.importorskip("nltk")
    source = (f"{imports}\n\n\ndef verify(response: str) -> float:\n    xs = [1, 2]\n"
              f"    return 1.0 if {read} else 0.0\n")
    assert kind in {f.kind for f in find_nondeterminism(source)}
