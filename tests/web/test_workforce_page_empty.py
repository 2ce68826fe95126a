"""The workforce planning page on an organisation without workforce data: the empty state
names the data to import next."""

from __future__ import annotations

from collections.abc import Callable

from starlette.testclient import TestClient


def test_the_empty_page_says_which_data_to_import_next(
    sign_in: Callable[[str], TestClient],
) -> None:
    analyst = sign_in("analyst")
    page = analyst.get("/workforce.json").json()
    assert page["tables"]["forecast"] == []
    assert [m["input"] for m in page["missing_inputs"]] == [
        "role_skill_requirements",
        "people.role_id",
        "proficiency_ratings",
        "headcount_plans",
    ]
    assert all(m["import"].startswith("learnledger import ") for m in page["missing_inputs"])
    html = analyst.get("/workforce").text
    assert "Data to import next" in html
    assert "learnledger import role_skill_requirements" in html
    assert "learnledger import headcount_plans" in html
    assert "No forecast yet" in html
    assert 'id="chart-supply"' not in html
    assert analyst.get("/workforce.svg").status_code == 404
    assert analyst.get("/workforce.csv").status_code == 200
