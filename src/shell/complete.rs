//! Tab completion in the REPL: SQL keywords, table, column and function names, shell
//! commands and their arguments, and file paths inside a quoted string.
//!
//! In: the line being edited, the cursor, the earlier lines of the statement, and a
//! [`Catalog`] snapshot that the REPL refreshes after each statement. Out: where the
//! completed word starts and the candidates, best first. Knows nothing of running
//! SQL: the snapshot is plain names.
//!
//! What is offered depends on where the cursor is:
//! - at the start of a line beginning with `.` or `\`: shell commands, then their
//!   arguments (modes, `on`/`off`, tables, files);
//! - inside `'...'`: files and folders;
//! - after `t.` (a table or an alias of one): the columns of `t`;
//! - after FROM, JOIN, INTO, UPDATE, TABLE or DESCRIBE: tables;
//! - elsewhere: the columns of the tables the statement names, keywords, functions
//!   (with their `(`), tables, then the columns of every other table.
//!
//! Keywords come back in the case they were typed in (`sel` → `select`, `SEL` →
//! `SELECT`); names come back as the catalog spells them, quoted when they need it.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

use super::dot::{command_names, takes_file};
use crate::format::OutputFormat;
use crate::session::SessionContext;

/// The names completion offers, as of the last statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// Each table or view and its columns.
    pub tables: Vec<(String, Vec<String>)>,
    /// Scalar function and aggregate names.
    pub functions: Vec<String>,
}

impl Default for Catalog {
    /// No tables; every function the planner knows.
    fn default() -> Self {
        Catalog {
            tables: Vec::new(),
            functions: ember_planner::functions::all_names()
                .map(String::from)
                .collect(),
        }
    }
}

impl Catalog {
    /// The tables and views of `ctx` with their columns, and every function.
    pub fn of_session(ctx: &SessionContext) -> Catalog {
        let mut names = ctx.table_names();
        names.sort();
        let tables = names
            .into_iter()
            .map(|name| {
                let columns = ctx
                    .table_schema(&name)
                    .map(|s| s.fields().iter().map(|f| f.name().clone()).collect())
                    .unwrap_or_default();
                (name, columns)
            })
            .collect();
        Catalog {
            tables,
            ..Catalog::default()
        }
    }

    fn columns_of(&self, table: &str) -> Option<&[String]> {
        self.tables
            .iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(table))
            .map(|(_, c)| c.as_slice())
    }
}

/// The REPL's rustyline helper: completion; no hints, highlighting or validation.
pub struct ShellHelper {
    catalog: Arc<Mutex<Catalog>>,
    /// The lines of the statement typed before the current one.
    earlier: Mutex<String>,
}

/// Keywords offered, the common ones of Ember's SQL.
const KEYWORDS: &[&str] = &[
    "ALL",
    "ALTER",
    "ANALYZE",
    "AND",
    "ANTI",
    "AS",
    "ASC",
    "BETWEEN",
    "BIGINT",
    "BOOLEAN",
    "BY",
    "CACHE",
    "CASE",
    "CAST",
    "COPY",
    "CREATE",
    "CROSS",
    "CURRENT",
    "DATE",
    "DECIMAL",
    "DELETE",
    "DESC",
    "DESCRIBE",
    "DISTINCT",
    "DOUBLE",
    "DROP",
    "ELSE",
    "END",
    "EXCEPT",
    "EXISTS",
    "EXPLAIN",
    "FALSE",
    "FILTER",
    "FIRST",
    "FOLLOWING",
    "FROM",
    "FULL",
    "GROUP",
    "HAVING",
    "IF",
    "ILIKE",
    "IN",
    "INNER",
    "INSERT",
    "INTEGER",
    "INTERSECT",
    "INTERVAL",
    "INTO",
    "IS",
    "JOIN",
    "LAST",
    "LEFT",
    "LIKE",
    "LIMIT",
    "NATURAL",
    "NOT",
    "NULL",
    "NULLS",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "OVER",
    "PARTITION",
    "PRECEDING",
    "RANGE",
    "RECURSIVE",
    "REPLACE",
    "RIGHT",
    "ROW",
    "ROWS",
    "SELECT",
    "SEMI",
    "SET",
    "SHOW",
    "TABLE",
    "THEN",
    "TIMESTAMP",
    "TO",
    "TRUE",
    "UNBOUNDED",
    "UNCACHE",
    "UNION",
    "UPDATE",
    "USING",
    "VALUES",
    "VARCHAR",
    "VIEW",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
];

/// Keywords after which only a table name makes sense.
const BEFORE_TABLE: &[&str] = &["FROM", "JOIN", "INTO", "UPDATE", "TABLE", "DESCRIBE"];

impl ShellHelper {
    /// A helper offering the names of `catalog`, which the REPL keeps up to date.
    pub fn new(catalog: Arc<Mutex<Catalog>>) -> Self {
        ShellHelper {
            catalog,
            earlier: Mutex::new(String::new()),
        }
    }

    /// Tells the helper the lines of the statement typed so far (empty at a new
    /// statement), so that tables they name count and shell commands are offered only
    /// at a statement's start.
    pub fn set_earlier_lines(&self, text: &str) {
        let mut earlier = lock(&self.earlier);
        earlier.clear();
        earlier.push_str(text);
    }

    /// Completes the word before byte `pos` of `line`: where it starts, and the
    /// candidates.
    pub fn complete(&self, line: &str, pos: usize) -> (usize, Vec<Pair>) {
        let mut pos = pos.min(line.len());
        while !line.is_char_boundary(pos) {
            pos -= 1;
        }
        let before = &line[..pos];
        let earlier = lock(&self.earlier).clone();
        let catalog = lock(&self.catalog);
        let indent = before.len() - before.trim_start().len();
        if earlier.trim().is_empty() && before[indent..].starts_with(['.', '\\']) {
            return complete_command(&before[indent..], indent, &catalog);
        }
        if let Some(quote) = open_string(before) {
            return complete_path(&before[quote + 1..], quote + 1);
        }
        let start = word_start(before);
        let word = &before[start..];
        let statement = format!("{earlier}\n{line}");
        let tokens = tokenize(&statement);
        let named = tables_named(&tokens, &catalog);
        let mut out = Candidates::new(word);

        // `t.col`: the columns of table or alias `t`.
        if let Some(qualifier) = before[..start].strip_suffix('.') {
            let qualifier = &qualifier[word_start(qualifier)..];
            let table = named
                .iter()
                .find(|(_, alias)| alias.eq_ignore_ascii_case(qualifier))
                .map(|(t, _)| t.as_str())
                .unwrap_or(qualifier);
            for column in catalog.columns_of(table).unwrap_or_default() {
                out.name(column, "");
            }
            return (start, out.pairs);
        }

        let tables = || catalog.tables.iter().map(|(t, _)| t.as_str());
        let previous = tokenize(&format!("{earlier}\n{}", &before[..start]));
        if wants_table(&previous) {
            tables().for_each(|t| out.name(t, ""));
            return (start, out.pairs);
        }
        for (table, _) in &named {
            for column in catalog.columns_of(table).unwrap_or_default() {
                out.name(column, "");
            }
        }
        // Every keyword matches an empty word: offer them only once a letter is typed.
        if !word.is_empty() {
            for keyword in KEYWORDS {
                out.keyword(keyword);
            }
        }
        for function in &catalog.functions {
            out.name(function, "(");
        }
        tables().for_each(|t| out.name(t, ""));
        for (_, columns) in &catalog.tables {
            for column in columns {
                out.name(column, "");
            }
        }
        (start, out.pairs)
    }
}

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        Ok(ShellHelper::complete(self, line, pos))
    }
}

impl Hinter for ShellHelper {
    type Hint = String;
}

impl Highlighter for ShellHelper {}

impl Validator for ShellHelper {}

impl Helper for ShellHelper {}

/// Locks a mutex whose holder may have panicked: names are still names.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Candidates matching a typed word, without repeats.
struct Candidates<'a> {
    word: &'a str,
    pairs: Vec<Pair>,
}

impl<'a> Candidates<'a> {
    fn new(word: &'a str) -> Self {
        Candidates {
            word,
            pairs: Vec::new(),
        }
    }

    fn matches(&self, candidate: &str) -> bool {
        candidate.len() >= self.word.len()
            && candidate.is_char_boundary(self.word.len())
            && candidate[..self.word.len()].eq_ignore_ascii_case(self.word)
    }

    fn push(&mut self, replacement: String) {
        if !self.pairs.iter().any(|p| p.replacement == replacement) {
            self.pairs.push(Pair {
                display: replacement.clone(),
                replacement,
            });
        }
    }

    /// A keyword in the case of the typed word: upper when it is typed in capitals.
    fn keyword(&mut self, keyword: &str) {
        if self.matches(keyword) {
            let upper = self.word.chars().any(char::is_alphabetic)
                && !self.word.chars().any(char::is_lowercase);
            self.push(if upper {
                keyword.to_string()
            } else {
                keyword.to_lowercase()
            });
        }
    }

    /// A name as the catalog spells it (quoted when it must be), then `suffix`.
    fn name(&mut self, name: &str, suffix: &str) {
        if self.matches(name) {
            self.push(format!("{}{suffix}", quote_if_needed(name)));
        }
    }

    /// A literal value (a mode, `on`).
    fn value(&mut self, value: &str) {
        if self.matches(value) {
            self.push(value.to_string());
        }
    }
}

/// `name`, or `"name"` when it is not a plain lower-case identifier.
fn quote_if_needed(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// Completes a shell command's name, or its last argument.
fn complete_command(text: &str, offset: usize, catalog: &Catalog) -> (usize, Vec<Pair>) {
    let Some((name, args)) = text.split_once(char::is_whitespace) else {
        let mut out = Candidates::new(text);
        // A `\` line offers psql's names, a `.` line DuckDB's.
        command_names()
            .filter(|n| n.starts_with(&text[..1]))
            .for_each(|n| out.value(n));
        return (offset, out.pairs);
    };
    let args = args.trim_start();
    let start = offset + text.len() - args.len();
    if takes_file(name) {
        return match args.strip_prefix(['\'', '"']) {
            Some(path) => complete_path(path, start + 1),
            None => complete_path(args, start),
        };
    }
    let mut out = Candidates::new(args);
    match name {
        ".mode" => OutputFormat::ALL.iter().for_each(|f| out.value(f.name())),
        ".timer" | "\\timing" => ["on", "off"].iter().for_each(|v| out.value(v)),
        ".schema" | "\\d" => catalog.tables.iter().for_each(|(t, _)| out.name(t, "")),
        _ => {}
    }
    (start, out.pairs)
}

/// Completes a path typed as `partial` (starting at byte `offset` of the line): the
/// entries of its folder that start with its last part, folders ending in `/`.
fn complete_path(partial: &str, offset: usize) -> (usize, Vec<Pair>) {
    let (folder, prefix) = match partial.rfind('/') {
        Some(i) => (&partial[..=i], &partial[i + 1..]),
        None => ("", partial),
    };
    let start = offset + folder.len();
    let dir = match folder {
        "" => std::path::PathBuf::from("."),
        f => match (f.strip_prefix("~/"), std::env::var_os("HOME")) {
            (Some(rest), Some(home)) => Path::new(&home).join(rest),
            _ => std::path::PathBuf::from(f),
        },
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return (start, Vec::new());
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            // Hidden files only when asked for with a leading dot.
            if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
                return None;
            }
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir())
                || (e.file_type().is_ok_and(|t| t.is_symlink()) && e.path().is_dir());
            Some(if is_dir { format!("{name}/") } else { name })
        })
        .collect();
    names.sort();
    let pairs = names
        .into_iter()
        .map(|n| Pair {
            display: n.clone(),
            replacement: n,
        })
        .collect();
    (start, pairs)
}

/// Where the single-quoted string open at the end of `text` starts, if one is.
fn open_string(text: &str) -> Option<usize> {
    let mut open = None;
    let mut in_identifier = false;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' if !in_identifier => {
                if open.is_none() {
                    open = Some(i);
                } else if chars.peek().is_some_and(|(_, n)| *n == '\'') {
                    // A doubled quote inside the string.
                    chars.next();
                } else {
                    open = None;
                }
            }
            '"' if open.is_none() => in_identifier = !in_identifier,
            '-' if open.is_none()
                && !in_identifier
                && chars.peek().is_some_and(|(_, n)| *n == '-') =>
            {
                // A line comment: nothing to complete up to its end.
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    open
}

/// Where the identifier characters ending `text` begin.
fn word_start(text: &str) -> usize {
    text.char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .last()
        .map_or(text.len(), |(i, _)| i)
}

/// A token of SQL as completion sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A word or a `"quoted"` identifier (without its quotes).
    Word { text: String, quoted: bool },
    /// A string literal.
    Text,
    /// Any other character.
    Symbol(char),
}

impl Token {
    fn is_keyword(&self, keyword: &str) -> bool {
        matches!(self, Token::Word { text, quoted: false } if text.eq_ignore_ascii_case(keyword))
    }
}

/// Splits SQL into words, strings and symbols; comments and unterminated strings end
/// quietly.
fn tokenize(sql: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '-' if chars.peek() == Some(&'-') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
            }
            '\'' | '"' => {
                let mut text = String::new();
                while let Some(n) = chars.next() {
                    if n == c {
                        if chars.peek() == Some(&c) {
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    text.push(n);
                }
                tokens.push(if c == '"' {
                    Token::Word { text, quoted: true }
                } else {
                    Token::Text
                });
            }
            c if c.is_alphanumeric() || c == '_' => {
                let mut text = String::from(c);
                while let Some(&n) = chars.peek() {
                    if !(n.is_alphanumeric() || n == '_') {
                        break;
                    }
                    text.push(n);
                    chars.next();
                }
                tokens.push(Token::Word {
                    text,
                    quoted: false,
                });
            }
            c => tokens.push(Token::Symbol(c)),
        }
    }
    tokens
}

/// The catalog tables a statement names, in order, each with its alias (or its own
/// name): `FROM lineitem l JOIN orders AS o` gives (lineitem, l), (orders, o).
fn tables_named(tokens: &[Token], catalog: &Catalog) -> Vec<(String, String)> {
    let mut named: Vec<(String, String)> = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let Token::Word { text, .. } = token else {
            continue;
        };
        let Some((table, _)) = catalog
            .tables
            .iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(text))
        else {
            continue;
        };
        let mut next = i + 1;
        if tokens.get(next).is_some_and(|t| t.is_keyword("AS")) {
            next += 1;
        }
        let alias = match tokens.get(next) {
            Some(Token::Word { text, quoted }) if *quoted || !is_sql_keyword(text) => text.clone(),
            _ => table.clone(),
        };
        if !named.iter().any(|(t, a)| t == table && *a == alias) {
            named.push((table.clone(), alias));
        }
    }
    named
}

fn is_sql_keyword(word: &str) -> bool {
    let upper = word.to_ascii_uppercase();
    sqlparser::keywords::ALL_KEYWORDS.contains(&upper.as_str())
}

/// Whether the word being typed must be a table: it follows FROM, JOIN, ..., or a
/// comma in a FROM list.
fn wants_table(before: &[Token]) -> bool {
    match before.last() {
        Some(t) => {
            if BEFORE_TABLE.iter().any(|k| t.is_keyword(k)) {
                return true;
            }
            if *t != Token::Symbol(',') {
                return false;
            }
            // The clause the comma is in: the last clause keyword before it.
            before
                .iter()
                .rev()
                .find_map(|t| {
                    [
                        "SELECT", "FROM", "WHERE", "GROUP", "ORDER", "BY", "ON", "SET", "VALUES",
                    ]
                    .iter()
                    .find(|k| t.is_keyword(k))
                })
                .is_some_and(|k| *k == "FROM")
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn helper() -> ShellHelper {
        let catalog = Catalog {
            tables: vec![
                (
                    "lineitem".into(),
                    vec![
                        "l_orderkey".into(),
                        "l_quantity".into(),
                        "l_shipdate".into(),
                    ],
                ),
                (
                    "orders".into(),
                    vec!["o_orderkey".into(), "o_orderdate".into()],
                ),
                ("Mixed Case".into(), vec!["Total".into()]),
            ],
            functions: vec!["lower".into(), "length".into(), "count".into()],
        };
        ShellHelper::new(Arc::new(Mutex::new(catalog)))
    }

    /// The candidates for the cursor at the end of `line`, and where they start.
    fn complete(h: &ShellHelper, line: &str) -> (usize, Vec<String>) {
        let (start, pairs) = h.complete(line, line.len());
        (start, pairs.into_iter().map(|p| p.replacement).collect())
    }

    #[test]
    fn keywords_keep_the_typed_case() {
        let h = helper();
        assert_eq!(complete(&h, "SEL"), (0, vec!["SELECT".into()]));
        assert_eq!(complete(&h, "sel"), (0, vec!["select".into()]));
        assert_eq!(complete(&h, "select 1 fr"), (9, vec!["from".into()]));
        let (_, c) = complete(&h, "SELECT * FROM lineitem WH");
        assert_eq!(c, ["WHEN", "WHERE"]);
    }

    #[test]
    fn tables_after_from_join_and_commas() {
        let h = helper();
        assert_eq!(
            complete(&h, "SELECT * FROM li"),
            (14, vec!["lineitem".into()])
        );
        let (_, c) = complete(&h, "select * from ");
        assert_eq!(c, ["lineitem", "orders", "\"Mixed Case\""]);
        let (_, c) = complete(&h, "SELECT * FROM lineitem JOIN o");
        assert_eq!(c, ["orders"]);
        let (_, c) = complete(&h, "SELECT * FROM lineitem, ");
        assert_eq!(c, ["lineitem", "orders", "\"Mixed Case\""]);
        let (_, c) = complete(&h, "INSERT INTO ord");
        assert_eq!(c, ["orders"]);
        // A comma in the select list is no table's place.
        let (_, c) = complete(&h, "SELECT l_orderkey, l_q");
        assert_eq!(c, ["l_quantity"]);
    }

    #[test]
    fn columns_of_the_statement_tables_come_first() {
        let h = helper();
        // The cursor after `o`, the FROM after it.
        let (start, pairs) = h.complete("SELECT o FROM orders", 8);
        let got: Vec<String> = pairs.into_iter().map(|p| p.replacement).collect();
        assert_eq!(start, 7);
        assert_eq!(got[..2], ["o_orderkey", "o_orderdate"]);
        assert!(got.contains(&"order".into()), "{got:?}");
        assert!(got.contains(&"orders".into()), "{got:?}");
        // Earlier lines of the statement count.
        h.set_earlier_lines("SELECT *\nFROM lineitem");
        let (_, c) = complete(&h, "WHERE l_s");
        assert_eq!(c, ["l_shipdate"]);
        h.set_earlier_lines("");
    }

    #[test]
    fn qualified_columns_by_table_or_alias() {
        let h = helper();
        let (start, c) = complete(&h, "SELECT l.l_o");
        assert_eq!((start, c), (9, vec![]));
        let (start, c) = complete(&h, "SELECT x FROM lineitem l WHERE l.l_o");
        assert_eq!((start, c), (33, vec!["l_orderkey".to_string()]));
        let (_, c) = complete(&h, "SELECT * FROM orders AS o WHERE o.");
        assert_eq!(c, ["o_orderkey", "o_orderdate"]);
        let (_, c) = complete(&h, "SELECT orders.o_orderd");
        assert_eq!(c, ["o_orderdate"]);
    }

    #[test]
    fn functions_end_in_a_parenthesis_and_names_are_quoted() {
        let h = helper();
        let (_, c) = complete(&h, "SELECT le");
        assert_eq!(c, ["left", "length("]);
        let (_, c) = complete(&h, "SELECT LO");
        assert_eq!(c, ["lower("]);
        let (_, c) = complete(&h, "SELECT Tot");
        assert_eq!(c, ["\"Total\""]);
        // Nothing typed: names only, no keywords.
        let (_, c) = complete(&h, "SELECT ");
        assert!(
            c.contains(&"count(".into()) && !c.iter().any(|k| k == "SELECT"),
            "{c:?}"
        );
    }

    #[test]
    fn shell_commands_and_their_arguments() {
        let h = helper();
        assert_eq!(complete(&h, ".ta"), (0, vec![".tables".into()]));
        assert_eq!(complete(&h, "  .ex"), (2, vec![".exit".into()]));
        assert_eq!(complete(&h, "\\ti"), (0, vec!["\\timing".into()]));
        let (_, c) = complete(&h, ".m");
        assert_eq!(c, [".mode", ".maxrows"]);
        assert_eq!(complete(&h, ".mode b"), (6, vec!["box".into()]));
        let (_, c) = complete(&h, ".mode ");
        assert_eq!(c, ["table", "box", "csv", "json", "line", "markdown"]);
        assert_eq!(
            complete(&h, "\\timing o"),
            (8, vec!["on".into(), "off".into()])
        );
        assert_eq!(complete(&h, ".schema ord"), (8, vec!["orders".into()]));
        // Inside a statement, a line starting with `.` is not a command.
        h.set_earlier_lines("SELECT 1");
        assert!(complete(&h, ".ta").1.is_empty());
        h.set_earlier_lines("");
    }

    #[test]
    fn file_paths_in_strings_and_command_arguments() {
        let dir = std::env::temp_dir().join(format!("ember-complete-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("queries")).unwrap();
        std::fs::write(dir.join("q1.sql"), "").unwrap();
        std::fs::write(dir.join("q2.sql"), "").unwrap();
        std::fs::write(dir.join(".hidden"), "").unwrap();
        let d = dir.to_str().unwrap();
        let h = helper();

        let line = format!("SELECT * FROM '{d}/q");
        let (start, c) = complete(&h, &line);
        assert_eq!(start, line.len() - 1);
        assert_eq!(c, ["q1.sql", "q2.sql", "queries/"]);
        let (_, c) = complete(&h, &format!("COPY t TO '{d}/"));
        assert_eq!(c, ["q1.sql", "q2.sql", "queries/"]);
        let (_, c) = complete(&h, &format!("SELECT * FROM '{d}/."));
        assert_eq!(c, [".hidden"]);
        // A closed string is not completed as a path.
        let (_, c) = complete(&h, &format!("SELECT '{d}/q' AS q1, leng"));
        assert_eq!(c, ["length("]);

        let line = format!(".read {d}/q1");
        assert_eq!(complete(&h, &line), (line.len() - 2, vec!["q1.sql".into()]));
        let (_, c) = complete(&h, &format!("\\o '{d}/qu"));
        assert_eq!(c, ["queries/"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn strings_and_comments_are_seen_through() {
        assert_eq!(open_string("SELECT 'abc"), Some(7));
        assert_eq!(open_string("SELECT 'it''s"), Some(7));
        assert_eq!(open_string("SELECT 'a', 'b"), Some(12));
        assert_eq!(open_string("SELECT 'a'"), None);
        assert_eq!(open_string("SELECT \"it's\""), None);
        assert_eq!(open_string("SELECT 1 -- it's\nFROM '"), Some(22));
        let tokens = tokenize("SELECT /* FROM x */ 'FROM' \"FROM\" -- FROM\n,");
        assert_eq!(
            tokens,
            vec![
                Token::Word {
                    text: "SELECT".into(),
                    quoted: false
                },
                Token::Text,
                Token::Word {
                    text: "FROM".into(),
                    quoted: true
                },
                Token::Symbol(','),
            ]
        );
        assert!(!wants_table(&tokens));
    }
}
