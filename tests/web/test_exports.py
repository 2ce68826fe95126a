"""Exports on every page: each table offers a CSV download and each chart SVG and PNG, and
those links answer with the right content (a small demo company, the demo's users)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from learnledger.config import Settings

HTML = {"accept": "text/html"}
PAGES = [
    ("admin", "/overview"),
    ("executive", "/executive?period=year"),
    ("analyst", "/programmes"),
    ("analyst", "/programmes/PRG-CONSULTATIVE-SELLING"),
    ("analyst", "/workforce"),
    ("analyst", "/explore?metric=completion_rate&by=org_unit&period=quarter"),
    ("executive", "/metrics"),
    ("admin", "/team?org_unit=OU-SALES"),
    ("learner", "/me"),
    ("admin", "/governance"),
]
_TABLE = re.compile(r'<table[^>]*id="table-([\w-]+)"[^>]*>(.*?)</table>', re.S)
_FIGURE = re.compile(r'<figure class="chart" id="chart-([\w-]+)">(.*?)</figure>', re.S)
_LINK = re.compile(
    r'<a[^>]*href="([^"]*)"[^>]*data-format="(\w+)"|<a[^>]*data-format="(\w+)"[^>]*href="([^"]*)"'
)


@pytest.fixture(scope="module")
def web_settings(small_demo_with_users: Callable[[], Settings]) -> Settings:
    """A 300-person demo company with the demo's users (one per role)."""
    return small_demo_with_users()


def _links(fragment: str) -> dict[str, str]:
    """format -> href of the download links in an HTML fragment."""
    found = {}
    for href, fmt, fmt2, href2 in _LINK.findall(fragment):
        found[fmt or fmt2] = html.unescape(href or href2)
    return found


def _twin(path: str, fmt: str, href: str) -> str:
    base = path.partition("?")[0]
    return (f"{base}.{fmt}{href}") if href.startswith("?") else href


@pytest.mark.parametrize(("user", "path"), PAGES)
def test_every_table_has_csv_and_every_chart_svg_and_png(
    sign_in: Callable[[str], TestClient], user: str, path: str
) -> None:
    client = sign_in(user)
    page = client.get(path, headers=HTML)
    assert page.status_code == 200
    tables = _TABLE.findall(page.text)
    assert tables, "no table on the page"
    for name, body in tables:
        links = _links(body)
        href = links.get("csv") or next(
            (html.unescape(h) for h in re.findall(r'href="([^"]*\.csv[^"]*)"', body)), None
        )
        assert href, f"table {name} has no CSV link"
        answer = client.get(_twin(path, "csv", href))
        assert answer.status_code == 200, (name, answer.text[:200])
        assert answer.headers["content-type"].startswith("text/csv")
        assert answer.text.count("\n") >= 1, name
    for name, body in _FIGURE.findall(page.text):
        links = _links(body)
        assert {"svg", "png"} <= set(links), f"chart {name} lacks SVG or PNG"
        svg = client.get(_twin(path, "svg", links["svg"]))
        assert svg.status_code == 200
        assert "<svg" in svg.text
        png = client.get(_twin(path, "png", links["png"]))
        assert png.content.startswith(b"\x89PNG")
