"""Settings of one sandbox server process and the fixed identities it uses."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
DEFAULT_DB_PATH = "bctrl-sandbox.db"
MEMORY_DB_PATH = ":memory:"
DEFAULT_API_KEY = "sandbox"

# Fixed identities so that records from different runs of the sandbox look like
# they come from the same bctrl space, and seeded work shares one runtime.
SANDBOX_SPACE_ID = "5a9d0b1e-5c3b-4d7e-9f3a-000000000001"
SANDBOX_RUNTIME_ID = "5a9d0b1e-5c3b-4d7e-9f3a-000000000002"


@dataclass(frozen=True)
class SandboxConfig:
    """Everything the CLI can set; the app, store and server read from it."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    db_path: str = DEFAULT_DB_PATH
    api_key: str = DEFAULT_API_KEY
    run_seconds: float = 30.0
    cancel_grace_ms: int = 500
    seed: int = 0
    latency_ms: int = 0
    fail_rate: float = 0.0
    log_level: str = "warning"
