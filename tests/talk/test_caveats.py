"""The caveats seam (talk.caveats): per app, in registration order, once per function."""

from __future__ import annotations

from flask import Flask

from talk import caveats


def test_providers_are_per_app_ordered_and_registered_once():
    app, other = Flask("a"), Flask("b")

    def first(discussion):
        return [f"first about {discussion}"]

    def second(_discussion):
        return ["second", "and more"]

    caveats.register(app, first)
    caveats.register(app, second)
    caveats.register(app, first)
    with app.app_context():
        assert caveats.about("d1") == ["first about d1", "second", "and more"]
    with other.app_context():
        assert caveats.about("d1") == []
