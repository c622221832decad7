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
