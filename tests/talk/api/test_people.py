"""Suggestions of people to @mention: members first, then those who took part; never to
anonymous callers, never an email address."""

from __future__ import annotations

from talk.extensions import db
from talk.models import Project, User
from talk.services import projects

PEOPLE = "/api/v1/projects/herbarium/people/autocomplete"


def _people(make, make_board):
    """Members jane (expert), janet (volunteer role), jaqueline (team); jackie commented; jasper
    never took part; jamal wrote only on the team board and then left the team."""
    project = make.project("herbarium")
    jane = make.user("jane", display_name="Jane Smith")
    make.grant(project, jane, "expert", "Herbarium curator")
    janet = make.user("janet", display_name="Janet Volunteer")
    make.grant(project, janet, "volunteer")
    make.member(project, "team", username="jaqueline")
    make.discussion(project, make.user("jackie", display_name="Jackie Jones"), body="Hello")
    make.user("jasper", display_name="Jasper Elsewhere")
    make_board(project, "Team room", read_level="team", write_level="team")
    jamal = make.member(project, "team", username="jamal")
    make.discussion(project, jamal, board="Team room", body="Team only")
    with make.context():
        projects.remove_member(
            db.session.get(User, project.owner.id),
            db.session.get(Project, project.id),
            db.session.get(User, jamal.id),
        )
    return project


def names(client, headers, q):
    response = client.get(PEOPLE, query_string={"q": q}, headers=headers)
    assert response.status_code == 200
    return [row["username"] for row in response.get_json()["data"]]


def test_members_come_first_then_those_who_took_part(client, make, make_board, token):
    _people(make, make_board)
    response = client.get(PEOPLE, query_string={"q": "@ja"}, headers=token(make.user("viewer")))
    assert response.status_code == 200
    rows = response.get_json()["data"]
    assert [row["username"] for row in rows] == ["jane", "janet", "jaqueline", "jackie"]
    assert rows[0] == {
        "username": "jane",
        "display_name": "Jane Smith",
        "url": "http://talk.test/users/jane",
        "label": "Herbarium curator",
    }
    assert rows[1]["label"] is None  # a volunteer member carries no label
    assert "email" not in str(rows) and "@" not in str([r["url"] for r in rows])


def test_names_match_by_username_or_any_word_of_the_display_name(client, make, make_board, token):
    _people(make, make_board)
    headers = token(make.user("viewer"))
    assert names(client, headers, "smi") == ["jane"]
    assert names(client, headers, "JACK") == ["jackie"]
    assert names(client, headers, "%") == []  # LIKE wildcards are letters typed


def test_only_participation_the_caller_may_read_counts(client, make, make_board, token):
    project = _people(make, make_board)
    assert names(client, token(make.user("viewer")), "jam") == []
    assert names(client, token(make.member(project, "team", username="teammate")), "jam") == [
        "jamal"
    ]


def test_anonymous_callers_get_401_and_bad_queries_422(client, make, make_board, token):
    _people(make, make_board)
    assert client.get(PEOPLE, query_string={"q": "ja"}).status_code == 401
    headers = token(make.user("viewer"))
    assert client.get(PEOPLE, headers=headers).status_code == 422
    assert client.get(PEOPLE, query_string={"q": "x" * 41}, headers=headers).status_code == 422
    assert (
        client.get(PEOPLE, query_string={"q": "ja", "limit": 9}, headers=headers).status_code == 422
    )
    missing = "/api/v1/projects/nowhere/people/autocomplete"
    assert client.get(missing, query_string={"q": "ja"}, headers=headers).status_code == 404
