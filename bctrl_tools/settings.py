"""Client settings: constructor arguments first, then ``BCTRL_*`` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from bctrl_tools._env import env_flag
from bctrl_tools._hosts import is_loopback
from bctrl_tools.errors import BctrlConfigError

__all__ = ["DEFAULT_BASE_URL", "ClientSettings"]

DEFAULT_BASE_URL = "https://api.bctrl.ai"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 2
MAX_RETRIES_LIMIT = 10
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024
INSECURE_HTTP_VARIABLE = "BCTRL_ALLOW_INSECURE_HTTP"


class ClientSettings(BaseModel):
    """Everything a client needs to reach bctrl. The key is a ``SecretStr``: never shown."""

    # Inputs stay out of validation errors: they could be a key or a URL with credentials.
    model_config = ConfigDict(frozen=True, defer_build=True, hide_input_in_errors=True)

    api_key: SecretStr
    base_url: str = DEFAULT_BASE_URL
    timeout: float = Field(default=DEFAULT_TIMEOUT, gt=0, allow_inf_nan=False)
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0, le=MAX_RETRIES_LIMIT)
    # Longest server-requested Retry-After we sleep through; beyond it the error is
    # raised at once with the wait in it, so a tool call never hangs for minutes.
    max_retry_after: float = Field(default=20.0, ge=0)
    backoff_base: float = Field(default=0.5, ge=0)
    backoff_max: float = Field(default=8.0, ge=0)
    # Largest response body read, counted after decompression (BCTRL_MAX_RESPONSE_BYTES).
    max_response_bytes: int = Field(default=DEFAULT_MAX_RESPONSE_BYTES, ge=1)
    # Sending the key in clear text to a remote host is a choice, never a default.
    allow_insecure_http: bool = Field(
        default_factory=lambda: env_flag(os.environ, INSECURE_HTTP_VARIABLE)
    )

    # The same checks hold for settings built directly as for resolve()'s.
    @field_validator("api_key")
    @classmethod
    def _usable_key(cls, key: SecretStr) -> SecretStr:
        _check_key(key.get_secret_value())
        return key

    @field_validator("base_url")
    @classmethod
    def _api_root(cls, url: str) -> str:
        return normalize_base_url(url)

    @model_validator(mode="after")
    def _no_clear_text_key(self) -> ClientSettings:
        check_transport_security(self.base_url, self.allow_insecure_http)
        return self

    @classmethod
    def resolve(
        cls,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        *,
        environ: Mapping[str, str] | None = None,
    ) -> ClientSettings:
        """Build settings from arguments, falling back to the environment."""
        env = os.environ if environ is None else environ
        url = normalize_base_url(base_url or env.get("BCTRL_BASE_URL") or DEFAULT_BASE_URL)
        insecure = env_flag(env, INSECURE_HTTP_VARIABLE)
        check_transport_security(url, insecure)  # raised here, not wrapped by pydantic
        return cls(
            api_key=_api_key(api_key, env),
            base_url=url,
            timeout=_timeout(timeout, env.get("BCTRL_TIMEOUT")),
            max_retries=_max_retries(max_retries, env.get("BCTRL_MAX_RETRIES")),
            max_response_bytes=_max_response_bytes(env.get("BCTRL_MAX_RESPONSE_BYTES")),
            allow_insecure_http=insecure,
        )


def normalize_base_url(url: str) -> str:
    """``https://api.bctrl.ai/``, ``.../v1`` and ``.../v1/`` all mean the API root."""
    cleaned = url.strip().rstrip("/")
    if cleaned.endswith("/v1"):
        cleaned = cleaned[: -len("/v1")]
    parts = urlsplit(cleaned)
    authority = cleaned.split("//", 1)[-1].split("/", 1)[0]
    if "@" in authority:
        # Not echoed: the part before "@" is a credential.
        raise BctrlConfigError(
            "Invalid bctrl base URL: it carries credentials. Set BCTRL_BASE_URL (or the base_url "
            "argument) to the plain API root and pass the key in BCTRL_API_KEY (or the api_key "
            "argument)."
        )
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise BctrlConfigError(
            f"Invalid bctrl base URL {_shown(cleaned)}: expected an http(s) URL such as "
            f"{DEFAULT_BASE_URL} (set BCTRL_BASE_URL, or the base_url argument)."
        )
    if parts.query or parts.fragment:
        # Not echoed: a query string may carry a token.
        raise BctrlConfigError(
            f"Invalid bctrl base URL {_shown(cleaned)}: it must not carry a query or a "
            "fragment (set BCTRL_BASE_URL, or the base_url argument)."
        )
    return cleaned


def check_transport_security(base_url: str, allow_insecure_http: bool) -> None:
    """Refuse sending the key over plain http to anything but this machine."""
    parts = urlsplit(base_url)
    if parts.scheme != "http" or allow_insecure_http or is_loopback(parts.hostname or ""):
        return
    raise BctrlConfigError(
        f"Refusing the bctrl base URL {_shown(base_url)}: plain http to a remote host would "
        "send the API key in clear text. Use https:// (in BCTRL_BASE_URL, or the base_url "
        f"argument), or set {INSECURE_HTTP_VARIABLE} to 1 if this network is trusted."
    )


def _shown(url: str) -> str:
    """The URL as safe to print: scheme, host, port and path, never userinfo or query."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return repr(f"{parts.scheme}://{host}{parts.path}" if parts.scheme else parts.path[:80])


def _api_key(value: str | SecretStr | None, env: Mapping[str, str]) -> SecretStr:
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    key = (value or env.get("BCTRL_API_KEY") or "").strip()
    _check_key(key)
    return SecretStr(key)


def _check_key(key: str) -> None:
    if not key:
        raise BctrlConfigError(
            "No bctrl API key: set the BCTRL_API_KEY environment variable "
            "or pass the api_key argument to the client."
        )
    if not (key.isascii() and key.isprintable()) or any(c.isspace() for c in key):
        # Never echoed; an HTTP library would otherwise print it back in its own error.
        raise BctrlConfigError(
            "The bctrl API key holds a space, line break or non-ASCII character, which an "
            "HTTP header cannot carry: check BCTRL_API_KEY (or the api_key argument) for a "
            "stray character."
        )


def _timeout(value: float | None, raw: str | None) -> float:
    if value is None and raw is None:
        return DEFAULT_TIMEOUT
    number = _number(value, raw, "timeout", "BCTRL_TIMEOUT")
    if not number > 0 or number == float("inf"):
        raise BctrlConfigError(
            f"Invalid timeout {number!r}: it must be a finite number of seconds greater "
            "than 0 (BCTRL_TIMEOUT, or the timeout argument)."
        )
    return number


def _max_retries(value: int | None, raw: str | None) -> int:
    if value is None and raw is None:
        return DEFAULT_MAX_RETRIES
    number = _number(value, raw, "max_retries", "BCTRL_MAX_RETRIES")
    if not 0 <= number <= MAX_RETRIES_LIMIT or number != int(number):
        raise BctrlConfigError(
            f"Invalid max_retries {number!r}: it must be a whole number from 0 to "
            f"{MAX_RETRIES_LIMIT} (BCTRL_MAX_RETRIES, or the max_retries argument)."
        )
    return int(number)


def _max_response_bytes(raw: str | None) -> int:
    if raw is None or not raw.strip():
        return DEFAULT_MAX_RESPONSE_BYTES
    if not raw.strip().isdigit() or int(raw) < 1:
        raise BctrlConfigError(
            f"Invalid BCTRL_MAX_RESPONSE_BYTES {raw!r}: expected a whole number of bytes "
            f"greater than 0 (default {DEFAULT_MAX_RESPONSE_BYTES})."
        )
    return int(raw)


def _number(value: float | None, raw: str | None, argument: str, variable: str) -> float:
    if value is not None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BctrlConfigError(f"Invalid {argument} {value!r}: expected a number.")
        return float(value)
    try:
        return float(str(raw).strip())
    except ValueError:
        raise BctrlConfigError(f"Invalid {variable} {raw!r}: expected a number.") from None
