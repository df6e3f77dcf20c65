"""Server text is bounded where it enters: an API error's message, code and request id."""

from __future__ import annotations

import pytest
import respx

from bctrl_tools import BctrlAPIError
from bctrl_tools.client import BctrlClient
from bctrl_tools.text import MESSAGE_LIMIT, NAME_LIMIT
from tests.conftest import MOCK_BASE_URL
from tests.huge import ESCAPES

ID = "3f2c9a4e-8b1d-4c6e-9f0a-2d7e5b1c4a90"
KEY = "bk_live_CANARY_text_91ab"


@pytest.mark.parametrize("status", [404, 409, 500])
def test_a_huge_hostile_error_body_becomes_a_short_clean_error(
    api: respx.MockRouter, status: int
) -> None:
    said = ESCAPES + f"echo {KEY} " + "y\n" * 1_000_000  # 2 MB: under the 8 MiB body cap
    body = {"error": {"message": said, "code": ESCAPES + "c" * 10**5, "requestId": "r" * 10**5}}
    api.get(f"/v1/invocations/{ID}").respond(status, json=body)
    client = BctrlClient(api_key=KEY, base_url=MOCK_BASE_URL, max_retries=0)
    with pytest.raises(BctrlAPIError) as caught:
        client.get_invocation(ID)
    error = caught.value
    text = str(error)
    assert len(text) < MESSAGE_LIMIT + 2 * NAME_LIMIT + 400  # the server's part, capped
    assert KEY not in text  # redacted before it was cut
    for bad in ("\x1b", "\x07", "\u202e", "\n"):
        assert bad not in text
    assert error.code is not None
    assert len(error.code) <= NAME_LIMIT
    assert error.request_id is not None
    assert len(error.request_id) <= NAME_LIMIT
