//! The interactive shell in a real terminal: `ember` runs in a tmux pane, keys are
//! typed into it and the screen is read back. Ctrl-C cancels a running statement and
//! the prompt comes back quickly, with the shell still working and its memory back
//! near where it started; dot commands, completion and the timer work as typed.
//!
//! Needs `tmux` (the CI script installs it).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// A statement that runs far longer than the test: 22.5 billion pairs at SF 0.1.
const LONG_QUERY: &str =
    "SELECT count(*) FROM orders a, orders b WHERE a.o_totalprice < b.o_totalprice;";

/// One tmux session running one command, killed on drop.
struct Pane {
    name: String,
    home: PathBuf,
}

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux")
        .args(args)
        .output()
        .expect("tmux runs (install it: apt-get install tmux)");
    assert!(
        out.status.success(),
        "tmux {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Pane {
    fn start(test: &str, args: &str) -> Pane {
        let name = format!("ember-{test}-{}", std::process::id());
        let home = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&home).unwrap();
        // EMBER_BIN runs another build of the binary (a release build, to time it).
        let binary =
            std::env::var("EMBER_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_ember").into());
        let command = format!("HOME={} {binary} {args}", home.display());
        tmux(&[
            "new-session",
            "-d",
            "-s",
            &name,
            "-x",
            "150",
            "-y",
            "45",
            &command,
        ]);
        let pane = Pane { name, home };
        pane.wait_for("the first prompt", Duration::from_secs(120), |s| {
            last_line(s) == "ember>"
        });
        pane
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.name];
        args.extend_from_slice(keys);
        tmux(&args);
    }

    /// Types `text` literally, then Enter. A `;` ending an argument would end the
    /// tmux command, so semicolons are sent as their byte.
    fn line(&self, text: &str) {
        for (i, part) in text.split(';').enumerate() {
            if i > 0 {
                tmux(&["send-keys", "-t", &self.name, "-H", "3b"]);
            }
            if !part.is_empty() {
                tmux(&["send-keys", "-t", &self.name, "-l", part]);
            }
        }
        self.keys(&["Enter"]);
    }

    fn screen(&self) -> String {
        tmux(&["capture-pane", "-p", "-t", &self.name])
    }

    /// Waits until the screen satisfies `done`; returns how long that took.
    fn wait_for(&self, what: &str, limit: Duration, done: impl Fn(&str) -> bool) -> Duration {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if done(&screen) {
                return start.elapsed();
            }
            assert!(
                start.elapsed() < limit,
                "waited {limit:?} for {what}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn pid(&self) -> u32 {
        tmux(&["display-message", "-p", "-t", &self.name, "#{pane_pid}"])
            .trim()
            .parse()
            .unwrap()
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .output();
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

fn last_line(screen: &str) -> &str {
    screen
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
}

fn prompts(screen: &str) -> usize {
    screen.lines().filter(|l| l.starts_with("ember>")).count()
}

/// Resident memory of `pid`, in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb / 1024.0
}

#[test]
fn ctrl_c_cancels_the_running_statement_and_the_prompt_comes_back() {
    let pane = Pane::start("cancel", "--tpch 0.1");
    let pid = pane.pid();
    // Warm up once so the baseline holds what a query leaves behind (the pool).
    pane.line("SELECT count(*) FROM lineitem;");
    pane.wait_for("a count", Duration::from_secs(60), |s| {
        s.contains("600572") && last_line(s) == "ember>"
    });
    let start_rss = rss_mib(pid);
    let mut waits = Vec::new();
    for _ in 0..10 {
        pane.keys(&["C-l"]);
        pane.wait_for("a clear screen", Duration::from_secs(60), |s| {
            prompts(s) == 1
        });
        pane.line(LONG_QUERY);
        // Let it run: its progress line shows after a second.
        pane.wait_for("the progress line", Duration::from_secs(60), |s| {
            s.contains("tasks ")
        });
        pane.keys(&["C-c"]);
        let waited = pane.wait_for("the prompt after Ctrl-C", Duration::from_secs(60), |s| {
            prompts(s) == 2 && last_line(s) == "ember>"
        });
        let screen = pane.screen();
        assert!(screen.contains("cancelled"), "{screen}");
        waits.push(waited);
    }
    waits.sort();
    let median = waits[waits.len() / 2];
    let end_rss = rss_mib(pid);
    eprintln!(
        "Ctrl-C to prompt over 10 tries: median {:?}, min {:?}, max {:?}; RSS {start_rss:.0} MiB before, {end_rss:.0} MiB after",
        median,
        waits[0],
        waits[waits.len() - 1]
    );
    assert!(median <= Duration::from_millis(100), "median {median:?}");
    assert!(
        end_rss < start_rss + 64.0,
        "memory not given back: {start_rss:.0} MiB -> {end_rss:.0} MiB"
    );
    // The shell still works.
    pane.line("SELECT count(*) FROM nation;");
    pane.wait_for("the nation count", Duration::from_secs(60), |s| {
        s.lines().any(|l| l.trim_end().ends_with(" 25 |"))
    });
    // Two Ctrl-C in a row at an empty prompt leave.
    pane.keys(&["C-c"]);
    pane.wait_for("the hint", Duration::from_secs(60), |s| {
        s.contains("Ctrl-C again")
    });
    pane.keys(&["C-c"]);
    let start = Instant::now();
    while std::fs::metadata(format!("/proc/{pid}")).is_ok() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the shell did not exit"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn completion_timer_and_modes_in_a_terminal() {
    let pane = Pane::start("keys", "--tpch 0.01");
    // Tab completes a table name after FROM, and a column of it.
    tmux(&["send-keys", "-t", &pane.name, "-l", "SELECT count(l_ship"]);
    // Three columns start so: a second Tab lists them.
    pane.keys(&["Tab"]);
    pane.keys(&["Tab"]);
    pane.wait_for("the candidates", Duration::from_secs(60), |s| {
        s.contains("l_shipinstruct") && s.contains("l_shipmode")
    });
    tmux(&["send-keys", "-t", &pane.name, "-l", "d"]);
    pane.keys(&["Tab"]);
    pane.wait_for("a completed column", Duration::from_secs(60), |s| {
        s.contains("count(l_shipdate")
    });
    tmux(&["send-keys", "-t", &pane.name, "-l", ") FROM linei"]);
    pane.keys(&["Tab"]);
    pane.wait_for("a completed table", Duration::from_secs(60), |s| {
        s.contains("FROM lineitem")
    });
    pane.line(";");
    pane.wait_for("the count", Duration::from_secs(60), |s| {
        s.contains("60175")
    });
    pane.line(".timer on");
    pane.line(".mode box");
    pane.line("SELECT n_name, n_regionkey FROM nation ORDER BY n_nationkey LIMIT 3;");
    pane.wait_for("a box and a time", Duration::from_secs(60), |s| {
        s.contains("┌") && s.contains("ARGENTINA") && s.contains("Run Time: ")
    });
    pane.line(".maxrows 6");
    pane.line("SELECT n_name FROM nation ORDER BY n_nationkey;");
    pane.wait_for("six of 25 rows", Duration::from_secs(60), |s| {
        s.contains("25 rows (6 shown)") && s.contains('…')
    });
    pane.line(".bogus");
    pane.wait_for("an unknown command", Duration::from_secs(60), |s| {
        s.contains("unknown command '.bogus'")
    });
    // History is written after every entry.
    let history = std::fs::read_to_string(pane.home.join(".ember_history")).unwrap();
    assert!(history.contains(".mode box"), "{history}");
    pane.line(".quit");
}
