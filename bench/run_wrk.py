"""The load side of ``bench/pages.py``: servers started as in production (``talk serve`` and the
baseline under the same granian command line), ``wrk`` driving them, and the servers' peak
memory read from ``/proc``."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent

#: Printed by the Lua ``done`` hook, one JSON line per wrk run. Latencies in microseconds.
DONE_HOOK = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,'
    .. '"status":%d,"timeout":%d,"p50":%d,"p95":%d,"p99":%d,"max":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""

#: For POST cases: each request a JSON body of its own (``%d`` placeholders: a random number
#: and the thread's request count), so no two are the same text (Talk refuses duplicates).
POST_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local template = %s
local count = 0
init = function(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%%x+)") or "1", 16) %% 100000)
end
request = function()
  count = count + 1
  return wrk.format(nil, nil, nil, string.format(template, math.random(1, 1000000000), count))
end
"""

#: For an uncached case: each request a URL of its own (``bench=<thread's random>-<count>``
#: added to the query string, which the page ignores but the page cache keys on), so the cache
#: never answers and the figures are the page's own cost under load.
VARY_SCRIPT = """
local count = 0
local salt = 0
init = function(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "1", 16) % 100000)
  salt = math.random(1, 1000000000)
end
request = function()
  count = count + 1
  local sep = wrk.path:find("?", 1, true) and "&" or "?"
  return wrk.format(nil, wrk.path .. sep .. "bench=" .. salt .. "-" .. count)
end
"""


def ensure_wrk() -> str:
    """The path of ``wrk``; installed from Debian's packages when missing and we are root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: installing Debian's package (apt-get install -y wrk)", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False)
        found = shutil.which("wrk")
        if found:
            return found
    raise SystemExit(
        "wrk (the load generator) is not installed and could not be installed here: "
        "run `sudo apt-get install wrk` and try again."
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """One server process tree (granian and its workers) on a loopback port."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        """The server's process and all its descendants."""
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*"):
                with contextlib.suppress(OSError):
                    todo.extend(int(c) for c in (task / "children").read_text().split())
        return found

    def reset_peak_memory(self) -> None:
        """Reset each process's VmHWM (``clear_refs`` 5), so the next reading is this case's."""
        for pid in self.pids():
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/clear_refs").write_text("5")

    def peak_memory_mb(self) -> float:
        """The sum of the processes' peak resident memory (VmHWM) since the last reset."""
        total = 0
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        return total / 1024

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(
    name: str,
    argv_for: Callable[[int], list[str]],
    env: dict[str, str],
    cwd: Path,
    log_dir: Path,
) -> Server:
    """Start ``argv_for(port)`` on a free port and wait until it answers HTTP (any status)."""
    port = free_port()
    argv = argv_for(port)
    log = log_dir / f"{name}-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=out)
    server = Server(name, port, process, log)
    deadline = time.monotonic() + 300  # importing took over a minute at load average 20
    while True:
        try:
            with urllib.request.urlopen(f"{server.url}/favicon.ico", timeout=5):
                return server
        except urllib.error.HTTPError:
            return server
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise SystemExit(f"{name} did not start; its log: {log}\n{log.read_text()[-2000:]}")
        time.sleep(0.2)


def start_workers(count: int, env: dict[str, str], cwd: Path, log_dir: Path) -> list[Server]:
    """``count`` ``talk worker`` processes (port 0: they serve nothing), running the site's
    jobs (fan-out, emails) on the load's database while the load runs, as in production."""
    workers = []
    for n in range(count):
        log = log_dir / f"worker-{n}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(BIN / "talk"), "worker"], env=env, cwd=cwd, stdout=out, stderr=out
            )
        workers.append(Server(f"worker-{n}", 0, process, log))
    return workers


def worker_report(workers: list[Server]) -> dict[str, object]:
    """Before stopping them: which still run, their peak RSS, the errors their logs show."""
    logs = [w.log.read_text(errors="replace") for w in workers]
    return {
        "count": len(workers),
        "running": sum(w.process.poll() is None for w in workers),
        "peak_rss_mb": [round(w.peak_memory_mb()) for w in workers],
        "tracebacks": sum(text.count("Traceback") for text in logs),
    }


@dataclass
class Load:
    """What one wrk run measured (summed over servers when several were driven at once)."""

    requests: int
    seconds: float
    errors: int  # connect/read/write/timeout errors
    non_2xx: int  # wrk counts answers with status > 399
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def lua_script(directory: Path, post_template: str | None, *, vary_url: bool = False) -> Path:
    """A wrk script: the ``done`` hook, and for a POST case the per-request bodies, for an
    uncached case the per-request URLs."""
    script = DONE_HOOK
    if post_template is not None:
        script = POST_SCRIPT % json.dumps(post_template) + script
    elif vary_url:
        script = VARY_SCRIPT + script
    handle, path = tempfile.mkstemp(suffix=".lua", dir=directory)
    os.close(handle)
    Path(path).write_text(script)
    return Path(path)


def run_wrk(
    wrk: str,
    urls: list[str],
    *,
    connections: int,
    seconds: int,
    headers: dict[str, str],
    script: Path,
) -> Load:
    """Drive every URL at once (one per server), ``connections`` split between them."""
    per_server = max(1, connections // len(urls))
    threads = max(1, min(2 // len(urls), per_server))
    header_args = [arg for k, v in headers.items() for arg in ("-H", f"{k}: {v}")]
    runs = [
        subprocess.Popen(
            [
                wrk,
                f"-t{threads}",
                f"-c{per_server}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                str(script),
                *header_args,
                url,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for url in urls
    ]
    figures = []
    for run in runs:
        out, _ = run.communicate()
        line = next((x for x in out.splitlines() if x.startswith("WRK_JSON ")), None)
        if run.returncode != 0 or line is None:
            raise SystemExit(f"wrk failed on {urls}:\n{out[-2000:]}")
        figures.append(json.loads(line.removeprefix("WRK_JSON ")))
    return Load(
        requests=sum(f["requests"] for f in figures),
        seconds=max(f["duration_us"] for f in figures) / 1e6,
        errors=sum(f["connect"] + f["read"] + f["write"] + f["timeout"] for f in figures),
        non_2xx=sum(f["status"] for f in figures),
        p50_ms=max(f["p50"] for f in figures) / 1000,
        p95_ms=max(f["p95"] for f in figures) / 1000,
        p99_ms=max(f["p99"] for f in figures) / 1000,
    )
