//! The command line: options parsed with clap, and the `-c` / `-f` actions in the order
//! they were given.

use clap::{CommandFactory, FromArgMatches, Parser, ValueEnum};

use crate::config::setting;
use crate::format::OutputFormat;
use crate::sources::tpch::check_scale_factor;

/// Examples at the end of `--help`.
const EXAMPLES: &str = "\
Examples:
  ember --tpch 0.1                        interactive shell over generated TPC-H data
  ember --tpch 0.1 -c 'SELECT count(*) FROM lineitem'
  ember -f report.sql --format csv > report.csv
  echo 'SELECT 1 + 1;' | ember            statements from stdin
  ember -c \"SELECT * FROM 'data/*.parquet' LIMIT 10\"   query files directly
  ember --timeout 30s -f long.sql         cancel any statement running over 30 s
  ember --remote sc://spark:15002 -f q.sql   plan here, run on a Spark Connect cluster
  ember serve --tpch 1                    a Spark Connect server for PySpark (ember serve --help)

In the shell, .help lists the commands; Ctrl-C cancels the running statement.";

/// `ember`: run SQL on TPC-H data, Parquet, CSV and JSON files.
#[derive(Debug, Parser)]
#[command(name = "ember", version, about, after_help = EXAMPLES)]
struct Cli {
    /// Register the eight TPC-H tables at scale factor SF: generated in memory up to SF 0.4, above it each into a temporary Parquet file when first queried
    #[arg(long, value_name = "SF", allow_negative_numbers = true)]
    tpch: Option<f64>,
    /// How results are printed. Doubles print in their shortest exact form, with an
    /// exponent below 1e-4 and from 1e15 (1e-05, 1e+20). box draws the table with
    /// unicode lines and the column types; line prints one `name = value` per line;
    /// json writes one object per row per line; a repeated column name gets a suffix
    /// there (a, a_1, a_2).
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    format: FormatArg,
    /// Worker threads (default: the number of cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Run SQL (one or more statements); may be repeated.
    #[arg(
        short = 'c',
        long = "command",
        value_name = "SQL",
        allow_hyphen_values = true
    )]
    command: Vec<String>,
    /// Run the SQL script FILE; may be repeated.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    file: Vec<String>,
    /// Print job metrics after running.
    #[arg(long)]
    metrics: bool,
    /// Cancel any statement that runs longer (e.g. 30s, 500ms, 2min); sets
    /// ember.execution.statement_timeout.
    #[arg(long, value_name = "DURATION")]
    timeout: Option<String>,
    /// Run queries on a Spark Connect server (Spark 3.4+, Sail): Ember plans and
    /// optimizes them and sends the optimized plan; tables must be files the cluster
    /// can read. Sets ember.execution.remote.
    #[arg(long, value_name = "sc://HOST:PORT")]
    remote: Option<String>,
    /// Memory the running queries may hold (e.g. 4GB, 512MiB, 50%); past it sorts and
    /// aggregations spill to disk. Sets ember.memory.limit (default 80% of memory).
    #[arg(long, value_name = "SIZE")]
    memory_limit: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Table,
    Box,
    Csv,
    Json,
    Line,
    Markdown,
}

/// One thing to run, from `-c` or `-f`.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// SQL text given with `-c`.
    Sql(String),
    /// A script file given with `-f`.
    File(String),
}

/// The parsed command line.
#[derive(Debug, Clone)]
pub struct ShellOptions {
    /// `--tpch SF`.
    pub tpch: Option<f64>,
    /// `--format`.
    pub format: OutputFormat,
    /// `--threads N`.
    pub threads: Option<usize>,
    /// `-c` and `-f`, in command-line order.
    pub actions: Vec<Action>,
    /// `--metrics`.
    pub metrics: bool,
    /// `--timeout`, checked.
    pub timeout: Option<String>,
    /// `--remote`, checked.
    pub remote: Option<String>,
    /// `--memory-limit`, checked.
    pub memory_limit: Option<String>,
}

impl ShellOptions {
    /// Parses the arguments (the first is the program name). On `--help`, `--version`
    /// or a usage error returns clap's error, which knows its text and exit code.
    pub fn parse(args: Vec<String>) -> Result<ShellOptions, clap::Error> {
        let matches = Cli::command().try_get_matches_from(args)?;
        let cli = Cli::from_arg_matches(&matches)?;
        // The same checks as `SET` and `register_tpch`, reported as usage errors.
        let invalid = |message: String| {
            Cli::command().error(clap::error::ErrorKind::ValueValidation, message)
        };
        if let (Some(n), Some(threads)) = (cli.threads, setting("ember.execution.threads")) {
            threads.check(&n.to_string()).map_err(|_| {
                invalid(format!(
                    "invalid value '{n}' for --threads: expected {}",
                    threads.allowed
                ))
            })?;
        }
        if let (Some(t), Some(timeout)) =
            (&cli.timeout, setting("ember.execution.statement_timeout"))
        {
            timeout.check(t).map_err(|_| {
                invalid(format!(
                    "invalid value '{t}' for --timeout: expected {}",
                    timeout.allowed
                ))
            })?;
        }
        if let (Some(url), Some(remote)) = (&cli.remote, setting("ember.execution.remote")) {
            remote.check(url).map_err(|_| {
                let why = match crate::remote::RemoteUrl::parse(url) {
                    Err(e) => e.to_string(),
                    Ok(_) => remote.invalid(url),
                };
                invalid(format!("--remote: {why}"))
            })?;
        }
        if let (Some(m), Some(limit)) = (&cli.memory_limit, setting("ember.memory.limit")) {
            limit.check(m).map_err(|_| {
                invalid(format!(
                    "invalid value '{m}' for --memory-limit: expected {}",
                    limit.allowed
                ))
            })?;
        }
        if let Some(sf) = cli.tpch {
            check_scale_factor(sf).map_err(|e| invalid(format!("--tpch: {e}")))?;
        }
        let mut actions: Vec<(usize, Action)> = Vec::new();
        if let Some(indices) = matches.indices_of("command") {
            actions.extend(indices.zip(cli.command).map(|(i, s)| (i, Action::Sql(s))));
        }
        if let Some(indices) = matches.indices_of("file") {
            actions.extend(indices.zip(cli.file).map(|(i, f)| (i, Action::File(f))));
        }
        actions.sort_by_key(|(i, _)| *i);
        Ok(ShellOptions {
            tpch: cli.tpch,
            format: match cli.format {
                FormatArg::Table => OutputFormat::Table,
                FormatArg::Box => OutputFormat::Box,
                FormatArg::Csv => OutputFormat::Csv,
                FormatArg::Json => OutputFormat::Json,
                FormatArg::Line => OutputFormat::Line,
                FormatArg::Markdown => OutputFormat::Markdown,
            },
            threads: cli.threads,
            actions: actions.into_iter().map(|(_, a)| a).collect(),
            metrics: cli.metrics,
            timeout: cli.timeout,
            remote: cli.remote,
            memory_limit: cli.memory_limit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        std::iter::once("ember")
            .chain(a.iter().copied())
            .map(String::from)
            .collect()
    }

    #[test]
    fn actions_keep_command_line_order() {
        let o = ShellOptions::parse(args(&[
            "-f",
            "a.sql",
            "-c",
            "SELECT 1",
            "--tpch",
            "0.01",
            "-f",
            "b.sql",
            "-c",
            "-- note\nSELECT 2",
            "--format",
            "csv",
        ]))
        .unwrap();
        assert_eq!(
            o.actions,
            vec![
                Action::File("a.sql".into()),
                Action::Sql("SELECT 1".into()),
                Action::File("b.sql".into()),
                Action::Sql("-- note\nSELECT 2".into()),
            ]
        );
        assert_eq!(o.tpch, Some(0.01));
        assert_eq!(o.format, OutputFormat::Csv);
        assert!(!o.metrics);
    }

    #[test]
    fn bad_options_are_usage_errors() {
        let e = ShellOptions::parse(args(&["--format", "xml"])).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        for format in OutputFormat::ALL {
            let o = ShellOptions::parse(args(&["--format", format.name()])).unwrap();
            assert_eq!(o.format, format);
        }
        let e = ShellOptions::parse(args(&["--threads", "0"])).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string()
                .contains("invalid value '0' for --threads: expected an integer from 1 to 1024"),
            "{e}"
        );
        assert!(ShellOptions::parse(args(&["--threads", "100000"])).is_err());
        let e = ShellOptions::parse(args(&["--tpch", "-1"])).unwrap_err();
        assert!(
            e.to_string().contains("expected a number greater than 0"),
            "{e}"
        );
        // No machine holds scale factor 10^9 in memory (Linux tells how much is free).
        if cfg!(target_os = "linux") {
            let e = ShellOptions::parse(args(&["--tpch", "1000000000"])).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(
                e.to_string().contains("largest scale factor that fits"),
                "{e}"
            );
        }
        let help = ShellOptions::parse(args(&["--help"])).unwrap_err();
        assert_eq!(help.exit_code(), 0);
        let text = help.render().to_string();
        assert!(
            text.contains("Examples:") && text.contains("--timeout 30s"),
            "{text}"
        );
        let e = ShellOptions::parse(args(&["--timeout", "soon"])).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("expected a duration"), "{e}");
        let o = ShellOptions::parse(args(&["--timeout", "30s"])).unwrap();
        assert_eq!(o.timeout.as_deref(), Some("30s"));
        let e = ShellOptions::parse(args(&["--memory-limit", "lots"])).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string()
                .contains("invalid value 'lots' for --memory-limit: expected a size"),
            "{e}"
        );
        let o = ShellOptions::parse(args(&["--memory-limit", "200MB"])).unwrap();
        assert_eq!(o.memory_limit.as_deref(), Some("200MB"));
    }
}
