"""The redacting log filter: a registered key never reaches a handler, in any form."""

from __future__ import annotations

import logging

import pytest

from bctrl_tools.redaction import REDACTED, protect

KEY = "bk_live_CANARY_redaction_5e2f"


def test_records_of_every_server_text_logger_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("mcp.server.some.module", "uvicorn.error"):
        logging.getLogger(name)  # children that exist before the key: imported modules
    protect(KEY)
    bearer = f"Bearer {KEY}"
    logging.getLogger("httpx").info('HTTP Request: GET /x "HTTP/1.1 502 %s"', bearer)
    logging.getLogger("httpcore.http11").debug(
        "receive_response_headers.complete return_value=%r",
        (b"HTTP/1.1", 502, b"Bad", [(b"X-Request-Id", bearer.encode())]),
    )
    logging.getLogger("mcp.server.some.module").warning("echo %s", KEY)
    logging.getLogger("uvicorn.error").error("location https://x.test/?k=%s", KEY)
    try:
        raise RuntimeError(f"server said {bearer}")
    except RuntimeError:
        logging.getLogger("bctrl_tools").exception("failed")
    assert len(caplog.records) == 5
    assert KEY not in caplog.text
    assert caplog.text.count(REDACTED) == 5
    assert "HTTP/1.1 502" in caplog.text  # the rest of each record is kept


def test_a_record_without_the_key_is_left_alone(caplog: pytest.LogCaptureFixture) -> None:
    protect(KEY)
    caplog.set_level(logging.INFO)
    logging.getLogger("httpx").info("HTTP Request: %s %s", "GET", "https://a.test/")
    assert caplog.records[0].args == ("GET", "https://a.test/")


def test_a_child_logger_made_later_is_redacted_by_the_root_handlers() -> None:
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Collect()
    logging.root.addHandler(handler)
    try:
        protect(KEY)
        logging.getLogger("uvicorn.made.later").warning("echo %s", KEY)
    finally:
        logging.root.removeHandler(handler)
    assert records == [f"echo {REDACTED}"]
