"""A file a verifier writes into its scratch never shadows a module: the scratch is not on ``sys.path``.

Found by the red-team review of issue 16: ``python -c`` put the working directory first on ``sys.path``, so a
verifier that saved the response as ``colorsys.py`` ran it in its own process on ``import colorsys``.
"""

from __future__ import annotations

import pytest

from verifier import Limits, open_pool

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

SHADOW = """import os
def verify(response):
    with open('colorsys.py', 'w') as f:
        f.write(response)
    import colorsys
    return 1.0 if colorsys.__file__.startswith(os.path.dirname(os.__file__)) else 0.0
"""


def test_a_module_written_into_scratch_does_not_shadow_the_standard_one():
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=5.0, cpu_s=5.0)) as pool:
        results = pool.score(SHADOW, ["raise SystemExit('shadowed')"])
    assert [(r.outcome.value, r.score) for r in results] == [("scored", 1.0)]


def test_the_working_directory_is_not_on_the_verifiers_import_path():
    probe = "import sys\ndef verify(response):\n    return 0.0 if ('' in sys.path or '.' in sys.path) else 1.0\n"
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=5.0, cpu_s=5.0)) as pool:
        results = pool.score(probe, ["x"])
    assert [(r.outcome.value, r.score) for r in results] == [("scored", 1.0)]
