"""What every local start shows and does first: a progress display and the broker with topics."""

from __future__ import annotations

import asyncio

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from devstack.broker import Tansu
from samverkan_shared.kafka import ensure_topics
from samverkan_shared.topics import all_topics

__all__ = ["progress_display", "start_broker"]


def progress_display(console: Console) -> Progress:
    """The progress bars of a start: spinner, step, bar, time."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def start_broker(progress: Progress, broker: Tansu) -> None:
    """Start Tansu and create every topic of the registry, shown as one step."""
    step = progress.add_task("broker (Tansu)", total=1)
    broker.start()
    topics = all_topics()
    asyncio.run(ensure_topics(broker.bootstrap, topics))
    progress.update(
        step, completed=1, description=f"broker on {broker.bootstrap}, {len(topics)} topics"
    )
