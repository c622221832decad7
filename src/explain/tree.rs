//! EXPLAIN ANALYZE's operator tree as text: one line per operator under `├─` / `└─`
//! connectors, and under it a line of what the operator did beside what the planner
//! expected.
//!
//! In: the operators of a [`QueryProfile`], in pre-order. Out: text such as
//!
//! ```text
//! Limit: skip=0, fetch=5
//! │ rows=5  est=5 q=1.00 exact  self=4µs total=1.3ms  batches=1 bytes=1.1KiB
//! └─ Filter: nation.n_regionkey = 1
//!    │ rows=5  est=3 q=1.67 stats  self=60µs total=1.3ms  batches=4 bytes=4.3KiB
//!    └─ Scan: nation (memory: 4 partitions) projection=[n_name, n_regionkey]
//!         rows=25  est=25 q=1.00 exact  self=1.2ms total=1.2ms  batches=4 bytes=5.0KiB
//! ```
//!
//! `est` is the planner's estimate, `q` its q-error (max(est/rows, rows/est), each at
//! least 1), then where it came from: `exact` (a count known for sure), `stats` (file
//! metadata or column statistics) or `guess` (a fixed selectivity). `self` is the
//! operator's own time, `total` adds the operators below it.
//!
//! [`QueryProfile`]: super::profile::QueryProfile

use crate::exec::metrics::{human_bytes, human_time};
use crate::explain::profile::OperatorProfile;

/// The legend printed above the tree.
pub const LEGEND: &str = "(rows: actual; est: estimated, q: q-error, exact | stats | guess: \
where the estimate came from; self: own time, total: with inputs)";

/// The tree of `operators` (pre-order, as a profile lists them).
pub fn render(operators: &[OperatorProfile]) -> String {
    let mut out = String::new();
    if !operators.is_empty() {
        write_node(operators, 0, "", None, &mut out);
    }
    out
}

/// The facts line of one operator, without its tree prefix.
pub fn facts(op: &OperatorProfile) -> String {
    let estimate = match op.estimate {
        Some(e) => format!(
            "est={} q={:.2} {}",
            e.rows.round() as u64,
            e.q_error(op.rows()),
            e.source.name()
        ),
        None => "est=-".to_string(),
    };
    let mut line = format!(
        "rows={}  {estimate}  self={} total={}  batches={} bytes={}",
        op.rows(),
        human_time(op.stats.self_time),
        human_time(op.total_time),
        op.stats.batches,
        human_bytes(op.stats.bytes),
    );
    if op.stats.peak_memory > 0 {
        line.push_str(&format!("  peak_mem={}", human_bytes(op.stats.peak_memory)));
    }
    if op.stats.spill_files > 0 {
        line.push_str(&format!(
            "  spilled={} files={}",
            human_bytes(op.stats.spilled_bytes),
            op.stats.spill_files
        ));
    }
    if op.stats.split_parts > 1 {
        line.push_str(&format!("  split={}", op.stats.split_parts));
    }
    if let Some(note) = &op.note {
        line.push_str("  ");
        line.push_str(note);
    }
    line
}

/// Per operator in pre-order, the tree drawing before its name (`├─ `, `│  └─ `, ...),
/// as [`render`] draws it.
pub fn prefixes(operators: &[OperatorProfile]) -> Vec<String> {
    let mut out = vec![String::new(); operators.len()];
    let mut stack = vec![(0usize, String::new(), None::<bool>)];
    while let Some((at, prefix, last)) = stack.pop() {
        let Some(op) = operators.get(at) else {
            continue;
        };
        let (connector, below) = connectors(&prefix, last);
        out[at] = format!("{prefix}{connector}");
        let n = op.children.len();
        for (i, &child) in op.children.iter().enumerate().rev() {
            stack.push((child, below.clone(), Some(i + 1 == n)));
        }
    }
    out
}

/// The connector before a node's name and the prefix of the lines below it.
fn connectors(prefix: &str, last: Option<bool>) -> (&'static str, String) {
    match last {
        None => ("", String::new()),
        Some(false) => ("├─ ", format!("{prefix}│  ")),
        Some(true) => ("└─ ", format!("{prefix}   ")),
    }
}

/// Writes operator `at` and its inputs. `prefix` continues the lines of its
/// ancestors; `last` is `None` for the root, else whether it is its parent's last
/// input.
fn write_node(
    operators: &[OperatorProfile],
    at: usize,
    prefix: &str,
    last: Option<bool>,
    out: &mut String,
) {
    let op = &operators[at];
    let (connector, below) = connectors(prefix, last);
    out.push_str(prefix);
    out.push_str(connector);
    out.push_str(&op.line());
    out.push('\n');
    out.push_str(&below);
    out.push_str(if op.children.is_empty() { "  " } else { "│ " });
    out.push_str(&facts(op));
    out.push('\n');
    for (i, &child) in op.children.iter().enumerate() {
        let last = i + 1 == op.children.len();
        write_node(operators, child, &below, Some(last), out);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use ember_planner::optimizer::cost::{Estimate, EstimateSource};

    use super::*;
    use crate::exec::metrics::NodeStats;

    fn op(name: &str, children: Vec<usize>, rows: u64, est: Option<Estimate>) -> OperatorProfile {
        OperatorProfile {
            name: name.to_string(),
            detail: "x".to_string(),
            note: None,
            depth: 0,
            children,
            estimate: est,
            stats: NodeStats {
                rows,
                batches: 1,
                bytes: 2048,
                self_time: Duration::from_micros(10),
                ..NodeStats::default()
            },
            total_time: Duration::from_micros(30),
        }
    }

    #[test]
    fn children_hang_under_connectors_with_their_facts() {
        let ops = vec![
            op("Join", vec![1, 2], 10, Some(Estimate::guess(100.0))),
            op("Scan", vec![], 4, Some(Estimate::exact(4.0))),
            op(
                "Filter",
                vec![3],
                0,
                Some(Estimate::new(2.0, EstimateSource::Statistics)),
            ),
            op("Scan", vec![], 7, None),
        ];
        assert_eq!(
            render(&ops),
            "Join: x\n\
             │ rows=10  est=100 q=10.00 guess  self=10µs total=30µs  batches=1 bytes=2.0KiB\n\
             ├─ Scan: x\n\
             │    rows=4  est=4 q=1.00 exact  self=10µs total=30µs  batches=1 bytes=2.0KiB\n\
             └─ Filter: x\n\
             \x20  │ rows=0  est=2 q=2.00 stats  self=10µs total=30µs  batches=1 bytes=2.0KiB\n\
             \x20  └─ Scan: x\n\
             \x20       rows=7  est=-  self=10µs total=30µs  batches=1 bytes=2.0KiB\n"
        );
        assert_eq!(prefixes(&ops), ["", "├─ ", "└─ ", "   └─ "]);
    }
}
