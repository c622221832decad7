//! EXPLAIN and EXPLAIN ANALYZE over TPC-H at scale factor 0.01: join order and build
//! sides from estimates, estimated and actual rows per operator.

use std::path::PathBuf;

use arrow::array::Array;
use ember::SessionContext;

fn query(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/tpch/queries")
        .join(format!("{name}.sql"));
    std::fs::read_to_string(path).unwrap()
}

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

#[test]
fn explain_analyze_shows_estimated_and_actual_rows_per_operator() {
    let ctx = tpch();
    let sql = format!("EXPLAIN ANALYZE {}", query("q03"));
    let batches = ctx.sql(&sql).unwrap().collect().unwrap();
    let text: String = batches
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
        .collect();
    let analyzed: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("== Physical Plan (analyzed)"))
        .skip(1)
        .take_while(|l| !l.starts_with("=="))
        .collect();
    assert!(!analyzed.is_empty(), "{text}");
    for line in &analyzed {
        assert!(line.contains(" rows="), "no actual rows: {line}");
        assert!(line.contains(" time="), "no time: {line}");
        if line.contains("HashJoin") || line.contains("Filter:") {
            assert!(line.contains("est_rows="), "no estimate: {line}");
        }
    }
    // Q3 returns its top ten rows; the root operator says so.
    assert!(analyzed[0].contains(" rows=10 "), "{}", analyzed[0]);
    assert!(text.contains("== Stages =="), "{text}");
    assert!(text.contains("result, tasks="), "{text}");
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
