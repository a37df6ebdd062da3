"""Search latency in-process on a generated project (``bench/generate.py``'s manifest): the
manifest's two words, phrase, and two words with its tag filter, through the search page.

    .venv/bin/python bench/search_window.py --manifest /tmp/big.json --runs 50

Each case is requested ``--runs`` times through ``app.test_client()`` (page cache off) after one
warm-up; p50/p95 of wall time and of this process's CPU time (on SQLite the engine runs in this
process, so CPU time is the search's cost even on a busy machine; on PostgreSQL it leaves out
the server's work, so read wall time there, with the load average printed). docs/search.md has
the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from urllib.parse import urlencode

from talk import create_app


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--window", type=int, help="TALK_SEARCH_RANK_WINDOW (default: its own)")
    args = parser.parse_args()
    manifest = json.loads(Path(args.manifest).read_text())
    config = {"SQLALCHEMY_DATABASE_URI": manifest["database_url"], "TALK_PAGE_CACHE": False}
    if args.window:
        config["TALK_SEARCH_RANK_WINDOW"] = args.window
    app = create_app(config)
    words, phrase, tag = (manifest["search"][k] for k in ("words", "phrase", "tag"))
    project = manifest["project"]
    cases = {
        "two words": {"q": words, "project": project},
        "phrase": {"q": phrase, "project": project},
        "two words + tag": {"q": words, "project": project, "tag": tag},
    }
    client = app.test_client()
    window = app.config.get("TALK_SEARCH_RANK_WINDOW")
    print(f"load average {os.getloadavg()[0]:.2f}; {args.runs} runs a case; window {window}")
    for name, params in cases.items():
        url = "/search?" + urlencode(params)
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        walls, cpus = [], []
        for _ in range(args.runs):
            wall, cpu = time.perf_counter(), time.process_time()
            client.get(url)
            cpus.append(time.process_time() - cpu)
            walls.append(time.perf_counter() - wall)
        ms = {k: [v * 1000 for v in vals] for k, vals in (("wall", walls), ("cpu", cpus))}
        print(
            f"{name:16} wall p50 {statistics.median(ms['wall']):7.1f} ms "
            f"p95 {percentile(ms['wall'], 0.95):7.1f} ms | "
            f"cpu p50 {statistics.median(ms['cpu']):7.1f} ms "
            f"p95 {percentile(ms['cpu'], 0.95):7.1f} ms"
        )
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
