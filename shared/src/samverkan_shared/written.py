"""Outbox records this process committed and its relay has not sent yet, kept in memory.

The relay sends what the outbox table holds, in id order. Reading every row back — key, value
and the JSON headers, decoded and encoded again — was most of the relay's work in a loaded
national council, for records this process had built a moment before. So the unit of work
hands its committed records here, by event id (unique in the outbox), and the relay reads
only the ids of the unsent rows and takes their records from here; a row it does not find
(written by another process, re-sent by an operator, evicted, or from before a restart) it
reads from the table as before. What the relay sends is the same either way: the row is
exactly ``to_kafka`` of the event, and the table stays the record of what was sent.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from samverkan_shared.envelope import KafkaRecord

__all__ = ["WrittenRecords"]


class WrittenRecords:
    """At most ``cap`` records, the oldest forgotten first (the relay then reads them)."""

    def __init__(self, cap: int = 1_000) -> None:
        # A cap, because a relay that cannot send (broker away) must not grow this forever;
        # a thousand receipts are about 1 MiB.
        self.cap = cap
        self._records: OrderedDict[str, KafkaRecord] = OrderedDict()

    def __len__(self) -> int:
        return len(self._records)

    def add(self, committed: Iterable[tuple[str, KafkaRecord]]) -> None:
        """Remember records whose rows were just committed (event id, record)."""
        records = self._records
        records.update(committed)
        while len(records) > self.cap:
            records.popitem(last=False)

    def take(self, event_id: str) -> KafkaRecord | None:
        """The record of this event, forgotten here (None: read it from the table)."""
        return self._records.pop(event_id, None)
