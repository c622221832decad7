//! Shell commands: DuckDB's dot commands (`.tables`, `.mode box`) and psql's
//! backslash aliases (`\dt`, `\timing`), parsed from one input line.
//!
//! In: a line the user typed at the start of a statement. Out: `None` when the line is
//! SQL, else the [`Command`] or a message saying what is wrong with it. Parsing only:
//! running a command is the REPL's job. Every command is one row of [`COMMANDS`], which
//! also writes `.help`. Arguments are split at spaces; a file name with spaces is
//! quoted (`'my file.sql'` or `"my file.sql"`, a quote doubled inside), and a `;`
//! ending the line is ignored, as typing SQL makes it a habit.

use std::sync::LazyLock;

use crate::format::{OutputFormat, format_names};

/// A shell command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `.help`, `\?`: list the commands.
    Help,
    /// `.tables`, `\dt`: list the tables.
    Tables,
    /// `.schema [TABLE]`, `\d [TABLE]`: the columns of every table, or of one.
    Schema(Option<String>),
    /// `.mode MODE`: how results print.
    Mode(OutputFormat),
    /// `.timer on|off`, `\timing [on|off]`: time each statement; `None` toggles.
    Timer(Option<bool>),
    /// `.read FILE`, `\i FILE`: run a SQL script.
    Read(String),
    /// `.output [FILE]`, `\o [FILE]`: send results to FILE, or back to stdout.
    Output(Option<String>),
    /// `.maxrows N`: rows a table shows (0: all).
    MaxRows(usize),
    /// `.report FILE`: write a report of the last statement's run to FILE.
    Report(String),
    /// `.quit`, `.exit`, `\q`: leave the shell.
    Quit,
}

/// One command: its names, what it takes, what it does, and how its arguments parse.
struct CommandSpec {
    /// The dot names, the first one shown in `.help`.
    names: &'static [&'static str],
    /// psql's aliases.
    aliases: &'static [&'static str],
    /// Arguments as `.help` shows them.
    args: &'static str,
    help: &'static str,
    parse: fn(&[String]) -> Result<Command, String>,
}

/// Every command, in `.help` order.
const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        names: &[".help"],
        aliases: &["\\?"],
        args: "",
        help: "list these commands",
        parse: |args| no_args(args, Command::Help),
    },
    CommandSpec {
        names: &[".tables"],
        aliases: &["\\dt"],
        args: "",
        help: "list the tables",
        parse: |args| no_args(args, Command::Tables),
    },
    CommandSpec {
        names: &[".schema"],
        aliases: &["\\d"],
        args: "[TABLE]",
        help: "show the columns of every table, or of TABLE",
        parse: |args| Ok(Command::Schema(optional(args)?)),
    },
    CommandSpec {
        names: &[".mode"],
        aliases: &[],
        args: "MODE",
        help: "print results as table, box, csv, json, line or markdown",
        parse: parse_mode,
    },
    CommandSpec {
        names: &[".timer"],
        aliases: &["\\timing"],
        args: "[on|off]",
        help: "show how long each statement takes (no argument: switch)",
        parse: |args| Ok(Command::Timer(optional(args)?.map(on_off).transpose()?)),
    },
    CommandSpec {
        names: &[".read"],
        aliases: &["\\i"],
        args: "FILE",
        help: "run the SQL script FILE",
        parse: |args| Ok(Command::Read(required(args, "a file name")?)),
    },
    CommandSpec {
        names: &[".output"],
        aliases: &["\\o"],
        args: "[FILE]",
        help: "write results to FILE (no argument: back to the terminal)",
        parse: |args| Ok(Command::Output(optional(args)?)),
    },
    CommandSpec {
        names: &[".maxrows"],
        aliases: &[],
        args: "N",
        help: "show at most N rows of a table, the first and last ones (0: all)",
        parse: parse_max_rows,
    },
    CommandSpec {
        names: &[".report"],
        aliases: &[],
        args: "FILE",
        help: "write a report of the last statement's run to FILE",
        parse: |args| Ok(Command::Report(required(args, "a file name")?)),
    },
    CommandSpec {
        names: &[".quit", ".exit"],
        aliases: &["\\q"],
        args: "",
        help: "leave the shell (also Ctrl-D)",
        parse: |args| no_args(args, Command::Quit),
    },
];

/// Parses a shell command. `None`: the line is not one (it is SQL, or blank).
pub fn parse_command(line: &str) -> Option<Result<Command, String>> {
    let line = line.trim();
    if !line.starts_with(['.', '\\']) {
        return None;
    }
    let line = line.strip_suffix(';').unwrap_or(line).trim_end();
    let (name, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let Some(spec) = find(name) else {
        return Some(Err(format!(
            "unknown command '{name}' (.help lists the commands)"
        )));
    };
    let parsed = split_args(rest)
        .and_then(|args| (spec.parse)(&args))
        .map_err(|e| format!("{name}: {e}"));
    Some(parsed)
}

/// Every command name and alias, for completion: `.help`, `\?`, `.tables`, ...
pub fn command_names() -> impl Iterator<Item = &'static str> {
    COMMANDS
        .iter()
        .flat_map(|c| c.names.iter().chain(c.aliases.iter()).copied())
}

/// The commands that take a file name.
pub(crate) fn takes_file(name: &str) -> bool {
    find(name).is_some_and(|c| c.args.contains("FILE"))
}

/// The `.help` text: every command, its psql alias and what it does.
pub fn help_text() -> &'static str {
    static TEXT: LazyLock<String> = LazyLock::new(build_help);
    &TEXT
}

fn build_help() -> String {
    let usage = |name: &str, args: &str| {
        if args.is_empty() {
            name.to_string()
        } else {
            format!("{name} {args}")
        }
    };
    let rows: Vec<(String, String, &str)> = COMMANDS
        .iter()
        .map(|c| {
            let names: Vec<String> = c.names.iter().map(|n| usage(n, c.args)).collect();
            let aliases: Vec<String> = c.aliases.iter().map(|a| usage(a, c.args)).collect();
            (names.join(", "), aliases.join(", "), c.help)
        })
        .collect();
    let first = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let second = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    let mut text = String::from(
        "SQL statements end with `;` and may span lines. Shell commands (psql's names \
         beside them):\n\n",
    );
    for (names, aliases, help) in rows {
        text.push_str(&format!("  {names:first$}  {aliases:second$}  {help}\n"));
    }
    text
}

fn find(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS
        .iter()
        .find(|c| c.names.contains(&name) || c.aliases.contains(&name))
}

fn no_args(args: &[String], command: Command) -> Result<Command, String> {
    match args {
        [] => Ok(command),
        _ => Err("takes no arguments".to_string()),
    }
}

fn optional(args: &[String]) -> Result<Option<String>, String> {
    match args {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        _ => Err(too_many(args)),
    }
}

fn required(args: &[String], what: &str) -> Result<String, String> {
    optional(args)?.ok_or_else(|| format!("needs {what}"))
}

fn too_many(args: &[String]) -> String {
    format!(
        "takes one argument, not {} (quote a name with spaces)",
        args.len()
    )
}

fn parse_mode(args: &[String]) -> Result<Command, String> {
    let names = format_names();
    let mode = required(args, &format!("a mode: {names}"))?;
    OutputFormat::ALL
        .into_iter()
        .find(|f| f.name().eq_ignore_ascii_case(&mode))
        .map(Command::Mode)
        .ok_or_else(|| format!("unknown mode '{mode}' (expected {names})"))
}

fn on_off(value: String) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("expected on or off, not '{value}'")),
    }
}

fn parse_max_rows(args: &[String]) -> Result<Command, String> {
    let n = required(args, "a number of rows (0 shows all)")?;
    n.parse::<usize>()
        .map(Command::MaxRows)
        .map_err(|_| format!("expected a number of rows (0 shows all), not '{n}'"))
}

/// Splits arguments at whitespace; `'...'` and `"..."` keep spaces, and a quote
/// doubled inside stands for itself.
fn split_args(text: &str) -> Result<Vec<String>, String> {
    let mut args = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut arg = String::new();
        if c == '\'' || c == '"' {
            chars.next();
            loop {
                match chars.next() {
                    Some(q) if q == c && chars.peek() == Some(&c) => {
                        chars.next();
                        arg.push(c);
                    }
                    Some(q) if q == c => break,
                    Some(other) => arg.push(other),
                    None => return Err(format!("unterminated {c} quote")),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                arg.push(c);
                chars.next();
            }
        }
        args.push(arg);
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Command, String> {
        parse_command(line).expect("a shell command")
    }

    #[test]
    fn sql_is_not_a_command() {
        assert_eq!(parse_command("SELECT 1;"), None);
        assert_eq!(parse_command("  "), None);
        assert_eq!(parse_command("select '.help'"), None);
    }

    #[test]
    fn every_command_and_alias() {
        assert_eq!(parse(".help"), Ok(Command::Help));
        assert_eq!(parse("\\?"), Ok(Command::Help));
        assert_eq!(parse(".tables"), Ok(Command::Tables));
        assert_eq!(parse("  \\dt  "), Ok(Command::Tables));
        assert_eq!(parse(".schema"), Ok(Command::Schema(None)));
        assert_eq!(
            parse(".schema lineitem"),
            Ok(Command::Schema(Some("lineitem".into())))
        );
        assert_eq!(parse("\\d"), Ok(Command::Schema(None)));
        assert_eq!(
            parse("\\d orders"),
            Ok(Command::Schema(Some("orders".into())))
        );
        assert_eq!(parse(".mode box"), Ok(Command::Mode(OutputFormat::Box)));
        assert_eq!(
            parse(".mode MARKDOWN"),
            Ok(Command::Mode(OutputFormat::Markdown))
        );
        for format in OutputFormat::ALL {
            assert_eq!(
                parse(&format!(".mode {}", format.name())),
                Ok(Command::Mode(format))
            );
        }
        assert_eq!(parse(".timer on"), Ok(Command::Timer(Some(true))));
        assert_eq!(parse(".timer off"), Ok(Command::Timer(Some(false))));
        assert_eq!(parse(".timer"), Ok(Command::Timer(None)));
        assert_eq!(parse("\\timing"), Ok(Command::Timer(None)));
        assert_eq!(parse("\\timing on"), Ok(Command::Timer(Some(true))));
        assert_eq!(parse(".read q1.sql"), Ok(Command::Read("q1.sql".into())));
        assert_eq!(parse("\\i q1.sql"), Ok(Command::Read("q1.sql".into())));
        assert_eq!(parse(".output"), Ok(Command::Output(None)));
        assert_eq!(
            parse(".output out.txt"),
            Ok(Command::Output(Some("out.txt".into())))
        );
        assert_eq!(parse("\\o"), Ok(Command::Output(None)));
        assert_eq!(
            parse("\\o out.txt"),
            Ok(Command::Output(Some("out.txt".into())))
        );
        assert_eq!(parse(".maxrows 100"), Ok(Command::MaxRows(100)));
        assert_eq!(parse(".maxrows 0"), Ok(Command::MaxRows(0)));
        assert_eq!(
            parse(".report run.json"),
            Ok(Command::Report("run.json".into()))
        );
        assert_eq!(parse(".quit"), Ok(Command::Quit));
        assert_eq!(parse(".exit"), Ok(Command::Quit));
        assert_eq!(parse("\\q"), Ok(Command::Quit));
        // A `;` at the end is a habit from SQL.
        assert_eq!(parse(".tables;"), Ok(Command::Tables));
        assert_eq!(parse(".mode csv ;"), Ok(Command::Mode(OutputFormat::Csv)));
    }

    #[test]
    fn quoted_file_names() {
        assert_eq!(
            parse(".read 'my queries/q 1.sql'"),
            Ok(Command::Read("my queries/q 1.sql".into()))
        );
        assert_eq!(
            parse("\\o \"it's.txt\""),
            Ok(Command::Output(Some("it's.txt".into())))
        );
        assert_eq!(
            parse(".read 'it''s.sql'"),
            Ok(Command::Read("it's.sql".into()))
        );
        assert_eq!(
            parse(".read 'open.sql"),
            Err(".read: unterminated ' quote".into())
        );
    }

    #[test]
    fn bad_arguments_say_what_is_wrong() {
        assert_eq!(
            parse(".mode xml"),
            Err(
                ".mode: unknown mode 'xml' (expected table, box, csv, json, line or markdown)"
                    .into()
            )
        );
        assert_eq!(
            parse(".mode"),
            Err(".mode: needs a mode: table, box, csv, json, line or markdown".into())
        );
        assert_eq!(
            parse(".foo"),
            Err("unknown command '.foo' (.help lists the commands)".into())
        );
        assert_eq!(
            parse("\\x"),
            Err("unknown command '\\x' (.help lists the commands)".into())
        );
        assert_eq!(
            parse(".timer maybe"),
            Err(".timer: expected on or off, not 'maybe'".into())
        );
        assert_eq!(parse(".read"), Err(".read: needs a file name".into()));
        assert_eq!(
            parse(".maxrows -1"),
            Err(".maxrows: expected a number of rows (0 shows all), not '-1'".into())
        );
        assert_eq!(
            parse(".tables x"),
            Err(".tables: takes no arguments".into())
        );
        assert_eq!(
            parse(".read a b"),
            Err(".read: takes one argument, not 2 (quote a name with spaces)".into())
        );
    }

    #[test]
    fn help_lists_every_command() {
        let help = help_text();
        assert!(help.contains("`;`"), "{help}");
        for name in command_names() {
            assert!(help.contains(name), "{name} missing from\n{help}");
        }
        assert_eq!(
            help.lines().filter(|l| l.starts_with("  .")).count(),
            COMMANDS.len()
        );
        assert!(help.contains("  .mode MODE "), "{help}");
        assert!(takes_file(".read") && takes_file("\\o") && !takes_file(".mode"));
    }
}
