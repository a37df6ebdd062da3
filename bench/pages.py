"""The load benchmark of issue 12: Talk's pages, API and posting under ``talk serve``, each as a
ratio to a bare Flask baseline served the same way in the same run. Figures, not assertions.

    .venv/bin/python bench/pages.py                      # 20,000 comments on SQLite (~35 min)
    .venv/bin/python bench/pages.py --seconds 3 --repeats 1 --connections 8 --jobs none
    .venv/bin/python bench/pages.py --full               # 1,000,000 comments

docs/benchmarks.md has the other options (PostgreSQL, reusing data) and the detail:

1. Builds the data with ``bench/generate.py`` (``--comments``, ``--full``), or reads the
   manifest a previous generation wrote (``--manifest``).
2. Counts each case's SQL statements per request in-process (the app's test client on the same
   database).
3. Starts ``talk serve`` (granian, 2 workers; on PostgreSQL two servers and two ``talk
   worker``s), the baselines of ``bench/baseline_app.py`` under the same granian command line,
   logs in for the logged-in cases, and checks every case answers 2xx.
4. At each ``--connections``, ``--repeats`` times: for each case, wrk on the baseline, then wrk
   on the case (``--seconds`` each); the median is reported, with p50/p95/p99, the ratio to the
   baseline, SQL per request, the servers' peak RSS, and the issue's targets (PASS/MISS).
5. Runs the job benchmarks (``bench/fanout.py``, ``digests.py``, ``newsletters.py``,
   ``export.py``) at the issue's sizes and keeps their output.
6. Writes ``--json`` and the block of ``--label`` in ``bench/RESULTS.md``.

Exits 1 when any request failed (a socket error or an answer over 399) or a job failed; a
missed target is reported, not an error.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import baseline_app
import run_cases
import run_report
from run_cases import Case
from run_wrk import (
    BENCH,
    BIN,
    Server,
    ensure_wrk,
    lua_script,
    run_wrk,
    start_server,
    start_workers,
    worker_report,
)

ROOT = BENCH.parent
QUICK_COMMENTS = 20_000
FULL_COMMENTS = 1_000_000
WORKERS, THREADS = 2, 8

#: The worker jobs, at the issue's sizes: its script and arguments.
JOBS = {
    "fanout": ["fanout.py", "--followers", "10000", "--posts", "40"],
    "digests": ["digests.py", "--people", "50000", "--waiting", "3"],
    "newsletters": ["newsletters.py", "--people", "100000", "--send", "5000"],
    "export": ["export.py"],  # reads the load's project (the run's manifest), writes nothing
}


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    data = parser.add_argument_group("data")
    data.add_argument("--manifest", type=Path, help="use data generate.py built (skip generating)")
    data.add_argument("--comments", type=int, default=QUICK_COMMENTS, help="generate this many")
    data.add_argument("--full", action="store_true", help=f"generate {FULL_COMMENTS:,} comments")
    data.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    data.add_argument(
        "--database-url",
        help="where to generate (required for postgresql; it is created afresh); with "
        "--manifest, overrides the manifest's",
    )
    load = parser.add_argument_group("load")
    load.add_argument("--seconds", type=int, default=10, help="per wrk run (whole seconds)")
    load.add_argument("--connections", default="8,64", help="comma-separated")
    load.add_argument("--repeats", type=int, default=3)
    load.add_argument("--cases", help="comma-separated case names (default: all)")
    load.add_argument("--servers", type=int, help="app servers (default: 1 on SQLite, 2 on PG)")
    load.add_argument("--job-workers", type=int, help="talk workers meanwhile (0 SQLite, 2 PG)")
    jobs = parser.add_argument_group("worker jobs")
    jobs.add_argument("--jobs", default=",".join(JOBS), help="comma-separated, or none")
    jobs.add_argument(
        "--jobs-database-url",
        help="a database of its own for the jobs (they empty it); default: SQLite files",
    )
    jobs.add_argument("--job-timeout", type=int, default=1800, help="seconds per job")
    out = parser.add_argument_group("output")
    out.add_argument("--json", type=Path, help="write every figure here")
    out.add_argument("--results", default=str(BENCH / "RESULTS.md"), help="or none")
    out.add_argument("--label", default="latest", help="the RESULTS.md block to (re)write")
    args = parser.parse_args(argv)
    if args.full:
        args.comments = FULL_COMMENTS
    args.connections = [int(c) for c in args.connections.split(",") if c.strip()]
    if args.manifest is None and args.engine == "postgresql" and not args.database_url:
        parser.error("--engine postgresql needs --database-url (a database it may recreate)")
    return args


def workdir() -> Path:
    path = Path(tempfile.gettempdir()) / "talk-bench"
    path.mkdir(exist_ok=True)
    return path


def manifest_for(args: argparse.Namespace) -> dict[str, Any]:
    """The manifest given, or the one ``bench/generate.py`` writes for a fresh database."""
    args.manifest_path = args.manifest
    if args.manifest is not None:
        manifest = json.loads(args.manifest.read_text())
        if args.database_url:
            manifest["database_url"] = args.database_url
        return dict(manifest)
    generator = BENCH / "generate.py"
    if not generator.exists():
        raise SystemExit(f"{generator} is missing: give --manifest of data built otherwise")
    url = args.database_url or f"sqlite:///{workdir() / f'pages-{args.comments}.sqlite'}"
    path = workdir() / f"manifest-{args.engine}-{args.comments}.json"
    command = [sys.executable, str(generator), "--database-url", url, "--manifest", str(path)]
    command += ["--comments", str(args.comments)]
    print("Generating:", shlex.join(command), flush=True)
    subprocess.run(command, check=True)
    args.manifest_path = path
    return dict(json.loads(path.read_text()))


def chosen_cases(args: argparse.Namespace, app: Any, manifest: dict[str, Any]) -> list[Case]:
    last = run_cases.last_page_path(app, manifest["hot_discussion"]["id"])
    cases = run_cases.cases_for(manifest, last)
    if args.cases:
        wanted = [name.strip() for name in args.cases.split(",")]
        unknown = set(wanted) - {c.name for c in cases}
        if unknown:
            names = ", ".join(c.name for c in cases)
            raise SystemExit(f"Unknown case(s) {sorted(unknown)}; the cases are: {names}")
        cases = [c for c in cases if c.name in wanted]
    return cases


def start_servers(
    count: int, url: str, env: dict[str, str], logs: Path
) -> tuple[list[Server], list[Server]]:
    """``count`` Talk servers and as many baselines, all with the same granian settings."""
    from talk import serving

    def talk_argv(port: int) -> list[str]:
        bind = f"127.0.0.1:{port}"
        workers, threads = str(WORKERS), str(THREADS)
        return [
            str(BIN / "talk"),
            "serve",
            "--bind",
            bind,
            "--workers",
            workers,
            "--threads",
            threads,
        ]

    def baseline_argv(port: int) -> list[str]:
        argv = serving.server_argv(f"127.0.0.1:{port}", WORKERS, THREADS)
        return [*argv[:-1], "baseline_app:create_app"]

    baseline_app.create_table(url)
    talk = [start_server(f"talk-{n}", talk_argv, env, ROOT, logs) for n in range(count)]
    bases = [start_server(f"baseline-{n}", baseline_argv, env, BENCH, logs) for n in range(count)]
    return talk, bases


def measure(
    wrk: str,
    servers: list[Server],
    path: str,
    case: Case | None,
    *,
    connections: int,
    seconds: int,
    scripts: Path,
) -> tuple[Any, float]:
    """One wrk run on every server at once; its load figures and the servers' peak RSS."""
    for server in servers:
        server.reset_peak_memory()
    post = case.post_template if case else None
    load = run_wrk(
        wrk,
        [server.url + path for server in servers],
        connections=connections,
        seconds=seconds,
        headers=case.headers if case else {},
        script=lua_script(scripts, post, vary_url=bool(case and case.uncached)),
    )
    return load, sum(server.peak_memory_mb() for server in servers)


def row_for(case: Case, connections: int, runs: list[dict[str, Any]], sql: int) -> dict[str, Any]:
    """The medians of a case's repeats at one connection count."""

    def median(key: str) -> float:
        return float(statistics.median(run[key] for run in runs))

    return {
        "case": case.name,
        "kind": case.kind,
        "path": case.path,
        "connections": connections,
        "rps": median("rps"),
        "baseline_rps": median("baseline_rps"),
        "ratio": median("ratio"),
        "p50_ms": median("p50_ms"),
        "p95_ms": median("p95_ms"),
        "p99_ms": median("p99_ms"),
        "baseline_p99_ms": median("baseline_p99_ms"),
        "sql": sql,
        "rss_mb": max(run["rss_mb"] for run in runs),
        "baseline_rss_mb": max(run["baseline_rss_mb"] for run in runs),
        "non_2xx": sum(run["non_2xx"] for run in runs),
        "errors": sum(run["errors"] for run in runs),
        "repeats": runs,
    }


def load_rounds(
    args: argparse.Namespace,
    wrk: str,
    cases: list[Case],
    sql: dict[str, int],
    talk: list[Server],
    bases: list[Server],
    scripts: Path,
) -> list[dict[str, Any]]:
    """Baseline, case, baseline, case…: every case ``--repeats`` times at each connection
    count; the medians."""
    write_case = Case("write baseline", run_cases.POST, "/write", post_template='{"body": "%d-%d"}')
    # Warm up: the first requests import and connect, and each page's first render in each
    # process (templates compiled, the page cache filled) is a one-off, not the steady state.
    warmups = [([server.url + "/"], {}) for server in [*talk, *bases]]
    warmups += [([s.url + c.path for s in talk], c.headers) for c in cases if not c.post_template]
    for urls, headers in warmups:
        run_wrk(
            wrk, urls, connections=8, seconds=1, headers=headers, script=lua_script(scripts, None)
        )
    rows = []
    for connections in args.connections:
        runs: dict[str, list[dict[str, Any]]] = {case.name: [] for case in cases}
        for repeat in range(1, args.repeats + 1):
            for case in cases:
                write = case.baseline == "write"
                base, base_rss = measure(
                    wrk,
                    bases,
                    "/write" if write else "/",
                    write_case if write else None,
                    connections=connections,
                    seconds=args.seconds,
                    scripts=scripts,
                )
                load, rss = measure(
                    wrk,
                    talk,
                    case.path,
                    case,
                    connections=connections,
                    seconds=args.seconds,
                    scripts=scripts,
                )
                ratio = load.rps / base.rps if base.rps else 0.0
                runs[case.name].append(
                    {
                        "rps": load.rps,
                        "baseline_rps": base.rps,
                        "ratio": ratio,
                        "p50_ms": load.p50_ms,
                        "p95_ms": load.p95_ms,
                        "p99_ms": load.p99_ms,
                        "baseline_p99_ms": base.p99_ms,
                        "non_2xx": load.non_2xx + base.non_2xx,
                        "errors": load.errors + base.errors,
                        "rss_mb": rss,
                        "baseline_rss_mb": base_rss,
                    }
                )
                failed = load.non_2xx + load.errors + base.non_2xx + base.errors
                print(
                    f"  c={connections:<3} repeat {repeat}/{args.repeats}  {case.name:<20} "
                    f"{load.rps:8,.0f} req/s  baseline {base.rps:8,.0f}  {ratio:5.0%}  "
                    f"p99 {load.p99_ms:6.1f} ms (baseline {base.p99_ms:.1f})"
                    + (f"  FAILED {failed}" if failed else ""),
                    flush=True,
                )
        rows += [row_for(case, connections, runs[case.name], sql[case.name]) for case in cases]
    return rows


def run_jobs(args: argparse.Namespace, env: dict[str, str], url: str) -> dict[str, dict[str, Any]]:
    """The worker-job benchmarks as subprocesses, each on a database of its own."""
    names = [] if args.jobs.strip() == "none" else [n.strip() for n in args.jobs.split(",")]
    unknown = set(names) - set(JOBS)
    if unknown:
        raise SystemExit(f"Unknown job(s) {sorted(unknown)}; the jobs are: {', '.join(JOBS)}")
    # Their own databases and sizes: none of the load's settings but the rate limits being off.
    env = {k: v for k, v in env.items() if k not in ("TALK_DATABASE_URL", "TALK_PAGE_SIZE")}
    results = {}
    for name in names:
        script, *options = JOBS[name]
        if name == "export":  # the load's own data, read only
            options = [*options, "--manifest", str(args.manifest_path), "--database-url", url]
        else:
            own = args.jobs_database_url or f"sqlite:///{workdir() / f'job-{name}.sqlite'}"
            options = [*options, "--database-url", own]
        command = [sys.executable, str(BENCH / script), *options]
        print(f"\nWorker job {name}: {shlex.join(command)}", flush=True)
        started = time.monotonic()
        try:
            run = subprocess.run(
                command,
                env=env,
                capture_output=True,
                text=True,
                timeout=args.job_timeout,
                check=False,
            )
            text, returncode = run.stdout + run.stderr, run.returncode
        except subprocess.TimeoutExpired as expired:
            text = "".join(
                part.decode(errors="replace") if isinstance(part, bytes) else part or ""
                for part in (expired.stdout, expired.stderr)
            )
            text += f"\nTIMED OUT after {args.job_timeout} s (--job-timeout)"
            returncode = -1
        output = "\n".join(
            line for line in text.splitlines() if "alembic.runtime.migration" not in line
        )
        print(output, flush=True)
        results[name] = {
            "command": shlex.join(["bench/" + script, *options]),
            "seconds": time.monotonic() - started,
            "returncode": returncode,
            "output": output[-6000:],
        }
    return results


def serve_and_load(
    args: argparse.Namespace,
    wrk: str,
    manifest: dict[str, Any],
    cases: list[Case],
    sql: dict[str, int],
    env: dict[str, str],
) -> list[dict[str, Any]]:
    """Start the servers, log in, check every case answers, run the load, stop the servers."""
    logs = Path(tempfile.mkdtemp(prefix="logs-", dir=workdir()))
    talk, bases = start_servers(args.servers, manifest["database_url"], env, logs)
    workers = start_workers(args.job_workers, env, ROOT, logs)
    try:
        cookies = {
            who: run_cases.log_in(talk[0].url, manifest[who]["username"], manifest[who]["password"])
            for who in ("user", "moderator")
            if any(c.who == who for c in cases)
        }
        for case in cases:
            if case.who == "token":
                case.headers["Authorization"] = f"Bearer {manifest['user']['token']}"
            elif case.who:
                case.headers["Cookie"] = cookies[case.who]
                case.headers["User-Agent"] = run_cases.USER_AGENT
            for server in talk:
                run_cases.check_answers(server.url, case)
        with tempfile.TemporaryDirectory(prefix="lua-", dir=workdir()) as scripts:
            rows = load_rounds(args, wrk, cases, sql, talk, bases, Path(scripts))
        args.worker_report = worker_report(workers)
        return rows
    finally:
        for server in [*talk, *bases, *workers]:
            server.stop()
        print(f"server logs: {logs}")


def summary(
    args: argparse.Namespace,
    argv: list[str],
    manifest: dict[str, Any],
    machine: dict[str, Any],
    rows: list[dict[str, Any]],
    jobs: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """Everything the run measured, as the JSON file and RESULTS.md hold it."""
    targets = [t for row in rows for t in row["targets"]]
    return {
        "label": args.label,
        "machine": machine,
        "data": {k: v for k, v in manifest.items() if k not in ("user", "moderator")},
        "settings": {
            "engine": manifest["engine"],
            "servers": args.servers,
            "job_workers": args.worker_report,
            "workers": WORKERS,
            "threads": THREADS,
            "seconds": args.seconds,
            "repeats": args.repeats,
            "connections": args.connections,
            "command": shlex.join(["bench/pages.py", *argv]),
        },
        "rows": rows,
        "jobs": jobs,
        "passed": sum(t["ok"] for t in targets),
        "missed": sum(not t["ok"] for t in targets),
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    wrk = ensure_wrk()
    manifest = manifest_for(args)
    url = manifest["database_url"]
    manifest["engine"] = "postgresql" if url.startswith("postgresql") else "sqlite"
    args.servers = args.servers or (2 if manifest["engine"] == "postgresql" else 1)
    if args.job_workers is None:  # SQLite allows one worker: none, so as not to change its load
        args.job_workers = 2 if manifest["engine"] == "postgresql" else 0
    per_page = int(manifest["hot_discussion"]["per_page"])
    secret = secrets.token_hex(32)
    env = {
        **os.environ,
        "TALK_DATABASE_URL": url,
        "TALK_SECRET_KEY": secret,
        "TALK_PAGE_SIZE": str(per_page),
        "TALK_RATE_LIMITS": "0",
        "BENCH_DATABASE_URL": url,
    }

    app = run_cases.in_process_app(url, per_page, secret)
    cases = chosen_cases(args, app, manifest)
    sql = {case.name: run_cases.statements_per_request(app, case, manifest) for case in cases}
    with app.app_context():
        from talk.extensions import db

        db.engine.dispose()
    print("SQL statements per request:", json.dumps(sql), flush=True)
    minutes = len(args.connections) * args.repeats * len(cases) * 2 * args.seconds / 60
    print(f"{len(cases)} cases: about {minutes:.0f} minutes of load", flush=True)

    machine = run_report.machine()
    rows = serve_and_load(args, wrk, manifest, cases, sql, env)
    run_report.judge(rows)
    for connections in args.connections:
        print(f"\n{manifest['engine']}, {connections} connections, {args.servers} server(s):")
        print(run_report.text_table([r for r in rows if r["connections"] == connections]))
    jobs = run_jobs(args, env, url)
    result = summary(args, argv, manifest, machine, rows, jobs)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    if args.results != "none":
        run_report.write_results(Path(args.results), result)
        print(f"\nWrote the “{args.label}” block of {args.results}")
    print(f"Targets: {result['passed']} passed, {result['missed']} missed")
    failed = sum(r["non_2xx"] + r["errors"] for r in rows)
    if failed:
        print(f"FAILED: {failed} requests failed (socket errors or answers over 399)")
    broken = [name for name, job in jobs.items() if job["returncode"] != 0]
    if broken:
        print(f"FAILED: worker job(s) {', '.join(broken)} exited non-zero")
    return 1 if failed or broken else 0


if __name__ == "__main__":
    sys.exit(main())
