"""CPU time per request, in-process, for the cases of ``bench/pages.py`` and the bare Flask
baseline: what a request costs Talk's Python, unaffected by other work on a shared machine.

    .venv/bin/python bench/cpu.py --manifest /tmp/me/g.json --cases "API item" "thread logged in"
    .venv/bin/python bench/cpu.py --manifest /tmp/me/g.json --cases "notifications" --profile

Each case runs through the app's test client (WSGI, so the page cache's middleware too): a few
warm-up requests, then ``--rounds`` rounds of ``--requests``; the figure is the lowest round's
mean of ``time.process_time()`` per request (the least disturbed). ``--cache`` turns the page
cache on (its generation file in a temporary instance folder), so anonymous cases are hits, and
so are logged-in ones (kept per login); ``--miss`` moves the private generation before each
request, so logged-in pages are rendered and stored each time (a miss's whole cost).
``--profile`` prints a pyinstrument profile of each case instead (pyinstrument must be installed).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import baseline_app
import run_cases


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--cases", nargs="*", help="case names (default: every GET case)")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cache", action="store_true", help="page cache on")
    parser.add_argument("--miss", action="store_true", help="logged-in pages never kept")
    parser.add_argument("--profile", action="store_true", help="pyinstrument, one case each")
    return parser.parse_args(argv)


def talk_app(manifest: dict[str, Any], cache: bool, instance: str) -> Any:
    from talk import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": manifest["database_url"],
            "TALK_PAGE_SIZE": int(manifest["hot_discussion"]["per_page"]),
            "TALK_RATE_LIMITS": False,
            "TALK_PAGE_CACHE": cache,
            "SECRET_KEY": "bench-cpu",
            "INSTANCE_PATH": instance,
        }
    )


def requester(
    app: Any, case: run_cases.Case, manifest: dict[str, Any], miss: bool = False
) -> Callable[[], int]:
    """One request of ``case`` as its caller (logged in through the login form if need be);
    ``miss``: after moving the private generation, as any write would."""
    client = app.test_client()
    headers: dict[str, str] = {}
    if case.who in ("user", "moderator"):
        account = manifest[case.who]
        page = client.get("/login").get_data(as_text=True)
        form = {"login": account["username"], "password": account["password"]}
        form["csrf_token"] = run_cases.csrf_token(page)
        if client.post("/login", data=form).status_code != 302:
            raise SystemExit(f"login as {account['username']} failed")
    elif case.who == "token":
        headers["Authorization"] = f"Bearer {manifest['user']['token']}"

    cache = app.extensions.get("talk_page_cache")

    def once() -> int:
        if miss and cache is not None:
            cache.personal.bump()
        return client.get(case.path, headers=headers).status_code

    return once


def cpu_ms(once: Callable[[], int], requests: int, rounds: int) -> float:
    for _ in range(3):
        status = once()
        if status >= 400:
            raise SystemExit(f"answered {status}")
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(requests):
            once()
        best = min(best, (time.process_time() - start) / requests)
    return best * 1000


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    manifest = json.loads(args.manifest.read_text())
    with tempfile.TemporaryDirectory() as instance:
        app = talk_app(manifest, args.cache, instance)
        last = run_cases.last_page_path(app, manifest["hot_discussion"]["id"])
        cases = [c for c in run_cases.cases_for(manifest, last) if not c.post_template]
        if args.cases:
            cases = [c for c in cases if c.name in args.cases]
        bare = baseline_app.create_app().test_client()
        base = cpu_ms(lambda: bare.get("/").status_code, args.requests * 10, args.rounds)
        print(f"{'bare Flask':<22} {base:8.3f} ms")
        for case in cases:
            once = requester(app, case, manifest, args.miss)
            if args.profile:
                from pyinstrument import Profiler

                once()
                with Profiler(interval=0.0005) as profiler:
                    for _ in range(args.requests):
                        once()
                print(profiler.output_text(unicode=False, color=False, show_all=False))
                continue
            ms = cpu_ms(once, args.requests, args.rounds)
            print(f"{case.name:<22} {ms:8.3f} ms  {base / ms:7.1%} of bare")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
