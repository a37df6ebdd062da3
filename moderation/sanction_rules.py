"""Who may sanction whom, keep notes, appeal and decide appeals (the questions are named here;
:mod:`talk.policy` answers them), and the veto that keeps a sanctioned person from writing.

A rule about a person in a project takes a :class:`PersonInProject`; its ``project`` lets
:func:`talk.policy.project_of` (and so project-scoped API tokens) see where it applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, g, has_app_context
from sqlalchemy import bindparam, or_, select

from moderation.sanction_models import REASON_LABELS, Appeal, Sanction
from talk import policy
from talk.clock import utcnow
from talk.extensions import db
from talk.models import Membership, Project, User

#: Write rules no sanction refuses: the sanctioned person's way to answer the decision.
UNVETOED = frozenset({"sanction.appeal"})
#: Write rules a mute or suspension does not refuse (a site ban still does): someone kept from
#: writing in a project still reads it, and must still be able to report harassment there
#: (Discourse lets silenced users flag). Reports keep their rate limits.
UNVETOED_IN_PROJECT = frozenset({"report.create"})


@dataclass(frozen=True)
class PersonInProject:
    """A person as seen from one project's moderation."""

    project: Project
    person: User


@policy.rule("moderation.person.view", read=True)
def _person_view(user: Any, target: PersonInProject) -> bool:
    """A person's moderation page (history, notes): the project's moderators."""
    return policy.moderates(user, target.project)


@policy.rule("moderation.appeals.view", read=True)
def _appeals_view(user: Any, project: Project) -> bool:
    return policy.moderates(user, project)


@policy.rule("sanction.create")
def _sanction_create(user: Any, target: PersonInProject) -> bool:
    """Warn, mute or suspend: a moderator, never about themselves, a site admin, or someone
    of their own rank or above (a moderator does not suspend the project's admin)."""
    if not policy.moderates(user, target.project) or policy.is_site_admin(target.person):
        return False
    if policy.is_person(user) and user.id == target.person.id:
        return False
    if policy.is_site_admin(user):
        return True
    return policy.rank_in(target.person, target.project) < policy.rank_in(user, target.project)


@policy.rule("note.create")
def _note_create(user: Any, target: PersonInProject) -> bool:
    return policy.moderates(user, target.project)


@policy.rule("ban.create")
def _ban_create(user: Any, person: User) -> bool:
    """Site bans: site admins, of anyone but a site admin."""
    return policy.is_site_admin(user) and not person.is_site_admin


@policy.rule("bans.view", read=True)
def _bans_view(user: Any, _target: Any) -> bool:
    return policy.is_site_admin(user)


@policy.rule("sanction.lift")
def _sanction_lift(user: Any, sanction: Sanction) -> bool:
    if sanction.project is None:
        return policy.is_site_admin(user)
    return policy.moderates(user, sanction.project) and not (
        policy.is_person(user) and user.id == sanction.user_id
    )


@policy.rule("sanction.appeal")
def _sanction_appeal(user: Any, sanction: Sanction) -> bool:
    """The sanctioned person, about their own sanction (once: the service says so)."""
    return policy.is_person(user) and user.id == sanction.user_id


@policy.rule("appeal.decide")
def _appeal_decide(user: Any, appeal: Appeal) -> bool:
    """The project's moderators (site admins for a ban), not the appellant, and not the
    moderator who decided unless no other moderator exists."""
    sanction = appeal.sanction
    if policy.is_person(user) and user.id == sanction.user_id:
        return False
    project = sanction.project
    allowed = policy.is_site_admin(user) if project is None else policy.moderates(user, project)
    if not allowed or appeal.state != "open":
        return False
    if policy.is_person(user) and user.id == sanction.decided_by_id:
        return not other_deciders(sanction)
    return True


def other_deciders(sanction: Sanction) -> bool:
    """Whether someone other than its decider (and the person) may decide its appeal."""
    excluded = [i for i in (sanction.decided_by_id, sanction.user_id) if i is not None]
    if sanction.project is None:
        query = select(User.id).where(User.is_site_admin.is_(True), User.id.not_in(excluded))
    else:
        staff = [r for r, rank in policy.RANK.items() if rank >= policy.RANK["moderator"]]
        query = select(Membership.user_id).where(
            Membership.project_id == sanction.project_id,
            Membership.role.in_(staff),
            Membership.user_id.not_in(excluded),
        )
    return db.session.scalar(query.limit(1)) is not None


# --------------------------------------------------------------------------- the veto


def active_sanctions(user: User) -> list[Sanction]:
    """The person's sanctions that may be stopping them writing now (cached per request; the
    services drop the cache when they change one)."""
    cache: dict[int, list[Sanction]] = g.setdefault("_moderation_sanctions", {})
    if user.id not in cache:
        found = db.session.scalars(_ACTIVE_SANCTIONS, {"user_id": user.id, "now": utcnow()})
        cache[user.id] = list(found)
    return cache[user.id]


#: Built once with bind parameters: every post runs it (issue 12, docs/performance-notes.md).
_ACTIVE_SANCTIONS = select(Sanction).where(
    Sanction.user_id == bindparam("user_id"),
    Sanction.kind.in_(("mute", "suspend", "ban")),
    Sanction.lifted_at.is_(None),
    or_(Sanction.ends_at.is_(None), Sanction.ends_at > bindparam("now")),
)


def forget_sanctions() -> None:
    if has_app_context():
        g.pop("_moderation_sanctions", None)


def until(sanction: Sanction) -> str:
    """ "until 6 December 2026, 14:00 (UTC)", or "indefinitely"."""
    if sanction.ends_at is None:
        return "indefinitely"
    end = sanction.ends_at
    return f"until {end.day} {end:%B %Y, %H:%M} (UTC)"


def describe(sanction: Sanction) -> str:
    """What a blocking sanction means, said to the person: the refusal's words."""
    reason = REASON_LABELS.get(sanction.reason, sanction.reason)
    if sanction.project is None:
        return f"You are banned from this site {until(sanction)}: {reason}."
    title = sanction.project.title
    if sanction.kind == "mute":
        return f"You are muted (read-only) in {title} {until(sanction)}: {reason}."
    return f"You are suspended from {title} {until(sanction)}: {reason}."


def _latest_end(sanctions: list[Sanction]) -> Sanction:
    """The one that lasts longest (indefinite first)."""
    return max(sanctions, key=lambda s: (s.ends_at is None, s.ends_at or s.starts_at))


@policy.register_veto
def sanctioned(actor: Any, action: str, target: Any) -> str | None:
    """A banned person writes nowhere; a muted or suspended one nowhere in that project, but
    may still report there (:data:`UNVETOED_IN_PROJECT`)."""
    if not (has_app_context() and "moderation" in current_app.extensions):
        return None
    if not policy.is_person(actor) or action in UNVETOED:
        return None
    now = utcnow()
    current = [s for s in active_sanctions(actor) if s.active_at(now)]
    if not current:
        return None
    bans = [s for s in current if s.project_id is None]
    if bans:
        return describe(_latest_end(bans))
    project = policy.project_of(target)
    if project is None or action in UNVETOED_IN_PROJECT:
        return None
    here = [s for s in current if s.project_id == project.id]
    return describe(_latest_end(here)) if here else None
