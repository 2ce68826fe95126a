"""`learnledger credentials`: create, list and revoke the credentials of xAPI clients."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from learnledger.cli.common import console, engine_for, settings_from
from learnledger.governance.actors import cli_actor
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import load_key_ring
from learnledger.lrs.credentials import SCOPES, CredentialStore

app = typer.Typer(help="xAPI client credentials: add, list, revoke.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="What the credential is for, e.g. 'Moodle'.")],
    scopes: Annotated[
        str,
        typer.Option(help=f"Comma-separated xAPI scopes: {', '.join(SCOPES)}."),
    ] = "statements/write,statements/read/mine",
) -> None:
    """Create a credential and print its key and secret (the secret is shown only once)."""
    settings = settings_from(ctx)
    with engine_for(settings) as engine:
        audit = AuditLog(engine, load_key_ring(settings))
        with audit.transaction():
            key, secret = CredentialStore(engine).add(
                name, scopes.split(","), home_page=settings.lrs_base_url
            )
            audit.append(
                actor=cli_actor().audit_name,
                action="lrs_credential_added",
                target="lrs_credentials",
                details={"key": key, "scopes": scopes.split(",")},
            )
    console.print(f"key:    {key}\nsecret: {secret}", highlight=False)
    console.print("Store the secret now: it cannot be shown again.", style="dim")


@app.command("list")
def list_credentials(ctx: typer.Context) -> None:
    """List the credentials (never their secrets)."""
    settings = settings_from(ctx)
    with engine_for(settings) as engine:
        rows = CredentialStore(engine).list()
    table = Table(title="xAPI credentials")
    for column in ("key", "name", "scopes", "created", "revoked"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row.key,
            row.name,
            ", ".join(row.scopes),
            row.created_at.isoformat(timespec="seconds"),
            row.revoked_at.isoformat(timespec="seconds") if row.revoked_at else "",
        )
    console.print(table)


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The key of the credential to revoke.")],
) -> None:
    """Revoke a credential: its requests get 401 from now on."""
    settings = settings_from(ctx)
    with engine_for(settings) as engine:
        audit = AuditLog(engine, load_key_ring(settings))
        with audit.transaction():
            CredentialStore(engine).revoke(key)
            audit.append(
                actor=cli_actor().audit_name,
                action="lrs_credential_revoked",
                target="lrs_credentials",
                details={"key": key},
            )
    console.print(f"Revoked {key}.")
