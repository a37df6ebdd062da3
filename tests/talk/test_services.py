import pytest

from talk import signals
from talk.errors import InvalidInput, NotAuthenticated
from talk.extensions import db
from talk.models import Discussion, Item, Project, User
from talk.policy import OPERATOR
from talk.services import projects


def test_services_keep_counters(app, make):
    project = make.project()
    volunteer = make.user()
    item = make.item(project)
    discussion = make.discussion(project, volunteer, item=item)
    make.comment(discussion, make.user())
    with app.app_context():
        assert db.session.get(Discussion, discussion.id).comment_count == 2
        stored_item = db.session.get(Item, item.id)
        assert (stored_item.discussion_count, stored_item.comment_count) == (1, 2)
        assert db.session.get(Project, project.id).comment_count == 2


def test_listing_pages_follow_cursor(app, make):
    from talk.models import Board
    from talk.services import listing

    project = make.project()
    author = make.user()
    created = [make.discussion(project, author, title=f"Thread {n}") for n in range(5)]
    with app.app_context():
        board = db.session.get(Board, project.boards["Chat"].id)
        first = listing.board_discussions(board, cursor=None, limit=2)
        second = listing.board_discussions(board, cursor=first.next_cursor, limit=2)
        third = listing.board_discussions(board, cursor=second.next_cursor, limit=2)
    seen = [d.id for d in first.rows + second.rows + third.rows]
    assert seen == [d.id for d in reversed(created)]
    assert third.next_cursor is None


def _get(app, model, ident):
    with app.app_context():
        return db.session.get(model, ident)


def test_delete_and_edit_keep_counters_exact_and_history(app, make, clock):
    from talk.models import Board, Comment, User
    from talk.services import discussions

    project = make.project()
    author = make.user()
    item = make.item(project)
    discussion = make.discussion(project, author, item=item, body="first")
    reply = make.comment(discussion, author, body="second")
    clock.advance(hours=1)
    with app.app_context():
        user = db.session.get(User, author.id)
        comment = db.session.get(Comment, reply.id)
        discussions.edit_comment(user, comment, "second, corrected")
        discussions.delete_comment(user, db.session.get(Comment, discussion.first_comment_id))
        db.session.commit()
        edited = db.session.get(Comment, reply.id)
        assert edited.edited_at == clock.now
        assert [r.body for r in edited.revisions] == ["second"]
        assert edited.body_html == "<p>second, corrected</p>"
        board = db.session.get(Board, project.boards["Item discussions"].id)
        assert (board.discussion_count, board.comment_count) == (1, 1)
        assert db.session.get(Discussion, discussion.id).comment_count == 1
        assert db.session.get(Item, item.id).comment_count == 1
        assert db.session.get(Project, project.id).comment_count == 1
        assert db.session.get(User, author.id).comment_count == 1


def test_editing_to_the_same_body_records_no_revision(app, make):
    from talk.models import Comment, User
    from talk.services import discussions

    project = make.project()
    author = make.user()
    discussion = make.discussion(project, author, body="same")
    with app.app_context():
        comment = db.session.get(Comment, discussion.first_comment_id)
        discussions.edit_comment(db.session.get(User, author.id), comment, "  same  ")
        assert comment.edited_at is None and comment.revisions == []


def test_reply_must_point_into_the_same_discussion(app, make):
    import pytest

    from talk.errors import InvalidInput
    from talk.models import Comment, User
    from talk.services import discussions

    project = make.project()
    author = make.user()
    one = make.discussion(project, author)
    other = make.discussion(project, author)
    with app.app_context(), pytest.raises(InvalidInput):
        discussions.post_comment(
            db.session.get(User, author.id),
            discussions.get_discussion(other.id),
            "hi",
            reply_to=db.session.get(Comment, one.first_comment_id),
        )


def test_comment_body_limits(app, make):
    import pytest

    from talk.errors import InvalidInput
    from talk.models import User
    from talk.services import discussions

    project = make.project()
    author = make.user()
    discussion = make.discussion(project, author)
    app.config["TALK_MAX_COMMENT_LENGTH"] = 10
    with app.app_context():
        user = db.session.get(User, author.id)
        target = discussions.get_discussion(discussion.id)
        for body in ("   ", "x" * 11, "nul\x00byte"):
            with pytest.raises(InvalidInput):
                discussions.post_comment(user, target, body)
        assert discussions.get_discussion(discussion.id).comment_count == 1


def test_item_board_discussions_need_an_item(app, make):
    import pytest

    from talk.errors import InvalidInput
    from talk.models import Board, User
    from talk.services import discussions

    project = make.project()
    author = make.user()
    with app.app_context(), pytest.raises(InvalidInput):
        discussions.start_discussion(
            db.session.get(User, author.id),
            db.session.get(Board, project.boards["Item discussions"].id),
            "Title",
            "Body",
        )


def test_register_items_reports_every_bad_row_and_adds_nothing(app, make):
    import pytest

    from talk.errors import Conflict, InvalidInput
    from talk.models import User
    from talk.services import items

    project = make.project()
    taken = make.item(project, prefix="taken")
    with app.app_context():
        owner = db.session.get(User, project.owner.id)
        target = db.session.get(Project, project.id)
        rows = [
            {"external_id": "ok-1"},
            {"external_id": ""},
            {"external_id": "ok-2", "image_url": "javascript:alert(1)"},
            {"external_id": "ok-1"},
            {"external_id": "ok-3", "metadata": {"k": ["list"]}},
        ]
        with pytest.raises(InvalidInput) as refused:
            items.register_items(owner, target, rows)
        assert set(refused.value.fields) == {
            "items.1.external_id",
            "items.2.image_url",
            "items.3.external_id",
            "items.4.metadata",
        }
        existing = db.session.get(Project, project.id).item_count
        with pytest.raises(Conflict):
            items.register_items(
                owner, target, [{"external_id": taken.external_id}, {"external_id": "n"}]
            )
        db.session.rollback()
        assert db.session.get(Project, project.id).item_count == existing == 1


def test_a_lost_registration_race_is_a_conflict_not_a_crash(app, make):
    """Another app server inserted the same external id after our pre-check passed."""
    import pytest

    from talk.errors import Conflict
    from talk.models import User
    from talk.services import items

    project = make.project()
    taken = make.item(project)
    with app.app_context():
        target = db.session.get(Project, project.id)
        with pytest.raises(Conflict):
            items.add_checked_items(OPERATOR, target, [{"external_id": taken.external_id}])
        # The transaction is still usable, and nothing was added.
        owner = db.session.get(User, project.owner.id)
        items.register_items(owner, target, [{"external_id": "fresh"}])
        db.session.commit()
        assert db.session.get(Project, project.id).item_count == 2


def test_services_require_an_actor_and_the_operator_names_an_owner(app, make):
    """Commands act as the operator, never as None; the operator is nobody's account, so a
    project it creates needs a named owner, and signals carry it as the actor."""
    owner = make.user("curator")
    seen: list[object] = []

    def record(sender: object, **kwargs: object) -> None:
        seen.append(kwargs["actor"])

    with app.app_context(), signals.project_created.connected_to(record):
        with pytest.raises(NotAuthenticated):
            projects.create_project(None, "nobody-acts", "No actor")
        with pytest.raises(InvalidInput, match="needs an owner"):
            projects.create_project(OPERATOR, "no-owner", "No owner")
        project = projects.create_project(
            OPERATOR, "operated", "Made by a command", owner=db.session.get(User, owner.id)
        )
        assert projects.memberships(project).keys() == {owner.id}
        db.session.rollback()
    assert seen == [OPERATOR]
