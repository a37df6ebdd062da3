"""Search latency in-process on a generated project (``bench/generate.py``'s manifest): the
manifest's two words, phrase, and two words with its tag filter, through the search page.

    .venv/bin/python bench/search_window.py --manifest /tmp/big.json --runs 50
    .venv/bin/python bench/search_window.py --manifest /tmp/big.json --spans 0,32

Each case is requested ``--runs`` times through ``app.test_client()`` (page cache off) after one
warm-up; with ``--spans``, once for each ``TALK_SEARCH_NEWEST_SPAN`` in turn each run
(interleaved, so the baseline — 0, one search of every document — is measured under the same
load); p50/p95 of wall time and of this process's CPU time (on SQLite the engine runs in this
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
    parser.add_argument(
        "--spans", help="TALK_SEARCH_NEWEST_SPAN values to interleave, e.g. 0,32 (default: its own)"
    )
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
    spans: list[int | None] = [int(v) for v in args.spans.split(",")] if args.spans else [None]
    for name, params in cases.items():
        url = "/search?" + urlencode(params)
        times: dict[int | None, tuple[list[float], list[float]]] = {}
        for span in spans:
            app.config["TALK_SEARCH_NEWEST_SPAN"] = span
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            times[span] = ([], [])
        for _ in range(args.runs):
            for span in spans:
                app.config["TALK_SEARCH_NEWEST_SPAN"] = span
                wall, cpu = time.perf_counter(), time.process_time()
                client.get(url)
                times[span][1].append(time.process_time() - cpu)
                times[span][0].append(time.perf_counter() - wall)
        for span, (walls, cpus) in times.items():
            ms = {k: [v * 1000 for v in vals] for k, vals in (("wall", walls), ("cpu", cpus))}
            label = name if span is None else f"{name} [span {span}]"
            print(
                f"{label:26} wall p50 {statistics.median(ms['wall']):7.1f} ms "
                f"p95 {percentile(ms['wall'], 0.95):7.1f} ms | "
                f"cpu p50 {statistics.median(ms['cpu']):7.1f} ms "
                f"p95 {percentile(ms['cpu'], 0.95):7.1f} ms"
            )
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
