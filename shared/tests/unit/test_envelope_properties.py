"""Property: whatever valid escalation a region sends, the wire format gives it back intact."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from samverkan_shared.contracts import IssueEscalated, Urgency
from samverkan_shared.envelope import Envelope, decode_event, from_kafka, region_source, to_kafka
from samverkan_shared.registry import load_areas, load_regions


def _text(max_size: int) -> st.SearchStrategy[str]:
    """Any valid text up to the contract's limit (a title is ShortText: 200 at most)."""
    return st.text(
        alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=max_size
    ).filter(lambda s: s.strip() == s and s)


short, text = _text(200), _text(300)

escalations = st.builds(
    IssueEscalated,
    issue_id=st.uuids(),
    region=st.sampled_from([r.code for r in load_regions()]),
    title=short,
    summary=text,
    areas=st.lists(st.sampled_from([a.code for a in load_areas()]), min_size=1, max_size=6),
    reason_not_regional=text,
    measures_tried=st.just("") | text,
    urgency=st.sampled_from(list(Urgency)),
    affected_actor_types=st.lists(
        st.sampled_from(["regions", "municipalities", "universities"]), max_size=3
    ),
    requested_outcome=text,
    escalated_at=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
)


@settings(max_examples=200, deadline=None)
@given(event=escalations, sequence=st.integers(min_value=1, max_value=2**53))
def test_round_trip_through_kafka_headers(event: IssueEscalated, sequence: int) -> None:
    env = Envelope.wrap(event, region_source(event.region)).with_sequence(sequence)
    record = to_kafka(env)
    back = from_kafka(record.key, record.value, record.headers)
    assert back.sequence == sequence
    assert back.partitionkey == str(event.issue_id)
    assert decode_event(back) == event
