"""Freezing start-up's objects: garbage first, the rest exempt from collection."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from samverkan_shared.heap import THRESHOLDS, collect_less_often, freeze_startup_objects


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_a_garbage_cycle_is_freed_not_frozen(unfrozen: None) -> None:
    a, b = Node(), Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    del a, b  # only the cycle keeps them alive now

    freeze_startup_objects()

    assert gone() is None


def test_live_objects_are_left_out_of_later_collections(unfrozen: None) -> None:
    kept = [Node() for _ in range(1000)]

    frozen = freeze_startup_objects()

    assert frozen >= len(kept)
    assert not any(gc.is_tracked(n) and n in gc.get_objects() for n in kept[:3])


@pytest.fixture
def default_thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_garbage_cycles_are_still_collected_less_often(default_thresholds: None) -> None:
    collect_less_often()
    gc.collect()
    alive = weakref.WeakSet[Node]()
    for _ in range(100 * THRESHOLDS[0]):  # a service's worth of batches, each leaving a cycle
        a, b = Node(), Node()
        a.other, b.other = b, a
        alive.add(a)
    del a, b
    # What the collector has not reached yet is bounded by its thresholds, not by the run.
    assert len(alive) < 2 * THRESHOLDS[0] * THRESHOLDS[1]
