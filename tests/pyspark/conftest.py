"""PySpark against `ember serve`: fixtures that start the server (the binary in
$EMBER_BIN, default target/debug/ember) on a free loopback port, with the TPC-H
tables at SF 0.01 in every session, and connect Spark Connect sessions to it.

Run: python -m pytest tests/pyspark   (needs pyspark-client==4.2.0, pytest, pandas,
pyarrow; no JVM)."""

import os
import subprocess
from pathlib import Path

import pytest

from helpers import cell_text, free_port, read_answer, rows_mismatch, wait_listening  # noqa: F401 (tests import them from here)

ROOT = Path(__file__).resolve().parents[2]


def ember_bin():
    return os.environ.get("EMBER_BIN", str(ROOT / "target" / "debug" / "ember"))


def start_server(*extra):
    port = free_port()
    proc = subprocess.Popen(
        [ember_bin(), "serve", "--port", str(port), "--threads", "2", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_listening(port, proc)
    return port, proc


def stop_server(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def server():
    port, proc = start_server("--tpch", "0.01")
    yield f"sc://localhost:{port}"
    stop_server(proc)


@pytest.fixture(scope="session")
def spark(server):
    from pyspark.sql import SparkSession

    session = SparkSession.builder.remote(server).create()
    yield session
    session.stop()


@pytest.fixture
def new_session(server):
    """Makes further sessions of the same server (each has its own views)."""
    from pyspark.sql import SparkSession

    made = []

    def make():
        s = SparkSession.builder.remote(server).create()
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()


def assert_rows_match(expected_rows, rows):
    reason = rows_mismatch(expected_rows, [[cell_text(v) for v in row] for row in rows])
    assert reason is None, reason
