"""Several people saving a group with the same title at the same moment each get a group, at
its own address (on PostgreSQL the inserts truly race; SQLite queues the writers)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

API = "/api/v1/projects/herbarium/groups"

pytestmark = pytest.mark.commits  # writer threads, each on its own connection


def test_groups_saved_at_once_with_one_title_each_get_their_own_address(
    app: Any, make: Any, herbarium: Any, token: Any
) -> None:
    writers = [token(make.user()) for _ in range(6)]

    def save(headers: dict[str, str]) -> tuple[int, Any]:
        response = app.test_client().post(
            API, json={"title": "Nurses", "query": "#nurse"}, headers=headers
        )
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(len(writers)) as pool:
        answers = list(pool.map(save, writers))

    assert [status for status, _ in answers] == [201] * len(writers), answers
    slugs = sorted(body["slug"] for _, body in answers)
    assert slugs == sorted(["nurses", *(f"nurses-{n}" for n in range(2, len(writers) + 1))])
    listed = app.test_client().get(API).get_json()["data"]
    assert sorted(group["slug"] for group in listed) == slugs
