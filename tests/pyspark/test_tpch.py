"""TPC-H at SF 0.01 through PySpark: the 22 queries through spark.sql, and eight of
them written with the DataFrame API, each equal to the reference answers in
tests/data/tpch/answers/sf0.01."""

import datetime

import pytest
from pyspark.sql import functions as F

from conftest import ROOT, assert_rows_match, read_answer

DATA = ROOT / "tests" / "data" / "tpch"
QUERIES = [f"q{i:02d}" for i in range(1, 23)]


def answer(name):
    return read_answer(DATA / "answers" / "sf0.01" / f"{name}.csv")


@pytest.mark.parametrize("name", QUERIES)
def test_tpch_sql(spark, name):
    query = (DATA / "queries" / f"{name}.sql").read_text()
    rows = spark.sql(query).collect()
    assert_rows_match(answer(name), rows)


def d(text):
    return F.lit(datetime.date.fromisoformat(text))


def revenue():
    return F.col("l_extendedprice") * (1 - F.col("l_discount"))


def q01(s):
    li = s.table("lineitem")
    return (
        li.filter(F.col("l_shipdate") <= d("1998-09-02"))
        .groupBy("l_returnflag", "l_linestatus")
        .agg(
            F.sum("l_quantity").alias("sum_qty"),
            F.sum("l_extendedprice").alias("sum_base_price"),
            F.sum(revenue()).alias("sum_disc_price"),
            F.sum(revenue() * (1 + F.col("l_tax"))).alias("sum_charge"),
            F.avg("l_quantity").alias("avg_qty"),
            F.avg("l_extendedprice").alias("avg_price"),
            F.avg("l_discount").alias("avg_disc"),
            F.count("*").alias("count_order"),
        )
        .orderBy("l_returnflag", "l_linestatus")
    )


def q03(s):
    c = s.table("customer").filter(F.col("c_mktsegment") == "BUILDING")
    o = s.table("orders").filter(F.col("o_orderdate") < d("1995-03-15"))
    li = s.table("lineitem").filter(F.col("l_shipdate") > d("1995-03-15"))
    return (
        c.join(o, c.c_custkey == o.o_custkey)
        .join(li, li.l_orderkey == o.o_orderkey)
        .groupBy("l_orderkey", "o_orderdate", "o_shippriority")
        .agg(F.sum(revenue()).alias("revenue"))
        .select("l_orderkey", "revenue", "o_orderdate", "o_shippriority")
        .orderBy(F.desc("revenue"), "o_orderdate")
        .limit(10)
    )


def q05(s):
    r = s.table("region").filter(F.col("r_name") == "ASIA")
    o = s.table("orders").filter(
        (F.col("o_orderdate") >= d("1994-01-01")) & (F.col("o_orderdate") < d("1995-01-01"))
    )
    return (
        r.join(s.table("nation"), F.col("r_regionkey") == F.col("n_regionkey"))
        .join(s.table("supplier"), F.col("s_nationkey") == F.col("n_nationkey"))
        .join(s.table("lineitem"), F.col("l_suppkey") == F.col("s_suppkey"))
        .join(o, F.col("l_orderkey") == F.col("o_orderkey"))
        .join(
            s.table("customer"),
            (F.col("c_custkey") == F.col("o_custkey")) & (F.col("c_nationkey") == F.col("s_nationkey")),
        )
        .groupBy("n_name")
        .agg(F.sum(revenue()).alias("revenue"))
        .orderBy(F.desc("revenue"))
    )


def q06(s):
    return (
        s.table("lineitem")
        .filter(
            (F.col("l_shipdate") >= d("1994-01-01"))
            & (F.col("l_shipdate") < d("1995-01-01"))
            & F.col("l_discount").between(0.05, 0.07)
            & (F.col("l_quantity") < 24)
        )
        .agg(F.sum(F.col("l_extendedprice") * F.col("l_discount")).alias("revenue"))
    )


def q10(s):
    o = s.table("orders").filter(
        (F.col("o_orderdate") >= d("1993-10-01")) & (F.col("o_orderdate") < d("1994-01-01"))
    )
    li = s.table("lineitem").filter(F.col("l_returnflag") == "R")
    return (
        s.table("customer")
        .join(o, F.col("c_custkey") == F.col("o_custkey"))
        .join(li, F.col("l_orderkey") == F.col("o_orderkey"))
        .join(s.table("nation"), F.col("c_nationkey") == F.col("n_nationkey"))
        .groupBy("c_custkey", "c_name", "c_acctbal", "c_phone", "n_name", "c_address", "c_comment")
        .agg(F.sum(revenue()).alias("revenue"))
        .select("c_custkey", "c_name", "revenue", "c_acctbal", "n_name", "c_address", "c_phone", "c_comment")
        .orderBy(F.desc("revenue"))
        .limit(20)
    )


def q12(s):
    li = s.table("lineitem").filter(
        F.col("l_shipmode").isin("MAIL", "SHIP")
        & (F.col("l_commitdate") < F.col("l_receiptdate"))
        & (F.col("l_shipdate") < F.col("l_commitdate"))
        & (F.col("l_receiptdate") >= d("1994-01-01"))
        & (F.col("l_receiptdate") < d("1995-01-01"))
    )
    high = F.col("o_orderpriority").isin("1-URGENT", "2-HIGH")
    return (
        s.table("orders")
        .join(li, F.col("o_orderkey") == F.col("l_orderkey"))
        .groupBy("l_shipmode")
        .agg(
            F.sum(F.when(high, 1).otherwise(0)).alias("high_line_count"),
            F.sum(F.when(~high, 1).otherwise(0)).alias("low_line_count"),
        )
        .orderBy("l_shipmode")
    )


def q14(s):
    li = s.table("lineitem").filter(
        (F.col("l_shipdate") >= d("1995-09-01")) & (F.col("l_shipdate") < d("1995-10-01"))
    )
    promo = F.when(F.col("p_type").like("PROMO%"), revenue()).otherwise(0)
    return (
        li.join(s.table("part"), F.col("l_partkey") == F.col("p_partkey"))
        .agg((F.lit(100.0) * F.sum(promo) / F.sum(revenue())).alias("promo_revenue"))
    )


def q18(s):
    li = s.table("lineitem")
    big = (
        li.groupBy("l_orderkey")
        .agg(F.sum("l_quantity").alias("q"))
        .filter(F.col("q") > 300)
        .select(F.col("l_orderkey").alias("big_key"))
    )
    return (
        s.table("orders")
        .join(big, F.col("o_orderkey") == F.col("big_key"), "left_semi")
        .join(s.table("customer"), F.col("c_custkey") == F.col("o_custkey"))
        .join(li, F.col("o_orderkey") == F.col("l_orderkey"))
        .groupBy("c_name", "c_custkey", "o_orderkey", "o_orderdate", "o_totalprice")
        .agg(F.sum("l_quantity").alias("sum_qty"))
        .orderBy(F.desc("o_totalprice"), "o_orderdate")
        .limit(100)
    )


DATAFRAME_QUERIES = {
    "q01": q01, "q03": q03, "q05": q05, "q06": q06,
    "q10": q10, "q12": q12, "q14": q14, "q18": q18,
}


@pytest.mark.parametrize("name", sorted(DATAFRAME_QUERIES))
def test_tpch_dataframe(spark, name):
    rows = DATAFRAME_QUERIES[name](spark).collect()
    assert_rows_match(answer(name), rows)
