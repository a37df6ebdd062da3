"""The demo project shows hashtags (one tag in several spellings), mentions and item cards."""

from sqlalchemy import select

from talk.demo import DEMO_SLUG, build_demo
from talk.extensions import db
from talk.models import Comment, Mention, MentionKind, Project, Tag
from tests.talk.tags.tag_counts import recounted_state, stored_state


def test_demo_comments_tag_items_mention_people_and_refer_to_items(app, client):
    summary = build_demo(app)
    assert summary.seconds < 20

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
