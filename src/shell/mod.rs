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
mod complete;
mod dot;
mod progress;
mod repl;
mod split;

use std::cell::RefCell;
use std::io::{IsTerminal, Read, Write};
use std::sync::Mutex;
use std::time::Instant;

pub use args::{Action, ShellOptions};
pub use split::ends_statement;

use ember_planner::sql::SqlStatementText;

use crate::config::SessionConfig;
use crate::error::{EmberError, Result};
use crate::format::{DisplayOptions, OutputFormat, is_output_closed, result_writer};
use crate::rdd::CancelToken;
use crate::session::SessionContext;
use progress::Progress;

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
    // A long statement of a script shows its progress when stderr is a terminal.
    let progress = std::io::stderr().is_terminal();
    execute(
        &options,
        progress,
        &mut stdin.lock(),
        &mut stdout,
        &mut stderr,
    )
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
        Ok(options) => execute(&options, false, stdin, stdout, stderr),
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
    progress: bool,
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
    shell.progress.set(progress);
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
        ScriptEnd::Done | ScriptEnd::OutputClosed | ScriptEnd::Quit => 0,
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
    /// `.quit`: the run stops successfully.
    Quit,
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

    /// The start of the error line of a bad shell command at line `line`.
    fn command_error_prefix(&self, line: u64) -> String {
        match self {
            Origin::File(path) => format!("error in {path} (line {line})"),
            Origin::Stdin => format!("error (line {line})"),
            _ => "error".to_string(),
        }
    }
}

/// A session plus how to print its results.
pub(crate) struct Shell {
    ctx: SessionContext,
    view: RefCell<View>,
    metrics: bool,
    /// Whether a progress line may be drawn on stderr (a terminal).
    progress: std::cell::Cell<bool>,
    /// `.output FILE`: where results go instead of stdout.
    output: RefCell<Option<std::fs::File>>,
    /// The last statement run, for `.report`.
    last_statement: RefCell<Option<String>>,
}

/// Whether the REPL goes on after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    /// The command failed; its error went to stderr. A script stops there.
    Failed,
    Quit,
}

/// How results are shown; the REPL's dot commands change it.
#[derive(Debug, Clone)]
pub(crate) struct View {
    /// The output mode.
    pub(crate) format: OutputFormat,
    /// Rows and width shown by grids.
    pub(crate) display: DisplayOptions,
    /// Print each statement's elapsed time.
    pub(crate) timer: bool,
}

/// The statement running now, for Ctrl-C to cancel.
static RUNNING: Mutex<Option<CancelToken>> = Mutex::new(None);

/// Cancels the statement running now, if one is (the REPL's Ctrl-C).
pub(crate) fn cancel_running() {
    if let Some(token) = RUNNING.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
        token.cancel();
    }
}

/// Runs `f` as the running statement: Ctrl-C ([`cancel_running`]) cancels the jobs
/// it starts until it returns.
fn cancellable<T>(f: impl FnOnce() -> T) -> T {
    struct Running;
    impl Drop for Running {
        fn drop(&mut self) {
            *RUNNING.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }
    let token = CancelToken::new();
    *RUNNING.lock().unwrap_or_else(|e| e.into_inner()) = Some(token.clone());
    let _running = Running;
    token.scope(f)
}

/// Output that erases the progress line before the first byte of a result.
struct AfterProgress<'a> {
    out: &'a mut dyn Write,
    progress: &'a mut Option<Progress>,
}

impl Write for AfterProgress<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(mut p) = self.progress.take() {
            p.stop();
        }
        self.out.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
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
        if let Some(timeout) = &options.timeout {
            ctx.set("ember.execution.statement_timeout", timeout)?;
        }
        if let Some(url) = &options.remote {
            ctx.set("ember.execution.remote", url)?;
        }
        if let Some(limit) = &options.memory_limit {
            ctx.set("ember.memory.limit", limit)?;
        }
        if let Some(sf) = options.tpch {
            ctx.register_tpch(sf)?;
        }
        Ok(Shell {
            ctx,
            view: RefCell::new(View {
                format: options.format,
                display: DisplayOptions::default(),
                timer: false,
            }),
            metrics: options.metrics,
            progress: std::cell::Cell::new(false),
            output: RefCell::new(None),
            last_statement: RefCell::new(None),
        })
    }

    /// Starts interactive use: a progress line when `progress` (stderr is a terminal).
    pub(crate) fn start_interactive(&self, progress: bool) {
        self.progress.set(progress);
        let mut view = self.view.borrow_mut();
        view.display.max_rows = crate::format::SHELL_MAX_ROWS;
    }

    /// Grids fit `width` columns (the terminal's), unless results go to a file.
    pub(crate) fn fit_to(&self, width: Option<usize>) {
        let to_file = self.output.borrow().is_some();
        self.view.borrow_mut().display.max_width = if to_file { None } else { width };
    }

    /// The tables, their columns and the function names, for completion.
    pub(crate) fn catalog(&self) -> complete::Catalog {
        complete::Catalog::of_session(&self.ctx)
    }

    /// As [`Shell::run_script`], writing results to the `.output` file if one is set.
    pub(crate) fn run_output_script(
        &self,
        text: &str,
        origin: &Origin,
        stdout: &mut dyn Write,
        stderr: &mut dyn Write,
    ) -> ScriptEnd {
        let mut output = self.output.borrow_mut();
        match output.as_mut() {
            Some(file) => {
                let mut file = std::io::BufWriter::new(file);
                let end = self.run_script(text, origin, &mut file, stderr);
                let _ = file.flush();
                end
            }
            None => {
                drop(output);
                self.run_script(text, origin, stdout, stderr)
            }
        }
    }

    /// Runs one shell command.
    pub(crate) fn run_command(
        &self,
        command: dot::Command,
        stdout: &mut dyn Write,
        stderr: &mut dyn Write,
    ) -> Flow {
        use dot::Command;
        let mut failed = false;
        let mut sql = |text: &str, stdout: &mut dyn Write, stderr: &mut dyn Write| {
            if self.run_script(text, &Origin::Command, stdout, stderr) == ScriptEnd::Failed {
                failed = true;
            }
        };
        match command {
            Command::Help => {
                let _ = write!(stdout, "{}", dot::help_text());
            }
            Command::Tables => sql("SHOW TABLES", stdout, stderr),
            Command::Schema(Some(table)) => {
                sql(&format!("DESCRIBE {}", quote_name(&table)), stdout, stderr)
            }
            Command::Schema(None) => {
                for table in self.ctx.table_names() {
                    let _ = writeln!(stdout, "{table}");
                    sql(&format!("DESCRIBE {}", quote_name(&table)), stdout, stderr);
                }
            }
            Command::Mode(format) => self.view.borrow_mut().format = format,
            Command::Timer(on) => {
                let mut view = self.view.borrow_mut();
                view.timer = on.unwrap_or(!view.timer);
                let _ = writeln!(stderr, "timer is {}", if view.timer { "on" } else { "off" });
            }
            Command::Read(path) => match std::fs::read_to_string(&path) {
                Ok(text) => {
                    match self.run_output_script(&text, &Origin::File(path), stdout, stderr) {
                        ScriptEnd::Failed => failed = true,
                        ScriptEnd::Quit => return Flow::Quit,
                        ScriptEnd::Done | ScriptEnd::OutputClosed => {}
                    }
                }
                Err(e) => {
                    let _ = writeln!(stderr, "error: {}", EmberError::io(&path, e));
                    failed = true;
                }
            },
            Command::Output(None) => *self.output.borrow_mut() = None,
            Command::Output(Some(path)) => match std::fs::File::create(&path) {
                Ok(file) => *self.output.borrow_mut() = Some(file),
                Err(e) => {
                    let _ = writeln!(stderr, "error: {}", EmberError::io(&path, e));
                    failed = true;
                }
            },
            Command::MaxRows(n) => self.view.borrow_mut().display.max_rows = n,
            Command::Report(path) => failed = !self.write_report(&path, stderr),
            Command::Quit => return Flow::Quit,
        }
        if failed { Flow::Failed } else { Flow::Continue }
    }

    /// `.report FILE`: runs the last statement again, analyzed, and writes its HTML
    /// job report to FILE. Returns whether it did.
    fn write_report(&self, path: &str, stderr: &mut dyn Write) -> bool {
        let Some(sql) = self.last_statement.borrow().clone() else {
            let _ = writeln!(stderr, "error: .report needs a statement run before it");
            return false;
        };
        let written = cancellable(|| self.ctx.html_report(&sql))
            .and_then(|html| std::fs::write(path, html).map_err(|e| EmberError::io(path, e)));
        match written {
            Ok(()) => {
                let _ = writeln!(stderr, "report written to {path}");
                true
            }
            Err(e) => {
                let _ = writeln!(stderr, "error: {e}");
                false
            }
        }
    }

    /// Runs every statement and shell command of `text`, printing results; stops at
    /// the first error, which goes to `stderr` with its position in `text`, at `.quit`,
    /// or when `stdout` is closed.
    pub(crate) fn run_script(
        &self,
        text: &str,
        origin: &Origin,
        stdout: &mut dyn Write,
        stderr: &mut dyn Write,
    ) -> ScriptEnd {
        for piece in split::script_pieces(text) {
            let end = match piece {
                split::Piece::Sql(sql) => self.run_sql(&sql, origin, stdout, stderr),
                split::Piece::Command { line, text } => match dot::parse_command(&text) {
                    Some(Ok(command)) => match self.run_command(command, stdout, stderr) {
                        Flow::Continue => ScriptEnd::Done,
                        Flow::Failed => ScriptEnd::Failed,
                        Flow::Quit => ScriptEnd::Quit,
                    },
                    Some(Err(message)) => {
                        let prefix = origin.command_error_prefix(line);
                        let _ = writeln!(stderr, "{prefix}: {message}");
                        ScriptEnd::Failed
                    }
                    None => ScriptEnd::Done,
                },
            };
            if end != ScriptEnd::Done {
                return end;
            }
        }
        ScriptEnd::Done
    }

    /// Runs the SQL statements of a script (see [`Shell::run_script`]).
    fn run_sql(
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
            match self.run_statement(&statement.text, stdout, stderr) {
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

    /// Plans, runs and prints one statement, printing its rows as they are computed;
    /// Ctrl-C ([`cancel_running`]) cancels it.
    fn run_statement(
        &self,
        sql: &str,
        stdout: &mut dyn Write,
        stderr: &mut dyn Write,
    ) -> Result<Printed> {
        *self.last_statement.borrow_mut() = Some(sql.to_string());
        let view = self.view.borrow().clone();
        let started = Instant::now();
        let mut progress = self
            .progress
            .get()
            .then(|| Progress::start(self.ctx.rdd_context().clone()));
        let printed = cancellable(|| {
            let df = self.ctx.sql(sql)?;
            let mut out = AfterProgress {
                out: stdout,
                progress: &mut progress,
            };
            let mut writer = result_writer(&mut out, &df.schema(), view.format, &view.display);
            let mut closed = false;
            df.for_each_batch(|batch| match writer.write_batch(&batch) {
                Ok(()) => Ok(true),
                Err(e) if is_output_closed(&e) => {
                    closed = true;
                    Ok(false)
                }
                Err(e) => Err(e),
            })?;
            if closed {
                return Ok(Printed::OutputClosed);
            }
            match writer.finish() {
                Ok(()) => Ok(Printed::Yes),
                Err(e) if is_output_closed(&e) => Ok(Printed::OutputClosed),
                Err(e) => Err(e),
            }
        });
        drop(progress);
        if view.timer {
            let _ = writeln!(stderr, "Run Time: {:.3} s", started.elapsed().as_secs_f64());
        }
        printed
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

/// `name` as an SQL identifier: quoted unless it is a plain lowercase name.
fn quote_name(name: &str) -> String {
    let plain = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
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
    fn scripts_run_shell_commands_between_statements() {
        // -c, stdin and files take the REPL's commands, psql's aliases included.
        let (code, out, err) = run_with(&["-c", ".mode csv", "-c", "SELECT 1 AS a"], "");
        assert_eq!((code, out.as_str(), err.as_str()), (0, "a\n1\n", ""));
        let (code, out, err) = run_with(
            &[],
            "\\timing on\n.mode json\nSELECT 2 AS b;\n.mode line\nSELECT 3 AS c;\n.quit\nSELECT 4;",
        );
        assert_eq!(code, 0, "{err}");
        assert_eq!(out, "{\"b\":2}\nc = 3\n", "the run ends at .quit");
        assert_eq!(err.matches("Run Time: ").count(), 2, "{err}");
        // A bad command stops the run with its line; so does a command that fails.
        let (code, out, err) = run_with(&[], "SELECT 1;\n\n.mode xml\nSELECT 2;");
        assert_eq!(code, 1);
        assert!(out.contains('1') && !out.contains('2'), "{out}");
        assert!(
            err.starts_with("error (line 3): .mode: unknown mode 'xml'"),
            "{err}"
        );
        let (code, _, err) = run_with(&["-c", ".read /no/such/file.sql", "-c", "SELECT 1"], "");
        assert_eq!(code, 1);
        assert!(err.contains("/no/such/file.sql"), "{err}");
        // Inside a statement a line starting with `.` is SQL.
        let (code, out, _) = run_with(&["--format", "csv", "-c", "SELECT\n.5 AS x"], "");
        assert_eq!((code, out.as_str()), (0, "x\n0.5\n"));
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

    /// A shell over TPC-H at SF 0.01, as the REPL has it.
    fn repl_shell() -> Shell {
        let options = ShellOptions::parse(
            ["ember", "--tpch", "0.01"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        )
        .unwrap();
        let shell = Shell::new(&options).unwrap();
        shell.start_interactive(false);
        shell
    }

    /// Runs a command line (a dot command or SQL) as the REPL does; returns the flow,
    /// stdout and stderr.
    fn type_line(shell: &Shell, line: &str) -> (Flow, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let flow = match dot::parse_command(line) {
            Some(command) => shell.run_command(command.unwrap(), &mut out, &mut err),
            None => {
                shell.run_output_script(line, &Origin::Repl, &mut out, &mut err);
                Flow::Continue
            }
        };
        (
            flow,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn remote_errors_are_one_line_and_the_shell_goes_on() {
        let shell = repl_shell();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        type_line(
            &shell,
            &format!("SET ember.execution.remote = 'sc://127.0.0.1:{port}';"),
        );
        // TPC-H tables generated in memory cannot be read by a cluster: refused
        // before anything is sent.
        let (_, out, err) = type_line(&shell, "SELECT count(*) FROM nation;");
        assert!(out.is_empty(), "{out}");
        assert!(
            err.contains("cannot run remotely: table nation") && err.trim().lines().count() == 1,
            "{err}"
        );
        let (_, _, err) = type_line(&shell, "SELECT 1 + 1 AS two;");
        assert!(
            err.contains("cannot reach the Spark Connect server at sc://127.0.0.1:")
                && err.trim().lines().count() == 1,
            "{err}"
        );
        let (_, out, err) = type_line(&shell, "EXPLAIN SELECT upper('a') AS u;");
        assert!(err.is_empty(), "{err}");
        assert!(
            out.contains("Spark Connect Plan") && out.contains("upper('a') AS u"),
            "{out}"
        );
        type_line(&shell, "RESET ember.execution.remote;");
        let (_, out, err) = type_line(&shell, "SELECT count(*) AS n FROM nation;");
        assert!(err.is_empty() && out.contains("25"), "{out}{err}");
    }

    #[test]
    fn shell_commands_run() {
        let shell = repl_shell();
        let (_, out, _) = type_line(&shell, ".help");
        assert!(out.contains(".tables") && out.contains("\\dt"), "{out}");
        let (_, out, _) = type_line(&shell, "\\dt");
        assert!(out.contains("lineitem") && out.contains("region"), "{out}");
        let (_, out, _) = type_line(&shell, ".schema nation");
        assert!(
            out.contains("n_nationkey") && !out.contains("r_regionkey"),
            "{out}"
        );
        let (_, out, _) = type_line(&shell, "\\d");
        assert!(
            out.contains("n_nationkey") && out.contains("r_regionkey"),
            "{out}"
        );
        let (_, _, err) = type_line(&shell, ".schema no_such");
        assert!(err.contains("no_such"), "{err}");

        type_line(&shell, ".mode csv");
        let (_, out, _) = type_line(&shell, "SELECT 1 AS a, 'x' AS b;");
        assert_eq!(out, "a,b\n1,x\n");
        type_line(&shell, ".mode json");
        let (_, out, _) = type_line(&shell, "SELECT 1 AS a;");
        assert_eq!(out, "{\"a\":1}\n");
        type_line(&shell, ".mode line");
        let (_, out, _) = type_line(&shell, "SELECT 1 AS a;");
        assert!(out.contains("a = 1"), "{out}");
        type_line(&shell, ".mode markdown");
        let (_, out, _) = type_line(&shell, "SELECT 1 AS a;");
        assert!(out.starts_with("| a"), "{out}");
        type_line(&shell, ".mode box");
        let (_, out, _) = type_line(&shell, "SELECT 1 AS a;");
        assert!(out.contains('┌'), "{out}");
        type_line(&shell, ".mode table");

        type_line(&shell, ".maxrows 4");
        let (_, out, _) = type_line(&shell, "SELECT n_name FROM nation ORDER BY n_nationkey;");
        assert!(
            out.contains("ALGERIA") && out.contains("UNITED STATES"),
            "{out}"
        );
        assert!(!out.contains("EGYPT"), "{out}");
        assert!(out.contains("25 rows (4 shown)"), "{out}");
        type_line(&shell, ".maxrows 0");
        let (_, out, _) = type_line(&shell, "SELECT n_name FROM nation ORDER BY n_nationkey;");
        assert!(out.contains("EGYPT") && out.contains("25 rows"), "{out}");

        let (_, _, err) = type_line(&shell, ".timer on");
        assert!(err.contains("timer is on"), "{err}");
        let (_, _, err) = type_line(&shell, "SELECT 1;");
        assert!(err.contains("Run Time: "), "{err}");
        let (_, _, err) = type_line(&shell, "\\timing");
        assert!(err.contains("timer is off"), "{err}");
        let (_, _, err) = type_line(&shell, "SELECT 1;");
        assert!(!err.contains("Run Time"), "{err}");

        let dir = std::env::temp_dir().join(format!("ember-shell-cmd-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = dir.join("s.sql");
        std::fs::write(
            &script,
            "CREATE TABLE t AS SELECT 7 AS x;\nSELECT x FROM t;\n",
        )
        .unwrap();
        type_line(&shell, ".mode csv");
        let (_, out, _) = type_line(&shell, &format!(".read {}", script.display()));
        assert_eq!(out, "x\n7\n");
        let (_, out, _) = type_line(&shell, &format!("\\i '{}'", script.display()));
        assert!(out.is_empty(), "the table exists now: {out}");
        let (_, _, err) = type_line(&shell, ".read /no/such.sql");
        assert!(err.contains("/no/such.sql"), "{err}");

        let file = dir.join("out.csv");
        type_line(&shell, &format!(".output {}", file.display()));
        let (_, out, _) = type_line(&shell, "SELECT 2 AS y;");
        assert!(out.is_empty(), "{out}");
        type_line(&shell, ".output");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "y\n2\n");
        type_line(&shell, &format!("\\o {}", file.display()));
        type_line(&shell, "SELECT 3 AS z;");
        type_line(&shell, "\\o");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "z\n3\n");
        let (_, out, _) = type_line(&shell, "SELECT 4 AS w;");
        assert_eq!(out, "w\n4\n");

        let report = dir.join("r.html");
        type_line(&shell, "SELECT count(*) FROM lineitem;");
        let (_, _, err) = type_line(&shell, &format!(".report {}", report.display()));
        assert!(err.contains("report written"), "{err}");
        let html = std::fs::read_to_string(&report).unwrap();
        assert!(
            html.contains("<html") && html.contains("lineitem"),
            "{html}"
        );

        assert_eq!(type_line(&shell, ".quit").0, Flow::Quit);
        assert_eq!(type_line(&shell, "\\q").0, Flow::Quit);
        assert_eq!(type_line(&shell, ".exit").0, Flow::Quit);
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
