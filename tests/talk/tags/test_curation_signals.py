"""The curation signals: each is sent once, after the change is flushed (ids exist), with the
arguments documented in talk/signals.py, and never for a refused operation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from blinker import Signal
from sqlalchemy import inspect, select

from talk import policy, signals
from talk.errors import Conflict, InvalidInput, NotFound, PermissionDenied, TalkError
from talk.extensions import db
from talk.models import Item, Project, Tag, TagAction, TagVerdict, User, Verdict
from talk.services import curation, tags
from tests.conftest import snapshot


@pytest.fixture
def curator(make: Any, herbarium: SimpleNamespace) -> SimpleNamespace:
    return make.member(herbarium, "expert", username="curator")


@pytest.fixture
def volunteer(make: Any) -> SimpleNamespace:
    return make.user("vol")


@contextmanager
def listening(signal: Signal) -> Iterator[list[dict[str, Any]]]:
    """What ``signal`` is sent while the block runs: one dict per send, with the sender's
    column values (``sender``), whether it was in the database already (``flushed``: its ids
    exist), and the keyword arguments (``actor`` as the acting user's column values, or the
    operator itself)."""
    sent: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        state = inspect(sender)
        actor = kwargs.pop("actor")
        sent.append(
            {
                "sender": snapshot(sender),
                "flushed": bool(state.persistent or state.deleted) and not state.pending,
                "actor": actor if actor is policy.OPERATOR else snapshot(actor),
                **kwargs,
            }
        )

    with signal.connected_to(receiver):
        yield sent


def run(make: Any, project: SimpleNamespace, user: Any, action: Any) -> Any:
    """Run ``action(actor, project)`` in a context that commits, as a request does."""
    with make.context():
        actor = user if user is policy.OPERATOR else db.session.get(User, user.id)
        return action(actor, db.session.get(Project, project.id))


def refused(make: Any, project: SimpleNamespace, user: Any, action: Any) -> TalkError:
    """Run ``action`` expecting a refusal; the transaction rolls back as a request's does."""
    with make.context():
        actor = db.session.get(User, user.id)
        with pytest.raises(TalkError) as caught:
            action(actor, db.session.get(Project, project.id))
        db.session.rollback()
    return caught.value


def tag(project: Project, name: str) -> Tag:
    found = tags.find_tag(project, name)
    assert found is not None
    return found


def test_tag_curated_is_sent_once_after_flush_for_a_new_and_an_edited_curation(
    make, herbarium, curator
):
    with listening(signals.tag_curated) as sent:
        created = run(make, herbarium, curator, lambda a, p: curation.curate(a, p, "orchid").id)
    [event] = sent
    assert event["sender"].id == created and event["flushed"]
    assert event["created"] is True and event["actor"].id == curator.id
    assert set(event) == {"sender", "flushed", "actor", "created"}

    with listening(signals.tag_curated) as sent:
        run(
            make,
            herbarium,
            curator,
            lambda a, p: curation.edit(a, tag(p, "orchid"), description="Orchids."),
        )
        run(  # the same text again changes nothing and says nothing
            make,
            herbarium,
            curator,
            lambda a, p: curation.edit(a, tag(p, "orchid"), description="Orchids."),
        )
    [event] = sent
    assert (event["sender"].id, event["created"], event["actor"].id) == (created, False, curator.id)


def test_tag_curated_is_not_sent_for_a_refused_curation(make, herbarium, curator, volunteer):
    with listening(signals.tag_curated) as sent:
        denied = refused(make, herbarium, volunteer, lambda a, p: curation.curate(a, p, "orchid"))
        invalid = refused(
            make, herbarium, curator, lambda a, p: curation.curate(a, p, "x", authority_uri="ftp:")
        )
        run(make, herbarium, curator, lambda a, p: curation.curate(a, p, "rose"))
        twice = refused(make, herbarium, curator, lambda a, p: curation.curate(a, p, "rose"))
        bad_edit = refused(
            make,
            herbarium,
            curator,
            lambda a, p: curation.edit(a, tag(p, "rose"), authority_uri="not a link"),
        )
    assert isinstance(denied, PermissionDenied) and isinstance(invalid, InvalidInput)
    assert isinstance(twice, Conflict) and isinstance(bad_edit, InvalidInput)
    assert [event["sender"].name for event in sent] == ["rose"]


def test_tag_synonym_added_names_the_synonym_row_once_per_synonym(make, herbarium, curator):
    with listening(signals.tag_synonym_added) as sent:
        canonical = run(
            make,
            herbarium,
            curator,
            lambda a, p: curation.curate(a, p, "nurse", synonyms="sister, matron").id,
        )
        run(
            make,
            herbarium,
            curator,
            lambda a, p: curation.add_synonym(a, tag(p, "nurse"), "#Nanny"),
        )
    with make.context():
        rows = {
            t.name: t.id
            for t in db.session.scalars(select(Tag).where(Tag.canonical_id == canonical))
        }
    assert [(e["sender"].id, e["synonym"], e["synonym_tag_id"]) for e in sent] == [
        (canonical, "sister", rows["sister"]),
        (canonical, "matron", rows["matron"]),
        (canonical, "nanny", rows["nanny"]),
    ]
    assert all(e["flushed"] and e["actor"].id == curator.id for e in sent)
    assert {frozenset(e) for e in sent} == {
        frozenset({"sender", "flushed", "actor", "synonym_tag_id", "synonym"})
    }


def test_tag_synonym_added_is_not_sent_for_a_refused_synonym(make, herbarium, curator, volunteer):
    run(make, herbarium, curator, lambda a, p: curation.curate(a, p, "nurse", synonyms="sister"))
    run(make, herbarium, curator, lambda a, p: curation.curate(a, p, "rose"))
    with listening(signals.tag_synonym_added) as sent, listening(signals.tag_curated) as curated:
        refused(
            make, herbarium, volunteer, lambda a, p: curation.add_synonym(a, tag(p, "nurse"), "x1")
        )
        refused(
            make, herbarium, curator, lambda a, p: curation.add_synonym(a, tag(p, "nurse"), "!")
        )
        refused(
            make,
            herbarium,
            curator,
            lambda a, p: curation.add_synonym(a, tag(p, "nurse"), "sister"),
        )
        # A curation whose second synonym is refused sends nothing, not even for the first.
        refused(
            make,
            herbarium,
            curator,
            lambda a, p: curation.curate(a, p, "matron", synonyms="nanny, rose"),
        )
    assert sent == [] and curated == []


def test_tag_renamed_names_the_old_and_new_tag_rows(make, herbarium, curator, volunteer):
    make.discussion(herbarium, volunteer, item=make.item(herbarium), body="An #eglise")
    with listening(signals.tag_renamed) as sent:
        renamed = run(
            make, herbarium, curator, lambda a, p: curation.rename(a, tag(p, "eglise"), "église").id
        )
    [event] = sent
    with make.context():
        old_row = db.session.scalar(select(Tag).where(Tag.name == "eglise"))
        assert old_row is not None and old_row.canonical_id == renamed
        old_row_id = old_row.id
    assert event["flushed"] and event["sender"].id == renamed
    assert event["sender"].name == "église"
    assert (event["old_name"], event["new_name"]) == ("eglise", "église")
    assert (event["old_tag_id"], event["new_tag_id"]) == (old_row_id, renamed)
    assert event["actor"].id == curator.id
    assert set(event) == {
        "sender",
        "flushed",
        "actor",
        "old_name",
        "new_name",
        "old_tag_id",
        "new_tag_id",
    }


def test_tag_renamed_is_not_sent_for_a_refused_rename(make, herbarium, curator, volunteer):
    make.discussion(herbarium, volunteer, item=make.item(herbarium), body="#eglise #church")
    with listening(signals.tag_renamed) as sent:
        refused(make, herbarium, volunteer, lambda a, p: curation.rename(a, tag(p, "eglise"), "x1"))
        refused(make, herbarium, curator, lambda a, p: curation.rename(a, tag(p, "eglise"), "!!"))
        taken = refused(
            make, herbarium, curator, lambda a, p: curation.rename(a, tag(p, "eglise"), "church")
        )
    assert isinstance(taken, Conflict) and sent == []


def test_tag_merged_names_the_tag_merged_away_and_the_one_that_stays(
    make, herbarium, curator, volunteer
):
    make.discussion(herbarium, volunteer, item=make.item(herbarium), body="#kirk and #church")
    with make.context():
        project = db.session.get(Project, herbarium.id)
        kirk, church = tag(project, "kirk").id, tag(project, "church").id
    with listening(signals.tag_merged) as sent:
        run(
            make,
            herbarium,
            curator,
            lambda a, p: curation.merge(a, tag(p, "kirk"), tag(p, "church")),
        )
    [event] = sent
    assert event["flushed"] and event["sender"].id == church
    assert (event["old_tag_id"], event["new_tag_id"]) == (kirk, church)
    assert event["actor"].id == curator.id
    assert set(event) == {"sender", "flushed", "actor", "old_tag_id", "new_tag_id"}


def test_tag_merged_is_not_sent_for_a_refused_merge(make, herbarium, curator, volunteer):
    make.discussion(herbarium, volunteer, item=make.item(herbarium), body="#kirk and #church")
    with listening(signals.tag_merged) as sent:
        refused(
            make,
            herbarium,
            volunteer,
            lambda a, p: curation.merge(a, tag(p, "kirk"), tag(p, "church")),
        )
        itself = refused(
            make, herbarium, curator, lambda a, p: curation.merge(a, tag(p, "kirk"), tag(p, "kirk"))
        )
    assert isinstance(itself, InvalidInput) and sent == []


def set_verdict(choice: str, note: str = "") -> Any:
    def act(actor: Any, project: Project) -> TagVerdict:
        item = db.session.scalar(select(Item).where(Item.project_id == project.id))
        assert item is not None
        return curation.set_verdict(actor, item, tag(project, "orchid"), choice, note)

    return act


def clear_verdict(actor: Any, project: Project) -> None:
    item = db.session.scalar(select(Item).where(Item.project_id == project.id))
    assert item is not None
    curation.clear_verdict(actor, item, tag(project, "orchid"))


def test_verdict_set_and_withdrawn_are_sent_once_with_the_verdict(make, herbarium, curator):
    item = make.item(herbarium)
    run(make, herbarium, curator, lambda a, p: curation.curate(a, p, "orchid"))
    with listening(signals.verdict_set) as sent:
        run(make, herbarium, curator, set_verdict("verified", "Checked the label."))
        run(make, herbarium, curator, set_verdict("rejected"))
    first, second = sent
    for event in sent:
        assert event["flushed"] and event["actor"].id == curator.id
        assert event["sender"].item_id == item.id
        assert set(event) == {"sender", "flushed", "actor", "previous"}
    assert (first["sender"].verdict, first["previous"]) == (Verdict.VERIFIED, None)
    assert (second["sender"].verdict, second["previous"]) == (Verdict.REJECTED, Verdict.VERIFIED)

    with listening(signals.verdict_withdrawn) as withdrawn:
        run(make, herbarium, curator, clear_verdict)
    [event] = withdrawn
    assert event["flushed"] and event["actor"].id == curator.id
    assert (event["sender"].item_id, event["sender"].verdict) == (item.id, Verdict.REJECTED)
    assert set(event) == {"sender", "flushed", "actor"}
    with make.context():
        assert db.session.scalar(select(TagVerdict)) is None


def test_verdict_signals_are_not_sent_for_refused_verdicts(make, herbarium, curator, volunteer):
    make.item(herbarium)
    run(make, herbarium, curator, lambda a, p: curation.curate(a, p, "orchid"))
    with listening(signals.verdict_set) as sent, listening(signals.verdict_withdrawn) as gone:
        denied = refused(make, herbarium, volunteer, set_verdict("verified"))
        unknown = refused(make, herbarium, curator, set_verdict("maybe"))
        too_long = refused(make, herbarium, curator, set_verdict("verified", "x" * 501))
        none_yet = refused(make, herbarium, curator, clear_verdict)
        run(make, herbarium, curator, set_verdict("verified"))
        withdraw_denied = refused(make, herbarium, volunteer, clear_verdict)
    assert isinstance(denied, PermissionDenied) and isinstance(withdraw_denied, PermissionDenied)
    assert isinstance(unknown, InvalidInput) and isinstance(too_long, InvalidInput)
    assert isinstance(none_yet, NotFound)
    assert len(sent) == 1 and gone == []


def test_the_operator_curates_renames_and_decides_without_an_account(make, herbarium):
    """Commands act as policy.OPERATOR (no id): the record and the signals carry no user."""
    make.item(herbarium)
    operator = policy.OPERATOR
    with listening(signals.tag_curated) as curated, listening(signals.verdict_set) as decided:
        run(make, herbarium, operator, lambda a, p: curation.curate(a, p, "orchid", synonyms="x1"))
        run(make, herbarium, operator, lambda a, p: curation.rename(a, tag(p, "orchid"), "orchis"))
        run(make, herbarium, operator, set_verdict_on("orchis"))
        run(make, herbarium, operator, lambda a, p: curation.uncurate(a, tag(p, "orchis")))
    assert [e["actor"] for e in curated + decided] == [operator, operator]
    with make.context():
        actions = db.session.scalars(select(TagAction).order_by(TagAction.id)).all()
        assert [a.action for a in actions] == [
            "curate",
            "add-synonym",
            "rename",
            "verify",
            "uncurate",
        ]
        assert {a.actor_id for a in actions} == {None}
        verdict = db.session.scalar(select(TagVerdict))
        assert verdict is not None and verdict.decided_by_id is None


def set_verdict_on(name: str) -> Any:
    def act(actor: Any, project: Project) -> TagVerdict:
        item = db.session.scalar(select(Item).where(Item.project_id == project.id))
        assert item is not None
        return curation.set_verdict(actor, item, tag(project, name), "verified")

    return act
