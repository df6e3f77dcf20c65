"""Every enum a user prints shows its value, as the JSON and every face do."""

from __future__ import annotations

from enum import Enum

import pytest

from bctrl_tools.models import InvocationStatus
from bctrl_tools.outcomes import Outcome

MEMBERS: list[Enum] = [*Outcome, *InvocationStatus]


@pytest.mark.parametrize("member", MEMBERS, ids=str)
def test_an_enum_prints_as_its_value(member: Enum) -> None:
    assert str(member) == member.value
    assert f"{member}" == member.value
    assert f"{member:>1}" == member.value


def test_an_unknown_status_prints_as_sent() -> None:
    assert str(InvocationStatus("paused")) == "paused"
