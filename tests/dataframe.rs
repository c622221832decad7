//! The DataFrame API and SQL give the same results for the same query.

mod common;

use ember::JoinKind;
use ember::SessionContext;
use ember::dataframe::functions::{avg, col, count_star, lit, sum};
use ember_planner::ScalarValue;

fn session() -> SessionContext {
    let ctx = SessionContext::new();
    ctx.register_tpch(0.01).unwrap();
    ctx
}

#[test]
fn tpch_q3_through_dataframe_equals_sql() {
    let ctx = session();
    let sql = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/tpch/queries/q03.sql"
    ))
    .unwrap();
    let sql_df = ctx.sql(&sql).unwrap();
    let sql_csv = common::to_csv(&sql_df.schema(), &sql_df.collect().unwrap());

    let date = ScalarValue::Date32(ember_planner::scalar::parse_date32("1995-03-15"));
    let customer = ctx
        .table("customer")
        .unwrap()
        .filter(col("c_mktsegment").eq(lit("BUILDING")))
        .unwrap();
    let orders = ctx
        .table("orders")
        .unwrap()
        .filter(col("o_orderdate").lt(lit(date.clone())))
        .unwrap();
    let lineitem = ctx
        .table("lineitem")
        .unwrap()
        .filter(col("l_shipdate").gt(lit(date)))
        .unwrap();
    let df = customer
        .join(&orders, JoinKind::Inner, &["c_custkey"], &["o_custkey"])
        .unwrap()
        .join(&lineitem, JoinKind::Inner, &["o_orderkey"], &["l_orderkey"])
        .unwrap()
        .aggregate(
            vec![col("l_orderkey"), col("o_orderdate"), col("o_shippriority")],
            vec![sum(col("l_extendedprice").mul(lit(1).sub(col("l_discount")))).alias("revenue")],
        )
        .unwrap()
        .select(vec![
            col("l_orderkey"),
            col("revenue"),
            col("o_orderdate"),
            col("o_shippriority"),
        ])
        .unwrap()
        .order_by(vec![
            col("revenue").sort_desc(),
            col("o_orderdate").sort_asc(),
        ])
        .unwrap()
        .limit(0, Some(10))
        .unwrap();
    let df_csv = common::to_csv(&df.schema(), &df.collect().unwrap());
    assert_eq!(df_csv.lines().count(), 11, "{df_csv}");
    assert_eq!(df_csv, sql_csv);
}

#[test]
fn grouped_aggregate_through_dataframe_equals_sql() {
    let ctx = session();
    let df = ctx
        .table("lineitem")
        .unwrap()
        .group_by(vec![col("l_returnflag")])
        .agg(vec![
            count_star().alias("n"),
            avg(col("l_quantity")).alias("q"),
        ])
        .unwrap()
        .order_by(vec![col("l_returnflag").sort_asc()])
        .unwrap();
    let sql = ctx
        .sql("SELECT l_returnflag, count(*) AS n, avg(l_quantity) AS q FROM lineitem GROUP BY l_returnflag ORDER BY l_returnflag")
        .unwrap();
    let a = common::to_csv(&df.schema(), &df.collect().unwrap());
    let b = common::to_csv(&sql.schema(), &sql.collect().unwrap());
    assert_eq!(a.lines().count(), 4, "{a}");
    assert_eq!(a, b);
}
