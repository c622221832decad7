#!/usr/bin/env python3
"""Write speed: Ember's COPY ... TO beside DuckDB's on the same Parquet input.

    python3 benches/write_speed.py --data DIR [--ember target/release/ember] [--threads N]
        [--iterations K] [--table lineitem] [--out-dir DIR]

Reads DIR/<table>.parquet and writes it whole three ways, in each engine: Parquet with
zstd, Parquet partitioned by a column (l_shipmode for lineitem), and CSV with a header.
Ember runs as its own binary, one process per run (start-up included, a few
milliseconds); DuckDB runs in this process through its Python package, with the same
thread count. Each case runs once to warm the file cache, then K timed runs; the median
is reported with Ember's ratio to DuckDB (below 1 means Ember is faster), and the rows
and bytes each engine wrote.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PARTITION_COLUMN = {"lineitem": "l_shipmode", "orders": "o_orderstatus"}


def cases(table):
    """(name, Ember's COPY options, DuckDB's COPY options, output is a folder)."""
    out = [
        ("parquet_zstd", "FORMAT parquet, COMPRESSION zstd", "FORMAT parquet, COMPRESSION zstd", False),
        ("csv", "FORMAT csv, HEADER true", "FORMAT csv, HEADER true", False),
    ]
    column = PARTITION_COLUMN.get(table)
    if column:
        out.append(
            (
                f"parquet_by_{column}",
                f"FORMAT parquet, COMPRESSION zstd, PARTITION_BY ({column})",
                f"FORMAT parquet, COMPRESSION zstd, PARTITION_BY ({column})",
                True,
            )
        )
    return out


def size_of(path):
    if os.path.isfile(path):
        return os.path.getsize(path)
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


def remove(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)


def time_runs(run, target, iterations):
    """Runs `run` once to warm up, then `iterations` times; removes `target` before each."""
    times = []
    for i in range(iterations + 1):
        remove(target)
        start = time.perf_counter()
        run()
        elapsed = time.perf_counter() - start
        if i > 0:
            times.append(elapsed)
    return statistics.median(times), size_of(target)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="folder of TPC-H <table>.parquet files")
    p.add_argument("--ember", default=os.path.join(ROOT, "target/release/ember"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iterations", type=int, default=1)
    p.add_argument("--table", default="lineitem")
    p.add_argument("--out-dir", default="/tmp/ember-copy-bench")
    args = p.parse_args()

    import duckdb

    source = os.path.join(os.path.abspath(args.data), f"{args.table}.parquet")
    if not os.path.isfile(source):
        sys.exit(f"{source} does not exist")
    if not os.access(args.ember, os.X_OK):
        sys.exit(f"{args.ember} is not an executable (cargo build --release)")
    os.makedirs(args.out_dir, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"SET threads={args.threads}")
    rows = con.sql(f"SELECT count(*) FROM read_parquet('{source}')").fetchall()[0][0]
    print(f"{args.table}: {rows} rows from {source}, {args.threads} threads, median of {args.iterations}")
    print(f"{'case':<26}{'ember_s':>9}{'duckdb_s':>10}{'ratio':>8}{'ember_MB':>10}{'duckdb_MB':>11}")
    for name, ember_opts, duck_opts, folder in cases(args.table):
        ext = "parquet" if "parquet" in name else "csv"
        ember_target = os.path.join(args.out_dir, f"ember_{name}" + ("" if folder else f".{ext}"))
        duck_target = os.path.join(args.out_dir, f"duckdb_{name}" + ("" if folder else f".{ext}"))
        ember_sql = f"COPY (SELECT * FROM read_parquet('{source}')) TO '{ember_target}' ({ember_opts})"
        duck_sql = f"COPY (SELECT * FROM read_parquet('{source}')) TO '{duck_target}' ({duck_opts})"

        def run_ember():
            r = subprocess.run(
                [args.ember, "--threads", str(args.threads), "--format", "csv", "-c", ember_sql],
                capture_output=True,
                text=True,
            )
            if r.returncode != 0:
                sys.exit(f"ember failed on {name}: {r.stderr.strip()}")

        ember_s, ember_bytes = time_runs(run_ember, ember_target, args.iterations)
        duck_s, duck_bytes = time_runs(lambda: con.execute(duck_sql), duck_target, args.iterations)
        # Both wrote every row.
        read = "*.parquet" if ext == "parquet" else "*.csv"
        check = ember_target if not folder else os.path.join(ember_target, "**", read)
        reader = "read_parquet" if ext == "parquet" else "read_csv"
        written = con.sql(f"SELECT count(*) FROM {reader}('{check}')").fetchall()[0][0]
        if written != rows:
            sys.exit(f"{name}: Ember wrote {written} rows, expected {rows}")
        print(
            f"{name:<26}{ember_s:>9.3f}{duck_s:>10.3f}{ember_s / duck_s:>8.2f}"
            f"{ember_bytes / 1e6:>10.1f}{duck_bytes / 1e6:>11.1f}"
        )
        remove(ember_target)
        remove(duck_target)


if __name__ == "__main__":
    main()
