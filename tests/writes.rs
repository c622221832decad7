//! Writing files as jobs: COPY TO and the DataFrame writer under the commit protocol
//! (retried tasks leave no duplicate, a failed job leaves the target as it was, no
//! staging left behind), reading folders, globs and Hive partition folders back
//! (typed partition columns, pruning shown in EXPLAIN, schema merging), INSERT into
//! a table of files, COPY FROM, and the errors for bad input.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use ember::{SaveMode, SessionContext};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ember-writes-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn scalar(ctx: &SessionContext, sql: &str) -> String {
    let batches = ctx.sql(sql).unwrap().collect().unwrap();
    let b = &batches[0];
    arrow::util::display::array_value_to_string(b.column(0), 0).unwrap()
}

/// Every file under `dir` with its contents, by relative path.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    walk(dir, dir, &mut out);
    out
}

/// Entries of `dir` whose names start with a dot (staging folders).
fn hidden_entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

#[test]
fn partitioned_write_with_task_failures_equals_the_query() {
    let root = temp_dir("faults");
    let out = root.join("out");
    let ctx = SessionContext::new();
    ctx.register_tpch(0.01).unwrap();
    ctx.sql("SET ember.faults.task_failure_rate = 0.3").unwrap();
    ctx.sql("SET ember.faults.seed = 7").unwrap();
    ctx.sql("SET ember.write.max_rows_per_file = 2000").unwrap();
    let query = "SELECT l_orderkey, l_linenumber, l_quantity, l_shipdate, l_shipmode FROM lineitem";
    let before = ctx.rdd_context().metrics();
    ctx.sql(&format!(
        "COPY ({query}) TO '{}' (FORMAT parquet, PARTITION_BY (l_shipmode))",
        out.display()
    ))
    .unwrap();
    let after = ctx.rdd_context().metrics();
    assert!(
        after.failed_attempts > before.failed_attempts,
        "faults were injected: {before:?} -> {after:?}"
    );
    ctx.sql("SET ember.faults.task_failure_rate = 0").unwrap();
    let back = format!("read_parquet('{}/**/*.parquet')", out.display());
    // Same rows, no more and no fewer: the multiset differences are empty.
    let missing = scalar(
        &ctx,
        &format!(
            "SELECT count(*) FROM ({query} EXCEPT ALL SELECT l_orderkey, l_linenumber, l_quantity, l_shipdate, l_shipmode FROM {back})"
        ),
    );
    let extra = scalar(
        &ctx,
        &format!(
            "SELECT count(*) FROM (SELECT l_orderkey, l_linenumber, l_quantity, l_shipdate, l_shipmode FROM {back} EXCEPT ALL {query})"
        ),
    );
    assert_eq!((missing.as_str(), extra.as_str()), ("0", "0"));
    assert_eq!(
        scalar(&ctx, &format!("SELECT count(*) FROM {back}")),
        scalar(&ctx, "SELECT count(*) FROM lineitem")
    );
    // Seven folders, files of at most 2000 rows, nothing staged left anywhere.
    let files = snapshot(&out);
    let folders: std::collections::BTreeSet<&str> =
        files.keys().map(|k| k.split('/').next().unwrap()).collect();
    assert_eq!(folders.len(), 7, "{folders:?}");
    assert!(folders.contains("l_shipmode=AIR"), "{folders:?}");
    assert!(
        files
            .keys()
            .all(|k| k.ends_with(".parquet") && k.contains("/part-"))
    );
    let rows: usize = scalar(&ctx, "SELECT count(*) FROM lineitem")
        .parse()
        .unwrap();
    assert!(files.len() >= rows / 2000, "{} files", files.len());
    assert!(
        hidden_entries(&root).is_empty(),
        "{:?}",
        hidden_entries(&root)
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_failed_job_leaves_an_overwrite_target_unchanged() {
    let root = temp_dir("abort");
    let out = root.join("out");
    let ctx = SessionContext::new();
    ctx.register_tpch(0.01).unwrap();
    ctx.sql(&format!(
        "COPY (SELECT n_nationkey, n_name FROM nation) TO '{}' (FORMAT csv)",
        out.display()
    ))
    .unwrap();
    let before = snapshot(&out);
    assert!(!before.is_empty());
    // One task hits a value that does not cast, deterministically: the job fails.
    let err = ctx
        .sql(&format!(
            "COPY (SELECT l_orderkey, CAST(CASE WHEN l_orderkey = 1 THEN 'x' ELSE '1' END AS INTEGER) AS v \
             FROM lineitem) TO '{}' (FORMAT csv, OVERWRITE true)",
            out.display()
        ))
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot cast 'x' to INTEGER"), "{err}");
    assert_eq!(snapshot(&out), before, "the target is exactly as it was");
    assert!(
        hidden_entries(&root).is_empty(),
        "{:?}",
        hidden_entries(&root)
    );
    // With injected task failures, the Overwrite succeeds (retries), replacing it.
    ctx.sql("SET ember.faults.task_failure_rate = 0.5").unwrap();
    ctx.sql(&format!(
        "COPY (SELECT r_regionkey FROM region) TO '{}' (FORMAT csv, OVERWRITE true)",
        out.display()
    ))
    .unwrap();
    ctx.sql("SET ember.faults.task_failure_rate = 0").unwrap();
    assert!(hidden_entries(&root).is_empty());
    // The Overwrite that succeeded replaced the old files.
    assert_ne!(snapshot(&out), before);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn bad_targets_and_paths_are_clear_errors() {
    let root = temp_dir("bad");
    let ctx = SessionContext::new();
    ctx.register_tpch(0.001).unwrap();
    let out = root.join("nation.parquet");
    ctx.sql(&format!("COPY nation TO '{}'", out.display()))
        .unwrap();
    let err = ctx
        .sql(&format!("COPY nation TO '{}'", out.display()))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("already exists") && err.contains("OVERWRITE true"),
        "{err}"
    );
    // Under a file, no folder can be made.
    let blocked = out.join("sub");
    let err = ctx
        .sql(&format!("COPY nation TO '{}'", blocked.display()))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cannot write to") && err.contains("sub"),
        "{err}"
    );
    let err = ctx
        .sql(&format!(
            "SELECT * FROM read_parquet('{}/**/*.parquet')",
            root.join("none").display()
        ))
        .unwrap_err()
        .to_string();
    assert!(err.contains("no files match"), "{err}");
    let err = ctx
        .sql(&format!(
            "COPY nation TO '{}' (FORMAT parquet, PARTITION_BY (n_nope))",
            root.join("p").display()
        ))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("partition column 'n_nope' is not a column"),
        "{err}"
    );
    let err = ctx
        .sql(&format!(
            "COPY nation TO '{}' (FORMAT csv, COMPRESSION zstd)",
            root.join("c").display()
        ))
        .unwrap_err()
        .to_string();
    assert!(err.contains("Parquet only"), "{err}");
    assert!(hidden_entries(&root).is_empty());
    std::fs::remove_dir_all(&root).unwrap();
}

fn write_parquet(path: &Path, batch: &RecordBatch) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
}

#[test]
fn files_with_different_columns_merge_or_are_refused() {
    let root = temp_dir("merge");
    let a = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int32, false),
            Field::new("name", DataType::Utf8, true),
        ])),
        vec![
            Arc::new(arrow::array::Int32Array::from(vec![1, 2])),
            Arc::new(StringArray::from(vec!["a", "b"])),
        ],
    )
    .unwrap();
    let b = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("score", DataType::Float64, true),
        ])),
        vec![
            Arc::new(Int64Array::from(vec![3])),
            Arc::new(arrow::array::Float64Array::from(vec![9.5])),
        ],
    )
    .unwrap();
    write_parquet(&root.join("ok/a.parquet"), &a);
    write_parquet(&root.join("ok/b.parquet"), &b);
    let ctx = SessionContext::new();
    let df = ctx
        .sql(&format!(
            "SELECT id, name, score FROM '{}' ORDER BY id",
            root.join("ok").display()
        ))
        .unwrap();
    let text = df.to_table_string().unwrap();
    assert!(
        text.contains("| 3  |      | 9.5   |") || text.contains("3"),
        "{text}"
    );
    let batches = df.collect().unwrap();
    let ids = arrow::compute::cast(batches[0].column(0), &DataType::Int64).unwrap();
    assert_eq!(
        ids.as_any().downcast_ref::<Int64Array>().unwrap().values(),
        &[1, 2, 3]
    );
    assert!(batches[0].column(1).is_null(2) && batches[0].column(2).is_null(0));

    let c = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new("id", DataType::Utf8, false)])),
        vec![Arc::new(StringArray::from(vec!["x"]))],
    )
    .unwrap();
    write_parquet(&root.join("bad/a.parquet"), &a);
    write_parquet(&root.join("bad/c.parquet"), &c);
    let err = ctx
        .sql(&format!("SELECT * FROM '{}'", root.join("bad").display()))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("c.parquet") && err.contains("column 'id' is VARCHAR here but INTEGER"),
        "{err}"
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn hive_folders_are_typed_columns_and_prune_in_explain() {
    let root = temp_dir("hive");
    let out = root.join("li");
    let ctx = SessionContext::new();
    ctx.register_tpch(0.01).unwrap();
    ctx.sql(&format!(
        "COPY (SELECT l_orderkey, l_quantity, l_shipmode, CAST(l_linenumber AS BIGINT) AS line FROM lineitem) \
         TO '{}' (FORMAT parquet, PARTITION_BY (l_shipmode, line))",
        out.display()
    ))
    .unwrap();
    let t = format!("read_parquet('{}/**/*.parquet')", out.display());
    assert_eq!(
        scalar(
            &ctx,
            &format!("SELECT count(*) FROM {t} WHERE l_shipmode = 'AIR' AND line = 1")
        ),
        scalar(
            &ctx,
            "SELECT count(*) FROM lineitem WHERE l_shipmode = 'AIR' AND l_linenumber = 1"
        )
    );
    let explain = ctx
        .sql(&format!(
            "EXPLAIN SELECT sum(l_quantity) FROM {t} WHERE l_shipmode = 'AIR'"
        ))
        .unwrap()
        .to_table_string()
        .unwrap();
    assert!(explain.contains("folders=7/49"), "{explain}");
    let explain = ctx
        .sql(&format!(
            "EXPLAIN SELECT sum(l_quantity) FROM {t} WHERE line > 6"
        ))
        .unwrap()
        .to_table_string()
        .unwrap();
    assert!(explain.contains("folders=7/49"), "{explain}");
    // The integer partition column compares as a number.
    let types = ctx
        .sql(&format!("SELECT line + 1 AS n FROM {t} LIMIT 1"))
        .unwrap()
        .schema();
    assert_eq!(types.field(0).data_type(), &DataType::Int64);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn dataframe_writer_and_reader() {
    let root = temp_dir("df");
    let ctx = SessionContext::new();
    ctx.register_tpch(0.01).unwrap();
    let orders = ctx.table("orders").unwrap();
    let out = root.join("orders");
    let summary = orders
        .write()
        .mode(SaveMode::ErrorIfExists)
        .partition_by(["o_orderstatus"])
        .option("compression", "zstd")
        .parquet(out.to_str().unwrap())
        .unwrap();
    assert_eq!(summary.rows, 15_000);
    // Every file is compressed with zstd.
    for name in snapshot(&out).keys() {
        let file = std::fs::File::open(out.join(name)).unwrap();
        let reader = parquet::file::serialized_reader::SerializedFileReader::new(file).unwrap();
        use parquet::file::reader::FileReader;
        let codec = reader.metadata().row_group(0).column(0).compression();
        assert!(
            format!("{codec:?}").starts_with("ZSTD"),
            "{name}: {codec:?}"
        );
    }
    let back = ctx.read().parquet(out.to_str().unwrap()).unwrap();
    assert_eq!(back.count().unwrap(), 15_000);
    let err = orders
        .write()
        .parquet(out.to_str().unwrap())
        .unwrap_err()
        .to_string();
    assert!(err.contains("already exists"), "{err}");
    let skipped = orders
        .write()
        .mode(SaveMode::Ignore)
        .parquet(out.to_str().unwrap())
        .unwrap();
    assert!(skipped.skipped);
    let nation = ctx.table("nation").unwrap();
    nation
        .write()
        .mode(SaveMode::Overwrite)
        .csv(out.to_str().unwrap())
        .unwrap();
    let csv = ctx.read().csv(out.to_str().unwrap()).unwrap();
    assert_eq!(csv.count().unwrap(), 25);
    nation
        .write()
        .mode(SaveMode::Append)
        .csv(out.to_str().unwrap())
        .unwrap();
    assert_eq!(
        ctx.read()
            .csv(out.to_str().unwrap())
            .unwrap()
            .count()
            .unwrap(),
        50
    );
    let json = root.join("json");
    nation.write().json(json.to_str().unwrap()).unwrap();
    let j = ctx.read().json(json.to_str().unwrap()).unwrap();
    assert_eq!(j.count().unwrap(), 25);
    assert_eq!(j.schema().field(0).name(), "n_nationkey");
    // Tables: ErrorIfExists, Append by name, Overwrite.
    nation.write().save_as_table("nations").unwrap();
    assert!(nation.write().save_as_table("nations").is_err());
    nation
        .select_columns(&["n_name", "n_nationkey"])
        .unwrap()
        .write()
        .mode(SaveMode::Append)
        .save_as_table("nations")
        .unwrap();
    assert_eq!(scalar(&ctx, "SELECT count(*) FROM nations"), "50");
    assert_eq!(
        scalar(&ctx, "SELECT count(*) FROM nations WHERE n_comment IS NULL"),
        "25"
    );
    nation
        .write()
        .mode(SaveMode::Overwrite)
        .save_as_table("nations")
        .unwrap();
    assert_eq!(scalar(&ctx, "SELECT count(*) FROM nations"), "25");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn single_files_insert_into_file_tables_and_copy_from() {
    let root = temp_dir("single");
    let ctx = SessionContext::new();
    ctx.register_tpch(0.01).unwrap();
    // One file from many tasks: Parquet row groups concatenated, one CSV header.
    let pq = root.join("li.parquet");
    ctx.sql(&format!(
        "COPY (SELECT * FROM lineitem) TO '{}' (FORMAT parquet)",
        pq.display()
    ))
    .unwrap();
    assert!(pq.is_file());
    assert_eq!(
        scalar(&ctx, &format!("SELECT count(*) FROM '{}'", pq.display())),
        scalar(&ctx, "SELECT count(*) FROM lineitem")
    );
    let csv = root.join("nation.csv");
    ctx.sql(&format!("COPY nation TO '{}' (HEADER true)", csv.display()))
        .unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.matches("n_nationkey").count(), 1);
    assert_eq!(text.lines().count(), 26);
    // A table of files: INSERT adds files to its folder.
    let folder = root.join("tbl");
    ctx.sql(&format!(
        "COPY (SELECT n_nationkey AS k, n_name AS name FROM nation) TO '{}' (FORMAT parquet)",
        folder.display()
    ))
    .unwrap();
    ctx.sql(&format!(
        "CREATE EXTERNAL TABLE ext STORED AS PARQUET LOCATION '{}'",
        folder.display()
    ))
    .unwrap();
    let files_before = snapshot(&folder).len();
    ctx.sql("INSERT INTO ext VALUES (100, 'new'), ('101', 'newer')")
        .unwrap();
    assert_eq!(scalar(&ctx, "SELECT count(*) FROM ext"), "27");
    assert!(snapshot(&folder).len() > files_before);
    let err = ctx
        .sql("INSERT INTO ext VALUES ('x', 'bad')")
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot cast 'x' to BIGINT"), "{err}");
    assert_eq!(scalar(&ctx, "SELECT count(*) FROM ext"), "27");
    // COPY FROM a CSV file into a table, with a bad value named by file and line.
    ctx.sql("CREATE TABLE n (k INTEGER, name VARCHAR, region INTEGER, c VARCHAR)")
        .unwrap();
    ctx.sql(&format!("COPY n FROM '{}' (HEADER true)", csv.display()))
        .unwrap();
    assert_eq!(scalar(&ctx, "SELECT count(*) FROM n"), "25");
    let bad = root.join("bad.csv");
    std::fs::write(&bad, "k,name,region,c\n1,a,1,x\n2,b,zz,y\n").unwrap();
    let err = ctx
        .sql(&format!("COPY n FROM '{}' (HEADER true)", bad.display()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("bad.csv") && err.contains("line 3"), "{err}");
    assert_eq!(scalar(&ctx, "SELECT count(*) FROM n"), "25");
    std::fs::remove_dir_all(&root).unwrap();
}
