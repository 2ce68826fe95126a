"""The `learnledger` command: the root Typer app and its command groups."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError as SettingsValidationError

from learnledger.cli import (
    audit_cmd,
    config_cmd,
    consent_cmd,
    credentials_cmd,
    db_cmd,
    demo_cmd,
    governance_cmd,
    identities_cmd,
    impact_cmd,
    import_cmd,
    imports_cmd,
    insights_cmd,
    metrics_cmd,
    model_cmd,
    serve_cmd,
    sources_cmd,
    users_cmd,
)
from learnledger.cli.common import fail
from learnledger.config import load_settings

app = typer.Typer(
    name="learnledger",
    help="LearnLedger: training analytics from xAPI and HR data to impact and ROI.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(db_cmd.app, name="db")
app.add_typer(model_cmd.app, name="model")
app.add_typer(config_cmd.app, name="config")
app.add_typer(credentials_cmd.app, name="credentials")
app.add_typer(sources_cmd.app, name="sources")
app.add_typer(metrics_cmd.app, name="metrics")
app.add_typer(identities_cmd.app, name="identities")
app.add_typer(imports_cmd.imports_app, name="imports")
app.add_typer(imports_cmd.quarantine_app, name="quarantine")
app.add_typer(demo_cmd.app, name="demo")
app.add_typer(users_cmd.app, name="users")
app.add_typer(consent_cmd.app, name="consent")
app.add_typer(governance_cmd.app, name="governance")
app.add_typer(audit_cmd.app, name="audit")
app.add_typer(impact_cmd.app, name="impact")
app.add_typer(insights_cmd.app, name="insights")
app.command("roi")(impact_cmd.roi)
app.command("serve")(serve_cmd.serve)
app.command("import")(import_cmd.import_)


@app.callback()
def root(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar=None,
            help="Storage engine URL; overrides LEARNLEDGER_DATABASE_URL and the config file.",
        ),
    ] = None,
) -> None:
    """Load the settings once for every command."""
    overrides = {"database_url": database_url} if database_url else {}
    try:
        ctx.obj = load_settings(**overrides)
    except (SettingsValidationError, FileNotFoundError) as exc:
        raise fail(f"invalid settings: {exc}") from exc


def main() -> None:
    """Entry point of the `learnledger` console script."""
    app()
