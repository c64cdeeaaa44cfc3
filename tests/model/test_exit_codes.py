"""One error class means one exit code, whichever command raised it."""

from __future__ import annotations

import pytest

from task_bank.errors import (BackendError, ConfigError, EnvsynthError, InputError, LockedError, NotFoundError,
                              SandboxError, SchemaVersionError)
from task_bank.exit_codes import exit_code


@pytest.mark.parametrize("exc, code", [
    (InputError("bad line"), 2), (ConfigError("bad field"), 2), (BackendError("down"), 3), (SandboxError("gone"), 4),
    (NotFoundError("t_1"), 5), (SchemaVersionError("newer"), 5), (LockedError("held"), 75),
    (KeyboardInterrupt(), 130), (EnvsynthError("other"), 1)])
def test_each_error_class_has_its_exit_code(exc, code):
    assert exit_code(exc) == code
