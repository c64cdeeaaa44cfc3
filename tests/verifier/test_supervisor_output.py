"""What the zygote's supervisor quotes when a verifier process ends without a result: its own output, and under
``isolate_responses`` none of an earlier response's. A stand-in for the verifier process (a forked child writing
frames) drives the real ``supervise``; no sandbox."""

from __future__ import annotations

import json
import os
import signal
import time

from verifier.sandbox.zygote.frames import describe_status
from verifier.sandbox.zygote.supervisor import supervise

NONCE = "n" * 32


class ScriptedRun:
    """A process that reports as a verifier process does: loaded, then response 0 scored after writing ``said`` to
    its output, then it exits with status 3 while on response 1."""

    def __init__(self, said: bytes) -> None:
        self.r_res, w_res = os.pipe()
        self.r_out, w_out = os.pipe()
        self.w_req, self.pending, self.buffer = os.open(os.devnull, os.O_WRONLY), bytearray(), b""
        self.output, self.output_total, self.status = bytearray(), 0, None
        self.pid = os.fork()
        if self.pid == 0:
            frame = lambda **fields: os.write(w_res, (json.dumps({**fields, "n": NONCE}) + "\n").encode())
            frame(k="loaded")
            os.write(w_out, said)
            time.sleep(0.1)  # the output arrives before the score, as a process's own writes do
            frame(k="val", i=0, t="float", v=1.0)
            time.sleep(0.2)
            os._exit(3)
        os.close(w_res)
        os.close(w_out)
        for fd in (self.r_res, self.r_out):
            os.set_blocking(fd, False)
        self.pidfd = os.pidfd_open(self.pid)

    def feed(self, value: object) -> None:
        pass

    def offer(self, response: str) -> None:
        pass

    def ran(self) -> bool:
        return False

    def results(self) -> str | None:
        return None

    def flush(self) -> None:
        pass

    def frames(self, data: bytes) -> list[dict]:
        self.buffer += data
        *lines, self.buffer = self.buffer.split(b"\n")
        return [json.loads(line) for line in lines if line]

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass

    def poll_exit(self) -> bool:
        return self.status is not None

    def exit_outcome(self) -> tuple[str, str]:
        if self.status is None:
            self.status = os.waitpid(self.pid, 0)[1]
        return describe_status(self.status)

    def close(self) -> None:
        for fd in (self.r_res, self.r_out, self.w_req, self.pidfd):
            os.close(fd)


def crash_detail(isolate_responses: bool) -> str:
    limits = {"wall_s": 5.0, "cpu_s": 5.0, "output_kb": 64, "isolate_responses": isolate_responses}
    request = {"responses": ["first", "second"], "limits": limits}
    results: list[dict | None] = [None, None]
    run = ScriptedRun(b"the first response's answer: 42\n")
    try:
        assert supervise(run, request, results, 0) == 2
    finally:
        run.close()
    assert results[0]["outcome"] == "scored"
    assert results[1]["outcome"] == "crashed" and "exited with status 3" in results[1]["detail"]
    return results[1]["detail"]


def test_an_isolated_response_crash_quotes_no_earlier_responses_output():
    assert "42" not in crash_detail(isolate_responses=True)


def test_a_shared_verifier_process_crash_quotes_its_own_output():
    assert "the first response's answer: 42" in crash_detail(isolate_responses=False)
