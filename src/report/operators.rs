//! The operator tree of a run as an HTML table: one row per physical operator, in
//! pre-order and drawn as a tree, with its actual and estimated rows, the q-error
//! coloured by size (green below 2, amber below 10, red from 10), where the estimate
//! came from, its own and total time (with a bar scaled to the slowest operator),
//! batches and bytes.
//!
//! In: the operators of a [`crate::explain::profile::QueryProfile`]. Out: the table.

use std::fmt::Write;

use crate::exec::metrics::{human_bytes, human_time};
use crate::explain::profile::OperatorProfile;
use crate::explain::tree::prefixes;
use crate::report::escape;

/// The CSS class of a q-error: good below 2, fair below 10, bad from 10.
pub(super) fn q_class(q: f64) -> &'static str {
    if q < 2.0 {
        "q-good"
    } else if q < 10.0 {
        "q-fair"
    } else {
        "q-bad"
    }
}

/// The table of `operators` (pre-order).
pub(super) fn render(operators: &[OperatorProfile]) -> String {
    let slowest = operators
        .iter()
        .map(|o| o.stats.self_time)
        .max()
        .unwrap_or_default()
        .as_secs_f64()
        .max(1e-9);
    let mut out = String::from(
        "<table class=\"operators\">\n<thead><tr><th class=\"op\">operator</th><th>rows</th>\
         <th>estimated</th><th>q-error</th><th>estimate from</th><th>self time</th>\
         <th>total time</th><th>batches</th><th>bytes</th></tr></thead>\n<tbody>\n",
    );
    for (op, prefix) in operators.iter().zip(prefixes(operators)) {
        let (estimated, q, source) = match op.estimate {
            Some(e) => {
                let q = e.q_error(op.rows());
                (
                    format!("{}", e.rows.round() as u64),
                    format!("<td class=\"q {}\">{q:.2}</td>", q_class(q)),
                    format!(
                        "<td class=\"source {}\">{}</td>",
                        e.source.name(),
                        e.source.description()
                    ),
                )
            }
            None => (
                "–".to_string(),
                "<td class=\"q\">–</td>".to_string(),
                "<td class=\"source\">none</td>".to_string(),
            ),
        };
        let share = op.stats.self_time.as_secs_f64() / slowest * 100.0;
        let note = match &op.note {
            Some(n) => format!(" <span class=\"note\">{}</span>", escape(n)),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "<tr class=\"operator\" data-depth=\"{}\"><td class=\"op\"><span class=\"tree\">{}</span><span class=\"op-name\">{}</span> <code class=\"op-detail\" title=\"{}\">{}</code>{note}</td><td class=\"num\">{}</td><td class=\"num\">{estimated}</td>{q}{source}<td class=\"num time\"><span class=\"time-bar\" style=\"width:{share:.1}%\"></span><span>{}</span></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            op.depth,
            escape(&prefix),
            escape(&op.name),
            escape(&op.detail),
            escape(&op.detail),
            op.rows(),
            human_time(op.stats.self_time),
            human_time(op.total_time),
            op.stats.batches,
            human_bytes(op.stats.bytes),
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_errors_are_coloured_by_size() {
        assert_eq!(q_class(1.0), "q-good");
        assert_eq!(q_class(1.99), "q-good");
        assert_eq!(q_class(2.0), "q-fair");
        assert_eq!(q_class(9.9), "q-fair");
        assert_eq!(q_class(10.0), "q-bad");
    }
}
