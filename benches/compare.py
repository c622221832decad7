#!/usr/bin/env python3
"""Ember beside DuckDB, DataFusion and Polars on the same TPC-H Parquet files.

    python3 benches/compare.py --data DIR [--queries DIR] [--threads N]
        [--iterations K] [--engines ember,duckdb,datafusion,polars] [--out-dir DIR]
        [--verify ANSWERS_DIR]

DIR holds <table>.parquet for the eight TPC-H tables (`cargo bench --bench tpch --
--generate SF --data DIR ...` writes them). Each engine runs in a process of its own:
every query once to warm up, then K timed runs; the median is reported. Ember runs
through its benchmark target (`benches/tpch.rs`); the peers through their Python
packages (pip install duckdb datafusion polars) and their SQL front ends, on the same
query text. The script prints one table: seconds per query and engine, Ember's ratio
to each peer (below 1 means Ember is faster), the geometric means, and each engine
process's peak resident memory. Per-engine CSV files (engine,query,median_s,min_s,
max_s,ok,error) are kept in --out-dir.
"""
import argparse
import csv
import json
import math
import os
import statistics
import subprocess
import sys
import time

TABLES = ["customer", "lineitem", "nation", "orders", "part", "partsupp", "region", "supplier"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def peer_session(engine, data, threads):
    """A function running one SQL text on `engine` and returning the result."""
    if engine == "duckdb":
        import duckdb

        con = duckdb.connect()
        con.execute(f"SET threads={threads}")
        for t in TABLES:
            con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{data}/{t}.parquet')")
        return lambda sql: con.sql(sql).fetchall()
    if engine == "datafusion":
        import datafusion

        config = datafusion.SessionConfig().with_target_partitions(threads)
        ctx = datafusion.SessionContext(config)
        for t in TABLES:
            ctx.register_parquet(t, f"{data}/{t}.parquet")
        return lambda sql: ctx.sql(sql).collect()
    if engine == "polars":
        import polars as pl

        frames = {t: pl.scan_parquet(f"{data}/{t}.parquet") for t in TABLES}
        ctx = pl.SQLContext(frames)
        return lambda sql: ctx.execute(sql).collect()
    raise SystemExit(f"unknown engine {engine}")


def worker(args):
    """Times every query on one peer engine (run in its own process)."""
    if args.worker == "polars":
        # Polars reads its thread count once, when first imported.
        os.environ["POLARS_MAX_THREADS"] = str(args.threads)
    run = peer_session(args.worker, args.data, args.threads)
    rows = []
    for name in query_names(args.queries):
        with open(os.path.join(args.queries, name + ".sql")) as f:
            sql = f.read().strip().rstrip(";")
        times, error = [], ""
        try:
            run(sql)
            for _ in range(max(1, args.iterations)):
                start = time.perf_counter()
                run(sql)
                times.append(time.perf_counter() - start)
        except Exception as e:  # a peer that cannot run a query is reported, not fatal
            error = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
        rows.append(row(args.worker, name, times, error))
    write_csv(args.output, rows)


def row(engine, name, times, error):
    ok = not error and bool(times)
    med = statistics.median(times) if times else float("nan")
    lo = min(times) if times else float("nan")
    hi = max(times) if times else float("nan")
    return [engine, name, f"{med:.4f}", f"{lo:.4f}", f"{hi:.4f}", str(ok).lower(), error]


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["engine", "query", "median_s", "min_s", "max_s", "ok", "error"])
        w.writerows(rows)


def query_names(directory):
    return sorted(p[:-4] for p in os.listdir(directory) if p.endswith(".sql"))


def run_measured(cmd, env=None):
    """Runs `cmd`, returning (exit status, peak RSS in MiB) of that process."""
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss / 1024.0


def ember_bench_binary():
    """Builds the benchmark target and returns the path of its executable."""
    out = subprocess.run(
        ["cargo", "bench", "--bench", "tpch", "--no-run", "--message-format=json"],
        cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True,
    ).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") \
                and msg["target"]["name"] == "tpch":
            return msg["executable"]
    raise SystemExit("could not find the tpch benchmark executable")


def read_csv(path):
    with open(path) as f:
        return {r["query"]: r for r in csv.DictReader(f)}


def geomean(values):
    values = [v for v in values if v > 0 and math.isfinite(v)]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--queries", default=os.path.join(ROOT, "tests/data/tpch/queries"))
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--engines", default="ember,duckdb,datafusion,polars")
    ap.add_argument("--out-dir", default="bench-results")
    ap.add_argument("--verify", help="answers directory, passed to Ember's benchmark")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--output", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.data = os.path.abspath(args.data)
    args.queries = os.path.abspath(args.queries)
    if args.worker:
        return worker(args)

    out_dir = os.path.abspath(args.out_dir)
    os.makedirs(out_dir, exist_ok=True)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    peak = {}
    for engine in engines:
        out = os.path.join(out_dir, f"{engine}.csv")
        common = ["--data", args.data, "--queries", args.queries, "--threads", str(args.threads),
                  "--iterations", str(args.iterations), "--output", out]
        if engine == "ember":
            cmd = [ember_bench_binary()] + common
            if args.verify:
                cmd += ["--verify", os.path.abspath(args.verify)]
        else:
            cmd = [sys.executable, os.path.abspath(__file__), "--worker", engine] + common
        print(f"running {engine} ...", file=sys.stderr)
        status, rss = run_measured(cmd)
        peak[engine] = rss
        if status not in (0, 1):
            print(f"{engine} exited with status {status}", file=sys.stderr)

    results = {e: read_csv(os.path.join(out_dir, f"{e}.csv")) for e in engines
               if os.path.exists(os.path.join(out_dir, f"{e}.csv"))}
    names = sorted(set().union(*[r.keys() for r in results.values()])) if results else []
    peers = [e for e in engines if e != "ember" and e in results]
    header = ["query"] + [e for e in engines if e in results]
    if "ember" in results:
        header += [f"ember/{p}" for p in peers]
    lines = [header]
    times = {e: {} for e in results}
    for q in names:
        line = [q]
        for e in header[1:len(results) + 1]:
            r = results[e].get(q)
            if r and r["ok"] == "true":
                t = float(r["median_s"])
                times[e][q] = t
                line.append(f"{t:.3f}")
            else:
                line.append("fail")
        for p in (peers if "ember" in results else []):
            a, b = times["ember"].get(q), times[p].get(q)
            line.append(f"{a / b:.2f}" if a and b else "-")
        lines.append(line)
    gm = ["geomean"]
    for e in header[1:len(results) + 1]:
        gm.append(f"{geomean(times[e].values()):.3f}")
    for p in (peers if "ember" in results else []):
        common_q = [q for q in names if q in times["ember"] and q in times[p]]
        gm.append(f"{geomean([times['ember'][q] / times[p][q] for q in common_q]):.2f}")
    lines.append(gm)
    total = ["total"] + [f"{sum(times[e].values()):.2f}" for e in header[1:len(results) + 1]]
    lines.append(total)
    rss = ["peak RSS MiB"] + [f"{peak.get(e, float('nan')):.0f}" for e in header[1:len(results) + 1]]
    lines.append(rss)
    widths = [max(len(l[i]) if i < len(l) else 0 for l in lines) for i in range(len(header))]
    for l in lines:
        print("  ".join(c.rjust(widths[i]) if i else c.ljust(widths[i]) for i, c in enumerate(l)))


if __name__ == "__main__":
    main()
