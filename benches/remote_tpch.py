#!/usr/bin/env python3
"""TPC-H through remote mode: Ember plans and optimizes each query, a Spark Connect
server runs it. Writes the TPC-H tables at --sf to Parquet with Ember, then runs the
22 queries once in Ember and once with `ember --remote`, and prints per-query wall
times (whole `ember` processes: start, planning, run, printing), whether the remote
rows equal Ember's own, and, with --answers, whether they match the reference answers.

  python benches/remote_tpch.py --sf 1 --remote sc://spark-host:15002 --data /shared/tpch-sf1
  python benches/remote_tpch.py --sf 1 --sail --workers 2 --answers ../shared/tpch/answers/sf1

--sail starts Sail's server (the `sail` command of pysail, e.g. from
target/pyspark-venv) on a free port, in local-cluster mode with --workers workers.
The server must read the Parquet files at the same paths (--data on shared storage).
"""

import argparse
import csv
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "pyspark"))
from helpers import free_port, read_answer, rows_mismatch, wait_listening  # noqa: E402

TABLES = ["nation", "region", "part", "supplier", "partsupp", "customer", "orders", "lineitem"]


def start_sail(workers):
    port = free_port()
    env = dict(os.environ)
    if workers > 0:
        env["SAIL_MODE"] = "local-cluster"
        env["SAIL_CLUSTER__WORKER_INITIAL_COUNT"] = str(workers)
    sail = shutil.which("sail") or str(ROOT / "target" / "pyspark-venv" / "bin" / "sail")
    proc = subprocess.Popen([sail, "spark", "server", "--ip", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, proc, seconds=30)
    except RuntimeError as e:
        proc.kill()
        raise SystemExit(f"Sail did not start: {e}")
    return f"sc://127.0.0.1:{port}", proc


def run(ember, args):
    started = time.perf_counter()
    p = subprocess.run([ember, *args], capture_output=True, text=True)
    return time.perf_counter() - started, p


def rows(text):
    return [r or [""] for r in list(csv.reader(io.StringIO(text)))[1:]]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sf", type=float, default=0.1)
    ap.add_argument("--remote", help="sc:// URL of a running Spark Connect server")
    ap.add_argument("--sail", action="store_true", help="start Sail's server")
    ap.add_argument("--workers", type=int, default=2, help="Sail local-cluster workers (0: local mode)")
    ap.add_argument("--data", help="folder for the Parquet files (default: a temporary folder)")
    ap.add_argument("--answers", help="folder of qNN.csv reference answers")
    ap.add_argument("--ember", default=os.environ.get("EMBER_BIN", str(ROOT / "target" / "release" / "ember")))
    args = ap.parse_args()
    if not args.remote and not args.sail:
        ap.error("give --remote URL or --sail")
    data = Path(args.data or tempfile.mkdtemp(prefix="ember-remote-tpch-"))
    data.mkdir(parents=True, exist_ok=True)
    missing = [t for t in TABLES if not (data / f"{t}.parquet").exists()]
    if missing:
        copies = "\n".join(f"COPY {t} TO '{data / t}.parquet' (FORMAT parquet);" for t in missing)
        subprocess.run([args.ember, "--tpch", str(args.sf), "-c", copies], check=True, capture_output=True)
    ddl = data / "tables.sql"
    ddl.write_text("\n".join(
        f"CREATE EXTERNAL TABLE {t} STORED AS PARQUET LOCATION '{data / t}.parquet';" for t in TABLES))
    url, server = (args.remote, None) if args.remote else start_sail(args.workers)
    failures = 0
    try:
        print(f"{'query':6} {'ember s':>9} {'remote s':>9}  same  answer")
        for i in range(1, 23):
            q = ROOT / "tests" / "data" / "tpch" / "queries" / f"q{i:02d}.sql"
            local_s, local = run(args.ember, ["--format", "csv", "-f", str(ddl), "-f", str(q)])
            remote_s, remote = run(args.ember, ["--remote", url, "--format", "csv", "-f", str(ddl), "-f", str(q)])
            if remote.returncode != 0:
                failures += 1
                print(f"q{i:02d}    {local_s:9.2f}    failed  {remote.stderr.strip()}")
                continue
            same = rows(local.stdout) == rows(remote.stdout)
            answer = "-"
            if args.answers:
                expected = read_answer(Path(args.answers) / f"q{i:02d}.csv")
                answer = "ok" if rows_mismatch(expected, rows(remote.stdout)) is None else "DIFF"
            failures += (not same) + (answer == "DIFF")
            print(f"q{i:02d}    {local_s:9.2f} {remote_s:9.2f}  {'yes ' if same else 'NO  '}  {answer}")
    finally:
        if server:
            server.terminate()
            server.wait()
        if not args.data:
            shutil.rmtree(data, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
