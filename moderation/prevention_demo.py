"""The demo project's prevention settings and one held post, written through the services
(``talk.demo.DEMO_DATA``): a new volunteer's first comment waits, a watched word holds a
comment, and the register's historical term may be quoted."""

from __future__ import annotations

from sqlalchemy import select

from moderation import prevention
from talk.extensions import db
from talk.models import Discussion, Project, User
from talk.services import discussions

#: What the demo's staff watch: (pattern, kind, action, category, url)
WATCHED = (
    ("scoundrel*", "wildcard", "hold", "insults", ""),
    (r"cheap\s+(watches|pills|loans)", "regex", "block", "spam", ""),
    ("lunatic", "word", "hold", "language about mental health", ""),
    ("exsiccata", "word", "link", "help", "https://en.wiktionary.org/wiki/exsiccata"),
)
HISTORICAL = ("Lunatic", "Imbecility")


def build(project: Project, users: dict[str, User]) -> None:
    moderator = users["maya"]
    for pattern, kind, action, category, url in WATCHED:
        prevention.add_watched_word(
            moderator,
            project,
            pattern=pattern,
            kind=kind,
            action=action,
            category=category,
            url=url,
        )
    for term in HISTORICAL:
        prevention.add_historical_term(moderator, project, term)
    prevention.set_limits(
        moderator, project, held_comments=1, max_links=3, restrict_untrusted=True, trust_after=2
    )
    thread = db.session.scalars(
        select(Discussion).where(Discussion.project_id == project.id).order_by(Discussion.id)
    ).first()
    if thread is None:
        return
    author = users["downland_dave"]
    discussions.post_comment(
        author,
        thread,
        "> Occupation of the collector's brother: “Lunatic”, says the register.\n\n"
        "Quoted as written: that passes.",
    )
    discussions.post_comment(author, thread, "Whoever catalogued this is a scoundrel.")
