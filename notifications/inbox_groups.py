"""How the notifications page and the emails say notifications: one line per kind of thing
about one thing ("5 new replies in “Is this a fern?”"), named by who acted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from notifications.inbox_models import Notification
from talk.models import User


@dataclass
class Group:
    """Notifications of one kind about one thing, shown as one line ("5 new replies in …")."""

    kind: str
    notifications: list[Notification]

    @property
    def newest(self) -> Notification:
        return self.notifications[0]

    @property
    def ids(self) -> list[int]:
        return [n.id for n in self.notifications]

    @property
    def unread(self) -> int:
        return sum(1 for n in self.notifications if n.read_at is None)

    @property
    def actors(self) -> list[User]:
        seen: dict[int, User] = {}
        for n in self.notifications:
            if n.actor is not None:
                seen.setdefault(n.actor.id, n.actor)
        return list(seen.values())

    @property
    def headline(self) -> str:
        return headline(self.kind, self.newest, len(self.notifications), self.actors)


def _names(actors: Sequence[User]) -> str:
    if not actors:
        return "Someone"
    if len(actors) == 1:
        return actors[0].display_name
    if len(actors) == 2:
        return f"{actors[0].display_name} and {actors[1].display_name}"
    return f"{actors[0].display_name} and {len(actors) - 1} others"


def headline(kind: str, newest: Notification, count: int, actors: Sequence[User]) -> str:
    """The line a group is shown as."""
    title = f"“{newest.discussion.title}”" if newest.discussion is not None else ""
    tag = f"#{newest.tag.name}" if newest.tag is not None else "a tag"
    item = f"“{newest.item.title}”" if newest.item is not None else "an item"
    who = _names(actors)
    plural = count > 1
    texts = {
        "mention": f"{who} mentioned you in {title}" + (f" ({count} times)" if plural else ""),
        "reply": f"{count} replies to your comment in {title}"
        if plural
        else f"{who} replied to your comment in {title}",
        "group_mention": f"{who} mentioned @{newest.detail} in {title}",
        "followed_reply": f"{count} new replies in {title}"
        if plural
        else f"A new reply in {title} from {who}",
        "new_discussion": f"New discussion {title} by {who}",
        "tag_used": f"{tag} was used in {title}",
        "verdict": f"An expert {'verified' if newest.detail == 'verified' else 'rejected'} "
        f"{tag} on {item}",
        "welcome": f"Welcome to {newest.project.title}",
        "notice": newest.text,  # said by its sender, whole
    }
    return texts[kind]


def _group_key(n: Notification) -> tuple[Any, ...]:
    if n.kind in ("new_discussion", "welcome", "verdict", "notice"):
        return (n.kind, n.id)  # each its own line
    return (n.kind, n.discussion_id, n.detail)


def consolidate(notifications: Sequence[Notification]) -> list[Group]:
    """Group a page's notifications by kind and thing, newest group first."""
    groups: dict[tuple[Any, ...], Group] = {}
    for n in notifications:
        key = _group_key(n)
        if key not in groups:
            groups[key] = Group(n.kind, [])
        groups[key].notifications.append(n)
    return list(groups.values())
