//! The task timeline of a run as inline SVG: a Gantt chart with a lane per worker
//! thread and a bar per task attempt.
//!
//! In: the task attempts of a [`QueryProfile`] (start, end, stage, worker). Out: the
//! SVG. A bar spans its attempt's start to end on a shared time axis, coloured by its
//! stage; a failed attempt is hatched and outlined in red, a retry (attempt > 0)
//! outlined in black. A thread that ran attempts overlapping in time (one waiting on a
//! nested stage while another ran) gets as many rows in its lane as it needed.

use std::fmt::Write;
use std::time::Duration;

use crate::exec::metrics::human_time;
use crate::explain::profile::QueryProfile;
use crate::rdd::metrics::TaskRecord;
use crate::report::{escape, stage_colour};

const LABEL_WIDTH: usize = 96;
const PLOT_WIDTH: usize = 1000;
const ROW_HEIGHT: usize = 20;
const BAR_HEIGHT: usize = 14;
const LANE_GAP: usize = 6;
const AXIS_HEIGHT: usize = 26;

/// The workers that ran attempts, in lane order: pool threads by index, then
/// `None` (the submitting thread, when there is no pool).
pub(super) fn workers(p: &QueryProfile) -> Vec<Option<usize>> {
    let mut workers: Vec<Option<usize>> = p.tasks.iter().map(|t| t.worker).collect();
    workers.sort_by_key(|w| (w.is_none(), *w));
    workers.dedup();
    workers
}

/// Rows within one lane: each attempt goes to the first row free at its start.
fn rows_of(tasks: &[&TaskRecord]) -> (Vec<usize>, usize) {
    let mut ends: Vec<Duration> = Vec::new();
    let rows = tasks
        .iter()
        .map(|t| match ends.iter().position(|&end| end <= t.start) {
            Some(row) => {
                ends[row] = t.end;
                row
            }
            None => {
                ends.push(t.end);
                ends.len() - 1
            }
        })
        .collect();
    (rows, ends.len().max(1))
}

/// A tick spacing of 1, 2 or 5 times a power of ten, giving about eight ticks.
fn tick_step(span: f64) -> f64 {
    let rough = (span / 8.0).max(1e-9);
    let power = 10f64.powf(rough.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&s| s >= rough)
        .unwrap_or(10.0 * power)
}

/// The SVG of the task timeline.
pub(super) fn render(p: &QueryProfile) -> String {
    if p.tasks.is_empty() {
        return "<p class=\"empty\">No task ran.</p>\n".to_string();
    }
    let t0 = p.tasks.iter().map(|t| t.start).min().unwrap_or_default();
    let t1 = p.tasks.iter().map(|t| t.end).max().unwrap_or_default();
    let span = (t1.saturating_sub(t0)).as_secs_f64().max(1e-6);
    let x_of = |t: Duration| {
        LABEL_WIDTH as f64 + t.saturating_sub(t0).as_secs_f64() / span * PLOT_WIDTH as f64
    };
    let stage_index = |stage_id: usize| {
        p.stages
            .iter()
            .position(|s| s.stage_id == stage_id)
            .unwrap_or(stage_id)
    };

    let mut lanes = String::new();
    let mut y = AXIS_HEIGHT;
    for worker in workers(p) {
        let tasks: Vec<&TaskRecord> = p.tasks.iter().filter(|t| t.worker == worker).collect();
        let (rows, row_count) = rows_of(&tasks);
        let lane_height = row_count * ROW_HEIGHT;
        let (label, id) = match worker {
            Some(w) => (format!("thread {w}"), w.to_string()),
            None => ("caller".to_string(), "caller".to_string()),
        };
        let _ = writeln!(
            lanes,
            "<g class=\"lane\" data-worker=\"{id}\" transform=\"translate(0,{y})\"><rect class=\"lane-bg\" x=\"0\" y=\"0\" width=\"{}\" height=\"{lane_height}\"/><text class=\"lane-label\" x=\"6\" y=\"{}\">{label}</text>",
            LABEL_WIDTH + PLOT_WIDTH,
            ROW_HEIGHT / 2 + 4
        );
        for (task, row) in tasks.iter().zip(rows) {
            lanes.push_str(&bar(
                task,
                row,
                stage_colour(stage_index(task.stage_id)),
                &x_of,
            ));
        }
        lanes.push_str("</g>\n");
        y += lane_height + LANE_GAP;
    }
    let height = y + 4;
    let width = LABEL_WIDTH + PLOT_WIDTH + 16;

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg id=\"task-timeline\" class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"task timeline\">"
    );
    svg.push_str(
        "<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
         patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#f4c7c3\"/>\
         <line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#c5221f\" stroke-width=\"3\"/>\
         </pattern></defs>\n",
    );
    // The time axis: ticks from the first attempt's start.
    let step = tick_step(span);
    let mut tick = 0.0;
    while tick <= span + 1e-12 {
        let x = LABEL_WIDTH as f64 + tick / span * PLOT_WIDTH as f64;
        let _ = writeln!(
            svg,
            "<line class=\"tick\" x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{}\"/><text class=\"tick-label\" x=\"{x:.1}\" y=\"14\">{}</text>",
            AXIS_HEIGHT - 6,
            height - 4,
            human_time(Duration::from_secs_f64(tick))
        );
        tick += step;
    }
    svg.push_str(&lanes);
    svg.push_str("</svg>\n");

    let mut legend = String::from("<ul class=\"legend\">");
    for (i, s) in p.stages.iter().enumerate() {
        let _ = write!(
            legend,
            "<li data-stage=\"{}\"><span class=\"swatch\" style=\"background:{}\"></span>stage {}</li>",
            s.stage_id,
            stage_colour(i),
            s.stage_id
        );
    }
    legend.push_str(
        "<li><span class=\"swatch failed\"></span>failed attempt</li>\
         <li><span class=\"swatch retry\"></span>retry</li></ul>\n",
    );
    format!("<div class=\"scroll\">{svg}</div>\n{legend}")
}

/// One attempt's bar in its lane's `row`.
fn bar(task: &TaskRecord, row: usize, colour: &str, x_of: &dyn Fn(Duration) -> f64) -> String {
    let x = x_of(task.start);
    let w = (x_of(task.end) - x).max(1.0);
    let y = row * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2;
    let mut class = String::from("task-bar");
    if !task.succeeded {
        class.push_str(" failed");
    }
    if task.attempt > 0 {
        class.push_str(" retry");
    }
    let fill = if task.succeeded {
        colour
    } else {
        "url(#hatch)"
    };
    let mut title = format!(
        "stage {} · partition {} · attempt {} · {} · {} items",
        task.stage_id,
        task.partition,
        task.attempt,
        human_time(task.end.saturating_sub(task.start)),
        task.rows
    );
    if let Some(error) = &task.error {
        title.push_str(" · failed: ");
        title.push_str(error);
    }
    format!(
        "<rect class=\"{class}\" data-stage=\"{}\" data-partition=\"{}\" data-attempt=\"{}\" data-failed=\"{}\" x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"{BAR_HEIGHT}\" rx=\"2\" fill=\"{fill}\"><title>{}</title></rect>\n",
        task.stage_id,
        task.partition,
        task.attempt,
        !task.succeeded,
        escape(&title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(start: u64, end: u64) -> TaskRecord {
        TaskRecord {
            job_id: 0,
            stage_id: 0,
            partition: 0,
            attempt: 0,
            start: Duration::from_millis(start),
            end: Duration::from_millis(end),
            rows: 0,
            succeeded: true,
            error: None,
            worker: Some(0),
        }
    }

    #[test]
    fn overlapping_attempts_take_another_row() {
        let (a, b, c) = (task(0, 10), task(5, 8), task(10, 12));
        let (rows, count) = rows_of(&[&a, &b, &c]);
        assert_eq!(rows, [0, 1, 0]);
        assert_eq!(count, 2);
    }

    #[test]
    fn ticks_are_round_numbers() {
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9 * b;
        assert!(close(tick_step(0.07), 0.01), "{}", tick_step(0.07));
        assert!(close(tick_step(1.0), 0.2), "{}", tick_step(1.0));
        assert!(close(tick_step(3.0), 0.5), "{}", tick_step(3.0));
    }
}
