//! The progress line: while a statement runs on a terminal for over a second, one
//! line on stderr shows its stages and tasks done, the rows read and the time spent,
//! redrawn several times a second and erased before the result prints.
//!
//! In: the session's running jobs ([`crate::rdd::JobProgress`]), or before they start
//! the TPC-H tables being generated ([`crate::sources::tpch::generating`]). Out: the line, drawn
//! by a thread of its own that [`Progress::stop`] (or dropping it) ends and erases.

use std::io::Write;
use std::os::fd::AsFd;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::rdd::{JobProgress, RddContext};
use crate::sources::tpch::{Generation, generating};

/// How long a statement runs before the line appears.
const DELAY: Duration = Duration::from_secs(1);
/// Time between redraws.
const TICK: Duration = Duration::from_millis(150);
/// Width of the bar itself.
const BAR: usize = 24;

/// A running progress line; stopping it erases the line.
pub(crate) struct Progress {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts drawing the progress of the jobs of `rdd` on stderr, after a second.
    pub(crate) fn start(rdd: std::sync::Arc<RddContext>) -> Progress {
        let (stop, stopped) = mpsc::channel::<()>();
        // The shell holds the lock of stderr while it runs: write to a handle of its
        // own on the same terminal.
        let Ok(mut err) = std::io::stderr()
            .as_fd()
            .try_clone_to_owned()
            .map(std::fs::File::from)
        else {
            return Progress {
                stop: None,
                thread: None,
            };
        };
        let thread = std::thread::Builder::new()
            .name("ember-progress".into())
            .spawn(move || {
                let started = Instant::now();
                let mut drawn = false;
                loop {
                    let wait = if drawn {
                        TICK
                    } else {
                        DELAY.saturating_sub(started.elapsed())
                    };
                    match stopped.recv_timeout(wait) {
                        Err(RecvTimeoutError::Timeout) => {}
                        // Stopped, or the statement's side went away.
                        _ => break,
                    }
                    let jobs = rdd.progress();
                    let generating = generating();
                    if jobs.is_empty() && generating.is_empty() && !drawn {
                        continue;
                    }
                    let line = if jobs.is_empty() && !generating.is_empty() {
                        render_generation(&generating, started.elapsed())
                    } else {
                        render(&jobs, started.elapsed())
                    };
                    let _ = write!(err, "\r\x1b[2K{line}");
                    let _ = err.flush();
                    drawn = true;
                }
                if drawn {
                    let _ = write!(err, "\r\x1b[2K");
                    let _ = err.flush();
                }
            })
            .ok();
        Progress {
            stop: Some(stop),
            thread,
        }
    }

    /// Stops and erases the line (once; later calls do nothing).
    pub(crate) fn stop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The line for `jobs` (summed) after `elapsed`: a bar of the tasks done, then the
/// counts.
pub(crate) fn render(jobs: &[JobProgress], elapsed: Duration) -> String {
    let sum = |f: fn(&JobProgress) -> usize| jobs.iter().map(f).sum::<usize>();
    let (stages_done, stages) = (sum(|j| j.stages_done), sum(|j| j.stages_total));
    let (tasks_done, tasks) = (sum(|j| j.tasks_done), sum(|j| j.tasks_total));
    let rows: u64 = jobs.iter().map(|j| j.rows_read).sum();
    let fraction = if tasks == 0 {
        0.0
    } else {
        tasks_done as f64 / tasks as f64
    };
    format!(
        "{}  stages {stages_done}/{stages}  tasks {tasks_done}/{tasks}  rows {}  {:.1}s",
        bar(fraction),
        short_count(rows),
        elapsed.as_secs_f64()
    )
}

/// The line while TPC-H tables are generated into files (before the statement's jobs
/// start): a bar of the parts written.
pub(crate) fn render_generation(tables: &[Generation], elapsed: Duration) -> String {
    let done: i64 = tables.iter().map(|g| i64::from(g.parts_done)).sum();
    let parts: i64 = tables.iter().map(|g| i64::from(g.parts)).sum();
    let fraction = if parts == 0 {
        0.0
    } else {
        done as f64 / parts as f64
    };
    let names: Vec<&str> = tables.iter().map(|g| g.table).collect();
    format!(
        "{}  generating TPC-H {}: parts {done}/{parts}  {:.1}s",
        bar(fraction),
        names.join(", "),
        elapsed.as_secs_f64()
    )
}

/// `[████░░░░]  50%`.
fn bar(fraction: f64) -> String {
    let filled = ((fraction * BAR as f64).round() as usize).min(BAR);
    format!(
        "[{}{}] {:>3}%",
        "█".repeat(filled),
        "░".repeat(BAR - filled),
        (fraction * 100.0).floor() as u64
    )
}

/// 950, 12.3K, 4.5M, 6.0B.
fn short_count(n: u64) -> String {
    match n {
        n if n >= 1_000_000_000 => format!("{:.1}B", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{:.1}M", n as f64 / 1e6),
        n if n >= 1_000 => format!("{:.1}K", n as f64 / 1e3),
        n => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(stages: (usize, usize), tasks: (usize, usize), rows: u64) -> JobProgress {
        JobProgress {
            job_id: 0,
            stages_done: stages.0,
            stages_total: stages.1,
            tasks_done: tasks.0,
            tasks_total: tasks.1,
            rows_read: rows,
            elapsed: Duration::from_secs(2),
        }
    }

    #[test]
    fn the_line_sums_jobs_and_fills_the_bar_by_tasks() {
        let line = render(
            &[job((1, 3), (10, 20), 1_500_000), job((0, 1), (0, 20), 0)],
            Duration::from_millis(2500),
        );
        assert_eq!(
            line,
            format!(
                "[{}{}]  25%  stages 1/4  tasks 10/40  rows 1.5M  2.5s",
                "█".repeat(6),
                "░".repeat(18)
            )
        );
        let empty = render(&[], Duration::ZERO);
        assert!(empty.contains("  0%  stages 0/0"), "{empty}");
    }

    #[test]
    fn the_generation_line_counts_parts() {
        let lineitem = Generation {
            table: "lineitem",
            parts_done: 23,
            parts: 46,
        };
        assert_eq!(
            render_generation(&[lineitem], Duration::from_millis(1250)),
            format!(
                "[{}{}]  50%  generating TPC-H lineitem: parts 23/46  1.2s",
                "█".repeat(12),
                "░".repeat(12)
            )
        );
    }
}
