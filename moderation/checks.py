"""The content check that applies a project's watched words and new volunteers' limits.

Registered with :func:`talk.policy.register_content_check`: it refuses (``block``, a limit)
with a message naming the rule's category, never the word list, and returns a reason to hold
a new reply or a new discussion (``hold``, a new volunteer's first comments). ``flag`` and
``link`` rules act after posting (:mod:`moderation.receivers`).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select

from moderation import matching, prevention
from moderation.prevention_models import HistoricalTerm, VolunteerLimits, WatchedWord
from talk import markdown, policy
from talk.errors import InvalidInput
from talk.extensions import db
from talk.models import Discussion, Project
from talk.passages import Passages, passages
from talk.services import project_rules

NAME = "moderation"
#: Where the writer writes posts (checked with passages and limits); other project texts (tag
#: descriptions, tag groups, tag names) meet the watched words as plain text.
POST_KINDS = ("comment", "discussion")


# Every comment reads these; they change rarely: cached per process, keyed on the project's
# rules token (talk.services.project_rules says why that is always current).
project_rules.watch(WatchedWord, HistoricalTerm, VolunteerLimits)


def rules_of(project: Project, actions: tuple[str, ...] | None = None) -> list[matching.Rule]:
    rules = project_rules.cached("watched_words", project, lambda: _rules_of(project))
    return [rule for rule in rules if actions is None or rule.action in actions]


def _rules_of(project: Project) -> tuple[matching.Rule, ...]:
    query = select(WatchedWord).where(WatchedWord.project_id == project.id)
    return tuple(
        matching.Rule(w.id, w.pattern, w.kind, w.action, w.category, w.url)
        for w in db.session.scalars(query.order_by(WatchedWord.id))
    )


def terms_of(project: Project) -> list[str]:
    return list(project_rules.cached("historical_terms", project, lambda: _terms_of(project)))


def _terms_of(project: Project) -> tuple[str, ...]:
    return tuple(
        db.session.scalars(
            select(HistoricalTerm.key).where(HistoricalTerm.project_id == project.id)
        )
    )


def hits(project: Project, text: Passages, actions: tuple[str, ...] | None = None) -> list[Any]:
    """The project's rules (of ``actions``) that ``text`` matches, historical terms spared in
    its quotations."""
    rules = rules_of(project, actions)
    if not rules:
        return []
    return matching.matching_rules(rules, text.own, text.quoted, terms_of(project))


def _categories(rules: list[matching.Rule]) -> str:
    return ", ".join(dict.fromkeys(f"“{rule.category}”" for rule in rules))


@policy.register_content_check
def check(actor: Any, kind: str, target: Any, text: str) -> str | None:
    if not has_app_context() or NAME not in current_app.extensions:
        return None
    project = policy.project_of(target)
    if project is None or policy.is_operator(actor):
        return None
    post = kind in POST_KINDS
    shape = passages(text) if post else Passages(text, "", 0, 0)
    matched = hits(project, shape, ("block", "hold"))
    blocked = [rule for rule in matched if rule.action == "block"]
    if blocked:
        raise InvalidInput(
            "This can't be posted: it contains words this project does not allow "
            f"(category {_categories(blocked)}). Please reword it.",
            {"body": [f"Words not allowed here ({_categories(blocked)})."]},
        )
    held = None
    if matched and not policy.moderates(actor, project):
        held = f"It uses words in the category {_categories(matched)}, which a moderator reviews."
    limits = prevention.cached_limits(project)
    if post and limits is not None and not prevention.is_trusted(actor, project, limits):
        _check_limits(limits, text, shape)
        new_post = kind == "discussion" or isinstance(target, Discussion)
        if (
            new_post
            and limits.held_comments
            and prevention.approved_comments(actor, project) < limits.held_comments
        ):
            held = held or "A new volunteer's first comments are reviewed by a moderator."
    return held


def _check_limits(limits: prevention.Limits, text: str, shape: Passages) -> None:
    if limits.max_links is not None and shape.links > limits.max_links:
        raise InvalidInput(
            f"Until you are trusted in this project a comment may hold at most "
            f"{limits.max_links} link{'' if limits.max_links == 1 else 's'} "
            f"(this one has {shape.links}).",
            {"body": [f"At most {limits.max_links} links."]},
        )
    if not limits.restrict_untrusted:
        return
    if shape.images:
        raise InvalidInput(
            "Until you are trusted in this project a comment may not show images: link to "
            "the image instead, or ask a moderator.",
            {"body": ["No images yet."]},
        )
    if markdown.parse(text).group_mentions:
        raise InvalidInput(
            "Until you are trusted in this project you may not mention a whole group "
            "(@moderators, @team…): mention a person instead.",
            {"body": ["No group mentions yet."]},
        )
