"""Notifications' part of ``talk demo`` (``talk.demo.DEMO_DATA``): which demo volunteers asked
for the project's updates, each through a different door, so a newsletter written in the demo
reaches some and not others. ``inkhunter`` never answered; ``botanybee`` asked, then stopped
from an update's link."""

from __future__ import annotations

from notifications import consent
from talk.models import Project, User

#: Volunteer → where they asked for the updates (each recorded with the words shown).
OPTED_IN = {
    "fern_finder": "registration",
    "margaret_moss": "project-page",
    "kew_walker": "join",
    "lichen_lady": "settings",
    "quillpen": "api",
}
OPTED_OUT = "botanybee"
NEVER_ASKED = "inkhunter"


def add_demo_consents(project: Project, people: dict[str, User]) -> None:
    for username, source in OPTED_IN.items():
        if username in people:
            consent.opt_in(people[username], project, source=source)
    if OPTED_OUT in people:
        consent.opt_in(people[OPTED_OUT], project, source="project-page")
        consent.opt_out(people[OPTED_OUT], project, source="unsubscribe")
