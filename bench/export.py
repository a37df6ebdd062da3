"""Exporting a project's comments (issue 12: "exporting 1,000,000 comments streams in flat
memory"): ``talk export-comments`` at 10,000, 100,000 and 1,000,000 rows, its time, rows per
second and the exporting process's peak resident memory. Figures, not assertions.

    .venv/bin/python bench/export.py --manifest /tmp/talk-bench/manifest.json   # data built
    .venv/bin/python bench/export.py --comments 100000       # generates into a SQLite file
    .venv/bin/python bench/export.py --database-url postgresql://postgres@127.0.0.1/talk_bench

What it does:

1. With ``--manifest``, reads the project ``bench/generate.py`` built (read only: the export
   writes nothing). Otherwise generates ``--comments`` comments (default 1,000,000) with
   ``bench/generate.py`` into ``--database-url`` (dropped and created afresh; default a SQLite
   file under the temporary folder).
2. For each size of ``--rows`` (default 10,000, 100,000, 1,000,000; the sizes above the
   project's count are skipped), in a fresh interpreter: the first N records of
   ``comment_export.comment_records`` written by ``write_json`` to a temporary file, the
   wall and CPU seconds, and the process's peak RSS (``VmHWM``) after the app started and
   after the export. Flat memory: the growth does not grow with N.
3. The real command, ``talk export-comments PROJECT --output FILE``, over the whole project
   as a subprocess: seconds, rows per second, the file's size and the command's peak RSS
   (``wait4``'s ``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
TALK = Path(sys.executable).parent / "talk"
SIZES = "10000,100000,1000000"


def vm_hwm_mb(pid: int | str = "self") -> float:
    """A process's peak resident memory so far (``VmHWM`` of /proc/PID/status), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child(url: str, slug: str, rows: int) -> None:
    """In a fresh interpreter: the first ``rows`` records exported to a temporary file."""
    import scale

    from talk.extensions import db
    from talk.services import comment_export, projects

    app = scale.make_app(url, tempfile.mkdtemp(prefix="talk-export-"))
    with app.app_context(), tempfile.TemporaryFile("w", encoding="utf-8") as out:
        project = projects.get_project(slug)
        before = vm_hwm_mb()
        cpu, started = time.process_time(), time.perf_counter()
        records = itertools.islice(comment_export.comment_records(project), rows)
        written = comment_export.write_json(records, out)
        out.flush()
        figures = {
            "rows": written,
            "seconds": time.perf_counter() - started,
            "cpu": time.process_time() - cpu,
            "before": before,
            "after": vm_hwm_mb(),
            "bytes": out.tell(),
        }
        db.session.rollback()
    print(json.dumps(figures))


def run_command(url: str, slug: str) -> dict[str, float]:
    """``talk export-comments`` over the whole project: time and its peak RSS."""
    env = {**os.environ, "TALK_DATABASE_URL": url, "TALK_SECRET_KEY": "bench"}
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(TALK), "export-comments", slug, "--output", out.name],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        said = process.stderr.read() if process.stderr else ""
        if status:
            raise SystemExit(f"talk export-comments failed ({status}): {said}")
        count = int(said.rsplit("Exported ", 1)[1].split()[0])
        size = Path(out.name).stat().st_size
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "rows": count,
        "seconds": seconds,
        "cpu": cpu,
        "peak": usage.ru_maxrss / 1024,
        "bytes": size,
    }


def data(args: argparse.Namespace) -> tuple[str, str]:
    """The database URL and project slug: the manifest's, or freshly generated ones."""
    if args.manifest:
        manifest = json.loads(Path(args.manifest).read_text())
        return args.database_url or manifest["database_url"], manifest["project"]
    folder = Path(tempfile.gettempdir()) / "talk-bench"
    folder.mkdir(exist_ok=True)
    url = args.database_url or f"sqlite:///{folder / f'export-{args.comments}.sqlite'}"
    path = folder / f"export-manifest-{args.comments}.json"
    command = [sys.executable, str(BENCH / "generate.py"), "--database-url", url]
    command += ["--manifest", str(path), "--comments", str(args.comments)]
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    print(f"generated {args.comments:,} comments in {time.perf_counter() - started:.0f} s")
    return url, json.loads(path.read_text())["project"]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--manifest", help="export the project generate.py built")
    parser.add_argument("--database-url", help="where to generate (or the manifest's, moved)")
    parser.add_argument("--comments", type=int, default=1_000_000, help="to generate")
    parser.add_argument("--rows", default=SIZES, help="comma-separated sizes")
    parser.add_argument("--child", nargs=2, metavar=("SLUG", "ROWS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.database_url, args.child[0], int(args.child[1]))
        return
    url, slug = data(args)
    engine = url.split(":")[0]
    rows: list[dict[str, Any]] = []
    for size in (int(n) for n in args.rows.split(",")):
        command = [sys.executable, __file__, "--database-url", url, "--child", slug, str(size)]
        run = subprocess.run(command, capture_output=True, text=True, check=True)
        figures = json.loads(run.stdout.strip().splitlines()[-1])
        rows.append(figures)
        if figures["rows"] < size:
            break  # the project has no more
    whole = run_command(url, slug)
    load = os.getloadavg()[0]
    print(
        f"\n{engine}, export of {whole['rows']:,} comments (load {load:.1f}, {os.cpu_count()} CPUs)"
    )
    print("| rows | seconds | CPU s | rows/s | MB written | peak RSS: started → after | growth |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for f in rows:
        print(
            f"| {f['rows']:,} | {f['seconds']:.1f} | {f['cpu']:.1f} | "
            f"{f['rows'] / f['seconds']:,.0f} | {f['bytes'] / 1e6:.0f} | "
            f"{f['before']:.0f} → {f['after']:.0f} MB | {f['after'] - f['before']:+.0f} MB |"
        )
    print(
        f"| `talk export-comments` (all {whole['rows']:,}) | {whole['seconds']:.1f} | "
        f"{whole['cpu']:.1f} | {whole['rows'] / whole['seconds']:,.0f} | "
        f"{whole['bytes'] / 1e6:.0f} | peak {whole['peak']:.0f} MB | |"
    )


if __name__ == "__main__":
    main()
