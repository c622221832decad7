"""PySpark against `ember serve`: fixtures that start the server (the binary in
$EMBER_BIN, default target/debug/ember) on a free loopback port, with the TPC-H
tables at SF 0.01 in every session, and connect Spark Connect sessions to it.

Run: python -m pytest tests/pyspark   (needs pyspark-client==4.2.0, pytest, pandas,
pyarrow; no JVM)."""

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def ember_bin():
    return os.environ.get("EMBER_BIN", str(ROOT / "target" / "debug" / "ember"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"ember serve exited with {proc.returncode}: {proc.stderr.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("ember serve did not start listening")


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


def cell_text(v):
    """A PySpark value as the reference answers write it."""
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)


def cells_match(expected, actual):
    """Equal text, or numbers within 1e-6 relative, or `actual` within one unit of
    the last decimal `expected` prints (answers keep decimals at their scale)."""
    e, a = expected.strip(), actual.strip()
    if e == a:
        return True
    try:
        x, y = float(e), float(a)
    except ValueError:
        return e.lower() == a.lower() and e.lower() in ("true", "false")
    if abs(x - y) <= max(1e-6 * max(abs(x), abs(y)), 1e-9):
        return True
    for text in (e, a):
        if "." in text and "e" not in text.lower():
            places = len(text.split(".", 1)[1])
            if places >= 2 and abs(x - y) <= 10.0 ** -places:
                return True
    return False


def assert_rows_match(expected_rows, rows):
    assert len(rows) == len(expected_rows), f"{len(rows)} rows, expected {len(expected_rows)}"
    for i, (exp, row) in enumerate(zip(expected_rows, rows)):
        got = [cell_text(v) for v in row]
        assert len(got) == len(exp), f"row {i}: {got} vs {exp}"
        for j, (e, a) in enumerate(zip(exp, got)):
            assert cells_match(e, a), f"row {i}, column {j}: {a!r}, expected {e!r}"
