"""The LRS's normal forms: prepare_statement, actor_ifi and canonical_json."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest

from learnledger.core.xapi import actor_ifi, canonical_json, prepare_statement, validate_statement
from learnledger.core.xapi.timestamps import (
    duration_seconds,
    normalise_timestamp,
    parse_timestamp,
    truncate_duration,
)

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.example.com", "name": "k"}}
STORED = datetime(2025, 2, 3, 10, 40, 1, 250000, tzinfo=UTC)


def statement(**extra: Any) -> dict[str, Any]:
    return {
        "actor": {"mbox": "mailto:Ann.Lee@Example.COM", "name": "Ann"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "done"}},
        "object": {"id": "https://learn.example.com/c1", "definition": {"name": {"en": "C1"}}},
        **extra,
    }


def test_prepare_fills_what_the_lrs_assigns() -> None:
    raw = statement()
    prepared = prepare_statement(raw, authority=AUTHORITY, stored=STORED, version="2.0.0")
    assert len(prepared["id"]) == 36
    assert prepared["stored"] == "2025-02-03T10:40:01.250Z"
    assert prepared["timestamp"] == prepared["stored"]
    assert prepared["authority"] == AUTHORITY
    assert prepared["version"] == "2.0.0"
    assert "id" not in raw  # the input is left alone
    validate_statement(prepared, "2.0.0")


def test_prepare_replaces_the_client_authority_and_stored_but_keeps_id_and_version() -> None:
    raw = statement(
        id="fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        authority={"mbox": "mailto:mallory@example.com"},
        stored="2000-01-01T00:00:00Z",
        version="1.0.3",
    )
    prepared = prepare_statement(raw, authority=AUTHORITY, stored=STORED, version="2.0.0")
    assert prepared["id"] == "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"
    assert prepared["authority"] == AUTHORITY
    assert prepared["stored"] == "2025-02-03T10:40:01.250Z"
    assert prepared["version"] == "1.0.3"


def test_prepare_for_1_0_3_sets_version_1_0_0_and_keeps_timestamps_as_sent() -> None:
    raw = statement(timestamp="2023-05-04T12:00:00-05:00", result={"duration": "PT0.12567S"})
    prepared = prepare_statement(raw, authority=AUTHORITY, stored=STORED, version="1.0.3")
    assert prepared["version"] == "1.0.0"
    assert prepared["timestamp"] == "2023-05-04T12:00:00-05:00"
    assert prepared["result"]["duration"] == "PT0.12567S"


def test_prepare_for_2_0_converts_timestamps_to_utc_and_truncates_durations() -> None:
    sub = {
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:a@example.com"},
        "verb": {"id": "http://example.com/plans"},
        "object": {"id": "https://learn.example.com/c2"},
        "timestamp": "2030-01-01T01:00:00+01:00",
        "result": {"duration": "P1DT12H36M0.12567S"},
    }
    raw = statement(
        timestamp="2023-05-04T12:00:00-05:00",
        result={"duration": "P1DT12H36M0.12567S", "success": True},
        object=sub,
    )
    before = copy.deepcopy(raw)
    prepared = prepare_statement(raw, authority=AUTHORITY, stored=STORED, version="2.0.0")
    assert prepared["timestamp"] == "2023-05-04T17:00:00.000Z"
    assert prepared["result"] == {"duration": "P1DT12H36M0.12S", "success": True}
    assert prepared["object"]["timestamp"] == "2030-01-01T00:00:00.000Z"
    assert prepared["object"]["result"]["duration"] == "P1DT12H36M0.12S"
    assert raw == before


def test_prepare_returns_context_activities_as_arrays() -> None:
    parent = {"id": "https://learn.example.com/p"}
    raw = statement(context={"contextActivities": {"parent": parent, "other": [parent]}})
    prepared = prepare_statement(raw, authority=AUTHORITY, stored=STORED, version="1.0.3")
    assert prepared["context"]["contextActivities"] == {"parent": [parent], "other": [parent]}
    assert raw["context"]["contextActivities"]["parent"] is parent


@pytest.mark.parametrize(
    ("agent", "ifi"),
    [
        ({"mbox": "mailto:Ann.Lee@Example.COM"}, "mbox:mailto:Ann.Lee@example.com"),
        ({"mbox_sha1sum": "EBD31E95054C018B10727CCFFD2EF2EC3A016EE9"},
         "mbox_sha1sum:ebd31e95054c018b10727ccffd2ef2ec3a016ee9"),
        ({"openid": "https://id.example.com/ann"}, "openid:https://id.example.com/ann"),
        ({"account": {"homePage": "https://lms.example.com", "name": "ann"}},
         "account:https://lms.example.com|ann"),
        ({"objectType": "Group", "mbox": "mailto:team@example.com", "member": [{"openid": "x:y"}]},
         "mbox:mailto:team@example.com"),
        ({"objectType": "Group", "member": [{"openid": "x:b"}, {"mbox": "mailto:a@example.com"}]},
         "group:mbox:mailto:a@example.com,openid:x:b"),
    ],
)  # fmt: skip
def test_actor_ifi(agent: dict[str, Any], ifi: str) -> None:
    assert actor_ifi(agent) == ifi


def test_actor_ifi_rejects_an_object_without_identifier() -> None:
    with pytest.raises(ValueError, match="no identifier"):
        actor_ifi({"name": "nobody"})


def _prepared(raw: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    options = {"authority": AUTHORITY, "stored": STORED, "version": "2.0.0", **kwargs}
    return prepare_statement(raw, **options)


def test_canonical_json_is_sorted_and_ignores_what_the_lrs_assigns() -> None:
    raw = statement(id="fd41c918-b88b-4b20-a0a5-a4c32391aaa0", timestamp="2025-01-01T00:00:00Z")
    first = _prepared(raw)
    later = _prepared(
        raw, authority={"mbox": "mailto:other@example.com"}, stored=STORED + timedelta(days=3)
    )
    assert canonical_json(first) == canonical_json(later)
    form = orjson.loads(canonical_json(first))
    assert not {"stored", "authority", "version"} & form.keys()
    assert list(form) == sorted(form)


def test_canonical_json_ignores_what_immutability_allows_to_change() -> None:
    raw = statement(
        id="FD41C918-B88B-4B20-A0A5-A4C32391AAA0",
        timestamp="2025-01-01T01:00:00.0001+01:00",
        actor={"objectType": "Group", "member": [{"mbox": "mailto:b@x.org"}, {"openid": "x:a"}]},
        result={"duration": "PT1.12999S"},
        context={
            "contextActivities": {"parent": {"id": "https://p.example.com", "definition": {}}}
        },
    )
    same = {
        **raw,
        "id": raw["id"].lower(),
        "timestamp": "2025-01-01T00:00:00.000Z",
        "verb": {"id": raw["verb"]["id"], "display": {"fr": "fini"}},
        "object": {"objectType": "Activity", "id": raw["object"]["id"]},
        "actor": {"objectType": "Group", "member": [{"openid": "x:a"}, {"mbox": "mailto:b@X.ORG"}]},
        "result": {"duration": "PT1.12S"},
        "context": {"contextActivities": {"parent": [{"id": "https://p.example.com"}]}},
    }
    assert canonical_json(raw) == canonical_json(same)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("verb", {"id": "http://adlnet.gov/expapi/verbs/failed"}),
        ("object", {"id": "https://learn.example.com/other"}),
        ("result", {"success": False}),
        ("timestamp", "2025-01-01T00:00:01Z"),
        ("actor", {"mbox": "mailto:ann.lee@other.example.com"}),
    ],
)
def test_canonical_json_sees_real_differences(key: str, value: Any) -> None:
    raw = statement(timestamp="2025-01-01T00:00:00Z", result={"success": True})
    assert canonical_json(raw) != canonical_json({**raw, key: value})


def test_canonical_json_can_ignore_an_lrs_filled_timestamp() -> None:
    raw = statement(id="fd41c918-b88b-4b20-a0a5-a4c32391aaa0")
    first = _prepared(raw)
    again = _prepared(raw, stored=STORED + timedelta(hours=1))
    assert canonical_json(first) != canonical_json(again)
    assert canonical_json(first, ignore_timestamp=True) == canonical_json(
        again, ignore_timestamp=True
    )


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2023-05-04T12:00:00-05:00", "2023-05-04T17:00:00.000Z"),
        ("2023-05-04t12:00:00.123456z", "2023-05-04T12:00:00.123456Z"),
        ("2023-05-04T12:00:00", "2023-05-04T12:00:00.000Z"),
        ("20230504T120000,5+0100", "2023-05-04T11:00:00.500Z"),
        ("2023-05-04T12:00:00.123456789Z", "2023-05-04T12:00:00.123456Z"),
    ],
)
def test_normalise_timestamp(text: str, utc: str) -> None:
    assert normalise_timestamp(text) == utc
    assert parse_timestamp(text).utcoffset() == timedelta(0)


def test_parse_timestamp_gives_the_same_instant_in_utc() -> None:
    moment = parse_timestamp("2023-05-04T12:00:00+05:30")
    assert moment == datetime(2023, 5, 4, 12, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert moment.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("duration", "truncated", "seconds"),
    [
        ("PT1H30M", "PT1H30M", 5400.0),
        ("PT0.12567S", "PT0.12S", 0.12567),
        ("P1DT12H36M0.12567S", "P1DT12H36M0.12S", 131760.12567),
        ("PT16559.14S", "PT16559.14S", 16559.14),
        ("P4W", "P4W", 2419200.0),
        ("PT1,999S", "PT1,99S", 1.999),
    ],
)
def test_durations(duration: str, truncated: str, seconds: float) -> None:
    assert truncate_duration(duration) == truncated
    assert duration_seconds(duration) == pytest.approx(seconds)


def test_duration_seconds_of_an_invalid_duration_is_none() -> None:
    assert duration_seconds("1 hour") is None
