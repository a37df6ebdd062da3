"""A group's CSV and JSON exports: every matching item, the group's tags on it, verified or
not, and cells a spreadsheet cannot run."""

import csv
import io
import json

import pytest

from talk.exports import csv_line, safe_cell
from talk.services import tag_matching

BASE = "/projects/herbarium/groups"


@pytest.fixture
def catalogue(make, herbarium, register, tag_items, group, verdict):
    """Items with awkward titles, tagged, one tag verified, and a group over them."""
    items = register(
        herbarium,
        [
            {"external_id": "K-001", "title": "Plain sheet", "image_url": "https://img/1.jpg"},
            {"external_id": "K-002", "title": '=HYPERLINK("https://evil.example","x")'},
            {"external_id": "-K-003", "title": '+1 sheet, with "quotes"\nand a line'},
            {"external_id": "K-004", "title": "@SUM(A1)"},
            {"external_id": "K-005", "title": "Not in the group"},
            {"external_id": "K-006", "title": "Ward 3;=1+1"},
        ],
    )
    tag_items(
        herbarium,
        [
            (items[0], "#nurse #Église"),
            (items[1], "#nurse"),
            (items[2], "#église"),
            (items[3], "#nurse #army"),
            (items[4], "#army"),
            (items[5], "#nurse"),
        ],
    )
    verdict(herbarium, items[0], "nurse", "verified")
    group(herbarium, make.user(), title="Nurses", query="#nurse OR #Église AND NOT #army")
    return items


def test_csv_export_lists_every_item_safely(client, catalogue):
    response = client.get(f"{BASE}/nurses/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="herbarium-nurses.csv"'
    raw = response.get_data(as_text=True)
    # Quoted, so a spreadsheet splitting on ';' keeps the cell whole; the formula is neutralised.
    assert '"K-006","Ward 3;\'=1+1",' in raw
    rows = list(csv.reader(io.StringIO(raw)))
    assert rows == [
        ["external_id", "title", "url", "image_url", "tags", "verified_tags"],
        [
            "K-006",
            "Ward 3;'=1+1",
            "http://talk.test/projects/herbarium/items/K-006",
            "",
            "nurse",
            "",
        ],
        [
            "K-004",
            "'@SUM(A1)",
            "http://talk.test/projects/herbarium/items/K-004",
            "",
            "nurse army",
            "",
        ],
        [
            "'-K-003",
            '\'+1 sheet, with "quotes"\nand a line',
            "http://talk.test/projects/herbarium/items/-K-003",
            "",
            "église",
            "",
        ],
        [
            "K-002",
            '\'=HYPERLINK("https://evil.example","x")',
            "http://talk.test/projects/herbarium/items/K-002",
            "",
            "nurse",
            "",
        ],
        [
            "K-001",
            "Plain sheet",
            "http://talk.test/projects/herbarium/items/K-001",
            "https://img/1.jpg",
            "nurse église",
            "nurse",
        ],
    ]


def test_json_export_holds_the_group_and_every_item(client, catalogue, clock):
    response = client.get(f"{BASE}/nurses/export.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].endswith('filename="herbarium-nurses.json"')
    document = json.loads(response.get_data(as_text=True))
    assert document["project"] == "herbarium"
    assert document["exported_at"] == clock.now.isoformat()
    assert document["group"] == {
        "slug": "nurses",
        "title": "Nurses",
        "description": "",
        "query": "#nurse OR #Église AND NOT #army",
        "verified_only": False,
        "url": "http://talk.test/projects/herbarium/groups/nurses",
    }
    external_ids = [i["external_id"] for i in document["items"]]
    assert external_ids == ["K-006", "K-004", "-K-003", "K-002", "K-001"]
    assert document["items"][4] == {
        "external_id": "K-001",
        "title": "Plain sheet",
        "url": "http://talk.test/projects/herbarium/items/K-001",
        "image_url": "https://img/1.jpg",
        "tags": [{"name": "nurse", "verified": True}, {"name": "église", "verified": False}],
    }
    assert document["items"][2]["title"] == '+1 sheet, with "quotes"\nand a line'


def test_exports_read_in_batches_and_handle_an_empty_group(
    client, make, herbarium, tag_items, group, monkeypatch
):
    items = make.items(herbarium, 7)
    tag_items(herbarium, [(item, "#orchid") for item in items])
    group(herbarium, make.user(), title="Orchids", query="#orchid")
    group(herbarium, make.user(), title="Empty", query="#nobody")
    monkeypatch.setattr(tag_matching, "EXPORT_BATCH", 3)

    rows = list(csv.reader(io.StringIO(client.get(f"{BASE}/orchids/export.csv").text)))
    assert [row[0] for row in rows[1:]] == [item.external_id for item in reversed(items)]
    document = client.get(f"{BASE}/orchids/export.json").get_json()
    assert len(document["items"]) == 7

    assert client.get(f"{BASE}/empty/export.csv").text == (
        '"external_id","title","url","image_url","tags","verified_tags"\r\n'
    )
    assert client.get(f"{BASE}/empty/export.json").get_json()["items"] == []


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t'=1"),  # a tab is also a separator some spreadsheets split on
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
        ("x;=1+1", "x;'=1+1"),
        ("a, -1", "a, '-1"),
        ("tab\t@x|+y", "tab\t'@x|'+y"),
        ("1850-1860", "1850-1860"),
        ("", ""),
        (12, 12),
        (None, None),
    ],
)
def test_safe_cell_quotes_what_a_spreadsheet_would_run(value, cell):
    assert safe_cell(value) == cell


def test_csv_line_quotes_every_text_cell_and_ends_with_crlf():
    assert csv_line(["a,b", '"q"', "=x", "x;=1", 3, None]) == (
        '"a,b","""q""","\'=x","x;\'=1",3,""\r\n'
    )
