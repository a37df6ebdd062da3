"""Content warnings on the pages: shown before the content with the image blurred, "Show the
record" without JavaScript, remembered per person (and per visitor's session), and the staff's
page to write and attach them (issue 10)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from moderation.heritage_models import ContentWarning, ContentWarningAttachment
from talk.extensions import db
from tests.conftest import csrf_token, login
from tests.moderation.conftest import add_warning
from tests.talk.web.pages import Outline, submit, text


def _item_page(heritage):
    return f"/projects/asylum/items/{heritage.item.external_id}"


def _show_record(client, page):
    """Press "Show the record" as a browser without scripts does: post the form's fields."""
    html = text(client.get(page))
    start = html.index('class="content-warning-ack"')
    form = html[html.rindex("<form", 0, start) : html.index("</form>", start)]
    parser = Outline()
    parser.feed(form)
    fields = MultiDict([(a["name"], a["value"]) for a in parser.find("input")])
    return client.post("/projects/asylum/content-warnings/acknowledge", data=fields)


def test_the_warning_comes_before_the_item_with_the_image_blurred(client, app, heritage):
    add_warning(app, heritage, on=[("item", heritage.item.external_id)])
    html = text(client.get(_item_page(heritage)))
    assert "content-warning-pending" in html
    assert html.index("Content warning: Historic language") < html.index('class="item-layout"')
    assert "Show the record" in html
    assert "content-warning.js" in html
    # The discussion of the marked item carries it too, with its thumbnail blurred.
    thread = text(client.get(f"/discussions/{heritage.thread.id}"))
    assert "Content warning: Historic language" in thread
    assert thread.index("content-warning-pending") < thread.index('class="item-card"')
    # An unmarked board discussion does not.
    assert "Content warning" not in text(client.get(f"/discussions/{heritage.chat.id}"))


def test_a_board_warning_shows_on_the_board_and_its_discussions(client, app, heritage):
    board = heritage.project.boards["Chat"]
    add_warning(app, heritage, on=[("board", board.id)])
    assert "Content warning: Historic language" in text(
        client.get(f"/projects/asylum/boards/{board.id}")
    )
    assert "Content warning: Historic language" in text(
        client.get(f"/discussions/{heritage.chat.id}")
    )


def test_show_the_record_without_javascript_is_remembered_for_the_person(client, app, heritage):
    add_warning(app, heritage, on=[("item", heritage.item.external_id)])
    login(client, "a_volunteer")
    page = _item_page(heritage)
    answer = _show_record(client, page)
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(page)
    html = text(client.get(page))
    assert "content-warning-pending" not in html
    assert "<summary>Content warning: Historic language</summary>" in html  # still readable
    # Remembered for the account, not the browser: a new session sees it read.
    other_browser = app.test_client()
    login(other_browser, "a_volunteer")
    assert "content-warning-pending" not in text(other_browser.get(page))
    # And not for anybody else.
    someone = app.test_client()
    login(someone, "a_team")
    assert "content-warning-pending" in text(someone.get(page))


def test_a_visitor_is_remembered_for_the_session_only(client, app, heritage):
    add_warning(app, heritage, on=[("item", heritage.item.external_id)])
    page = _item_page(heritage)
    assert _show_record(client, page).status_code == 302
    assert "content-warning-pending" not in text(client.get(page))
    assert "content-warning-pending" in text(app.test_client().get(page))


def test_the_script_gets_204_and_a_changed_text_is_shown_again(client, app, heritage):
    warning_id = add_warning(app, heritage, on=[("item", heritage.item.external_id)])
    login(client, "a_volunteer")
    page = _item_page(heritage)
    answer = client.post(
        "/projects/asylum/content-warnings/acknowledge",
        data={"warning": str(warning_id), "csrf_token": csrf_token(client, page)},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 204
    assert "content-warning-pending" not in text(client.get(page))
    staff = app.test_client()
    login(staff, "a_expert")
    manage = "/projects/asylum/content-warnings"
    edited = submit(
        staff, manage, f"{manage}/{warning_id}/edit", title="Historic language", text="Reworded."
    )
    assert edited.status_code == 302
    assert "content-warning-pending" in text(client.get(page))


XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def test_warning_text_is_never_markup(client, app, heritage):
    """Adversarial: staff paste markup into a warning; every page shows it as text."""
    add_warning(
        app,
        heritage,
        title=f"T {XSS}",
        text=f"{XSS}\nline",
        on=[("item", heritage.item.external_id)],
    )
    login(client, "a_moderator")
    for page in (
        _item_page(heritage),
        f"/discussions/{heritage.thread.id}",
        "/projects/asylum/content-warnings",
    ):
        html = text(client.get(page))
        assert "<script>alert" not in html and "<img src=x" not in html, page
        assert (
            "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&#34;alert(2)&#34;&gt;"
            in html
        ), page


@pytest.mark.parametrize("who", ["a_volunteer", "b_moderator"])
def test_a_volunteer_or_another_projects_moderator_cannot_manage(client, app, heritage, who):
    warning_id = add_warning(app, heritage)
    login(client, who)
    manage = "/projects/asylum/content-warnings"
    assert client.get(manage).status_code == 403
    token = csrf_token(client, "/")
    created = client.post(manage, data={"title": "Mine", "text": "x", "csrf_token": token})
    attached = client.post(
        f"{manage}/{warning_id}/attach",
        data={"type": "item", "ref": heritage.item.external_id, "csrf_token": token},
    )
    deleted = client.post(f"{manage}/{warning_id}/delete", data={"csrf_token": token})
    assert (created.status_code, attached.status_code, deleted.status_code) == (403, 403, 403)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ContentWarning)) == 1
        assert db.session.scalar(select(func.count()).select_from(ContentWarningAttachment)) == 0
    # No staff link on the item page either.
    assert "Content warnings<span" not in text(client.get(_item_page(heritage)))


def test_staff_write_and_attach_from_the_pages(client, app, heritage):
    login(client, "a_team")
    item_page = text(client.get(_item_page(heritage)))
    assert "Content warnings<span" in item_page  # the staff link, naming this item
    manage = "/projects/asylum/content-warnings"
    made = submit(client, manage, title="Colonial terms", text="Words of the 1880s.")
    assert made.status_code == 302
    with app.app_context():
        warning_id = db.session.scalar(select(ContentWarning.id))
    attach = f"{manage}/{warning_id}/attach"
    attached = submit(client, manage, attach, type="item", ref=heritage.item.external_id)
    assert attached.status_code == 302
    assert "Content warning: Colonial terms" in text(client.get(_item_page(heritage)))
    listed = text(client.get(manage))
    assert "Sheet 0" in listed and "Detach" in listed
    gone = submit(
        client, manage, f"{manage}/{warning_id}/detach", type="item", ref=heritage.item.external_id
    )
    assert gone.status_code == 302
    assert "Content warning:" not in text(client.get(_item_page(heritage)))


@pytest.mark.parametrize(
    ("kind", "ref"),
    [
        ("item", "min-x"),
        ("discussion", "other"),
        ("board", "other"),
        ("comment", "1"),
        ("board", "x"),
    ],
)
def test_bad_or_foreign_targets_on_the_page_are_4xx_and_change_nothing(
    client, app, heritage, kind, ref
):
    warning_id = add_warning(app, heritage)
    if ref == "other":
        ref = str(
            heritage.other_thread.id if kind == "discussion" else heritage.other.boards["Chat"].id
        )
    elif ref == "min-x":
        ref = heritage.other_item.external_id
    login(client, "a_moderator")
    manage = "/projects/asylum/content-warnings"
    answer = submit(client, manage, f"{manage}/{warning_id}/attach", type=kind, ref=ref)
    assert answer.status_code in (404, 422)
    assert "There is a problem" in text(answer)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ContentWarningAttachment)) == 0


@pytest.mark.parametrize("warning", ["abc", "", "99999999999", "-1"])
def test_a_bad_acknowledgement_is_a_clear_4xx(client, app, heritage, warning):
    add_warning(app, heritage)
    token = csrf_token(client, "/")
    data = {"csrf_token": token, "warning": warning} if warning else {"csrf_token": token}
    answer = client.post("/projects/asylum/content-warnings/acknowledge", data=data)
    assert answer.status_code == 422
    assert "Name the warnings read" in text(answer)


def test_another_projects_warning_cannot_be_acknowledged_through_this_one(client, app, heritage):
    warning_id = add_warning(app, heritage)
    token = csrf_token(client, "/")
    answer = client.post(
        "/projects/parish/content-warnings/acknowledge",
        data={"csrf_token": token, "warning": str(warning_id)},
    )
    assert answer.status_code == 404


def test_a_blank_title_shows_the_form_again_with_the_problem(client, app, heritage):
    login(client, "a_admin")
    manage = "/projects/asylum/content-warnings"
    answer = submit(client, manage, title="  ", text="Some text")
    assert answer.status_code == 422
    assert "title is required" in text(answer)
    assert "Some text" in text(answer)  # kept in the form


def test_a_visitor_session_keeps_the_latest_acknowledgements_only(app, heritage, monkeypatch):
    """The session cookie stays small: past the limit, the least recent acknowledgement goes."""
    from moderation import content_warnings
    from talk import policy
    from talk.models import Item

    on = [("item", heritage.item.external_id)]
    first, second, third = (add_warning(app, heritage, title=t, on=on) for t in "ABC")
    monkeypatch.setattr(content_warnings, "SESSION_LIMIT", 2)
    with app.test_request_context():
        for warning_id in (first, second, first, third):
            warning = db.session.get(ContentWarning, warning_id)
            content_warnings.acknowledge(policy.ANONYMOUS, warning)
        item = db.session.get(Item, heritage.item.id)
        shown = content_warnings.shown_for(policy.ANONYMOUS, item)
        read = {s.warning.title: s.acknowledged for s in shown}
    assert read == {"A": True, "B": False, "C": True}
