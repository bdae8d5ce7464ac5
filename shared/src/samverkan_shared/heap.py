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

__all__ = ["freeze_startup_objects"]


def freeze_startup_objects() -> int:
    """Collect start-up's garbage once, then exempt every surviving object from collection.

    Returns how many objects were frozen. Collecting first matters: a cycle that is garbage
    now would otherwise be frozen too and never freed.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
