"""The ``national-council`` CLI as an operator runs it: accounts, tokens, the queue, CSV."""

from __future__ import annotations

import csv
from pathlib import Path
from uuid import uuid4

from tests.national_app import NationalApp


async def test_an_admin_makes_an_account_and_a_token_from_the_shell(
    national_app: NationalApp,
) -> None:
    app = national_app
    name = f"cli-{uuid4().hex[:8]}"
    made = await app.cli_here(
        "staff",
        "create",
        name,
        "--role",
        "triager",
        "--name",
        "Cli Användare",
        "--password",
        "ett-langt-losenord",
    )
    assert made.returncode == 0, made.stderr + made.stdout
    assert f"created {name} with the role triager" in made.stdout
    listed = await app.cli_here("staff", "list")
    assert name in listed.stdout and "triager" in listed.stdout

    # The installed script itself, once: what an operator types.
    token = app.cli("token", "create", name, "--name", "rapportskript")
    assert token.returncode == 0, token.stderr + token.stdout
    [secret] = [w for w in token.stdout.split() if w.startswith("svn_")]
    async with app.client(secret) as api:
        assert (await api.get("/me")).json() == {"username": name, "role": "triager"}
        [row] = (await api.get("/tokens")).json()
        revoked = await app.cli_here("token", "revoke", row["id"])
        assert revoked.returncode == 0, revoked.stderr + revoked.stdout
        assert (await api.get("/me")).status_code == 401

    bad = await app.cli_here(
        "staff", "create", "Inte OK", "--role", "reader", "--password", "x" * 20
    )
    assert bad.returncode == 1 and "username must be" in bad.stdout


async def test_the_queue_is_listed_shown_and_exported(
    national_app: NationalApp, tmp_path: Path
) -> None:
    app = national_app
    tag = uuid4().hex[:8]
    norra = await app.escalate("norra", f"Handledare saknas {tag}")
    sodra = await app.escalate("sodra", f"Handledare saknas {tag}")
    async with app.client() as operator:
        asked = await operator.post(
            f"/issues/{norra}/information-requests",
            json={"question": f"Hur många? {tag}", "due_at": "2099-01-01T12:00:00Z"},
        )
        assert asked.status_code == 201, asked.text
        linked = await operator.post(f"/issues/{norra}/links", json={"issue_id": sodra})
        assert linked.status_code == 200, linked.text

    listed = await app.cli_here("queue", "list", "--region", "norra", "-q", tag)
    assert listed.returncode == 0, listed.stderr + listed.stdout
    assert norra in listed.stdout and sodra not in listed.stdout
    assert "awaiting_region" in listed.stdout

    shown = await app.cli_here("queue", "show", norra)
    assert shown.returncode == 0, shown.stderr + shown.stdout
    assert f"Handledare saknas {tag}" in shown.stdout
    assert f"Hur många? {tag}" in shown.stdout  # the information request
    assert "operator" in shown.stdout and "awaiting_region" in shown.stdout  # the audit trail
    assert f"linked with {sodra}" in shown.stdout
    missing = await app.cli_here("queue", "show", str(uuid4()))
    assert missing.returncode == 1 and "not found" in missing.stdout

    out = tmp_path / "kö.csv"
    exported = await app.cli_here("queue", "export", "--csv", str(out), "-q", tag)
    assert exported.returncode == 0, exported.stderr + exported.stdout
    assert f"wrote 2 issues to {out}" in exported.stdout
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["id"]: r["region"] for r in rows} == {norra: "norra", sodra: "sodra"}
    by_id = {r["id"]: r for r in rows}
    assert by_id[norra]["state"] == "awaiting_region" and by_id[sodra]["state"] == "received"
    assert by_id[sodra]["areas"] == "clinical-placement" and by_id[sodra]["overdue"] == "no"
