"""What the core announces; `notifications` and `moderation` subscribe, the core imports neither.

Each signal is sent by the service that made the change, after it flushed (so ids exist) and
before the request commits: a receiver writes its rows (outbox, audit) in the same transaction,
and nothing is recorded for a change that rolls back.
"""

from blinker import Namespace

_signals = Namespace()

#: sender: the Project; kwargs: actor (User)
project_created = _signals.signal("project-created")
#: sender: the Project; kwargs: items (list[Item]), actor (User)
items_registered = _signals.signal("items-registered")
#: sender: the Discussion; kwargs: comment (its first Comment), actor (User)
discussion_created = _signals.signal("discussion-created")
#: sender: the Comment; kwargs: actor (User)
comment_posted = _signals.signal("comment-posted")
#: sender: the Comment; kwargs: actor (User), previous_body (str)
comment_edited = _signals.signal("comment-edited")
#: sender: the Comment; kwargs: actor (User)
comment_deleted = _signals.signal("comment-deleted")
#: sender: the Comment; kwargs: actor (User), reason (str)
comment_hidden = _signals.signal("comment-hidden")
#: sender: the Comment; kwargs: actor (User)
comment_unhidden = _signals.signal("comment-unhidden")
#: sender: the Membership; kwargs: actor (User | None), previous_role (str | None)
role_changed = _signals.signal("role-changed")
