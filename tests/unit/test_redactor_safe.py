"""No message a host may show or log has a ``name=value`` phrase a secret redactor rewrites.

Claude Code's log redactor turns ``api_key=...`` into ``api_key=[REDACTED]``, eating the
words after it. Every message that can reach a host (a tool result, a startup line) must
name settings without that shape.
"""

from __future__ import annotations

import re

import httpx
import pytest
import respx

from bctrl_tools import BctrlConfigError, BctrlError, ClientSettings
from bctrl_tools.client import BctrlClient
from bctrl_tools.guardrails import Guardrails
from tests.conftest import MOCK_BASE_URL

# A name, "=", then something: what redactors look for after key, token, secret...
NAME_VALUE = re.compile(r"[A-Za-z_]=")
ID = "3f2c9a4e-8b1d-4c6e-9f0a-2d7e5b1c4a90"


@pytest.mark.parametrize(
    ("api_key", "base_url"),
    [
        ("", None),
        ("two words", None),
        ("k", "https://user:pw@api.bctrl.ai"),
        ("k", "ftp://api.bctrl.ai"),
    ],
)
def test_configuration_errors(api_key: str, base_url: str | None) -> None:
    with pytest.raises(BctrlConfigError) as caught:
        ClientSettings.resolve(api_key, base_url, environ={})
    assert not NAME_VALUE.search(str(caught.value)), str(caught.value)


@pytest.mark.parametrize("answer", [httpx.Response(401, json={}), httpx.ReadTimeout("slow")])
def test_api_errors(api: respx.MockRouter, answer: httpx.Response | Exception) -> None:
    if isinstance(answer, Exception):
        api.get(f"/v1/invocations/{ID}").mock(side_effect=answer)
    else:
        api.get(f"/v1/invocations/{ID}").mock(return_value=answer)
    client = BctrlClient(api_key="k", base_url=MOCK_BASE_URL, max_retries=0)
    with pytest.raises(BctrlError) as caught:
        client.get_invocation(ID)
    assert not NAME_VALUE.search(str(caught.value)), str(caught.value)


@pytest.mark.parametrize(
    "environ",
    [
        {"BCTRL_MAX_RESPONSE_BYTES": "lots"},
        {"BCTRL_TIMEOUT": "soon"},
        {"BCTRL_MAX_RETRIES": "-1"},
        {"BCTRL_ALLOW_INSECURE_HTTP": "maybe"},
        {"BCTRL_BASE_URL": "http://api.example.com"},
    ],
)
def test_client_settings_from_the_environment(environ: dict[str, str]) -> None:
    with pytest.raises(BctrlConfigError) as caught:
        ClientSettings.resolve(environ={"BCTRL_API_KEY": "k", **environ})
    assert not NAME_VALUE.search(str(caught.value)), str(caught.value)


@pytest.mark.parametrize(
    "environ",
    [
        {"BCTRL_DRY_RUN": "maybe"},
        {"BCTRL_MAX_CANCELS": "many"},
        {"BCTRL_MAX_CANCELS": "5", "BCTRL_MAX_CANCELS_WINDOW": "a while"},
        {"BCTRL_MAX_CANCELS_WINDOW": "1h"},
        {"BCTRL_CONCURRENCY": "0"},
        {"BCTRL_STATE_URL": "http://cache:6379"},
    ],
)
def test_guardrails_from_the_environment(environ: dict[str, str]) -> None:
    with pytest.raises(BctrlConfigError) as caught:
        Guardrails.from_env(environ)
    assert not NAME_VALUE.search(str(caught.value)), str(caught.value)
