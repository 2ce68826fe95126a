"""`learnledger serve`: run the web application (dashboards, API and, later, the LRS)."""

from __future__ import annotations

import gc
from typing import Annotated

import typer
import uvicorn

from learnledger.cli.common import console, settings_from
from learnledger.config import Settings
from learnledger.storage.duckdb_engine import SERVER_OPTIONS, with_default_options
from learnledger.web.app import create_app


def run_server(settings: Settings) -> None:
    """Print the URL to open, then serve until interrupted."""
    url = f"http://{settings.host}:{settings.port}/"
    console.print(f"LearnLedger is running: open [bold link={url}]{url}[/] (Ctrl+C stops it)")
    app = create_app(server_settings(settings))
    tune_garbage_collector()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        # httptools and uvloop are used when installed ("auto"); h11 and asyncio otherwise.
        http="auto",
        loop="auto",
    )


def server_settings(settings: Settings) -> Settings:
    """`settings` for the server process: a DuckDB database gets the server's settings
    (`SERVER_OPTIONS`: fewer checkpoints while the LRS ingests) unless its URL sets them."""
    database_url = with_default_options(settings.database_url, SERVER_OPTIONS)
    return settings.model_copy(update={"database_url": database_url})


#: Allocations between young-generation collections in the server (Python's default: 700).
GC_YOUNG_THRESHOLD = 50_000


def tune_garbage_collector() -> None:
    """Collect less often: a request parses thousands of short-lived JSON objects, and with
    the default thresholds the collector runs every few statements (about a tenth of the
    ingest time). What the app allocated at start-up is frozen out of the collections."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Serve the web application on the configured database."""
    settings = settings_from(ctx)
    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    run_server(settings.model_copy(update=overrides))
