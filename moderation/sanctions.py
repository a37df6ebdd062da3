"""Sanctions on people: warn, mute, suspend (per project), ban (site-wide), lift; moderators'
private notes on a person; the escalation suggested from a person's history.

One function per action, shared by pages, the API, commands and (at merge) the case actions,
which call them with ``case_id``. Each checks the policy, validates, writes the sanction and
its audit entry in the caller's transaction, and tells the person (``talk.signals.notice``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update

from moderation import audit
from moderation.sanction_models import REASON_LABELS, REASONS, ModeratorNote, Sanction
from moderation.sanction_rules import PersonInProject, describe, forget_sanctions
from talk import policy, signals
from talk.clock import utcnow
from talk.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from talk.extensions import db
from talk.models import Project, User
from talk.policy import Actor

#: Longest period a mute, suspension or ban may be given for (longer: indefinite).
MAX_DAYS = 3650
MAX_NOTE = 5000
#: Periods suggested for a person's first, second… mute or suspension in a project (Discourse's
#: 24 h, 72 h, one week, 30 days); after the last, an indefinite suspension.
LADDER = (1, 3, 7, 30)
#: The ``notice`` kind (after ``moderation.``) that tells the person of each decision.
NOTICE_KINDS = {"warn": "warned", "mute": "muted", "suspend": "suspended", "ban": "banned"}


@dataclass(frozen=True)
class Suggestion:
    """The next step for a person in a project, from their history there."""

    action: str  # warn, mute or suspend
    days: int | None  # None: indefinitely (suspend) or no time (warn)
    why: str


def moderation_area(actor: Any, project: Project, person: User | None = None) -> None:
    """Raise unless ``actor`` moderates ``project``: anonymous visitors are asked to log in;
    anyone else finds nothing there (404), so a moderator of one project learns nothing of
    another's."""
    if not policy.is_logged_in(actor):
        raise NotAuthenticated("Log in to do this.")
    target = PersonInProject(project, person or actor)
    if not policy.may(actor, "moderation.person.view", target):
        raise NotFound(f"No moderation area in {project.title} for you.")


def history(project: Project | None, person: User) -> list[Sanction]:
    """Everything decided about ``person`` in ``project`` (or site-wide: None), newest first."""
    return list(
        db.session.scalars(
            select(Sanction)
            .where(Sanction.user_id == person.id, Sanction.project_id == _id(project))
            .order_by(Sanction.id.desc())
        )
    )


def standing(person: User, project: Project | None) -> list[Sanction]:
    """What the person sees of their own standing: the project's sanctions (all projects' when
    None) and any site ban, newest first."""
    where = [Sanction.user_id == person.id]
    if project is not None:
        where.append(or_(Sanction.project_id == project.id, Sanction.project_id.is_(None)))
    return list(db.session.scalars(select(Sanction).where(*where).order_by(Sanction.id.desc())))


def own_standing(actor: Any, project: Project | None) -> list[Sanction]:
    """:func:`standing` of the logged-in ``actor``."""
    if not policy.is_logged_in(actor) or policy.is_operator(actor):
        raise NotAuthenticated("Log in to see your standing.")
    return standing(actor, project)


def bans_in_force(actor: Any) -> list[Sanction]:
    """Site bans in force now, newest first (site admins)."""
    policy.require(actor, "bans.view")
    now = utcnow()
    rows = db.session.scalars(
        select(Sanction)
        .where(Sanction.kind == "ban", Sanction.lifted_at.is_(None))
        .order_by(Sanction.id.desc())
    )
    return [s for s in rows if s.active_at(now)]


def suggest(project: Project, person: User) -> Suggestion:
    """No history: a warning. Then 1, 3, 7 and 30 days read-only (a mute, then suspensions);
    after that, an indefinite suspension. Overturned decisions do not count."""
    past = [s for s in history(project, person) if not s.overturned]
    if not past:
        return Suggestion("warn", None, "No earlier decisions in this project: a warning.")
    periods = [s for s in past if s.kind in ("mute", "suspend")]
    step = len(periods)
    earlier = f"{len(past)} earlier decision{'s' if len(past) != 1 else ''}"
    if step >= len(LADDER):
        return Suggestion("suspend", None, f"{earlier}: an indefinite suspension.")
    days = LADDER[step]
    action = "mute" if step == 0 else "suspend"
    return Suggestion(action, days, f"{earlier}: {days} day{'s' if days != 1 else ''}.")


def warn(
    actor: Actor,
    project: Project,
    person: User,
    *,
    reason: str,
    note: str = "",
    case_id: int | None = None,
) -> Sanction:
    """A private, recorded notice with the reason; nothing is stopped."""
    return _decide(actor, "warn", project, person, reason, note, None, case_id)


def mute(
    actor: Actor,
    project: Project,
    person: User,
    *,
    days: int,
    reason: str,
    note: str = "",
    case_id: int | None = None,
) -> Sanction:
    """Read-only in ``project`` for ``days``."""
    return _decide(
        actor, "mute", project, person, reason, note, _days(days, required=True), case_id
    )


def suspend(
    actor: Actor,
    project: Project,
    person: User,
    *,
    days: int | None,
    reason: str,
    note: str = "",
    case_id: int | None = None,
) -> Sanction:
    """Read-only in ``project`` for ``days``, or until lifted (``days=None``)."""
    return _decide(actor, "suspend", project, person, reason, note, _days(days), case_id)


def ban(
    actor: Actor,
    person: User,
    *,
    reason: str,
    note: str = "",
    days: int | None = None,
    case_id: int | None = None,
) -> Sanction:
    """Read-only on the whole site, for ``days`` or until lifted: site admins only."""
    policy.require(actor, "ban.create", person)
    return _record(actor, "ban", None, person, reason, note, _days(days), case_id)


def lift(actor: Actor, sanction: Sanction, *, note: str = "", case_id: int | None = None) -> None:
    """End a mute, suspension or ban now (it stays in the person's history)."""
    policy.require(actor, "sanction.lift", sanction)
    now = utcnow()
    if not sanction.active_at(now):
        raise InvalidInput("That decision is not in force.", {"sanction": ["Not in force."]})
    end_sanction(actor, sanction, action="user.lift", note=_note(note), case_id=case_id)
    where = sanction.project.title if sanction.project else "this site"
    _tell(sanction, actor, "lifted", f"Your {sanction.kind} in {where} was lifted early.")


def end_sanction(
    actor: Actor, sanction: Sanction, *, action: str, note: str, case_id: int | None
) -> None:
    """Set the sanction's end to now and record it (lifting, or an overturned appeal). A
    conditional UPDATE: of two moderators lifting at once, the second is told (409)."""
    before = {"ends_at": _iso(sanction.ends_at)}
    lifted = db.session.execute(
        update(Sanction)
        .where(Sanction.id == sanction.id, Sanction.lifted_at.is_(None))
        .values(lifted_at=utcnow(), lifted_by_id=actor.id)
    )
    if lifted.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("That decision was lifted already.", {"sanction": ["Lifted."]})
    db.session.refresh(sanction, ["lifted_at", "lifted_by_id"])
    audit_sanction(
        actor, action, sanction, note, case_id, before, {"lifted_at": _iso(sanction.lifted_at)}
    )
    forget_sanctions()


def active_in(person: User, project: Project) -> list[Sanction]:
    """The person's mutes and suspensions in force in ``project`` now."""
    now = utcnow()
    return [s for s in history(project, person) if s.active_at(now)]


def add_note(actor: Actor, project: Project, person: User, body: str) -> ModeratorNote:
    """A private note on ``person``, seen by ``project``'s moderators only."""
    policy.require(actor, "note.create", PersonInProject(project, person))
    text = body.strip()
    if not text or len(text) > MAX_NOTE:
        raise InvalidInput(
            "A note needs some text.", {"body": [f"Write 1 to {MAX_NOTE} characters."]}
        )
    note = ModeratorNote(
        project_id=project.id,
        user_id=person.id,
        author_id=actor.id,
        body=text,
        created_at=utcnow(),
    )
    db.session.add(note)
    db.session.flush()
    audit.record(
        actor,
        "user.note",
        project=project,
        target_type="user",
        target_id=person.id,
        subject=person,
        note=text,
        after={"note_id": note.id},
    )
    return note


def notes(actor: Actor, project: Project, person: User) -> list[ModeratorNote]:
    moderation_area(actor, project, person)
    return list(
        db.session.scalars(
            select(ModeratorNote)
            .where(ModeratorNote.project_id == project.id, ModeratorNote.user_id == person.id)
            .order_by(ModeratorNote.id.desc())
        )
    )


def standing_path(project: Project | None) -> str:
    """Where a person reads their standing (the page :mod:`moderation.sanction_views` serves)."""
    return "/me/standing" if project is None else f"/projects/{project.slug}/standing"


def tell(person: User, actor: Actor, project: Project | None, kind: str, text: str) -> None:
    """Send the core's ``notice`` (delivered by the notifications package); a site-wide
    decision (a ban) belongs to no project's inbox, so it is account mail instead, which no
    preference turns off."""
    if project is None:
        signals.account_mail.send(
            person,
            actor=actor,
            to_address=person.email,
            kind="account_standing",
            url=standing_path(None),
            expires_at=None,
            extra={"text": text[:500]},
        )
        return
    signals.notice.send(
        person,
        actor=actor,
        project=project,
        kind=f"moderation.{kind}",
        text=text[:500],
        url=standing_path(project),
        discussion=None,
        comment=None,
    )


# --------------------------------------------------------------------------- internals


def _id(project: Project | None) -> Any:
    return None if project is None else project.id


def _iso(moment: Any) -> str | None:
    return None if moment is None else moment.isoformat()


def _days(days: int | None, *, required: bool = False) -> int | None:
    if days is None and not required:
        return None
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise InvalidInput(
            "The number of days is not valid.", {"days": [f"Give a whole number, 1 to {MAX_DAYS}."]}
        )
    return days


def _note(note: str) -> str:
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise InvalidInput("The note is too long.", {"note": [f"At most {MAX_NOTE} characters."]})
    return text


def _decide(
    actor: Actor,
    kind: str,
    project: Project,
    person: User,
    reason: str,
    note: str,
    days: int | None,
    case_id: int | None,
) -> Sanction:
    policy.require(actor, "sanction.create", PersonInProject(project, person))
    return _record(actor, kind, project, person, reason, note, days, case_id)


def _record(
    actor: Actor,
    kind: str,
    project: Project | None,
    person: User,
    reason: str,
    note: str,
    days: int | None,
    case_id: int | None,
) -> Sanction:
    if reason not in REASONS:
        raise InvalidInput(
            f"Unknown reason {reason!r}.", {"reason": [f"One of {', '.join(REASONS)}."]}
        )
    now = utcnow()
    before = [s for s in history(project, person) if s.active_at(now)]
    sanction = Sanction(
        project=project,
        user_id=person.id,
        person=person,
        kind=kind,
        reason=reason,
        note=_note(note),
        starts_at=now,
        ends_at=_end(now, days),
        decided_by_id=actor.id,
        case_id=case_id,
    )
    db.session.add(sanction)
    db.session.flush()
    audit_sanction(
        actor,
        f"user.{kind}",
        sanction,
        sanction.note,
        case_id,
        {"in_force": [{"kind": s.kind, "ends_at": _iso(s.ends_at)} for s in before]},
        {"sanction_id": sanction.id, "kind": kind, "ends_at": _iso(sanction.ends_at)},
    )
    forget_sanctions()
    if kind == "warn":
        where = f" in {project.title}" if project else ""
        label = REASON_LABELS[reason]
        text = f"A moderator warned you{where}: {label}." + (f" {sanction.note}" if note else "")
    else:
        text = describe(sanction) + (f" {sanction.note}" if sanction.note else "")
    _tell(sanction, actor, NOTICE_KINDS[kind], text)
    return sanction


def _end(now: Any, days: int | None) -> Any:
    return None if days is None else now + timedelta(days=days)


def audit_sanction(
    actor: Actor,
    action: str,
    sanction: Sanction,
    note: str,
    case_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> None:
    """Record ``action`` about ``sanction``'s person (``after`` gains the sanction's id)."""
    audit.record(
        actor,
        action,
        project=sanction.project,
        target_type="user",
        target_id=sanction.user_id,
        subject=sanction.person,
        case_id=case_id,
        reason=sanction.reason,
        note=note,
        before=before,
        after={"sanction_id": sanction.id, **after},
    )


def _tell(sanction: Sanction, actor: Actor, kind: str, text: str) -> None:
    tell(sanction.person, actor, sanction.project, kind, text)
