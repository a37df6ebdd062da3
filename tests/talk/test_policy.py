"""The permission policy, rule by rule, for each role."""

import pytest
from sqlalchemy import select

from talk import policy
from talk.errors import NotAuthenticated, PermissionDenied
from talk.extensions import db
from talk.models import Board, Comment, Discussion, Project, User
from talk.services import projects


class Anonymous:
    is_authenticated = False


def test_board_levels_by_role(app, make):
    project = make.project()
    roles = {
        role: make.member(project, role)
        for role in ("team", "expert", "moderator", "admin", "owner")
    }
    roles["volunteer"] = make.user()
    with app.app_context():
        owner = db.session.get(User, project.owner.id)
        target = db.session.get(Project, project.id)
        boards = {
            level: projects.create_board(
                owner,
                target,
                f"{level} board",
                read_level=level,
                write_level=level if level != "everyone" else "logged-in",
            )
            for level in ("everyone", "logged-in", "team", "moderators", "admins")
        }
        db.session.commit()
        expected = {
            "volunteer": {"everyone", "logged-in"},
            "team": {"everyone", "logged-in", "team"},
            "expert": {"everyone", "logged-in", "team"},
            "moderator": {"everyone", "logged-in", "team", "moderators"},
            "admin": {"everyone", "logged-in", "team", "moderators", "admins"},
            "owner": {"everyone", "logged-in", "team", "moderators", "admins"},
        }
        for role, user in roles.items():
            person = db.session.get(User, user.id)
            readable = {
                lvl for lvl, board in boards.items() if policy.may(person, "board.read", board)
            }
            assert readable == expected[role], role
            writable = {
                lvl
                for lvl, board in boards.items()
                if policy.may(person, "board.start_discussion", board)
            }
            assert writable == expected[role], role
        anonymous = Anonymous()
        assert {lvl for lvl, b in boards.items() if policy.may(anonymous, "board.read", b)} == {
            "everyone"
        }
        assert not policy.may(anonymous, "board.start_discussion", boards["everyone"])
        everyone_only = set(
            db.session.scalars(
                select(Board.read_level).where(
                    Board.project_id == project.id, policy.readable_boards_filter(anonymous)
                )
            )
        )
        assert everyone_only == {"everyone"}
        admin = db.session.get(User, project.owner.id)
        assert admin.is_site_admin
        assert all(policy.may(admin, "board.read", b) for b in boards.values())


def test_comment_edit_and_delete(app, make):
    project = make.project()
    author, other = make.user(), make.user()
    moderator = make.member(project, "moderator")
    discussion = make.discussion(project, author)
    with app.app_context():
        comment = db.session.get(Comment, discussion.first_comment_id)
        assert policy.may(db.session.get(User, author.id), "comment.edit", comment)
        assert not policy.may(db.session.get(User, other.id), "comment.edit", comment)
        assert not policy.may(db.session.get(User, moderator.id), "comment.edit", comment)
        assert not policy.may(db.session.get(User, other.id), "comment.delete", comment)
        assert policy.may(db.session.get(User, moderator.id), "comment.delete", comment)
        assert not policy.may(Anonymous(), "comment.delete", comment)


def test_require_distinguishes_anonymous_from_forbidden(app, make):
    project = make.project()
    volunteer = make.user()
    with app.app_context():
        target = db.session.get(Project, project.id)
        with pytest.raises(NotAuthenticated):
            policy.require(Anonymous(), "items.register", target)
        with pytest.raises(PermissionDenied):
            policy.require(db.session.get(User, volunteer.id), "items.register", target)


def test_only_owners_make_owners_and_a_project_keeps_one(app, make):
    from talk.errors import Conflict

    project = make.project()
    admin = make.member(project, "admin")
    volunteer = make.user()
    with app.app_context():
        target = db.session.get(Project, project.id)
        acting_admin = db.session.get(User, admin.id)
        projects.set_role(acting_admin, target, db.session.get(User, volunteer.id), "moderator")
        with pytest.raises(PermissionDenied):
            projects.set_role(acting_admin, target, db.session.get(User, volunteer.id), "owner")
        with pytest.raises(Conflict):
            projects.remove_member(policy.OPERATOR, target, db.session.get(User, project.owner.id))


def test_role_lookups_are_cached_per_context(app, make, count_queries):
    project = make.project()
    author = make.user()
    discussion = make.discussion(project, author)
    with app.app_context():
        user = db.session.get(User, author.id)
        board = db.session.get(Board, db.session.get(Discussion, discussion.id).board_id)
        board.project  # noqa: B018 (load outside the count)
        policy.may(user, "board.read", board)
        policy.may(user, "board.start_discussion", board)  # and what the vetoes look up once
        with count_queries() as queries:
            for _ in range(20):
                policy.may(user, "board.start_discussion", board)
        assert queries.count == 0


def test_unknown_rule_is_a_programming_error(app):
    with app.app_context(), pytest.raises(KeyError):
        policy.may(Anonymous(), "no.such.rule")


def test_the_operator_administers_but_authors_nothing(app, make, count_queries):
    from talk.errors import TalkError
    from talk.services import discussions

    project = make.project()
    discussion = make.discussion(project, make.user())
    with app.app_context():
        stored = db.session.get(Project, project.id)
        chat = db.session.get(Board, project.boards["Chat"].id)
        assert policy.may(policy.OPERATOR, "project.manage", stored)
        assert policy.may(policy.OPERATOR, "members.manage", stored)
        assert policy.may(policy.OPERATOR, "tags.curate", stored)
        with count_queries() as queries:
            assert policy.role_in(policy.OPERATOR, stored) is None
        assert queries.count == 0
        for action, target in (
            ("board.start_discussion", chat),
            ("discussion.reply", db.session.get(Discussion, discussion.id)),
            ("tag_group.create", stored),
        ):
            assert not policy.may(policy.OPERATOR, action, target), action
        with pytest.raises(TalkError):
            discussions.start_discussion(policy.OPERATOR, chat, "Notice", "From the terminal")


def test_registering_a_veto_or_content_check_twice_adds_it_once():
    def veto(actor, action, target):
        return None

    def check(actor, kind, target, text):
        return None

    try:
        for _ in range(2):
            policy.register_veto(veto)
            policy.register_content_check(check)
        assert policy._VETOES.count(veto) == 1
        assert policy._CONTENT_CHECKS.count(check) == 1
    finally:
        policy._VETOES.remove(veto)
        policy._CONTENT_CHECKS.remove(check)
