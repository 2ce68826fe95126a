"""The segment explorer over HTTP: URL state, scope narrowing, refusals, suppression, twins."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from starlette.testclient import TestClient

HTML = {"accept": "text/html"}


def test_explorer_breaks_a_metric_down_by_org_unit_with_the_state_in_the_url(
    sign_in: Callable[[str], TestClient],
) -> None:
    client = sign_in("executive")
    answer = client.get("/explore.json?metric=enrolments&by=org_unit")
    assert answer.status_code == 200
    body = answer.json()
    cells = body["result"]["cells"]
    by_unit = {c["segment"]: c["value"] for c in cells if not c["is_total"]}
    assert by_unit == {"OU-A": 13.0, "OU-B": 12.0}
    assert [c["value"] for c in cells if c["is_total"]] == [25.0]
    assert body["query_string"].startswith("metric=enrolments&by=org_unit")
    page = client.get("/explore?metric=enrolments&by=org_unit", headers=HTML)
    assert page.status_code == 200
    assert '<option value="org_unit" selected>' in page.text
    assert "Sales" in page.text
    assert "<svg" in page.text


def test_a_filter_in_the_url_changes_the_numbers(sign_in: Callable[[str], TestClient]) -> None:
    client = sign_in("analyst")
    everyone = client.get("/explore.json?metric=enrolments").json()["result"]["cells"]
    one = client.get("/explore.json?metric=enrolments&filter.programme=PRG-1").json()
    assert [c["value"] for c in everyone] == [25.0]
    assert [c["value"] for c in one["result"]["cells"]] == [12.0]
    assert one["applied_filters"] == {"programme": "PRG-1"}


def test_manager_is_narrowed_to_their_subtree_and_refused_outside_it_with_the_reason(
    sign_in: Callable[[str], TestClient],
) -> None:
    manager = sign_in("manager")
    own = manager.get("/explore.json?metric=enrolments&by=org_unit").json()
    assert own["applied_filters"] == {"org_unit": "OU-A"}
    assert {c["segment"] for c in own["result"]["cells"] if not c["is_total"]} <= {"OU-A", "OU-A1"}
    assert any("limited to your scope" in note for note in own["notes"])
    refused = manager.get("/explore?metric=enrolments&filter.org_unit=OU-B", headers=HTML)
    assert refused.status_code == 403
    assert "outside your organisation" in refused.text
    assert 'id="explorer-error"' in refused.text
    assert "Service" not in refused.text.split('id="explorer-error"')[1]  # no numbers of OU-B
    export = manager.get("/explore.csv?metric=enrolments&filter.org_unit=OU-B")
    assert export.status_code == 403
    assert "outside your organisation" in export.json()["error"]
    options = manager.get("/explore?metric=enrolments", headers=HTML).text
    assert 'value="OU-B"' not in options


def test_programme_owner_sees_only_their_programme(sign_in: Callable[[str], TestClient]) -> None:
    owner = sign_in("owner")
    own = owner.get("/explore.json?metric=enrolments").json()
    assert own["applied_filters"] == {"programme": "PRG-1"}
    assert [c["value"] for c in own["result"]["cells"]] == [12.0]
    refused = owner.get("/explore.json?metric=enrolments&filter.programme=PRG-2")
    assert refused.status_code == 403
    assert "PRG-2" in refused.json()["error"]["reason"]
    # Reach has no programme segment: the owner cannot see it, and it is not offered.
    assert owner.get("/explore.json?metric=reach").status_code == 403
    assert 'value="reach"' not in owner.get("/explore", headers=HTML).text


def test_small_cells_are_shown_as_suppressed_with_the_reason(
    sign_in: Callable[[str], TestClient],
) -> None:
    client = sign_in("executive")
    body = client.get("/explore.json?metric=enrolments&by=org_unit&filter.org_unit=OU-A").json()
    cells = {c["segment"]: c for c in body["result"]["cells"] if not c["is_total"]}
    assert cells["OU-A"]["suppressed"]
    assert cells["OU-A"]["value"] is None
    assert "suppressed" in " ".join(body["notes"])
    page = client.get("/explore?metric=enrolments&by=org_unit&filter.org_unit=OU-A", headers=HTML)
    assert "suppressed: " in page.text


def test_compare_with_the_previous_period_and_small_multiples(
    sign_in: Callable[[str], TestClient],
) -> None:
    client = sign_in("admin")
    url = "/explore?metric=completion_rate&by=programme&period=month&compare=previous"
    body = client.get(url.replace("/explore", "/explore.json")).json()
    assert body["result"]["compare"] == "previous"
    assert body["result"]["comparison"]  # the period each month is compared with
    assert all("previous" in cell for cell in body["result"]["cells"])
    svg = client.get(url.replace("/explore", "/explore.svg") + "&display=small_multiples")
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    table = client.get(url.replace("/explore", "/explore.csv"))
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert {"previous", "delta", "delta_pct", "status"} <= set(rows[0])


def test_bad_parameters_are_named(sign_in: Callable[[str], TestClient]) -> None:
    client = sign_in("executive")
    wrong = client.get("/explore.json?metric=enrolments&by=kpi")
    assert wrong.status_code == 400
    assert "by: enrolments cannot be broken down by 'kpi'" in wrong.json()["error"]["reason"]
    assert client.get("/explore.json?metric=enrolments&period=fortnight").status_code == 400
    assert client.get("/explore.json?metric=nope").status_code == 404
    roi = client.get("/explore.json?metric=roi")
    assert roi.status_code == 400
    assert "impact engine" in roi.json()["error"]["reason"]
