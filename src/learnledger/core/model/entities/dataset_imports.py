"""Columns that multi-file (dataset) imports such as OULAD need on existing tables."""

from __future__ import annotations

from learnledger.core.model.columns import integer, text
from learnledger.core.model.spec import AddColumn, Operation

OPERATIONS: tuple[Operation, ...] = (
    AddColumn(
        "learning_events",
        integer(
            "interactions",
            "How many interactions (e.g. clicks) the event stands for when a source reports "
            "them in aggregate (OULAD: clicks on one VLE site in one day); empty for a single "
            "xAPI statement.",
            example=4,
        ),
    ),
    AddColumn(
        "import_rejections",
        text(
            "source_file",
            "File of a multi-file (dataset) import the rejected row comes from, relative to "
            "the dataset directory; empty for single-file imports.",
            example="studentAssessment.csv",
        ),
    ),
)
