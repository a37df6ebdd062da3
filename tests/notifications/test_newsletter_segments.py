"""Newsletter segments: each kind reaches the people it says, always inside the mailable opted-in
people (never wider), refuses bad input with a 422 naming the field, and moderation keeps the
suspended and banned out while the decision is in force."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from moderation import sanctions
from notifications import consent, follows, newsletter_segments
from talk.clock import utcnow
from talk.errors import InvalidInput
from talk.extensions import db
from talk.models import Board, Item, Project, Tag, User
from talk.policy import OPERATOR
from talk.services import curation, tag_groups


def _user(person: SimpleNamespace) -> User:
    user = db.session.get(User, person.id)
    assert user is not None
    return user


def _project(project: SimpleNamespace) -> Project:
    found = db.session.get(Project, project.id)
    assert found is not None
    return found


def _opt_in(make: Any, project: SimpleNamespace, *people: SimpleNamespace) -> None:
    with make.context():
        for person in people:
            consent.opt_in(_user(person), _project(project), source="settings")


def _reached(project: SimpleNamespace, raw: Any) -> set[str]:
    """The usernames ``raw`` reaches now, checked against the count and the everyone set."""
    p = _project(project)
    segment = newsletter_segments.validate(p, raw)
    now = utcnow()
    ids = set(db.session.scalars(newsletter_segments.audience(p, segment, now)))
    everyone = set(db.session.scalars(newsletter_segments.audience(p, {"kind": "everyone"}, now)))
    assert ids <= everyone  # a segment never widens the audience
    assert newsletter_segments.count(p, segment, now) == len(ids)
    return {_user(SimpleNamespace(id=i)).username for i in ids}


def _refused(project: SimpleNamespace, raw: Any) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as refused:
        newsletter_segments.validate(_project(project), raw)
    return refused.value.fields


def test_active_and_lapsed_by_comments_in_the_project(app, make, clock):
    project, elsewhere = make.project(), make.project()
    people = {name: make.user(name) for name in ("ann", "bob", "cat", "dan", "eve")}
    ann, bob, cat, dan, eve = people.values()
    thread = make.discussion(project, make.user("starter"), title="Ledger")
    other = make.discussion(elsewhere, make.user("starter2"), title="Elsewhere")
    _opt_in(make, project, ann, bob, cat)
    make.comment(thread, bob, "An old note")
    clock.advance(days=60)
    _opt_in(make, project, dan)  # asked for updates recently: not lapsed
    make.comment(thread, ann, "A new note")
    make.comment(thread, eve, "Never asked for updates")  # active, but no consent: never
    make.comment(other, cat, "Busy in another project")  # no activity in THIS project
    with app.app_context():
        assert _reached(project, None) == {"ann", "bob", "cat", "dan"}
        assert _reached(project, {"kind": "active", "days": 30}) == {"ann"}
        assert _reached(project, {"kind": "active", "days": 61}) == {"ann", "bob"}
        assert _reached(project, {"kind": "lapsed", "days": 30}) == {"bob", "cat"}
        assert _reached(project, {"kind": "lapsed", "days": 61}) == set()  # opted in < 61 d
        assert _reached(project, "everyone") == {"ann", "bob", "cat", "dan"}
        assert (
            newsletter_segments.validate(_project(project), {"kind": "active", "days": "7"})["days"]
            == 7
        )


def test_segments_never_reach_the_unverified_or_closed(app, make):
    project = make.project()
    ann, bob = make.user("ann"), make.user("bob")
    thread = make.discussion(project, ann, title="Ledger")
    make.comment(thread, bob, "Me too")
    _opt_in(make, project, ann, bob)
    with make.context():
        _user(bob).email_verified_at = None
    with app.app_context():
        assert _reached(project, {"kind": "active", "days": 30}) == {"ann"}
        _user(ann).disabled_at = utcnow()
        assert _reached(project, {"kind": "active", "days": 30}) == set()


def test_nobody_with_every_email_switched_off_is_reached(app, make):
    from notifications.preferences_models import EmailSwitch

    project = make.project()
    ann, bob = make.user("ann"), make.user("bob")
    _opt_in(make, project, ann, bob)
    with app.app_context():
        db.session.add(EmailSwitch(user_id=bob.id, everything_off=True))
        db.session.flush()
        assert _reached(project, None) == {"ann"}


def test_followers_of_a_curated_tag_including_its_synonyms(app, make):
    project, elsewhere = make.project(), make.project()
    ann, bob, cat = make.user("ann"), make.user("bob"), make.user("cat")
    _opt_in(make, project, ann, bob, cat)
    with make.context():
        p = _project(project)
        ward = curation.curate(OPERATOR, p, "ward-7", synonyms="ward7")
        curation.curate(OPERATOR, _project(elsewhere), "ward-7")
        follows.follow(_user(ann), ward)
        follows.follow(_user(bob), ward, level="mute")  # a mute is no follow
    with app.app_context():
        assert _reached(project, {"kind": "tag_followers", "tag": "ward-7"}) == {"ann"}
        segment = newsletter_segments.validate(
            _project(project), {"kind": "tag_followers", "tag": "#Ward7"}
        )
        assert segment["tag"] == "ward-7"  # the synonym names the curated tag
        assert segment["tag_id"] == db.session.scalar(
            db.select(Tag.id).where(Tag.project_id == project.id, Tag.name == "ward-7")
        )


def test_tag_followers_refuses_unknown_and_uncurated_tags(app, make):
    project, elsewhere = make.project(), make.project()
    author = make.user("author")
    make.discussion(project, author, title="Tags", body="A #fern here")
    with make.context():
        curation.curate(OPERATOR, _project(elsewhere), "orchid")
    with app.app_context():
        for name in ("nothing-like-it", "fern", "orchid"):  # unknown, not curated, elsewhere
            assert "segment.tag" in _refused(project, {"kind": "tag_followers", "tag": name})
        assert "segment.tag" in _refused(project, {"kind": "tag_followers"})


def test_followers_of_a_board_of_this_project_only(app, make):
    project, elsewhere = make.project(), make.project()
    ann, bob = make.user("ann"), make.user("bob")
    _opt_in(make, project, ann, bob)
    chat = project.boards["Chat"]
    with make.context():
        follows.follow(_user(ann), db.session.get(Board, chat.id))
        follows.follow(_user(bob), db.session.get(Board, elsewhere.boards["Chat"].id))
    with app.app_context():
        assert _reached(project, {"kind": "board_followers", "board_id": chat.id}) == {"ann"}
        assert _reached(project, {"kind": "board_followers", "board_id": str(chat.id)}) == {"ann"}
        other = elsewhere.boards["Chat"].id
        for bad in (other, 0, 2**31, "x", True, None):
            raw = {"kind": "board_followers", "board_id": bad}
            assert "segment.board_id" in _refused(project, raw), bad


def test_commenters_on_a_tag_groups_items(app, make):
    project = make.project()
    nurse_item, other_item = make.item(project), make.item(project)
    ann, bob, cat = make.user("ann"), make.user("bob"), make.user("cat")
    _opt_in(make, project, ann, bob, cat)
    tagged = make.discussion(project, ann, item=nurse_item, board="Item discussions", body="#nurse")
    make.comment(tagged, bob, "I read it too")  # on the group's item, without the tag
    make.discussion(project, cat, item=other_item, board="Item discussions", body="#sailor")
    with make.context():
        group = tag_groups.create_group(
            _user(project.owner), _project(project), title="Nurses", query="#nurse"
        )
        slug, group_id = group.slug, group.id
    with app.app_context():
        assert _reached(project, {"kind": "tag_group", "group": slug}) == {"ann", "bob"}
        assert _reached(project, {"kind": "tag_group", "group": group_id}) == {"ann", "bob"}
        assert "segment.group" in _refused(project, {"kind": "tag_group", "group": "nope"})
        assert db.session.get(Item, nurse_item.id) is not None


def test_a_group_in_another_project_is_refused(app, make):
    project, elsewhere = make.project(), make.project()
    with make.context():
        group = tag_groups.create_group(
            _user(elsewhere.owner), _project(elsewhere), title="Nurses", query="#nurse"
        )
        slug, group_id = group.slug, group.id
    with app.app_context():
        for named in (slug, group_id, str(group_id)):
            assert "segment.group" in _refused(project, {"kind": "tag_group", "group": named})


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"kind": "active", "days": 0}, "segment.days"),
        ({"kind": "active", "days": 3651}, "segment.days"),
        ({"kind": "lapsed", "days": -5}, "segment.days"),
        ({"kind": "lapsed", "days": "thirty"}, "segment.days"),
        ({"kind": "active", "days": True}, "segment.days"),
        ({"kind": "active", "days": 2.5}, "segment.days"),
        ({"kind": "active"}, "segment.days"),
        ({"kind": "active", "days": 3, "weeks": 1}, "segment.weeks"),
        ({"kind": "everyone", "board_id": 1}, "segment.board_id"),
        ({"kind": "all"}, "segment.kind"),
        ({"days": 3}, "segment.kind"),
        (["active"], "segment.kind"),
        (7, "segment.kind"),
        ({"kind": "tag_group", "group": ""}, "segment.group"),
        ({"kind": "tag_group", "group": "9" * 5000}, "segment.group"),
        ({"kind": "tag_group", "group": 2**31}, "segment.group"),
        ({"kind": "active", "days": "9" * 5000}, "segment.days"),
        ({"kind": "board_followers", "board_id": "9" * 5000}, "segment.board_id"),
        ({"kind": "tag_group", "group": {"slug": "x"}}, "segment.group"),
        ({"kind": []}, "segment.kind"),
        ({"kind": {}}, "segment.kind"),
        ({"kind": "active", "days": "²"}, "segment.days"),  # a digit to isdigit, not to int
        ({"kind": "tag_group", "group": "²"}, "segment.group"),
    ],
)
def test_bad_segments_are_refused_naming_the_field(app, make, raw, field):
    project = make.project()
    with app.app_context():
        assert field in _refused(project, raw)


def test_moderation_keeps_the_suspended_and_banned_out_while_in_force(app, make, clock):
    project = make.project()
    ann, bob, cat, dan = (make.user(n) for n in ("ann", "bob", "cat", "dan"))
    _opt_in(make, project, ann, bob, cat, dan)
    moderator = make.member(project, "moderator")
    admin = make.admin()
    with make.context():
        p, mod = _project(project), _user(moderator)
        sanctions.suspend(mod, p, _user(ann), days=3, reason="spam")
        sanctions.mute(mod, p, _user(cat), days=3, reason="spam")  # a mute: still reads news
        ban = sanctions.ban(_user(admin), _user(bob), reason="spam")
        ban_id = ban.id
    with app.app_context():
        assert _reached(project, None) == {"cat", "dan"}
        assert newsletter_segments.count(_project(project), {"kind": "everyone"}, utcnow()) == 2
    clock.advance(days=4)  # the suspension ends by time alone
    with make.context():
        from moderation.sanction_models import Sanction

        sanctions.lift(_user(admin), db.session.get(Sanction, ban_id))
    with app.app_context():
        assert _reached(project, None) == {"ann", "bob", "cat", "dan"}
