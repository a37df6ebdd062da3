"""What the core announces; other packages subscribe, the core imports none of them.

Each signal is sent by the service that made the change, after it flushed (so ids exist) and
before the request commits: a receiver writes its rows (outbox, audit) in the same transaction,
and nothing is recorded for a change that rolls back. A refused operation sends nothing.
Every signal carries ``actor``: the User who acted, or :data:`talk.policy.OPERATOR`.
"""

from blinker import Namespace

_signals = Namespace()

#: sender: the User; kwargs: actor (the new User itself when a visitor signed up; whoever made
#: the account otherwise: a logged-in user or the operator), answers (dict[str, str]: what the
#: visitor put in the sign-up form's fields of the packages' own, the ``register.fields`` slot,
#: named ``extra.<name>`` there and ``<name>`` here; empty for an account someone else made)
user_registered = _signals.signal("user-registered")
#: sender: the Project; kwargs: actor
project_created = _signals.signal("project-created")
#: sender: the Project; kwargs: items (list[Item]), actor
items_registered = _signals.signal("items-registered")
#: sender: the Discussion; kwargs: comment (its first Comment), board (Board), item (Item | None),
#: actor (its author), and the first comment's changes as for ``comment_posted``. A discussion
#: held for approval (its first comment sent ``comment_held``) sends it when a moderator
#: approves it, with ``approved_by`` (that moderator; absent for one posted at once), and never
#: before: ``comment_approved`` is not sent for that first comment.
discussion_created = _signals.signal("discussion-created")
#: sender: the Comment; kwargs: actor, tags_added, tags_removed (tuple[Tag, ...]),
#: mentioned_users (tuple[User, ...]) and mentioned_groups (tuple[str, ...]): newly mentioned,
#: only those who may read the comment
comment_posted = _signals.signal("comment-posted")
#: sender: the Discussion; kwargs: actor (a logged-in User). Sent when a logged-in person opens
#: a discussion's page (GET): a package may mark what it told them about it as read. The only
#: signal not about a change; receivers must keep it cheap (every view sends it).
discussion_viewed = _signals.signal("discussion-viewed")
#: sender: the Item; kwargs: actor (a logged-in User). Sent when a logged-in person opens an
#: item's page (GET), like ``discussion_viewed`` (and as cheap): a package may mark what it told
#: them about the item (an expert's verdict on it) as read.
item_viewed = _signals.signal("item-viewed")
#: sender: the Project; kwargs: actor (a logged-in User). Sent when a logged-in person opens a
#: project's home page (GET), like ``discussion_viewed`` (and as cheap): a package may mark
#: what it told them about the project itself (its welcome) as read.
project_viewed = _signals.signal("project-viewed")
#: sender: the Comment; kwargs: actor, previous_body (str), moderator_note (str: empty for an
#: author's edit; a moderator's edit of someone's comment carries the note shown under it), and
#: the changes as ``comment_posted``
comment_edited = _signals.signal("comment-edited")
#: sender: the Comment; kwargs: actor
comment_deleted = _signals.signal("comment-deleted")
#: sender: the Comment; kwargs: actor, reason (str)
comment_hidden = _signals.signal("comment-hidden")
#: sender: the Comment; kwargs: actor (its tags and mentions are recorded again; no change
#: arguments, since showing a comment again mentions nobody anew)
comment_unhidden = _signals.signal("comment-unhidden")
#: sender: the Comment, just written and held for a moderator's approval (a content check gave
#: a reason): nobody but its author and moderators sees it, and ``comment_posted`` is not sent;
#: kwargs: actor (its author), reason (str: the check's sentence). The first comment of a new
#: discussion held with it sends this too (``comment.discussion.is_held``), not
#: ``discussion_created``.
comment_held = _signals.signal("comment-held")
#: sender: the held reply a moderator approved, now visible; kwargs: actor (the moderator),
#: and the changes as for ``comment_posted`` (its tags and mentions count from now). Receivers
#: that act on ``comment_posted`` for the author (notifying, following) act on this instead.
comment_approved = _signals.signal("comment-approved")
#: sender: the held Comment a moderator rejected (it stays hidden, the reason on it); kwargs:
#: actor (the moderator), reason (str)
comment_rejected = _signals.signal("comment-rejected")
#: sender: the Membership (deleted, still readable, when ``removed``); kwargs: actor,
#: previous_role (str | None), removed (bool: the member left the project)
role_changed = _signals.signal("role-changed")
#: sender: the curated Tag; kwargs: actor, created (bool: True when it joined the vocabulary,
#: False when its description or authority link changed; an edit that changes nothing sends
#: nothing)
tag_curated = _signals.signal("tag-curated")
#: sender: the Tag (now under its new name; its id is unchanged); kwargs: actor, old_name,
#: new_name (str), old_tag_id (int: the tag row that now holds the old name, as a synonym of
#: the sender), new_tag_id (int: the sender's id)
tag_renamed = _signals.signal("tag-renamed")
#: sender: the Tag merged into; kwargs: actor, old_tag_id (int: the tag merged away, now a
#: synonym of the sender), new_tag_id (int: the sender's id)
tag_merged = _signals.signal("tag-merged")
#: sender: the Tag the synonym stands for; kwargs: actor, synonym_tag_id (int: the synonym's
#: tag row), synonym (str: its name). Curating a tag with synonyms sends one per synonym,
#: after ``tag_curated``.
tag_synonym_added = _signals.signal("tag-synonym-added")
#: sender: the TagVerdict; kwargs: actor, previous (Verdict | None: the verdict it replaced)
verdict_set = _signals.signal("verdict-set")
#: sender: the TagVerdict (deleted, still readable); kwargs: actor
verdict_withdrawn = _signals.signal("verdict-withdrawn")
#: sender: the User the mail is about, or None for a sign-up not yet confirmed (no account
#: exists); kwargs: actor, to_address (str: where to send it; for ``email_changed`` the old
#: address), kind (str, below), url (str | None: the absolute link the mail offers), expires_at
#: (datetime | None: when that link stops working), extra (dict[str, str]: kind-specific). Kinds:
#: ``verify_email`` (confirm a new or changed address; extra ``purpose``: "register" or
#: "email"), ``reset_password`` (a link to choose a new password), ``already_registered``
#: (someone tried to register, or to move another account, to this address: url is the
#: forgot-password page, extra ``login_url``), ``email_changed`` (notice to the old address,
#: extra ``new_address``), ``password_changed`` (notice; url None), ``account_standing`` (a
#: site-wide moderation decision, e.g. a ban; url a path on the site to the person's standing,
#: extra ``text``: the decision in one sentence). A receiver must deliver
#: ``verify_email``, ``reset_password`` and ``already_registered`` even when the user's address
#: is not verified (``User.email_verified``); the links are the only copy of the tokens.
account_mail = _signals.signal("account-mail")
#: sender: the User to tell; kwargs: actor, project (Project), kind (str, ≤ 40 chars, e.g.
#: "moderation.hidden", "moderation.suspended", "moderation.report_outcome",
#: "moderation.new_report"), text (str ≤ 500: one plain sentence said to them), url (str: a
#: path on the site, e.g. the comment or the person's moderation standing page),
#: discussion (Discussion | None), comment (Comment | None). The core sends none: a package's
#: service sends it after its change, in its transaction (docs/packages.md, "notices").
notice = _signals.signal("notice")

# The moderators' actions on discussions (talk/services/threads.py). Each is sent once the change
# is flushed, in its transaction, like every signal here; an action that changes nothing (locking
# a locked discussion) sends nothing.

#: sender: the Discussion; kwargs: actor, locked (bool: True when locked, False when unlocked)
discussion_locked = _signals.signal("discussion-locked")
#: sender: the Discussion; kwargs: actor, pinned (bool: True when pinned, False when unpinned)
discussion_pinned = _signals.signal("discussion-pinned")
#: sender: the Discussion (at its new place); kwargs: actor, from_board (Board), from_item
#: (Item | None), to_board (Board), to_item (Item | None)
discussion_moved = _signals.signal("discussion-moved")
#: sender: the Discussion kept; kwargs: actor, merged (Discussion: the one merged away, now a
#: redirect to the sender), comment_ids (tuple[int, ...]: the comments that moved, in order)
discussions_merged = _signals.signal("discussions-merged")
#: sender: the new Discussion; kwargs: actor, source (Discussion: the one split from),
#: comment_ids (tuple[int, ...]: the comments that moved into the sender, in order)
comments_split = _signals.signal("comments-split")
