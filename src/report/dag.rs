//! The stage DAG of a run as inline SVG, and the stages as a table.
//!
//! In: the stages of a [`QueryProfile`]. A stage that reads shuffle `s` depends on
//! the stages that wrote `s` (its map stages: the first run and any recomputation).
//! Out: a box per stage, laid out top-down in levels by depth (a stage sits one
//! level below the deepest stage it reads from), and an arrow per dependency.
//! Retried stages carry a red mark, recomputations a dashed border. A stage's
//! `items` are what the RDD layer counts: for SQL, record batches.

use std::collections::HashMap;
use std::fmt::Write;

use crate::exec::metrics::human_time;
use crate::explain::profile::QueryProfile;
use crate::rdd::metrics::{StageKind, StageRecord};
use crate::report::{escape, stage_colour};

const BOX_WIDTH: usize = 220;
const BOX_HEIGHT: usize = 66;
const COLUMN_GAP: usize = 24;
const ROW_GAP: usize = 34;
const MARGIN: usize = 12;

/// Per stage (by position in the profile), the positions of the stages it reads from.
fn producers(stages: &[StageRecord]) -> Vec<Vec<usize>> {
    stages
        .iter()
        .map(|stage| {
            stages
                .iter()
                .enumerate()
                .filter(|(_, p)| match p.kind {
                    StageKind::ShuffleMap { shuffle } => stage.reads.contains(&shuffle),
                    StageKind::Result => false,
                })
                .map(|(i, _)| i)
                .collect()
        })
        .collect()
}

/// Per stage, its level: 0 for a stage reading nothing of this run, else one more
/// than the deepest stage it reads from.
fn levels(producers: &[Vec<usize>]) -> Vec<usize> {
    fn level(
        at: usize,
        producers: &[Vec<usize>],
        memo: &mut [Option<usize>],
        depth: usize,
    ) -> usize {
        if let Some(c) = memo[at] {
            return c;
        }
        // Producers always come from other stages; the bound only guards the walk.
        let c = if depth > producers.len() {
            0
        } else {
            producers[at]
                .iter()
                .map(|&p| level(p, producers, memo, depth + 1) + 1)
                .max()
                .unwrap_or(0)
        };
        memo[at] = Some(c);
        c
    }
    let mut memo = vec![None; producers.len()];
    (0..producers.len())
        .map(|i| level(i, producers, &mut memo, 0))
        .collect()
}

/// The SVG of the stage DAG.
pub(super) fn render(p: &QueryProfile) -> String {
    let stages = &p.stages;
    if stages.is_empty() {
        return "<p class=\"empty\">No stage ran.</p>\n".to_string();
    }
    let producers = producers(stages);
    let levels = levels(&producers);
    let mut used: HashMap<usize, usize> = HashMap::new();
    let positions: Vec<(usize, usize)> = levels
        .iter()
        .map(|&level| {
            let column = used.entry(level).or_insert(0);
            let at = (
                MARGIN + *column * (BOX_WIDTH + COLUMN_GAP),
                MARGIN + level * (BOX_HEIGHT + ROW_GAP),
            );
            *column += 1;
            at
        })
        .collect();
    let width = positions
        .iter()
        .map(|(x, _)| x + BOX_WIDTH)
        .max()
        .unwrap_or(0)
        + MARGIN;
    let height = positions
        .iter()
        .map(|(_, y)| y + BOX_HEIGHT)
        .max()
        .unwrap_or(0)
        + MARGIN;

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg id=\"stage-dag\" class=\"dag\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"stage graph\">"
    );
    svg.push_str(
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" \
         markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/>\
         </marker></defs>\n",
    );
    for (to, from_all) in producers.iter().enumerate() {
        for &from in from_all {
            let (fx, fy) = positions[from];
            let (tx, ty) = positions[to];
            let (x1, y1) = (fx + BOX_WIDTH / 2, fy + BOX_HEIGHT);
            let (x2, y2) = (tx + BOX_WIDTH / 2, ty);
            let mid = (y1 + y2) / 2;
            let shuffle = match stages[from].kind {
                StageKind::ShuffleMap { shuffle } => shuffle,
                StageKind::Result => 0,
            };
            let _ = writeln!(
                svg,
                "<path class=\"edge\" data-from=\"{}\" data-to=\"{}\" d=\"M{x1},{y1} C{x1},{mid} {x2},{mid} {x2},{y2}\" marker-end=\"url(#arrow)\"><title>shuffle {shuffle}: stage {} → stage {}</title></path>",
                stages[from].stage_id,
                stages[to].stage_id,
                stages[from].stage_id,
                stages[to].stage_id,
            );
        }
    }
    for (i, stage) in stages.iter().enumerate() {
        let (x, y) = positions[i];
        svg.push_str(&stage_box(p, i, stage, x, y));
    }
    svg.push_str("</svg>\n");
    format!("<div class=\"scroll\">{svg}</div>\n")
}

/// What a stage computed, in a few words.
fn kind(stage: &StageRecord) -> String {
    match stage.kind {
        StageKind::ShuffleMap { shuffle } => format!("map → shuffle {shuffle}"),
        StageKind::Result => "result".to_string(),
    }
}

fn stage_box(p: &QueryProfile, index: usize, stage: &StageRecord, x: usize, y: usize) -> String {
    let recomputed = p.recomputes(stage);
    let retried = stage.totals.failed_attempts > 0;
    let mut classes = String::from("stage-box");
    if recomputed {
        classes.push_str(" recomputed");
    }
    if retried {
        classes.push_str(" retried");
    }
    if !stage.succeeded {
        classes.push_str(" failed");
    }
    let time = human_time(stage.end.saturating_sub(stage.start));
    let mut marks = Vec::new();
    if retried {
        marks.push(format!("{} failed", stage.totals.failed_attempts));
    }
    if recomputed {
        marks.push("recomputed".to_string());
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<g class=\"{classes}\" data-stage=\"{}\" transform=\"translate({x},{y})\">",
        stage.stage_id
    );
    let _ = writeln!(
        out,
        "<title>job {} stage {}: {}; {} tasks, {} attempts, {} failed, {} items, {time}</title>",
        stage.job_id,
        stage.stage_id,
        escape(&kind(stage)),
        stage.totals.tasks,
        stage.totals.attempts,
        stage.totals.failed_attempts,
        stage.totals.rows
    );
    let _ = writeln!(
        out,
        "<rect width=\"{BOX_WIDTH}\" height=\"{BOX_HEIGHT}\" rx=\"6\"/><rect class=\"band\" width=\"8\" height=\"{BOX_HEIGHT}\" rx=\"3\" fill=\"{}\"/>",
        stage_colour(index)
    );
    let _ = writeln!(
        out,
        "<text x=\"16\" y=\"19\" class=\"title\">Stage {} · {}</text>",
        stage.stage_id,
        escape(&kind(stage))
    );
    let _ = writeln!(
        out,
        "<text x=\"16\" y=\"37\">job {} · {} tasks · {time}</text>",
        stage.job_id, stage.totals.tasks
    );
    let _ = writeln!(
        out,
        "<text x=\"16\" y=\"55\">{} items{}</text>",
        stage.totals.rows,
        if marks.is_empty() {
            String::new()
        } else {
            format!(
                " · <tspan class=\"mark\">{}</tspan>",
                escape(&marks.join(", "))
            )
        }
    );
    out.push_str("</g>\n");
    out
}

/// The stages as a table: one row each, with what they read and did.
pub(super) fn table(p: &QueryProfile) -> String {
    let mut out = String::from(
        "<table class=\"stages\">\n<thead><tr><th>job</th><th>stage</th><th>kind</th>\
         <th>reads</th><th>tasks</th><th>attempts</th><th>failed</th><th>items</th>\
         <th>time</th><th></th></tr></thead>\n<tbody>\n",
    );
    for (i, s) in p.stages.iter().enumerate() {
        let reads: Vec<String> = s.reads.iter().map(|r| format!("shuffle {r}")).collect();
        let mut marks = Vec::new();
        if p.recomputes(s) {
            marks.push("recomputed");
        }
        if s.totals.failed_attempts > 0 {
            marks.push("retried");
        }
        if !s.succeeded {
            marks.push("failed");
        }
        let _ = writeln!(
            out,
            "<tr data-stage=\"{}\"><td>{}</td><td><span class=\"swatch\" style=\"background:{}\"></span>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"marks\">{}</td></tr>",
            s.stage_id,
            s.job_id,
            stage_colour(i),
            s.stage_id,
            escape(&kind(s)),
            escape(&reads.join(", ")),
            s.totals.tasks,
            s.totals.attempts,
            s.totals.failed_attempts,
            s.totals.rows,
            human_time(s.end.saturating_sub(s.start)),
            marks.join(", ")
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out
}
