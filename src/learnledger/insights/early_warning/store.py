"""Trained models in the database, signed so that a changed model is refused.

A model is serialised with pickle (scikit-learn's own persistence format) and stored base64 in
``risk_models.payload``. Unpickling runs code, so the row is verified first: its signature is
an HMAC-SHA-256 over the id, target, kind, days, features, card and payload under the key the
key ring derives for ``risk_model:v1``; a row whose signature does not match is refused with
an error and never deserialised.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import json
import pickle
from dataclasses import dataclass
from typing import Any

from learnledger.errors import NotFoundError, ValidationError
from learnledger.governance.keys import KeyRing
from learnledger.insights.early_warning.models import Classifier
from learnledger.storage.engine import Engine

#: Key ring purpose of model signatures.
SIGNATURE_PURPOSE = "risk_model:v1"

_COLUMNS = (
    "model_id, target, kind, days, features, card, payload, payload_bytes, signature, "
    "trained_by, trained_at"
)


@dataclass(frozen=True)
class StoredModel:
    """A verified model row with its fitted estimator."""

    model_id: str
    target: str
    kind: str
    days: tuple[int, ...]
    features: tuple[str, ...]
    card: dict[str, Any]
    estimator: Classifier
    trained_by: str | None
    trained_at: dt.datetime


class TamperedModelError(ValidationError):
    """A stored model's signature does not match its content."""


def _canonical(
    model_id: str,
    target: str,
    kind: str,
    days: Any,
    features: Any,
    card: Any,
    payload: str,
) -> str:
    head = json.dumps(
        [model_id, target, kind, list(days), list(features), card],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return head + "|" + payload


class ModelStore:
    """Save, list and load signed risk models."""

    def __init__(self, engine: Engine, keys: KeyRing) -> None:
        self.engine = engine
        self.keys = keys

    def save(
        self,
        *,
        model_id: str,
        target: str,
        kind: str,
        days: tuple[int, ...],
        features: tuple[str, ...],
        card: dict[str, Any],
        estimator: Classifier,
        trained_by: str | None,
        trained_at: dt.datetime,
    ) -> None:
        """Store a fitted model with its card and signature."""
        raw = pickle.dumps(estimator, protocol=pickle.HIGHEST_PROTOCOL)
        payload = base64.b64encode(raw).decode("ascii")
        card_json = json.loads(json.dumps(card, default=str))
        signature = self.keys.fingerprint(
            SIGNATURE_PURPOSE,
            _canonical(model_id, target, kind, days, features, card_json, payload),
        )
        self.engine.execute(
            f"INSERT INTO risk_models ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                model_id,
                target,
                kind,
                json.dumps(list(days)),
                json.dumps(list(features)),
                json.dumps(card_json, sort_keys=True),
                payload,
                len(raw),
                signature,
                trained_by,
                trained_at,
            ],
        )

    def list(self, target: str | None = None) -> list[dict[str, Any]]:
        """Stored models, newest first: id, target, kind, days, trained at and by (no payload)."""
        where, params = ("WHERE target = ?", [target]) if target else ("", [])
        rows = self.engine.fetch_all(
            "SELECT model_id, target, kind, days, trained_by, trained_at, payload_bytes "
            f"FROM risk_models {where} ORDER BY trained_at DESC, model_id DESC",
            params,
        )
        return [
            {
                "model_id": r[0],
                "target": r[1],
                "kind": r[2],
                "days": json.loads(r[3]),
                "trained_by": r[4],
                "trained_at": r[5],
                "payload_bytes": r[6],
            }
            for r in rows
        ]

    def latest_id(self, target: str, kind: str) -> str | None:
        """The newest model of `target` and `kind`, or None."""
        row = self.engine.fetch_one(
            "SELECT model_id FROM risk_models WHERE target = ? AND kind = ? "
            "ORDER BY trained_at DESC, model_id DESC LIMIT 1",
            [target, kind],
        )
        return None if row is None else str(row[0])

    def _verified_row(self, model_id: str) -> tuple[Any, ...]:
        row = self.engine.fetch_one(
            f"SELECT {_COLUMNS} FROM risk_models WHERE model_id = ?", [model_id]
        )
        if row is None:
            raise NotFoundError(f"no risk model {model_id!r}")
        mid, target, kind, days, features, card, payload, _, signature, by, at = row
        days_v, features_v, card_v = json.loads(days), json.loads(features), json.loads(card)
        expected = self.keys.fingerprint(
            SIGNATURE_PURPOSE,
            _canonical(mid, target, kind, days_v, features_v, card_v, payload),
        )
        if not hmac.compare_digest(expected, str(signature)):
            raise TamperedModelError(
                f"risk_models[{model_id}]",
                f"risk model {model_id!r} was changed after it was signed (or signed with "
                "another secret key); refusing to load it -- retrain it",
            )
        return (mid, target, kind, days_v, features_v, card_v, payload, by, at)

    def verified_card(self, model_id: str) -> dict[str, Any]:
        """The card of `model_id` once its signature is checked (the model is not loaded)."""
        card: dict[str, Any] = self._verified_row(model_id)[5]
        return card

    def load(self, model_id: str) -> StoredModel:
        """The verified model `model_id`; raises NotFoundError or TamperedModelError."""
        mid, target, kind, days_v, features_v, card_v, payload, by, at = self._verified_row(
            model_id
        )
        estimator = pickle.loads(base64.b64decode(payload))
        return StoredModel(
            str(mid),
            str(target),
            str(kind),
            tuple(int(d) for d in days_v),
            tuple(str(f) for f in features_v),
            card_v,
            estimator,
            by,
            at,
        )
