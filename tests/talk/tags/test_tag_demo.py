"""The demo project shows hashtags (one tag in several spellings), mentions and item cards."""

from sqlalchemy import select

from talk.demo import DEMO_PASSWORD, DEMO_SLUG, build_demo
from talk.extensions import db
from talk.models import Comment, Item, ItemTag, Mention, MentionKind, Project, Tag
from tests.conftest import module_data
from tests.talk.tags.tag_counts import recounted_state, stored_state


@module_data
def demo(app):
    """The demo, built once for this module's tests (see tests/conftest.py)."""
    return build_demo(app)


def test_demo_comments_tag_items_mention_people_and_refer_to_items(app, client, demo):
    assert demo.created
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.slug == DEMO_SLUG))
        tags = {t.name: t for t in db.session.scalars(select(Tag))}
        assert {"église", "exchange", "favourite", "nolabel", "duplicate", "damage"} <= set(tags)
        assert (tags["église"].item_count, tags["église"].discussion_count) == (3, 4)
        assert len(tags) >= 8
        assert stored_state(project.id) == recounted_state(project.id)
        kinds = {m.kind for m in db.session.scalars(select(Mention))}
        assert kinds == {MentionKind.USER, MentionKind.GROUP, MentionKind.ITEM}
        html = "\n".join(db.session.scalars(select(Comment.body_html)))
        assert 'class="hashtag" href="/projects/' in html
        assert 'class="mention" href="/users/eleanor"' in html
        assert 'class="item-card"' in html

    index = client.get(f"/projects/{DEMO_SLUG}/tags")
    assert index.status_code == 200
    assert "#église" in index.get_data(as_text=True)
    assert client.get(f"/projects/{DEMO_SLUG}/tags/%C3%89glise").status_code == 301


def test_demo_curation_walkthrough_from_the_readme(app, client, demo):
    """The README's steps: the expert curates #église with a Wikidata link and the synonym
    #eglise, the volunteer's variant folds in, and the expert verifies it on the item."""
    from tests.conftest import login
    from tests.talk.web.pages import squash, submit, text

    with app.app_context():
        variant = db.session.scalar(select(Tag).where(Tag.name == "eglise"))
        assert variant.item_count == 1
        item = db.session.execute(
            select(ItemTag.item_id, Item.external_id)
            .join(Item, Item.id == ItemTag.item_id)
            .where(ItemTag.tag_id == variant.id)
        ).one()
    login(client, "eleanor", DEMO_PASSWORD)
    response = submit(
        client,
        f"/projects/{DEMO_SLUG}/vocabulary",
        name="église",
        description="Church: the label names a parish church near the collecting site.",
        authority_uri="https://www.wikidata.org/wiki/Q16970",
        synonyms="eglise",
    )
    assert response.status_code == 302
    item_page = f"/projects/{DEMO_SLUG}/items/{item.external_id}"
    assert "#église" in text(client.get(item_page))
    submit(
        client,
        item_page,
        f"/projects/{DEMO_SLUG}/verdicts",
        item=item.external_id,
        tag="église",
        verdict="verified",
    )
    assert "✓ Verified by Herbarium curator" in squash(text(client.get(item_page)))
    with app.app_context():
        tag = db.session.scalar(select(Tag).where(Tag.name == "église"))
        assert tag.item_count == 4
