"""``bench/pages.py`` end to end, as small as it goes: 200 generated comments, one case, one
repeat of one second. It shows the runner still works (servers start, wrk runs, every figure is
there), not how fast anything is: speed is read from the benchmark's own output.

It starts five Python processes (the generator, two servers of two workers) and takes 20–90 s
on a shared machine, so it runs only when asked: ``TALK_BENCH_TEST=1``."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.commits
@pytest.mark.skipif(
    os.environ.get("TALK_BENCH_TEST") != "1",
    reason="starts servers: set TALK_BENCH_TEST=1 to run it",
)
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk (Debian package) is not installed")
@pytest.mark.skipif(
    not (BENCH / "generate.py").exists(), reason="bench/generate.py (the data) is not there"
)
def test_one_case_runs_against_its_baseline_and_reports_every_figure(tmp_path):
    out = tmp_path / "pages.json"
    command = [
        sys.executable,
        str(BENCH / "pages.py"),
        "--comments",
        "200",
        "--cases",
        "thread first page",
        "--seconds",
        "1",
        "--repeats",
        "1",
        "--connections",
        "8",
        "--job-workers",
        "1",
        "--jobs",
        "none",
        "--results",
        str(tmp_path / "RESULTS.md"),
        "--json",
        str(out),
    ]
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    (row,) = json.loads(out.read_text())["rows"]
    assert row["case"] == "thread first page"
    assert row["non_2xx"] == row["errors"] == 0
    assert row["rps"] > 0 and row["baseline_rps"] > 0 and row["ratio"] > 0
    assert row["sql"] > 0 and row["rss_mb"] > 0
    assert [t["target"] for t in row["targets"]] == ["≥ 30% of baseline", "p99 < 100 ms"]
    results = (tmp_path / "RESULTS.md").read_text()
    assert "<!-- pages.py:latest -->" in results
    assert "| thread first page |" in results
    assert results.rstrip().endswith("(None yet.)")
    workers = json.loads(out.read_text())["settings"]["job_workers"]
    assert (workers["count"], workers["running"], workers["tracebacks"]) == (1, 1, 0)
    assert "- Workers: `talk worker` × 1 on the same database" in results


BENCH_TEST = pytest.mark.skipif(
    os.environ.get("TALK_BENCH_TEST") != "1", reason="generates data: set TALK_BENCH_TEST=1"
)


@pytest.mark.commits
@BENCH_TEST
def test_the_export_benchmark_reports_each_size_and_the_command(tmp_path):
    url = f"sqlite:///{tmp_path / 'export.sqlite'}"
    command = [sys.executable, str(BENCH / "export.py"), "--comments", "200"]
    command += ["--database-url", url, "--rows", "50,100,1000"]
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "sqlite, export of 200 comments" in run.stdout
    lines = [line for line in run.stdout.splitlines() if line.startswith("| ")]
    assert [line.split(" | ")[0] for line in lines[2:]] == [
        "| 50",
        "| 100",
        "| 200",
        "| `talk export-comments` (all 200)",
    ]
