"""The metric catalogue page and the toolkit downloads."""

from __future__ import annotations

import csv
import html
import io
import zipfile
from collections.abc import Callable

from starlette.testclient import TestClient

from learnledger.impact.checklist import CHECKLIST_ITEMS
from learnledger.metrics.catalogue import catalogue_csv, catalogue_markdown, load_catalogue

HTML = {"accept": "text/html"}


def test_catalogue_lists_every_metric_with_its_definition(
    sign_in: Callable[[str], TestClient],
) -> None:
    client = sign_in("executive")
    body = client.get("/metrics.json").json()
    rows = {m["id"]: m for m in body["metrics"]}
    assert len(rows) == len(load_catalogue())
    rate = rows["completion_rate"]
    assert (rate["level"], rate["timing"], rate["unit"], rate["direction"]) == (
        "engagement",
        "leading",
        "%",
        "up",
    )
    assert "org_unit" in rate["segments"]
    assert rate["formula"]
    assert not rows["roi"]["explorable"]
    page = client.get("/metrics", headers=HTML).text
    assert '<a href="/explore?metric=completion_rate">' in page
    assert "/toolkit/data-model.zip" in page
    table = list(csv.DictReader(io.StringIO(client.get("/metrics.csv").text)))
    assert {r["id"] for r in table} == set(rows)


def test_metric_definitions_download_is_what_the_cli_exports(
    sign_in: Callable[[str], TestClient],
) -> None:
    client = sign_in("analyst")
    markdown = client.get("/toolkit/metric-definitions.md")
    assert markdown.status_code == 200
    assert markdown.text == catalogue_markdown(load_catalogue())
    assert "attachment" in markdown.headers["content-disposition"]
    assert client.get("/toolkit/metric-definitions.csv").text == catalogue_csv(load_catalogue())
    assert client.get("/toolkit/metric-definitions.pdf").status_code == 404


def test_data_model_starter_zip_holds_the_kit(sign_in: Callable[[str], TestClient]) -> None:
    answer = sign_in("learner").get("/toolkit/data-model.zip")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    names = set(zipfile.ZipFile(io.BytesIO(answer.content)).namelist())
    root = "learnledger-data-model/"
    assert {
        root + "README.md",
        root + "ddl/duckdb.sql",
        root + "ddl/postgresql.sql",
        root + "data-model.md",
        root + "json-schema/saved_views.json",
        root + "csv-templates/enrolments.csv",
    } <= names


def test_roi_checklist_is_offered_per_programme_to_those_who_may_see_it(
    sign_in: Callable[[str], TestClient],
) -> None:
    owner = sign_in("owner")
    page = owner.get("/metrics", headers=HTML).text
    assert "/toolkit/roi-checklist/PRG-1.md" in page
    assert "/toolkit/roi-checklist/PRG-2" not in page
    checklist = owner.get("/toolkit/roi-checklist/PRG-1.json").json()
    assert checklist["programme_id"] == "PRG-1"
    steps = {s["step"]: s["status"] for s in checklist["steps"]}
    assert steps["Data: participation"] == "done"
    assert owner.get("/toolkit/roi-checklist/PRG-1.html").text.startswith("<!doctype html>")
    refused = owner.get("/toolkit/roi-checklist/PRG-2.md")
    assert refused.status_code == 403
    assert "PRG-2" in refused.json()["error"]
    manager = sign_in("manager")
    assert manager.get("/toolkit/roi-checklist/PRG-1.md").status_code == 403
    assert "no programme you may see" in manager.get("/metrics", headers=HTML).text
    assert sign_in("executive").get("/toolkit/roi-checklist/NOPE.json").status_code == 404


def test_blank_roi_checklist_template_holds_every_checklist_item(
    sign_in: Callable[[str], TestClient],
) -> None:
    client = sign_in("learner")  # a template holds no data: every signed-in user has it
    markdown = client.get("/toolkit/roi-checklist-template.md")
    printable = client.get("/toolkit/roi-checklist-template.html")
    sheet = client.get("/toolkit/roi-checklist-template.csv")
    for answer in (markdown, printable, sheet):
        assert answer.status_code == 200
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert printable.headers["content-type"].startswith("text/html")
    assert "attachment" in sheet.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(sheet.text)))
    assert [r["step"] for r in rows] == [item.step for item in CHECKLIST_ITEMS]
    assert [r["question"] for r in rows] == [item.question for item in CHECKLIST_ITEMS]
    assert all(r["Plan"] == "" and r["Status"] == "" for r in rows)
    page = html.unescape(printable.text)
    for item in CHECKLIST_ITEMS:
        assert f"{item.step}" in markdown.text
        assert item.question in markdown.text
        assert item.prepare in markdown.text
        assert item.step in page
        assert item.question in page
        assert item.prepare in page
    assert "<script" not in printable.text
    assert "http" not in printable.text
    assert client.get("/toolkit/roi-checklist-template.pdf").status_code == 404
    assert "/toolkit/roi-checklist-template.html" in sign_in("executive").get("/metrics").text


def test_filled_checklist_asks_the_template_items(sign_in: Callable[[str], TestClient]) -> None:
    filled = sign_in("admin").get("/toolkit/roi-checklist/PRG-1.json").json()
    assert [(s["step"], s["question"]) for s in filled["steps"]] == [
        (item.step, item.question) for item in CHECKLIST_ITEMS
    ]
