"""Unit-test fixtures: no sockets, bctrl mocked with respx, a clean BCTRL_* environment."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bctrl_tools import AsyncBctrlClient, BctrlClient, ClientSettings
from tests.conftest import MOCK_BASE_URL

BASE_URL = MOCK_BASE_URL
RECORDS = Path(__file__).parent.parent / "data" / "records"
CANARY_KEY = "bk_live_CANARY_7c1e4b9f2a"
INVOCATION_ID = "3f2c9a4e-8b1d-4c6e-9f0a-2d7e5b1c4a90"


def load_record(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDS / f"{name}.json").read_text())
    return data


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BCTRL_API_KEY", "BCTRL_BASE_URL", "BCTRL_TIMEOUT", "BCTRL_MAX_RETRIES"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def settings() -> ClientSettings:
    return ClientSettings(api_key=CANARY_KEY, base_url=BASE_URL, timeout=5.0)


Invoke = Callable[..., Any]


@pytest.fixture(params=["sync", "async"])
def invoke(request: pytest.FixtureRequest, settings: ClientSettings) -> Invoke:
    """Call one client method through the sync or the async client: both must behave alike."""

    def run(method: str, *args: Any, **kwargs: Any) -> Any:
        if request.param == "sync":
            with BctrlClient(settings=settings) as client:
                return getattr(client, method)(*args, **kwargs)

        async def go() -> Any:
            async with AsyncBctrlClient(settings=settings) as client:
                return await getattr(client, method)(*args, **kwargs)

        return asyncio.run(go())

    return run
