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
from talk.models.tags import (
    MENTION_GROUPS,
    DiscussionTag,
    ItemTag,
    Mention,
    MentionKind,
    Tag,
    TagDay,
    TagUse,
    TagUser,
)

__all__ = [
    "ACCESS_LEVELS",
    "MENTION_GROUPS",
    "ROLES",
    "ApiToken",
    "Board",
    "BoardKind",
    "Comment",
    "CommentRevision",
    "Discussion",
    "DiscussionTag",
    "Item",
    "ItemTag",
    "Membership",
    "Mention",
    "MentionKind",
    "Project",
    "Tag",
    "TagDay",
    "TagUse",
    "TagUser",
    "User",
]
