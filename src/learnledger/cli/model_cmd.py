"""`learnledger model`: the data model starter kit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from learnledger.cli.common import console
from learnledger.storage.starter_kit import write_data_model_starter

app = typer.Typer(help="The canonical data model.", no_args_is_help=True)


@app.command("export")
def export(
    directory: Annotated[Path, typer.Argument(help="Folder to write the starter kit into.")],
) -> None:
    """Write the data model starter: DDL per engine, JSON Schemas, CSV templates, diagram."""
    written = write_data_model_starter(directory)
    console.print(f"Wrote {len(written)} files to {directory}:")
    for path in written:
        console.print(f"  {path.relative_to(directory)}")
