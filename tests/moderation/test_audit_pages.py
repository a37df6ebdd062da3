"""The audit log's pages and exports: filters, formula-safe CSV, JSON, and only for the
project's moderators."""

from __future__ import annotations

import csv
import io
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from moderation import audit, audit_log
from talk.extensions import db
from talk.models import Project, User
from tests.conftest import Clock, Factory, login
from tests.talk.web.pages import text

DANGEROUS = ['=HYPERLINK("http://evil")', "+1+1", "-2", "@SUM(A1)", "\tx", "\rx"]


@pytest.fixture
def scene(app: Flask, make: Factory, clock: Clock) -> SimpleNamespace:
    project = make.project("herbarium")
    other = make.project("whaling")
    moderator = make.member(project, "moderator", username="mod")
    author = make.user("author")
    with make.context():
        actor = db.session.get(User, moderator.id)
        subject = db.session.get(User, author.id)
        here = db.session.get(Project, project.id)
        for note in DANGEROUS:
            audit.record(
                actor,
                "comment.hide",
                project=here,
                target_type="comment",
                target_id=1,
                subject=subject,
                reason="spam",
                note=note,
            )
        clock.advance(days=2)
        audit.record(actor, "case.dismiss", project=here, target_type="comment", target_id=2)
        audit.record(
            actor,
            "case.dismiss",
            project=db.session.get(Project, other.id),
            target_type="comment",
            target_id=3,
            note="elsewhere",
        )
    return SimpleNamespace(project=project)


def test_formula_safe_prefixes_what_a_spreadsheet_would_run() -> None:
    assert [audit_log.formula_safe(v) for v in DANGEROUS] == ["'" + v for v in DANGEROUS]
    assert audit_log.formula_safe("plain = fine") == "plain = fine"
    assert audit_log.formula_safe(None) == ""


def test_the_csv_export_is_formula_safe_and_of_this_project(
    client: FlaskClient, scene: SimpleNamespace
) -> None:
    login(client, "mod")
    response = client.get("/projects/herbarium/moderation/audit.csv?action=comment.hide")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(text(response), newline="")))
    assert sorted(r["note"] for r in rows) == sorted("'" + v for v in DANGEROUS)
    assert {r["subject"] for r in rows} == {"author"}
    everything = text(client.get("/projects/herbarium/moderation/audit.csv"))
    assert "elsewhere" not in everything


def test_json_and_page_filters(client: FlaskClient, scene: SimpleNamespace) -> None:
    login(client, "mod")
    rows = client.get("/projects/herbarium/moderation/audit.json?action=case.dismiss").get_json()
    assert [r["target_id"] for r in rows] == [2]
    page = text(client.get("/projects/herbarium/moderation/audit?subject=author"))
    assert page.count("comment.hide") == len(DANGEROUS)
    assert "case.dismiss" not in page
    dated = client.get("/projects/herbarium/moderation/audit.json?since=2026-03-16").get_json()
    assert [r["action"] for r in dated] == ["case.dismiss"]
    bad = client.get("/projects/herbarium/moderation/audit?since=yesterday")
    assert bad.status_code == 422 and "since must be a date" in text(bad)


def test_volunteers_may_not_read_the_log(
    client: FlaskClient, make: Factory, scene: SimpleNamespace
) -> None:
    make.user("vol")
    login(client, "vol")
    assert client.get("/projects/herbarium/moderation/audit.csv").status_code == 403
