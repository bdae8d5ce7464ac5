"""new_id: what str(uuid4()) gave, faster."""

from __future__ import annotations

import os
import re
import uuid

from samverkan_shared.ids import new_id

CANONICAL = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_a_new_id_is_a_canonical_version_4_uuid() -> None:
    for _ in range(2_000):
        text = new_id()
        parsed = uuid.UUID(text)
        assert CANONICAL.match(text), text
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
        assert str(parsed) == text  # the form str(uuid4()) gives, so stored ids compare


def test_ids_do_not_repeat_and_use_every_random_bit() -> None:
    ids = [new_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    # Each of the 122 random bits is set in some id and clear in another.
    fixed = (0xF << 76) | (0x3 << 62)  # the version nibble and the variant's two bits
    random_bits = ((1 << 128) - 1) & ~fixed
    ones = zeros = 0
    for value in (uuid.UUID(i).int for i in ids):
        ones |= value
        zeros |= ~value
    assert ones & random_bits == random_bits
    assert zeros & random_bits == random_bits


def test_a_forked_child_makes_other_ids_than_its_parent() -> None:
    new_id()  # the parent holds random bytes for its next ids when it forks
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: what make run's forked services do
        os.write(write, "".join(new_id() for _ in range(10)).encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 10 * 36).decode()
    os.waitpid(pid, 0)
    parent = "".join(new_id() for _ in range(10))
    assert {child[i : i + 36] for i in range(0, 360, 36)}.isdisjoint(
        {parent[i : i + 36] for i in range(0, 360, 36)}
    )
