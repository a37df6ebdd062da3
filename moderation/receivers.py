"""What moderation does when comments are held, approved, rejected, posted or edited: audit
entries, notices to the author, and the ``flag`` and ``link`` watched words.

**Flagging.** A ``flag`` rule lets the comment through and records it: an audit entry
``comment.flag`` and the signal :data:`watched_word_flagged` (sender the Comment; kwargs
``rules``: the matched :class:`moderation.matching.Rule` s, ``categories``: their categories).
The reports and cases code opens a case from it: ``watched_word_flagged.connect(receiver)``.
"""

from __future__ import annotations

import html
from typing import Any

import regex
from blinker import Namespace

from moderation import audit, checks, matching
from moderation.case_actions import tell_author
from talk import policy, signals
from talk.extensions import db
from talk.models import Comment
from talk.passages import passages

_signals = Namespace()
#: sender: the Comment a ``flag`` watched word matched (posted, approved or edited); kwargs:
#: rules (list[matching.Rule]), categories (list[str])
watched_word_flagged = _signals.signal("watched-word-flagged")


def _record(actor: Any, action: str, comment: Comment, **details: Any) -> None:
    """The audit entry of what happened to a held or flagged comment."""
    audit.record(
        actor,
        action,
        project=comment.discussion.project,
        target_type="comment",
        target_id=comment.id,
        subject=comment.author,
        **details,
    )


@signals.comment_held.connect
def _held(comment: Comment, *, reason: str, **_: Any) -> None:
    _link_terms(comment)
    _record(policy.OPERATOR, "comment.hold", comment, note=reason)


@signals.comment_approved.connect
def _approved(comment: Comment, *, actor: Any, **_: Any) -> None:
    _record(actor, "comment.approve", comment)
    tell_author(actor, comment, "moderation.approved", "approved")
    _flag(comment)


@signals.comment_rejected.connect
def _rejected(comment: Comment, *, actor: Any, reason: str, **_: Any) -> None:
    _record(actor, "comment.reject", comment, note=reason)
    tell_author(actor, comment, "moderation.rejected", "did not approve", reason)


@signals.comment_posted.connect
@signals.comment_edited.connect
def _posted(comment: Comment, **_: Any) -> None:
    rules = checks.rules_of(comment.discussion.project, ("flag", "link"))  # one query
    if rules:
        _link_terms(comment, [rule for rule in rules if rule.action == "link"])
        _flag(comment)


@signals.discussion_created.connect
def _started(_discussion: Any, *, comment: Comment, approved_by: Any = None, **kwargs: Any) -> None:
    """A new discussion's first comment, as a posted one; a held discussion approved (its
    first comment's terms linked when it was held), as an approved comment."""
    if approved_by is not None:
        _approved(comment, actor=approved_by)
    else:
        _posted(comment, **kwargs)


def _flag(comment: Comment) -> None:
    project = comment.discussion.project
    matched = checks.hits(project, passages(comment.body), ("flag",))
    if not matched:
        return
    categories = list(dict.fromkeys(rule.category for rule in matched))
    _record(
        policy.OPERATOR,
        "comment.flag",
        comment,
        reason=categories[0][:40],
        note="Watched words: " + ", ".join(categories),
    )
    watched_word_flagged.send(comment, rules=matched, categories=categories)


# --- link rules: a term becomes a link to a help page, in the stored HTML -------------------

_TAG = regex.compile(r"(<[^>]*>)")
#: Inside these elements text is left alone (a link in a link; code as written).
_SKIP = {"a", "code", "pre"}


def _link_terms(comment: Comment, rules: list[matching.Rule] | None = None) -> None:
    if rules is None:
        rules = checks.rules_of(comment.discussion.project, ("link",))
    if rules:
        comment.body_html = link_terms(comment.body_html, rules)
        db.session.flush()


def link_terms(body_html: str, rules: list[matching.Rule]) -> str:
    """``body_html`` with each term a ``link`` rule matches (in text outside links and code)
    wrapped in a link to the rule's help page; the first rule to claim a span wins."""
    parts = _TAG.split(body_html)
    depth = 0
    for index, part in enumerate(parts):
        if part.startswith("<"):
            name = regex.match(r"</?\s*([a-zA-Z0-9]+)", part)
            if name and name.group(1).lower() in _SKIP and not part.endswith("/>"):
                depth += -1 if part.startswith("</") else 1
        elif part and depth <= 0:
            parts[index] = _link_text(part, rules)
    return "".join(parts)


def _link_text(escaped: str, rules: list[matching.Rule]) -> str:
    text = html.unescape(escaped)
    folded, where = _folded_with_positions(text)
    spans: list[tuple[int, int, str]] = []
    for rule in rules:
        try:
            found = list(
                matching.compiled(rule.pattern, rule.kind).finditer(
                    folded, timeout=matching.TIMEOUT
                )
            )
        except TimeoutError:
            continue
        for match in found:
            if match.end() <= match.start():
                continue
            start, end = where[match.start()], where[match.end() - 1] + 1
            if all(end <= s or start >= e for s, e, _ in spans):
                spans.append((start, end, rule.url))
    if not spans:
        return escaped
    out, last = [], 0
    for start, end, url in sorted(spans):
        out.append(html.escape(text[last:start], quote=False))
        term = html.escape(text[start:end], quote=False)
        out.append(f'<a class="watched-link" href="{html.escape(url)}">{term}</a>')
        last = end
    out.append(html.escape(text[last:], quote=False))
    return "".join(out)


def _folded_with_positions(text: str) -> tuple[str, list[int]]:
    """``text`` normalised character by character, with each normalised character's index in
    ``text`` (so a match in the normalised text maps back to the words as written)."""
    folded: list[str] = []
    where: list[int] = []
    for index, char in enumerate(text):
        piece = matching.normalise(char)
        folded.append(piece)
        where.extend([index] * len(piece))
    return "".join(folded), where
