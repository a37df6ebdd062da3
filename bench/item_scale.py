"""Issue 12: "an item page costs the same with 1,000 or 1,000,000 comments in the project".

CPU per request of uncached item pages (page cache off, in-process: the figure a shared machine
disturbs least) for items of one shape — three comments, no tags — in each generated project
given, so that only the project's size differs. Figures, not assertions::

    .venv/bin/python bench/generate.py --database-url sqlite:////tmp/s1k.sqlite \\
        --manifest /tmp/s1k.json --comments 1000
    .venv/bin/python bench/item_scale.py /tmp/s1k.json /tmp/gen/g1m.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cpu
from sqlalchemy import text

#: Items of the same shape in any project: their discussions hold three comments, no tags.
_SAME_SHAPE = text(
    "SELECT i.external_id FROM items i JOIN discussions d ON d.item_id = i.id"
    " GROUP BY i.id, i.external_id HAVING sum(d.comment_count) = 3"
    " AND i.id NOT IN (SELECT item_id FROM item_tags) ORDER BY i.id LIMIT :items"
)


def _requester(client: Any, page: str) -> Callable[[], int]:
    return lambda: client.get(page).status_code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifests", nargs="+", type=Path)
    parser.add_argument("--items", type=int, default=5)
    args = parser.parse_args()
    for path in args.manifests:
        manifest = json.loads(path.read_text())
        app = cpu.talk_app(manifest, False, tempfile.mkdtemp())
        from talk.extensions import db

        with app.app_context():
            items = db.session.execute(_SAME_SHAPE, {"items": args.items}).scalars().all()
        pages = [f"/projects/{manifest['project']}/items/{item}" for item in items]
        costs = [cpu.cpu_ms(_requester(app.test_client(), page), 30, 5) for page in pages]
        shown = ", ".join(f"{cost:.2f}" for cost in costs)
        print(f"{manifest['counts']['comments']:>9,} comments: item page {shown} ms CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
