"""Talk's core tables. Import models from here; later packages add their own modules."""

from talk.models.accounts import ApiToken, User
from talk.models.discussions import Comment, CommentRevision, Discussion
from talk.models.projects import (
    ACCESS_LEVELS,
    ROLES,
    Board,
    BoardKind,
    Item,
    Membership,
    Project,
)

__all__ = [
    "ACCESS_LEVELS",
    "ROLES",
    "ApiToken",
    "Board",
    "BoardKind",
    "Comment",
    "CommentRevision",
    "Discussion",
    "Item",
    "Membership",
    "Project",
    "User",
]
