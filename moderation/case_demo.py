"""Reports in ``talk demo``: a rude reply reported by two volunteers and a comment naming a
living person's address, so the queue has something to show, the personal-information case
first with its due time. Written through the services, as the people would.

``talk.demo`` runs what packages put in ``app.extensions[talk.demo.DEMO_DATA]`` with the demo
project and its people by username (on main since this branch began): the merge appends
:func:`add_demo_reports` there in ``moderation.init_app``.
"""

from __future__ import annotations

from sqlalchemy import select

from moderation import reports
from talk.extensions import db
from talk.models import Discussion, Project, User
from talk.services import discussions

RUDE = "Nobody needs your guesses. Leave the transcribing to people who can read."
PERSONAL = (
    "The collector's granddaughter still lives at 14 Mill Lane, Amesbury; "
    "her phone number is 01980 555 0142 if anyone wants to ask her."
)


def add_demo_reports(project: Project, people: dict[str, User]) -> None:
    """Two reported comments in the project's first discussion (none if it has none)."""
    thread = db.session.scalars(
        select(Discussion).where(Discussion.project_id == project.id).order_by(Discussion.id)
    ).first()
    if thread is None:
        return
    rude = discussions.post_comment(people["downland_dave"], thread, RUDE)
    personal = discussions.post_comment(people["quillpen"], thread, PERSONAL)
    reports.file_report(
        people["fern_finder"], "comment", rude.id, "harassment", "Unkind to a newcomer."
    )
    reports.file_report(people["margaret_moss"], "comment", rude.id, "harassment")
    reports.file_report(
        people["botanybee"],
        "comment",
        personal.id,
        "personal_information",
        "This is a living person's address and phone number.",
    )
