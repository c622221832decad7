"""How `ember serve` listens: off loopback it needs a token, which clients must send."""

import pytest
from pyspark.sql import SparkSession

from conftest import start_server, stop_server


def test_non_loopback_host_needs_a_token():
    import subprocess

    from conftest import ember_bin

    refused = subprocess.run(
        [ember_bin(), "serve", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0
    assert "--token" in refused.stderr


def test_a_bad_memory_limit_is_refused_at_start():
    import subprocess

    from conftest import ember_bin

    refused = subprocess.run(
        [ember_bin(), "serve", "--port", "0", "--memory-limit", "lots"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert "--memory-limit" in refused.stderr and "lots" in refused.stderr, refused.stderr


def test_a_client_without_the_token_is_refused():
    port, proc = start_server("--host", "0.0.0.0", "--token", "s3cret")
    try:
        with pytest.raises(Exception, match="token"):
            s = SparkSession.builder.remote(f"sc://localhost:{port}").create()
            s.sql("SELECT 1").collect()
        ok = SparkSession.builder.remote(f"sc://localhost:{port}/;token=s3cret").create()
        assert ok.sql("SELECT 41 + 1 AS n").first().n == 42
        ok.stop()
    finally:
        stop_server(proc)


CLIENT = """
import sys
from pyspark.sql import SparkSession

url, rows = sys.argv[1], int(sys.argv[2])
spark = SparkSession.builder.remote(url).create()
spark.range(rows).createOrReplaceTempView("mine")
spark.range(rows * 10).createOrReplaceTempView(f"only_{rows}")
for _ in range(20):
    n = spark.sql("SELECT count(*) AS n, max(id) AS m FROM mine").first()
    assert (n.n, n.m) == (rows, rows - 1), (rows, n)
other = 7 if rows == 3 else 3
try:
    spark.sql(f"SELECT * FROM only_{other}").collect()
    raise SystemExit(f"client {rows} sees the view of client {other}")
except SystemExit:
    raise
except Exception as e:
    assert f"only_{other}" in str(e), str(e)
print(spark.sql(f"SELECT count(*) FROM only_{rows}").first()[0])
spark.stop()
"""


def test_two_client_processes_at_once_see_only_their_own_views(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "client.py"
    script.write_text(CLIENT)
    port, proc = start_server()
    try:
        url = f"sc://localhost:{port}"
        clients = [
            subprocess.Popen(
                [sys.executable, str(script), url, str(rows)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for rows in (3, 7)
        ]
        outputs = [c.communicate(timeout=120) for c in clients]
        for c, (out, err), rows in zip(clients, outputs, (3, 7)):
            assert c.returncode == 0, err
            assert out.strip() == str(rows * 10)
    finally:
        stop_server(proc)
        proc.wait()
