from talk.extensions import db
from talk.models import Discussion, Item, Project


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
