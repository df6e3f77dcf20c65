"""Keeping the API key out of every log record, ours and our libraries'.

A misbehaving server or proxy may echo the ``Authorization`` header back: in a reason
phrase (which httpx logs at INFO), in headers (which httpcore logs at DEBUG), in a
body. :func:`protect` registers a client's key with one :class:`RedactingFilter` and
installs that filter on every logger that can carry server text, so a record holding
the key is rewritten before any handler sees it.

A filter on a logger sees only records logged to that logger by name, not its
children's, so it is installed on each existing descendant too, every time a key is
registered, and on the root logger's handlers, which see every record that propagates
whatever its logger (so also those of a child logger created after the client).
"""

from __future__ import annotations

import logging
import threading
from urllib.parse import quote

__all__ = [
    "MIN_SECRET_LENGTH",
    "REDACTED",
    "SERVER_TEXT_LOGGERS",
    "RedactingFilter",
    "protect",
    "redact",
]

REDACTED = "[redacted]"
# Shorter than any real key: a test key such as "k" would turn every "k" in every log
# line into REDACTED, destroying the logs without protecting anything.
MIN_SECRET_LENGTH = 8
# The loggers that can carry text a server sent: our own, and those of the libraries
# that log responses (httpx, httpcore) or serve requests (mcp, uvicorn).
SERVER_TEXT_LOGGERS = ("bctrl_tools", "httpx", "httpcore", "mcp", "uvicorn")


class RedactingFilter(logging.Filter):
    """Replaces every registered secret, in any of its printed forms, in each record."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: tuple[str, ...] = ()  # replaced whole, so readers need no lock
        self._lock = threading.Lock()

    def add(self, secret: str) -> None:
        if len(secret) < MIN_SECRET_LENGTH:
            return
        # The forms a key takes when a record shows it as a str or bytes repr, or in a URL.
        forms = {secret, repr(secret)[1:-1], repr(secret.encode())[2:-1], quote(secret, safe="")}
        with self._lock:
            known = set(self._secrets) | forms
            self._secrets = tuple(sorted(known, key=len, reverse=True))  # longest first

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: let logging report it as it would
            return True
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            # Formatted here, so that handlers show the redacted text they find cached.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


FILTER = RedactingFilter()


def redact(text: str) -> str:
    """``text`` with every registered secret replaced."""
    return FILTER.redact(text)


def protect(secret: str) -> None:
    """Keep ``secret`` out of every record of the loggers that can carry server text."""
    FILTER.add(secret)
    for logger in _server_text_loggers():
        logger.addFilter(FILTER)  # a no-op when it is there already
    for handler in logging.root.handlers:
        handler.addFilter(FILTER)


def _server_text_loggers() -> list[logging.Logger]:
    loggers = [logging.getLogger(name) for name in SERVER_TEXT_LOGGERS]
    prefixes = tuple(f"{name}." for name in SERVER_TEXT_LOGGERS)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if name.startswith(prefixes) and isinstance(logger, logging.Logger):
            loggers.append(logger)
    return loggers
