//! The `ember` binary driven as a subprocess: -c, -f, stdin scripts, output formats
//! and exit status.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn ember(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ember"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ember");
    {
        let mut input = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).expect("write stdin");
        }
    }
    child.wait_with_output().expect("ember finishes")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn dash_c_with_csv_output() {
    let o = ember(
        &[
            "--format",
            "csv",
            "-c",
            "SELECT 1 AS a, 'x,y' AS b, NULL AS c",
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "a,b,c\n1,\"x,y\",\n");
}

#[test]
fn dash_c_and_dash_f_run_in_order_in_one_session() {
    let dir = std::env::temp_dir().join(format!("ember-shell-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("q.sql");
    std::fs::write(&script, "SELECT r_name FROM region WHERE r_regionkey < 2 ORDER BY r_name;\nSELECT count(*) AS n FROM nation;\n").unwrap();
    let o = ember(
        &[
            "--tpch",
            "0.001",
            "--format",
            "csv",
            "-c",
            "SELECT 'first' AS step",
            "-f",
            script.to_str().unwrap(),
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "step\nfirst\nr_name\nAFRICA\nAMERICA\nn\n25\n");
}

#[test]
fn statements_from_stdin() {
    let o = ember(
        &["--format", "csv"],
        Some("SELECT 2 AS two;\nSELECT 'multi\nline' AS s;\n"),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "two\n2\ns\n\"multi\nline\"\n");
}

#[test]
fn json_output() {
    let o = ember(
        &[
            "--format",
            "json",
            "-c",
            "SELECT 1 AS a, 'b' AS s, CAST(NULL AS INT) AS n",
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), r#"{"a":1,"s":"b","n":null}"#);
}

#[test]
fn failing_statement_exits_nonzero_with_error_on_stderr_only() {
    let o = ember(
        &[
            "--format",
            "csv",
            "-c",
            "SELECT 1 AS ok",
            "-c",
            "SELECT * FROM nowhere",
            "-c",
            "SELECT 3",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        "ok\n1\n",
        "results before the failure print; nothing after"
    );
    let err = stderr(&o);
    assert!(err.contains("table 'nowhere' not found"), "{err}");
}

#[test]
fn table_output_is_the_default() {
    let o = ember(
        &[
            "--tpch",
            "0.001",
            "-c",
            "SELECT r_name FROM region ORDER BY r_regionkey LIMIT 1",
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("r_name") && out.contains("AFRICA"), "{out}");
}

#[test]
fn deterministic_error_prints_its_cause_first() {
    let o = ember(&["-c", "SELECT 1/0"], None);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "error: division by zero in 1 / 0\n");
}

#[test]
fn show_all_lists_every_key_with_value_and_description() {
    let o = ember(
        &["--threads", "3", "--format", "csv", "-c", "SHOW ALL"],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows.first().copied(), Some("name,value,description"));
    let value_of = |key: &str| {
        rows.iter()
            .find(|r| r.starts_with(&format!("{key},")))
            .map(|r| r.to_string())
            .unwrap_or_else(|| panic!("{key} missing from SHOW ALL:\n{out}"))
    };
    for (key, value) in [
        ("ember.execution.threads", "3"),
        ("ember.execution.batch_size", "8192"),
        ("ember.execution.max_recursion_iterations", "1000"),
        ("ember.optimizer.enabled", "true"),
        ("ember.optimizer.cost_based", "true"),
        ("ember.optimizer.broadcast_threshold_rows", "1000000"),
        ("ember.task.max_attempts", "4"),
        ("ember.faults.task_failure_rate", "0"),
        ("ember.faults.block_loss_rate", "0"),
        ("ember.faults.seed", "0"),
        ("ember.cache.budget_bytes", "4294967296"),
        ("ember.cache.storage_level", "memory_and_disk"),
    ] {
        let row = value_of(key);
        assert!(row.starts_with(&format!("{key},{value},")), "{row}");
        // A description, with the allowed values in parentheses.
        assert!(
            row.len() > key.len() + value.len() + 10 && row.contains('('),
            "{row}"
        );
    }
    let partitions = value_of("ember.execution.target_partitions");
    assert!(
        partitions.contains("partitions after a hash exchange (an integer from 1 to 1024)"),
        "{partitions}"
    );
    assert!(value_of("ember.optimizer.batch.simplify").contains(",true,"));
}

#[test]
fn bad_options_name_the_allowed_values() {
    let o = ember(&["--threads", "0", "-c", "SELECT 1"], None);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("invalid value '0' for --threads: expected an integer from 1 to 1024"),
        "{err}"
    );
    let o = ember(&["--tpch", "1000000", "-c", "SELECT 1"], None);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("needs about") && err.contains("largest scale factor that fits"),
        "{err}"
    );
    let o = ember(&["--tpch", "0", "-c", "SELECT 1"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("expected a number greater than 0"));
}
