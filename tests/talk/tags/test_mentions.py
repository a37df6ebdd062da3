"""Mentions: people who may read, groups within a rate limit, and item references as cards."""

import pytest
from sqlalchemy import func, select

from talk.extensions import db
from talk.models import Comment, Mention
from tests.conftest import login
from tests.talk.web.pages import Outline, outline, squash, submit, text


def test_a_user_mention_is_linked_and_recorded_only_if_that_person_may_read_it(
    make, herbarium, staff_board, mentions_of, body_html
):
    staff_board(herbarium)
    make.user("Vera")
    make.member(herbarium, "team", username="sam")
    author = make.member(herbarium, "team", username="author")

    open_thread = make.discussion(
        herbarium, author, board="Chat", body="Thanks @vera, @Sam and @ghost (and me, @author)"
    )
    assert mentions_of(open_thread.first_comment_id) == {("user", "Vera"), ("user", "sam")}
    html = body_html(open_thread.first_comment_id)
    assert '<a class="mention" href="/users/Vera">@vera</a>' in html
    assert '<a class="mention" href="/users/sam">@Sam</a>' in html
    assert '<a class="mention" href="/users/author">@author</a>' in html  # linked, not recorded
    assert "@ghost" in html and "/users/ghost" not in html

    private = make.discussion(herbarium, author, board="Team room", body="Ask @vera or @sam?")
    assert mentions_of(private.first_comment_id) == {("user", "sam")}
    html = body_html(private.first_comment_id)
    assert "/users/Vera" not in html and "/users/sam" in html


def test_edits_resync_mentions_keeping_the_time_of_those_that_stay(
    app, make, herbarium, mentions_of, edit, remove, clock
):
    make.user("vera")
    make.user("bob")
    alice = make.user("alice")
    thread = make.discussion(herbarium, alice, body="@vera have a look")
    first = thread.first_comment_id
    clock.advance(minutes=10)
    edit(first, alice, "@vera and @bob have a look")
    assert mentions_of(first) == {("user", "vera"), ("user", "bob")}
    with app.app_context():
        times = dict(
            db.session.execute(
                select(Mention.user_id, Mention.created_at).where(Mention.comment_id == first)
            ).all()
        )
    assert sorted(times.values()) == [clock.now.replace(minute=0), clock.now]

    edit(first, alice, "only @bob")
    assert mentions_of(first) == {("user", "bob")}
    remove(first, alice)
    assert mentions_of(first) == set()


def test_group_mentions_are_recorded_and_rate_limited_per_author_per_hour(
    app, client, make, herbarium, mentions_of, edit, clock, body_html
):
    alice = make.user("alice")
    thread = make.discussion(herbarium, alice, body="Hello @moderators and @Experts")
    assert mentions_of(thread.first_comment_id) == {("group", "moderators"), ("group", "experts")}
    assert "@moderators" in body_html(thread.first_comment_id)
    clock.advance(minutes=10)
    second = make.comment(thread, alice, "@team please")
    clock.advance(minutes=10)
    make.comment(thread, alice, "@admins please")

    login(client, "alice")
    page = f"/discussions/{thread.id}"
    refused = submit(client, page, body="And @moderators once more")
    assert refused.status_code == 422
    assert "the limit is 3" in text(refused)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 3

    # Other comments are fine, and so is re-saving one that has its group mention already.
    assert submit(client, page, body="A plain reply").status_code == 302
    edit(second.id, alice, "@team please, and @experts")
    assert mentions_of(second.id) == {("group", "team"), ("group", "experts")}

    # Adding a group mention to a comment that had none is a new one: refused.
    plain = make.comment(thread, alice, "No group here")
    edit_page = f"/comments/{plain.id}/edit"
    assert submit(client, edit_page, body="Now @experts").status_code == 422
    assert mentions_of(plain.id) == set()

    # Someone else is not limited by alice's mentions.
    make.comment(thread, make.user("bob"), "@moderators from bob")

    clock.advance(minutes=41)  # the first of the three is over an hour old
    assert submit(client, page, body="And @moderators once more").status_code == 302


def test_item_references_render_as_cards_and_list_the_discussion_on_the_item_page(
    client, make, herbarium, staff_board, mentions_of, body_html
):
    staff_board(herbarium)
    sheet, other = make.items(herbarium, 2)
    elsewhere = make.item(make.project("elsewhere"), prefix="far")
    volunteer = make.user("vera")
    staffer = make.member(herbarium, "team", username="sam")

    thread = make.discussion(
        herbarium,
        volunteer,
        item=other,
        title="Same collector",
        body=f"Compare ^{sheet.external_id} with ^{other.external_id}, "
        f"not ^{elsewhere.external_id} or ^nothing",
    )
    html = body_html(thread.first_comment_id)
    cards = outline_of(html).find("a", **{"class": "item-card"})
    assert [c["href"] for c in cards] == [
        f"/projects/herbarium/items/{sheet.external_id}",
        f"/projects/herbarium/items/{other.external_id}",
    ]
    assert "https://images.example.org/sheet.jpg" in html and "Sheet 0" in html
    assert f"^{elsewhere.external_id}" in html and "^nothing" in html
    # The thread's own item is shown, not recorded as "mentioned in" its own thread.
    assert mentions_of(thread.first_comment_id) == {("item", sheet.external_id)}

    make.discussion(
        herbarium, staffer, board="Team room", title="Staff note", body=f"^{sheet.external_id}"
    )
    item_page = f"/projects/herbarium/items/{sheet.external_id}"
    anonymous = squash(text(client.get(item_page)))
    mentioned = anonymous.split('id="mentioned-heading"')[1].split("</section>")[0]
    assert ">Same collector</a>" in mentioned and "Staff note" not in mentioned

    login(client, "sam")
    staff_view = squash(text(client.get(item_page)))
    mentioned = staff_view.split('id="mentioned-heading"')[1].split("</section>")[0]
    assert ">Same collector</a>" in mentioned and ">Staff note</a>" in mentioned

    other_page = text(client.get(f"/projects/herbarium/items/{other.external_id}"))
    assert 'id="mentioned-heading"' not in other_page


def outline_of(html):
    parser = Outline()
    parser.feed(html)
    return parser


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (" ".join(f"@person{n:02d}" for n in range(21)), "at most 20 people"),
        (" ".join(f"^item-{n}" for n in range(51)), "at most 50 items"),
    ],
)
def test_too_many_people_or_items_in_one_comment_is_refused(
    app, client, make, herbarium, body, message
):
    alice = make.user("alice")
    thread = make.discussion(herbarium, alice)
    login(client, "alice")

    response = submit(client, f"/discussions/{thread.id}", body=body)

    assert response.status_code == 422
    assert message in text(response)
    assert outline(response).find("textarea")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 1


def test_the_api_refuses_a_group_mention_over_the_limit_naming_the_body(
    client, make, herbarium, token, clock
):
    alice = make.user("alice")
    thread = make.discussion(herbarium, alice, body="@moderators one")
    headers = token(alice)
    url = f"/api/v1/discussions/{thread.id}/comments"
    for n in ("two", "three"):
        clock.advance(minutes=5)
        assert client.post(url, json={"body": f"@experts {n}"}, headers=headers).status_code == 201

    refused = client.post(url, json={"body": "@team four"}, headers=headers)

    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "invalid" and "body" in error["fields"]
    posted = client.post(url, json={"body": "Thanks @alice"}, headers=headers)
    assert posted.status_code == 201
    assert '<a class="mention" href="/users/alice">@alice</a>' in posted.get_json()["body_html"]
