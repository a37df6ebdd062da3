"""Who may report, read the queue and act on cases (the questions are named here; the one
policy in :mod:`talk.policy` answers them everywhere: pages, API, CLI, templates)."""

from __future__ import annotations

from typing import Any

from moderation.case_models import Case
from moderation.reports import PersonInProject
from talk import policy
from talk.models import Comment, Discussion, Project


def moderates(user: Any, project: Project) -> bool:
    """A moderator, admin or owner of the project, or a site admin (and the operator)."""
    if not policy.is_logged_in(user):
        return False
    return bool(user.is_site_admin) or policy.rank_in(user, project) >= policy.RANK["moderator"]


@policy.rule("report.create")
def _report_create(user: Any, target: Comment | Discussion | PersonInProject) -> bool:
    """Any logged-in person who may read what they report (the service refuses reporting
    oneself with a clearer message than a 403)."""
    if not policy.is_logged_in(user) or policy.is_operator(user):
        return False
    if isinstance(target, Comment):
        return policy.may(user, "discussion.read", target.discussion)
    if isinstance(target, Discussion):
        return policy.may(user, "discussion.read", target)
    return isinstance(target, PersonInProject)


@policy.rule("moderation.queue", read=True)
def _moderation_queue(user: Any, project: Project) -> bool:
    return moderates(user, project)


@policy.rule("moderation.audit", read=True)
def _moderation_audit(user: Any, project: Project) -> bool:
    return moderates(user, project)


@policy.rule("case.read", read=True)
def _case_read(user: Any, case: Case) -> bool:
    return moderates(user, case.project)


@policy.rule("case.act")
def _case_act(user: Any, case: Case) -> bool:
    return moderates(user, case.project)
