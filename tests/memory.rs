//! Memory as a budget over TPC-H at scale factor 0.01: with `ember.memory.limit` small
//! enough, sorts, aggregations, shuffles and hash joins (of every kind, broadcast or
//! partitioned, with skewed keys) spill to disk and give the same answers as without
//! it; operators that cannot spill run again over their input split into parts (by
//! their keys) and give the same answers, or, when even the finest split does not
//! fit, fail with a resources-exhausted error, as does a join key whose rows alone do
//! not fit; and no spill file is left behind after success, failure or cancellation.

use std::path::{Path, PathBuf};

use arrow::array::{Array, RecordBatch};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use ember::{SessionConfig, SessionContext};

/// A session over TPC-H SF 0.01 with two threads, spilling under a folder of its own.
fn session(name: &str) -> (SessionContext, PathBuf) {
    let ctx = SessionContext::with_config(SessionConfig {
        threads: 2,
        target_partitions: 2,
        ..SessionConfig::default()
    });
    ctx.register_tpch(0.01).unwrap();
    let dir = std::env::temp_dir().join(format!("ember-memory-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    ctx.sql(&format!("SET ember.spill.dir = '{}'", dir.display()))
        .unwrap()
        .collect()
        .unwrap();
    (ctx, dir)
}

fn set(ctx: &SessionContext, key: &str, value: &str) {
    ctx.set(key, value).unwrap();
}

/// Every row as text, in order.
fn rows(batches: &[RecordBatch]) -> Vec<String> {
    let options = FormatOptions::default().with_null("NULL");
    let mut out = Vec::new();
    for b in batches {
        let formatters: Vec<ArrayFormatter> = b
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref() as &dyn Array, &options).unwrap())
            .collect();
        for i in 0..b.num_rows() {
            let cells: Vec<String> = formatters.iter().map(|f| f.value(i).to_string()).collect();
            out.push(cells.join("|"));
        }
    }
    out
}

fn run(ctx: &SessionContext, sql: &str) -> Vec<String> {
    rows(&ctx.sql(sql).unwrap().collect().unwrap())
}

/// A number from `--metrics`' JSON.
fn metric(ctx: &SessionContext, key: &str) -> u64 {
    let json = ctx.metrics_json();
    let at = json
        .find(&format!("\"{key}\":"))
        .unwrap_or_else(|| panic!("{key} in {json}"));
    json[at + key.len() + 3..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect::<String>()
        .parse()
        .unwrap()
}

/// Everything left under the spill folder (query folders and their files).
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(leftovers(&path));
        }
        out.push(path);
    }
    out
}

const SORT: &str = "SELECT l_orderkey, l_linenumber, l_comment FROM lineitem \
                    ORDER BY l_comment, l_orderkey, l_linenumber";

#[test]
fn a_sort_over_the_limit_spills_and_gives_the_same_order() {
    let (ctx, dir) = session("sort");
    let unlimited = run(&ctx, SORT);
    assert_eq!(metric(&ctx, "spill_files"), 0);
    set(&ctx, "ember.memory.limit", "4MB");
    let limited = run(&ctx, SORT);
    assert!(metric(&ctx, "spill_files") > 0, "{}", ctx.metrics_json());
    assert!(metric(&ctx, "spilled_bytes") > 0);
    assert_eq!(limited.len(), unlimited.len());
    assert!(limited == unlimited, "the spilled sort's order differs");
    // ORDER BY ... LIMIT keeps its small heap: no spill, same first rows.
    let before = metric(&ctx, "spill_files");
    let top = run(&ctx, &format!("{SORT} LIMIT 10"));
    assert_eq!(top, unlimited[..10].to_vec());
    assert_eq!(metric(&ctx, "spill_files"), before);
    assert_eq!(leftovers(&dir), Vec::<PathBuf>::new());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn shuffled_batches_past_a_quarter_of_the_limit_go_to_disk_and_come_back_whole() {
    let (ctx, dir) = session("shuffle");
    // Every row crosses a hash exchange (to the join) and the single exchange of the sort.
    let sql = "SELECT o.o_orderkey, l.l_linenumber, l.l_comment, o.o_comment FROM lineitem l \
               JOIN orders o ON o.o_orderkey = l.l_orderkey \
               ORDER BY o.o_orderkey, l.l_linenumber";
    let unlimited = run(&ctx, sql);
    assert_eq!(metric(&ctx, "spilled_blocks"), 0);
    set(&ctx, "ember.memory.limit", "8MB");
    let limited = run(&ctx, sql);
    assert!(metric(&ctx, "spilled_blocks") > 0, "{}", ctx.metrics_json());
    assert!(
        metric(&ctx, "disk_blocks_read") > 0,
        "{}",
        ctx.metrics_json()
    );
    assert_eq!(limited.len(), unlimited.len());
    assert!(
        limited == unlimited,
        "rows read back from shuffle runs differ"
    );
    assert_eq!(leftovers(&dir), Vec::<PathBuf>::new());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_aggregation_over_the_limit_spills_and_gives_the_same_groups() {
    let (ctx, dir) = session("aggregate");
    let sql = "SELECT l_orderkey, l_suppkey, count(*), sum(l_quantity), avg(l_extendedprice), \
               min(l_comment), max(l_shipdate) FROM lineitem GROUP BY l_orderkey, l_suppkey \
               ORDER BY l_orderkey, l_suppkey";
    let unlimited = run(&ctx, sql);
    set(&ctx, "ember.memory.limit", "4MB");
    let limited = run(&ctx, sql);
    assert!(metric(&ctx, "spill_files") > 0, "{}", ctx.metrics_json());
    assert!(
        limited == unlimited,
        "the spilled aggregation's groups differ"
    );
    assert_eq!(leftovers(&dir), Vec::<PathBuf>::new());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn explain_analyze_shows_peak_memory_and_spills() {
    let (ctx, dir) = session("explain");
    set(&ctx, "ember.memory.limit", "4MB");
    let batches = ctx
        .sql(&format!("EXPLAIN ANALYZE {SORT}"))
        .unwrap()
        .collect()
        .unwrap();
    let text = rows(&batches).join("\n");
    // The analyzed tree: the Sort's line, then its facts.
    let lines: Vec<&str> = text.lines().collect();
    let sort_facts = lines
        .windows(2)
        .find(|w| w[0].contains("Sort:") && w[1].contains("self="))
        .map(|w| w[1])
        .unwrap_or_else(|| panic!("{text}"));
    assert!(sort_facts.contains("peak_mem="), "{text}");
    assert!(sort_facts.contains("spilled="), "{text}");
    assert!(!sort_facts.contains("files=0"), "{text}");
    assert_eq!(leftovers(&dir), Vec::<PathBuf>::new());
    std::fs::remove_dir_all(dir).unwrap();
}

/// Rows as text, sorted (the order of rows from a split task may differ).
fn sorted_rows(ctx: &SessionContext, sql: &str) -> Vec<String> {
    let mut out = run(ctx, sql);
    out.sort_unstable();
    out
}

/// Under it a task's partition of [`WINDOW`] (2.3MiB reserved) does not fit, half of
/// it does not either, a quarter does.
const WINDOW_LIMIT: &str = "1MB";

/// Under it the DISTINCT sets of a task's groups (5.8MiB at most) fit only split in
/// two or four.
const DISTINCT_LIMIT: &str = "2MB";

const WINDOW: &str = "SELECT l_orderkey, l_linenumber, \
                      row_number() OVER (PARTITION BY l_suppkey ORDER BY l_orderkey, l_linenumber), \
                      sum(l_quantity) OVER (PARTITION BY l_suppkey ORDER BY l_orderkey, l_linenumber) \
                      FROM lineitem";

#[test]
fn a_window_over_the_limit_runs_over_a_split_of_its_partition() {
    let (ctx, dir) = session("window-split");
    let unlimited = sorted_rows(&ctx, WINDOW);
    assert_eq!(unlimited.len(), 60175);
    assert_eq!(metric(&ctx, "oom_retries"), 0);
    set(&ctx, "ember.memory.limit", WINDOW_LIMIT);
    let limited = sorted_rows(&ctx, WINDOW);
    let retries = metric(&ctx, "oom_retries");
    assert!(retries > 0, "{}", ctx.metrics_json());
    assert!(limited == unlimited, "the split window's rows differ");
    // Splitting is not failing: no attempt counted as failed.
    assert_eq!(metric(&ctx, "failed_attempts"), 0, "{}", ctx.metrics_json());
    // EXPLAIN ANALYZE shows how finely the window's input was split.
    let text = rows(
        &ctx.sql(&format!("EXPLAIN ANALYZE {WINDOW}"))
            .unwrap()
            .collect()
            .unwrap(),
    )
    .join("\n");
    let lines: Vec<&str> = text.lines().collect();
    let facts = lines
        .windows(2)
        .find(|w| w[0].contains("Window:") && w[1].contains("self="))
        .map(|w| w[1])
        .unwrap_or_else(|| panic!("{text}"));
    assert!(facts.contains("split="), "{text}");
    assert_eq!(leftovers(&dir), Vec::<PathBuf>::new());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_distinct_aggregation_over_the_limit_runs_over_a_split_of_its_groups() {
    let (ctx, dir) = session("distinct-split");
    let sql = "SELECT l_suppkey, count(DISTINCT l_orderkey), count(DISTINCT l_comment) \
               FROM lineitem GROUP BY l_suppkey";
    let unlimited = sorted_rows(&ctx, sql);
    assert_eq!(unlimited.len(), 100);
    set(&ctx, "ember.memory.limit", DISTINCT_LIMIT);
    let limited = sorted_rows(&ctx, sql);
    assert!(metric(&ctx, "oom_retries") > 0, "{}", ctx.metrics_json());
    assert!(
        limited == unlimited,
        "the split aggregation's groups differ"
    );
    assert_eq!(leftovers(&dir), Vec::<PathBuf>::new());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn operators_that_cannot_spill_fail_with_a_typed_error_naming_them() {
    let (ctx, dir) = session("window");
    set(&ctx, "ember.memory.limit", "256KB");
    // Three window partitions (l_returnflag): no split makes the biggest fit.
    let sql = "SELECT l_orderkey, row_number() OVER (PARTITION BY l_returnflag ORDER BY l_orderkey) \
               FROM lineitem";
    let error = ctx.sql(sql).unwrap().collect().unwrap_err();
    assert!(
        matches!(error, ember::EmberError::ResourcesExhausted(_)),
        "{error}"
    );
    let text = error.to_string();
    assert!(text.contains("Window (partition"), "{text}");
    assert!(text.contains("could not reserve"), "{text}");
    assert!(text.contains("ember.memory.limit"), "{text}");
    assert!(text.contains("of 16) could not"), "{text}");
    assert!(
        text.ends_with("still so with the task's input split 16 ways, the most ember.memory.oom_max_split allows"),
        "{text}"
    );
    assert!(metric(&ctx, "oom_retries") >= 4, "{}", ctx.metrics_json());

    // Without PARTITION BY the input is one window partition: it fails at once.
    let before = metric(&ctx, "oom_retries");
    let whole = "SELECT l_orderkey, row_number() OVER (ORDER BY l_orderkey) FROM lineitem";
    let error = ctx.sql(whole).unwrap().collect().unwrap_err();
    assert!(
        matches!(error, ember::EmberError::ResourcesExhausted(_)),
        "{error}"
    );
    let text = error.to_string();
    assert!(
        text.contains("Window (partition 0) could not reserve"),
        "{text}"
    );
    assert!(!text.contains("split"), "{text}");
    assert_eq!(metric(&ctx, "oom_retries"), before);

    // With splitting off, a window that could split fails at once too.
    set(&ctx, "ember.memory.limit", WINDOW_LIMIT);
    set(&ctx, "ember.memory.oom_max_split", "1");
    let error = ctx.sql(WINDOW).unwrap().collect().unwrap_err();
    // (The window, or the sort below it when the other task's window holds the memory.)
    assert!(
        matches!(error, ember::EmberError::ResourcesExhausted(_)),
        "{error}"
    );
    assert!(!error.to_string().contains("split"), "{error}");
    assert_eq!(metric(&ctx, "oom_retries"), before);

    // The session goes on; with the limit raised the query runs.
    set(&ctx, "ember.memory.limit", "1GB");
    assert_eq!(run(&ctx, sql).len(), 60175);
    assert_eq!(leftovers(&dir), Vec::<PathBuf>::new());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn no_spill_file_is_left_after_a_failure() {
    let (ctx, dir) = session("failure");
    set(&ctx, "ember.memory.limit", "4MB");
    set(&ctx, "ember.spill.max_bytes", "200KB");
    let error = ctx.sql(SORT).unwrap().collect().unwrap_err();
    let text = error.to_string();
    assert!(text.contains("ember.spill.max_bytes"), "{text}");
    assert_eq!(leftovers(&dir), Vec::<PathBuf>::new());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn shuffle_runs_count_against_the_spill_cap() {
    let (ctx, dir) = session("shuffle-cap");
    // The partial groups cross a hash exchange; nothing else spills.
    let sql = "SELECT l_comment, count(*) FROM lineitem GROUP BY l_comment";
    set(&ctx, "ember.memory.limit", "8MB");
    set(&ctx, "ember.spill.max_bytes", "1MB");
    let error = ctx.sql(sql).unwrap().collect().unwrap_err();
    let text = error.to_string();
    assert!(text.contains("spill space"), "{text}");
    assert!(text.contains("ember.spill.max_bytes"), "{text}");
    assert!(text.contains("Exchange"), "{text}");
    assert_eq!(leftovers(&dir), Vec::<PathBuf>::new());
    // With room on disk the same query runs, its shuffles spilled.
    set(&ctx, "ember.spill.max_bytes", "1GB");
    let mut groups = run(&ctx, sql);
    assert!(metric(&ctx, "spilled_blocks") > 0, "{}", ctx.metrics_json());
    set(&ctx, "ember.memory.limit", "1GB");
    let mut expected = run(&ctx, sql);
    groups.sort();
    expected.sort();
    assert!(groups == expected, "groups differ after spilled shuffles");
    assert_eq!(leftovers(&dir), Vec::<PathBuf>::new());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn no_spill_file_is_left_after_cancellation() {
    let (ctx, dir) = session("cancel");
    set(&ctx, "ember.memory.limit", "16MB");
    set(&ctx, "ember.execution.statement_timeout", "300ms");
    // 1.5 million rows to sort: far longer than the timeout.
    let sql = "SELECT l_comment, n_name FROM lineitem, nation ORDER BY l_comment, n_name";
    let error = ctx.sql(sql).unwrap().collect().unwrap_err();
    assert!(error.to_string().contains("cancel"), "{error}");
    assert_eq!(leftovers(&dir), Vec::<PathBuf>::new());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_memory_settings_are_clear_errors() {
    let ctx = SessionContext::new();
    let error = ctx
        .set("ember.memory.limit", "lots")
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("invalid value 'lots' for ember.memory.limit: expected a size"),
        "{error}"
    );
    assert!(ctx.set("ember.spill.max_bytes", "-1").is_err());
    assert!(ctx.set("ember.spill.dir", "").is_err());
    ctx.set("ember.memory.limit", "512MiB").unwrap();
    assert_eq!(ctx.rdd_context().memory_pool().limit(), 512 << 20);
    let shown = ctx.config().entries();
    assert!(
        shown
            .iter()
            .any(|(k, v, _)| k == "ember.memory.limit" && v == "512MiB"),
        "{shown:?}"
    );
}

/// Every row of `sql`, sorted: a join's rows come in no particular order.
fn sorted(ctx: &SessionContext, sql: &str) -> Vec<String> {
    let mut out = run(ctx, sql);
    out.sort();
    out
}

/// Joins whose build side (the right input; the smaller one for inner joins) holds
/// thousands of orders with their comments, each with its kind's own unmatched rows.
const JOINS: &[(&str, &str)] = &[
    (
        "inner",
        "SELECT o_orderkey, o_comment, l_linenumber, l_comment \
         FROM lineitem JOIN orders ON l_orderkey = o_orderkey",
    ),
    (
        "inner with a filter",
        "SELECT o_orderkey, o_comment, l_linenumber \
         FROM lineitem JOIN orders ON l_orderkey = o_orderkey \
         AND l_extendedprice * 8 > o_totalprice",
    ),
    (
        "left",
        "SELECT c_custkey, c_name, o_orderkey, o_comment \
         FROM customer LEFT JOIN orders ON c_custkey = o_custkey",
    ),
    (
        "right with a filter",
        "SELECT c_custkey, c_name, o_orderkey, o_comment \
         FROM customer RIGHT JOIN orders ON c_custkey = o_custkey AND c_acctbal > o_totalprice / 100",
    ),
    (
        "full with a filter",
        "SELECT c_custkey, c_name, o_orderkey, o_comment \
         FROM customer FULL JOIN orders ON c_custkey = o_custkey AND o_totalprice > 150000",
    ),
    (
        "semi",
        "SELECT c_custkey, c_name FROM customer WHERE EXISTS \
         (SELECT 1 FROM orders WHERE o_custkey = c_custkey AND o_totalprice > c_acctbal * 20)",
    ),
    (
        "anti",
        "SELECT c_custkey, c_name FROM customer WHERE NOT EXISTS \
         (SELECT 1 FROM orders WHERE o_custkey = c_custkey AND o_totalprice > c_acctbal * 20)",
    ),
    (
        "not in (null-aware)",
        "SELECT o_orderkey, o_comment FROM orders WHERE o_orderkey NOT IN \
         (SELECT nullif(l_orderkey, 0) FROM lineitem WHERE l_comment LIKE '%ly%')",
    ),
    (
        "mark",
        "SELECT c_custkey, c_acctbal > 9000 OR EXISTS \
         (SELECT 1 FROM orders WHERE o_custkey = c_custkey AND o_comment LIKE '%ly%') \
         FROM customer",
    ),
];

/// The `spill_files` figure now.
fn spill_files(ctx: &SessionContext) -> u64 {
    metric(ctx, "spill_files")
}

#[test]
fn joins_over_the_limit_spill_and_give_the_same_rows() {
    let (ctx, dir) = session("join");
    // The default threshold broadcasts every build side here (but RIGHT and FULL
    // joins'); none partitions them all.
    for threshold in ["1000000", "0"] {
        set(&ctx, "ember.optimizer.broadcast_threshold_rows", threshold);
        for (name, sql) in JOINS {
            set(&ctx, "ember.memory.limit", "1GB");
            let before = spill_files(&ctx);
            let unlimited = sorted(&ctx, sql);
            assert_eq!(spill_files(&ctx), before, "{name}");
            assert!(!unlimited.is_empty(), "{name}");
            set(&ctx, "ember.memory.limit", "200KB");
            let limited = sorted(&ctx, sql);
            assert!(
                spill_files(&ctx) > before,
                "{name} (threshold {threshold}) did not spill: {}",
                ctx.metrics_json()
            );
            assert_eq!(
                limited.len(),
                unlimited.len(),
                "{name} (threshold {threshold})"
            );
            assert!(
                limited == unlimited,
                "{name} (threshold {threshold}): the spilled join's rows differ"
            );
            assert_eq!(leftovers(&dir), Vec::<PathBuf>::new(), "{name}");
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn explain_analyze_shows_a_join_spilling() {
    let (ctx, dir) = session("join-explain");
    set(&ctx, "ember.optimizer.broadcast_threshold_rows", "0");
    set(&ctx, "ember.memory.limit", "1MB");
    let (_, sql) = JOINS[2];
    let text = rows(
        &ctx.sql(&format!("EXPLAIN ANALYZE {sql}"))
            .unwrap()
            .collect()
            .unwrap(),
    )
    .join("\n");
    let lines: Vec<&str> = text.lines().collect();
    let join_facts = lines
        .windows(2)
        .find(|w| w[0].contains("HashJoin(") && w[1].contains("self="))
        .map(|w| w[1])
        .unwrap_or_else(|| panic!("{text}"));
    assert!(join_facts.contains("spilled="), "{text}");
    assert!(!join_facts.contains("files=0"), "{text}");
    assert_eq!(leftovers(&dir), Vec::<PathBuf>::new());
    std::fs::remove_dir_all(dir).unwrap();
}

/// Build rows keyed by supplier, where suppliers 1 to 5 share key 1: about 3000 rows
/// of one key (some 140KB to build) against some 3500 rows in each other part of the
/// first split.
const SKEWED: &str = "SELECT s_suppkey, s_name, b.l_orderkey, b.l_partkey \
     FROM supplier LEFT JOIN \
     (SELECT CASE WHEN l_suppkey <= 5 THEN 1 ELSE l_suppkey END AS k, l_orderkey, l_partkey \
      FROM lineitem) b ON s_suppkey = b.k";

#[test]
fn a_skewed_join_key_is_split_again() {
    let (ctx, dir) = session("join-skew");
    // One task builds everything: its share of memory is the whole limit.
    set(&ctx, "ember.execution.target_partitions", "1");
    set(&ctx, "ember.optimizer.broadcast_threshold_rows", "0");
    let unlimited = sorted(&ctx, SKEWED);
    let before = spill_files(&ctx);
    // The first part holding key 1 does not fit; key 1 alone does.
    set(&ctx, "ember.memory.limit", "250KB");
    let limited = sorted(&ctx, SKEWED);
    // One split writes at most 16 files per side: more means a part was split again.
    let written = spill_files(&ctx) - before;
    assert!(written > 32, "{written} files: {}", ctx.metrics_json());
    assert!(limited == unlimited, "the skewed join's rows differ");
    assert_eq!(leftovers(&dir), Vec::<PathBuf>::new());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_join_key_larger_than_the_limit_is_a_clear_error() {
    let (ctx, dir) = session("join-one-key");
    set(&ctx, "ember.execution.target_partitions", "1");
    set(&ctx, "ember.optimizer.broadcast_threshold_rows", "0");
    set(&ctx, "ember.memory.limit", "300KB");
    // Suppliers 1 to 50 share key 1: some 30000 rows of one key.
    let sql = SKEWED.replace("<= 5", "<= 50");
    let error = ctx.sql(&sql).unwrap().collect().unwrap_err();
    assert!(
        matches!(error, ember::EmberError::ResourcesExhausted(_)),
        "{error}"
    );
    let text = error.to_string();
    assert!(
        text.contains("HashJoin(Left) build side (partition 0)"),
        "{text}"
    );
    assert!(text.contains("one join key"), "{text}");
    assert_eq!(leftovers(&dir), Vec::<PathBuf>::new());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn cached_blocks_make_way_for_a_query_and_are_read_back_from_disk() {
    let (ctx, dir) = session("cache");
    // One window partition over every row: it cannot spill or split, so it runs only
    // if the memory it needs is free (about 7MB here).
    let window = "SELECT l_orderkey, l_linenumber, row_number() OVER (ORDER BY l_comment, l_orderkey, l_linenumber) \
                  FROM lineitem";
    let expected = run(&ctx, window);
    let cached = ctx
        .sql("SELECT * FROM lineitem WHERE l_quantity > 1")
        .unwrap()
        .cache()
        .unwrap();
    let rows_before = rows(&cached.collect().unwrap());
    // The cache holds its blocks in the pool (about 10MB of them).
    let held = metric(&ctx, "cached_memory");
    assert!(held > 8 << 20, "{}", ctx.metrics_json());
    assert_eq!(
        held,
        ctx.rdd_context().block_manager().cache().memory_used() as u64
    );
    // 12MB: with every cached block kept, less than 2MB would be free for the window.
    set(&ctx, "ember.memory.limit", "12MB");
    let evicted = metric(&ctx, "evicted_blocks");
    assert_eq!(run(&ctx, window), expected);
    assert!(
        metric(&ctx, "evicted_blocks") > evicted,
        "{}",
        ctx.metrics_json()
    );
    assert!(metric(&ctx, "cached_memory") < held);
    assert_eq!(metric(&ctx, "oom_retries"), 0);
    // The evicted blocks went to disk (the default level) and read back the same.
    let disk_reads = metric(&ctx, "disk_blocks_read");
    assert_eq!(rows(&cached.collect().unwrap()), rows_before);
    assert!(
        metric(&ctx, "disk_blocks_read") > disk_reads,
        "{}",
        ctx.metrics_json()
    );
    // Unpersisted, the cache's files are gone and its memory given back.
    cached.unpersist();
    assert_eq!(metric(&ctx, "cached_memory"), 0);
    assert_eq!(ctx.rdd_context().block_manager().cache().len(), 0);
    std::fs::remove_dir_all(dir).unwrap();
}
