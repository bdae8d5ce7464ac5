"""The garbage collector's view of a started service: what start-up built is left alone.

A started service holds ~190,000 objects that live as long as the process: modules,
SQLAlchemy tables and compiled statements, FastAPI routes, pydantic schemas. CPython's
oldest-generation collection walks all of them each time, and a busy consumer allocates
enough to trigger one every second or so: measured with ``gc.callbacks`` while the national
council applied 10,000 queued escalations, 12 such collections took 1.56 s of its ~10 s of
CPU. Frozen after start-up they took 0.31 s. Nothing of that generation is ever garbage
while the process lives, so freezing it loses nothing.
"""

from __future__ import annotations

import gc

__all__ = ["THRESHOLDS", "collect_less_often", "freeze_startup_objects"]

THRESHOLDS = (5_000, 10, 100)
"""The collector's thresholds in a started service (CPython's are 700, 10, 10).

A batch of 250 events allocates tens of thousands of objects that all die when it is done,
mostly by reference counting. At 700 the youngest generation was collected ~100 times a
second in a loaded national council, promoting a live batch's objects on the way, and the
oldest was walked every second or so: 0.74-0.89 s of collection while it applied 20,000
queued escalations (``gc.callbacks``, two runs, start-up included). At these thresholds
0.54-0.66 s, with 4 full collections instead of 13-14, all of them during start-up (before
these are set), and the same peak RSS, 143-145 MiB (README, tenth round).
"""


def freeze_startup_objects() -> int:
    """Collect start-up's garbage once, then exempt every surviving object from collection.

    Returns how many objects were frozen. Collecting first matters: a cycle that is garbage
    now would otherwise be frozen too and never freed.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def collect_less_often() -> None:
    """Set ``THRESHOLDS``: cyclic garbage is still collected, in fewer, larger passes."""
    gc.set_threshold(*THRESHOLDS)
