"""Where a person answers "send me updates from this project": the project's page (and there,
once they follow it, the question of joining), their settings, the sign-up form, and the page
a newsletter's unsubscribe link opens. Plain POST forms with CSRF, no JavaScript; every opt-in
form shows :func:`notifications.consent.wording` and sends it back, and an answer to words the
person did not see (the project was renamed since) is refused. Nothing is ever ticked for them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from notifications import consent
from notifications.follow_models import Follow
from notifications.newsletter_models import UpdatesConsent
from talk import policy, signals
from talk.errors import Conflict, InvalidInput, NotAuthenticated
from talk.extensions import db
from talk.models import Discussion, Project, User
from talk.services import projects
from talk.web import slots
from talk.web.common import ResponseLike, add_error_handlers, safe_next, viewer

bp = Blueprint("consent", __name__, template_folder="templates")
add_error_handlers(bp)

#: The sign-up form's field (``extra.updates``, the project's slug when ticked).
REGISTER_FIELD = "updates"
#: The sources a page form may name: the project page's control and its joining question.
PROJECT_PAGE_SOURCES = ("project-page", "join")


#: Where an answer was given, as the settings page's history says it.
SOURCE_WORDS: dict[str, str] = {
    "registration": "when you registered",
    "join": "when you followed the project",
    "project-page": "on the project's page",
    "settings": "in your settings",
    "api": "through the API",
    "unsubscribe": "from an update's unsubscribe link",
    "account-closed": "when your account was closed",
}


def _me() -> User:
    user = viewer()
    if not policy.is_person(user):
        raise NotAuthenticated("Log in to choose which projects send you updates.")
    assert isinstance(user, User)
    return user


def _form_answer(project: Project) -> bool:
    """The form's ``opt_in`` (``yes`` / ``no``); a yes must carry the words it showed."""
    raw = request.form.get("opt_in", "")
    if raw not in ("yes", "no"):
        raise InvalidInput("opt_in: yes or no.", {"opt_in": ["yes or no."]})
    if raw == "yes" and request.form.get("wording") != consent.wording(project):
        raise Conflict(
            "The words you were shown have changed since: read them again and answer.",
            {"wording": ["Changed since shown."]},
        )
    return raw == "yes"


def _said(project: Project, opted_in: bool, changed: bool) -> None:
    if not changed:
        flash("Nothing changed: that was your answer already.", "success")
    elif opted_in:
        flash(f"{project.title} will send you its updates by email.", "success")
    else:
        flash(f"{project.title} will send you no more updates.", "success")


# --------------------------------------------------------------------------- project page


@bp.route("/projects/<slug>/updates/consent", methods=["POST"])
def answer_on_project(slug: str) -> ResponseLike:
    """The project page's control (``source`` ``project-page``) or joining question (``join``)."""
    user = _me()
    project = projects.get_project(slug)
    source = request.form.get("source", "project-page")
    if source not in PROJECT_PAGE_SOURCES:
        raise InvalidInput(
            f"source: one of {', '.join(PROJECT_PAGE_SOURCES)}.", {"source": ["Unknown."]}
        )
    opted_in = _form_answer(project)
    _said(project, opted_in, consent.answer(user, project, opted_in, source=source))
    return redirect(
        safe_next(request.form.get("next")) or url_for("projects.home", slug=project.slug)
    )


def _page_state(user: User, project: Project) -> tuple[bool | None, bool]:
    """One query: the person's answer (None: never asked) and whether they follow ``project``."""
    answer = select(UpdatesConsent.opted_in).where(
        UpdatesConsent.user_id == user.id, UpdatesConsent.project_id == project.id
    )
    follows = select(Follow.id).where(
        Follow.user_id == user.id, Follow.project_id == project.id, Follow.level == "follow"
    )
    row = db.session.execute(select(answer.scalar_subquery(), follows.exists())).one()
    return row[0], bool(row[1])


def project_control(project: Project) -> Markup | str:
    """Under the project's title: ask, show the answer, let them stop. Following the project
    is Talk's "joining" it: until they answer, the question is asked as such (``join``)."""
    user = viewer()
    if not policy.is_person(user):
        return ""
    answer, follows = _page_state(user, project)
    return slots.render(
        "consent/_project_control.html",
        project=project,
        opted_in=bool(answer),
        joining=answer is None and follows,
        wording=consent.wording(project),
    )


# --------------------------------------------------------------------------- settings


@bp.route("/settings/updates", methods=["GET"])
def settings_page() -> ResponseLike:
    user = _me()
    return render_template(
        "consent/settings.html",
        offered=consent.projects_to_offer(user),
        history=consent.history_with_projects(user),
        sources=SOURCE_WORDS,
    )


@bp.route("/settings/updates", methods=["POST"])
def answer_in_settings() -> ResponseLike:
    user = _me()
    project = projects.get_project(request.form.get("project", "").strip())
    opted_in = _form_answer(project)
    _said(project, opted_in, consent.answer(user, project, opted_in, source="settings"))
    return redirect(url_for("consent.settings_page"))


def settings_section() -> Markup | str:
    """The account settings page's section pointing to the updates page."""
    if not policy.is_person(viewer()):
        return ""
    return slots.render("consent/_settings_section.html")


# --------------------------------------------------------------------------- sign-up


def project_of_path(path: str | None) -> Project | None:
    """The project a page of this site belongs to (a project's pages, a discussion), or None:
    where the sign-up started (its ``?next=``), so the form can ask about that project."""
    if not path:
        return None
    try:
        _, args = current_app.url_map.bind("localhost").match(urlsplit(path).path)
    except (HTTPException, RequestRedirect):
        return None
    if isinstance(args.get("slug"), str):  # every page's <slug> is its project's
        return db.session.scalar(select(Project).where(Project.slug == args["slug"]))
    if isinstance(args.get("discussion_id"), int):
        discussion = db.session.get(Discussion, args["discussion_id"])
        return None if discussion is None else discussion.project
    return None


def register_field(next_path: str | None) -> Markup | str:
    """An unticked checkbox on the sign-up form when it started from a project's page."""
    project = project_of_path(next_path)
    if project is None:
        return ""
    name = f"extra.{REGISTER_FIELD}"
    return slots.render(
        "consent/_register_field.html",
        project=project,
        name=name,
        # Ticked only when the person ticked it themselves and the form came back with a problem.
        ticked=request.form.get(name) == project.slug,
        wording=consent.wording(project),
    )


def opt_in_on_registration(user: User, *, answers: dict[str, str] | None = None, **_: Any) -> None:
    """The sign-up's ticked box: consent given when the account is made (its address is
    confirmed by then). A box for a project gone since records nothing."""
    slug = (answers or {}).get(REGISTER_FIELD)
    if not slug:
        return
    project = db.session.scalar(select(Project).where(Project.slug == slug))
    if project is not None:
        consent.opt_in(user, project, source="registration")


signals.user_registered.connect(opt_in_on_registration)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    slots.register(app, "project.actions", project_control)
    slots.register(app, "settings.sections", settings_section)
    slots.register(app, "register.fields", register_field)
