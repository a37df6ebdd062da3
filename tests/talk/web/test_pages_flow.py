"""The whole path through the pages, as two people with two browsers."""

from sqlalchemy import select

from talk.extensions import db
from talk.models import Comment, Discussion
from tests.conftest import login, register
from tests.talk.web.pages import form_values, outline, submit, text


def test_register_login_start_an_item_discussion_and_get_a_reply(app, make, mailbox):
    project = make.project("herbarium")
    item = make.item(project)
    item_page = f"/projects/herbarium/items/{item.external_id}"
    ada, bob = app.test_client(), app.test_client()

    # Ada registers, logs out and back in, then starts a discussion on the item's page.
    registered = register(ada, mailbox, display_name="Ada L.")
    assert registered.status_code == 302
    submit(ada, "/", "/logout")
    assert "Log in to join the discussion" in text(ada.get(item_page))
    login(ada, "ada")
    page = ada.get(item_page)
    (start_form,) = outline(page).find(
        "form", action=f"/projects/herbarium/new-discussion/{item.external_id}"
    )
    started = submit(
        ada,
        item_page,
        start_form["action"],
        title="Which species is this?",
        body="The leaves look *odd*.",
    )
    assert started.status_code == 302
    discussion_url = started.headers["Location"]
    thread = ada.get(discussion_url)
    assert "Which species is this?" in text(thread)
    assert "<em>odd</em>" in text(thread)
    item_links = [a for a in outline(thread).find("a") if a.get("href") == item_page]
    assert item_links, "the discussion shows the item it is about"

    # Bob registers and answers Ada's comment through the Reply link.
    register(bob, mailbox, username="bob", display_name="", email="bob@example.org")
    with app.app_context():
        first = db.session.scalar(select(Comment).where(Comment.body == "The leaves look *odd*."))
        first_id = first.id
    reply_page = bob.get(f"{discussion_url}?reply_to={first_id}")
    values = form_values(reply_page)
    assert values["reply_to"] == str(first_id)
    quoted = f"> **Ada L.** [wrote](/comments/{first_id}):\n> The leaves look odd.\n\n"
    assert values["body"] == quoted
    replied = submit(
        bob,
        reply_page.request.full_path,
        discussion_url,
        body=values["body"] + "It is a fern.",
        reply_to=values["reply_to"],
    )
    assert replied.status_code == 302
    assert replied.headers["Location"].endswith(f"#comment-{first_id + 1}")
    thread = text(ada.get(discussion_url))
    assert "It is a fern." in thread
    assert "in reply to" in thread
    assert f'href="#comment-{first_id}"' in thread

    with app.app_context():
        discussion = db.session.scalar(select(Discussion))
        assert (discussion.item_id, discussion.comment_count) == (item.id, 2)
        reply = db.session.scalar(select(Comment).where(Comment.id == first_id + 1))
        assert (reply.author.username, reply.reply_to_id) == ("bob", first_id)
    item_thread_titles = text(bob.get(item_page))
    assert "Which species is this?" in item_thread_titles
