"""Writers tagging the same item at once keep every tag counter exact."""

from concurrent.futures import ThreadPoolExecutor

WRITERS = 5
COMMENTS_EACH = 4


def test_concurrent_comments_with_the_same_new_tags_are_all_counted(
    app, make, herbarium, token, tag_state
):
    item = make.item(herbarium)
    thread = make.discussion(herbarium, make.user(), item=item, body="Let's tag this")
    writers = [token(make.user()) for _ in range(WRITERS)]
    url = f"/api/v1/discussions/{thread.id}/comments"

    def write(headers):
        client = app.test_client()
        return [
            client.post(url, json={"body": f"#Shared #new{n} #also"}, headers=headers).status_code
            for n in range(COMMENTS_EACH)
        ]

    with ThreadPoolExecutor(WRITERS) as pool:
        statuses = [s for batch in pool.map(write, writers) for s in batch]

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
    merge_url = "/api/v1/projects/herbarium/tags/sister/merge"

    def write(headers):
        client = app.test_client()
        return [
            client.post(url, json={"body": f"A #sister, number {n}"}, headers=headers).status_code
            for n in range(COMMENTS_EACH)
        ]

    def merge(headers):
        return (
            app.test_client().post(merge_url, json={"into": "nurse"}, headers=headers).status_code
        )

    with ThreadPoolExecutor(WRITERS + 1) as pool:
        merged = pool.submit(merge, token(curator))
        statuses = [s for batch in pool.map(write, writers) for s in batch]

    assert merged.result() == 200
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

    def write(headers):
        client = app.test_client()
        return [
            client.post(url, json={"body": f"#nurce {n}"}, headers=headers).status_code
            for n in range(COMMENTS_EACH)
        ]

    def rename(headers):
        return (
            app.test_client()
            .post(
                "/api/v1/projects/herbarium/tags/nurce/rename",
                json={"new_name": "nurse"},
                headers=headers,
            )
            .status_code
        )

    with ThreadPoolExecutor(WRITERS + 1) as pool:
        renamed = pool.submit(rename, token(curator))
        statuses = [s for batch in pool.map(write, writers) for s in batch]

    assert renamed.result() == 200
    assert statuses == [201] * (WRITERS * COMMENTS_EACH)
    assert tag_state(herbarium)["tags"] == {
        "nurse": (1 + WRITERS * COMMENTS_EACH, 1, 1, 1 + WRITERS)
    }
