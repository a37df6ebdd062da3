"""``bench/run_report.judge``: how the runner marks issue 12's targets."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import run_report


def row(rps: float) -> dict:
    return {
        "case": "search phrase",
        "kind": run_report.SEARCH,
        "connections": run_report.TARGET_CONNECTIONS,
        "rps": rps,
        "ratio": rps / 1000,
        "p95_ms": 0.0 if rps == 0 else 20.0,
        "p99_ms": 0.0 if rps == 0 else 40.0,
    }


def test_a_case_nothing_answered_misses_its_latency_targets():
    """wrk reports latencies of 0 when no request finished: slow, not fast."""
    silent, fast = row(0), row(900)
    run_report.judge([silent, fast])
    assert [t["ok"] for t in silent["targets"]] == [False, False, False]
    assert [t["ok"] for t in fast["targets"]] == [True, True, True]
