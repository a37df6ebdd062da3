"""Images in comments show inline only from the hosts their project trusts; from anywhere else
they are links, so no reader's address goes to a host the project did not choose."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from talk.cli import cli
from talk.extensions import db
from talk.image_hosts import image_host, image_shown
from talk.markdown import render
from talk.models import Comment, Project

TRUSTED = ("images.example.org", ".iiif.example", "xn--bcher-kva.example")


@pytest.mark.parametrize(
    "url",
    [
        "https://images.example.org/a.png",
        "https://IMAGES.Example.ORG/a.png",  # host names have no case
        "https://images.example.org:8443/a.png",  # another port of the same host
        "https://images.example.org./a.png",  # the fully qualified form
        "https://iiif.example/a.png",
        "https://tiles.iiif.example/a.png",  # a subdomain of a .-entry
        "https://bücher.example/a.png",  # IDN, trusted in its ASCII form
        "https://xn--bcher-kva.example/a.png",
        "https://images%2Eexample.org/a.png",  # browsers decode the host too
    ],
)
def test_images_from_trusted_hosts_show(url):
    assert image_shown(url, TRUSTED)
    assert render(f"![sheet]({url})", image_hosts=TRUSTED).startswith("<p><img ")


@pytest.mark.parametrize(
    "url",
    [
        "http://images.example.org/a.png",  # not HTTPS
        "//images.example.org/a.png",  # no scheme
        "/static/a.png",
        "https://evil.example/a.png",
        "https://images.example.org.evil.example/a.png",
        "https://evilimages.example.org/a.png",
        "https://sub.images.example.org/a.png",  # an exact entry does not cover subdomains
        "https://iiif.example.evil/a.png",
        "https://eviliiif.example/a.png",
        "https://images.example.org@evil.example/a.png",  # userinfo: the host is evil.example
        "https://evil.example@images.example.org/a.png",  # userinfo at all: refused
        "https://user:pw@images.example.org/a.png",
        "https://evil.example\\@images.example.org/a.png",  # browsers read \ as /
        "https://images.example.org:99999/a.png",  # no such port
        "https://\u0456mages.example.org/a.png",  # a Cyrillic look-alike of i
        "https://images.example.org%2F@evil.example/a.png",
        "https://images.example.org /a.png",
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "",
    ],
)
def test_images_from_anywhere_else_are_not_shown(url):
    assert not image_shown(url, TRUSTED)
    html = render(f"![sheet]({url})", image_hosts=TRUSTED)
    assert "<img" not in html


def test_an_untrusted_image_is_a_link_to_it_and_inside_a_link_only_its_text():
    html = render("![a sheet](https://evil.example/p.gif)", image_hosts=TRUSTED)
    assert html == (
        '<p><a href="https://evil.example/p.gif" rel="nofollow ugc noopener">Image: a sheet</a></p>'
    )
    nested = render("[![x](https://evil.example/p.gif)](https://example.org)")
    assert nested == '<p><a href="https://example.org" rel="nofollow ugc noopener">Image: x</a></p>'
    assert render("![](https://evil.example/p.gif)").endswith(">Image</a></p>")


@pytest.mark.parametrize(
    ("entry", "stored"),
    [
        ("Images.Example.org", "images.example.org"),
        (" .IIIF.example ", ".iiif.example"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("images.example.org.", "images.example.org"),
    ],
)
def test_host_entries_are_stored_as_dns_compares_them(entry, stored):
    assert image_host(entry) == stored


@pytest.mark.parametrize(
    "entry",
    [
        "https://images.example.org",
        "images.example.org:443",
        "images.example.org/iiif",
        "user@images.example.org",
        "*.example.org",
        "..example.org",
        "a..b",
        "-a.example",
        "",
        " ",
        ".",
        "x" * 64 + ".example",
    ],
)
def test_what_is_not_a_host_name_is_refused(entry):
    assert image_host(entry) is None


# --- the project's list: API, CLI, and comments rendered again --------------------------------


def _body_html(app, comment_id):
    with app.app_context():
        return db.session.get(Comment, comment_id).body_html


def test_project_admins_set_the_hosts_and_comments_are_rendered_again(app, client, make, token):
    project = make.project("herbarium")
    author = make.user()
    body = "See ![sheet](https://images.example.org/a.png) and #nurse"
    thread = make.discussion(project, author, body=body)
    comment_id = thread.first_comment_id
    plain = make.comment(thread, author, "No picture here")
    assert "<img" not in _body_html(app, comment_id)  # nothing trusted yet
    untouched = _body_html(app, plain.id)

    url = "/api/v1/projects/herbarium"
    volunteer = token(make.user())
    refused = client.patch(url, json={"image_hosts": ["images.example.org"]}, headers=volunteer)
    assert refused.status_code == 403

    owner = token(project.owner)
    answer = client.patch(url, json={"image_hosts": ["Images.Example.org"]}, headers=owner)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["image_hosts"] == ["images.example.org"]
    shown = _body_html(app, comment_id)
    assert '<img src="https://images.example.org/a.png" alt="sheet">' in shown
    assert 'class="hashtag"' in shown  # rendered as a whole, links and all
    assert _body_html(app, plain.id) == untouched

    client.patch(url, json={"image_hosts": []}, headers=owner)
    assert "<img" not in _body_html(app, comment_id)


def test_new_comments_follow_the_projects_hosts(client, make, token):
    project = make.project("herbarium")
    client.patch(
        "/api/v1/projects/herbarium",
        json={"image_hosts": [".iiif.example"]},
        headers=token(project.owner),
    )
    author = make.user()
    thread = make.discussion(
        project,
        author,
        body="![a](https://tiles.iiif.example/a.jpg) ![b](https://tracker.example/p.gif)",
    )
    page = client.get(f"/discussions/{thread.id}").get_data(as_text=True)
    assert '<img src="https://tiles.iiif.example/a.jpg"' in page
    assert (
        '<a href="https://tracker.example/p.gif" rel="nofollow ugc noopener">Image: b</a>' in page
    )


@pytest.mark.parametrize(
    "hosts",
    [["images.example.org", "https://evil.example"], "images.example.org", [3], [None]],
)
def test_bad_host_lists_are_refused_naming_the_entry_and_change_nothing(
    app, client, make, token, hosts
):
    project = make.project("herbarium")
    answer = client.patch(
        "/api/v1/projects/herbarium", json={"image_hosts": hosts}, headers=token(project.owner)
    )
    assert answer.status_code == 422, answer.get_json()
    if isinstance(hosts, list) and len(hosts) == 2:
        assert list(answer.get_json()["error"]["fields"]) == ["image_hosts.1"]
    with app.app_context():
        assert db.session.get(Project, project.id).image_hosts == []


def test_projects_are_created_with_their_hosts(app, client, make, token, runner):
    admin = make.admin()
    created = client.post(
        "/api/v1/projects",
        json={"slug": "logs", "title": "Logs", "image_hosts": ["bücher.example"]},
        headers=token(admin),
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["image_hosts"] == ["xn--bcher-kva.example"]
    result = runner.invoke(
        cli,
        [
            "create-project",
            "sheets",
            "--title",
            "Sheets",
            "--owner",
            admin.username,
            "--image-host",
            "images.example.org",
            "--image-host",
            ".iiif.example",
        ],
    )
    assert result.exit_code == 0, result.output
    refused = runner.invoke(
        cli,
        [
            "create-project",
            "bad",
            "--title",
            "B",
            "--owner",
            admin.username,
            "--image-host",
            "a/b",
        ],
    )
    assert refused.exit_code != 0
    with app.app_context():
        sheets = db.session.query(Project).filter_by(slug="sheets").one()
        assert sheets.image_hosts == ["images.example.org", ".iiif.example"]
        assert db.session.query(Project).filter_by(slug="bad").first() is None


@pytest.mark.commits  # the migrations run on a connection of their own (db.engine)
def test_the_migration_turns_images_already_stored_into_links_as_rendering_now_would(app, make):
    from flask_migrate import downgrade, upgrade

    project = make.project("herbarium")
    author = make.user("ada")
    body = 'A ![sheet "B" & <c>](https://evil.example/p.png) and ![](http://x.org/a.png) here'
    comment = make.comment(make.discussion(project, author, title="Images"), author, body)
    old_html = (  # what the renderer stored before projects listed their image hosts
        '<p>A <img src="https://evil.example/p.png" alt="sheet &quot;B&quot; &amp; &lt;c&gt;">'
        ' and <img src="http://x.org/a.png"> here</p>'
    )
    with app.app_context():
        db.session.remove()
        downgrade(revision="0006_session_tokens")
        db.session.execute(
            text("UPDATE comments SET body_html = :html WHERE id = :id"),
            {"html": old_html, "id": comment.id},
        )
        db.session.commit()
        db.session.remove()
        upgrade()
        stored = db.session.get(Comment, comment.id).body_html
    assert "<img" not in stored
    assert stored == render(body)
