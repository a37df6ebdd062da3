"""Hashtags in comments keep tags and every stored counter exact as comments come and go."""

from sqlalchemy import select

from talk.extensions import db
from talk.models import Comment, Tag, TagUse
from tests.conftest import login
from tests.talk.web.pages import outline, submit


def test_hashtags_in_an_item_thread_tag_the_item_and_follow_edits_and_deletes(
    app, make, herbarium, tag_state, edit, remove, clock
):
    item, other_item = make.items(herbarium, 2)
    alice, bob = make.user("alice"), make.user("bob")

    thread = make.discussion(herbarium, alice, item=item, body="An #orchid near the #Église?")
    reply = make.comment(thread, bob, "Yes, an #Orchid. #orchid again counts once.")
    state = tag_state(herbarium)
    assert state["tags"] == {"orchid": (2, 1, 1, 2), "église": (1, 1, 1, 1)}
    assert state["item_tags"] == {("orchid", item.id): 2, ("église", item.id): 1}
    assert state["tag_users"] == {
        ("orchid", alice.id): 1,
        ("orchid", bob.id): 1,
        ("église", alice.id): 1,
    }
    with app.app_context():
        uses = db.session.scalars(select(TagUse).order_by(TagUse.id)).all()
        assert {(u.comment_id, u.item_id, u.discussion_id) for u in uses} == {
            (thread.first_comment_id, item.id, thread.id),
            (reply.id, item.id, thread.id),
        }
        assert {u.user_id for u in uses if u.comment_id == reply.id} == {bob.id}

    clock.advance(days=1)
    edit(thread.first_comment_id, alice, "An #orchid, and a #fern behind it.")
    state = tag_state(herbarium)
    assert state["tags"] == {"orchid": (2, 1, 1, 2), "fern": (1, 1, 1, 1)}
    assert ("église", item.id) not in state["item_tags"]
    day = clock.now.date()
    assert state["tag_daily"][("fern", day)] == 1

    # Another item's thread: the tag is on two items now.
    elsewhere = make.discussion(herbarium, bob, item=other_item, body="Another #fern")
    assert tag_state(herbarium)["tags"]["fern"] == (2, 2, 2, 2)

    remove(reply.id, bob)
    state = tag_state(herbarium)
    assert state["tags"]["orchid"] == (1, 1, 1, 1)
    assert state["item_tags"][("orchid", item.id)] == 1

    remove(elsewhere.first_comment_id, bob)
    remove(thread.first_comment_id, alice)
    state = tag_state(herbarium)
    assert state["tags"] == {}
    assert state["item_tags"] == state["tag_users"] == state["tag_daily"] == {}


def test_a_general_board_thread_is_tagged_itself(app, make, herbarium, tag_state):
    alice = make.user("alice")
    thread = make.discussion(herbarium, alice, board="Chat", body="Who is coming to the #meetup?")

    state = tag_state(herbarium)
    assert state["tags"] == {"meetup": (1, 0, 1, 1)}
    assert state["item_tags"] == {}
    assert state["discussion_tags"] == {("meetup", thread.id): 1}
    with app.app_context():
        assert db.session.scalar(select(TagUse.item_id)) is None


def test_eglise_in_any_case_or_form_is_one_tag(make, herbarium, tag_state):
    alice = make.user("alice")
    item = make.item(herbarium)
    thread = make.discussion(herbarium, alice, item=item, body="#Église")
    make.comment(thread, make.user(), "#église")
    make.comment(thread, make.user(), "#ÉGLISE and the decomposed #E\u0301glise")

    assert tag_state(herbarium)["tags"] == {"église": (3, 1, 1, 3)}


def test_editing_to_the_same_tags_changes_nothing_and_a_new_day_counts_on_that_day(
    make, herbarium, tag_state, edit, clock
):
    alice = make.user("alice")
    thread = make.discussion(herbarium, alice, body="#beetle damage")
    first_day = clock.now.date()
    clock.advance(days=3)
    edit(thread.first_comment_id, alice, "#Beetle damage, photographed")
    state = tag_state(herbarium)
    assert state["tags"] == {"beetle": (1, 0, 1, 1)}
    assert state["tag_daily"] == {("beetle", first_day): 1}

    edit(thread.first_comment_id, alice, "#beetle #damage")
    assert tag_state(herbarium)["tag_daily"] == {
        ("beetle", first_day): 1,
        ("damage", clock.now.date()): 1,
    }


def test_stored_html_links_hashtags_to_the_tag_page(make, herbarium, body_html):
    thread = make.discussion(herbarium, make.user(), body="See #Église and `#code`")

    html = body_html(thread.first_comment_id)
    assert (
        '<a class="hashtag" href="/projects/herbarium/tags/%C3%A9glise" rel="tag">#Église</a>'
        in html
    )
    assert "<code>#code</code>" in html


def test_hashtags_on_a_staff_board_stay_private(make, herbarium, tag_state, staff_board, body_html):
    staff_board(herbarium)
    staffer = make.member(herbarium, "team")
    thread = make.discussion(herbarium, staffer, board="Team room", body="Is this a #forgery?")

    assert tag_state(herbarium)["tags"] == {}
    html = body_html(thread.first_comment_id)
    assert "#forgery" in html
    assert "<a" not in html


def test_hiding_and_showing_a_comment_detaches_and_reattaches_its_tags(
    app, make, herbarium, tag_state
):
    from talk.services import discussions

    item = make.item(herbarium)
    thread = make.discussion(herbarium, make.user(), item=item, body="#mould on the sheet")
    with make.context():
        comment = db.session.get(Comment, thread.first_comment_id)
        discussions.sync_links(comment, visible=False)
    assert tag_state(herbarium)["tags"] == {}

    with make.context():
        comment = db.session.get(Comment, thread.first_comment_id)
        discussions.sync_links(comment, visible=True)
    assert tag_state(herbarium)["tags"] == {"mould": (1, 1, 1, 1)}


def test_a_comment_with_too_many_hashtags_is_refused_and_changes_nothing(
    app, client, make, herbarium, tag_state
):
    alice = make.user("alice")
    thread = make.discussion(herbarium, alice, body="#first")
    login(client, "alice")
    body = " ".join(f"#tag{n:02d}" for n in range(31))

    page = f"/discussions/{thread.id}"
    response = submit(client, page, body=body)

    assert response.status_code == 422
    assert "at most 30 hashtags" in response.get_data(as_text=True)
    assert tag_state(herbarium)["tags"] == {"first": (1, 0, 1, 1)}
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Comment)) == 1
        assert db.session.scalars(select(Tag.name)).all() == ["first"]
    assert outline(response).find("textarea")


def test_tag_counts_stay_exact_when_a_tag_returns_after_leaving(
    make, herbarium, tag_state, edit, remove, clock
):
    alice = make.user("alice")
    item = make.item(herbarium)
    thread = make.discussion(herbarium, alice, item=item, body="#lichen")
    edit(thread.first_comment_id, alice, "no tags")
    assert tag_state(herbarium)["tags"] == {}
    clock.advance(hours=1)
    edit(thread.first_comment_id, alice, "#lichen back")
    assert tag_state(herbarium)["tags"] == {"lichen": (1, 1, 1, 1)}
    clock.advance(days=8)
    reply = make.comment(thread, alice, "more #lichen")
    assert tag_state(herbarium)["tags"] == {"lichen": (2, 1, 1, 1)}
    remove(reply.id, alice)
    assert tag_state(herbarium)["tags"] == {"lichen": (1, 1, 1, 1)}
