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
fn long_expressions_in_a_script_end_in_an_error_not_a_crash() {
    let sum = format!("SELECT {};\n", vec!["1"; 5000].join("+"));
    let ors = format!(
        "SELECT count(*) AS n FROM (VALUES (3), (7)) AS t(x) WHERE {};\n",
        (0..5000)
            .map(|i| format!("x = {i}"))
            .collect::<Vec<_>>()
            .join(" OR ")
    );
    let o = ember(&["--format", "csv"], Some(&format!("{ors}{sum}")));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stdout(&o), "n\n2\n");
    let err = stderr(&o);
    assert!(
        err.starts_with(
            "error: planning error at line 2, column 8: expression depth limit of 1000 exceeded"
        ),
        "{err}"
    );
}

/// A scratch directory of this test process.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ember-shell-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn error_positions_are_given_in_the_script() {
    let o = ember(&[], Some("SELECT 1;\nSELECT nosuch;\n"));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: column 'nosuch' not found at line 2, column 8\n"
    );

    // A statement starting mid-line and spanning lines, in a file.
    let dir = scratch("positions");
    let script = dir.join("q.sql");
    std::fs::write(&script, "SELECT 1;\n  SELECT 1,\n   nosuch;\n").unwrap();
    let path = script.to_str().unwrap();
    let o = ember(&["-f", path], None);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!("error in {path}: column 'nosuch' not found at line 3, column 4\n")
    );

    // Two statements in one -c: the column counts from the start of the text.
    let o = ember(&["-c", "SELECT 1; SELECT nosuch"], None);
    assert_eq!(
        stderr(&o),
        "error: column 'nosuch' not found at line 1, column 18\n"
    );

    // An error with no position in the SQL still names its statement's line.
    let o = ember(&[], Some("SELECT 1;\n\nSELECT 1 / 0;\n"));
    let err = stderr(&o);
    assert!(err.starts_with("error (statement at line 3): "), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_closed_output_pipe_ends_the_run_quietly() {
    use std::io::{BufRead, BufReader};
    // About 2 MB of output: far more than a pipe holds, so ember is still writing
    // when the reader goes away (as with `ember ... | head -2`).
    let mut child = Command::new(env!("CARGO_BIN_EXE_ember"))
        .args([
            "--tpch",
            "0.001",
            "--format",
            "csv",
            "-c",
            "SELECT a.n_name, b.n_name, c.n_comment FROM nation a, nation b, nation c",
            "-c",
            "SELECT 'never printed'",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ember");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    out.read_line(&mut first).unwrap();
    assert!(first.starts_with("n_name,n_name,n_comment\n"), "{first}");
    drop(out);
    let o = child.wait_with_output().expect("ember finishes");
    assert_eq!(stderr(&o), "", "no error on a closed pipe");
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn json_keys_are_unique() {
    let o = ember(
        &[
            "--format",
            "json",
            "-c",
            "SELECT 1 AS a, 2 AS a, 3 AS a_1, 4 AS a",
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "{\"a\":1,\"a_2\":2,\"a_1\":3,\"a_3\":4}\n");
    let help = stdout(&ember(&["--help"], None));
    assert!(
        help.contains("a_1"),
        "--help says how keys are made unique: {help}"
    );
}

#[test]
fn doubles_print_shortest_with_an_exponent_in_every_format() {
    let sql = "SELECT CAST(1e-300 AS DOUBLE) AS tiny, CAST(1e20 AS DOUBLE) AS big, \
               CAST(1.5 AS DOUBLE) AS plain, CAST(100 AS DOUBLE) AS whole, \
               CAST(0.00001 AS DOUBLE) AS small, CAST(123456789012345 AS DOUBLE) AS wide";
    let o = ember(&["--format", "csv", "-c", sql], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "tiny,big,plain,whole,small,wide\n1e-300,1e+20,1.5,100,1e-05,123456789012345\n"
    );
    let o = ember(&["--format", "json", "-c", sql], None);
    assert_eq!(
        stdout(&o),
        "{\"tiny\":1e-300,\"big\":1e+20,\"plain\":1.5,\"whole\":100,\"small\":1e-05,\"wide\":123456789012345}\n"
    );
    let o = ember(&["-c", sql], None);
    let out = stdout(&o);
    assert!(
        out.contains("| 1e-300 | 1e+20 |   1.5 |   100 | 1e-05 | 123456789012345 |"),
        "{out}"
    );
}

#[test]
fn malformed_csv_files_fail_with_file_line_and_column() {
    let dir = scratch("badcsv");
    let run = |name: &str, text: &str, sql: &str| {
        let f = dir.join(name);
        std::fs::write(&f, text).unwrap();
        let path = f.to_str().unwrap().to_string();
        let o = ember(&["-c", &sql.replace("FILE", &path)], None);
        (path, o)
    };

    // 100,000 rows whose row 10 opens a quote nothing closes: an error, not 99,999
    // (or 10) rows.
    let mut text = String::from("id,name\n");
    for i in 1..=100_000 {
        if i == 10 {
            text.push_str("10,\"broken name\n");
        } else {
            text.push_str(&format!("{i},name{i}\n"));
        }
    }
    let (path, o) = run("quote.csv", &text, "SELECT count(*) FROM 'FILE'");
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty());
    let err = stderr(&o);
    assert!(err.contains(&format!("bad data in '{path}'")), "{err}");
    assert!(
        err.contains("line 11, column 4: unterminated quoted field"),
        "{err}"
    );

    // A record with a field too many.
    let (path, o) = run(
        "ragged.csv",
        "id,name\n1,a\n2,b,extra\n3,c\n",
        "SELECT * FROM 'FILE'",
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "bad data in '{path}': line 3: expected 2 fields, found 3"
        )),
        "{err}"
    );

    // Text in an integer column, past the rows inference reads, after a quoted line
    // break (so record and line numbers differ).
    let mut text = String::from("id,name\n1,\"two\nlines\"\n");
    for i in 2..3000 {
        text.push_str(&format!("{i},n{i}\n"));
    }
    text.push_str("abc,x\n");
    let (path, o) = run("value.csv", &text, "SELECT sum(id) FROM 'FILE'");
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "bad data in '{path}': line 3002, column 'id': expected a BIGINT, found 'abc'"
        )),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn empty_and_header_only_csv_files() {
    let dir = scratch("emptycsv");
    let empty = dir.join("e.csv");
    std::fs::write(&empty, "").unwrap();
    let path = empty.to_str().unwrap();
    let o = ember(&["-c", &format!("SELECT * FROM '{path}'")], None);
    assert_eq!(o.status.code(), Some(1), "an error, not a panic");
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("the file is empty (expected a header line naming the columns)"),
        "{err}"
    );

    let header = dir.join("h.csv");
    std::fs::write(&header, "a,b\n").unwrap();
    let path = header.to_str().unwrap();
    let o = ember(
        &["--format", "csv", "-c", &format!("SELECT * FROM '{path}'")],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "a,b\n");
    let o = ember(
        &[
            "--format",
            "csv",
            "-c",
            &format!("SELECT count(*) AS n FROM '{path}'"),
        ],
        None,
    );
    assert_eq!(stdout(&o), "n\n0\n");
    std::fs::remove_dir_all(&dir).unwrap();
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
