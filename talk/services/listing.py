"""Read-side queries shared by the pages and the API: keyset pages, eager-loaded, permission-aware.

Each function returns a :class:`talk.pagination.Page`; the rows come with what their lists show
already loaded (authors, items, boards), so a page costs a fixed number of queries however many
rows it holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, joinedload, selectinload

from talk import policy
from talk.errors import InvalidInput
from talk.extensions import db
from talk.models import Board, Comment, Discussion, Item, ItemTag, Membership, Project, Tag, User
from talk.pagination import Page, encode_cursor, keyset_page
from talk.services import items, projects, tags
from talk.services.projects import ProjectAsSeen


def _recent_discussions(
    where: Any,
    *,
    cursor: str | None,
    limit: int,
    with_board: bool = False,
    pinned_first: bool = True,
) -> Page[Discussion]:
    """Discussions matching ``where``, most recently active first, with author and item (and
    board, for lists that span boards); pinned ones first on a board's or item's list. Only
    listed ones (``Discussion.listed``): not merged away (their comments are in the discussion
    they were merged into), not held for a moderator."""
    loads = [selectinload(Discussion.author), selectinload(Discussion.item)]
    if with_board:
        loads.append(selectinload(Discussion.board))
    query = select(Discussion).where(where, Discussion.listed()).options(*loads)
    order = [Discussion.last_comment_at, Discussion.id]
    return keyset_page(
        query,
        [Discussion.pinned, *order] if pinned_first else order,
        cursor=cursor,
        limit=limit,
        descending=True,
    )


def board_discussions(board: Board, *, cursor: str | None, limit: int) -> Page[Discussion]:
    """A board's discussions, pinned first, then the most recently active."""
    return _recent_discussions(Discussion.board_id == board.id, cursor=cursor, limit=limit)


def item_discussions(item: Item, *, cursor: str | None, limit: int) -> Page[Discussion]:
    """An item's discussions, pinned first, then the most recently active."""
    return _recent_discussions(Discussion.item_id == item.id, cursor=cursor, limit=limit)


def project_discussions(
    viewer: Any, project: Project, *, cursor: str | None, limit: int
) -> Page[Discussion]:
    """Recently active discussions across the boards ``viewer`` may read."""
    where = and_(
        Discussion.project_id == project.id,
        Discussion.board_id.in_(policy.readable_board_ids(viewer)),
    )
    return _recent_discussions(
        where, cursor=cursor, limit=limit, with_board=True, pinned_first=False
    )


def discussion_comments(
    discussion: Discussion, *, cursor: str | None, limit: int, viewer: Any = None
) -> Page[Comment]:
    """A discussion's comments in the order they were written (deleted ones included, so the
    thread keeps its shape; they are shown as deleted). Comments held for approval are left
    out, except for their author and the discussion's moderators (``viewer``)."""
    query = (
        select(Comment)
        .where(Comment.discussion_id == discussion.id, _shown(discussion, viewer))
        .options(
            joinedload(Comment.author, innerjoin=True),
            selectinload(Comment.reply_to).joinedload(Comment.author, innerjoin=True),
        )
    )
    return keyset_page(query, [Comment.id], cursor=cursor, limit=limit)


def _shown(discussion: Discussion, viewer: Any) -> Any:
    """Which of the discussion's comments :func:`discussion_comments` lists to ``viewer``."""
    if policy.moderates(viewer, discussion.project):
        return true()
    if policy.is_logged_in(viewer):
        return or_(Comment.held_at.is_(None), Comment.author_id == viewer.id)
    return Comment.held_at.is_(None)


def discussion_comments_cursor(comment: Comment, *, limit: int, viewer: Any = None) -> str | None:
    """The cursor of the :func:`discussion_comments` page (of ``limit`` rows) that shows
    ``comment`` to ``viewer`` (None: the first page), so a link to one comment opens the
    thread's page around it: one of the pages the pager shows. Counted over the comments that
    viewer is listed; counting held ones hidden from them too opened a window that was none of
    the pager's pages (paging on from it showed comments again), named by a held comment."""

    in_thread = and_(
        Comment.discussion_id == comment.discussion_id, _shown(comment.discussion, viewer)
    )
    before = (
        db.session.scalar(select(func.count(Comment.id)).where(in_thread, Comment.id < comment.id))
        or 0
    )
    start = (before // limit) * limit
    if start == 0:
        return None
    last_of_previous_page = db.session.scalar(
        select(Comment.id).where(in_thread).order_by(Comment.id).offset(start - 1).limit(1)
    )
    return encode_cursor([last_of_previous_page])


def _readable(query: Any, viewer: Any) -> Any:
    """``query`` over comments, limited to the shown ones on boards ``viewer`` may read."""
    return query.join(Discussion, Comment.discussion_id == Discussion.id).where(
        Comment.deleted_at.is_(None),
        Comment.hidden_at.is_(None),
        Discussion.board_id.in_(policy.readable_board_ids(viewer)),
    )


def _readable_comments(viewer: Any) -> Any:
    return _readable(select(Comment), viewer).options(
        selectinload(Comment.author),
        selectinload(Comment.discussion).selectinload(Discussion.item),
        selectinload(Comment.discussion).selectinload(Discussion.project),
    )


@dataclass
class UserAsSeen:
    """A person as one viewer sees them: ``comment_count`` counts the comments that viewer may
    read (what :func:`user_comments` lists). The stored ``User.comment_count`` counts those on
    boards closed to the viewer too, which would tell how busy a team-only board is."""

    user: User
    comment_count: int

    def __getattr__(self, name: str) -> Any:
        return getattr(self.user, name)


def user_as_seen(viewer: Any, person: User) -> UserAsSeen:
    counted = _readable(select(func.count(Comment.id)), viewer)
    return UserAsSeen(person, db.session.scalar(counted.where(Comment.author_id == person.id)) or 0)


def project_comments(
    viewer: Any, project: Project, *, cursor: str | None, limit: int
) -> Page[Comment]:
    """The newest comments in a project, on boards ``viewer`` may read."""
    query = _readable_comments(viewer).where(Comment.project_id == project.id)
    return keyset_page(query, [Comment.id], cursor=cursor, limit=limit, descending=True)


def user_comments(viewer: Any, author: User, *, cursor: str | None, limit: int) -> Page[Comment]:
    """``author``'s newest comments, on boards ``viewer`` may read, across all projects."""
    query = _readable_comments(viewer).where(Comment.author_id == author.id)
    return keyset_page(query, [Comment.id], cursor=cursor, limit=limit, descending=True)


# Each order's keyset columns and direction (the columns of an index on items, after project_id).
_ITEM_ORDERS: dict[str, tuple[list[InstrumentedAttribute[Any]], bool]] = {
    "registered": ([Item.id], False),
    "newest": ([Item.id], True),
    "discussed": ([Item.discussion_count, Item.id], True),
    "active": ([Item.last_activity_at, Item.id], True),
    "id": ([Item.external_id], False),  # unique within a project
}


def project_items(
    project: Project,
    *,
    cursor: str | None,
    limit: int,
    query: items.ItemQuery | None = None,
    tag: Tag | None = None,
) -> Page[Item]:
    """A project's items matching ``query`` in its order (by default: all, as registered).

    ``query.text`` finds items whose title contains it (any letter case) or whose external id
    starts with it, except the item whose external id *is* the text: :func:`items.find_exact`'s
    to show above the list. ``tag`` is the tag ``query.tag`` names (:func:`item_list_tag`).
    "Recently active" lists only items that have been discussed (the others have no activity to
    order by).
    """
    query = query or items.ItemQuery()
    order, descending = _ITEM_ORDERS[query.sort]
    rows = select(Item).where(Item.project_id == project.id)
    if query.text:
        rows = rows.where(
            or_(
                Item.title.icontains(query.text, autoescape=True),
                Item.external_id.startswith(query.text, autoescape=True),
            ),
            Item.external_id != query.text,  # find_exact's, shown above the list
        )
    if tag is not None:
        tagged = select(ItemTag.item_id).where(ItemTag.tag_id == tag.id)
        rows = rows.where(Item.id.in_(tagged))
    if query.discussed:
        rows = rows.where(Item.discussion_count > 0)
    if query.sort == "active":
        rows = rows.where(Item.last_activity_at.is_not(None))
    return keyset_page(rows, order, cursor=cursor, limit=limit, descending=descending)


def item_list_tag(project: Project, query: items.ItemQuery) -> Tag | None:
    """The tag an item list is filtered by (any spelling, or a synonym of it), or a 422 naming
    ``tag`` when the project has no such tag."""
    if not query.tag:
        return None
    tag = tags.find_tag(project, query.tag)
    if tag is None or not tags.is_listed(tag):
        raise InvalidInput(
            f"No tag #{query.tag.lstrip('#')} in this project.",
            {"tag": [f"No tag #{query.tag.lstrip('#')} in this project."]},
        )
    return tag


def recently_discussed_items(project: Project, *, cursor: str | None, limit: int) -> Page[Item]:
    """Items with discussion activity, most recent first.

    Item threads live on the items board; when that board is hidden from the viewer the
    caller should not show this list (see ``policy.may(viewer, 'board.read', items_board)``).
    """
    query = select(Item).where(Item.project_id == project.id, Item.last_activity_at.is_not(None))
    return keyset_page(
        query, [Item.last_activity_at, Item.id], cursor=cursor, limit=limit, descending=True
    )


def can_see_item_threads(viewer: Any, project: Project) -> bool:
    return policy.may(viewer, "board.read", policy.items_board(project))


def all_projects(viewer: Any, *, cursor: str | None, limit: int) -> Page[ProjectAsSeen]:
    """Every project, oldest first, each as ``viewer`` sees it (counts over readable boards)."""
    page = keyset_page(select(Project), [Project.id], cursor=cursor, limit=limit)
    return page.with_rows(projects.as_seen_by(viewer, page.rows))


def project_covers(shown: list[Project]) -> dict[int, Item]:
    """Each project's picture, by id: the first item that has an image (a project has none of
    its own), in one query for any number of projects."""
    ids = [project.id for project in shown]
    if not ids:
        return {}
    first_with_image = (
        select(func.min(Item.id))
        .where(Item.project_id.in_(ids), or_(Item.thumbnail_url != "", Item.image_url != ""))
        .group_by(Item.project_id)
    )
    return {
        item.project_id: item
        for item in db.session.scalars(select(Item).where(Item.id.in_(first_with_image)))
    }


def project_members(project: Project, *, cursor: str | None, limit: int) -> Page[Membership]:
    """Everyone with a role in the project, in the order they got it."""
    query = (
        select(Membership)
        .where(Membership.project_id == project.id)
        .options(selectinload(Membership.user))
    )
    return keyset_page(query, [Membership.id], cursor=cursor, limit=limit)
