//! The DataFrame API on built-in TPC-H data: `cargo run --release --example dataframe_tour`.

use ember::JoinKind;
use ember::SessionContext;
use ember::dataframe::functions::{col, lit, sum};

fn main() -> ember::Result<()> {
    let ctx = SessionContext::new();
    ctx.register_tpch(0.01)?;
    let orders = ctx
        .table("orders")?
        .filter(col("o_orderstatus").eq(lit("F")))?;
    let revenue = ctx
        .table("customer")?
        .join(&orders, JoinKind::Inner, &["c_custkey"], &["o_custkey"])?
        .group_by(vec![col("c_mktsegment")])
        .agg(vec![sum(col("o_totalprice")).alias("total")])?
        .order_by(vec![col("total").sort_desc()])?;
    revenue.show()?;
    println!("{}", revenue.explain(false)?);
    Ok(())
}
