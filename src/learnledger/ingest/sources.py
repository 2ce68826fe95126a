"""The data source registry: every import names a registered source with its governance facts."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields

from learnledger.core.model.vocabulary import DPA_STATUSES, REVIEW_STATUSES, SOURCE_KINDS
from learnledger.errors import ConflictError, NotFoundError, ValidationError
from learnledger.storage import Engine


@dataclass(frozen=True)
class DataSource:
    """A registered source: who owns it, why and on what basis it is processed, vendor risk."""

    source_id: str
    name: str
    kind: str
    owner: str
    purpose: str
    legal_basis: str
    personal_data_categories: str = ""
    contains_personal_data: bool = True
    vendor: str | None = None
    dpa_status: str | None = None
    review_status: str = "not_reviewed"
    last_reviewed_on: dt.date | None = None
    next_review_due: dt.date | None = None
    retention_days: int | None = None
    description: str | None = None
    registered_at: dt.datetime | None = None

    def validate(self) -> None:
        """Raise ValidationError naming the first field that breaks a rule."""
        if not self.source_id.strip():
            raise ValidationError("source_id", "must not be empty")
        if self.kind not in SOURCE_KINDS:
            raise ValidationError("kind", f"{self.kind!r} is not one of {', '.join(SOURCE_KINDS)}")
        if self.dpa_status is not None and self.dpa_status not in DPA_STATUSES:
            raise ValidationError(
                "dpa_status", f"{self.dpa_status!r} is not one of {', '.join(DPA_STATUSES)}"
            )
        if self.review_status not in REVIEW_STATUSES:
            raise ValidationError(
                "review_status",
                f"{self.review_status!r} is not one of {', '.join(REVIEW_STATUSES)}",
            )
        if self.retention_days is not None and self.retention_days <= 0:
            raise ValidationError("retention_days", "must be a positive number of days")
        if (
            self.last_reviewed_on
            and self.next_review_due
            and self.next_review_due < self.last_reviewed_on
        ):
            raise ValidationError("next_review_due", "is before last_reviewed_on")
        for name in ("name", "owner", "purpose", "legal_basis"):
            if not str(getattr(self, name)).strip():
                raise ValidationError(name, "must not be empty")


_FIELDS = tuple(f.name for f in fields(DataSource))


class SourceRegistry:
    """Adds, lists and looks up data sources in ``data_sources``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, source: DataSource) -> DataSource:
        """Register `source`; raise ConflictError when its id is taken."""
        source.validate()
        if self.engine.fetch_one(
            "SELECT 1 FROM data_sources WHERE source_id = ?", [source.source_id]
        ):
            raise ConflictError(f"data source {source.source_id!r} is already registered")
        values = asdict(source)
        values["registered_at"] = source.registered_at or dt.datetime.now(dt.UTC)
        names = ", ".join(_FIELDS)
        marks = ", ".join("?" for _ in _FIELDS)
        self.engine.execute(
            f"INSERT INTO data_sources ({names}) VALUES ({marks})", [values[f] for f in _FIELDS]
        )
        return DataSource(**values)

    def list(self) -> list[DataSource]:
        """Every registered source, by id."""
        rows = self.engine.fetch_dicts(
            f"SELECT {', '.join(_FIELDS)} FROM data_sources ORDER BY source_id"
        )
        return [_source(row) for row in rows]

    def get(self, source_id: str) -> DataSource:
        """The source `source_id`; raise NotFoundError naming how to register it."""
        rows = self.engine.fetch_dicts(
            f"SELECT {', '.join(_FIELDS)} FROM data_sources WHERE source_id = ?", [source_id]
        )
        if not rows:
            raise NotFoundError(
                f"data source {source_id!r} is not registered; register it first with "
                f"`learnledger sources add {source_id} ...`"
            )
        return _source(rows[0])


def _source(row: dict[str, object]) -> DataSource:
    values = dict(row)
    for key in ("personal_data_categories",):
        values[key] = values[key] or ""
    return DataSource(**values)  # type: ignore[arg-type]
