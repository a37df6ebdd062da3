"""The account emails end to end: the core asks (``account_mail``), this package renders and
queues them, the worker sends them to a real SMTP server, and the link in the email works."""

from __future__ import annotations

import random
import re

from notifications import delivery
from tests.conftest import TEST_PASSWORD, csrf_token
from tests.talk.web.pages import submit, text


def sent(app, smtp):
    """Drain the outbox and return the emails the server received."""
    with app.app_context():
        delivery.drain("test-worker", rng=random.Random(1))
    return smtp.received


def link_in(message):
    """The one link of the email's text part that is not the login page, as a path."""
    body = message.get_body(("plain",)).get_content()
    [url] = [u for u in re.findall(r"https?://\S+", body) if not u.endswith("/login")]
    html = message.get_body(("html",)).get_content()
    assert f'href="{url.replace("&", "&amp;")}"' in html  # the same link, a real one
    return re.sub(r"^https?://[^/]+", "", url)


def test_signing_up_works_through_the_email_the_worker_sends(app, client, smtp):
    submit(
        client,
        "/register",
        username="ada",
        display_name="Ada Lovelace",
        email="ada@example.org",
        password=TEST_PASSWORD,
        confirm=TEST_PASSWORD,
    )
    [email] = sent(app, smtp)
    assert (email["To"], email["Subject"]) == ("ada@example.org", "Confirm your email address")
    html = email.get_body(("html",)).get_content()
    assert '<html lang="en">' in html and "<h1>Confirm your email address</h1>" in html
    link = link_in(email)
    done = client.post(link, data={"csrf_token": csrf_token(client, link)})
    assert done.status_code == 302
    assert "Ada Lovelace" in text(client.get("/"))


def test_a_forgotten_password_is_reset_through_the_email_and_unknown_addresses_get_none(
    app, client, make, smtp
):
    make.user("grace")
    submit(client, "/forgot-password", email="nobody@example.org")
    submit(client, "/forgot-password", email="grace@example.org")
    [email] = sent(app, smtp)
    assert (email["To"], email["Subject"]) == ("grace@example.org", "Choose a new password")
    assert "This link works once, until" in email.get_body(("plain",)).get_content()
    done = submit(client, link_in(email), new_password="a new password", confirm="a new password")
    assert done.status_code == 302
    [_, notice] = sent(app, smtp)
    assert notice["Subject"] == "Your password was changed"
