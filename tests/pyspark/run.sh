#!/usr/bin/env bash
# Runs the PySpark suite against `ember serve`: makes a virtual environment with the
# pinned client packages (tests/pyspark/requirements.txt; no JVM) under target/, builds
# the ember binary and runs pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/pyspark-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check -r tests/pyspark/requirements.txt
cargo build --bin ember
EMBER_BIN="${EMBER_BIN:-target/debug/ember}" "$venv/bin/python" -m pytest tests/pyspark -q "$@"
