//! Remote mode against a real Spark Connect server in the same process — Ember's own
//! (`ember serve`), which reads the plan's files by path as a cluster would: DataFrame
//! programs and SQL give the same rows through `SessionContext::remote` as locally, the
//! TPC-H queries included. Sail, the production-shaped server, is exercised by
//! tests/pyspark/test_remote.py.

mod common;

use ember::connect::{ServeOptions, Server};
use ember::dataframe::functions::{avg, col, count_star, lit, sum};
use ember::{DataFrame, JoinKind, SessionContext};
use ember_planner::ScalarValue;

const TABLES: [&str; 8] = [
    "nation", "region", "part", "supplier", "partsupp", "customer", "orders", "lineitem",
];

struct Setup {
    local: SessionContext,
    remote: SessionContext,
    _server: Server,
    dir: std::path::PathBuf,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The TPC-H tables at SF 0.01 written to Parquet, registered in a local session and
/// in a remote one whose server reads the same paths.
fn setup(name: &str) -> Setup {
    let dir = std::env::temp_dir().join(format!("ember-remote-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let generator = SessionContext::new();
    generator.register_tpch(0.01).unwrap();
    let local = SessionContext::new();
    let mut options = ServeOptions {
        host: "127.0.0.1".into(),
        port: 0,
        ..ServeOptions::default()
    };
    options.config.threads = 2;
    let server = Server::start(options).unwrap();
    let remote =
        SessionContext::remote(&format!("sc://127.0.0.1:{}", server.addr().port())).unwrap();
    for t in TABLES {
        let path = dir.join(format!("{t}.parquet"));
        let path = path.to_str().unwrap();
        generator
            .sql(&format!("COPY {t} TO '{path}' (FORMAT parquet)"))
            .unwrap()
            .collect()
            .unwrap();
        local.register_parquet(t, path).unwrap();
        remote.register_parquet(t, path).unwrap();
    }
    Setup {
        local,
        remote,
        _server: server,
        dir,
    }
}

fn rows(df: &DataFrame) -> String {
    common::to_csv(&df.schema(), &df.collect().unwrap())
}

fn dataframe_programs(ctx: &SessionContext) -> Vec<DataFrame> {
    let date = ScalarValue::Date32(ember_planner::scalar::parse_date32("1995-03-15"));
    let customer = ctx
        .table("customer")
        .unwrap()
        .filter(col("c_mktsegment").eq(lit("BUILDING")))
        .unwrap();
    let orders = ctx
        .table("orders")
        .unwrap()
        .filter(col("o_orderdate").lt(lit(date)))
        .unwrap();
    let revenue = customer
        .join(&orders, JoinKind::Inner, &["c_custkey"], &["o_custkey"])
        .unwrap()
        .aggregate(
            vec![col("o_orderpriority")],
            vec![
                sum(col("o_totalprice")).alias("total"),
                avg(col("o_totalprice")).alias("mean"),
                count_star().alias("n"),
            ],
        )
        .unwrap()
        .order_by(vec![col("total").sort_desc()])
        .unwrap();
    let nations = ctx.table("nation").unwrap();
    let renamed = nations
        .with_column("double_key", col("n_nationkey").mul(lit(2)))
        .unwrap()
        .filter(col("n_regionkey").gt(lit(2)))
        .unwrap()
        .order_by(vec![col("n_name").sort_asc()])
        .unwrap()
        .limit(2, Some(4))
        .unwrap();
    let regions = ctx
        .table("region")
        .unwrap()
        .select_columns(&["r_regionkey"])
        .unwrap();
    let keys = nations
        .select_columns(&["n_regionkey"])
        .unwrap()
        .union(&regions)
        .unwrap()
        .distinct()
        .unwrap()
        .order_by(vec![col("n_regionkey").sort_asc()])
        .unwrap();
    let unmatched = nations
        .join(
            &ctx.table("supplier").unwrap(),
            JoinKind::LeftAnti,
            &["n_nationkey"],
            &["s_nationkey"],
        )
        .unwrap()
        .select_columns(&["n_name"])
        .unwrap();
    vec![revenue, renamed, keys, unmatched]
}

#[test]
fn dataframe_programs_give_the_local_rows() {
    let s = setup("dataframe");
    for (local, remote) in dataframe_programs(&s.local)
        .iter()
        .zip(dataframe_programs(&s.remote))
    {
        assert!(remote.remote_url().is_some());
        assert_eq!(rows(&remote), rows(local));
    }
}

#[test]
fn tpch_queries_give_the_local_rows() {
    let s = setup("tpch");
    for i in 1..=22 {
        let sql = common::tpch_query(&format!("q{i:02}"));
        let local = rows(&s.local.sql(&sql).unwrap());
        let remote = rows(&s.remote.sql(&sql).unwrap());
        assert_eq!(remote, local, "q{i:02}");
    }
}

#[test]
fn server_side_errors_come_back_as_one_line() {
    let s = setup("errors");
    let e = s
        .remote
        .sql("SELECT (SELECT n_name FROM nation) AS x")
        .unwrap()
        .collect()
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("remote: the Spark Connect server at sc://127.0.0.1:"),
        "{e}"
    );
    assert!(!e.contains('\n'), "{e}");
}
