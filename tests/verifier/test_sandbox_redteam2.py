"""Second red-team review of the bwrap sandbox (issue 16): each hole found is a property here, through the real
bwrap sandbox where the finding is about the sandbox. None of these asserts on wall-clock time: a stalled or hung
trusted side shows as a later group that no longer scores honestly, or as a worker that had to be replaced.
"""

from __future__ import annotations

import pytest

from task_bank.validation import Outcome
from verifier import Limits, open_pool

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

HONEST = "def verify(response):\n    return 1.0 if response.strip() == '42' else 0.0\n"


def no_worker_lost(caplog) -> bool:
    return not [r for r in caplog.records if "worker failed" in r.getMessage()]


# A line of `"\` pairs is an unterminated JSON string full of escaped quotes: a backtracking string pattern takes
# time quadratic in its length. With the nonce in it (a verifier can read its nonce from its own memory), the line
# passes the nonce check and reaches the JSON reader's nesting scan.
STALL = '''
import fcntl, os, sys
def verify(response):
    send = sys._getframe(1).f_locals["send"]
    nonce = [c.cell_contents for c in send.__closure__ if isinstance(c.cell_contents, str)][0]
    fcntl.fcntl(3, 1031, 1 << 20)        # F_SETPIPE_SZ: the zygote reads all of it in one go
    line = b"\\n" + (nonce.encode() if WITH_NONCE else b"") + b'"\\\\' * 30000 + b"\\n"
    for _ in range(3):
        os.write(3, line)
    return 1.0
'''


@pytest.mark.parametrize("with_nonce", [True, False], ids=["with-nonce", "without-nonce"])
def test_unterminated_escaped_quotes_on_the_result_pipe_do_not_stall_the_zygote(with_nonce, caplog):
    source = f"WITH_NONCE = {with_nonce}\n" + STALL
    with caplog.at_level("WARNING", logger="verifier.pool"), \
            open_pool("bwrap", workers=1, limits=Limits(wall_s=1.0, cpu_s=1.0)) as pool:
        hostile = pool.score(source, ["x", "y"])
        honest = pool.score(HONEST, ["42", "41"])
    assert [(r.outcome, r.score) for r in hostile] == [(Outcome.SCORED, 1.0)] * 2
    assert [(r.outcome, r.score) for r in honest] == [(Outcome.SCORED, 1.0), (Outcome.SCORED, 0.0)]
    assert no_worker_lost(caplog)
