#!/usr/bin/env python3
"""TPC-H under a memory limit: each query in a process of its own, its peak resident
memory and what it spilled, and its rows checked against reference answers.

  python3 benches/memory_limit.py --data DIR [--limit 200MB] [--threads N]
      [--queries DIR] [--verify ANSWERS_DIR] [--ember PATH] [--output OUT.csv]
      [--only q01,q13] [--limited-only]

DIR holds <table>.parquet for the eight TPC-H tables. Every query runs as
`ember --memory-limit LIMIT --metrics --format csv` under `/usr/bin/time -v`, once with
the limit and once without (`--limit none` runs only the latter). The table gives,
per query and run, the seconds, the process's peak resident memory (MB), the pool's
peak (`peak_memory`), the bytes and files spilled, the lineage retries after running
out of memory (`oom_retries`) and whether the rows equal the answer. The exit status
is 1 when a query failed or gave a wrong answer.
"""

import os
import sys

sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import csv
import io
import json
import math
import re
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "pyspark"))
from helpers import read_answer, rows_mismatch  # noqa: E402

TABLES = ["region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem"]


def run_query(args, tables_sql, query_sql, limit):
    cmd = ["/usr/bin/time", "-v", args.ember, "--metrics", "--format", "csv",
           "--threads", str(args.threads), "-f", tables_sql, "-f", query_sql]
    if limit:
        cmd[3:3] = ["--memory-limit", limit]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    metrics = {}
    out_lines = []
    for line in proc.stdout.splitlines():
        if line.startswith('{"jobs"'):
            metrics = json.loads(line)
        else:
            out_lines.append(line)
    for line in proc.stderr.splitlines():
        if line.startswith('{"jobs"'):
            metrics = json.loads(line)
    error = None
    if proc.returncode != 0:
        tail = [l for l in proc.stderr.splitlines()
                if l.strip() and not l.startswith(("\t", '{"jobs"', "Command exited"))]
        error = tail[0] if tail else f"exit status {proc.returncode}"
    rows = [r if r else [""] for r in csv.reader(io.StringIO("\n".join(out_lines)))][1:]
    return {
        "seconds": seconds,
        "rss_mb": int(rss.group(1)) / 1024 if rss else float("nan"),
        "peak_mb": metrics.get("peak_memory", 0) / 1e6,
        "spilled_mb": metrics.get("spilled_bytes", 0) / 1e6,
        "files": metrics.get("spill_files", 0),
        "retries": metrics.get("oom_retries", 0),
        "rows": rows,
        "error": error,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--limit", default="200MB")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--queries", default=str(ROOT / "tests/data/tpch/queries"))
    ap.add_argument("--verify", help="answers directory (<query>.csv)")
    ap.add_argument("--ember", default=str(ROOT / "target/release/ember"))
    ap.add_argument("--only", help="comma-separated query names (q01,q13)")
    ap.add_argument("--output", help="CSV file of every run")
    ap.add_argument("--limited-only", action="store_true", help="skip the runs without a limit")
    args = ap.parse_args()

    data = os.path.abspath(args.data)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        for t in TABLES:
            f.write(f"CREATE EXTERNAL TABLE {t} STORED AS PARQUET LOCATION '{data}/{t}.parquet';\n")
        tables_sql = f.name
    names = sorted(p.stem for p in Path(args.queries).glob("*.sql"))
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    limits = [None] if args.limit == "none" else [args.limit] if args.limited_only else [args.limit, None]
    results = []
    failed = 0
    header = (f"{'query':<6} {'limit':>8} {'s':>7} {'rss MB':>8} {'pool MB':>8} "
              f"{'spilled MB':>10} {'files':>6} {'retries':>7}  answer")
    print(header)
    for name in names:
        query_sql = str(Path(args.queries) / f"{name}.sql")
        for limit in limits:
            r = run_query(args, tables_sql, query_sql, limit)
            if r["error"]:
                verdict = f"FAILED: {r['error']}"
            elif args.verify:
                why = rows_mismatch(read_answer(Path(args.verify) / f"{name}.csv"), r["rows"])
                verdict = "equal" if why is None else f"WRONG: {why}"
            else:
                verdict = "ran"
            failed += verdict.startswith(("FAILED", "WRONG"))
            print(f"{name:<6} {limit or 'none':>8} {r['seconds']:7.2f} {r['rss_mb']:8.0f} "
                  f"{r['peak_mb']:8.0f} {r['spilled_mb']:10.1f} {r['files']:6} {r['retries']:7}  {verdict}",
                  flush=True)
            results.append((name, limit or "none", r, verdict))
    for limit in limits:
        runs = [r for _, l, r, _ in results if l == (limit or "none")]
        total = sum(r["seconds"] for r in runs)
        peak = max((r["rss_mb"] for r in runs), default=float("nan"))
        print(f"total  {limit or 'none':>8} {total:7.2f} {peak:8.0f}  (seconds summed; the largest peak)")
    if args.output:
        with open(args.output, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["query", "limit", "seconds", "rss_mb", "pool_mb", "spilled_mb", "spill_files",
                        "oom_retries", "answer"])
            for name, limit, r, verdict in results:
                w.writerow([name, limit, f"{r['seconds']:.3f}", f"{r['rss_mb']:.0f}", f"{r['peak_mb']:.0f}",
                            f"{r['spilled_mb']:.1f}", r["files"], r["retries"], verdict])
    os.unlink(tables_sql)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
