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
    TAG_ACTIONS,
    DiscussionTag,
    ItemTag,
    Mention,
    MentionKind,
    Tag,
    TagAction,
    TagDay,
    TagGroup,
    TagUse,
    TagUser,
    TagVerdict,
    Verdict,
)

__all__ = [
    "ACCESS_LEVELS",
    "MENTION_GROUPS",
    "ROLES",
    "TAG_ACTIONS",
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
    "TagAction",
    "TagDay",
    "TagGroup",
    "TagUse",
    "TagUser",
    "TagVerdict",
    "User",
    "Verdict",
]
