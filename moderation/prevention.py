"""Prevention settings per project: watched words, historical terms, new volunteers' limits and
trust. Staff (the project's moderators and admins) change them; every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select

from moderation import audit, matching
from moderation.prevention_models import (
    MAX_CATEGORY,
    MAX_PATTERN,
    MAX_TERM,
    MAX_URL,
    WORD_ACTIONS,
    WORD_KINDS,
    HistoricalTerm,
    TrustGrant,
    VolunteerLimits,
    WatchedWord,
)
from talk import policy
from talk.clock import utcnow
from talk.errors import Conflict, InvalidInput, NotFound
from talk.extensions import db
from talk.models import Comment, Project, User
from talk.pagination import Page, keyset_page
from talk.policy import Actor
from talk.services import project_rules
from talk.services.validation import clean_text

#: Largest number a limit may be set to.
MAX_LIMIT = 1000


@policy.rule("moderation.prevention")
def _manage(user: Any, project: Project) -> bool:
    """Watched words, historical terms, limits, trust and the held posts: the project's
    moderators and admins (and site admins)."""
    return policy.moderates(user, project)


def _audit(actor: Actor, project: Project, action: str, **kwargs: Any) -> None:
    audit.record(actor, action, project=project, target_type="setting", target_id=None, **kwargs)


def _choice(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise InvalidInput(f"Unknown {name} {value!r}.", {name: [f"One of {', '.join(allowed)}."]})
    return value


def _help_url(url: str) -> str:
    url = clean_text(url or "", "url", max_length=MAX_URL)
    parts = urlsplit(url)
    if not (parts.scheme in {"http", "https"} and parts.netloc) and not (
        url.startswith("/") and not url.startswith("//")
    ):
        raise InvalidInput(
            "A link rule needs a help page: an http(s) address or a path on this site.",
            {"url": ["An http(s) address or a path starting with /."]},
        )
    return url


def watched_words(project: Project) -> list[WatchedWord]:
    return list(
        db.session.scalars(
            select(WatchedWord).where(WatchedWord.project_id == project.id).order_by(WatchedWord.id)
        )
    )


def watched_words_page(project: Project, *, cursor: str | None, limit: int) -> Page[WatchedWord]:
    """:func:`watched_words` as a cursor page, in the order they were added (the API's)."""
    query = select(WatchedWord).where(WatchedWord.project_id == project.id)
    return keyset_page(query, (WatchedWord.id,), cursor=cursor, limit=limit)


def add_watched_word(
    actor: Actor,
    project: Project,
    *,
    pattern: str,
    kind: str = "word",
    action: str = "hold",
    category: str,
    url: str = "",
) -> WatchedWord:
    """Add a rule; a regular expression that does not compile is refused naming it."""
    policy.require(actor, "moderation.prevention", project)
    pattern = clean_text(pattern, "pattern", max_length=MAX_PATTERN)
    kind = _choice(kind, WORD_KINDS, "kind")
    action = _choice(action, WORD_ACTIONS, "action")
    category = clean_text(category, "category", max_length=MAX_CATEGORY)
    url = _help_url(url) if action == "link" else ""
    matching.check_speed(pattern, kind)
    if db.session.scalar(
        select(WatchedWord.id).where(
            WatchedWord.project_id == project.id,
            WatchedWord.kind == kind,
            WatchedWord.pattern == pattern,
        )
    ):
        raise Conflict(f"The {kind} {pattern!r} is watched already.", {"pattern": ["Watched."]})
    word = WatchedWord(
        project_id=project.id,
        pattern=pattern,
        kind=kind,
        action=action,
        category=category,
        url=url,
        created_by_id=actor.id,
        created_at=utcnow(),
    )
    db.session.add(word)
    db.session.flush()
    _audit(actor, project, "watched_word.add", after=_word_record(word))
    return word


def _word_record(word: WatchedWord) -> dict[str, Any]:
    return {
        "id": word.id,
        "pattern": word.pattern,
        "kind": word.kind,
        "action": word.action,
        "category": word.category,
    }


def get_watched_word(project: Project, word_id: int) -> WatchedWord:
    word = db.session.get(WatchedWord, word_id)
    if word is None or word.project_id != project.id:
        raise NotFound(f"No watched word {word_id} in this project.")
    return word


def remove_watched_word(actor: Actor, project: Project, word: WatchedWord) -> None:
    policy.require(actor, "moderation.prevention", project)
    _audit(actor, project, "watched_word.remove", before=_word_record(word))
    db.session.delete(word)
    db.session.flush()


def historical_terms(project: Project) -> list[HistoricalTerm]:
    return list(
        db.session.scalars(
            select(HistoricalTerm)
            .where(HistoricalTerm.project_id == project.id)
            .order_by(*TERM_ORDER)
        )
    )


#: Historical terms in the order of their folded form (the id breaks no tie: keys are unique
#: per project, but a cursor's last column must be unique whatever the project).
TERM_ORDER = (HistoricalTerm.key, HistoricalTerm.id)


def historical_terms_page(
    project: Project, *, cursor: str | None, limit: int
) -> Page[HistoricalTerm]:
    """:func:`historical_terms` as a cursor page (the API's)."""
    query = select(HistoricalTerm).where(HistoricalTerm.project_id == project.id)
    return keyset_page(query, TERM_ORDER, cursor=cursor, limit=limit)


def add_historical_term(actor: Actor, project: Project, term: str) -> HistoricalTerm:
    policy.require(actor, "moderation.prevention", project)
    term = clean_text(term, "term", max_length=MAX_TERM)
    key = matching.normalise(term).strip()
    if not key:
        raise InvalidInput("A historical term needs letters.", {"term": ["Empty."]})
    if db.session.scalar(
        select(HistoricalTerm.id).where(
            HistoricalTerm.project_id == project.id, HistoricalTerm.key == key
        )
    ):
        raise Conflict(f"{term!r} is a historical term already.", {"term": ["Listed."]})
    row = HistoricalTerm(project_id=project.id, term=term, key=key, created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    _audit(actor, project, "historical_term.add", after={"term": term})
    return row


def get_historical_term(project: Project, term_id: int) -> HistoricalTerm:
    row = db.session.get(HistoricalTerm, term_id)
    if row is None or row.project_id != project.id:
        raise NotFound(f"No historical term {term_id} in this project.")
    return row


def remove_historical_term(actor: Actor, project: Project, row: HistoricalTerm) -> None:
    policy.require(actor, "moderation.prevention", project)
    _audit(actor, project, "historical_term.remove", before={"term": row.term})
    db.session.delete(row)
    db.session.flush()


def limits_of(project: Project) -> VolunteerLimits | None:
    """The project's limits on new volunteers; None: none set (the default)."""
    return db.session.get(VolunteerLimits, project.id)


def _limit(value: Any, name: str, *, minimum: int = 0) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            raise InvalidInput(f"{name} must be a whole number.", {name: ["A number."]}) from None
    if not minimum <= value <= MAX_LIMIT:
        raise InvalidInput(
            f"{name} must be between {minimum} and {MAX_LIMIT}.",
            {name: [f"From {minimum} to {MAX_LIMIT}."]},
        )
    return int(value)


def set_limits(
    actor: Actor,
    project: Project,
    *,
    held_comments: Any = None,
    max_links: Any = None,
    restrict_untrusted: bool = False,
    trust_after: Any = None,
) -> VolunteerLimits:
    """Set (or, all off, keep as off) the limits on volunteers not yet trusted. ``trust_after``
    defaults to ``held_comments`` (or 3)."""
    policy.require(actor, "moderation.prevention", project)
    held = _limit(held_comments, "held_comments")
    links = _limit(max_links, "max_links")
    after = _limit(trust_after, "trust_after", minimum=1) or held or 3
    limits = limits_of(project)
    before = _limits_record(limits) if limits else None
    if limits is None:
        limits = VolunteerLimits(project_id=project.id)
        db.session.add(limits)
    limits.held_comments, limits.max_links = held or None, links
    limits.restrict_untrusted, limits.trust_after = bool(restrict_untrusted), after
    limits.updated_at = utcnow()
    db.session.flush()
    _audit(actor, project, "limits.set", before=before, after=_limits_record(limits))
    return limits


def _limits_record(limits: VolunteerLimits) -> dict[str, Any]:
    return {
        "held_comments": limits.held_comments,
        "max_links": limits.max_links,
        "restrict_untrusted": limits.restrict_untrusted,
        "trust_after": limits.trust_after,
    }


def approved_comments(user: User, project: Project) -> int:
    """Comments of ``user`` shown in ``project`` (approved, not hidden or deleted)."""
    return (
        db.session.scalar(
            select(func.count(Comment.id)).where(
                Comment.project_id == project.id,
                Comment.author_id == user.id,
                Comment.deleted_at.is_(None),
                Comment.hidden_at.is_(None),
            )
        )
        or 0
    )


@dataclass(frozen=True)
class Limits:
    """A project's volunteer limits as the content check reads them (cached per process)."""

    held_comments: int | None
    max_links: int | None
    restrict_untrusted: bool
    trust_after: int


def cached_limits(project: Project) -> Limits | None:
    """The project's limits (None: none set), from the per-process cache of its rules."""

    def load() -> Limits | None:
        row = limits_of(project)
        if row is None:
            return None
        return Limits(row.held_comments, row.max_links, row.restrict_untrusted, row.trust_after)

    return project_rules.cached("volunteer_limits", project, load)


def is_trusted(user: Any, project: Project, limits: VolunteerLimits | Limits | None = None) -> bool:
    """Free of the new-volunteer limits: staff of the project, granted trust by a moderator,
    or earned it with ``trust_after`` approved comments."""
    if policy.is_operator(user) or policy.rank_in(user, project) >= policy.RANK["team"]:
        return True
    if getattr(user, "is_site_admin", False):
        return True
    if db.session.scalar(
        select(TrustGrant.id).where(
            TrustGrant.project_id == project.id, TrustGrant.user_id == user.id
        )
    ):
        return True
    limits = limits or limits_of(project)
    return limits is None or approved_comments(user, project) >= limits.trust_after


def grant_trust(actor: Actor, project: Project, user: User) -> TrustGrant:
    """A moderator trusts ``user`` in ``project`` now (idempotent)."""
    policy.require(actor, "moderation.prevention", project)
    grant = db.session.scalar(
        select(TrustGrant).where(TrustGrant.project_id == project.id, TrustGrant.user_id == user.id)
    )
    if grant is not None:
        return grant
    grant = TrustGrant(
        project_id=project.id,
        user_id=user.id,
        granted_by_id=actor.id,
        granted_at=utcnow(),
    )
    db.session.add(grant)
    db.session.flush()
    audit.record(
        actor, "user.trust", project=project, target_type="user", target_id=user.id, subject=user
    )
    return grant
