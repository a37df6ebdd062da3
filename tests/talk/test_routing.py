"""``id_url``: the per-request URL patterns list pages format ids into give what ``url_for``
gives."""

from __future__ import annotations

from flask import Flask, url_for

from talk import routing


def test_id_url_is_url_for(app: Flask):
    cases = [
        ("discussions.comment", "comment_id", 7, {}),
        ("discussions.comment", "comment_id", 123456, {}),
        ("cases.report", "target_id", 42, {"target_type": "comment"}),
        (
            "discussions.show",
            "reply_to",
            9,
            {"discussion_id": 3, "cursor": "WzEwXQ", "_anchor": "body"},
        ),
        (
            "discussions.show",
            "reply_to",
            10,
            {"discussion_id": 3, "cursor": None, "_anchor": "body"},
        ),
    ]
    with app.test_request_context("/"):
        for endpoint, name, value, values in cases:
            expected = url_for(endpoint, **values, **{name: value})
            assert routing.id_url(endpoint, name, value, **values) == expected
            assert routing.id_url(endpoint, name, value, **values) == expected  # kept pattern
    server_name = app.config.get("SERVER_NAME")
    app.config["SERVER_NAME"] = server_name or "talk.test"
    try:
        with app.app_context():  # outside a request: url_for itself
            assert routing.id_url("discussions.comment", "comment_id", 5) == url_for(
                "discussions.comment", comment_id=5
            )
    finally:
        app.config["SERVER_NAME"] = server_name


def test_a_url_holding_the_placeholders_digits_elsewhere_is_built_each_time(app: Flask):
    other = routing._PLACEHOLDER
    with app.test_request_context("/"):
        url = routing.id_url("discussions.show", "reply_to", 9, discussion_id=other)
        assert url == url_for("discussions.show", discussion_id=other, reply_to=9)
