"""`samverkan replay --from N --source S --topic T`: a source re-sends a range of its outbox.

The request goes on the control topic exactly as a consumer's gap watcher would send it
(``samverkan_shared.resend``); the source marks the rows unsent, its relay publishes them
again, and it answers ``resent`` with the number of rows, which this command waits for.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from rich.console import Console
from rich.table import Table

from samverkan_ops.kafka_client import Bootstrap, client_options
from samverkan_shared.resend import ControlMessage, control_record
from samverkan_shared.topics import control

__all__ = ["replay_command", "request_resend"]


async def request_resend(
    bootstrap: str, source: str, topic: str, start: int, end: int | None, timeout: float
) -> ControlMessage | None:
    """Ask the source to re-send; its answer, or None if it did not answer in time."""
    listener = AIOKafkaConsumer(control(), **client_options(bootstrap), auto_offset_reset="latest")
    await listener.start()
    producer = AIOKafkaProducer(**client_options(bootstrap), acks="all")
    await producer.start()
    request = ControlMessage(
        kind="resend",
        source=source,
        topic=topic,
        from_sequence=start,
        to_sequence=end,
        requested_by="operator",
    )
    try:
        await listener.getmany(timeout_ms=500)  # positioned at the end before we ask
        record = control_record(request)
        await producer.send_and_wait(control(), record.value, key=record.key)
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            for records in (await listener.getmany(timeout_ms=500)).values():
                for rec in records:
                    reply = ControlMessage.model_validate_json(rec.value)
                    if reply.kind == "resent" and reply.request_id == request.request_id:
                        return reply
        return None
    finally:
        await producer.stop()
        await listener.stop()


def replay_command(
    start: Annotated[int, typer.Option("--from", min=1, help="first sequence to re-send")],
    source: Annotated[str, typer.Option("--source", help="e.g. /samverkan/national")],
    topic: Annotated[str, typer.Option("--topic", help="e.g. samverkan.norra.downstream")],
    end: Annotated[
        int | None, typer.Option("--to", min=1, help="last sequence (default: all)")
    ] = None,
    timeout: Annotated[float, typer.Option(help="seconds to wait for the source")] = 30.0,
    bootstrap: str = Bootstrap,
) -> None:
    """Re-send a source's outbox range; consumers absorb what they already had."""
    console = Console()
    with console.status(f"asking {source} to re-send {topic} from {start}"):
        reply = asyncio.run(request_resend(bootstrap, source, topic, start, end, timeout))
    if reply is None:
        console.print(f"[red]{source} did not answer in {timeout:.0f} s (is it running?)")
        raise typer.Exit(1)
    table = Table(title="Re-send")
    for column in ("source", "topic", "from", "to", "rows marked for re-send"):
        table.add_column(column)
    table.add_row(source, topic, str(start), str(end or "end"), str(reply.count))
    console.print(table)
