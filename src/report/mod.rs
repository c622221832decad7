//! The HTML report of one analyzed query run: Spark's UI in one file.
//!
//! In: a [`QueryProfile`] (what ran, from [`crate::explain::profile`]) and the
//! query's text or plan. Out: one self-contained HTML document — inline CSS, inline
//! SVG and a few lines of inline script, nothing fetched — with
//!
//! - a summary of the run (rows, time, jobs, stages, task attempts, failures,
//!   recomputed partitions);
//! - the stage DAG: a box per stage, an arrow per shuffle a stage reads ([`dag`]);
//! - the task timeline: a lane per pool thread, a bar per task attempt, coloured by
//!   stage, failed attempts hatched ([`timeline`]);
//! - the operator tree with rows, estimates, q-errors, times and bytes
//!   ([`operators`]);
//! - the query text and the RDD lineage.
//!
//! Every piece of plan or query text goes through [`escape`]. Knows nothing of how
//! the run happened: it only draws the profile.

mod dag;
mod operators;
mod timeline;

use std::fmt::Write;

use crate::exec::metrics::human_time;
use crate::explain::profile::QueryProfile;

/// What a report shows besides the run itself.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    /// The query's SQL text, when it came from SQL.
    pub sql: Option<&'a str>,
    /// The optimized logical plan, indented.
    pub logical_plan: &'a str,
    /// The run.
    pub profile: &'a QueryProfile,
}

const STYLE: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");

/// Colours of stages, by their position in the run (repeating past the end).
pub(crate) const STAGE_COLOURS: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f",
    "#bab0ac", "#e15759",
];

/// The HTML document of `input`.
pub fn render(input: &ReportInput<'_>) -> String {
    let p = input.profile;
    let mut html = String::with_capacity(64 * 1024);
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    html.push_str("<title>Ember query report</title>\n<style>\n");
    html.push_str(STYLE);
    html.push_str("</style>\n</head>\n<body>\n<main id=\"report\">\n");
    html.push_str("<header>\n<h1>Ember query report</h1>\n");
    html.push_str(&summary(p));
    html.push_str("</header>\n");

    html.push_str("<section id=\"query\">\n<h2>Query</h2>\n");
    match input.sql {
        Some(sql) => {
            let _ = writeln!(html, "<pre class=\"sql\">{}</pre>", escape(sql.trim()));
            let _ = writeln!(
                html,
                "<details><summary>Optimized logical plan</summary><pre>{}</pre></details>",
                escape(input.logical_plan)
            );
        }
        None => {
            let _ = writeln!(
                html,
                "<pre class=\"plan\">{}</pre>",
                escape(input.logical_plan)
            );
        }
    }
    html.push_str("</section>\n");

    html.push_str("<section id=\"stages\">\n<h2>Stages</h2>\n");
    html.push_str(
        "<p class=\"hint\">A box per stage, an arrow from the stage that writes a shuffle to \
         each stage that reads it. Hover a stage to pick out its tasks.</p>\n",
    );
    html.push_str(&dag::render(p));
    html.push_str(&dag::table(p));
    html.push_str("</section>\n");

    html.push_str("<section id=\"timeline\">\n<h2>Task timeline</h2>\n");
    html.push_str(
        "<p class=\"hint\">A lane per worker thread, a bar per task attempt from its start \
         to its end, coloured by stage; failed attempts are hatched in red, retries outlined.</p>\n",
    );
    html.push_str(&timeline::render(p));
    html.push_str("</section>\n");

    html.push_str("<section id=\"operators\">\n<h2>Operators</h2>\n");
    html.push_str(
        "<p class=\"hint\">q-error = max(estimated / actual, actual / estimated): \
         <span class=\"q q-good\">&lt; 2</span> <span class=\"q q-fair\">&lt; 10</span> \
         <span class=\"q q-bad\">&#8805; 10</span>. Estimates are an exact count, read \
         from statistics (file metadata, column min/max), or a default guess.</p>\n",
    );
    html.push_str(&operators::render(&p.operators));
    html.push_str("</section>\n");

    html.push_str("<section id=\"lineage\">\n<h2>RDD lineage</h2>\n");
    let _ = writeln!(
        html,
        "<details><summary>{} lines</summary><pre>{}</pre></details>",
        p.lineage.lines().count(),
        escape(&p.lineage)
    );
    html.push_str("</section>\n</main>\n<script>\n");
    html.push_str(SCRIPT);
    html.push_str("</script>\n</body>\n</html>\n");
    html
}

/// The run's figures in one line of labelled numbers.
fn summary(p: &QueryProfile) -> String {
    let attempts = p.tasks.len();
    let failed = p.tasks.iter().filter(|t| !t.succeeded).count();
    let retried = p.tasks.iter().filter(|t| t.attempt > 0).count();
    let workers = timeline::workers(p).len();
    let figures = [
        ("rows", p.rows.to_string()),
        ("elapsed", human_time(p.elapsed)),
        ("jobs", p.jobs.len().to_string()),
        ("stages", p.stages.len().to_string()),
        ("task attempts", attempts.to_string()),
        ("failed", failed.to_string()),
        ("retries", retried.to_string()),
        (
            "recomputed partitions",
            p.counters.recomputed_partitions.to_string(),
        ),
        ("threads used", format!("{workers} of {}", p.threads)),
    ];
    let mut out = String::from("<dl class=\"summary\">\n");
    for (label, value) in figures {
        let warn = matches!(label, "failed" | "retries" | "recomputed partitions") && value != "0";
        let _ = writeln!(
            out,
            "<div{}><dt>{label}</dt><dd>{}</dd></div>",
            if warn { " class=\"warn\"" } else { "" },
            escape(&value)
        );
    }
    out.push_str("</dl>\n");
    out
}

/// `text` with the characters HTML gives meaning to replaced by entities, safe in
/// element content and in quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The colour of the stage at `index` in the run.
pub(crate) fn stage_colour(index: usize) -> &'static str {
    STAGE_COLOURS[index % STAGE_COLOURS.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_replaces_markup_characters() {
        assert_eq!(
            escape(r#"a < b && c > 'd' "e""#),
            "a &lt; b &amp;&amp; c &gt; &#39;d&#39; &quot;e&quot;"
        );
        assert_eq!(escape("plain"), "plain");
    }
}
