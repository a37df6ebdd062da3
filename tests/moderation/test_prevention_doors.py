"""The staff pages and API resources of prevention: who may use them, bad input answered with a
4xx naming the problem, and the held posts queue worked without JavaScript."""

from __future__ import annotations

from itertools import chain

import pytest

from tests.conftest import Factory, csrf_token, login
from tests.moderation.prevention_helpers import post, shown_count, watch
from tests.talk.web.pages import squash, submit, text

API = "/api/v1"


@pytest.fixture
def staffed(app, make: Factory):
    project = make.project("asylum")
    moderator = make.member(project, "moderator", username="mod")
    volunteer = make.user("vol")
    thread = make.discussion(project, moderator)
    return project, moderator, volunteer, thread


def test_a_moderator_works_the_held_queue_on_pages(app, client, make: Factory, staffed) -> None:
    project, _moderator, volunteer, thread = staffed
    login(client, "mod")
    settings = f"/projects/{project.slug}/moderation/prevention"
    form = {"pattern": "scoundrel", "kind": "word", "action": "hold", "category": "insults"}
    response = client.post(
        f"/projects/{project.slug}/moderation/watched-words",
        data={**form, "csrf_token": csrf_token(client, settings)},
    )
    assert response.status_code == 302
    assert "scoundrel" in text(client.get(settings))
    comment = post(make, thread, volunteer, "You scoundrel")
    queue = f"/projects/{project.slug}/moderation/held"
    html = squash(text(client.get(queue)))
    assert "You scoundrel" in html and "insults" in html
    # the discussion page offers the moderator approve and reject on the held comment
    assert f"/comments/{comment.id}/approve" in text(client.get(f"/discussions/{thread.id}"))
    response = submit(client, queue, f"/comments/{comment.id}/approve")
    assert response.status_code == 302
    assert shown_count(make, thread) == 2
    assert "Nothing is waiting." in text(client.get(queue))


def test_volunteers_and_other_projects_moderators_are_refused(app, client, make, staffed) -> None:
    project, _moderator, volunteer, thread = staffed
    other = make.project()
    make.member(other, "moderator", username="othermod")
    watch(make, project, "scoundrel", action="hold")
    comment = post(make, thread, volunteer, "scoundrel")
    for username in ("vol", "othermod"):
        client.post("/logout", data={})
        login(client, username)
        assert client.get(f"/projects/{project.slug}/moderation/held").status_code == 403
        assert client.get(f"/projects/{project.slug}/moderation/prevention").status_code == 403
        response = submit(client, f"/discussions/{thread.id}", f"/comments/{comment.id}/approve")
        assert response.status_code in {403, 404}
    assert shown_count(make, thread) == 1


def test_a_bad_regex_is_a_422_naming_it(app, client, make: Factory, token, staffed) -> None:
    project, moderator, _volunteer, _thread = staffed
    headers = token(moderator)
    url = f"{API}/projects/{project.slug}/moderation/watched-words"
    response = client.post(
        url, json={"pattern": "([a-z]", "kind": "regex", "category": "spam"}, headers=headers
    )
    assert response.status_code == 422
    assert "([a-z]" in response.get_json()["error"]["message"]
    assert client.get(url, headers=headers).get_json()["data"] == []


def test_the_api_manages_words_terms_limits_and_the_queue(app, client, make, token, staffed):
    project, moderator, volunteer, thread = staffed
    headers = token(moderator)
    base = f"{API}/projects/{project.slug}/moderation"
    word = client.post(
        f"{base}/watched-words",
        json={"pattern": "scoundrel", "action": "hold", "category": "insults"},
        headers=headers,
    )
    assert word.status_code == 201
    assert (
        client.post(
            f"{base}/historical-terms", json={"term": "Imbecility"}, headers=headers
        ).status_code
        == 201
    )
    limits = client.put(f"{base}/limits", json={"max_links": 2}, headers=headers)
    assert limits.get_json()["max_links"] == 2
    comment = post(make, thread, volunteer, "scoundrel")
    listed = client.get(f"{base}/held", headers=headers).get_json()["data"]
    assert [row["id"] for row in listed] == [comment.id] and listed[0]["held"] is True
    assert listed[0]["body"] == "scoundrel"  # the moderator reads what waits
    mine = client.get(f"{API}/comments/{comment.id}", headers=token(volunteer)).get_json()
    assert (mine["held"], mine["body"]) == (True, "scoundrel")
    assert client.get(f"{API}/comments/{comment.id}").status_code == 404  # nobody else
    rejected = client.post(
        f"{API}/comments/{comment.id}/reject", json={"reason": "Insult"}, headers=headers
    )
    assert rejected.status_code == 200 and rejected.get_json()["held"] is False
    assert client.get(f"{base}/held", headers=headers).get_json()["data"] == []
    removed = client.delete(f"{base}/watched-words/{word.get_json()['id']}", headers=headers)
    assert removed.status_code == 204
    assert not post(make, thread, volunteer, "scoundrel").held
    # a volunteer may not read or change any of it
    for method, path in (("get", "/watched-words"), ("put", "/limits"), ("get", "/held")):
        response = getattr(client, method)(f"{base}{path}", json={}, headers=token(volunteer))
        assert response.status_code == 403


def test_bad_input_on_the_pages_is_a_4xx_naming_it(app, client, make: Factory, staffed) -> None:
    project, _moderator, _volunteer, _thread = staffed
    login(client, "mod")
    settings = f"/projects/{project.slug}/moderation/prevention"
    token = csrf_token(client, settings)
    base = f"/projects/{project.slug}/moderation"
    for action, form, named in (
        ("/watched-words", {"pattern": "(bad", "kind": "regex", "category": "x"}, "(bad"),
        ("/watched-words", {"pattern": "x", "kind": "nope", "category": "x"}, "nope"),
        ("/limits", {"held_comments": "lots"}, "held_comments"),
        ("/trust", {"username": "nobody-here"}, "nobody-here"),
    ):
        response = client.post(base + action, data={**form, "csrf_token": token})
        assert 400 <= response.status_code < 500, action
        assert named in text(response), action
    assert "No watched words" in text(client.get(settings))
    assert (
        client.post(base + "/watched-words/999999/remove", data={"csrf_token": token}).status_code
        == 404
    )


def _walk(client, url: str, headers) -> list[list[int]]:
    """The pages of an API list, 2 rows at a time, following ``next_cursor`` to the end."""
    pages, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        answer = client.get(url, query_string=query, headers=headers)
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        assert set(body) == {"data", "next_cursor"}
        pages.append([row["id"] for row in body["data"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def test_the_api_lists_are_cursor_pages_and_a_bad_cursor_is_refused(
    app, client, make: Factory, token, staffed
) -> None:
    """Watched words, historical terms and held posts page like every API list, in their
    order, each row once; a cursor the list did not make is a 422 naming ``cursor``."""
    from tests.moderation.prevention_helpers import historical

    project, moderator, volunteer, thread = staffed
    project.owner = moderator  # the helpers act as the project's owner: a moderator here
    for n in range(5):
        watch(make, project, f"scoundrel{n}", action="hold")
    for term in ("Lunatic", "imbecility", "Idiocy", "Mania", "Dementia"):
        historical(make, project, term)
    held = [post(make, thread, volunteer, f"you scoundrel{n}").id for n in range(5)]
    headers = token(moderator)
    base = f"{API}/projects/{project.slug}/moderation"

    words = _walk(client, f"{base}/watched-words", headers)
    assert [len(p) for p in words] == [2, 2, 1] and sorted(chain(*words)) == list(chain(*words))
    terms = _walk(client, f"{base}/historical-terms", headers)
    assert [len(p) for p in terms] == [2, 2, 1]
    listed = client.get(f"{base}/historical-terms", headers=headers).get_json()
    assert [t["term"] for t in listed["data"]] == [
        "Dementia",
        "Idiocy",
        "imbecility",
        "Lunatic",
        "Mania",
    ]
    assert [row["id"] for row in listed["data"]] == list(chain(*terms))
    assert _walk(client, f"{base}/held", headers) == [held[:2], held[2:4], held[4:]]

    for path in ("/watched-words", "/historical-terms", "/held"):
        bad = client.get(f"{base}{path}?cursor=forged", headers=headers)
        assert bad.status_code == 422, path
        assert bad.get_json()["error"]["fields"] == {"cursor": ["Not a cursor from this list."]}
        too_many = client.get(f"{base}{path}?limit=100000", headers=headers)
        assert too_many.status_code == 422 and "limit" in too_many.get_json()["error"]["fields"]
