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
fn integer_division_and_remainders_give_the_local_rows() {
    let s = setup("division");
    let sql = "SELECT n_nationkey, n_nationkey / 4, -n_nationkey / 4, n_nationkey % 4, \
               -n_nationkey % 4, n_nationkey / 4.0 FROM nation ORDER BY n_nationkey";
    let local = rows(&s.local.sql(sql).unwrap());
    assert_eq!(rows(&s.remote.sql(sql).unwrap()), local);
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

/// A server whose sessions hold the TPC-H tables in memory (`ember serve --tpch`): for
/// a remote session that registers nothing, they exist only on the cluster.
fn cluster_with_tables() -> (Server, String) {
    let mut options = ServeOptions {
        host: "127.0.0.1".into(),
        port: 0,
        tpch: Some(0.01),
        ..ServeOptions::default()
    };
    options.config.threads = 2;
    let server = Server::start(options).unwrap();
    let url = format!("sc://127.0.0.1:{}", server.addr().port());
    (server, url)
}

#[test]
fn tables_only_the_cluster_holds_are_read_by_name() {
    let (_server, url) = cluster_with_tables();
    let dir = std::env::temp_dir().join(format!("ember-remote-cluster-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let region = dir.join("region.parquet");
    let region = region.to_str().unwrap();
    let local = SessionContext::new();
    local.register_tpch(0.01).unwrap();
    local
        .sql(&format!("COPY region TO '{region}' (FORMAT parquet)"))
        .unwrap()
        .collect()
        .unwrap();
    // `region` is a file both sides read; `nation` and `lineitem` the remote session
    // only finds on the cluster.
    let remote = SessionContext::remote(&url).unwrap();
    remote.register_parquet("region", region).unwrap();
    let queries = [
        "SELECT r_name, count(*) AS n, min(n_name) AS first FROM nation JOIN region \
         ON n_regionkey = r_regionkey GROUP BY r_name ORDER BY r_name",
        "SELECT l_returnflag, sum(l_quantity) AS q, avg(l_discount) AS d, count(*) AS n \
         FROM lineitem WHERE l_shipdate <= DATE '1998-09-01' GROUP BY l_returnflag ORDER BY 1",
        // The same table twice in one query.
        "SELECT a.n_name, b.n_name FROM nation a JOIN nation b ON a.n_nationkey = b.n_nationkey + 1 \
         ORDER BY 1 LIMIT 3",
    ];
    for sql in queries {
        assert_eq!(
            rows(&remote.sql(sql).unwrap()),
            rows(&local.sql(sql).unwrap()),
            "{sql}"
        );
    }
    // The DataFrame API finds them too.
    let n = remote
        .table("nation")
        .unwrap()
        .filter(col("n_regionkey").eq(lit(1)))
        .unwrap();
    assert_eq!(
        rows(&n),
        rows(
            &local
                .sql("SELECT * FROM nation WHERE n_regionkey = 1")
                .unwrap()
        )
    );
    // EXPLAIN shows the named table read beside the file read.
    let plan = rows(
        &remote
            .sql("EXPLAIN SELECT count(*) FROM nation JOIN region ON n_regionkey = r_regionkey")
            .unwrap(),
    );
    assert!(plan.contains("Read table nation"), "{plan}");
    assert!(plan.contains(&format!("Read parquet [{region}]")), "{plan}");
    // COPY of a cluster table is a write the cluster runs from its table.
    let out = dir.join("nation_copy");
    let out = out.to_str().unwrap();
    remote
        .sql(&format!("COPY nation TO '{out}' (FORMAT parquet)"))
        .unwrap()
        .collect()
        .unwrap();
    let back = SessionContext::new()
        .sql(&format!(
            "SELECT count(*) AS n, sum(n_nationkey) AS s FROM '{out}'"
        ))
        .unwrap();
    assert_eq!(rows(&back), "n,s\n25,300\n");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_table_nowhere_is_one_line_naming_both_places() {
    let (_server, url) = cluster_with_tables();
    let remote = SessionContext::remote(&url).unwrap();
    let e = remote.sql("SELECT * FROM nosuch").unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "table 'nosuch' not found at line 1, column 15: looked up in Ember's catalog and on the cluster at {url}"
        )
    );
    let e = remote.table("nosuch").unwrap_err().to_string();
    assert!(e.ends_with(&format!("on the cluster at {url}")), "{e}");
}

#[test]
fn local_sessions_never_see_cluster_tables() {
    let (_server, url) = cluster_with_tables();
    let ctx = SessionContext::remote(&url).unwrap();
    ctx.sql("CREATE VIEW europe AS SELECT n_name FROM nation WHERE n_regionkey = 3")
        .unwrap();
    assert_eq!(
        rows(&ctx.sql("SELECT count(*) AS n FROM europe").unwrap()),
        "n\n5\n"
    );
    ctx.reset(Some("ember.execution.remote")).unwrap();
    let e = ctx.sql("SELECT * FROM nation").unwrap_err().to_string();
    assert_eq!(e, "table 'nation' not found at line 1, column 15");
    // A view planned in remote mode still names the cluster's table: running it in
    // Ember is a clear error, not a scan of nothing.
    let e = ctx
        .sql("SELECT * FROM europe")
        .unwrap()
        .collect()
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "not supported: reading table 'nation' in Ember: it is the table nation on the cluster at {url}, \
             and only a query run there (SET ember.execution.remote = '{url}') can read it"
        )
    );
}
