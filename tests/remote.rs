//! Remote mode without a server: what Ember's optimized plans become as Spark
//! Connect relations (EXPLAIN's text), the settings and URLs, and what is refused
//! before anything is sent. Runs against a Spark Connect server are in
//! tests/pyspark/test_remote.py (Sail).

use ember::SessionContext;

fn parquet_session() -> (SessionContext, tempdir::Dir) {
    let dir = tempdir::Dir::new("remote");
    let ctx = SessionContext::new();
    ctx.register_tpch(0.01).unwrap();
    for t in ["nation", "region"] {
        let path = dir.path().join(format!("{t}.parquet"));
        ctx.sql(&format!(
            "COPY {t} TO '{}' (FORMAT parquet)",
            path.display()
        ))
        .unwrap()
        .collect()
        .unwrap();
    }
    let remote = SessionContext::remote("sc://127.0.0.1:1").unwrap();
    for t in ["nation", "region"] {
        let path = dir.path().join(format!("{t}.parquet"));
        remote
            .sql(&format!(
                "CREATE EXTERNAL TABLE {t} STORED AS PARQUET LOCATION '{}'",
                path.display()
            ))
            .unwrap();
    }
    (remote, dir)
}

fn explain(ctx: &SessionContext, sql: &str) -> String {
    let batches = ctx
        .sql(&format!("EXPLAIN {sql}"))
        .unwrap()
        .collect()
        .unwrap();
    let mut text = String::new();
    for b in batches {
        let lines = b
            .column(0)
            .as_any()
            .downcast_ref::<arrow::array::StringArray>()
            .unwrap();
        for l in lines.iter().flatten() {
            text.push_str(l);
            text.push('\n');
        }
    }
    text
}

mod tempdir {
    /// A folder removed when dropped.
    pub struct Dir(std::path::PathBuf);
    impl Dir {
        pub fn new(prefix: &str) -> Dir {
            let path = std::env::temp_dir().join(format!(
                "ember-{prefix}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            std::fs::create_dir_all(&path).unwrap();
            Dir(path)
        }
        pub fn path(&self) -> &std::path::Path {
            &self.0
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[test]
fn explain_shows_both_plans() {
    let (ctx, _dir) = parquet_session();
    let text = explain(
        &ctx,
        "SELECT r_name, count(*) AS n FROM nation JOIN region ON n_regionkey = r_regionkey \
         WHERE n_name LIKE 'A%' AND n_comment <> 'x' GROUP BY r_name ORDER BY n DESC LIMIT 3 OFFSET 1",
    );
    assert!(text.contains("== Optimized Logical Plan =="), "{text}");
    assert!(
        text.contains("== Spark Connect Plan (for sc://127.0.0.1:1) =="),
        "{text}"
    );
    for part in [
        "Read parquet [",
        "nation.parquet]",
        "Join INNER on (`n_regionkey_",
        "Aggregate groupBy=[`r_name_",
        "count(1) AS",
        "ToDF [",
        "Sort [`n_",
        "DESC NULLS FIRST]",
        "Limit 3",
        "Offset 1",
        "like(`n_name_",
        // Spark's plans have no `!=` function.
        "not((`n_comment_",
        "CAST(`n_",
        "AS bigint) AS n",
    ] {
        assert!(text.contains(part), "missing {part:?} in\n{text}");
    }
}

#[test]
fn every_plan_node_kind_has_a_relation() {
    let (ctx, _dir) = parquet_session();
    let cases = [
        ("SELECT DISTINCT n_regionkey FROM nation", "Deduplicate"),
        (
            "SELECT n_name FROM nation UNION ALL SELECT r_name FROM region",
            "SetOperation UNION ALL",
        ),
        (
            "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS v(x, y)",
            "LocalRelation (",
        ),
        (
            "SELECT n_name, rank() OVER (PARTITION BY n_regionkey ORDER BY n_name) FROM nation",
            "rank() OVER (PARTITION BY `n_regionkey_",
        ),
        (
            "SELECT n_name FROM nation n WHERE NOT EXISTS (SELECT 1 FROM region r WHERE r.r_regionkey = n.n_regionkey)",
            "Join LEFT_ANTI",
        ),
        (
            "SELECT n_name FROM nation WHERE n_regionkey IN (SELECT r_regionkey FROM region)",
            "Join LEFT_SEMI",
        ),
        (
            "SELECT n_name FROM nation WHERE n_regionkey NOT IN (SELECT r_regionkey FROM region)",
            "isnull(`",
        ),
        (
            "SELECT * FROM nation LEFT JOIN region ON n_regionkey = r_regionkey",
            "Join LEFT_OUTER",
        ),
        (
            "SELECT * FROM nation FULL JOIN region ON n_regionkey = r_regionkey",
            "Join FULL_OUTER",
        ),
        ("SELECT * FROM nation CROSS JOIN region", "Join CROSS"),
        (
            "SELECT n_name, EXISTS (SELECT 1 FROM region WHERE r_regionkey = n_regionkey) AS e FROM nation",
            "Deduplicate",
        ),
        (
            "SELECT n_name FROM nation WHERE n_regionkey = 1 OR n_nationkey IN (SELECT r_regionkey FROM region)",
            "AS has_null_",
        ),
        (
            "SELECT n_name FROM nation INTERSECT SELECT r_name FROM region",
            "SetOperation UNION ALL",
        ),
        (
            "SELECT x.n_name FROM (SELECT n_name FROM nation) AS x",
            "Project",
        ),
        (
            "SELECT CASE WHEN n_nationkey > 3 THEN 'big' ELSE 'small' END AS s FROM nation",
            "when((`n_nationkey_",
        ),
        (
            "SELECT CAST(n_nationkey AS DECIMAL(10,2)) / 3 AS d FROM nation",
            "CAST(`n_nationkey_",
        ),
        (
            "SELECT n_nationkey / 2 AS half FROM nation",
            "div(`n_nationkey_",
        ),
        (
            "SELECT DATE '2024-01-01' + 1 AS d",
            "date_add(DATE(day 19723), 1L)",
        ),
        (
            "SELECT concat(n_name, NULL) AS c FROM nation",
            "concat_ws('', `n_name_",
        ),
    ];
    for (sql, part) in cases {
        let text = explain(&ctx, sql);
        assert!(text.contains(part), "{sql}: missing {part:?} in\n{text}");
    }
}

#[test]
fn untranslatable_queries_are_refused_before_sending() {
    let (ctx, _dir) = parquet_session();
    let e = ctx
        .sql("SELECT to_char(DATE '2024-01-01', 'YYYY') AS y")
        .unwrap()
        .collect()
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "cannot run remotely: the function to_char() has no Spark equivalent: Ember's format patterns are not Spark's"
    );
    let local = SessionContext::new();
    local.register_tpch(0.01).unwrap();
    local
        .set("ember.execution.remote", "sc://127.0.0.1:1")
        .unwrap();
    let e = local
        .sql("SELECT count(*) FROM lineitem")
        .unwrap()
        .collect()
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("cannot run remotely: table lineitem (memory"),
        "{e}"
    );
    let e = local
        .sql("WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 3) SELECT * FROM t")
        .unwrap()
        .collect()
        .unwrap_err()
        .to_string();
    assert!(e.contains("recursive query"), "{e}");
}

#[test]
fn the_remote_setting_checks_urls_and_resets() {
    let ctx = SessionContext::new();
    let e = ctx
        .set("ember.execution.remote", "http://x:1")
        .unwrap_err()
        .to_string();
    assert!(e.contains("expected a Spark Connect URL"), "{e}");
    assert!(SessionContext::remote("sc://x:notaport").is_err());
    // TLS is refused before anything connects, however the URL is given.
    let e = ctx
        .sql("SET ember.execution.remote = 'sc://h:7/;use_ssl=true'")
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "invalid value 'sc://h:7/;use_ssl=true' for ember.execution.remote: TLS (use_ssl=true) \
         is not supported: Ember's client connects in plaintext only; expected a Spark Connect \
         URL sc://host:port[/;token=...] (empty for none)"
    );
    let Err(e) = SessionContext::remote("sc://h:7/;token=t;use_ssl=true") else {
        panic!("a TLS URL was accepted");
    };
    assert!(
        e.to_string()
            .contains("TLS (use_ssl=true) is not supported"),
        "{e}"
    );
    assert_eq!(ctx.config().remote, None);
    ctx.sql("SET ember.execution.remote = 'sc://h:7/;token=secret'")
        .unwrap();
    assert_eq!(
        ctx.config().remote.as_deref(),
        Some("sc://h:7/;token=secret")
    );
    let shown = ctx.sql("SHOW ALL").unwrap().to_table_string().unwrap();
    assert!(
        shown.contains("sc://h:7/;token=***") && !shown.contains("secret"),
        "{shown}"
    );
    ctx.sql("RESET ember.execution.remote").unwrap();
    assert_eq!(ctx.config().remote, None);
    ctx.sql("SET ember.execution.target_partitions = 3")
        .unwrap();
    ctx.sql("RESET ALL").unwrap();
    assert_ne!(ctx.config().target_partitions, 3);
    let e = ctx.sql("RESET ember.no_such").unwrap_err().to_string();
    assert!(e.contains("unknown setting"), "{e}");
}

#[test]
fn docs_list_every_function_of_the_translation_table() {
    use ember::remote::functions::{
        AGGREGATE_FUNCTIONS, SCALAR_FUNCTIONS, SparkForm, WINDOW_FUNCTIONS,
    };
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/remote.md");
    let text = std::fs::read_to_string(path).expect("docs/remote.md exists");
    for m in SCALAR_FUNCTIONS
        .iter()
        .chain(AGGREGATE_FUNCTIONS)
        .chain(WINDOW_FUNCTIONS)
    {
        let row = text
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", m.ember)))
            .unwrap_or_else(|| panic!("docs/remote.md has no row for {}", m.ember));
        let expected = match m.spark {
            SparkForm::Named(s) => format!("`{s}`"),
            SparkForm::Rewritten(how) => how.to_string(),
            SparkForm::Refused(why) => format!("refused: {why}"),
        };
        assert!(row.contains(&expected), "{row} does not say {expected}");
    }
}
