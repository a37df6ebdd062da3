"""Writing a comment: reply with quote, the preview, confirmations and where to start."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from talk.extensions import db
from talk.models import Comment, Discussion, Mention
from talk.web.discussions import PREVIEWS
from tests.conftest import login
from tests.talk.tags.tag_counts import stored_state
from tests.talk.web.pages import form_values, outline, squash, submit, text

LONG = (
    "The stamp on the reverse reads Kew 1887 and the label is in the hand of the collector "
    "who also wrote #fern on the sheet, so @eleanor thinks it came with the Hooker gift. "
) * 5


@pytest.fixture
def thread(make):
    """A discussion where an expert answered at length, with a tag and a mention."""
    project = make.project("herbarium")
    volunteer = make.user("vol", display_name="Val Volunteer")
    expert = make.user("exp", display_name="Jane Smith")
    make.user("eleanor")
    make.grant(project, expert, "expert", "Herbarium curator")
    item = make.item(project)
    discussion = make.discussion(project, volunteer, item=item, title="Odd leaves", body="Look!")
    answer = make.comment(discussion, expert, LONG + "\n\nPS #orchid @team")
    return project, discussion, answer


def comments(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Comment.id)))


def test_reply_with_quote_quotes_the_start_linked_to_its_author_and_puts_the_caret_after(
    client, thread
):
    _, discussion, answer = thread
    login(client, "vol")
    page = client.get(f"/discussions/{discussion.id}?reply_to={answer.id}")
    body = form_values(page)["body"]
    first, second, *rest = body.split("\n")
    assert first == f"> **Jane Smith** [wrote](/comments/{answer.id}):"
    assert second.startswith("> The stamp on the reverse reads Kew 1887")
    assert second.endswith("…") and len(second) <= len("> ") + 301
    assert rest == ["", ""]  # a blank line: what is typed next is not part of the quotation
    assert "PS" not in body
    box = outline(page).find("textarea", name="body")[0]
    assert "autofocus" in box
    assert "Replying to Jane Smith." in squash(re.sub(r"<[^>]+>", "", text(page)))
    assert "Answering comment" not in text(page)
    plain = client.get(f"/discussions/{discussion.id}")
    assert "autofocus" not in outline(plain).find("textarea", name="body")[0]


def test_posting_a_quote_adds_no_tag_use_and_no_mention(app, client, thread):
    project, discussion, answer = thread
    with app.app_context():
        before = stored_state(project.id)
    login(client, "vol")
    page = f"/discussions/{discussion.id}?reply_to={answer.id}"
    quoted = form_values(client.get(page))["body"]
    assert "#fern" in quoted and "@eleanor" in quoted
    response = submit(client, page, f"/discussions/{discussion.id}", body=quoted + "Agreed.")
    assert response.status_code == 302
    with app.app_context():
        assert stored_state(project.id) == before
        reply = db.session.scalars(select(Comment).order_by(Comment.id.desc())).first()
        assert reply.body.endswith("Agreed.")
        assert db.session.scalars(select(Mention).where(Mention.comment_id == reply.id)).all() == []
        html = reply.body_html
    # the quotation still shows them as links, and links back to the quoted comment
    assert 'class="hashtag"' in html and 'class="mention"' in html
    assert f'href="/comments/{answer.id}"' in html


def test_a_mention_outside_the_quotation_still_counts(app, client, thread):
    project, discussion, answer = thread
    login(client, "vol")
    page = f"/discussions/{discussion.id}?reply_to={answer.id}"
    quoted = form_values(client.get(page))["body"]
    submit(client, page, f"/discussions/{discussion.id}", body=quoted + "@eleanor see #fern")
    with app.app_context():
        reply = db.session.scalars(select(Comment).order_by(Comment.id.desc())).first()
        assert len(db.session.scalars(select(Mention).where(Mention.comment_id == reply.id)).all())
        assert stored_state(project.id)["tags"]["fern"][0] == 2


def test_preview_without_script_shows_the_rendered_comment_and_stores_nothing(app, client, thread):
    _, discussion, _ = thread
    login(client, "vol")
    before = comments(app)
    page = f"/discussions/{discussion.id}"
    body = "**Bold** #fern @eleanor <script>alert(1)</script>"
    response = submit(client, page, body=body, preview="1")
    assert response.status_code == 200
    html = text(response)
    preview = re.search(r'<section class="comment-preview".*?</section>', html, re.S).group(0)
    assert "<strong>Bold</strong>" in preview and 'class="hashtag"' in preview
    assert "<script>" not in preview and "&lt;script&gt;" in preview
    assert form_values(response)["body"] == body  # the text is kept to go on writing
    assert comments(app) == before
    assert 'class="comment-preview" aria-label="Preview" hidden' in text(client.get(page))


def test_preview_when_starting_or_editing_stores_nothing(app, client, thread):
    project, _, answer = thread
    login(client, "vol")
    new = f"/projects/herbarium/boards/{project.boards['Chat'].id}/new"
    response = submit(client, new, title="Hello", body="_hi_", preview="1")
    assert response.status_code == 200 and "<em>hi</em>" in text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(Discussion.id))) == 1
    login(client, "exp")
    edit = f"/comments/{answer.id}/edit"
    response = submit(client, edit, body="_changed_", preview="1")
    assert response.status_code == 200 and "<em>changed</em>" in text(response)
    with app.app_context():
        assert db.session.get(Comment, answer.id).body.startswith("The stamp")


def test_the_preview_endpoint_answers_the_sanitised_html(app, client, thread):
    project, _, _ = thread
    url = f"/projects/herbarium/preview?board={project.boards['Chat'].id}"
    anonymous = app.test_client()
    assert anonymous.post(url, data={"body": "x"}).status_code in (400, 401, 302)  # no CSRF
    login(client, "vol")
    assert client.post(url, data={"body": "x"}).status_code == 400  # no CSRF token
    response = submit(client, "/", url, body="[x](javascript:alert(1)) **b** ^nope")
    assert response.status_code == 200
    assert text(response) == "<p>[x](javascript:alert(1)) <strong>b</strong> ^nope</p>"
    items = submit(client, "/", "/projects/herbarium/preview", body="#fern")
    assert 'class="hashtag"' in text(items)  # without ?board=: the items board
    assert submit(client, "/", url, body="").status_code == 422
    assert submit(client, "/", url, body="x" * 20001).status_code == 422
    assert (
        submit(client, "/", "/projects/herbarium/preview?board=99999", body="x").status_code == 404
    )


def test_the_preview_endpoint_refuses_visitors_and_private_boards(app, client, make, make_board):
    project = make.project("herbarium")
    make.user("vol")
    team = make_board(project, "Team room", read_level="team", write_level="team")
    url = f"/projects/herbarium/preview?board={team.id}"
    login(client, "vol")
    assert submit(client, "/", url, body="x").status_code == 404
    client.post("/logout", data={"csrf_token": form_values(client.get("/"))["csrf_token"]})
    chat = f"/projects/herbarium/preview?board={project.boards['Chat'].id}"
    response = submit(client, "/", chat, body="x")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_previews_are_rate_limited_per_writer(app, client, thread):
    project, _, _ = thread
    login(client, "vol")
    url = f"/projects/herbarium/preview?board={project.boards['Chat'].id}"
    token = form_values(client.get("/"))["csrf_token"]
    statuses = [
        client.post(url, data={"body": "x", "csrf_token": token}).status_code
        for _ in range(PREVIEWS.amount + 1)
    ]
    assert statuses[:-1] == [200] * PREVIEWS.amount
    assert statuses[-1] == 429
    # without script: the refusal is shown above the form, and the text is kept
    _, discussion, _ = thread
    response = submit(client, f"/discussions/{discussion.id}", body="Keep me", preview="1")
    assert response.status_code == 429
    assert "Too many previews in a minute" in text(response)
    assert form_values(response)["body"] == "Keep me"


def test_posting_confirms_on_the_next_page_for_screen_readers_too(client, thread):
    project, discussion, _ = thread
    login(client, "vol")
    new = f"/projects/herbarium/boards/{project.boards['Chat'].id}/new"
    response = submit(client, new, title="Hello", body="Hi all")
    page = client.get(response.headers["Location"])
    flashes = re.search(r'<div class="flashes" role="status">.*?</div>', text(page), re.S)
    assert flashes and "Your discussion was started." in flashes.group(0)
    response = submit(client, f"/discussions/{discussion.id}", body="Thanks")
    page = client.get(response.headers["Location"])
    assert "Your reply was posted." in text(page)


def test_the_project_home_offers_to_start_a_discussion(app, client, thread):
    project, _, _ = thread
    anonymous = outline(app.test_client().get("/projects/herbarium"))
    assert anonymous.find("a", href="/login?next=/projects/herbarium")
    login(client, "vol")
    home = outline(client.get("/projects/herbarium"))
    help_board = project.boards["Help"].id
    start = home.find("a", href=f"/projects/herbarium/boards/{help_board}/new")
    assert start and start[0]["class"] == "button"


def test_an_item_page_links_to_its_discussion_form_near_the_top(client, make, thread):
    project, _, _ = thread
    item = make.item(project)
    login(client, "vol")
    html = text(client.get(f"/projects/herbarium/items/{item.external_id}"))
    jump = html.index('href="#start-heading"')
    assert "Start a discussion about this item" in html[jump : jump + 80]
    assert jump < html.index("About this item") < html.index('id="start-heading"')
