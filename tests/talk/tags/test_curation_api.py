"""The curation endpoints of the JSON API: the vocabulary, synonyms, rename and merge, the record,
experts' verdicts and their export, and the `curated` object of every tag."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from openapi_spec_validator import validate
from sqlalchemy import func, select

from talk.extensions import db
from talk.models import Project, TagAction, TagVerdict, User
from talk.services import curation
from tests.conftest import csrf_token, login

API = "/api/v1/projects/herbarium"
WIKIDATA_CHURCH = "https://www.wikidata.org/wiki/Q16970"
GBIF_ORCHIDS = "https://www.gbif.org/species/7689"


@pytest.fixture
def people(make: Any, token: Any, herbarium: SimpleNamespace) -> SimpleNamespace:
    """An expert with a title of their own, a project team member, a moderator, a volunteer,
    each with an API token."""
    expert = make.user("curator", display_name="Dr Curator")
    make.grant(herbarium, expert, "expert", "Herbarium curator")
    team = make.member(herbarium, "team", username="staffer")
    moderator = make.member(herbarium, "moderator", username="moddy")
    volunteer = make.user("vol")
    return SimpleNamespace(
        expert=expert,
        team=team,
        moderator=moderator,
        volunteer=volunteer,
        expert_auth=token(expert),
        team_auth=token(team),
        moderator_auth=token(moderator),
        volunteer_auth=token(volunteer),
    )


def send(client: Any, method: str, url: str, auth: dict[str, str] | None, body: Any = None) -> Any:
    return client.open(url, method=method, json=body, headers=auth or {})


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def error(response: Any, status: int, code: str, *fields: str) -> dict[str, Any]:
    """The response is an API error of ``status``/``code`` naming at least ``fields``."""
    assert response.status_code == status, response.get_data(as_text=True)
    found = response.get_json()["error"]
    assert found["code"] == code, found
    for name in fields:
        assert name in found["fields"], found
    return found


def recorded(app: Any) -> int:
    """How many curation actions and verdicts are stored (unchanged by a refused request)."""
    with app.app_context():
        return sum(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (TagAction, TagVerdict)
        )


def curate(make: Any, project: SimpleNamespace, user: SimpleNamespace, name: str, **kw: Any):
    """Curate through the service (for building data quickly)."""
    with make.context():
        curation.curate(
            db.session.get(User, user.id), db.session.get(Project, project.id), name, **kw
        )


# ------------------------------------------------------------------------------- vocabulary


def test_curating_a_tag_folds_its_synonyms_and_every_tag_shows_its_curation(
    client, make, herbarium, people
):
    item = make.item(herbarium, prefix="sheet/a")
    thread = make.discussion(herbarium, people.volunteer, item=item, body="An #eglise? #tower")
    make.comment(thread, people.volunteer, "Or a #kirk")

    created = ok(
        send(
            client,
            "POST",
            f"{API}/vocabulary",
            people.expert_auth,
            {
                "name": "#Église",
                "description": "A church building.",
                "authority_uri": WIKIDATA_CHURCH,
                "synonyms": ["eglise", "#Kirk"],
            },
        ),
        201,
    )
    assert created["name"] == "église"
    assert created["use_count"] == 2 and created["item_count"] == 1
    curated = created["curated"]
    assert curated.pop("curated_at")
    assert curated == {
        "description": "A church building.",
        "authority": {
            "uri": WIKIDATA_CHURCH,
            "source": "Wikidata",
            "identifier": "Q16970",
            "label": "Wikidata Q16970",
        },
        "synonyms": ["eglise", "kirk"],
        "curated_by": "curator",
    }
    assert created["api_url"] == f"http://talk.test{API}/tags/%C3%A9glise"

    # A synonym finds the curated tag; the lists show one tag with its curation.
    assert ok(client.get(f"{API}/tags/EGLISE"))["name"] == "église"
    assert ok(client.get(f"{API}/tags/kirk"))["curated"]["synonyms"] == ["eglise", "kirk"]
    popular = ok(client.get(f"{API}/tags"))["data"]
    assert [(t["name"], t["use_count"]) for t in popular] == [("église", 2), ("tower", 1)]
    assert popular[0]["curated"]["curated_by"] == "curator"
    assert popular[1]["curated"] is None
    trending = ok(client.get(f"{API}/tags?trending=true"))["data"]
    assert trending[0]["curated"]["synonyms"] == ["eglise", "kirk"]
    suggested = ok(client.get(f"{API}/tags/autocomplete?q=kir"))["data"]
    assert [t["name"] for t in suggested] == ["église"]
    assert suggested[0]["curated"]["authority"]["label"] == "Wikidata Q16970"
    rows = ok(client.get(f"{API}/items/{item.external_id}/tags"))["data"]
    assert [(r["tag"]["name"], r["use_count"], r["verdict"]) for r in rows] == [
        ("église", 2, None),
        ("tower", 1, None),
    ]
    assert rows[0]["first_used_at"] and rows[0]["tag"]["curated"]["description"]

    # Later uses of a synonym count for the curated tag.
    make.comment(thread, people.volunteer, "#KIRK again")
    assert ok(client.get(f"{API}/tags/église"))["use_count"] == 3

    vocabulary = ok(client.get(f"{API}/vocabulary"))
    assert [t["name"] for t in vocabulary["data"]] == ["église"]
    assert vocabulary["data"][0]["curated"]["synonyms"] == ["eglise", "kirk"]


def test_the_vocabulary_holds_unused_tags_and_comes_in_pages(client, make, herbarium, people):
    for name in ("orchid", "fern", "moss"):
        curate(make, herbarium, people.expert, name)
    make.discussion(herbarium, people.volunteer, body="#lichen is not curated")

    first = ok(client.get(f"{API}/vocabulary?limit=2"))
    assert [t["name"] for t in first["data"]] == ["fern", "moss"]
    assert all(t["use_count"] == 0 and t["curated"] for t in first["data"])
    rest = ok(client.get(f"{API}/vocabulary?limit=2&cursor={first['next_cursor']}"))
    assert [t["name"] for t in rest["data"]] == ["orchid"] and rest["next_cursor"] is None
    assert ok(client.get(f"{API}/tags/orchid"))["curated"]["authority"] is None

    error(client.get(f"{API}/vocabulary?cursor=nonsense"), 422, "invalid", "cursor")
    error(client.get("/api/v1/projects/nowhere/vocabulary"), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "#"}, "name"),
        ({"name": "no spaces"}, "name"),
        ({"name": "x" * 200}, "name"),
        ({}, "name"),
        ({"name": "ok", "authority_uri": "javascript:alert(1)"}, "authority_uri"),
        ({"name": "ok", "authority_uri": "wikidata Q1"}, "authority_uri"),
        ({"name": "ok", "authority_uri": "https://x.org/" + "a" * 600}, "authority_uri"),
        ({"name": "ok", "description": "d" * 3000}, "description"),
        ({"name": "ok", "description": 3}, "description"),
        ({"name": "ok", "synonyms": ["fine", "#!!"]}, "synonyms"),
        ({"name": "ok", "synonyms": "fine"}, "synonyms"),
        ({"name": "ok", "colour": "red"}, "colour"),
        ({"name": "ok\x00"}, "name"),
    ],
)
def test_bad_vocabulary_input_is_422_naming_the_field_and_changes_nothing(
    app, client, herbarium, people, body, field
):
    response = send(client, "POST", f"{API}/vocabulary", people.expert_auth, body)
    error(response, 422, "invalid", field)
    assert recorded(app) == 0
    assert ok(client.get(f"{API}/vocabulary"))["data"] == []


def test_curating_twice_or_a_synonym_is_a_conflict(app, client, make, herbarium, people):
    curate(make, herbarium, people.expert, "nurse", synonyms="sister")
    before = recorded(app)
    for name in ("Nurse", "sister"):
        response = send(client, "POST", f"{API}/vocabulary", people.expert_auth, {"name": name})
        error(response, 409, "conflict", "name")
    assert recorded(app) == before


def test_editing_and_uncurating(client, make, herbarium, people):
    curate(make, herbarium, people.expert, "orchid", description="Orchids.")
    make.discussion(herbarium, people.volunteer, body="#orchid")
    url = f"{API}/tags/Orchid/curation"

    edited = ok(send(client, "PATCH", url, people.team_auth, {"authority_uri": GBIF_ORCHIDS}))
    assert edited["curated"]["description"] == "Orchids."
    assert edited["curated"]["authority"]["label"] == "GBIF 7689"
    edited = ok(send(client, "PATCH", url, people.team_auth, {"description": "Orchidaceae."}))
    assert edited["curated"]["description"] == "Orchidaceae."
    assert edited["curated"]["authority"]["uri"] == GBIF_ORCHIDS  # left out: unchanged
    cleared = ok(send(client, "PATCH", url, people.team_auth, {"authority_uri": None}))
    assert cleared["curated"]["authority"] is None

    error(send(client, "PATCH", url, people.team_auth, {}), 422, "invalid", "_schema")
    bad = {"authority_uri": "ftp://example.org/x"}
    error(send(client, "PATCH", url, people.team_auth, bad), 422, "invalid", "authority_uri")

    response = send(client, "DELETE", url, people.team_auth)
    assert response.status_code == 204 and response.get_data() == b""
    tag = ok(client.get(f"{API}/tags/orchid"))
    assert tag["curated"] is None and tag["use_count"] == 1  # its uses stay
    assert ok(client.get(f"{API}/vocabulary"))["data"] == []
    # Not curated any more: nothing to edit or take out.
    error(send(client, "DELETE", url, people.team_auth), 422, "invalid", "name")
    error(send(client, "PATCH", url, people.team_auth, {"description": "x"}), 422, "invalid")
    error(
        send(client, "DELETE", f"{API}/tags/nothing/curation", people.team_auth), 404, "not_found"
    )


# --------------------------------------------------------------------------------- synonyms


def test_adding_a_synonym_folds_a_variant_on_items_and_removing_it_splits_later_uses(
    client, make, herbarium, people
):
    item = make.item(herbarium, prefix="register/1850")
    thread = make.discussion(herbarium, people.volunteer, item=item, body="A #nurce here")
    curate(make, herbarium, people.expert, "nurse")
    assert [
        r["tag"]["name"] for r in ok(client.get(f"{API}/items/{item.external_id}/tags"))["data"]
    ] == ["nurce"]

    url = f"{API}/tags/nurse/synonyms"
    tag = ok(send(client, "POST", url, people.expert_auth, {"name": "#Nurce"}), 201)
    assert tag["name"] == "nurse" and tag["use_count"] == 1
    assert tag["curated"]["synonyms"] == ["nurce"]
    rows = ok(client.get(f"{API}/items/{item.external_id}/tags"))["data"]
    assert [(r["tag"]["name"], r["use_count"]) for r in rows] == [("nurse", 1)]
    assert ok(client.get(f"{API}/tags/nurce"))["name"] == "nurse"
    assert ok(client.get(f"{API}/tags?limit=10"))["data"][0]["name"] == "nurse"

    error(send(client, "POST", url, people.expert_auth, {"name": "nurce"}), 409, "conflict", "name")
    error(send(client, "POST", url, people.expert_auth, {"name": "#"}), 422, "invalid", "name")
    error(send(client, "POST", url, people.expert_auth, {"name": "nurse"}), 422, "invalid", "name")
    curate(make, herbarium, people.expert, "matron")
    error(send(client, "POST", url, people.expert_auth, {"name": "matron"}), 409, "conflict")
    other = f"{API}/tags/matron/synonyms"
    error(send(client, "POST", other, people.expert_auth, {"name": "nurce"}), 409, "conflict")

    response = send(client, "DELETE", f"{url}/NURCE", people.expert_auth)
    assert response.status_code == 204
    assert ok(client.get(f"{API}/tags/nurse"))["curated"]["synonyms"] == []
    error(send(client, "DELETE", f"{url}/nurce", people.expert_auth), 404, "not_found")
    error(send(client, "DELETE", f"{url}/%23", people.expert_auth), 422, "invalid", "synonym")
    # The merged use stays with #nurse; a new #nurce is a tag of its own again.
    make.comment(thread, people.volunteer, "Another #nurce")
    assert ok(client.get(f"{API}/tags/nurce"))["name"] == "nurce"
    assert ok(client.get(f"{API}/tags/nurse"))["use_count"] == 1


# ------------------------------------------------------------------------ rename and merge


def test_rename_keeps_the_old_name_as_a_synonym(client, make, herbarium, people):
    make.discussion(herbarium, people.volunteer, body="A #smalpox case")
    make.discussion(herbarium, people.volunteer, body="#measles")

    renamed = ok(
        send(
            client, "POST", f"{API}/tags/smalpox/rename", people.team_auth, {"new_name": "Smallpox"}
        )
    )
    assert (renamed["name"], renamed["use_count"], renamed["curated"]) == ("smallpox", 1, None)
    assert ok(client.get(f"{API}/tags/smalpox"))["name"] == "smallpox"

    url = f"{API}/tags/smallpox/rename"
    error(
        send(client, "POST", url, people.team_auth, {"new_name": "measles"}),
        409,
        "conflict",
        "new_name",
    )
    error(
        send(client, "POST", url, people.team_auth, {"new_name": "smallpox"}),
        422,
        "invalid",
        "new_name",
    )
    error(
        send(client, "POST", url, people.team_auth, {"new_name": "a b"}), 422, "invalid", "new_name"
    )
    error(send(client, "POST", url, people.team_auth, {}), 422, "invalid", "new_name")
    error(
        send(client, "POST", f"{API}/tags/nothing/rename", people.team_auth, {"new_name": "x1"}),
        404,
        "not_found",
    )


def test_merge_answers_the_tag_that_stays(client, make, herbarium, people):
    first, second = make.items(herbarium, 2)
    make.discussion(herbarium, people.volunteer, item=first, body="#small-pox and #smallpox")
    make.discussion(herbarium, people.volunteer, item=second, body="#small-pox")
    curate(make, herbarium, people.expert, "smallpox", description="Variola.")

    merged = ok(
        send(client, "POST", f"{API}/tags/small-pox/merge", people.team_auth, {"into": "#SmallPox"})
    )
    assert merged["name"] == "smallpox"
    assert (merged["use_count"], merged["item_count"]) == (2, 2)
    assert merged["curated"]["synonyms"] == ["small-pox"]
    assert [t["name"] for t in ok(client.get(f"{API}/tags"))["data"]] == ["smallpox"]

    url = f"{API}/tags/smallpox/merge"
    error(send(client, "POST", url, people.team_auth, {"into": "nothing"}), 422, "invalid", "into")
    error(
        send(client, "POST", url, people.team_auth, {"into": "small-pox"}), 422, "invalid", "into"
    )
    error(send(client, "POST", url, people.team_auth, {"into": ""}), 422, "invalid", "into")


def test_history_lists_the_curation_actions_newest_first(client, make, herbarium, people, clock):
    item = make.item(herbarium, prefix="sheet/b")
    make.discussion(herbarium, people.volunteer, item=item, body="#orchis")
    auth = people.expert_auth
    ok(send(client, "POST", f"{API}/vocabulary", auth, {"name": "orchid"}), 201)
    clock.advance(minutes=1)
    ok(send(client, "POST", f"{API}/tags/orchid/synonyms", auth, {"name": "orchis"}), 201)
    clock.advance(minutes=1)
    verdict = {"verdict": "verified", "note": "Orchis mascula."}
    ok(send(client, "PUT", f"{API}/items/{item.external_id}/tags/orchid/verdict", auth, verdict))

    history = ok(client.get(f"{API}/tags/orchis/history"))
    assert history["next_cursor"] is None
    rows = [(r["action"], r["tag_name"], r["actor"], r["item"]) for r in history["data"]]
    assert rows == [
        ("verify", "orchid", "curator", item.external_id),
        ("add-synonym", "orchid", "curator", None),
        ("curate", "orchid", "curator", None),
    ]
    assert history["data"][0]["details"] == {"note": "Orchis mascula."}
    assert history["data"][1]["details"]["synonym"] == "orchis"
    assert history["data"][0]["created_at"] > history["data"][2]["created_at"]
    assert len(ok(client.get(f"{API}/tags/orchid/history?limit=1"))["data"]) == 1
    error(client.get(f"{API}/tags/orchid/history?limit=0"), 422, "invalid", "limit")
    error(client.get(f"{API}/tags/nothing/history"), 404, "not_found")


# -------------------------------------------------------------------------------- verdicts


def test_verdicts_on_an_items_tags_through_an_external_id_with_slashes(
    app, client, make, herbarium, people
):
    item = make.item(herbarium, prefix="box 3/sheet/7")
    assert "/" in item.external_id
    thread = make.discussion(herbarium, people.volunteer, item=item, body="#fern #moss #lichen")
    make.comment(thread, people.volunteer, "#lichen")
    curate(make, herbarium, people.expert, "orchid", authority_uri=GBIF_ORCHIDS)
    base = f"{API}/items/{item.external_id}/tags"

    given = ok(
        send(
            client,
            "PUT",
            f"{base}/Fern/verdict",
            people.expert_auth,
            {"verdict": "verified", "note": "Dryopteris."},
        )
    )
    assert given.pop("decided_at")
    assert given == {
        "item": {
            "external_id": item.external_id,
            "title": item.title,
            "url": given["item"]["url"],
            "api_url": given["item"]["api_url"],
        },
        "tag": {
            "name": "fern",
            "curated": False,
            "description": None,
            "authority": None,
            "synonyms": [],
            "url": "http://talk.test/projects/herbarium/tags/fern",
            "api_url": f"http://talk.test{API}/tags/fern",
        },
        "verdict": "verified",
        "decided_by": {
            "username": "curator",
            "display_name": "Dr Curator",
            "label": "Herbarium curator",
            "url": "http://talk.test/users/curator",
        },
        "note": "Dryopteris.",
    }
    assert client.get(given["item"]["api_url"]).get_json()["external_id"] == item.external_id
    ok(send(client, "PUT", f"{base}/moss/verdict", people.expert_auth, {"verdict": "rejected"}))
    # An expert may verify a curated tag nobody has used on the item.
    ok(send(client, "PUT", f"{base}/orchid/verdict", people.expert_auth, {"verdict": "verified"}))
    # Replacing a verdict keeps one.
    ok(send(client, "PUT", f"{base}/fern/verdict", people.expert_auth, {"verdict": "verified"}))

    rows = ok(client.get(base))["data"]
    assert [(r["tag"]["name"], r["use_count"]) for r in rows] == [
        ("fern", 1),
        ("orchid", 0),
        ("lichen", 2),
        ("moss", 1),
    ]
    fern, orchid, lichen, moss = rows
    assert fern["verdict"].pop("decided_at")
    assert fern["verdict"] == {
        "verdict": "verified",
        "decided_by": "curator",
        "label": "Herbarium curator",
        "note": "",
    }
    assert orchid["first_used_at"] is None
    assert orchid["tag"]["curated"]["authority"]["label"] == "GBIF 7689"
    assert lichen["verdict"] is None and lichen["first_used_at"]
    assert moss["verdict"]["verdict"] == "rejected"

    response = send(client, "DELETE", f"{base}/fern/verdict", people.expert_auth)
    assert response.status_code == 204
    assert ok(client.get(base))["data"][0]["tag"]["name"] == "orchid"
    error(send(client, "DELETE", f"{base}/fern/verdict", people.expert_auth), 404, "not_found")

    before = recorded(app)
    for body, field in (
        ({"verdict": "probably"}, "verdict"),
        ({}, "verdict"),
        ({"verdict": "verified", "note": "n" * 501}, "note"),
        ({"verdict": "verified", "extra": 1}, "extra"),
    ):
        response = send(client, "PUT", f"{base}/fern/verdict", people.expert_auth, body)
        error(response, 422, "invalid", field)
    verdict = {"verdict": "verified"}
    for url in (
        f"{base}/nothing/verdict",
        f"{API}/items/no-such-item/tags/fern/verdict",
        f"{API}/items/{item.external_id}-x/tags/fern/verdict",
        f"/api/v1/projects/nowhere/items/{item.external_id}/tags/fern/verdict",
    ):
        error(send(client, "PUT", url, people.expert_auth, verdict), 404, "not_found")
        error(send(client, "DELETE", url, people.expert_auth), 404, "not_found")
    assert recorded(app) == before


def test_the_verdicts_export_in_pages_with_authority_and_synonyms(client, make, herbarium, people):
    items = make.items(herbarium, 3, prefix="sheet")
    for item in items:
        make.discussion(herbarium, people.volunteer, item=item, body="#orchis #fern")
    curate(
        make,
        herbarium,
        people.expert,
        "orchid",
        description="Orchids.",
        authority_uri=GBIF_ORCHIDS,
        synonyms="orchis",
    )
    auth = people.expert_auth
    for item in items:
        base = f"{API}/items/{item.external_id}/tags"
        ok(send(client, "PUT", f"{base}/orchis/verdict", auth, {"verdict": "verified"}))
    ok(
        send(
            client,
            "PUT",
            f"{API}/items/{items[0].external_id}/tags/fern/verdict",
            auth,
            {"verdict": "rejected", "note": "A moss."},
        )
    )

    first = ok(client.get(f"{API}/verdicts?limit=2"))
    rest = ok(client.get(f"{API}/verdicts?limit=2&cursor={first['next_cursor']}"))
    assert rest["next_cursor"] is None
    rows = first["data"] + rest["data"]
    assert [(r["item"]["external_id"], r["tag"]["name"], r["verdict"]) for r in rows] == [
        (item.external_id, "orchid", "verified") for item in items
    ]
    assert rows[0]["tag"]["authority"] == {
        "uri": GBIF_ORCHIDS,
        "source": "GBIF",
        "identifier": "7689",
        "label": "GBIF 7689",
    }
    assert rows[0]["tag"]["curated"] is True and rows[0]["tag"]["description"] == "Orchids."
    assert rows[0]["tag"]["synonyms"] == ["orchis"]
    assert rows[0]["decided_by"]["label"] == "Herbarium curator"

    rejected = ok(client.get(f"{API}/verdicts?status=rejected"))["data"]
    assert [(r["tag"]["name"], r["note"]) for r in rejected] == [("fern", "A moss.")]
    assert len(ok(client.get(f"{API}/verdicts?status=all"))["data"]) == 4
    error(client.get(f"{API}/verdicts?status=maybe"), 422, "invalid", "status")
    error(client.get("/api/v1/projects/nowhere/verdicts"), 404, "not_found")


def test_an_expert_label_falls_back_to_the_role_name_as_on_the_pages(
    client, make, herbarium, people, token
):
    plain = make.member(herbarium, "expert", username="plain")
    item = make.item(herbarium)
    make.discussion(herbarium, people.volunteer, item=item, body="#fern")
    url = f"{API}/items/{item.external_id}/tags/fern/verdict"
    given = ok(send(client, "PUT", url, token(plain), {"verdict": "verified"}))
    assert given["decided_by"]["label"] == "Expert"
    row = ok(client.get(f"{API}/items/{item.external_id}/tags"))["data"][0]
    assert row["verdict"]["label"] == "Expert"
    owner = ok(send(client, "PUT", url, token(herbarium.owner), {"verdict": "verified"}))
    assert owner["decided_by"]["label"] == "Project owner"
    # A site admin who is not a member of the project carries no label.
    site_admin = ok(send(client, "PUT", url, token(make.admin()), {"verdict": "rejected"}))
    assert site_admin["decided_by"]["label"] is None


# ----------------------------------------------------------------------------- who may write


def writes(item: SimpleNamespace) -> list[tuple[str, str, Any]]:
    """Every write endpoint, with a body it would accept from someone allowed."""
    verdict = f"{API}/items/{item.external_id}/tags/fern/verdict"
    return [
        ("POST", f"{API}/vocabulary", {"name": "orchid"}),
        ("PATCH", f"{API}/tags/nurse/curation", {"description": "Nursing staff."}),
        ("DELETE", f"{API}/tags/nurse/curation", None),
        ("POST", f"{API}/tags/nurse/synonyms", {"name": "fern"}),
        ("DELETE", f"{API}/tags/nurse/synonyms/sister", None),
        ("POST", f"{API}/tags/fern/rename", {"new_name": "ferns"}),
        ("POST", f"{API}/tags/fern/merge", {"into": "nurse"}),
        ("PUT", verdict, {"verdict": "verified"}),
        ("DELETE", verdict, None),
    ]


@pytest.fixture
def writable(make: Any, herbarium: SimpleNamespace, people: SimpleNamespace) -> SimpleNamespace:
    """A curated #nurse with the synonym #sister, and #fern on an item with a verdict."""
    item = make.item(herbarium, prefix="sheet/c")
    make.discussion(herbarium, people.volunteer, item=item, body="#fern #sister")
    curate(make, herbarium, people.expert, "nurse", synonyms="sister")
    with make.context():
        from talk.models import Item
        from talk.services import tags

        project = db.session.get(Project, herbarium.id)
        curation.set_verdict(
            db.session.get(User, people.expert.id),
            db.session.get(Item, item.id),
            tags.find_tag(project, "fern"),
            "rejected",
        )
    return item


def test_anonymous_writes_are_401_and_volunteers_403_and_nothing_changes(
    app, client, writable, people
):
    before = recorded(app)
    for method, url, body in writes(writable):
        response = send(client, method, url, None, body)
        found = error(response, 401, "unauthenticated")
        assert found["message"], (method, url)
        assert response.headers["WWW-Authenticate"] == "Bearer"
        error(send(client, method, url, people.volunteer_auth, body), 403, "forbidden")
    assert recorded(app) == before


def test_moderators_curate_but_only_experts_and_admins_give_verdicts(app, client, writable, people):
    before = recorded(app)
    verdict = f"{API}/items/{writable.external_id}/tags/fern/verdict"
    for auth in (people.moderator_auth, people.team_auth):
        error(send(client, "PUT", verdict, auth, {"verdict": "verified"}), 403, "forbidden")
        error(send(client, "DELETE", verdict, auth), 403, "forbidden")
    auth = people.moderator_auth
    ok(send(client, "POST", f"{API}/vocabulary", auth, {"name": "orchid"}), 201)
    ok(send(client, "PATCH", f"{API}/tags/nurse/curation", auth, {"description": "Staff."}))
    ok(send(client, "POST", f"{API}/tags/fern/rename", auth, {"new_name": "ferns"}))
    assert recorded(app) == before + 3


def test_a_browser_session_writes_with_its_csrf_header(client, make, herbarium, people):
    login(client, "curator")
    body = {"name": "orchid"}
    error(send(client, "POST", f"{API}/vocabulary", None, body), 400, "csrf")
    headers = {"X-CSRFToken": csrf_token(client)}
    ok(send(client, "POST", f"{API}/vocabulary", headers, body), 201)
    response = client.post(f"{API}/tags/orchid/rename", data="new_name=x", headers=headers)
    error(response, 415, "unsupported_media_type")


# --------------------------------------------------------------------------------- contract


def test_the_curation_endpoints_are_documented_in_a_valid_openapi_document(client):
    spec = ok(client.get("/api/v1/openapi.json"))
    validate(spec)
    paths = spec["paths"]
    expected = {
        "/api/v1/projects/{slug}/vocabulary": {"get", "post"},
        "/api/v1/projects/{slug}/tags/{name}/curation": {"patch", "delete"},
        "/api/v1/projects/{slug}/tags/{name}/synonyms": {"post"},
        "/api/v1/projects/{slug}/tags/{name}/synonyms/{synonym}": {"delete"},
        "/api/v1/projects/{slug}/tags/{name}/rename": {"post"},
        "/api/v1/projects/{slug}/tags/{name}/merge": {"post"},
        "/api/v1/projects/{slug}/tags/{name}/history": {"get"},
        "/api/v1/projects/{slug}/items/{external_id}/tags/{name}/verdict": {"put", "delete"},
        "/api/v1/projects/{slug}/verdicts": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
    schemas = spec["components"]["schemas"]
    curated = schemas["Tag"]["properties"]["curated"]
    assert curated["anyOf"] == [
        {"$ref": "#/components/schemas/Curation"},
        {"type": "object", "nullable": True},
    ]
    assert set(schemas["Curation"]["properties"]) == {
        "description",
        "authority",
        "synonyms",
        "curated_by",
        "curated_at",
    }
    assert "verdict" in schemas["ItemTag"]["properties"]
    status = paths["/api/v1/projects/{slug}/verdicts"]["get"]["parameters"]
    assert {"verified", "rejected", "all"} == set(
        next(p for p in status if p["name"] == "status")["schema"]["enum"]
    )


# ------------------------------------------------------------------------------ query counts


def build(make: Any, slug: str, n: int) -> dict[str, str]:
    """A project with ``n`` tags used on item 0, each curated by an expert of its own with a
    synonym and verified there, ``n`` more curated by the same experts and verified on item 0
    without uses, and the record of all that."""
    project = make.project(slug)
    experts = [make.member(project, "expert", username=f"{slug}-e{i}") for i in range(n + 1)]
    item = make.item(project, prefix=f"{slug}/sheet")
    make.discussion(project, make.user(), item=item, body=" ".join(f"#t{i}-x" for i in range(n)))
    with make.context():
        from talk.models import Item
        from talk.services import tags

        decider = db.session.get(User, experts[n].id)
        target = db.session.get(Item, item.id)
        row = db.session.get(Project, project.id)
        for i in range(n):
            curator = db.session.get(User, experts[i].id)
            for name, synonyms in ((f"t{i}", [f"t{i}-x"]), (f"v{i}", [])):
                curation.curate(curator, row, name, authority_uri=GBIF_ORCHIDS, synonyms=synonyms)
                curation.set_verdict(decider, target, tags.find_tag(row, name), "verified")
    base = f"/api/v1/projects/{slug}"
    return {
        "popular": f"{base}/tags",
        "trending": f"{base}/tags?trending=true",
        "autocomplete": f"{base}/tags/autocomplete?q=t",
        "tag": f"{base}/tags/t1",
        "item tags": f"{base}/items/{item.external_id}/tags",
        "vocabulary": f"{base}/vocabulary",
        "verdicts": f"{base}/verdicts?limit=100",
        "history": f"{base}/tags/t1/history",
    }


def test_the_list_endpoints_cost_the_same_with_3_curated_tags_as_with_30(
    client, make, count_queries
):
    sites = [build(make, "small", 3), build(make, "large", 30)]
    for name in sites[0]:
        counts = []
        for site in sites:
            with count_queries() as queries:
                response = client.get(site[name])
            assert response.status_code == 200, (name, response.get_json())
            data = response.get_json().get("data")
            assert data is None or len(data) >= 3, name
            counts.append(queries.count)
        assert counts[0] == counts[1], (name, counts)
