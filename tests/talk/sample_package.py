"""A package for the tests of the seams: it plugs into every one a satellite package uses.

It declares no tables: a model imported once joins ``db.metadata`` for the whole test session,
and the migrations test would (rightly) find a table no migration creates. Its receiver acts
only for apps that list the package, so other tests' apps are unaffected once it is imported.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Blueprint, Flask, current_app, has_app_context
from flask.views import MethodView
from markupsafe import Markup
from marshmallow import Schema, fields

from talk import api, policy, signals
from talk.api import auth
from talk.api.base import api_blueprint
from talk.app import writing
from talk.cli import operator_errors
from talk.config import Setting, positive_int
from talk.errors import InvalidInput, NotFound
from talk.web import slots

NAME = __name__

SETTINGS = (
    Setting(
        "TALK_SAMPLE_GREETING",
        "TALK_SAMPLE_GREETING",
        "hello",
        str,
        "What the sample package's page says.",
    ),
    Setting(
        "TALK_SAMPLE_LIMIT", "TALK_SAMPLE_LIMIT", 3, positive_int, "Highest sample number served."
    ),
    Setting(
        "TALK_SAMPLE_FROZEN",
        "TALK_SAMPLE_FROZEN",
        "",
        str,
        "Comma-separated slugs of read-only projects (the sample veto).",
    ),
    Setting(
        "TALK_SAMPLE_WATCHED",
        "TALK_SAMPLE_WATCHED",
        "",
        str,
        "A word the sample content check refuses (empty: none).",
    ),
)

pages = Blueprint("sample", __name__)


@pages.route("/sample")
def greeting() -> str:
    return current_app.config["TALK_SAMPLE_GREETING"]


class SampleSchema(Schema):
    n = fields.Integer(required=True)
    note = fields.String(load_default="")


resources = api_blueprint("api_sample", "A package's own resource.")


@resources.route("/samples/<int:n>")
class SampleResource(MethodView):
    @resources.response(200, SampleSchema)
    def get(self, n: int) -> dict[str, Any]:
        """A sample, up to TALK_SAMPLE_LIMIT."""
        if n > current_app.config["TALK_SAMPLE_LIMIT"]:
            raise NotFound(f"No sample {n}.")
        return {"n": n, "note": ""}

    @resources.arguments(SampleSchema)
    @resources.response(201, SampleSchema)
    def post(self, body: dict[str, Any], n: int) -> dict[str, Any]:
        """Poke a sample (site admins only)."""
        policy.require(auth.actor(), "sample.poke")
        return {"n": n, "note": body["note"]}


@policy.rule("sample.poke")
def _sample_poke(user: Any, _target: Any) -> bool:
    return bool(getattr(user, "is_site_admin", False))


def _listed() -> bool:
    """Vetoes and checks are process-wide: act only for an app that lists this package."""
    return has_app_context() and NAME in current_app.extensions


def _project_of(target: Any) -> Any:
    for step in (target, getattr(target, "discussion", None)):
        if project := getattr(step, "project", None):
            return project
    return None


def _frozen_projects(actor: Any, action: str, target: Any) -> str | None:
    """A veto: nothing may be written in a read-only project (reading goes on)."""
    if not _listed():
        return None
    project = _project_of(target)
    frozen = {s for s in current_app.config["TALK_SAMPLE_FROZEN"].split(",") if s}
    if project is not None and project.slug in frozen:
        return f"{project.title} is read-only while it is archived."
    return None


def _watched_word(actor: Any, kind: str, target: Any, text: str) -> None:
    """A content check: refuse the watched word, wherever text enters."""
    word = current_app.config["TALK_SAMPLE_WATCHED"] if _listed() else ""
    if word and word in text.lower():
        raise InvalidInput(f"Please leave out {word!r}.", {"body": ["Contains a watched word."]})


def _count_comment(comment: Any, **kwargs: Any) -> None:
    state = current_app.extensions.get(NAME)
    if state is not None:  # an app that lists this package
        state["comments_posted"].append((comment.id, kwargs["actor"].id))


def _discussion_note(discussion: Any) -> str:
    """A slot filler: plain text is escaped by the slot."""
    return f"<Sample> notes {discussion.title!r}"


def _header_note() -> Markup:
    """A slot filler returning HTML of its own (Markup is kept as it is)."""
    return Markup('<li class="sample-note">Sample</li>')


@click.group("sample", help="The sample package's commands.")
def sample_commands() -> None:
    pass


@sample_commands.command("poke")
@click.argument("n", type=int)
@operator_errors
@writing()
def poke_command(n: int) -> None:
    """Poke sample N as the operator."""
    policy.require(policy.OPERATOR, "sample.poke")
    click.echo(f"Poked sample {n} ({current_app.config['TALK_SAMPLE_GREETING']}).")


def init_app(app: Flask) -> None:
    app.extensions[NAME] = {"comments_posted": []}
    app.register_blueprint(pages)
    api.register_blueprint(app, resources)
    app.cli.add_command(sample_commands)
    signals.comment_posted.connect(_count_comment)  # by reference: connecting twice is once
    policy.register_veto(_frozen_projects)  # likewise: registering twice is once
    policy.register_content_check(_watched_word)
    slots.register(app, "discussion.actions", _discussion_note)
    slots.register(app, "discussion.actions", _discussion_note)  # once, however often
    slots.register(app, "header.account", _header_note)
