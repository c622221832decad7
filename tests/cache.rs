//! A cached DataFrame reads its source once: the second action reads no Parquet.
//! (One test in its own binary: the Parquet read counter is per process.)

use ember::SessionContext;
use ember::dataframe::functions::{col, count_star, lit};
use ember::sources::parquet::row_groups_read;

#[test]
fn second_run_of_a_cached_dataframe_reads_no_parquet() {
    let ctx = SessionContext::new();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/parquet/nation.parquet"
    );
    let df = ctx
        .read_parquet(path)
        .unwrap()
        .filter(col("n_regionkey").lt(lit(3)))
        .unwrap()
        .cache()
        .unwrap();
    let counted = df
        .aggregate(vec![col("n_regionkey")], vec![count_star().alias("n")])
        .unwrap();
    let before = row_groups_read();
    let first = counted.collect().unwrap();
    let after_first = row_groups_read();
    assert!(after_first > before, "the first run reads the file");
    let second = counted.collect().unwrap();
    assert_eq!(
        row_groups_read(),
        after_first,
        "the second run reads the cache only"
    );
    assert_eq!(first, second);
    assert_eq!(df.count().unwrap(), 15);
    let m = ctx.rdd_context().metrics();
    assert!(m.cached_blocks_read > 0, "{m:?}");
}
