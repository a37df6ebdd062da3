"""What a page costs besides its content: a visitor's page writes no session, and the request
machinery runs no hook that has nothing to do."""

from tests.conftest import login
from tests.talk.web.test_pages_queries import build


def test_a_visitors_pages_send_no_session_cookie(client, make):
    """A session cookie on a visitor's page (made by a CSRF token for a form the page does not
    show) was written, signed and sent on every anonymous request."""
    pages, project = build(make, "open", 3)
    item = make.items(project, 1, prefix="tagged")[0]
    thread = make.discussion(project, make.user("tagger"), item=item, body="Look #seaweed")
    pages |= {
        "tagged item": f"/projects/open/items/{item.external_id}",
        "tagged thread": f"/discussions/{thread.id}",
        "tag": "/projects/open/tags/seaweed",
        "search": "/search?q=Reply",
    }
    for page, path in pages.items():
        response = client.get(path)
        assert response.status_code == 200, page
        assert "Set-Cookie" not in response.headers, page
        assert 'name="csrf-token"' not in response.get_data(as_text=True), page


def test_pages_with_a_form_still_carry_its_token(client, make):
    """The token is left out only where the form is: a logged-in reader's thread page has the
    reply form and the page's token, and a reply with it is posted."""
    project = make.project("forms")
    thread = make.discussion(project, make.user("opener"), title="A thread")
    login(client, make.user("reader").username)
    html = client.get(f"/discussions/{thread.id}").get_data(as_text=True)
    assert 'name="csrf-token"' in html
    assert 'id="csrf_token" name="csrf_token"' in html
    anonymous_login = client.application.test_client().get("/login")
    assert 'name="csrf_token"' in anonymous_login.get_data(as_text=True)


def test_the_rate_limiter_adds_no_request_hooks(app):
    """Talk counts through the limiter's storage; Flask-Limiter's hooks had nothing to check."""
    hooks = [*app.before_request_funcs.get(None, []), *app.after_request_funcs.get(None, [])]
    assert not [hook for hook in hooks if "limiter" in repr(hook).lower()]
