#!/usr/bin/env python3
"""TPC-H through PySpark: the same Spark Connect client against `ember serve` and
against other Spark Connect servers (Sail), each over the same Parquet files.

  python3 benches/connect.py --data DIR [--engines ember,sail] [--threads N]
      [--iterations K] [--queries DIR] [--verify ANSWERS_DIR] [--results OUT_DIR]
      [--ember PATH] [--sail PATH] [--output OUT.csv]

Each engine's server runs in a process of its own, started by this script on a free
loopback port and stopped at the end. The eight tables are registered as temporary
views with `spark.read.parquet(...)`; every query in --queries runs once to warm up
(its rows are checked against --verify and written as CSV into --results), then K
times through `spark.sql(query).toArrow()`, the engines taking turns run by run so
that a busy machine slows them alike. The table gives the median seconds per
query, Ember's ratio to each other engine (below 1.00 means Ember is faster), the
geometric means and each server's peak resident memory.

Needs `pyspark-client` (4.x) and, for Sail, `pysail`; Ember's server is
target/release/ember unless --ember says otherwise.
"""

import argparse
import os
import sys
import csv
import math
import shutil
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "pyspark"))
from helpers import cell_text, free_port, read_answer, rows_mismatch, wait_listening  # noqa: E402
TABLES = ["region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem"]


def server_command(engine, port, args):
    if engine == "ember":
        return [args.ember, "serve", "--port", str(port), "--threads", str(args.threads)], {}
    if engine == "sail":
        env = {"SAIL_EXECUTION__DEFAULT_PARALLELISM": str(args.threads)}
        return [args.sail, "spark", "server", "--ip", "127.0.0.1", "--port", str(port)], env
    raise SystemExit(f"unknown engine '{engine}' (expected ember or sail)")


def peak_rss_mb(pid):
    """The process's peak resident set (VmHWM) in MB, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class Server:
    """One engine's Spark Connect server in a process of its own, with a session
    whose temporary views are the eight tables."""

    def __init__(self, engine, args):
        from pyspark.sql import SparkSession

        self.engine = engine
        port = free_port()
        cmd, extra_env = server_command(engine, port, args)
        self.proc = subprocess.Popen(
            cmd,
            env={**os.environ, **extra_env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_listening(port, self.proc)
            self.spark = SparkSession.builder.remote(f"sc://127.0.0.1:{port}").create()
            for table in TABLES:
                path = os.path.join(args.data, f"{table}.parquet")
                self.spark.read.parquet(path).createOrReplaceTempView(table)
        except BaseException:
            self.stop()
            raise

    def first_run(self, name, text, args):
        """Runs a query once, writes and checks its rows; returns an error or None."""
        rows = [[cell_text(v) for v in r] for r in self.spark.sql(text).collect()]
        if args.results:
            out = Path(args.results) / self.engine
            out.mkdir(parents=True, exist_ok=True)
            with open(out / f"{name}.csv", "w", newline="") as f:
                w = csv.writer(f)
                w.writerow([f"c{i}" for i in range(len(rows[0]) if rows else 0)])
                w.writerows(rows)
        if args.verify:
            return rows_mismatch(read_answer(os.path.join(args.verify, f"{name}.csv")), rows)
        return None

    def timed_run(self, text):
        start = time.perf_counter()
        self.spark.sql(text).toArrow()
        return time.perf_counter() - start

    def stop(self):
        """Stops the server; returns its peak resident memory in MB."""
        peak = peak_rss_mb(self.proc.pid)
        spark = getattr(self, "spark", None)
        if spark is not None:
            try:
                spark.stop()
            except Exception:
                pass  # the server is stopped next either way
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return peak


def error_line(e):
    text = str(e).strip()
    return text.splitlines()[0][:200] if text else type(e).__name__


def run_all(engines, args, queries):
    """Runs every query on every engine, the engines taking turns run by run so that
    a machine's load falls on all of them alike. Returns ({engine: {query: (times,
    error)}}, {engine: peak MB})."""
    servers = {}
    runs = {e: {} for e in engines}
    try:
        for engine in engines:
            servers[engine] = Server(engine, args)
        for name, text in queries:
            times = {e: [] for e in engines}
            errors = {}
            for engine in engines:
                try:
                    errors[engine] = servers[engine].first_run(name, text, args)
                except Exception as e:  # the client raises the server's error
                    errors[engine] = error_line(e)
            for _ in range(args.iterations):
                for engine in engines:
                    try:
                        times[engine].append(servers[engine].timed_run(text))
                    except Exception as e:
                        errors[engine] = errors[engine] or error_line(e)
                        break
            for engine in engines:
                runs[engine][name] = (times[engine], errors[engine])
                status = "ok" if errors[engine] is None else f"FAILED: {errors[engine]}"
                median = f"{statistics.median(times[engine]):.3f} s" if times[engine] else "-"
                print(f"  {engine:6} {name}  {median}  {status}", file=sys.stderr, flush=True)
    finally:
        peaks = {e: s.stop() for e, s in servers.items()}
    return runs, peaks


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder with <table>.parquet for the eight tables")
    ap.add_argument("--engines", default="ember,sail")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--queries", default=str(ROOT / "tests" / "data" / "tpch" / "queries"))
    ap.add_argument("--verify", help="answers folder (<query>.csv with a header row)")
    ap.add_argument("--results", help="folder for each engine's rows as CSV")
    ap.add_argument("--ember", default=str(ROOT / "target" / "release" / "ember"))
    ap.add_argument("--sail", default=shutil.which("sail") or "sail")
    ap.add_argument("--output", help="CSV of engine,query,median_s,min_s,max_s,ok,error")
    args = ap.parse_args()

    queries = [
        (p.stem, p.read_text())
        for p in sorted(Path(args.queries).glob("q*.sql"))
    ]
    if not queries:
        raise SystemExit(f"no q*.sql files in {args.queries}")
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    runs, peaks = run_all(engines, args, queries)

    if args.output:
        with open(args.output, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["engine", "query", "median_s", "min_s", "max_s", "ok", "error"])
            for engine in engines:
                for name, (times, error) in runs[engine].items():
                    stats = [statistics.median(times), min(times), max(times)] if times else ["", "", ""]
                    w.writerow([engine, name, *stats, error is None, error or ""])

    others = [e for e in engines if e != "ember"]
    header = ["query"] + [f"{e} s" for e in engines] + [f"ember/{e}" for e in others if "ember" in engines]
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    ratios = {e: [] for e in others}
    medians = {e: [] for e in engines}
    for name, _ in queries:
        cells = [name]
        med = {}
        for engine in engines:
            times, error = runs[engine][name]
            if times and error is None:
                med[engine] = statistics.median(times)
                medians[engine].append(med[engine])
                cells.append(f"{med[engine]:.3f}")
            else:
                cells.append("failed")
        if "ember" in engines:
            for e in others:
                if "ember" in med and e in med:
                    ratios[e].append(med["ember"] / med[e])
                    cells.append(f"{med['ember'] / med[e]:.2f}")
                else:
                    cells.append("-")
        print(" | ".join(cells))
    summary = ["geomean"] + [f"{geomean(medians[e]):.3f}" for e in engines]
    if "ember" in engines:
        summary += [f"{geomean(ratios[e]):.2f}" for e in others]
    print(" | ".join(summary))
    print(" | ".join(["total"] + [f"{sum(medians[e]):.2f}" for e in engines]))
    print(" | ".join(["peak MB"] + [f"{peaks[e]:.0f}" if peaks[e] else "-" for e in engines]))
    failed = {e: [n for n, (_, err) in runs[e].items() if err is not None] for e in engines}
    for e in engines:
        ok = len(queries) - len(failed[e])
        print(f"{e}: {ok}/{len(queries)} correct" + (f"; failed: {', '.join(failed[e])}" if failed[e] else ""))
    return 0 if not any(failed.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
