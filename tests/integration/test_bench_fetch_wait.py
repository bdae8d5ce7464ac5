"""bench.fetch_wait against the real broker: every record produced is timed to its consumer."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient

from bench.fetch_wait import held


async def test_each_record_is_timed_from_its_acknowledgement_to_its_consumer(
    bootstrap: str,
) -> None:
    run = await held(bootstrap, partitions=2, wait_ms=25, samples=5)
    assert (run.partitions, run.wait_ms, len(run.samples)) == (2, 25, 5)
    assert all(0 < ms < 5_000 for ms in run.samples)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:  # its topics are deleted with it
        assert not [t for t in await admin.list_topics() if t.startswith("bench-fetch-wait-")]
    finally:
        await admin.close()
