"""`samverkan`: one command for operators; each concern registers its own sub-command group."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Operate a Samverkan network: topics, status, live tail, dead letters, replay, manifests.",
    no_args_is_help=True,
    add_completion=False,
)

from samverkan_ops import status, tail, topics  # noqa: E402  (issue 7: operating the services)

app.add_typer(topics.app, name="topics")
app.command("status")(status.status_command)
app.command("tail")(tail.tail_command)

from samverkan_ops.manifests import manifests_app  # noqa: E402  (issue 7: deployment files)

app.add_typer(manifests_app, name="manifests")

from samverkan_ops.settings_docs import settings_docs_app  # noqa: E402  (issue 7: settings docs)

app.add_typer(settings_docs_app, name="settings-docs")

from samverkan_ops import dlq, replay  # noqa: E402  (issue 6: dead letters and re-send)

app.add_typer(dlq.app, name="dlq")
app.command("replay")(replay.replay_command)
