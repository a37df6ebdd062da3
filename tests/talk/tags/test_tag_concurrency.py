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
