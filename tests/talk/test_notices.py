"""The notices seam (talk.notices): per app, in registration order, once per function."""

from __future__ import annotations

from flask import Flask

from talk import notices


def test_providers_are_per_app_ordered_and_registered_once():
    app, other = Flask("a"), Flask("b")

    def first(discussion):
        return [f"first about {discussion}"]

    def second(_discussion):
        return ["second", "and more"]

    notices.register(app, first)
    notices.register(app, second)
    notices.register(app, first)
    with app.app_context():
        assert notices.about("d1") == ["first about d1", "second", "and more"]
    with other.app_context():
        assert notices.about("d1") == []
