"""Slots: named places on the core's pages where packages put content of their own.

The core's templates call ``{{ slot("discussion.actions", discussion) }}`` where a package may
add something (a follow button, an unread count); a package fills a slot from its
``init_app`` with ``talk.web.slots.register(app, "discussion.actions", fill)``, where
``fill(discussion)`` returns HTML (``markupsafe.Markup``, e.g. a template rendered with
:func:`render`) or plain text (escaped). A slot nobody fills renders nothing, so the core's
templates name no package. Fillers are kept per app (unlike rules and receivers), so an app
without the package shows nothing of it; they render in registration order, which is the
packages' order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, render_template
from markupsafe import Markup, escape

#: ``fill(*args)``: the content for a slot, given what the page passes to it.
Filler = Callable[..., "Markup | str"]

#: Every slot the core's templates offer, with what they pass to it.
SLOTS: dict[str, str] = {
    "header.account": "the header's account menu for a logged-in user, as <li> (no argument)",
    "project.actions": "a project's home page, under its title (the Project)",
    "board.actions": "a board's page, under its title (the Board)",
    "item.actions": "an item's page, under its title (the Item)",
    "discussion.actions": "a discussion's page, under its title (the Discussion)",
    "comment.actions": (
        "each visible comment's list of actions on a discussion's page, as <li> (the Comment);"
        " runs once per comment: no queries"
    ),
    "discussion.reply_refused": (
        "where a discussion's reply form would be, for a logged-in viewer who may not reply,"
        " after the refusal (the Discussion)"
    ),
    "tag.actions": "a tag's page, under its title (the Tag)",
    "user.actions": "a person's profile page, under their name (the User)",
    "settings.sections": "the account settings page, after its own sections (no argument)",
    "register.fields": (
        "the sign-up form, before its button: fields of a package's own, named extra.<name>,"
        " which reach user_registered's receivers as answers (the path the sign-up started"
        " from, ?next=, or None)"
    ),
}

_EXTENSION = "talk_slots"


def register(app: Flask, name: str, fill: Filler) -> None:
    """Fill slot ``name`` on ``app``'s pages with what ``fill`` returns; registering the same
    function twice adds it once. An unknown name is a mistake, refused at start-up."""
    if name not in SLOTS:
        raise ValueError(f"No slot {name!r}; the slots are: {', '.join(SLOTS)}.")
    fillers: list[Filler] = app.extensions.setdefault(_EXTENSION, {}).setdefault(name, [])
    if fill not in fillers:
        fillers.append(fill)


def slot(name: str, *args: Any) -> Markup:
    """What the packages put in slot ``name`` for ``args`` (empty when none fills it)."""
    if name not in SLOTS:
        raise ValueError(f"No slot {name!r}.")
    fillers: list[Filler] = current_app.extensions.get(_EXTENSION, {}).get(name, [])
    return Markup("").join(escape(fill(*args)) for fill in fillers)


def render(template: str, **context: Any) -> Markup:
    """A template rendered for a slot: HTML the template's autoescaping made safe, so kept as
    it is (what a filler returns from ``render_template`` is a plain ``str``, escaped)."""
    return Markup(render_template(template, **context))  # noqa: S704 (autoescaped template)


def init_app(app: Flask) -> None:
    app.extensions.setdefault(_EXTENSION, {})
    app.add_template_global(slot, "slot")
