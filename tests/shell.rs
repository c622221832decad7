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
        err.starts_with("error (statement at line 2): planning error at line 1, column")
            && err.contains("expression depth limit of 1000 exceeded"),
        "{err}"
    );
}
