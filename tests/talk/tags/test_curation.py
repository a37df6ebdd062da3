"""Curated tags: the vocabulary, synonym folding (counts, pages' tags, search, later comments),
rename and merge as one recorded action, and experts' verdicts."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from talk.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from talk.extensions import db
from talk.models import Item, Project, Tag, TagAction, TagVerdict, User
from talk.services import curation, tags
from tests.conftest import snapshot

WIKIDATA_CHURCH = "https://www.wikidata.org/wiki/Q16970"


@pytest.fixture
def curator(make: Any, herbarium: SimpleNamespace) -> SimpleNamespace:
    return make.member(herbarium, "expert", username="curator")


@pytest.fixture
def act(make: Any, herbarium: SimpleNamespace) -> Any:
    """``act(user, fn, *args)``: run a curation service as ``user`` in a committed context, with
    ``Tag`` arguments given by name and ``Item`` arguments by snapshot."""

    def run(user: SimpleNamespace, fn: Any, *args: Any, **kwargs: Any) -> Any:
        with make.context():
            project = db.session.get(Project, herbarium.id)
            actor = db.session.get(User, user.id)
            resolved = [resolve(project, arg) for arg in args]
            if fn is curation.curate:
                resolved.insert(0, project)
            result = fn(actor, *resolved, **kwargs)
            return snapshot(result) if isinstance(result, Tag | TagVerdict) else result

    return run


def resolve(project: Project, arg: Any) -> Any:
    if isinstance(arg, str) and arg.startswith("#"):
        return tags.find_tag(project, arg[1:])
    if isinstance(arg, SimpleNamespace) and hasattr(arg, "external_id"):
        return db.session.get(Item, arg.id)
    return arg


def tag_row(app: Any, project: SimpleNamespace, name: str) -> Tag | None:
    with app.app_context():
        tag = db.session.scalar(select(Tag).where(Tag.project_id == project.id, Tag.name == name))
        return snapshot(tag) if tag else None


def test_curate_with_authority_and_synonym_folds_existing_and_later_uses(
    app, make, herbarium, curator, act, tag_state, edit
):
    item = make.item(herbarium)
    volunteer = make.user("vol")
    thread = make.discussion(herbarium, volunteer, item=item, body="Is this an #eglise?")
    make.comment(thread, curator, "Yes, an #Église, and #eglise is fine too.")
    other = make.discussion(herbarium, volunteer, item=make.item(herbarium), body="#eglise here")
    assert tag_state(herbarium)["tags"] == {"eglise": (3, 2, 2, 2), "église": (1, 1, 1, 1)}

    tag = act(
        curator,
        curation.curate,
        "Église",
        description="A church building.",
        authority_uri=WIKIDATA_CHURCH,
        synonyms="#eglise, kirk",
    )
    assert tag.name == "église" and tag.curated_by_id == curator.id
    state = tag_state(herbarium)  # stored aggregates equal a fresh recount
    # The curator's comment used both spellings: one use, not two.
    assert state["tags"] == {"église": (3, 2, 2, 2)}
    assert state["item_tags"] == {("église", item.id): 2, ("église", other.item_id): 1}
    assert tag_row(app, herbarium, "eglise").canonical_id == tag.id
    assert tag_row(app, herbarium, "kirk").canonical_id == tag.id

    # Later uses of a synonym count for the curated tag, and editing old comments keeps them.
    make.comment(thread, volunteer, "A #kirk, as they say up north.")
    edit(other.first_comment_id, volunteer, "#eglise here, and #Kirk")
    state = tag_state(herbarium)
    assert state["tags"] == {"église": (4, 2, 2, 2)}
    assert tag_row(app, herbarium, "eglise").use_count == 0

    with app.app_context():
        project = db.session.get(Project, herbarium.id)
        assert tags.get_tag(project, "EGLISE").id == tag.id  # a synonym finds the curated tag
        assert curation.synonyms(db.session.get(Tag, tag.id)) == ["eglise", "kirk"]
        actions = [(a.action, a.details.get("synonym")) for a in curation.history(project=project)]
        assert actions == [("add-synonym", "kirk"), ("add-synonym", "eglise"), ("curate", None)]


def test_a_synonym_folds_in_search_and_the_tag_document_lists_synonyms(
    app, make, herbarium, curator, act
):
    from talk.search import SearchRequest, search

    volunteer = make.user("vol")
    item = make.item(herbarium)
    make.discussion(herbarium, volunteer, item=item, body="A #sister in the register")
    act(curator, curation.curate, "nurse", description="Nursing staff.", synonyms=["sister"])

    with app.app_context():
        project = db.session.get(Project, herbarium.id)
        nurse = tags.get_tag(project, "sister")
        assert nurse.name == "nurse"
        anonymous = SimpleNamespace(is_authenticated=False)
        found = search(
            anonymous, SearchRequest("sister", project="herbarium"), cursor=None, limit=25
        )
        kinds = {(row.kind, row.title) for row in found.rows}
        assert ("tag", "nurse") in kinds  # the curated tag is found by its synonym
        assert ("tag", "sister") not in kinds  # the synonym has no document of its own
        by_tag = search(
            anonymous,
            SearchRequest("register", project="herbarium", tag="sister"),
            cursor=None,
            limit=25,
        )
        assert [row.kind for row in by_tag.rows] == ["comment"]


def test_a_curated_tag_nobody_uses_yet_has_a_page_and_autocompletes_first(
    app, make, herbarium, curator, act
):
    volunteer = make.user("vol")
    make.discussion(herbarium, volunteer, item=make.item(herbarium), body="#orchard #orchard")
    make.discussion(herbarium, volunteer, item=make.item(herbarium), body="#orchard again")
    act(curator, curation.curate, "orchid", authority_uri="https://www.gbif.org/species/7689")
    with app.app_context():
        project = db.session.get(Project, herbarium.id)
        assert tags.get_tag(project, "orchid").use_count == 0
        assert [t.name for t in tags.autocomplete(project, "orc")] == ["orchid", "orchard"]


def test_rename_keeps_the_old_name_as_a_synonym_and_is_recorded(
    app, make, herbarium, curator, act, tag_state, edit
):
    volunteer = make.user("vol")
    item = make.item(herbarium)
    thread = make.discussion(herbarium, volunteer, item=item, body="A #nurce, I think")
    act(curator, curation.rename, "#nurce", "nurse")
    assert tag_state(herbarium)["tags"] == {"nurse": (1, 1, 1, 1)}
    nurse = tag_row(app, herbarium, "nurse")
    assert tag_row(app, herbarium, "nurce").canonical_id == nurse.id
    # Editing the old comment keeps its use on the renamed tag.
    edit(thread.first_comment_id, volunteer, "A #nurce, I think. Or a #Nurse.")
    assert tag_state(herbarium)["tags"] == {"nurse": (1, 1, 1, 1)}
    with app.app_context():
        record = db.session.scalar(select(TagAction).where(TagAction.action == "rename"))
        assert (record.actor_id, record.tag_id) == (curator.id, nurse.id)
        assert record.details == {"old_name": "nurce", "new_name": "nurse"}

    make.discussion(herbarium, volunteer, item=item, body="#matron")
    with pytest.raises(Conflict, match="#matron is another tag"):
        act(curator, curation.rename, "#nurse", "matron")


def test_merge_moves_uses_and_verdicts_and_leaves_one_tag(
    app, make, herbarium, curator, act, tag_state
):
    volunteer, other = make.user("vol"), make.user("other")
    first, second = make.items(herbarium, 2)
    make.discussion(herbarium, volunteer, item=first, body="#smallpox and #small-pox")
    make.discussion(herbarium, other, item=second, body="#small-pox")
    act(curator, curation.set_verdict, second, "#small-pox", "verified")
    act(curator, curation.merge, "#small-pox", "#smallpox")

    state = tag_state(herbarium)
    assert state["tags"] == {"smallpox": (2, 2, 2, 2)}
    with app.app_context():
        verdicts = db.session.scalars(select(TagVerdict)).all()
        smallpox = db.session.scalar(select(Tag).where(Tag.name == "smallpox"))
        assert [(v.item_id, v.tag_id) for v in verdicts] == [(second.id, smallpox.id)]
        record = db.session.scalar(select(TagAction).where(TagAction.action == "merge"))
        assert record.details["merged"] == "small-pox" and record.details["uses_moved"] == 2

    with pytest.raises(InvalidInput, match="into itself"):  # #small-pox stands for #smallpox
        act(curator, curation.merge, "#small-pox", "#smallpox")


def test_volunteers_cannot_curate_or_verify_and_experts_of_another_project_neither(
    make, herbarium, act
):
    volunteer = make.member(herbarium, "volunteer", username="vol")
    elsewhere = make.project("other")
    stranger = make.member(elsewhere, "expert", username="stranger")
    moderator = make.member(herbarium, "moderator", username="mod")
    item = make.item(herbarium)
    make.discussion(herbarium, volunteer, item=item, body="#fern")
    for user in (volunteer, stranger):
        with pytest.raises(PermissionDenied):
            act(user, curation.curate, "fern")
        with pytest.raises(PermissionDenied):
            act(user, curation.set_verdict, item, "#fern", "verified")
    # Moderators keep order, they do not judge content: curate yes (staff), verify no.
    act(moderator, curation.curate, "fern")
    with pytest.raises(PermissionDenied):
        act(moderator, curation.set_verdict, item, "#fern", "verified")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "#"}, "name"),
        ({"name": "x" * 80}, "name"),
        ({"name": "ok", "authority_uri": "javascript:alert(1)"}, "authority_uri"),
        ({"name": "ok", "authority_uri": "wikidata Q1"}, "authority_uri"),
        ({"name": "ok", "authority_uri": "http://[wikidata.org/wiki/Q1"}, "authority_uri"),
        ({"name": "ok", "authority_uri": "https://x.org/" + "a" * 600}, "authority_uri"),
        ({"name": "ok", "description": "d" * 3000}, "description"),
        ({"name": "ok", "synonyms": "fine, #!!"}, "synonyms"),
    ],
)
def test_bad_curation_input_is_refused_and_changes_nothing(
    app, herbarium, curator, act, kwargs, field
):
    name = kwargs.pop("name")
    with pytest.raises(InvalidInput) as refused:
        act(curator, curation.curate, name, **kwargs)
    assert field in refused.value.fields
    with app.app_context():
        assert db.session.scalars(select(TagAction)).all() == []
        assert db.session.scalar(select(Tag).where(Tag.curated_at.is_not(None))) is None


def test_synonym_conflicts_are_refused(make, herbarium, curator, act):
    act(curator, curation.curate, "nurse", synonyms="sister")
    act(curator, curation.curate, "matron")
    with pytest.raises(Conflict, match="synonym of #nurse"):
        act(curator, curation.add_synonym, "#matron", "sister")
    with pytest.raises(Conflict, match="curated tag"):
        act(curator, curation.add_synonym, "#nurse", "matron")
    with pytest.raises(Conflict, match="synonym of #nurse"):
        act(curator, curation.curate, "sister")
    with pytest.raises(Conflict, match="curated already"):
        act(curator, curation.curate, "Nurse")
    act(curator, curation.remove_synonym, "#nurse", "sister")
    act(curator, curation.add_synonym, "#matron", "sister")
    with pytest.raises(NotFound):
        act(curator, curation.remove_synonym, "#nurse", "sister")


def test_verdicts_order_item_tags_and_outlive_the_comment(
    app, make, herbarium, curator, act, remove
):
    volunteer = make.user("vol")
    item = make.item(herbarium)
    thread = make.discussion(herbarium, volunteer, item=item, body="#fern #moss #lichen #moss")
    make.comment(thread, volunteer, "#lichen #lichen-ish")
    act(curator, curation.set_verdict, item, "#fern", "verified", note="Dryopteris.")
    act(curator, curation.set_verdict, item, "#moss", "rejected")
    act(curator, curation.curate, "orchid")
    act(curator, curation.set_verdict, item, "#orchid", "verified")

    def entries() -> list[tuple[str, int, str | None]]:
        with app.app_context():
            found = curation.item_tag_entries(db.session.get(Item, item.id))
            return [(e.tag.name, e.use_count, e.verdict and e.verdict.verdict.value) for e in found]

    assert entries() == [
        ("fern", 1, "verified"),
        ("orchid", 0, "verified"),
        ("lichen", 2, None),
        ("lichen-ish", 1, None),
        ("moss", 1, "rejected"),
    ]
    remove(thread.first_comment_id, volunteer)
    assert ("fern", 0, "verified") in entries()  # the expert's statement stays

    with pytest.raises(InvalidInput):
        act(curator, curation.set_verdict, item, "#fern", "probably")
    act(curator, curation.clear_verdict, item, "#fern")
    with pytest.raises(NotFound):
        act(curator, curation.clear_verdict, item, "#fern")
    with app.app_context():
        project = db.session.get(Project, herbarium.id)
        rows = list(curation.verdict_rows(project))
        assert [(r.item.id, r.tag.name) for r in rows] == [(item.id, "orchid")]
        every = curation.verdict_rows(project, status="all")
        assert [r.tag.name for r in every] == ["moss", "orchid"]  # by item, then tag id


@pytest.mark.parametrize(
    ("uri", "label"),
    [
        ("https://www.wikidata.org/wiki/Q16970", "Wikidata Q16970"),
        ("http://www.wikidata.org/entity/Q16970", "Wikidata Q16970"),
        ("http://vocab.getty.edu/page/aat/300007466", "Getty AAT 300007466"),
        ("https://www.gbif.org/species/7689", "GBIF 7689"),
        ("https://viaf.org/viaf/102333412/", "VIAF 102333412"),
        ("https://example.org/thesaurus/42", "example.org"),
    ],
)
def test_authority_links_are_recognised(uri, label):
    assert curation.authority(uri).label == label
