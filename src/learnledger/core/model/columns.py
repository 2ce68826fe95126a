"""Short constructors for columns, so entity definitions read like a data dictionary."""

from __future__ import annotations

from typing import Any

from learnledger.core.model.spec import Column, ColumnType


def _col(ctype: ColumnType) -> Any:
    def make(
        name: str,
        description: str,
        *,
        required: bool = False,
        references: str | None = None,
        choices: tuple[str, ...] | None = None,
        example: Any = None,
        default: Any = None,
    ) -> Column:
        return Column(
            name=name,
            type=ctype,
            description=description,
            nullable=not required,
            references=references,
            choices=choices,
            example=example,
            default=default,
        )

    make.__doc__ = f"Build a {ctype.value} column."
    return make


text = _col(ColumnType.TEXT)
integer = _col(ColumnType.INTEGER)
double = _col(ColumnType.DOUBLE)
decimal = _col(ColumnType.DECIMAL)
boolean = _col(ColumnType.BOOLEAN)
date = _col(ColumnType.DATE)
timestamp = _col(ColumnType.TIMESTAMP)
json = _col(ColumnType.JSON)
uuid = _col(ColumnType.UUID)
