"""envsynth's verifier layer: sandboxed scoring and the validation of generated tasks."""

# --- sandbox and pool exports (owner: sandbox engineer) ---
from verifier.limits import Limits, RunEnv
from verifier.pool import Pool, open_pool
from verifier.sandbox.base import Backend, SandboxUnavailableError, Worker
from verifier.sandbox.registry import BackendRegistry, default_registry

__all__ = [
    "Backend", "BackendRegistry", "Limits", "Pool", "RunEnv", "SandboxUnavailableError", "Worker",
    "default_registry", "open_pool",
]
# --- end of sandbox and pool exports ---

# --- validation exports (owner: validation engineer) ---
from verifier.validate import VALIDATOR_VERSION, Validator  # noqa: E402
from verifier.validation_config import ValidationConfig  # noqa: E402

__all__ += ["VALIDATOR_VERSION", "ValidationConfig", "Validator"]
# --- end of validation exports ---
