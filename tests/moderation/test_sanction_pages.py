"""The sanction pages work without JavaScript: a moderator decides from a person's page with
the suggested step filled in; the person reads their standing; site admins ban."""

from __future__ import annotations

from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from moderation.sanction_models import Sanction
from talk.extensions import db
from tests.conftest import csrf_token, login
from tests.moderation.people import logout

PERSON = "/projects/here/moderation/people/sus"


def _post(client: FlaskClient, path: str, page: str, **data: str) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})


def test_a_moderator_warns_mutes_notes_and_lifts_from_the_persons_page(
    app: Flask, client: FlaskClient, world: SimpleNamespace, notices: list[dict[str, Any]]
) -> None:
    login(client, "mod")
    page = client.get(PERSON).get_data(as_text=True)
    assert 'value="warn" checked' in page and "No earlier decisions" in page
    warned = _post(client, f"{PERSON}/actions", PERSON, action="warn", reason="spam", note="Stop")
    assert warned.status_code == 302
    page = client.get(PERSON).get_data(as_text=True)
    assert 'value="mute" checked' in page and 'name="days" min="1"' in page
    assert 'value="1"' in page
    muted = _post(client, f"{PERSON}/actions", PERSON, action="mute", reason="spam", days="1")
    assert muted.status_code == 302
    noted = _post(client, f"{PERSON}/notes", PERSON, body="Posts at night")
    assert noted.status_code == 302
    page = client.get(PERSON).get_data(as_text=True)
    assert "Posts at night" in page and "user.mute" in page and "Lift now" in page
    with app.app_context():
        mute_id = db.session.scalars(select(Sanction.id).where(Sanction.kind == "mute")).one()
    lifted = _post(client, f"/moderation/sanctions/{mute_id}/lift", PERSON, note="")
    assert lifted.status_code == 302
    assert [n["kind"] for n in notices] == [
        "moderation.warned",
        "moderation.muted",
        "moderation.lifted",
    ]


@pytest.mark.parametrize(
    "data",
    [
        {"action": "mute", "reason": "spam", "days": ""},
        {"action": "mute", "reason": "spam", "days": "0"},
        {"action": "suspend", "reason": "spam", "days": "-2"},
        {"action": "suspend", "reason": "spam", "days": "９"},
        {"action": "suspend", "reason": "nonsense"},
        {"action": "explode", "reason": "spam"},
    ],
)
def test_bad_form_input_is_a_422_page_naming_it(
    app: Flask, client: FlaskClient, world: SimpleNamespace, data: dict[str, str]
) -> None:
    login(client, "mod")
    response = _post(client, f"{PERSON}/actions", PERSON, **data)
    assert response.status_code == 422
    assert "Please check your request" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Sanction)).all() == []


def test_the_standing_page_shows_the_site_ban_and_my_standing_lists_all(
    client: FlaskClient, world: SimpleNamespace
) -> None:
    login(client, "boss")
    assert "Nobody is banned" in client.get("/moderation/bans").get_data(as_text=True)
    banned = _post(
        client, "/moderation/bans", "/moderation/bans", username="sus", reason="spam", days=""
    )
    assert banned.status_code == 302
    bans = client.get("/moderation/bans").get_data(as_text=True)
    assert "In force indefinitely" in bans
    assert (
        _post(
            client, "/moderation/bans", "/moderation/bans", username="boss", reason="spam"
        ).status_code
        == 403
    )
    logout(client)
    login(client, "sus")
    for path in ("/projects/elsewhere/standing", "/me/standing"):
        html = client.get(path).get_data(as_text=True)
        assert "You are banned from this site indefinitely: spam." in html
    home = client.get("/projects/here").get_data(as_text=True)
    assert "Your standing in Asylum Registers" in home
    assert "Appeals" not in home


def test_moderators_see_a_moderate_link_beside_comments_and_appeals_on_the_project(
    client: FlaskClient, world: SimpleNamespace
) -> None:
    login(client, "mod")
    html = client.get(f"/discussions/{world.discussion.id}").get_data(as_text=True)
    assert "/projects/here/moderation/people/vol" in html
    assert "/projects/here/moderation/appeals" in client.get("/projects/here").get_data(
        as_text=True
    )
    logout(client)
    login(client, "exp")
    html = client.get(f"/discussions/{world.discussion.id}").get_data(as_text=True)
    assert "/moderation/people/" not in html


def test_the_account_menu_leads_to_my_standing_and_site_admins_to_the_bans(
    client: FlaskClient, world: SimpleNamespace
) -> None:
    login(client, "sus")
    html = client.get("/").get_data(as_text=True)
    assert 'href="/me/standing">Standing</a>' in html and "/moderation/bans" not in html
    logout(client)
    login(client, "boss")
    assert 'href="/moderation/bans">Site bans</a>' in client.get("/").get_data(as_text=True)


class _Controls(HTMLParser):
    """Form controls, labels, ids and inline styles of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[str] = []
        self.labels: set[str] = set()
        self.ids: list[str] = []
        self.styled = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "style" in found or tag == "style":
            self.styled += 1
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "label" and found.get("for"):
            self.labels.add(str(found["for"]))
        if tag in ("input", "select", "textarea") and found.get("type") != "hidden":
            self.controls.append(str(found.get("id")))


def test_every_control_on_the_sanction_pages_has_a_label_and_no_inline_style(
    client: FlaskClient, world: SimpleNamespace
) -> None:
    login(client, "boss")
    _post(client, f"{PERSON}/actions", PERSON, action="suspend", reason="spam", days="2")
    logout(client)
    login(client, "sus")
    standing = client.get("/projects/here/standing").get_data(as_text=True)
    logout(client)
    login(client, "boss")
    for html in (
        client.get(PERSON).get_data(as_text=True),
        client.get("/moderation/bans").get_data(as_text=True),
        client.get("/projects/here/moderation/appeals").get_data(as_text=True),
        standing,
    ):
        page = _Controls()
        page.feed(html)
        assert page.styled == 0
        assert len(page.ids) == len(set(page.ids))
        assert set(page.controls) <= page.labels, set(page.controls) - page.labels
    assert "appeal-" in standing


@pytest.mark.parametrize("kind", ["mute", "suspend", "ban"])
def test_where_the_reply_form_would_be_a_sanctioned_person_finds_their_standing(
    app: Flask, client: FlaskClient, world: SimpleNamespace, make: Any, kind: str
) -> None:
    """The refusal says until when and why; the link beside it leads to the page with the
    whole decision and the appeal. Elsewhere (another project, for a mute or suspension) the
    reply form is there and no link."""
    from moderation import sanctions
    from tests.moderation.people import project, user

    with make.context():
        person = user(world.people.suspended)
        if kind == "ban":
            sanctions.ban(user(world.people.site_admin), person, reason="spam", days=3)
        else:
            decide = sanctions.mute if kind == "mute" else sanctions.suspend
            decide(user(world.people.moderator), project(world.here), person, days=3, reason="spam")
        db.session.commit()
    link = 'href="/projects/here/standing">Your standing in Asylum Registers: until when, why'
    login(client, "sus")
    page = client.get(f"/discussions/{world.discussion.id}").get_data(as_text=True)
    reply = page[page.index('id="reply"') :]
    assert 'class="refusal"' in reply and "until 17 March 2026, 12:00 (UTC): spam." in reply
    assert link in reply
    standing = client.get("/projects/here/standing")
    assert standing.status_code == 200 and "until 17 March 2026" in standing.get_data(as_text=True)

    elsewhere = client.get(f"/discussions/{world.there.id}").get_data(as_text=True)
    assert ("Post reply" in elsewhere) is (kind != "ban")
    assert "Your standing in Asylum Registers: until" not in elsewhere
    if kind == "ban":
        assert 'href="/projects/elsewhere/standing">Your standing in Ship Logs' in elsewhere

    login(client, "vol")  # not sanctioned: the form, no link
    free = client.get(f"/discussions/{world.discussion.id}").get_data(as_text=True)
    assert "Post reply" in free and link not in free
