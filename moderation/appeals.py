"""Appeals: a person asks, once per decision, for it to be looked at again; a moderator other
than the one who decided (where the project has one) upholds or overturns it, and the person
is told. The project's moderators hear of a new appeal as of a new report. Overturning lifts
the sanction; an overturned decision no longer counts towards the escalation suggested next
time."""

from __future__ import annotations

from sqlalchemy import select, update

from moderation.sanction_models import Appeal, Sanction
from moderation.sanction_rules import other_deciders
from moderation.sanctions import MAX_NOTE, audit_sanction, end_sanction, moderation_area, tell
from moderation.staff_notices import tell_moderators
from talk import policy
from talk.clock import utcnow
from talk.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from talk.extensions import db
from talk.models import Project
from talk.pagination import Page, keyset_page
from talk.policy import Actor
from talk.services.validation import conflict_on_duplicate

OUTCOMES = ("upheld", "overturned")


def get_sanction(actor: Actor, sanction_id: int) -> Sanction:
    """A sanction its person or its moderators may see; 404 for anyone else."""
    sanction = db.session.get(Sanction, sanction_id)
    if sanction is not None:
        if policy.is_logged_in(actor) and actor.id == sanction.user_id:
            return sanction
        if sanction.project is not None and policy.may(
            actor, "moderation.appeals.view", sanction.project
        ):
            return sanction
        if sanction.project is None and getattr(actor, "is_site_admin", False):
            return sanction
    if not policy.is_logged_in(actor):
        raise NotAuthenticated("Log in to do this.")
    raise NotFound(f"No decision {sanction_id}.")


def appeal(actor: Actor, sanction: Sanction, note: str) -> Appeal:
    """The person's one appeal against ``sanction``, with their reasons."""
    policy.require(actor, "sanction.appeal", sanction)
    if sanction.appeal is not None:
        raise Conflict("You have appealed this decision already.", {"note": ["Appealed once."]})
    text = (note or "").strip()
    if not text or len(text) > MAX_NOTE:
        raise InvalidInput(
            "Say why the decision should change.", {"note": [f"Write 1 to {MAX_NOTE} characters."]}
        )
    row = Appeal(sanction_id=sanction.id, note=text, created_at=utcnow(), state="open")
    with conflict_on_duplicate("You have appealed this decision already.", {"note": ["Once."]}):
        db.session.add(row)
    db.session.expire(sanction, ["appeal"])
    _audit(actor, "appeal.create", row, text, None, {"appeal_id": row.id, "state": "open"})
    if sanction.project is not None:  # a site ban's appeal is for site admins (the bans page)
        person = sanction.person.display_name
        tell_moderators(
            actor,
            sanction.project,
            "moderation.new_appeal",
            f"{person} appealed the {sanction.kind} in {sanction.project.title}.",
            f"/projects/{sanction.project.slug}/moderation/appeals",
        )
    return row


def decide(actor: Actor, row: Appeal, outcome: str, note: str = "") -> Appeal:
    """Uphold or overturn; overturning lifts the sanction. The person is told either way."""
    if outcome not in OUTCOMES:
        raise InvalidInput(
            f"Unknown outcome {outcome!r}.", {"outcome": [f"One of {', '.join(OUTCOMES)}."]}
        )
    policy.require(actor, "appeal.decide", row)
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise InvalidInput("The note is too long.", {"note": [f"At most {MAX_NOTE} characters."]})
    sanction = row.sanction
    decided = db.session.execute(  # conditional: of two deciding at once, one wins
        update(Appeal)
        .where(Appeal.id == row.id, Appeal.state == "open")
        .values(state=outcome, decided_at=utcnow(), decision_note=text, decided_by_id=actor.id)
    )
    if decided.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("This appeal was decided already.", {"outcome": ["Decided."]})
    db.session.refresh(row)
    verb = "overturn" if outcome == "overturned" else "uphold"
    _audit(actor, f"appeal.{verb}", row, text, {"state": "open"}, {"state": outcome})
    if outcome == "overturned" and sanction.active_at(utcnow()):
        end_sanction(actor, sanction, action="user.lift", note=text, case_id=sanction.case_id)
    where = sanction.project.title if sanction.project else "this site"
    said = f" {text}" if text else ""
    if outcome == "overturned":
        message = f"Your appeal was upheld: the {sanction.kind} in {where} is overturned.{said}"
    else:
        message = f"Your appeal was turned down: the {sanction.kind} in {where} stands.{said}"
    tell(sanction.person, actor, sanction.project, "appeal_outcome", message)
    return row


def get_appeal(actor: Actor, appeal_id: int) -> Appeal:
    """An appeal its deciders may see; 404 for anyone else."""
    row = db.session.get(Appeal, appeal_id)
    if row is not None:
        project = row.sanction.project
        if project is not None and policy.may(actor, "moderation.appeals.view", project):
            return row
        if project is None and getattr(actor, "is_site_admin", False):
            return row
    if not policy.is_logged_in(actor):
        raise NotAuthenticated("Log in to do this.")
    raise NotFound(f"No appeal {appeal_id}.")


def appeals_page(
    actor: Actor, project: Project, *, state: str | None, cursor: str | None, limit: int
) -> Page[Appeal]:
    """``project``'s appeals, oldest open first, for its moderators."""
    moderation_area(actor, project)
    if state is not None and state not in ("open", *OUTCOMES):
        raise InvalidInput(f"Unknown state {state!r}.", {"state": ["open, upheld or overturned."]})
    query = select(Appeal).join(Sanction).where(Sanction.project_id == project.id)
    if state is not None:
        query = query.where(Appeal.state == state)
    return keyset_page(query, [Appeal.id], cursor=cursor, limit=limit)


def decided_alone(row: Appeal) -> bool:
    """Whether its decider may decide it too, for want of anyone else (pages say so)."""
    return not other_deciders(row.sanction)


def _audit(
    actor: Actor,
    action: str,
    row: Appeal,
    note: str,
    before: dict[str, str] | None,
    after: dict[str, object],
) -> None:
    sanction = row.sanction
    audit_sanction(
        actor, action, sanction, note, sanction.case_id, before, {"appeal_id": row.id, **after}
    )
