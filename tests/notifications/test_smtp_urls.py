"""Where Talk's mail goes (``TALK_SMTP_URL``): a URL read at start-up, and a bad one stops it,
naming the problem."""

from __future__ import annotations

import pytest

from notifications.smtp import parse_smtp_url
from talk import create_app
from talk.config import ConfigError


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://mail.example.org", "smtp://"),
        ("smtp://", "no host"),
        ("smtp://mail.example.org:99999", "port"),
        ("smtps://mail.example.org?starttls=1", "TLS already"),
        ("smtp://mail.example.org?tls=1", "unknown option"),
    ],
)
def test_a_bad_smtp_url_stops_start_up_naming_it(tmp_path, monkeypatch, url, problem):
    monkeypatch.setenv("TALK_SMTP_URL", url)
    with pytest.raises(ConfigError, match="TALK_SMTP_URL") as stopped:
        create_app({"INSTANCE_PATH": str(tmp_path)})
    assert problem in str(stopped.value)


def test_smtp_urls_say_where_and_how():
    plain = parse_smtp_url("smtp://relay.local")
    assert (plain.host, plain.port, plain.starttls, plain.implicit_tls) == (
        "relay.local",
        25,
        False,
        False,
    )
    tls = parse_smtp_url("smtp://me%40x.org:p%2Fw@mail.x.org:587?starttls=1")
    assert (tls.port, tls.starttls, tls.username, tls.password) == (587, True, "me@x.org", "p/w")
    assert parse_smtp_url("smtps://mail.x.org").port == 465
