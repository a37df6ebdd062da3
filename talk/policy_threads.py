"""The rules of the moderators' actions on discussions (:mod:`talk.services.threads`), kept out
of :mod:`talk.policy` (which imports this module at its end) so that one stays readable.

Every action is the project's moderators' and admins' (and site admins'): a moderator of
project A has no power in project B. A merged discussion is a redirect, not a thread: nothing
is done to it any more.
"""

from __future__ import annotations

from typing import Any

from talk.models import Comment, Discussion
from talk.policy import moderates, rule


def _moderates_open(user: Any, discussion: Discussion) -> bool:
    return not discussion.is_merged and moderates(user, discussion.project)


#: The actions on a discussion, each its own rule (so a package's veto, or a later change of
#: who may, can tell them apart), each its project's moderators' while it is not merged.
DISCUSSION_ACTIONS = {
    "discussion.lock": "lock or unlock: no replies but its moderators' while locked",
    "discussion.pin": "pin or unpin: listed first on its board and item",
    "discussion.move": "move to another board or item of the same project",
    "discussion.merge": "merge into another (asked of both: the one merged away, the one kept)",
    "discussion.split": "split chosen replies off into a new discussion",
}
for _name in DISCUSSION_ACTIONS:
    rule(_name)(_moderates_open)


@rule("comment.moderate")
def _comment_moderate(user: Any, comment: Comment) -> bool:
    """Edit someone's comment with a note shown under it (not a deleted or hidden one: hide,
    or show it again first)."""
    return comment.is_visible and _moderates_open(user, comment.discussion)
