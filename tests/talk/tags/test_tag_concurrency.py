"""Writers tagging the same item at once keep every tag counter exact."""

import pytest

from tests.conftest import post_comments_at_once

# Writer threads, each on its own connection, must see each other's commits.
pytestmark = pytest.mark.commits

WRITERS = 5
COMMENTS_EACH = 4


def test_concurrent_comments_with_the_same_new_tags_are_all_counted(
    app, make, herbarium, token, tag_state
):
    item = make.item(herbarium)
    thread = make.discussion(herbarium, make.user(), item=item, body="Let's tag this")
    writers = [token(make.user()) for _ in range(WRITERS)]
    url = f"/api/v1/discussions/{thread.id}/comments"

    bodies = [f"#Shared #new{n} #also" for n in range(COMMENTS_EACH)]
    statuses, _ = post_comments_at_once(app, url, writers, bodies)

    assert statuses == [201] * (WRITERS * COMMENTS_EACH)
    state = tag_state(herbarium)  # equal to a recount from the uses
    total = WRITERS * COMMENTS_EACH
    assert state["tags"]["shared"] == (total, 1, 1, WRITERS)
    assert state["tags"]["also"] == (total, 1, 1, WRITERS)
    for n in range(COMMENTS_EACH):
        assert state["tags"][f"new{n}"] == (WRITERS, 1, 1, WRITERS)


def test_comments_using_a_variant_while_it_is_merged_all_end_on_the_merged_tag(
    app, make, herbarium, token, tag_state
):
    """A merge locks the tags it changes; writers resolving a variant wait for it or are seen by
    it, so no use is left on the synonym and every counter equals a recount."""
    from sqlalchemy import select

    from talk.extensions import db
    from talk.models import Tag, TagUse

    curator = make.member(herbarium, "expert")
    item = make.item(herbarium)
    thread = make.discussion(herbarium, make.user(), item=item, body="#nurse and #sister")
    writers = [token(make.user()) for _ in range(WRITERS)]
    url = f"/api/v1/discussions/{thread.id}/comments"
    merge = ("/api/v1/projects/herbarium/tags/sister/merge", {"into": "nurse"}, token(curator))
    bodies = [f"A #sister, number {n}" for n in range(COMMENTS_EACH)]
    statuses, merged = post_comments_at_once(app, url, writers, bodies, alongside=merge)

    assert merged == 200
    assert statuses == [201] * (WRITERS * COMMENTS_EACH)
    state = tag_state(herbarium)
    assert state["tags"] == {"nurse": (1 + WRITERS * COMMENTS_EACH, 1, 1, 1 + WRITERS)}
    with app.app_context():
        sister = db.session.scalar(select(Tag).where(Tag.name == "sister"))
        assert db.session.scalars(select(TagUse).where(TagUse.tag_id == sister.id)).all() == []


def test_comments_using_a_tag_while_it_is_renamed_keep_their_use(
    app, make, herbarium, token, tag_state
):
    """A comment saved during a rename resolves its #old name after the rename (to the synonym
    the rename leaves): every use lands on the renamed tag."""
    curator = make.member(herbarium, "expert")
    thread = make.discussion(herbarium, make.user(), item=make.item(herbarium), body="#nurce")
    writers = [token(make.user()) for _ in range(WRITERS)]
    url = f"/api/v1/discussions/{thread.id}/comments"

    rename = ("/api/v1/projects/herbarium/tags/nurce/rename", {"new_name": "nurse"}, token(curator))
    bodies = [f"#nurce {n}" for n in range(COMMENTS_EACH)]
    statuses, renamed = post_comments_at_once(app, url, writers, bodies, alongside=rename)

    assert renamed == 200
    assert statuses == [201] * (WRITERS * COMMENTS_EACH)
    assert tag_state(herbarium)["tags"] == {
        "nurse": (1 + WRITERS * COMMENTS_EACH, 1, 1, 1 + WRITERS)
    }
