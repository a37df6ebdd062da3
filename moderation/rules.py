"""Who may do what in moderation (the questions are named here; :mod:`talk.policy` answers them).

**Staff** are the project's team, experts, moderators, admins and owners (rank ``team`` and up
in :data:`talk.policy.RANK`, where an expert ranks with the team) and site admins; the level
name ``team`` of :func:`talk.policy.meets_level` is exactly that. Roles are per project, so a
moderator of one project is a volunteer everywhere else.
"""

from __future__ import annotations

from typing import Any

from talk import policy
from talk.models import Project


def is_staff(user: Any, project: Project) -> bool:
    """Team, expert, moderator, admin or owner of ``project``, or a site admin (the operator
    included)."""
    return policy.is_logged_in(user) and policy.meets_level(user, project, "team")


@policy.rule("content_warning.manage")
def _content_warning_manage(user: Any, project: Project) -> bool:
    """Write, edit, delete, attach and detach a project's content warnings: its staff."""
    return is_staff(user, project)


@policy.rule("content_warning.acknowledge", read=True)
def _content_warning_acknowledge(_user: Any, _project: Project) -> bool:
    """Anyone who sees a warning may say they read it (a visitor's is kept in their session).
    Declared a read: it writes nothing anyone else sees, so no veto (a suspension) stops it."""
    return True


@policy.rule("workflow.configure")
def _workflow_configure(user: Any, project: Project) -> bool:
    """Choose the hashtags that put an item on the review list: the project's staff."""
    return is_staff(user, project)


@policy.rule("workflow.review", read=True)
def _workflow_review(user: Any, project: Project) -> bool:
    """Read the review list (who asked what, and since when): the project's staff."""
    return is_staff(user, project)


@policy.rule("workflow.mark_answered")
def _workflow_mark_answered(user: Any, project: Project) -> bool:
    """Take a request off the review list by hand: the project's staff."""
    return is_staff(user, project)
