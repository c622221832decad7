//! The `ember` command-line shell.
//!
//! In: the command line, stdin, and SQL scripts. Out: results on stdout in the chosen
//! format; errors (`error: ...`) on stderr, and nothing but results on stdout.
//!
//! - `args`: clap options; `-c SQL` and `-f FILE` run in command-line order.
//! - `split`: whether REPL input ends a statement (scripts are split by the planner,
//!   which gives each statement's start so errors can name positions in the script).
//! - `repl`: the interactive loop (rustyline), used when stdin is a terminal and there
//!   is neither `-c` nor `-f`.
//!
//! Without `-c`/`-f` and with stdin not a terminal, all of stdin is run as a script. A
//! failing statement stops a script run with exit status 1; the REPL reports it and
//! goes on. When the reader of stdout goes away (`ember ... | head`), the run stops
//! quietly with status 0.

mod args;
pub mod complete;
pub mod dot;
mod repl;
mod split;

use std::io::{ErrorKind, IsTerminal, Read, Write};

pub use args::{Action, ShellOptions};
pub use split::ends_statement;

use ember_planner::sql::SqlStatementText;

use crate::config::SessionConfig;
use crate::error::{EmberError, Result};
use crate::format::{OutputFormat, render_batches};
use crate::session::SessionContext;

/// Runs the shell on the process's arguments and standard streams; returns the exit
/// status.
pub fn main() -> i32 {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    let options = match ShellOptions::parse(args) {
        Ok(o) => o,
        Err(e) => return usage_error(e, &mut stdout, &mut stderr),
    };
    let stdin = std::io::stdin();
    if options.actions.is_empty() && stdin.is_terminal() {
        let shell = match Shell::new(&options) {
            Ok(s) => s,
            Err(e) => {
                let _ = writeln!(stderr, "error: {e}");
                return 1;
            }
        };
        let status = repl::run_repl(&shell, &mut stdout, &mut stderr);
        shell.print_metrics(&mut stderr);
        return status;
    }
    execute(&options, &mut stdin.lock(), &mut stdout, &mut stderr)
}

/// Runs the shell without a terminal: `args` (the first is the program name) are
/// parsed, `-c`/`-f` actions run in order, or else `stdin` is read as one script.
/// Returns the exit status: 0, 1 after a failed statement, 2 for a usage error.
pub fn run(
    args: Vec<String>,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> i32 {
    match ShellOptions::parse(args) {
        Ok(options) => execute(&options, stdin, stdout, stderr),
        Err(e) => usage_error(e, stdout, stderr),
    }
}

/// Prints clap's message (help and version on stdout, errors on stderr).
fn usage_error(e: clap::Error, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let text = e.render().to_string();
    let _ = if e.use_stderr() {
        write!(stderr, "{text}")
    } else {
        write!(stdout, "{text}")
    };
    e.exit_code()
}

fn execute(
    options: &ShellOptions,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> i32 {
    let shell = match Shell::new(options) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(stderr, "error: {e}");
            return 1;
        }
    };
    let mut end = ScriptEnd::Done;
    if options.actions.is_empty() {
        let mut text = String::new();
        end = match stdin.read_to_string(&mut text) {
            Ok(_) => shell.run_script(&text, &Origin::Stdin, stdout, stderr),
            Err(e) => {
                let _ = writeln!(stderr, "error: cannot read standard input: {e}");
                ScriptEnd::Failed
            }
        };
    } else {
        for action in &options.actions {
            end = match action {
                Action::Sql(sql) => shell.run_script(sql, &Origin::Command, stdout, stderr),
                Action::File(path) => match std::fs::read_to_string(path) {
                    Ok(text) => {
                        shell.run_script(&text, &Origin::File(path.clone()), stdout, stderr)
                    }
                    Err(e) => {
                        let _ = writeln!(stderr, "error: {}", EmberError::io(path, e));
                        ScriptEnd::Failed
                    }
                },
            };
            if end != ScriptEnd::Done {
                break;
            }
        }
    }
    shell.print_metrics(stderr);
    match end {
        ScriptEnd::Done | ScriptEnd::OutputClosed => 0,
        ScriptEnd::Failed => 1,
    }
}

/// How running a script ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScriptEnd {
    /// Every statement ran and printed.
    Done,
    /// A statement failed; its error went to stderr.
    Failed,
    /// Whoever read the output stopped reading (`ember ... | head`): the run stops
    /// quietly and successfully, as psql's and DuckDB's do.
    OutputClosed,
}

/// Where a script came from, for error messages.
#[derive(Debug, Clone)]
pub(crate) enum Origin {
    /// `-c`.
    Command,
    /// `-f FILE`.
    File(String),
    /// Standard input.
    Stdin,
    /// A REPL entry.
    Repl,
}

impl Origin {
    /// The start of an error line: `error in q.sql`, `error`, ... An error that knows
    /// its position in the script says it itself; otherwise the line of the failing
    /// statement is given, when the script may hold more than one line.
    fn error_prefix(&self, statement_line: Option<u64>) -> String {
        match (self, statement_line) {
            (Origin::File(path), Some(line)) => {
                format!("error in {path} (statement at line {line})")
            }
            (Origin::File(path), None) => format!("error in {path}"),
            (Origin::Stdin, Some(line)) => format!("error (statement at line {line})"),
            _ => "error".to_string(),
        }
    }
}

/// A session plus how to print its results.
pub(crate) struct Shell {
    ctx: SessionContext,
    format: OutputFormat,
    metrics: bool,
}

impl Shell {
    /// A session with the options' threads and, with `--tpch`, the TPC-H tables.
    pub(crate) fn new(options: &ShellOptions) -> Result<Shell> {
        // The update syntax keeps working as SessionConfig grows more keys.
        #[allow(clippy::needless_update)]
        let config = match options.threads {
            Some(threads) => SessionConfig {
                threads,
                ..SessionConfig::default()
            },
            None => SessionConfig::default(),
        };
        let ctx = SessionContext::with_config(config);
        if let Some(sf) = options.tpch {
            ctx.register_tpch(sf)?;
        }
        Ok(Shell {
            ctx,
            format: options.format,
            metrics: options.metrics,
        })
    }

    /// Runs every statement of `text`, printing results; stops at the first error,
    /// which goes to `stderr` with its position in `text`, or when `stdout` is closed.
    pub(crate) fn run_script(
        &self,
        text: &str,
        origin: &Origin,
        stdout: &mut dyn Write,
        stderr: &mut dyn Write,
    ) -> ScriptEnd {
        let statements = match split(text) {
            Ok(s) => s,
            Err(e) => {
                // The tokenizer read the whole script: its position is the script's.
                let _ = writeln!(stderr, "{}: {e}", origin.error_prefix(None));
                return ScriptEnd::Failed;
            }
        };
        for statement in statements {
            match self.run_statement(&statement.text, stdout) {
                Ok(Printed::Yes) => {}
                Ok(Printed::OutputClosed) => return ScriptEnd::OutputClosed,
                Err(e) => {
                    let (e, placed) = place_in_script(e, &statement);
                    let line = (!placed).then_some(statement.line);
                    let _ = writeln!(stderr, "{}: {e}", origin.error_prefix(line));
                    return ScriptEnd::Failed;
                }
            }
        }
        ScriptEnd::Done
    }

    /// Plans, runs and prints one statement.
    fn run_statement(&self, sql: &str, stdout: &mut dyn Write) -> Result<Printed> {
        let df = self.ctx.sql(sql)?;
        let batches = df.collect()?;
        let text = render_batches(&df.schema(), &batches, self.format)?;
        match stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
        {
            Ok(()) => Ok(Printed::Yes),
            Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(Printed::OutputClosed),
            Err(e) => Err(EmberError::io("<output>", e)),
        }
    }

    /// With `--metrics`, prints the session's job metrics (not defined yet: prints
    /// nothing).
    pub(crate) fn print_metrics(&self, out: &mut dyn Write) {
        if self.metrics {
            print_metrics(&self.ctx, out);
        }
    }
}

/// `--metrics`: one JSON line of job, stage and task totals on stderr.
fn print_metrics(ctx: &SessionContext, out: &mut dyn Write) {
    let _ = writeln!(out, "{}", ctx.metrics_json());
}

/// Whether a statement's result reached the output.
enum Printed {
    Yes,
    /// The reader of the output went away (a broken pipe).
    OutputClosed,
}

/// Gives a statement's error its position in the script rather than in the statement;
/// says whether the error had a position to give.
fn place_in_script(e: EmberError, statement: &SqlStatementText) -> (EmberError, bool) {
    match e {
        EmberError::Plan(p) if p.location().is_some() => {
            (EmberError::Plan(p.within(statement.start())), true)
        }
        other => (other, false),
    }
}

/// Splits a script into statements.
fn split(text: &str) -> Result<Vec<SqlStatementText>> {
    Ok(ember_planner::sql::split_statements(text)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_with(args: &[&str], stdin: &str) -> (i32, String, String) {
        let args = std::iter::once("ember")
            .chain(args.iter().copied())
            .map(String::from)
            .collect();
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code = run(args, &mut stdin.as_bytes(), &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn usage_errors_and_help() {
        let (code, out, err) = run_with(&["--bogus"], "");
        assert_eq!(code, 2);
        assert!(out.is_empty());
        assert!(err.contains("--bogus"), "{err}");
        let (code, out, _) = run_with(&["--help"], "");
        assert_eq!(code, 0);
        assert!(out.contains("--tpch"), "{out}");
    }

    #[test]
    fn missing_script_file_is_an_error() {
        let (code, out, err) = run_with(&["-f", "/no/such/q.sql"], "");
        assert_eq!(code, 1);
        assert!(out.is_empty());
        assert!(
            err.starts_with("error: ") && err.contains("/no/such/q.sql"),
            "{err}"
        );
    }

    #[test]
    fn a_failing_statement_stops_the_run_with_its_file_and_line() {
        let dir = std::env::temp_dir().join(format!("ember-shell-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = dir.join("q01.sql");
        std::fs::write(
            &script,
            "-- a comment\n\nSELECT * FROM no_such_table_xyz;\nSELECT 1;\n",
        )
        .unwrap();
        let path = script.to_str().unwrap();
        let (code, out, err) = run_with(&["-f", path, "-c", "SELECT 2"], "");
        assert_eq!(code, 1);
        assert!(out.is_empty(), "{out}");
        let first = err.lines().next().unwrap_or("");
        assert!(first.starts_with(&format!("error in {path}: ")), "{err}");
        assert!(first.ends_with(" at line 3, column 15"), "{err}");
        assert_eq!(
            err.lines().count(),
            1,
            "the run stops at the first error: {err}"
        );

        let (code, out, err) = run_with(&[], "\n\nSELECT * FROM no_such_table_xyz;");
        assert_eq!(code, 1);
        assert!(out.is_empty());
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.contains(" at line 3, column 15"), "{err}");

        // An error without a position in the SQL names the statement's line.
        let (code, _, err) = run_with(&[], "SELECT 1;\n\nSELECT 1 / 0;");
        assert_eq!(code, 1);
        assert!(err.starts_with("error (statement at line 3): "), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn error_prefixes_name_file_and_line() {
        assert_eq!(
            Origin::File("q01.sql".into()).error_prefix(Some(3)),
            "error in q01.sql (statement at line 3)"
        );
        assert_eq!(
            Origin::File("q01.sql".into()).error_prefix(None),
            "error in q01.sql"
        );
        assert_eq!(Origin::Command.error_prefix(Some(3)), "error");
    }
}
