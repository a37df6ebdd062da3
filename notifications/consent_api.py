"""The caller's consent to one project's updates in the JSON API:
``GET/PUT /api/v1/me/projects/{slug}/updates`` (``{"opt_in": true|false}``), recorded with
source ``api`` and the words :func:`notifications.consent.wording` returns (which ``GET``
shows, so a client can show them before asking)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from notifications import consent
from talk import policy
from talk.api import auth, base, schemas
from talk.errors import NotAuthenticated
from talk.models import Project
from talk.services import projects

blp = base.api_blueprint(
    "api_project_updates", "Whether the caller gets a project's updates (newsletters) by email."
)


class UpdatesAnswerSchema(schemas.RequestSchema):
    opt_in = schemas.JsonBoolean(
        required=True,
        metadata={"description": "true: send me this project's updates; false: stop them."},
    )


class UpdatesStandingSchema(Schema):
    opt_in = fields.Boolean(
        attribute="opted_in", metadata={"description": "Whether the caller gets them now."}
    )
    changed_at = fields.DateTime(
        allow_none=True, metadata={"description": "When they last answered; null: never."}
    )
    wording = fields.String(
        metadata={"description": "The words an opt-in agrees to (recorded with it)."}
    )


def _project(slug: str) -> Project:
    """The project, once the caller is known to be a person (401 before 404)."""
    if not policy.is_person(auth.viewer()):
        raise NotAuthenticated("Log in (an API token) to answer for yourself.")
    project = projects.get_project(slug)
    policy.require(auth.actor(), "updates.answer", project)
    return project


@blp.route("/me/projects/<slug>/updates")
class MyProjectUpdates(MethodView):
    @blp.response(200, UpdatesStandingSchema)
    def get(self, slug: str) -> consent.Standing:
        """Whether the caller gets this project's updates, and the words an opt-in agrees to."""
        project = _project(slug)
        return consent.standing(auth.actor(), project)

    @blp.arguments(UpdatesAnswerSchema)
    @blp.response(200, UpdatesStandingSchema)
    def put(self, body: dict[str, Any], slug: str) -> consent.Standing:
        """Ask for this project's updates or stop them (idempotent: the same answer again
        changes nothing and records nothing)."""
        project = _project(slug)
        consent.answer(auth.actor(), project, body["opt_in"], source="api")
        return consent.standing(auth.actor(), project)
