"""Planning a batch of records: which to apply now, in what order, and which must wait.

A consumer that reads many records at once applies them in one transaction. The ordering
rule of ``samverkan_shared.sequence`` still holds record by record, and this module decides
it for the whole batch without touching the database:

- each source's events on a topic are applied in sequence order. A topic has several
  partitions and the broker hands them over partition by partition, so a batch often holds
  a source's sequences out of order (``7, 9, 8``); sorted within the batch they follow
  without a gap, and nothing needs to be held;
- a sequence at or below the stream's progress is a duplicate, skipped;
- events held earlier (``held_events``) join the batch: those that now follow are applied in
  the same transaction;
- what still lies beyond a gap after sorting is held, in the same transaction;
- records without a sequence (intake topics) keep their place in the batch.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from samverkan_shared.contracts import Event
from samverkan_shared.envelope import Envelope
from samverkan_shared.sequence import Stream

__all__ = ["BatchPlan", "Decoded", "plan_batch"]


@dataclass(slots=True)
class Decoded:
    """A record that decoded, validated and verified; ``stream`` is None if unsequenced."""

    record: Any
    envelope: Envelope
    event: Event
    stream: Stream | None
    held: bool = False
    """Read back from ``held_events``, not from the broker."""

    @property
    def sequence(self) -> int:
        return self.envelope.sequence or 0


@dataclass
class BatchPlan:
    """What one transaction applies, and what is left for later."""

    apply: list[Decoded] = field(default_factory=list)
    duplicates: int = 0
    hold: list[Decoded] = field(default_factory=list)
    """Records beyond a gap, to be held (those already held stay where they are)."""
    progress: dict[Stream, int] = field(default_factory=dict)
    """Each stream's progress after this batch, where it moved."""


def plan_batch(items: list[Decoded], progress: dict[Stream, int]) -> BatchPlan:
    """Order a batch by the ordering rule, given each stream's progress before it.

    ``items`` are the batch's records in the order they came, then any held events.
    """
    plan = BatchPlan()
    groups: dict[Stream, list[Decoded]] = defaultdict(list)
    for item in items:
        if item.stream is not None:
            groups[item.stream].append(item)
    ready: dict[Stream, deque[Decoded]] = {}
    for stream, group in groups.items():
        applied = start = progress.get(stream, 0)
        queue: deque[Decoded] = deque()
        for item in sorted(group, key=lambda d: d.sequence):
            if item.sequence <= applied:
                plan.duplicates += 1
            elif item.sequence == applied + 1:
                queue.append(item)
                applied = item.sequence
            elif not item.held:
                plan.hold.append(item)
        ready[stream] = queue
        if applied > start:
            plan.progress[stream] = applied
    # Each stream's events take the places its records had in the batch, in sequence order.
    for item in items:
        if item.stream is None:
            plan.apply.append(item)
        elif ready[item.stream]:
            plan.apply.append(ready[item.stream].popleft())
    return plan
