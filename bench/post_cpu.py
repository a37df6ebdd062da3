"""CPU time and SQL statements per API post, in-process: what posting a comment costs Talk's
Python, unaffected by other work on a shared machine (issue 12's write target).

    .venv/bin/python bench/post_cpu.py [--posts 150] [--rounds 3] [--database-url URL]
    .venv/bin/python bench/post_cpu.py --profile        # pyinstrument of one round instead

It builds :mod:`write_path`'s project (200 people, 40 discussions) on a fresh database, then
posts through the app's test client as ``wrk`` does through ``talk serve``: the JSON API, a
bearer token, a comment with a hashtag and a mention, a new text each time, into the 40
discussions in turn. The figure is the lowest round's mean ``time.process_time()`` per post
(the least disturbed: :func:`cpu.cpu_ms`, after its 3 warm-up posts); beside it, the write
baseline's view (one ``INSERT`` in one transaction, :func:`write_path.baseline_app`) measured
the same way in the same process, and the ratio.
To compare two versions, run it from each checkout in turn (``PYTHONPATH`` at the other's
tree), alternating.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cpu
import scale
import write_path
from sqlalchemy import event

from talk import policy
from talk.extensions import db
from talk.models import User
from talk.services import tokens


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=150, help="posts per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="a database of its own")
    parser.add_argument("--profile", action="store_true", help="pyinstrument, one round")
    args = parser.parse_args()
    own = Path(tempfile.gettempdir()) / f"talk-post-cpu-{os.getpid()}.sqlite"
    url = scale.fresh_database(args.database_url or f"sqlite:///{own}")
    app = write_path.make_app(url)
    people, threads = write_path.build(app)
    with app.app_context():
        owner = db.session.get(User, people[0])
        secret = tokens.issue_token(policy.OPERATOR, owner, name="bench").secret
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    numbers = itertools.count()
    statements = 0

    def counted(*_: object) -> None:
        nonlocal statements
        statements += 1

    def post() -> int:
        n = next(numbers)
        text = f"Reply {n} #ward{n % 200} @person{(n * 7) % 200} is this the same hand as before?"
        path = f"/api/v1/discussions/{threads[n % len(threads)]}/comments"
        answer = client.post(path, json={"body": text}, headers=headers)
        if answer.status_code != 201:
            raise SystemExit(f"answered {answer.status_code}: {answer.get_data(as_text=True)}")
        return answer.status_code

    for _ in range(200):  # warm up: templates, caches, every discussion and tag once
        post()
    if args.profile:
        from pyinstrument import Profiler

        with Profiler(interval=0.0002) as profiler:
            for _ in range(args.posts):
                post()
        print(profiler.output_text(unicode=False, color=False, show_all=False))
        return 0
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counted)
    talk_ms = cpu.cpu_ms(post, args.posts, args.rounds)
    event.remove(engine, "before_cursor_execute", counted)
    per_post = statements / (args.posts * args.rounds + 3)  # cpu_ms warms up with 3
    os.environ["TALK_DATABASE_URL"] = url
    bare = write_path.baseline_app().test_client()
    bodies = itertools.count()
    base_ms = cpu.cpu_ms(
        lambda: bare.post("/write", data={"body": f"row {next(bodies)}"}).status_code,
        args.posts,
        args.rounds,
    )
    engine_name = url.split(":", maxsplit=1)[0]
    print(
        f"{engine_name}: post {talk_ms:.2f} ms CPU, {per_post:.1f} SQL statements; "
        f"baseline {base_ms:.2f} ms; ratio {base_ms / talk_ms:.1%}"
    )
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
