"""Remote mode against Sail's Spark Connect server: Ember plans and optimizes, Sail
runs the plan it sends. The TPC-H tables at SF 0.01 are written to Parquet by Ember
and registered as external tables on both sides; the 22 queries through
`ember --remote` equal the reference answers, each plan node kind gives the same
rows as Ember run locally, and failures are one clear line."""

import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, assert_rows_match, ember_bin, read_answer, free_port, stop_server, wait_listening

DATA = ROOT / "tests" / "data" / "tpch"
QUERIES = [f"q{i:02d}" for i in range(1, 23)]
TABLES = ["nation", "region", "part", "supplier", "partsupp", "customer", "orders", "lineitem"]


def sail_bin():
    return str(Path(sys.executable).parent / "sail")


@pytest.fixture(scope="module")
def sail(tmp_path_factory):
    port = free_port()
    proc = subprocess.Popen(
        [sail_bin(), "spark", "server", "--ip", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path_factory.mktemp("sail"),
    )
    wait_listening(port, proc)
    yield f"sc://127.0.0.1:{port}"
    stop_server(proc)


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    """A script registering the TPC-H tables, written as Parquet, as external tables."""
    folder = tmp_path_factory.mktemp("tpch")
    copies = [f"COPY {t} TO '{folder / t}.parquet' (FORMAT parquet);" for t in TABLES]
    subprocess.run([ember_bin(), "--tpch", "0.01", "-c", "\n".join(copies)],
                   check=True, capture_output=True, text=True)
    (folder / "nulls.csv").write_text("k,v\n1,a\n2,\n,c\n")
    ddl = folder / "tables.sql"
    ddl.write_text(
        "\n".join(
            f"CREATE EXTERNAL TABLE {t} STORED AS PARQUET LOCATION '{folder / t}.parquet';"
            for t in TABLES
        )
        + f"\nCREATE EXTERNAL TABLE nulls STORED AS CSV LOCATION '{folder / 'nulls.csv'}';\n"
    )
    yield ddl
    shutil.rmtree(folder, ignore_errors=True)


def ember(*args):
    return subprocess.run([ember_bin(), "--threads", "2", *args],
                          capture_output=True, text=True, timeout=300)


def csv_rows(text):
    rows = list(csv.reader(io.StringIO(text)))
    # A one-column NULL prints as an empty line, which csv reads as no cells.
    return [row or [""] for row in rows[1:]]


def answer(name):
    return read_answer(DATA / "answers" / "sf0.01" / f"{name}.csv")


@pytest.mark.parametrize("name", QUERIES)
def test_tpch_through_sail(sail, tables, name):
    run = ember("--remote", sail, "--format", "csv", "-f", str(tables),
                "-f", str(DATA / "queries" / f"{name}.sql"))
    assert run.returncode == 0, run.stderr
    assert_rows_match(answer(name), csv_rows(run.stdout))


# One query per plan node kind (and the expressions of the translation table); each
# must give exactly the rows Ember gives locally.
NODE_QUERIES = {
    "filter_project": "SELECT n_name, n_nationkey * 2 AS twice FROM nation WHERE n_regionkey = 1 ORDER BY n_name",
    "aggregate": "SELECT n_regionkey, count(*) AS n, count(DISTINCT substring(n_name, 1, 1)) AS letters, "
                 "min(n_name) AS first, max(n_nationkey) AS top, avg(n_nationkey) AS mean "
                 "FROM nation GROUP BY n_regionkey ORDER BY n_regionkey",
    "global_aggregate": "SELECT sum(l_extendedprice) AS s, avg(l_discount) AS a, round(stddev_samp(l_quantity), 6) AS sd FROM lineitem",
    "left_join": "SELECT r_name, n_name FROM region LEFT JOIN nation ON r_regionkey = n_regionkey AND n_name LIKE 'A%' ORDER BY r_name, n_name",
    "right_join": "SELECT r_name, n_name FROM nation RIGHT JOIN region ON r_regionkey = n_regionkey AND n_nationkey < 3 ORDER BY r_name, n_name",
    "full_join": "SELECT a.k, b.k FROM (SELECT n_nationkey AS k FROM nation WHERE n_nationkey < 5) a "
                 "FULL JOIN (SELECT r_regionkey + 3 AS k FROM region) b ON a.k = b.k ORDER BY a.k, b.k",
    "semi_join": "SELECT r_name FROM region WHERE EXISTS (SELECT 1 FROM nation WHERE n_regionkey = r_regionkey AND n_name LIKE 'C%') ORDER BY r_name",
    "anti_join": "SELECT r_name FROM region WHERE NOT EXISTS (SELECT 1 FROM nation WHERE n_regionkey = r_regionkey AND n_name LIKE 'C%') ORDER BY r_name",
    "not_in_with_nulls": "SELECT v FROM nulls WHERE k NOT IN (SELECT k FROM nulls WHERE v = 'a') ORDER BY v",
    "not_in_null_set": "SELECT n_name FROM nation WHERE n_nationkey NOT IN (SELECT k FROM nulls)",
    "mark_join_exists": "SELECT n_name, EXISTS (SELECT 1 FROM region WHERE r_regionkey = n_regionkey AND r_name LIKE 'A%') AS e "
                        "FROM nation ORDER BY n_nationkey",
    "mark_join_in": "SELECT k, v, k IN (SELECT k FROM nulls WHERE v = 'a') AS i, k NOT IN (SELECT k FROM nulls) AS ni, "
                    "k IN (SELECT n_nationkey FROM nation) AS nn FROM nulls ORDER BY v",
    "mark_join_or": "SELECT n_name FROM nation WHERE n_regionkey = 1 OR n_nationkey IN (SELECT r_regionkey FROM region) ORDER BY 1",
    "mark_join_correlated_in": "SELECT a.k, a.k IN (SELECT b.k FROM nulls b WHERE b.v = a.v) AS same FROM nulls a ORDER BY a.v",
    "cross_join": "SELECT count(*) AS n FROM nation CROSS JOIN region",
    "sort_nulls": "SELECT k, v FROM nulls ORDER BY v DESC NULLS LAST, k NULLS FIRST",
    "limit_offset": "SELECT n_name FROM nation ORDER BY n_name LIMIT 4 OFFSET 3",
    "union": "SELECT n_name AS name FROM nation WHERE n_regionkey = 0 UNION SELECT r_name FROM region ORDER BY name",
    "union_all": "SELECT n_regionkey AS k FROM nation UNION ALL SELECT r_regionkey FROM region ORDER BY k",
    "intersect_except": "(SELECT n_regionkey FROM nation INTERSECT SELECT r_regionkey FROM region WHERE r_regionkey > 1) "
                        "EXCEPT ALL SELECT 4 ORDER BY 1",
    "distinct": "SELECT DISTINCT n_regionkey FROM nation ORDER BY 1",
    "window": "SELECT n_name, row_number() OVER (PARTITION BY n_regionkey ORDER BY n_name) AS rn, "
              "rank() OVER (ORDER BY n_regionkey) AS rk, "
              "sum(n_nationkey) OVER (PARTITION BY n_regionkey ORDER BY n_nationkey ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s, "
              "lag(n_name, 1, '-') OVER (ORDER BY n_nationkey) AS prev FROM nation ORDER BY n_nationkey",
    "subquery_alias": "SELECT x.n FROM (SELECT n_name AS n FROM nation) AS x WHERE x.n LIKE '%A' ORDER BY 1",
    "values": "SELECT * FROM (VALUES (1, 'one', DATE '2024-02-29'), (2, NULL, NULL)) AS v(a, b, c) ORDER BY a",
    "literals": "SELECT CAST(12.345 AS DECIMAL(10,3)) * 2 AS d, DATE '2024-01-31' + INTERVAL '1' MONTH AS m, "
                "DATE '2024-03-01' - 1 AS prev_day, TIMESTAMP '2024-01-02 03:04:05.25' AS t, 7 / 2 AS int_div, 7.0 / 2 AS frac, "
                "TRUE AND NULL AS maybe, 'it''s' AS quote",
    "expressions": "SELECT n_name, CASE n_regionkey WHEN 0 THEN 'zero' WHEN 1 THEN 'one' ELSE 'many' END AS c, "
                   "n_nationkey IN (1, 2, 3) AS small, n_name NOT LIKE 'A%' AS not_a, n_comment IS NULL AS no_comment, "
                   "n_nationkey BETWEEN 5 AND 9 AS mid, coalesce(NULL, n_name) AS co FROM nation ORDER BY n_nationkey",
    "functions": "SELECT upper(n_name) AS u, lower(n_name) AS l, length(n_name) AS len, strpos(n_name, 'A') AS p, "
                 "concat(n_name, NULL, '!') AS c, n_name || '?' AS cc, round(n_nationkey / 3.0, 2) AS r, "
                 "date_part('year', DATE '2024-05-06') AS y, abs(-n_nationkey) AS a, trim('  x ') AS t "
                 "FROM nation ORDER BY n_nationkey LIMIT 5",
    "scalar_subquery": "SELECT n_name FROM nation WHERE n_nationkey > (SELECT avg(n_nationkey) FROM nation) ORDER BY 1",
    "csv_table": "SELECT k, v FROM nulls ORDER BY k NULLS LAST",
    "string_functions": "SELECT split_part('a,b,c', ',', 2) AS s, lpad('7', 3, '0') AS lp, rpad('7', 3) AS rp, left('hello', 2) AS l, right('hello', 2) AS r, greatest(1, 5, 3) AS g, least(2, NULL, 1) AS le, nullif(1, 1) AS nf, chr(65) AS c, reverse('abc') AS rv, replace('aXbX', 'X', '-') AS rp2, ltrim('  a') AS lt, rtrim('a  ') || '|' AS rt, trim('xxaxx', 'x') AS tr",
    "date_functions": "SELECT date_trunc('month', DATE '2024-05-17') AS m, date_trunc('year', TIMESTAMP '2024-05-17 10:11:12') AS y, make_date(2024, 2, 29) AS md, date_part('dow', DATE '2024-05-19') AS dow, date_part('doy', DATE '2024-02-01') AS doy, date_part('quarter', DATE '2024-05-17') AS q, date_part('week', DATE '2024-05-17') AS w, date_part('hour', TIMESTAMP '2024-05-17 10:11:12') AS h",
    "aggregate_functions": "SELECT n_regionkey, string_agg(n_name, ',' ORDER BY n_name) AS names, median(n_nationkey) AS med, percentile_cont(0.25) WITHIN GROUP (ORDER BY n_nationkey) AS p25, bool_and(n_nationkey > 2) AS ba, bool_or(n_nationkey > 20) AS bo, round(var_pop(n_nationkey), 6) AS vp, round(stddev_pop(n_nationkey), 6) AS sp FROM nation GROUP BY n_regionkey ORDER BY 1",
    "window_functions": "SELECT n_name, ntile(3) OVER (ORDER BY n_nationkey) AS t, percent_rank() OVER (ORDER BY n_regionkey) AS pr, cume_dist() OVER (ORDER BY n_regionkey) AS cd, lead(n_name) OVER (PARTITION BY n_regionkey ORDER BY n_name) AS nx, first_value(n_name) OVER (PARTITION BY n_regionkey ORDER BY n_name) AS fv, last_value(n_name) OVER (PARTITION BY n_regionkey ORDER BY n_name ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS lv, nth_value(n_name, 2) OVER (PARTITION BY n_regionkey ORDER BY n_name) AS nv, dense_rank() OVER (ORDER BY n_regionkey DESC) AS dr FROM nation ORDER BY n_nationkey",
    "window_frames": "SELECT n_nationkey, sum(n_nationkey) OVER (ORDER BY n_nationkey RANGE BETWEEN 2 PRECEDING AND 1 FOLLOWING) AS rs, avg(n_nationkey) OVER (PARTITION BY n_regionkey) AS pa, count(*) OVER () AS c FROM nation ORDER BY 1",
    "like_and_regex": "SELECT n_name ILIKE 'a%' AS il, n_name LIKE 'A\\_%' AS esc, n_name LIKE 'A#%' ESCAPE '#' AS e2, upper(n_name) || lower(n_name) AS ul, char_length(n_comment) AS cl, starts_with(n_name, 'AL') AS sw, ends_with(n_name, 'A') AS ew, regexp_like(n_name, '^[AB]') AS rl FROM nation ORDER BY n_nationkey LIMIT 8",
    "math": "SELECT round(12.345, 1) AS r1, round(-2.5) AS r2, ceil(1.2) AS c, floor(-1.2) AS f, sqrt(16.0) AS s, power(2, 10) AS p, ln(exp(1.0)) AS ln1, log(100.0) AS lg, log10(1000.0) AS l10, mod(10, 3) AS m, 10 % 3 AS m2, sign(-3) AS sg, abs(-4.5) AS a, -7 / 2 AS idiv, 7.5 / 2 AS fdiv",
    "rounding_casts": "SELECT CAST(2.5 AS INT) a, CAST(-2.5 AS INT) b, CAST(CAST(2.5 AS DOUBLE) AS INT) c, "
                      "CAST(CAST(-2.5 AS DOUBLE) AS INT) e, CAST(2.45 AS DECIMAL(5,1)) f, CAST(n_nationkey * 1.5 AS INT) h FROM nation ORDER BY h",
    "substring_and_round": "SELECT substring('hello', 0, 3) a, substring('hello', -1, 3) b, substring('hello', -5, 3) d, "
                           "substring('hello', n_nationkey - 1, 2) e, substring('hello', n_nationkey - 2) f, "
                           "round(-0.5::DOUBLE) r2, round(2.5::DOUBLE, 0) r4, round(-2.5) r5 FROM nation WHERE n_nationkey < 4 ORDER BY n_nationkey",
    "rollup": "SELECT n_regionkey, substring(n_name, 1, 1) AS l, count(*) AS n, sum(n_nationkey) AS s, GROUPING(n_regionkey) AS g "
              "FROM nation GROUP BY ROLLUP (n_regionkey, substring(n_name, 1, 1)) ORDER BY 1 NULLS LAST, 2 NULLS LAST",
    "casts": "SELECT CAST('2024-01-02' AS DATE) AS d, CAST('12' AS INT) + 1 AS i, CAST(3.7 AS INT) AS ti, CAST(n_nationkey AS VARCHAR) || 'x' AS s, CAST('2024-01-02 03:04:05' AS TIMESTAMP) AS ts, CAST(1 AS DOUBLE) / 3 AS third FROM nation WHERE n_nationkey < 2 ORDER BY 1, 2",
    "non_equi_join": "SELECT * FROM nation n1 JOIN nation n2 ON n1.n_nationkey < n2.n_nationkey AND n1.n_regionkey = n2.n_regionkey ORDER BY 1, 5 LIMIT 5",
    "correlated_scalar_subquery": "SELECT r_name, (SELECT count(*) FROM nation WHERE n_regionkey = r_regionkey) AS c FROM region ORDER BY 1",
    "except": "SELECT n_regionkey, n_name FROM nation EXCEPT SELECT n_regionkey, n_name FROM nation WHERE n_nationkey > 3 ORDER BY 1, 2",
}


@pytest.mark.parametrize("name", sorted(NODE_QUERIES))
def test_plan_node_kinds_match_local(sail, tables, name):
    sql = NODE_QUERIES[name]
    local = ember("--format", "csv", "-f", str(tables), "-c", sql)
    remote = ember("--remote", sail, "--format", "csv", "-f", str(tables), "-c", sql)
    assert local.returncode == 0, local.stderr
    assert remote.returncode == 0, remote.stderr
    assert remote.stdout == local.stdout


def one_line_error(run):
    assert run.returncode != 0
    lines = [l for l in run.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, run.stderr
    return lines[0]


def test_unreachable_server_is_one_line(tables):
    url = f"sc://127.0.0.1:{free_port()}"
    line = one_line_error(ember("--remote", url, "-f", str(tables), "-c", "SELECT count(*) FROM nation"))
    assert f"cannot reach the Spark Connect server at {url}" in line


def test_server_side_error_is_one_line(sail, tables):
    # A scalar subquery of several rows fails on the cluster, as it does in Ember.
    run = ember("--remote", sail, "-f", str(tables), "-c", "SELECT (SELECT n_name FROM nation) AS x")
    line = one_line_error(run)
    assert f"the Spark Connect server at {sail} failed the query: " in line
    assert "scalar subquery returned more than one row" in line


def test_wrong_token_is_one_line(tables):
    port = free_port()
    proc = subprocess.Popen([ember_bin(), "serve", "--port", str(port), "--token", "right", "--threads", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_listening(port, proc)
        line = one_line_error(ember("--remote", f"sc://127.0.0.1:{port}/;token=wrong", "-c", "SELECT 1 AS one"))
        assert f"the Spark Connect server at sc://127.0.0.1:{port} refused the credentials" in line
        ok = ember("--remote", f"sc://127.0.0.1:{port}/;token=right", "--format", "csv", "-c", "SELECT 1 AS one")
        assert ok.returncode == 0, ok.stderr
        assert ok.stdout.splitlines() == ["one", "1"]
    finally:
        stop_server(proc)


def test_untranslatable_function_is_refused_and_the_shell_goes_on(sail, tables):
    run = ember("--remote", sail, "-f", str(tables), "-c", "SELECT to_char(DATE '2024-01-01', 'YYYY') AS y")
    line = one_line_error(run)
    assert "cannot run remotely: the function to_char() has no Spark equivalent" in line
    # SET and RESET switch a session between the cluster and Ember itself.
    script = (
        f"SET ember.execution.remote = '{sail}';\n"
        "SELECT count(*) AS n FROM nation;\n"
        "RESET ember.execution.remote;\n"
        "SELECT to_char(DATE '2024-01-01', 'YYYY') AS y;\n"
    )
    run = ember("--format", "csv", "-f", str(tables), "-c", script)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["n", "25", "y", "2024"]


WRITE_QUERY = ("SELECT l_orderkey, l_linenumber, l_quantity, l_shipmode, l_shipdate FROM lineitem "
               "WHERE l_orderkey < 200")
# CSV keeps no types: the quantities are compared as numbers.
WRITE_READ_BACK = ("SELECT l_orderkey, l_linenumber, CAST(l_quantity AS DOUBLE) AS q, l_shipmode, l_shipdate "
                   "FROM {src} ORDER BY 1, 2")


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_copy_runs_as_a_write_on_the_cluster(sail, tables, tmp_path, fmt):
    out = tmp_path / f"lines_{fmt}"
    options = f"FORMAT {fmt}, PARTITION_BY (l_shipmode)" if fmt == "parquet" else f"FORMAT {fmt}, DELIMITER '|'"
    run = ember("--remote", sail, "--format", "csv", "-f", str(tables), "-c",
                f"COPY ({WRITE_QUERY}) TO '{out}' ({options})")
    assert run.returncode == 0, run.stderr
    # The cluster wrote a folder of files; Ember reads them back locally.
    local = ember("--format", "csv", "-f", str(tables), "-c", f"SELECT count(*) FROM ({WRITE_QUERY})")
    expected_count = local.stdout.split()[-1]
    # The rows written, as the cluster counts them in the files.
    assert run.stdout.split()[-1] == expected_count, run.stdout
    parts = [p for p in out.rglob(f"*.{fmt}") if p.is_file()]
    assert parts, list(out.rglob("*"))
    if fmt == "parquet":
        assert any(p.parent.name.startswith("l_shipmode=") for p in parts)
        src = f"'{out}'"
        setup = []
    else:
        src = "back"
        setup = ["-c", f"CREATE EXTERNAL TABLE back STORED AS CSV LOCATION '{out}' OPTIONS ('delimiter' '|')"]
    back = ember("--format", "csv", *setup, "-c", WRITE_READ_BACK.format(src=src))
    want = ember("--format", "csv", "-f", str(tables), "-c", WRITE_READ_BACK.format(src=f"({WRITE_QUERY})"))
    assert back.returncode == 0, back.stderr
    assert want.returncode == 0, want.stderr
    assert back.stdout == want.stdout


def test_remote_write_modes_and_refused_options(sail, tables, tmp_path):
    out = tmp_path / "nations"
    copy = f"COPY (SELECT n_nationkey, n_name FROM nation) TO '{out}' (FORMAT parquet{{}})"
    first = ember("--remote", sail, "--format", "csv", "-f", str(tables), "-c", copy.format(""))
    assert first.returncode == 0, first.stderr
    # The target exists: the default mode refuses, on the cluster, in one line.
    again = ember("--remote", sail, "-f", str(tables), "-c", copy.format(""))
    assert f"the Spark Connect server at {sail} failed the query" in one_line_error(again)
    appended = ember("--remote", sail, "--format", "csv", "-f", str(tables), "-c", copy.format(", APPEND true"))
    count = ember("--format", "csv", "-c", f"SELECT count(*) FROM '{out}'")
    assert count.stdout.split()[-1] == "50", (appended.stderr, count.stdout, count.stderr)
    # Options Spark cannot be given are refused before anything is sent.
    refused = ember("--remote", sail, "-f", str(tables), "-c", copy.format(", ROW_GROUP_SIZE 1000, OVERWRITE true"))
    assert "cannot run remotely: row_group_size" in one_line_error(refused)


# Tables only the cluster's catalog holds. Sail 0.7's catalog is per Spark session:
# `cluster_orders` (CREATE TABLE ... USING parquet) lives in a PySpark session that
# Ember joins with `session_id=`; `global_temp.cluster_lineitem`, a global temporary
# view, is seen from every session, Ember's own included.
@pytest.fixture(scope="module")
def cluster_tables(sail, tables):
    from pyspark.sql import SparkSession

    folder = tables.parent
    write_typed_files(folder)
    spark = SparkSession.builder.remote(sail).create()
    spark.sql(f"CREATE TABLE cluster_orders USING parquet LOCATION '{folder / 'orders.parquet'}'")
    for view, path in [("cluster_lineitem", "lineitem.parquet"), ("cluster_types", "types.parquet"),
                       ("cluster_map", "map.parquet")]:
        spark.sql(f"CREATE GLOBAL TEMPORARY VIEW {view} USING parquet OPTIONS (path '{folder / path}')")
    yield f"{sail}/;session_id={spark.session_id}"
    spark.stop()


def write_typed_files(folder):
    """types.parquet: columns of the types Ember maps from Spark's; map.parquet: a
    map column, which Ember has no type for."""
    import datetime
    from decimal import Decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({
        "id": pa.array([1, 2, 3], pa.int64()),
        "small": pa.array([1, None, -3], pa.int8()),
        "price": pa.array([Decimal("12.34"), None, Decimal("-0.05")], pa.decimal128(10, 2)),
        "ratio": pa.array([0.5, None, 2.25], pa.float32()),
        "name": ["a", None, "c"],
        "day": pa.array([datetime.date(2024, 2, 29), None, datetime.date(1999, 12, 31)]),
        "at": pa.array([datetime.datetime(2024, 1, 2, 3, 4, 5, 250000), None, None], pa.timestamp("us")),
        "raw": pa.array([b"ab", None, b""], pa.binary()),
        "ok": [True, None, False],
        "tags": pa.array([[1, 2], None, []], pa.list_(pa.int32())),
        "point": pa.array([{"x": 1.0, "y": "a"}, None, {"x": None, "y": "c"}],
                          pa.struct([("x", pa.float64()), ("y", pa.string())])),
    }), folder / "types.parquet")
    pq.write_table(pa.table({
        "id": [1],
        "attrs": pa.array([[("k", 1)]], pa.map_(pa.string(), pa.int32())),
    }), folder / "map.parquet")


CLUSTER_QUERIES = {
    # A cluster-only table joined with tables Ember registered (files both read).
    "join": "SELECT n_name, count(*) AS n, sum(o_totalprice) AS total FROM {orders} "
            "JOIN customer ON o_custkey = c_custkey JOIN nation ON c_nationkey = n_nationkey "
            "WHERE o_orderdate < DATE '1995-01-01' GROUP BY n_name ORDER BY n_name",
    "aggregate": "SELECT o_orderpriority, count(*) AS n, sum(o_totalprice) AS total, avg(o_totalprice) AS mean, "
                 "min(o_orderdate) AS first, max(o_clerk) AS clerk FROM {orders} GROUP BY o_orderpriority ORDER BY 1",
    # A qualified name (a global temporary view) and the session's table in one query.
    "qualified": "SELECT l_returnflag, count(*) AS n, sum(l_quantity) AS q FROM global_temp.cluster_lineitem "
                 "JOIN {orders} ON l_orderkey = o_orderkey WHERE o_orderstatus = 'F' GROUP BY 1 ORDER BY 1",
}


@pytest.mark.parametrize("name", sorted(CLUSTER_QUERIES))
def test_cluster_only_tables_give_the_local_rows(cluster_tables, tables, name):
    sql = CLUSTER_QUERIES[name]
    remote = ember("--remote", cluster_tables, "--format", "csv", "-f", str(tables),
                   "-c", sql.format(orders="cluster_orders"))
    # Ember alone, over its own registration of the same files.
    local = ember("--format", "csv", "-f", str(tables),
                  "-c", sql.format(orders="orders").replace("global_temp.cluster_lineitem", "lineitem"))
    assert remote.returncode == 0, remote.stderr
    assert local.returncode == 0, local.stderr
    assert len(remote.stdout.splitlines()) > 2
    assert remote.stdout == local.stdout


def test_cluster_column_types_come_back_as_ember_reads_them(cluster_tables, tables):
    sql = "SELECT *, price * 2 AS twice, day + 1 AS next_day FROM {t} ORDER BY id"
    remote = ember("--remote", cluster_tables, "--format", "csv",
                   "-c", sql.format(t="global_temp.cluster_types"))
    local = ember("--format", "csv", "-c", sql.format(t=f"'{tables.parent / 'types.parquet'}'"))
    assert remote.returncode == 0, remote.stderr
    assert local.returncode == 0, local.stderr
    assert remote.stdout == local.stdout
    line = one_line_error(ember("--remote", cluster_tables, "-c", "SELECT id FROM global_temp.cluster_map"))
    assert line == ("error: not supported at line 1, column 16: the table global_temp.cluster_map on the cluster "
                    f"at {cluster_tables.split('/;')[0]}: column 'attrs' has Spark type map<string,int>, "
                    "which Ember has no type for")


def test_explain_shows_the_named_table_read(cluster_tables, tables):
    run = ember("--remote", cluster_tables, "-f", str(tables), "-c",
                "EXPLAIN SELECT count(*) FROM cluster_orders JOIN customer ON o_custkey = c_custkey")
    assert run.returncode == 0, run.stderr
    assert "Read table cluster_orders" in run.stdout
    assert "Read parquet [" in run.stdout


def test_a_table_neither_side_knows_is_one_line(cluster_tables, sail, tables):
    line = one_line_error(ember("--remote", sail, "-f", str(tables), "-c", "SELECT * FROM no_such_table"))
    assert line == ("error: table 'no_such_table' not found at line 1, column 15: "
                    f"looked up in Ember's catalog and on the cluster at {sail}")
    # A session table of another Spark session is not there either.
    line = one_line_error(ember("--remote", sail, "-c", "SELECT count(*) FROM cluster_orders"))
    assert f"table 'cluster_orders' not found at line 1, column 22: looked up in Ember's catalog and on the cluster at {sail}" in line


def test_local_sessions_do_not_see_cluster_tables(cluster_tables):
    script = (
        f"SET ember.execution.remote = '{cluster_tables}';\n"
        "SELECT count(*) AS n FROM global_temp.cluster_lineitem WHERE l_orderkey < 100;\n"
        "RESET ember.execution.remote;\n"
        "SELECT count(*) AS n FROM cluster_orders;\n"
    )
    run = ember("--format", "csv", "-c", script)
    assert run.stdout.split() == ["n", "105"], run.stdout
    assert one_line_error(run) == "error: table 'cluster_orders' not found at line 4, column 27"


def test_tls_is_refused_before_connecting(sail):
    url = f"{sail}/;use_ssl=true"
    line = one_line_error(ember("-c", f"SET ember.execution.remote = '{url}'"))
    assert "TLS (use_ssl=true) is not supported" in line
    # On the command line, clap adds its usage hint below the error.
    run = ember("--remote", url, "-c", "SELECT 1")
    assert run.returncode != 0
    assert "TLS (use_ssl=true) is not supported" in run.stderr.splitlines()[0]
