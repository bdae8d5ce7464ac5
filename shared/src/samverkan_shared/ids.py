"""New random ids: RFC 4122 version-4 UUIDs as the text every table and envelope stores.

``str(uuid4())`` asks the kernel for 16 random bytes (a ``getrandom`` call) and builds a
``UUID`` object (its ``__init__`` checks its arguments in Python) only to format it. In the
national council applying a backlog, py-spy put 7.2 % of the event loop's samples in
``uuid4`` (6.2 % in the system call itself, which costs far more there than the 0.6 µs it
takes in a loop of nothing else), for the two ids of every escalation (its reference and its
receipt's event id). Here the kernel's bytes come 256 ids at a time and are formatted
directly: 0.9 µs an id against 3.3 in a micro-benchmark.

A forked child must not give out the ids its parent would (the services of ``make run`` are
forked from one interpreter): it drops the bytes it inherited and draws its own.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator

__all__ = ["new_id"]

_PER_DRAW = 256
"""Ids per request for random bytes (4 KiB)."""

_chunks: Iterator[tuple[bytes]] = iter(())


def _draw() -> Iterator[tuple[bytes]]:
    global _chunks
    # An iterator, not an index into a buffer: ``next`` on it is one step under the GIL,
    # so two threads never take the same bytes.
    _chunks = struct.iter_unpack("16s", os.urandom(16 * _PER_DRAW))
    return _chunks


def _forget_in_child() -> None:
    global _chunks
    _chunks = iter(())


os.register_at_fork(after_in_child=_forget_in_child)


def new_id() -> str:
    """A random (version 4) UUID in its canonical 36-character form."""
    chunk = next(_chunks, None) or next(_draw())
    b = bytearray(chunk[0])
    b[6] = b[6] & 0x0F | 0x40  # version 4
    b[8] = b[8] & 0x3F | 0x80  # the RFC 4122 variant
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
