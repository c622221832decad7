//! EXPLAIN and EXPLAIN ANALYZE over TPC-H at scale factor 0.01: join order and build
//! sides from estimates, estimated and actual rows per operator.

mod common;

use common::tpch_query as query;

use arrow::array::Array;
use ember::SessionContext;

fn tpch() -> SessionContext {
    let ctx = SessionContext::new();
    ctx.register_tpch(0.01).unwrap();
    ctx
}

/// The estimated rows on an EXPLAIN line.
fn est_rows(line: &str) -> Option<f64> {
    let at = line.find("est_rows=")? + "est_rows=".len();
    line[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The physical plan section of EXPLAIN text.
fn physical_lines(text: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| !l.starts_with("== Physical Plan"))
        .skip(1)
        .take_while(|l| !l.starts_with("=="))
        .map(str::to_string)
        .collect()
}

#[test]
fn multi_way_joins_have_no_cross_join_and_build_on_the_smaller_input() {
    let ctx = tpch();
    for q in ["q05", "q07", "q08", "q09", "q21"] {
        let text = ctx.sql(&query(q)).unwrap().explain(false).unwrap();
        let lines = physical_lines(&text);
        assert!(!lines.is_empty(), "{q}: no physical plan in\n{text}");
        let mut joins = 0;
        for (i, line) in lines.iter().enumerate() {
            assert!(
                !line.contains("NestedLoopJoin") && !line.contains("Cross"),
                "{q}: {line}"
            );
            if !line.trim_start().starts_with("HashJoin(Inner") {
                continue;
            }
            joins += 1;
            // Children are the next lines one level deeper: probe side, then build.
            let depth = indent(line);
            let children: Vec<&String> = lines[i + 1..]
                .iter()
                .take_while(|l| indent(l) > depth)
                .filter(|l| indent(l) == depth + 2)
                .collect();
            assert_eq!(children.len(), 2, "{q}: {line}");
            let probe = est_rows(children[0]).unwrap_or_else(|| panic!("{q}: {}", children[0]));
            let build = est_rows(children[1]).unwrap_or_else(|| panic!("{q}: {}", children[1]));
            assert!(
                build <= probe,
                "{q}: builds on the larger input ({build} > {probe}):\n{}",
                lines.join("\n")
            );
        }
        assert!(joins >= 2, "{q}: {joins} inner hash joins");
    }
}

/// The text of a one-column result, one row per line.
fn text_of(batches: &[arrow::array::RecordBatch]) -> String {
    batches
        .iter()
        .flat_map(|b| {
            let col = b
                .column(0)
                .as_any()
                .downcast_ref::<arrow::array::StringArray>()
                .unwrap()
                .clone();
            (0..col.len())
                .map(move |i| format!("{}\n", col.value(i)))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// One operator of the analyzed tree: its line and the facts under it.
#[derive(Debug)]
struct TreeNode {
    operator: String,
    rows: u64,
    est: Option<f64>,
    q: Option<f64>,
    source: Option<String>,
    self_secs: f64,
    total_secs: f64,
}

fn seconds(t: &str) -> f64 {
    for (unit, scale) in [("µs", 1e-6), ("ms", 1e-3), ("s", 1.0)] {
        if let Some(n) = t.strip_suffix(unit) {
            return n.parse::<f64>().unwrap() * scale;
        }
    }
    panic!("not a time: {t}")
}

/// The operators of EXPLAIN ANALYZE's tree, in the order drawn (pre-order).
fn analyzed_tree(text: &str) -> Vec<TreeNode> {
    let lines: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("== Physical Plan (analyzed)"))
        .skip(1)
        .take_while(|l| !l.starts_with("=="))
        .filter(|l| !l.starts_with('('))
        .collect();
    assert!(
        lines.len().is_multiple_of(2),
        "a facts line under every operator:\n{text}"
    );
    let strip = |l: &str| l.trim_start_matches([' ', '│', '├', '└', '─']).to_string();
    lines
        .chunks(2)
        .map(|pair| {
            let (operator, facts) = (strip(pair[0]), strip(pair[1]));
            assert!(facts.starts_with("rows="), "{facts}");
            let mut node = TreeNode {
                operator,
                rows: 0,
                est: None,
                q: None,
                source: None,
                self_secs: 0.0,
                total_secs: 0.0,
            };
            let words: Vec<&str> = facts.split_whitespace().collect();
            for (i, w) in words.iter().enumerate() {
                match w.split_once('=') {
                    Some(("rows", v)) => node.rows = v.parse().unwrap(),
                    Some(("est", "-")) => {}
                    Some(("est", v)) => node.est = Some(v.parse().unwrap()),
                    Some(("q", v)) => {
                        node.q = Some(v.parse().unwrap());
                        node.source = Some(words[i + 1].to_string());
                    }
                    Some(("self", v)) => node.self_secs = seconds(v),
                    Some(("total", v)) => node.total_secs = seconds(v),
                    _ => {}
                }
            }
            node
        })
        .collect()
}

#[test]
fn explain_analyze_draws_every_operator_with_actual_and_estimated_rows() {
    let ctx = tpch();
    let df = ctx.sql(&query("q03")).unwrap();
    let physical = df.physical_plan().unwrap();
    let result_rows = df.count().unwrap() as u64;
    let sql = format!("EXPLAIN ANALYZE {}", query("q03"));
    let text = text_of(&ctx.sql(&sql).unwrap().collect().unwrap());
    let tree = analyzed_tree(&text);
    // Every operator of the physical plan, in pre-order, each with its own line.
    let described: Vec<String> = physical.preorder().iter().map(|n| n.describe()).collect();
    let drawn: Vec<&str> = tree.iter().map(|n| n.operator.as_str()).collect();
    assert_eq!(drawn, described, "{text}");
    assert!(text.contains("└─ "), "{text}");
    // Q3 returns its top ten rows; the root operator says so.
    assert_eq!(result_rows, 10);
    assert_eq!(tree[0].rows, result_rows, "{text}");
    for node in &tree {
        if node.operator.starts_with("HashJoin") || node.operator.starts_with("Filter:") {
            assert!(node.est.is_some(), "no estimate: {node:?}");
        }
        if let (Some(est), Some(q)) = (node.est, node.q) {
            // The q-error of the estimate shown, which is rounded to whole rows.
            let a = (node.rows as f64).max(1.0);
            let q_of = |e: f64| (e.max(1.0) / a).max(a / e.max(1.0));
            let (at_lo, at_hi) = (q_of(est - 0.5), q_of(est + 0.5));
            let hi = at_lo.max(at_hi);
            // Within the interval the q-error bottoms out at 1 where est = rows.
            let lo = if (est - 0.5..=est + 0.5).contains(&a) {
                1.0
            } else {
                at_lo.min(at_hi)
            };
            assert!(q >= lo - 0.01 && q <= hi + 0.01 && q >= 1.0, "{node:?}");
            let source = node.source.as_deref();
            assert!(
                matches!(source, Some("exact" | "stats" | "guess")),
                "{node:?}"
            );
        }
        // Total time holds the operator's own (both rounded for display).
        assert!(node.total_secs >= node.self_secs * 0.94, "{node:?}");
    }
    assert!(text.contains("== Stages =="), "{text}");
    assert!(text.contains("result, tasks="), "{text}");
}

#[test]
fn scans_of_memory_tables_are_exact_and_fixed_selectivities_are_guesses() {
    let ctx = tpch();
    let sql = "SELECT n_name FROM nation WHERE n_name LIKE 'A%'";
    let text = text_of(
        &ctx.sql(&format!("EXPLAIN ANALYZE {sql}"))
            .unwrap()
            .collect()
            .unwrap(),
    );
    let tree = analyzed_tree(&text);
    let scan = tree
        .iter()
        .find(|n| n.operator.starts_with("Scan: nation"))
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(scan.source.as_deref(), Some("exact"), "{text}");
    assert_eq!((scan.rows, scan.est), (25, Some(25.0)), "{text}");
    assert_eq!(scan.q, Some(1.0), "{text}");
    let filter = tree
        .iter()
        .find(|n| n.operator.starts_with("Filter:"))
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(filter.source.as_deref(), Some("guess"), "{text}");
    // ALGERIA and ARGENTINA, against a tenth of 25 rows.
    let rows = ctx.sql(sql).unwrap().count().unwrap() as u64;
    assert_eq!((filter.rows, rows), (2, 2), "{text}");
    assert_eq!(filter.est, Some(3.0), "{text}");
    assert_eq!(filter.q, Some(1.25), "{text}");

    // A range over a column with min/max is read off the statistics.
    let ops = ctx
        .sql("SELECT o_orderkey FROM orders WHERE o_orderdate < DATE '1993-01-01'")
        .unwrap()
        .analyze_rows()
        .unwrap();
    let filter = ops
        .iter()
        .find(|o| o.operator.starts_with("Filter"))
        .unwrap();
    assert_eq!(
        filter.source,
        Some(ember::planner::optimizer::cost::EstimateSource::Statistics),
        "{ops:#?}"
    );
}

#[test]
fn parquet_scans_are_estimated_from_file_statistics() {
    let ctx = tpch();
    let dir = std::env::temp_dir().join(format!("ember-explain-parquet-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("nation.parquet");
    ctx.sql(&format!(
        "COPY (SELECT * FROM nation) TO '{}' (FORMAT parquet)",
        path.display()
    ))
    .unwrap()
    .collect()
    .unwrap();
    let ops = ctx
        .read_parquet(path.to_str().unwrap())
        .unwrap()
        .analyze_rows()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let scan = ops.iter().find(|o| o.operator.starts_with("Scan")).unwrap();
    assert_eq!(
        scan.source,
        Some(ember::planner::optimizer::cost::EstimateSource::Statistics),
        "{ops:#?}"
    );
    assert_eq!((scan.actual, scan.estimated), (25, Some(25.0)), "{ops:#?}");
}

#[test]
fn analyze_rows_match_the_query_result_and_estimates_are_close() {
    let ctx = tpch();
    let df = ctx.sql(&query("q05")).unwrap();
    let rows = df.analyze_rows().unwrap();
    let result_rows = df.count().unwrap() as u64;
    assert_eq!(rows[0].actual, result_rows);
    let q: Vec<f64> = rows
        .iter()
        .filter(|r| r.operator.starts_with("HashJoin") || r.operator.starts_with("Filter"))
        .filter_map(|r| r.q_error())
        .collect();
    assert!(q.len() >= 5, "{rows:#?}");
    let mut sorted = q.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    assert!(median <= 5.0, "median q-error {median}: {rows:#?}");
}

#[test]
fn a_subquery_under_or_is_a_mark_join_estimated_at_its_left_rows() {
    let ctx = tpch();
    let sql = "SELECT c_name FROM customer WHERE c_acctbal > 9000 \
               OR c_custkey IN (SELECT o_custkey FROM orders WHERE o_totalprice > 400000)";
    let text = ctx.sql(sql).unwrap().explain(false).unwrap();
    assert!(
        text.contains("LeftMark Join: on=[customer.c_custkey = orders.o_custkey]"),
        "{text}"
    );
    assert!(text.contains("OR __mark"), "{text}");
    let lines = physical_lines(&text);
    let (i, join) = lines
        .iter()
        .enumerate()
        .find(|(_, l)| l.trim_start().starts_with("HashJoin(LeftMark"))
        .unwrap_or_else(|| panic!("no mark join in\n{text}"));
    // Every customer comes out of the mark join once: its estimate is its probe side's.
    let probe = lines[i + 1..]
        .iter()
        .find(|l| indent(l) == indent(join) + 2)
        .unwrap();
    assert_eq!(est_rows(join), est_rows(probe), "{}", lines.join("\n"));
    assert_eq!(est_rows(join), Some(1500.0), "{join}");
}
