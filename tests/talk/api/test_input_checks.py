"""Bad input from an outside trial (issue 8): each answers a clear 4xx naming the problem, in
the API's error shape, and changes nothing — never a 500, never a silent reinterpretation."""

from __future__ import annotations

import base64
import json

import pytest

API = "/api/v1"
ITEMS = f"{API}/projects/herbarium/items"


def _cursor(values):
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _row(n, **extra):
    return {"external_id": f"sheet/{n:05d}", "title": f"Sheet {n}", **extra}


# --------------------------------------------------------------------------- search dates


@pytest.mark.parametrize(
    "period",
    [
        "to=9999-12-31",
        "from=9999-12-31",
        "from=9999-12-31&to=9999-12-31",
        "from=0001-01-01",
        "to=0001-01-01",
        "from=0001-01-01&to=9999-12-31",
    ],
)
def test_search_periods_at_the_limits_of_the_calendar_answer(client, world, period):
    response = client.get(f"{API}/search?q=leaf&{period}")
    assert response.status_code == 200, response.get_data(as_text=True)
    page = client.get(f"/search?q=leaf&{period}")
    assert page.status_code == 200


def test_search_to_the_last_day_finds_everything_since(client, world):
    found = client.get(f"{API}/search?q=leaf&to=9999-12-31").get_json()["data"]
    assert found == client.get(f"{API}/search?q=leaf").get_json()["data"] != []
