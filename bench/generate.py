"""Build one heritage-scale Talk project fast, as the write path would have left it.

    python bench/generate.py --database-url sqlite:////tmp/big.sqlite --manifest big.json
    python bench/generate.py --database-url postgresql://postgres@127.0.0.1:5432/big \\
        --manifest big.json --comments 20000 --seed 2
    python bench/generate.py --database-url URL --check      # check an existing one

The database is made afresh (never one named ``test``) and migrated; the project's staff, the
bench user and its API token come from the services; people, items, discussions, comments and
what comments write (tags and their aggregates, mentions, follows, every counter; search
entries through the database's own triggers) are written in bulk, from shapes calibrated on a
real Talk export (:mod:`gen_text`, :mod:`gen_plan`). Every distinct body is rendered once by
the services' own code (:mod:`gen_render`). At the end :mod:`gen_check` compares a sample
of comments with what posting them through the services writes, and every counter with its
recount; any difference is printed and the exit status is 1. docs/benchmarks.md, "The data
generator", has the measured shapes and timings.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import upgrade
from gen_check import check
from gen_db import fresh_database, insert_rows, next_id, reset_sequences
from gen_plan import Sizes, derive, moment, plan
from gen_render import render_all, write_bodies
from gen_text import Calibration, calibration_dir
from gen_write import (
    PASSWORD,
    tag_by_uses,
    write_counters,
    write_discussions,
    write_items,
    write_links,
    write_people,
)
from scale import COMMENT_COLUMNS, maintain
from sqlalchemy import func, select

from talk import create_app, policy
from talk.extensions import db
from talk.models import Board, User
from talk.services import accounts, projects, tokens

PROJECT = "heritage-bench"
# Words too common to make a search benchmark's query.
_STOP_TEXT = (
    "the and for that this with was are but not you have from they all can what when there "
    "which were one will would been has had also just some any out into only more then than "
    "them its it's our your his her she him who how about like very"
)
STOP_WORDS = frozenset(_STOP_TEXT.split())


def app_config(url: str) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": tempfile.gettempdir(),
        "SECRET_KEY": "generate",
        "TALK_RATE_LIMITS": False,
        "TALK_DUPLICATE_COMMENT_MINUTES": 0,
    }


def make_app(url: str) -> Flask:
    return create_app(app_config(url))


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the rendering processes): on a
    shared machine a steadier figure than the time on the clock."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Phases:
    """Seconds per phase (on the clock, and of CPU), printed as each ends."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.started = time.perf_counter()
        self.cpu_started = cpu_seconds()

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        began, cpu = time.perf_counter(), cpu_seconds()
        yield
        self.seconds[name] = time.perf_counter() - began
        print(
            f"{name:<28} {self.seconds[name]:8.1f} s  (CPU {cpu_seconds() - cpu:7.1f} s)",
            flush=True,
        )

    def total(self) -> float:
        return time.perf_counter() - self.started

    def cpu(self) -> float:
        return cpu_seconds() - self.cpu_started


def staff_and_project() -> dict[str, Any]:
    """Through the services: an owner, a moderator, an expert, the bench user and its token."""
    operator = policy.OPERATOR

    def person(name: str, **kwargs: Any) -> Any:
        return accounts.create_user(operator, name, f"{name}@example.org", PASSWORD, **kwargs)

    owner = person("benchowner", display_name="Bench Owner", site_admin=True)
    project = projects.create_project(
        operator, PROJECT, "Minute books of a heritage hospital", owner=owner
    )
    projects.set_role(
        operator, project, person("benchmod", display_name="Bench Moderator"), "moderator"
    )
    expert = person("benchexpert", display_name="Bench Archivist")
    projects.set_role(operator, project, expert, "expert", label="Archivist")
    bench = person("bench", display_name="Bench Volunteer")
    token = tokens.issue_token(operator, bench, name="bench").secret
    db.session.commit()
    return {"project_id": project.id, "token": token, "bench_id": bench.id}


def search_terms(bodies: list[str]) -> tuple[str, str]:
    """Two frequent words (each in many bodies) and a frequent phrase: two words written next
    to each other, as they are, in many bodies."""
    words: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    plain = re.compile(r"[a-z]{3,}")
    for body in bodies[:20_000]:
        tokens = body.lower().split()
        words.update({t for t in tokens if plain.fullmatch(t)} - STOP_WORDS)
        pairs.update(
            {
                f"{a} {b}"
                for a, b in itertools.pairwise(tokens)
                if plain.fullmatch(a) and plain.fullmatch(b) and not {a, b} & STOP_WORDS
            }
        )
    (first, _), (second, _) = words.most_common(2)
    return f"{first} {second}", pairs.most_common(1)[0][0]


def generate(args: argparse.Namespace) -> dict[str, Any]:
    phases = Phases()
    sizes = Sizes.scaled(args.comments, args.distinct)
    rng = random.Random(args.seed)
    with phases("calibrate and plan"):
        calibration = Calibration.measure(calibration_dir(args.calibration))
        for line in calibration.summary():
            print("  " + line)
        p = plan(sizes, calibration, rng)
    with phases("create and migrate"):
        url = fresh_database(args.database_url)
        app = make_app(url)
        with app.app_context():
            upgrade()
    with app.app_context():
        with phases("staff, project, token"):
            made = staff_and_project()
            project_id = made["project_id"]
            ordered = db.session.scalars(
                select(Board).where(Board.project_id == project_id).order_by(Board.position)
            ).all()
            boards = [b.id for b in ordered]
            items_board = ordered[0].id
        with phases("people"):
            users = write_people(sizes, p, next_id("users"))
        with phases("items"):
            items, external_ids = write_items(sizes, p, calibration, project_id)
        with phases("bodies (write and render)"):
            bodies = write_bodies(
                sizes.distinct,
                calibration,
                rng,
                usernames=[f"volunteer{i}" for i in p.user_rank],
                external_ids=external_ids,
                tag_names=max(len(calibration.tag_names), sizes.comments // 40),
            )
            pool = render_all(bodies, app_config(url), items_board)
        with phases("discussions"):
            discussions = write_discussions(p, project_id, boards, items, users)
        with phases("comments"):
            first_comment = next_id("comments")
            rows = (
                (first_comment + i, project_id, discussions[p.c_disc[i]], users[p.c_author[i]],
                 pool[p.c_body[i]].body, pool[p.c_body[i]].html, moment(p.c_time[i]))
                for i in range(len(p.c_disc))
            )  # fmt: skip
            insert_rows("comments", COMMENT_COLUMNS, rows, total=len(p.c_disc))
        with phases("tags, mentions, follows"):
            derived = derive(
                p, pool, project_id=project_id, first_comment=first_comment,
                disc_id=discussions, item_id=items, user_id=users,
            )  # fmt: skip
            followers = write_links(derived, p, project_id, discussions, users, sizes, rng)
        with phases("counters, sequences"):
            write_counters(project_id, boards, p, sizes.items)
            reset_sequences(("users", "items", "discussions", "comments", "tags"))
        with phases("maintenance (analyze)"):
            maintain()
        popular = tag_by_uses(derived)
        words, phrase = search_terms(bodies)
        manifest = {
            "engine": db.engine.dialect.name,
            "database_url": args.database_url,
            "seed": args.seed,
            "generated_in_seconds": 0.0,
            "counts": {
                "items": sizes.items,
                "comments": len(p.c_disc),
                "users": db.session.scalar(select(func.count()).select_from(User)),
                "discussions": len(p.d_board),
            },
            "project": PROJECT,
            "item": external_ids[p.busy_item],
            "item_quiet": external_ids[p.quiet_item],
            "hot_discussion": {"id": discussions[p.hot[0]], "comments": sizes.hot, "per_page": 10},
            "followed_discussion": {"id": discussions[p.followed], "followers": followers},
            "board": boards[2],
            "tag": popular[0],
            "search": {
                "words": words,
                "phrase": f'"{phrase}"',
                "tag": popular[min(1, len(popular) - 1)],
            },
            "user": {"username": "bench", "password": PASSWORD, "token": made["token"]},
            "moderator": {"username": "benchmod", "password": PASSWORD},
        }
        manifest["generated_in_seconds"] = round(phases.total(), 1)
        Path(args.manifest).write_text(json.dumps(manifest, indent=2) + "\n")
        print(
            f"{'total':<28} {phases.total():8.1f} s  (CPU {phases.cpu():7.1f} s); "
            f"manifest: {args.manifest}"
        )
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--manifest", help="where to write the manifest JSON")
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--distinct", type=int, help="distinct bodies (default 60,000)")
    parser.add_argument("--calibration", help="folder of the real Talk export to calibrate on")
    parser.add_argument("--sample", type=int, default=50, help="comments the check compares")
    parser.add_argument("--check", action="store_true", help="only check an existing database")
    args = parser.parse_args(argv)
    if args.comments < 100:
        parser.error("--comments must be at least 100")
    if not args.check:
        if not args.manifest:
            parser.error("--manifest is required to generate")
        generate(args)
    app = make_app(args.database_url)
    started = time.perf_counter()
    with app.app_context():
        problems = check(app, sample=args.sample, seed=args.seed)
    print(f"{'check':<28} {time.perf_counter() - started:8.1f} s")
    for problem in problems[:50]:
        print("DIFFERENCE " + problem)
    if problems:
        print(f"{len(problems)} differences from the write path", file=sys.stderr)
        return 1
    print(f"check: {args.sample} sampled comments and every counter match the write path")
    return 0


if __name__ == "__main__":
    sys.exit(main())
