"""The list result's bounds, by property: whatever the run holds, every view fits and
every listed id is named."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bctrl_tools.models import Invocation
from bctrl_tools.run_report import VIEW_LIMIT, InvocationList, RunListing
from bctrl_tools.runaway import RunawayRules, Vitals
from tests.unit.runs import NOW, record_data

texts = st.one_of(st.text(max_size=30), st.text(min_size=500, max_size=3000))
ids = st.one_of(st.uuids().map(str), st.text("abcdef0123456789-", min_size=1, max_size=64))


@st.composite
def runs(draw: st.DrawFn) -> list[Invocation]:
    n = draw(st.integers(0, 500))
    call = draw(texts)
    status = draw(st.sampled_from(["queued", "running", "cancelling", "succeeded", "paused"]))
    id_list = draw(st.lists(ids, min_size=n, max_size=n, unique=True))
    return [
        Invocation.model_validate(
            record_data(
                status,
                invocation_id=invocation_id,
                started_ago=index * 7,
                heartbeat_ago=index,
                entryCall=call,
                progress={"step": index, "totalSteps": 10**6, "currentCall": call},
            )
        )
        for index, invocation_id in enumerate(id_list)
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    invocations=runs(),
    rules=st.builds(
        RunawayRules,
        st.none() | st.floats(0, 5000),
        st.none() | st.floats(0, 500),
        st.none() | st.integers(0, 600),
    ),
    allowed=st.none() | st.just(frozenset({"elsewhere"})),
)
def test_every_view_fits_and_every_selected_id_is_named(
    invocations: list[Invocation], rules: RunawayRules, allowed: frozenset[str] | None
) -> None:
    listing = RunListing("run", invocations, more=True, skipped=3)
    result = InvocationList.of(
        listing, rules, now=NOW, self_id=invocations[0].id if invocations else None,
        allowed_spaces=allowed,
    )  # fmt: skip
    structured = json.dumps(result.model_dump(mode="json"), separators=(",", ":"))
    assert len(structured) <= VIEW_LIMIT
    assert len(result.message) <= VIEW_LIMIT
    selected = [i.id for i in invocations if rules.selects(Vitals.of(i, NOW))]
    named = [item.id for item in result.items] + result.other_ids
    assert sorted(named) == sorted(selected)
    assert sum(result.counts.values()) == len(selected)
    assert result.message.startswith("Run run: ")


def test_its_own_invocation_is_found_whatever_the_case_of_its_id() -> None:
    mine = Invocation.model_validate(
        record_data(invocation_id="3f2c9a4e-8b1d-4c6e-9f0a-2d7e5b1c4a90")
    )
    listing = RunListing("run", [mine])
    result = InvocationList.of(
        listing, RunawayRules(), now=NOW, self_id=mine.id.upper(), allowed_spaces=None
    )
    assert result.items[0].is_self
