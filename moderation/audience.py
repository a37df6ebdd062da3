"""Who moderation keeps out of a project's bulk mail (newsletters): people suspended from the
project and people banned from the site, while the decision is in force.

Registered with :func:`talk.policy.register_audience_exclusion`, so the notifications package
asks for it without importing moderation. A mute does not exclude: it stops someone writing
for a day or so, not reading the team's news. The test is :meth:`Sanction.active_at` written
as SQL (no job ends a suspension: time alone does), so an ended or lifted one lets the person
back in at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, and_, or_, select

from moderation.sanction_models import Sanction
from talk import policy
from talk.models import Project


@policy.register_audience_exclusion
def sanctioned(project: Project, now: datetime) -> Select[int]:
    """The ids of people suspended from ``project`` or banned from the site at ``now``."""
    return select(Sanction.user_id).where(
        or_(
            and_(Sanction.kind == "suspend", Sanction.project_id == project.id),
            and_(Sanction.kind == "ban", Sanction.project_id.is_(None)),
        ),
        Sanction.lifted_at.is_(None),
        Sanction.starts_at <= now,
        or_(Sanction.ends_at.is_(None), Sanction.ends_at > now),
    )
