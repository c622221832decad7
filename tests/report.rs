//! The HTML report of an analyzed run (`SessionContext::html_report`, `EXPLAIN ANALYZE
//! (FORMAT HTML)`): a well-formed document with a box per stage, a lane per worker
//! thread, a bar per task attempt and a row per operator, with plan and query text
//! escaped, failed attempts and recomputed stages marked. `tests/report/check_html.sh`
//! renders the same report in a headless browser.

mod common;

use common::tpch_query as query;

use std::collections::HashSet;

use ember::{SessionConfig, SessionContext};

fn tpch() -> SessionContext {
    let ctx = SessionContext::with_config(SessionConfig {
        threads: 2,
        ..SessionConfig::default()
    });
    ctx.register_tpch(0.01).unwrap();
    ctx
}

/// Elements whose start tag has no end tag in HTML.
const VOID: [&str; 4] = ["meta", "br", "hr", "img"];

/// Checks that every start tag is closed in order (SVG's `<x/>` closes itself), and
/// that no stray `<` or `>` is left in text; script and style bodies are skipped.
fn check_well_formed(html: &str) -> Result<(), String> {
    let mut open: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        if rest[..at].contains('>') {
            return Err(format!(
                "a stray '>' before {:?}",
                &rest[at..at + 40.min(rest.len() - at)]
            ));
        }
        rest = &rest[at..];
        let end = rest.find('>').ok_or("an unclosed tag")?;
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            match open.pop() {
                Some(o) if o == name => continue,
                other => return Err(format!("</{name}> closes {other:?}")),
            }
        }
        if tag.contains('<') {
            return Err(format!("a '<' inside the tag {tag:?}"));
        }
        let name = tag
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or_default()
            .to_string();
        if tag.ends_with('/') || VOID.contains(&name.as_str()) {
            continue;
        }
        if name == "script" || name == "style" {
            let close = format!("</{name}>");
            let body_end = rest.find(&close).ok_or(format!("{name} never closes"))?;
            rest = &rest[body_end + close.len()..];
            continue;
        }
        open.push(name);
    }
    if rest.contains('>') {
        return Err("a stray '>' at the end".to_string());
    }
    match open.as_slice() {
        [] => Ok(()),
        left => Err(format!("never closed: {left:?}")),
    }
}

fn count(html: &str, needle: &str) -> usize {
    html.matches(needle).count()
}

#[test]
fn the_q9_report_has_a_box_per_stage_a_lane_per_worker_and_a_bar_per_attempt() {
    let ctx = tpch();
    // Small build sides shuffle too, so the run has map stages to draw.
    ctx.set("ember.optimizer.broadcast_threshold_rows", "1000")
        .unwrap();
    let before = ctx.rdd_context().metrics();
    let sql = query("q09");
    let html = ctx.html_report(&sql).unwrap();
    check_well_formed(&html).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..100]);
    assert!(html.trim_end().ends_with("</html>"));
    // Nothing to fetch: no external script, style sheet or image.
    for external in ["src=", "href=\"http", "@import", "url(http"] {
        assert!(!html.contains(external), "{external}");
    }

    let first_job = before.jobs;
    let tasks: Vec<_> = ctx
        .rdd_context()
        .task_log()
        .into_iter()
        .filter(|t| t.job_id >= first_job)
        .collect();
    let stages: Vec<_> = ctx
        .rdd_context()
        .stage_log()
        .into_iter()
        .filter(|s| s.job_id >= first_job)
        .collect();
    assert!(stages.len() >= 3, "{stages:?}");
    assert_eq!(count(&html, "<g class=\"stage-box"), stages.len());
    for s in &stages {
        assert!(
            html.contains(&format!(
                "class=\"stage-box\" data-stage=\"{}\"",
                s.stage_id
            )),
            "stage {}",
            s.stage_id
        );
    }
    // An arrow for every shuffle a stage reads.
    let arrows: usize = stages.iter().map(|s| s.reads.len()).sum();
    assert_eq!(count(&html, "<path class=\"edge\""), arrows);

    assert_eq!(count(&html, "<rect class=\"task-bar"), tasks.len());
    let workers: HashSet<Option<usize>> = tasks.iter().map(|t| t.worker).collect();
    assert!(
        workers.iter().all(|w| w.is_some_and(|w| w < 2)),
        "{workers:?}"
    );
    assert_eq!(count(&html, "<g class=\"lane\""), workers.len());
    for w in workers.iter().flatten() {
        assert!(html.contains(&format!("data-worker=\"{w}\"")), "{w}");
    }

    let operators = ctx.sql(&sql).unwrap().physical_plan().unwrap();
    assert_eq!(
        count(&html, "<tr class=\"operator\""),
        operators.preorder().len()
    );
    assert!(html.contains("class=\"q q-"), "q-errors are coloured");
}

#[test]
fn query_and_plan_text_are_escaped() {
    let ctx = tpch();
    let sql = "SELECT n_name, '<script>alert(1)</script>' AS s FROM nation WHERE n_regionkey < 2";
    let html = ctx.html_report(sql).unwrap();
    check_well_formed(&html).unwrap();
    assert!(!html.contains("<script>alert"), "raw markup from the query");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("n_regionkey &lt; 2"));
    // The plan's text in the operator table too.
    assert!(html.contains("title=\"(n_regionkey@1 &lt; 2)\">(n_regionkey@1 &lt; 2)</code>"));
}

#[test]
fn explain_analyze_format_html_is_one_cell_holding_the_document() {
    let ctx = tpch();
    let batches = ctx
        .sql("EXPLAIN ANALYZE (FORMAT html) SELECT r_name, count(*) FROM region JOIN nation ON r_regionkey = n_regionkey GROUP BY r_name")
        .unwrap()
        .collect()
        .unwrap();
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 1);
    assert_eq!(batches[0].num_columns(), 1);
    let cell = batches[0]
        .column(0)
        .as_any()
        .downcast_ref::<arrow::array::StringArray>()
        .unwrap()
        .value(0)
        .to_string();
    assert!(cell.starts_with("<!DOCTYPE html>"));
    check_well_formed(&cell).unwrap();
    // The same query through the other spelling, and as text by default.
    let text = ctx
        .sql("EXPLAIN (ANALYZE, FORMAT text) SELECT r_name FROM region")
        .unwrap()
        .collect()
        .unwrap();
    assert!(text.iter().map(|b| b.num_rows()).sum::<usize>() > 5);
    let err = ctx
        .sql("EXPLAIN (FORMAT html) SELECT 1")
        .unwrap_err()
        .to_string();
    assert!(err.contains("ANALYZE"), "{err}");
}

#[test]
fn failed_attempts_and_recomputed_stages_are_marked() {
    let ctx = tpch();
    ctx.set("ember.optimizer.broadcast_threshold_rows", "1000")
        .unwrap();
    ctx.set("ember.faults.task_failure_rate", "0.2").unwrap();
    ctx.set("ember.faults.block_loss_rate", "0.5").unwrap();
    ctx.set("ember.faults.seed", "11").unwrap();
    let before = ctx.rdd_context().metrics();
    let html = ctx.html_report(&query("q03")).unwrap();
    let used = ctx.rdd_context().metrics().since(&before);
    check_well_formed(&html).unwrap();
    assert!(used.failed_attempts > 0, "{used:?}");
    assert_eq!(
        count(&html, "data-failed=\"true\""),
        used.failed_attempts,
        "every failed attempt is marked"
    );
    let retries = ctx
        .rdd_context()
        .task_log()
        .into_iter()
        .filter(|t| t.job_id >= before.jobs && t.attempt > 0)
        .count();
    assert_eq!(
        count(&html, "task-bar failed retry") + count(&html, "task-bar retry"),
        retries
    );
    assert!(used.recomputed_partitions > 0, "{used:?}");
    assert!(
        html.contains("stage-box recomputed"),
        "a recomputed stage is marked"
    );
    assert!(html.contains(&format!(
        "<dt>recomputed partitions</dt><dd>{}</dd>",
        used.recomputed_partitions
    )));
}

#[test]
fn the_checker_finds_unclosed_and_unescaped_markup() {
    assert!(check_well_formed("<p>a &lt; b</p>").is_ok());
    assert!(check_well_formed("<p>a < b</p>").is_err());
    assert!(check_well_formed("<p><b>x</p></b>").is_err());
    assert!(check_well_formed("<svg><rect/></svg><p>").is_err());
}
