from __future__ import annotations

import pytest

from bctrl_tools import BctrlClient, BctrlConfigError, ClientSettings
from tests.unit.conftest import CANARY_KEY


def test_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BCTRL_API_KEY", "from-env")
    monkeypatch.setenv("BCTRL_BASE_URL", "https://env.example")
    settings = ClientSettings.resolve(api_key="from-arg", base_url="https://arg.example")
    assert settings.api_key.get_secret_value() == "from-arg"
    assert settings.base_url == "https://arg.example"


def test_environment_fallbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BCTRL_API_KEY", "from-env")
    monkeypatch.setenv("BCTRL_BASE_URL", "http://localhost:8787/v1/")
    monkeypatch.setenv("BCTRL_TIMEOUT", "2.5")
    monkeypatch.setenv("BCTRL_MAX_RETRIES", "4")
    settings = ClientSettings.resolve()
    assert settings.api_key.get_secret_value() == "from-env"
    assert settings.base_url == "http://localhost:8787"
    assert settings.timeout == 2.5
    assert settings.max_retries == 4


def test_defaults() -> None:
    settings = ClientSettings.resolve(api_key="k")
    assert settings.base_url == "https://api.bctrl.ai"
    assert settings.max_retries == 2
    assert settings.timeout > 0


@pytest.mark.parametrize(
    "url",
    [
        "https://api.bctrl.ai",
        "https://api.bctrl.ai/",
        "https://api.bctrl.ai/v1",
        " https://api.bctrl.ai/v1/ ",
    ],
)
def test_base_url_tolerates_trailing_slash_and_v1(url: str) -> None:
    assert ClientSettings.resolve(api_key="k", base_url=url).base_url == "https://api.bctrl.ai"


@pytest.mark.parametrize(
    "url",
    [
        "api.bctrl.ai",
        "ftp://api.bctrl.ai",
        "https://",
        "https://user:pw@api.bctrl.ai",
        "https://a.b/?x=1",
    ],
)
def test_bad_base_urls_are_refused(url: str) -> None:
    with pytest.raises(BctrlConfigError, match="BCTRL_BASE_URL"):
        ClientSettings.resolve(api_key="k", base_url=url)


@pytest.mark.parametrize("key", [None, "", "   "])
def test_a_missing_key_names_the_variable(key: str | None) -> None:
    with pytest.raises(BctrlConfigError, match="BCTRL_API_KEY"):
        BctrlClient(api_key=key)


@pytest.mark.parametrize(
    ("variable", "value", "match"),
    [
        ("BCTRL_TIMEOUT", "soon", "BCTRL_TIMEOUT"),
        ("BCTRL_TIMEOUT", "0", "greater than 0"),
        ("BCTRL_TIMEOUT", "-1", "greater than 0"),
        ("BCTRL_TIMEOUT", "nan", "greater than 0"),
        ("BCTRL_MAX_RETRIES", "two", "BCTRL_MAX_RETRIES"),
        ("BCTRL_MAX_RETRIES", "1.5", "whole number"),
        ("BCTRL_MAX_RETRIES", "-1", "whole number"),
        ("BCTRL_MAX_RETRIES", "99", "whole number"),
        ("BCTRL_MAX_RETRIES", "inf", "whole number"),
    ],
)
def test_bad_numbers_in_the_environment(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, match: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(BctrlConfigError, match=match):
        ClientSettings.resolve(api_key="k")


def test_bad_numbers_as_arguments() -> None:
    with pytest.raises(BctrlConfigError, match="timeout"):
        ClientSettings.resolve(api_key="k", timeout="fast")  # type: ignore[arg-type]
    with pytest.raises(BctrlConfigError, match="max_retries"):
        ClientSettings.resolve(api_key="k", max_retries=True)


def test_the_key_is_never_shown() -> None:
    settings = ClientSettings.resolve(api_key=CANARY_KEY)
    client = BctrlClient(settings=settings)
    for text in (
        str(settings),
        repr(settings),
        str(client),
        repr(client),
        repr(settings.model_dump()),
    ):
        assert CANARY_KEY not in text
    client.close()


@pytest.mark.parametrize(
    "url", ["http://api.bctrl.ai", "http://10.0.0.5:8080", "http://[2001:db8::1]", "http://box"]
)
def test_plain_http_to_a_remote_host_is_refused(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.delenv("BCTRL_ALLOW_INSECURE_HTTP", raising=False)
    with pytest.raises(BctrlConfigError, match=r"https://.*BCTRL_ALLOW_INSECURE_HTTP to 1"):
        BctrlClient(api_key="k", base_url=url)
    with pytest.raises(ValueError, match="clear text"):
        ClientSettings(api_key="k", base_url=url)  # built directly: the same check


@pytest.mark.parametrize(
    "url", ["http://localhost:8787", "http://127.0.0.1:9", "http://127.8.0.1", "http://[::1]:80"]
)
def test_plain_http_to_this_machine_is_allowed(url: str) -> None:
    assert ClientSettings.resolve(api_key="k", base_url=url).base_url == url


def test_plain_http_to_a_remote_host_can_be_allowed_deliberately(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BCTRL_ALLOW_INSECURE_HTTP", "1")
    assert ClientSettings.resolve(api_key="k", base_url="http://10.0.0.5").allow_insecure_http
    assert ClientSettings(api_key="k", base_url="http://10.0.0.5").base_url == "http://10.0.0.5"
    monkeypatch.setenv("BCTRL_ALLOW_INSECURE_HTTP", "maybe")
    with pytest.raises(BctrlConfigError, match="BCTRL_ALLOW_INSECURE_HTTP"):
        ClientSettings.resolve(api_key="k", base_url="http://10.0.0.5")


@pytest.mark.parametrize(
    "url",
    [
        "https://api.bctrl.ai/?token=SECRET-QS",
        "https://api.bctrl.ai/#SECRET-QS",
        "ftp://api.bctrl.ai/?token=SECRET-QS",
        "ftp://user:SECRET-QS@api.bctrl.ai",
        "http://user:SECRET-QS@10.0.0.5",
        "http://10.0.0.5/?token=SECRET-QS",
    ],
)
def test_base_url_errors_never_echo_a_query_or_credentials(url: str) -> None:
    with pytest.raises(BctrlConfigError) as refused:
        ClientSettings.resolve(api_key="k", base_url=url)
    assert "SECRET-QS" not in str(refused.value)
    assert (
        "api.bctrl.ai" in str(refused.value)
        or "credentials" in str(refused.value)
        or ("10.0.0.5" in str(refused.value))
    )


def test_the_response_size_cap_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ClientSettings.resolve(api_key="k").max_response_bytes == 8 * 1024 * 1024
    monkeypatch.setenv("BCTRL_MAX_RESPONSE_BYTES", "65536")
    assert ClientSettings.resolve(api_key="k").max_response_bytes == 65536
    for bad in ("0", "-1", "8MB", "1.5"):
        monkeypatch.setenv("BCTRL_MAX_RESPONSE_BYTES", bad)
        with pytest.raises(BctrlConfigError, match="BCTRL_MAX_RESPONSE_BYTES"):
            ClientSettings.resolve(api_key="k")
