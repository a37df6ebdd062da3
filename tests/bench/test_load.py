"""The load test of ``bench/load.py``, briefly: ``talk serve`` on PostgreSQL under concurrent
readers and writers answers no 5xx and leaves every stored counter equal to its recount.

It starts a server and drops and creates a database of its own, so it runs only when asked:
``TALK_LOAD_TEST=1`` (``.ci/run`` sets it), on the PostgreSQL database named by
``TALK_LOAD_DATABASE_URL`` (default ``postgresql://postgres@127.0.0.1:5432/talk_load``).
``TALK_LOAD_CLIENTS`` and ``TALK_LOAD_SECONDS`` set its size (16 clients × 10 s)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

LOAD = Path(__file__).resolve().parents[2] / "bench" / "load.py"


@pytest.mark.load
@pytest.mark.skipif(
    os.environ.get("TALK_LOAD_TEST") != "1", reason="a load test: set TALK_LOAD_TEST=1 to run it"
)
def test_concurrent_clients_get_no_5xx_and_leave_every_counter_exact():
    command = [
        sys.executable,
        str(LOAD),
        "--clients",
        os.environ.get("TALK_LOAD_CLIENTS", "16"),
        "--seconds",
        os.environ.get("TALK_LOAD_SECONDS", "10"),
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    sys.stdout.write(run.stdout[-3000:])  # the figures, shown with pytest -s
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
