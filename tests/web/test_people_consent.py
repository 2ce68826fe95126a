"""Individual-level views leave out people who withdrew consent to individual reporting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from starlette.testclient import TestClient

from learnledger.config import Settings
from learnledger.governance.actors import cli_actor
from learnledger.governance.audit import AuditLog
from learnledger.governance.consent import record_consent
from learnledger.governance.keys import load_key_ring
from learnledger.storage import open_engine


def test_a_withdrawal_hides_the_person_from_others_but_not_from_themselves(
    web_settings: Settings, sign_in: Callable[[str], TestClient]
) -> None:
    with open_engine(web_settings.database_url) as engine:
        audit = AuditLog(engine, load_key_ring(web_settings))
        earlier = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        for person, status in (("A1-00", "withdrawn"), ("A1-01", "withdrawn")):
            record_consent(
                engine,
                audit,
                cli_actor("test"),
                person_id=person,
                purpose="individual_reporting",
                status=status,
                recorded_at=earlier,
            )
        record_consent(
            engine,
            audit,
            cli_actor("test"),
            person_id="A1-01",
            purpose="individual_reporting",
            status="granted",
            recorded_at=earlier + dt.timedelta(days=1),
        )
    manager = sign_in("manager").get("/api/people").json()
    shown = {p["person"] for p in manager["people"]}
    assert "A1-00" not in shown
    assert "A1-01" in shown
    assert manager["excluded_for_consent"] == 1
    assert sign_in("manager").get("/api/people/A1-00").status_code == 404
    own = sign_in("learner").get("/api/people").json()
    assert [p["person"] for p in own["people"]] == ["A1-00"]
    analyst = sign_in("analyst").get("/api/people").json()
    assert len(analyst["people"]) == 24
    assert analyst["excluded_for_consent"] == 1
