"""Talk's core tables. Import models from here; later packages add their own modules."""

from talk.models.accounts import ApiToken, PendingRegistration, User
from talk.models.blocks import UserBlock
from talk.models.curation import TAG_ACTIONS, TagAction, TagVerdict, Verdict
from talk.models.discussions import Comment, CommentRevision, Discussion
from talk.models.mentions import MENTION_GROUPS, Mention, MentionKind
from talk.models.projects import (
    ACCESS_LEVELS,
    ROLES,
    Board,
    BoardKind,
    Item,
    Membership,
    Project,
)
from talk.models.tag_groups import TagGroup
from talk.models.tags import DiscussionTag, ItemTag, Tag, TagDay, TagUse, TagUser

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
    "PendingRegistration",
    "Project",
    "Tag",
    "TagAction",
    "TagDay",
    "TagGroup",
    "TagUse",
    "TagUser",
    "TagVerdict",
    "User",
    "UserBlock",
    "Verdict",
]
