"""The discussion page and the comment actions, as the people who use them."""

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from talk.extensions import db
from talk.models import Comment, CommentRevision
from tests.conftest import login
from tests.talk.web.pages import form_values, outline, squash, submit, text


@pytest.fixture
def thread(make):
    """A project with a volunteer's discussion about an item, and an expert's answer."""
    project = make.project("herbarium")
    volunteer = make.user("vol", display_name="Val Volunteer")
    expert = make.user("exp", display_name="Erin Expert")
    make.grant(project, expert, "expert", "Herbarium curator")
    item = make.item(project)
    discussion = make.discussion(project, volunteer, item=item, title="Odd leaves", body="Look!")
    answer = make.comment(discussion, expert, "A fern.", reply_to=discussion.first_comment_id)
    return project, volunteer, expert, item, discussion, answer


def comment_body(app, comment_id):
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        return comment.body, comment.deleted_at


def comment_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Comment.id)))


def article(response, comment_id):
    match = re.search(rf'<article[^>]*id="comment-{comment_id}".*?</article>', text(response), re.S)
    assert match, f"comment {comment_id} is not on the page"
    return squash(match.group(0))


def test_anonymous_reads_the_thread_and_is_invited_to_log_in(client, thread):
    _, _, _, item, discussion, answer = thread
    page = client.get(f"/discussions/{discussion.id}")
    assert page.status_code == 200
    assert "Odd leaves" in text(page)
    assert "A fern." in text(page)
    tree = outline(page)
    assert tree.find("img", alt=item.title)
    assert tree.find("a", href=f"/login?next=/discussions/{discussion.id}")
    assert not tree.find("textarea")
    assert "Edit" not in article(page, answer.id)
    assert "Delete" not in article(page, answer.id)


def test_comment_shows_author_role_time_and_reply(client, make, thread):
    project, _, _, _, discussion, answer = thread
    moderator = make.member(project, "moderator", display_name="Mo Derator")
    make.comment(discussion, moderator, "Agreed.")
    page = client.get(f"/discussions/{discussion.id}")
    answered = article(page, answer.id)
    assert (
        '<a class="author" href="/users/exp">Erin Expert <span class="username">(@exp)</span></a>'
        in answered
    )
    assert '<span class="role-label">Herbarium curator</span>' in answered
    assert '<time datetime="2026-03-14T12:00:00+00:00">' in answered
    assert f'in reply to <a href="#comment-{discussion.first_comment_id}">Val Volunteer</a>' in (
        answered
    )
    assert "role-label" not in article(page, discussion.first_comment_id)
    moderated = article(page, answer.id + 1)
    assert '<span class="role-label">Moderator</span>' in moderated


def test_volunteer_reply_link_prefills_a_quote(client, thread):
    _, _, _, _, discussion, answer = thread
    login(client, "vol")
    page = client.get(f"/discussions/{discussion.id}")
    reply_links = [a["href"] for a in outline(page).find("a") if "reply_to=" in a.get("href", "")]
    assert f"/discussions/{discussion.id}?reply_to={answer.id}#body" in reply_links
    values = form_values(client.get(f"/discussions/{discussion.id}?reply_to={answer.id}"))
    assert values["reply_to"] == str(answer.id)
    quoted = f"> **Erin Expert** [wrote](/comments/{answer.id}):\n> A fern.\n\n"
    assert values["body"] == quoted


def test_reply_to_a_comment_of_another_discussion_is_refused(app, client, make, thread):
    project, volunteer, _, _, discussion, _ = thread
    other = make.discussion(project, volunteer, title="Elsewhere")
    login(client, "vol")
    elsewhere = other.first_comment_id
    assert client.get(f"/discussions/{discussion.id}?reply_to={elsewhere}").status_code == 404
    assert client.get(f"/discussions/{discussion.id}?reply_to=abc").status_code == 422
    before = comment_count(app)
    response = submit(
        client,
        f"/discussions/{discussion.id}",
        body="Crossed wires",
        reply_to=str(other.first_comment_id),
    )
    assert response.status_code == 422
    assert "Not a comment in this discussion." in text(response)
    assert comment_count(app) == before


def test_empty_reply_is_refused_next_to_the_field(app, client, thread):
    discussion = thread[4]
    login(client, "vol")
    before = comment_count(app)
    response = submit(client, f"/discussions/{discussion.id}", body="   ")
    assert response.status_code == 422
    (textarea,) = outline(response).find("textarea")
    assert textarea["aria-invalid"] == "true"
    assert "body-error" in textarea["aria-describedby"]
    assert comment_count(app) == before


def test_reply_without_or_with_wrong_csrf_token_changes_nothing(app, client, thread):
    discussion = thread[4]
    login(client, "vol")
    before = comment_count(app)
    assert client.post(f"/discussions/{discussion.id}", data={"body": "Hi"}).status_code == 400
    forged = client.post(f"/discussions/{discussion.id}", data={"body": "Hi", "csrf_token": "x"})
    assert forged.status_code == 400
    assert comment_count(app) == before


def test_anonymous_reply_is_sent_to_log_in(app, client, thread):
    discussion = thread[4]
    before = comment_count(app)
    response = submit(client, f"/discussions/{discussion.id}", body="Hello")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert comment_count(app) == before


def test_edit_keeps_history_and_marks_the_comment_edited(app, client, clock, thread):
    discussion = thread[4]
    first = discussion.first_comment_id
    login(client, "vol")
    edit_page = client.get(f"/comments/{first}/edit")
    assert form_values(edit_page)["body"] == "Look!"
    clock.advance(hours=1)
    response = submit(client, f"/comments/{first}/edit", body="Look at the *leaves*!")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/discussions/{discussion.id}#comment-{first}"
    page = client.get(f"/discussions/{discussion.id}")
    edited = article(page, first)
    assert f'<a class="edited" href="/comments/{first}/history">edited</a>' in edited
    assert "<em>leaves</em>" in edited
    history = client.get(f"/comments/{first}/history")
    assert history.status_code == 200
    assert '<pre class="revision-body">Look!</pre>' in text(history)
    with app.app_context():
        revisions = db.session.scalars(select(CommentRevision)).all()
        assert [r.body for r in revisions] == ["Look!"]


def test_history_shows_earlier_bodies_as_inert_text(client, thread):
    discussion = thread[4]
    first = discussion.first_comment_id
    login(client, "vol")
    submit(client, f"/comments/{first}/edit", body="<script>alert(1)</script>")
    submit(client, f"/comments/{first}/edit", body="Calm again")
    history = text(client.get(f"/comments/{first}/history"))
    assert "<script>" not in history
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in history


def test_cannot_edit_someone_elses_comment(app, client, thread):
    _, _, _, _, discussion, answer = thread
    login(client, "vol")
    assert "Edit" not in article(client.get(f"/discussions/{discussion.id}"), answer.id)
    assert client.get(f"/comments/{answer.id}/edit").status_code == 403
    response = submit(
        client, f"/discussions/{discussion.id}", f"/comments/{answer.id}/edit", body="Hacked"
    )
    assert response.status_code == 403
    assert comment_body(app, answer.id) == ("A fern.", None)


def test_cannot_delete_someone_elses_comment(app, client, thread):
    _, _, _, _, discussion, answer = thread
    login(client, "vol")
    page = client.get(f"/discussions/{discussion.id}")
    assert not outline(page).find("a", href=f"/comments/{answer.id}/delete")
    assert client.get(f"/comments/{answer.id}/delete").status_code == 403
    response = submit(client, f"/discussions/{discussion.id}", f"/comments/{answer.id}/delete")
    assert response.status_code == 403
    assert comment_body(app, answer.id) == ("A fern.", None)


def test_delete_without_csrf_token_changes_nothing(app, client, thread):
    discussion = thread[4]
    login(client, "vol")
    assert client.post(f"/comments/{discussion.first_comment_id}/delete").status_code == 400
    assert comment_body(app, discussion.first_comment_id)[1] is None


def test_author_deletes_own_comment_and_its_body_is_hidden(app, client, thread):
    discussion = thread[4]
    first = discussion.first_comment_id
    login(client, "vol")
    response = submit(client, f"/discussions/{discussion.id}", f"/comments/{first}/delete")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/discussions/{discussion.id}#comment-{first}"
    page = client.get(f"/discussions/{discussion.id}")
    deleted = article(page, first)
    assert "This comment was deleted." in deleted
    assert "Look!" not in deleted
    assert "Reply" not in deleted
    assert comment_body(app, first)[1] is not None
    assert client.get(f"/comments/{first}/history").status_code == 404


@pytest.mark.parametrize("role", ["moderator", "site admin"])
def test_moderators_and_site_admins_delete_others_comments(app, client, make, thread, role):
    project, _, _, _, discussion, answer = thread
    if role == "moderator":
        make.member(project, "moderator", username="mod")
        login(client, "mod")
    else:
        admin = make.admin()
        login(client, admin.username)
    page = client.get(f"/discussions/{discussion.id}")
    assert outline(page).find("a", href=f"/comments/{answer.id}/delete")
    assert not outline(page).find("a", href=f"/comments/{answer.id}/edit")  # theirs to edit
    confirm = client.get(f"/comments/{answer.id}/delete")  # asks, changes nothing
    assert outline(confirm).find("form", action=f"/comments/{answer.id}/delete", method="post")
    assert comment_body(app, answer.id) == ("A fern.", None)
    response = submit(client, f"/comments/{answer.id}/delete")
    assert response.status_code == 302
    shown = text(client.get(f"/discussions/{discussion.id}"))
    assert "A fern." not in shown
    assert "This comment was deleted." in shown


def test_comments_page_through_the_thread_and_permalinks_find_their_page(app, client, make, thread):
    app.config["TALK_PAGE_SIZE"] = 3
    _, volunteer, _, _, discussion, _ = thread
    later = [make.comment(discussion, volunteer, f"Note {n}") for n in range(4)]  # 6 in all
    first_page = client.get(f"/discussions/{discussion.id}")
    assert "Note 0" in text(first_page)
    assert "Note 1" not in text(first_page)
    (older,) = [a for a in outline(first_page).find("a") if a.get("rel") == "next"]
    second_page = text(client.get(older["href"]))
    assert "Note 1" in second_page
    assert "Note 3" in second_page
    assert "Note 0" not in second_page
    assert 'rel="next"' not in second_page

    permalink = client.get(f"/comments/{later[2].id}")
    assert permalink.status_code == 302
    assert permalink.headers["Location"] == older["href"] + f"#comment-{later[2].id}"
    assert client.get(f"/comments/{discussion.first_comment_id}").headers["Location"] == (
        f"/discussions/{discussion.id}#comment-{discussion.first_comment_id}"
    )


def test_reply_on_a_later_page_links_to_the_earlier_comment(client, make, app, thread):
    app.config["TALK_PAGE_SIZE"] = 2
    _, volunteer, _, _, discussion, _ = thread
    make.comment(discussion, volunteer, "Filler")
    late = make.comment(discussion, volunteer, "Late", reply_to=discussion.first_comment_id)
    location = client.get(f"/comments/{late.id}").headers["Location"]
    answered = article(client.get(location), late.id)
    assert f'in reply to <a href="/comments/{discussion.first_comment_id}">' in answered


@pytest.mark.parametrize(
    "path",
    [
        "/discussions/999",
        "/comments/999",
        "/comments/999/edit",
        "/comments/999/history",
    ],
)
def test_unknown_discussions_and_comments_are_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert outline(response).find("h1")


def test_bad_cursor_is_a_clear_422(client, thread):
    discussion = thread[4]
    response = client.get(f"/discussions/{discussion.id}?cursor=not-a-cursor")
    assert response.status_code == 422
    assert "cursor is not valid" in text(response)


URL_ATTRIBUTES = {"href", "src", "action", "formaction"}


class Executable(HTMLParser):
    """Everything in a page that a browser would run."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        own = {"/static/autocomplete.js", "/static/compose.js"}
        if tag == "script" and attrs in ([("src", src), ("defer", None)] for src in own):
            return  # Talk's own scripts (templates/base.html), not something a writer put there
        if tag in {"script", "iframe", "object", "embed", "style"}:
            self.found.append(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}")
            url = (value or "").strip().lower()
            if name in URL_ATTRIBUTES and url.startswith(("javascript:", "data:", "vbscript:")):
                self.found.append(f"{tag} {name}={value}")


XSS_BODY = """<script>alert('body')</script>
<img src=x onerror=alert(1)> <a href="javascript:alert(2)">raw</a>

[click](javascript:alert(3)) ![pic](javascript:alert(4)) <svg onload=alert(5)>
[data](data:text/html;base64,PHNjcmlwdD4=)"""


def test_script_in_comments_and_titles_is_not_executable(client, make):
    project = make.project("herbarium")
    author = make.user("mallory", display_name="<script>alert('name')</script>")
    discussion = make.discussion(
        project, author, title="<img src=x onerror=alert('title')>", body=XSS_BODY
    )
    make.comment(discussion, author, XSS_BODY, reply_to=discussion.first_comment_id)
    login(client, "mallory")
    pages = [
        f"/discussions/{discussion.id}",
        f"/discussions/{discussion.id}?reply_to={discussion.first_comment_id}",
        "/projects/herbarium",
        "/projects/herbarium/comments",
        "/users/mallory",
        f"/comments/{discussion.first_comment_id}/edit",
        f"/projects/herbarium/boards/{project.boards['Chat'].id}",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        checker = Executable()
        checker.feed(text(response))
        assert checker.found == [], (path, checker.found)
