"""Follow, unfollow and mute from the pages (plain POST forms: no JavaScript needed), and the
page listing what I follow. The buttons reach the core's pages through its slots
(:mod:`talk.web.slots`); the core's templates name no package."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from notifications import follows
from talk import policy
from talk.errors import InvalidInput
from talk.limits import MAX_ID
from talk.models import Board, Discussion, Item, Project, Tag, User
from talk.services import accounts
from talk.web import slots
from talk.web.common import (
    ResponseLike,
    add_error_handlers,
    cursor_arg,
    page_size,
    safe_next,
    viewer,
)

bp = Blueprint("follows", __name__, template_folder="templates")
add_error_handlers(bp)


def target_url(target: follows.Target, **options: Any) -> str:
    """The page of a followed thing (``_external=True``: absolute, for the API)."""
    if isinstance(target, Discussion):
        return url_for("discussions.show", discussion_id=target.id, **options)
    if isinstance(target, Item):
        slug, external_id = target.project.slug, target.external_id
        return url_for("projects.item", slug=slug, external_id=external_id, **options)
    if isinstance(target, Board):
        return url_for("projects.board", slug=target.project.slug, board_id=target.id, **options)
    if isinstance(target, Tag):
        return url_for("tags.show", slug=target.project.slug, name=target.name, **options)
    return url_for("projects.home", slug=target.slug, **options)


def target_fields(target: follows.Target) -> dict[str, Any]:
    """The hidden fields that name ``target`` in a follow form (what :func:`_target` reads)."""
    kind = follows.kind_of(target)
    if isinstance(target, Project):
        return {"kind": kind, "project": target.slug}
    if isinstance(target, Tag):
        return {"kind": kind, "project": target.project.slug, "name": target.name}
    return {"kind": kind, "id": target.id}


def _form_id() -> int | None:
    raw = request.form.get("id", "")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_ID:
        raise InvalidInput("id must be a number.", {"id": ["Must be a number."]})
    return int(raw)


def _target() -> follows.Target:
    return follows.find_target(
        viewer(),
        request.form.get("kind", ""),
        target_id=_form_id(),
        project=request.form.get("project") or None,
        name=request.form.get("name") or None,
    )


def _back(target: follows.Target) -> Response:
    return redirect(safe_next(request.form.get("next")) or target_url(target))


@bp.route("/follows", methods=["POST"])
def set_follow() -> ResponseLike:
    """Follow or mute (``level``) the thing the form names, then back to where the form was."""
    target = _target()
    level = request.form.get("level", "follow")
    follows.follow(viewer(), target, level)
    title = follows.title_of(target)
    if level == "mute":
        flash(f"You muted “{title}”: nothing about it will reach you.", "success")
    else:
        flash(f"You follow “{title}” now.", "success")
    return _back(target)


@bp.route("/follows/remove", methods=["POST"])
def remove_follow() -> ResponseLike:
    target = _target()
    was = follows.follow_of(viewer(), target)
    follows.unfollow(viewer(), target)
    verb = "muting" if was is not None and was.level == "mute" else "following"
    flash(f"You stopped {verb} “{follows.title_of(target)}”.", "success")
    return _back(target)


@bp.route("/me/follows")
def my_follows() -> ResponseLike:
    """What I follow and mute, the people I muted, and "follow discussions I take part in"."""
    user = viewer()
    page = follows.follows_page(user, user, cursor=cursor_arg(), limit=page_size())
    mutes = follows.mutes_page(user, user, cursor=None, limit=100)
    return render_template(
        "notifications/follows.html",
        page=page,
        mutes=mutes.rows,
        follow_on_posting=follows.follows_on_posting(user),
        target_url=target_url,
        target_fields=target_fields,
        title_of=follows.title_of,
    )


@bp.route("/me/follows/preferences", methods=["POST"])
def preferences() -> ResponseLike:
    user = viewer()
    value = request.form.get("follow_on_posting") == "on"
    follows.set_follow_on_posting(user, user, value)
    if value:
        flash("Discussions you post in are followed from now on.", "success")
    else:
        flash("Posting no longer follows a discussion.", "success")
    return redirect(url_for("follows.my_follows"))


@bp.route("/users/<username>/mute", methods=["POST"], defaults={"muting": True})
@bp.route("/users/<username>/unmute", methods=["POST"], defaults={"muting": False})
def mute(username: str, muting: bool) -> ResponseLike:
    """Mute (or unmute) a person, then back to where the form was."""
    person = accounts.get_user(username)
    if muting:
        follows.mute_user(viewer(), person)
        flash(f"You muted {person.display_name}: nothing from them will reach you.", "success")
    else:
        follows.unmute_user(viewer(), person)
        flash(f"You no longer mute {person.display_name}.", "success")
    return redirect(safe_next(request.form.get("next")) or url_for("follows.my_follows"))


# --------------------------------------------------------------------------- slots


def follow_buttons(target: follows.Target) -> Markup | str:
    """Follow / mute / unfollow for a logged-in person who may follow ``target``."""
    user = viewer()
    if not follows.is_person(user) or not policy.may(user, "follow", target):
        return ""
    return slots.render(
        "notifications/_follow_buttons.html",
        current=follows.follow_of(user, target),
        kind=follows.kind_of(target),
        fields=target_fields(target),
        title=follows.title_of(target),
    )


def mute_button(person: User) -> Markup | str:
    user = viewer()
    if not policy.may(user, "user.mute", person):
        return ""
    return slots.render(
        "notifications/_mute_button.html", person=person, muted=follows.has_muted(user, person)
    )


def follows_link() -> Markup | str:
    if not follows.is_person(viewer()):
        return ""
    return slots.render("notifications/_header_link.html")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    for name in ("project", "board", "item", "discussion", "tag"):
        slots.register(app, f"{name}.actions", follow_buttons)
    slots.register(app, "user.actions", mute_button)
    slots.register(app, "header.account", follows_link)
