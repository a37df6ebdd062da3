"""The output of ``bench/pages.py``: targets judged, the table printed, the JSON, and the
generated part of ``bench/RESULTS.md`` (one block per ``--label``; the hand-written
"Findings" below them is kept as it is)."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from run_cases import (
    LAST_PAGE_TARGET,
    P99_TARGET_MS,
    RATIO_TARGETS,
    SEARCH,
    SEARCH_P95_TARGET_MS,
    TARGET_CONNECTIONS,
)

ROOT = Path(__file__).resolve().parent.parent
FINDINGS = "## Findings"
HEADER = """# Benchmark results (issue 12)

Written by `bench/pages.py` ([docs/benchmarks.md](../docs/benchmarks.md) says what each figure
means). Each run replaces the block of its `--label` and leaves the others; the section
"Findings" at the end is written by hand and kept as it is.
"""


def judge(rows: list[dict[str, Any]]) -> None:
    """Add to each row at the target connection count its targets, each passed or missed."""
    by_name = {(r["case"], r["connections"]): r for r in rows}
    for row in rows:
        row["targets"] = []
        if row["connections"] != TARGET_CONNECTIONS:
            continue
        targets = row["targets"]
        answered = row["rps"] > 0  # no answer in the run: its latencies are 0, not fast
        wanted = RATIO_TARGETS[row["kind"]]
        base = "write baseline" if row["kind"] == "post" else "baseline"
        targets.append({"target": f"≥ {wanted:.0%} of {base}", "ok": row["ratio"] >= wanted})
        if row["kind"] in ("page", SEARCH):
            targets.append(
                {
                    "target": f"p99 < {P99_TARGET_MS:.0f} ms",
                    "ok": answered and row["p99_ms"] < P99_TARGET_MS,
                }
            )
        if row["kind"] == SEARCH:
            targets.append(
                {
                    "target": f"p95 < {SEARCH_P95_TARGET_MS:.0f} ms",
                    "ok": answered and row["p95_ms"] < SEARCH_P95_TARGET_MS,
                }
            )
        first = by_name.get(("thread first page", row["connections"]))
        if row["case"] == "thread last page" and first and row["rps"]:
            cost = first["rps"] / row["rps"]
            row["last_over_first"] = round(cost, 2)
            targets.append(
                {
                    "target": f"cost {cost:.2f}× first page ≤ {LAST_PAGE_TARGET}×",
                    "ok": cost <= LAST_PAGE_TARGET,
                }
            )


def verdicts(row: dict[str, Any]) -> str:
    return "; ".join(f"{t['target']} {'PASS' if t['ok'] else 'MISS'}" for t in row["targets"])


COLUMNS = [
    ("case", "{case}", 27),
    ("req/s", "{rps:,.0f}", 8),
    ("base req/s", "{baseline_rps:,.0f}", 10),
    ("ratio", "{ratio:.1%}", 6),
    ("p50 ms", "{p50_ms:.1f}", 7),
    ("p95 ms", "{p95_ms:.1f}", 7),
    ("p99 ms", "{p99_ms:.1f}", 7),
    ("base p99", "{baseline_p99_ms:.1f}", 8),
    ("SQL/req", "{sql}", 7),
    ("RSS MB", "{rss_mb:.0f}", 7),
]


def text_table(rows: list[dict[str, Any]]) -> str:
    lines = ["  ".join(f"{title:>{width}}" for title, _, width in COLUMNS) + "  targets"]
    for row in rows:
        cells = [fmt.format(**row) for _, fmt, _ in COLUMNS]
        lines.append(
            "  ".join(
                f"{cell:>{width}}" for cell, (_, _, width) in zip(cells, COLUMNS, strict=True)
            )
            + "  "
            + verdicts(row)
        )
    return "\n".join(lines)


def markdown_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| " + " | ".join(title for title, _, _ in COLUMNS) + " | targets |",
        "|" + "---|" * (len(COLUMNS) + 1),
    ]
    for row in rows:
        cells = [fmt.format(**row) for _, fmt, _ in COLUMNS]
        lines.append("| " + " | ".join(cells) + f" | {verdicts(row) or '—'} |")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """Where and when: cores, CPU model, memory, Python, the commit (``+`` when dirty)."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    memory = re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.MULTILINE)

    def git(*args: str) -> str:
        run = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return run.stdout.strip()

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git("rev-parse", "--short", "HEAD")
        + ("+" if git("status", "--porcelain") else ""),
        "cores": os.cpu_count(),
        "cpu": model.group(1) if model else platform.processor(),
        "memory_gb": round(int(memory.group(1)) / 1024**2, 1) if memory else None,
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _workers_line(report: dict[str, Any] | None) -> list[str]:
    """The ``talk worker``s that ran the site's jobs during the load, if any did."""
    if not report or not report["count"]:
        return []
    return [
        f"- Workers: `talk worker` × {report['count']} on the same database during the load "
        f"(fan-out and emails of the posted comments); {report['running']} still running at "
        f"the end, peak RSS {report['peak_rss_mb']} MB, {report['tracebacks']} tracebacks in "
        "their logs."
    ]


def markdown_block(result: dict[str, Any]) -> str:
    m, s, data = result["machine"], result["settings"], result["data"]
    counts = ", ".join(f"{v:,} {k}" for k, v in data["counts"].items())
    lines = [
        f"## Run “{result['label']}”: {data['engine']}, {data['counts'].get('comments', 0):,} "
        "comments",
        "",
        f"- When and where: {m['date']}, commit `{m['commit']}`; {m['cores']} cores "
        f"({m['cpu']}), {m['memory_gb']} GB memory; load average at start {m['load_average']} "
        "(a shared machine: read the ratios, not the absolute figures).",
        f"- Data: {counts}; hot thread {data['hot_discussion']['comments']:,} comments at "
        f"{data['hot_discussion']['per_page']} a page; followed discussion "
        f"{data['followed_discussion']['followers']:,} followers.",
        f"- Server: `talk serve` (granian) × {s['servers']}, {s['workers']} workers × "
        f"{s['threads']} threads each; the baselines under the same command line. "
        f"wrk {s['seconds']:g} s per run, {s['repeats']} repeats interleaved with the baseline "
        "(median shown); rate limits off (`TALK_RATE_LIMITS=0`).",
        *_workers_line(s.get("job_workers")),
        f"- Command: `{s['command']}`",
        f"- Targets: {result['passed']} passed, {result['missed']} missed (at "
        f"{TARGET_CONNECTIONS} connections).",
        "",
    ]
    for connections in s["connections"]:
        rows = [r for r in result["rows"] if r["connections"] == connections]
        lines += [f"### {connections} connections", "", markdown_table(rows), ""]
    for name, job in result.get("jobs", {}).items():
        lines += [
            f"### Worker job: {name}",
            "",
            f"`{job['command']}` ({job['seconds']:.0f} s, exit {job['returncode']})",
            "",
            "```text",
            job["output"].rstrip(),
            "```",
            "",
        ]
    return "\n".join(lines)


def write_results(path: Path, result: dict[str, Any]) -> None:
    """Replace (or add) this label's block in ``path``, keeping every other block and the
    hand-written Findings."""
    label = result["label"]
    start, end = f"<!-- pages.py:{label} -->", f"<!-- /pages.py:{label} -->"
    block = f"{start}\n{markdown_block(result)}\n{end}\n"
    text = path.read_text() if path.exists() else f"{HEADER}\n{FINDINGS}\n\n(None yet.)\n"
    generated, found, findings = text.partition(FINDINGS)
    if not found:
        generated, findings = text, "\n\n(None yet.)\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.DOTALL)
    if pattern.search(generated):
        generated = pattern.sub(lambda _: block, generated)
    else:
        generated = generated.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(generated.rstrip("\n") + "\n\n" + FINDINGS + findings)
