//! Statements: what one piece of SQL asks for, with its queries planned.
//!
//! In: one statement's text and a [`Catalog`]. Out: a [`Statement`]. Statements sqlparser
//! does not know (`CREATE EXTERNAL TABLE`, `CACHE TABLE`, `UNCACHE TABLE`) are read from
//! the token stream by `own_statement`; everything else goes through sqlparser's
//! generic dialect.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use sqlparser::ast::{self, ObjectType};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use crate::sql::copy::OptionValue;
use crate::sql::ddl::{AlterTableOp, TableDefinition};
use crate::sql::explain::{
    ExplainFormat, ExplainOptions, explain_options, options_into_parentheses,
};
use crate::sql::own_statement::own_statement;

use crate::catalog::Catalog;
use crate::error::{Location, PlanError, Result};
use crate::expr::Column;
use crate::logical::LogicalPlan;
use crate::sql::errors::{expression_depth_error, loc, parse_error, unsupported};

/// File formats for external tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// Apache Parquet.
    Parquet,
    /// Comma (or otherwise) separated values.
    Csv,
}

/// One planned SQL statement.
#[derive(Debug, Clone)]
pub enum Statement {
    /// A query.
    Query(LogicalPlan),
    /// `CREATE [OR REPLACE] EXTERNAL TABLE [IF NOT EXISTS] name STORED AS fmt LOCATION 'path' [OPTIONS (...)]`.
    CreateExternalTable {
        /// Table name.
        name: String,
        /// File or directory path.
        location: String,
        /// File format.
        format: FileFormat,
        /// `OPTIONS ('key' 'value', ...)`, keys lower-cased.
        options: Vec<(String, String)>,
        /// `IF NOT EXISTS`.
        if_not_exists: bool,
        /// `OR REPLACE`.
        or_replace: bool,
    },
    /// `CREATE [OR REPLACE] VIEW name AS query`.
    CreateView {
        /// View name.
        name: String,
        /// The view's plan.
        plan: LogicalPlan,
        /// `OR REPLACE`.
        or_replace: bool,
    },
    /// `DROP VIEW [IF EXISTS] name`.
    DropView {
        /// View name.
        name: String,
        /// `IF EXISTS`.
        if_exists: bool,
    },
    /// `DROP TABLE [IF EXISTS] name`.
    DropTable {
        /// Table name.
        name: String,
        /// `IF EXISTS`.
        if_exists: bool,
    },
    /// `SET key = value`.
    Set {
        /// The setting's name as written (dotted names kept).
        key: String,
        /// The value as text (string literals unquoted).
        value: String,
    },
    /// `RESET key` (`None`: `RESET ALL`): settings back to their defaults.
    Reset {
        /// The setting's name as written, or `None` for every setting.
        key: Option<String>,
    },
    /// `SHOW TABLES`.
    ShowTables,
    /// `SHOW ALL`: every setting with its value and description.
    ShowAll,
    /// `SHOW COLUMNS FROM table` (also `DESCRIBE table`).
    ShowColumns {
        /// Table name.
        table: String,
    },
    /// `DESCRIBE query`: the query's result columns, without running it.
    DescribeQuery {
        /// The query's plan.
        plan: LogicalPlan,
    },
    /// `EXPLAIN [ANALYZE] [VERBOSE] [(FORMAT TEXT | HTML)] query`.
    Explain {
        /// The query's plan.
        plan: LogicalPlan,
        /// `ANALYZE`: run it and report.
        analyze: bool,
        /// `VERBOSE`.
        verbose: bool,
        /// `FORMAT`: text lines, or one HTML document (with ANALYZE only).
        format: ExplainFormat,
    },
    /// `CACHE TABLE name`.
    CacheTable {
        /// Table name.
        name: String,
    },
    /// `UNCACHE TABLE name`.
    UncacheTable {
        /// Table name.
        name: String,
    },
    /// `CREATE [TEMP] [OR REPLACE] TABLE [IF NOT EXISTS] name (col TYPE [NOT NULL], ...)`.
    CreateTable {
        /// Table name.
        name: String,
        /// Columns and keys.
        definition: TableDefinition,
        /// `IF NOT EXISTS`.
        if_not_exists: bool,
        /// `OR REPLACE`.
        or_replace: bool,
    },
    /// `CREATE [OR REPLACE] TABLE [IF NOT EXISTS] name AS query`.
    CreateTableAs {
        /// Table name.
        name: String,
        /// The query whose rows and columns the table gets.
        plan: LogicalPlan,
        /// `IF NOT EXISTS`.
        if_not_exists: bool,
        /// `OR REPLACE`.
        or_replace: bool,
    },
    /// `INSERT [OVERWRITE] INTO table [(cols)] VALUES ... | query`.
    Insert {
        /// Table name.
        table: String,
        /// The rows to add.
        source: LogicalPlan,
        /// For each table column, the source column holding its values (`None`: NULL).
        columns: Vec<Option<usize>>,
        /// `INSERT OVERWRITE`: the rows replace the table's.
        overwrite: bool,
    },
    /// `UPDATE table SET ... [WHERE ...]`.
    Update {
        /// Table name.
        table: String,
        /// Every row of the table after the update, in the table's column order, then
        /// a BOOLEAN column ([`crate::sql::UPDATED_COLUMN`]): whether the row was updated.
        rows: LogicalPlan,
    },
    /// `DELETE FROM table [WHERE ...]`.
    Delete {
        /// Table name.
        table: String,
        /// The rows that stay (`None`: no row stays).
        keep: Option<LogicalPlan>,
    },
    /// `TRUNCATE [TABLE] [IF EXISTS] name`.
    Truncate {
        /// Table name.
        table: String,
        /// `IF EXISTS`.
        if_exists: bool,
    },
    /// `ALTER TABLE [IF EXISTS] name ADD/DROP/RENAME COLUMN ... | RENAME TO ...`.
    AlterTable {
        /// Table name.
        table: String,
        /// `IF EXISTS`.
        if_exists: bool,
        /// The change.
        op: AlterTableOp,
    },
    /// `CREATE [UNIQUE] INDEX [IF NOT EXISTS] [name] ON table (cols)`.
    CreateIndex {
        /// Index name.
        name: Option<String>,
        /// Table name.
        table: String,
        /// Column names.
        columns: Vec<String>,
        /// `UNIQUE`: a key the table's rows may not repeat.
        unique: bool,
        /// `IF NOT EXISTS`.
        if_not_exists: bool,
    },
    /// `DROP INDEX [IF EXISTS] name`.
    DropIndex {
        /// Index name.
        name: String,
        /// `IF EXISTS`.
        if_exists: bool,
    },
    /// `COPY (query) TO 'path' (options)` or `COPY table TO 'path' (options)`.
    CopyTo {
        /// The rows to write.
        plan: LogicalPlan,
        /// A file, or a folder of files.
        path: String,
        /// Options as written, keys lower-cased.
        options: Vec<(String, OptionValue)>,
    },
    /// `COPY table FROM 'path' (options)`.
    CopyFrom {
        /// Table name.
        table: String,
        /// A file, folder or glob.
        path: String,
        /// Options as written, keys lower-cased.
        options: Vec<(String, OptionValue)>,
    },
}

/// Plans SQL statements against a catalog.
pub struct SqlPlanner<'a> {
    pub(crate) catalog: &'a dyn Catalog,
    /// Where each resolved column was written, for errors raised after resolution.
    pub(crate) column_locations: RefCell<Vec<(Column, Location)>>,
    /// The input schemas of the queries enclosing the subquery being planned, outermost
    /// first: names not found in a subquery's own FROM resolve here, innermost first.
    pub(crate) outer_scopes: RefCell<Vec<Arc<crate::schema::PlanSchema>>>,
    /// The CTEs in scope of the SELECT being planned (innermost last), for subqueries
    /// inside its expressions.
    pub(crate) cte_scopes: RefCell<Vec<crate::sql::from::Ctes>>,
    /// The WINDOW clauses of the SELECT blocks being planned (innermost last).
    pub(crate) named_windows: RefCell<Vec<Vec<sqlparser::ast::NamedWindowDefinition>>>,
    /// How deep expressions may nest (see [`SqlPlanner::with_max_expression_depth`]).
    pub(crate) max_expression_depth: usize,
    /// How deep the expression being planned is nested right now.
    pub(crate) expression_depth: Cell<usize>,
    /// Derived tables written without an alias so far (each gets `unnamed_subquery[_n]`).
    pub(crate) unnamed_subqueries: std::cell::Cell<usize>,
}

/// How deep expressions may nest unless a planner is told otherwise.
pub const DEFAULT_MAX_EXPRESSION_DEPTH: usize = 1000;

impl<'a> SqlPlanner<'a> {
    /// A planner resolving names through `catalog`.
    pub fn new(catalog: &'a dyn Catalog) -> Self {
        SqlPlanner {
            catalog,
            column_locations: RefCell::new(Vec::new()),
            outer_scopes: RefCell::new(Vec::new()),
            cte_scopes: RefCell::new(Vec::new()),
            named_windows: RefCell::new(Vec::new()),
            max_expression_depth: DEFAULT_MAX_EXPRESSION_DEPTH,
            expression_depth: Cell::new(0),
            unnamed_subqueries: std::cell::Cell::new(0),
        }
    }

    /// Expressions may nest at most `depth` operators deep (parentheses alone do not
    /// count; a chain of ANDs or ORs counts once, since it is planned as a balanced
    /// tree); deeper ones are a planning error rather than a stack overflow.
    pub fn with_max_expression_depth(mut self, depth: usize) -> Self {
        self.max_expression_depth = depth;
        self
    }

    /// Plans one statement (a trailing `;` is allowed).
    pub fn plan_statement(&self, sql: &str) -> Result<Statement> {
        let tokens = Tokenizer::new(&GenericDialect {}, sql)
            .tokenize_with_location()
            .map_err(|e| PlanError::Parse {
                message: e.message.clone(),
                location: e.location.into(),
            })?;
        let words: Vec<TokenWithSpan> = tokens
            .iter()
            .filter(|t| !matches!(t.token, Token::Whitespace(_)))
            .cloned()
            .collect();
        if let Some(s) = own_statement(&words)? {
            return Ok(s);
        }
        if let Some(s) = self.plan_copy(sql)? {
            return Ok(s);
        }
        // sqlparser counts a level for each nested expression, query and statement, and
        // two for an operand in parentheses (`1 + (1 + ...)`): give it room for the
        // nesting the planner allows, so that the planner's limit is the one that speaks.
        let recursion_limit = self
            .max_expression_depth
            .saturating_mul(2)
            .saturating_add(64);
        let parser = Parser::new(&GenericDialect {}).with_recursion_limit(recursion_limit);
        let parser = match options_into_parentheses(&tokens) {
            Some(rewritten) => Ok(parser.with_tokens_with_locations(rewritten)),
            None => parser.try_with_sql(sql),
        };
        let statements = parser
            .and_then(|mut p| p.parse_statements())
            .map_err(|e| match e {
                ParserError::RecursionLimitExceeded => {
                    expression_depth_error(self.max_expression_depth, Location::default())
                }
                e => parse_error(e).with_location(end_of(sql)),
            })?;
        match statements.as_slice() {
            [one] => self.plan_parsed(one),
            [] => Err(PlanError::Parse {
                message: "empty statement".into(),
                location: Location::default(),
            }),
            [_, second, ..] => Err(PlanError::Parse {
                message: "expected one statement, found several".into(),
                location: loc(second),
            }),
        }
    }

    /// Plans a query's text to a logical plan.
    pub fn plan_query_text(&self, sql: &str) -> Result<LogicalPlan> {
        match self.plan_statement(sql)? {
            Statement::Query(plan) => Ok(plan),
            _ => Err(PlanError::plan("expected a query")),
        }
    }

    fn plan_parsed(&self, statement: &ast::Statement) -> Result<Statement> {
        use ast::Statement as S;
        match statement {
            S::Query(q) => Ok(Statement::Query(self.plan_top_query(q)?)),
            S::CreateView(v) => self.plan_create_view(v),
            S::CreateTable(c) => self.plan_create_table(c),
            S::AlterTable(a) => self.plan_alter_table(a),
            S::Truncate(t) => self.plan_truncate(t),
            S::CreateIndex(c) => self.plan_create_index(c),
            S::Insert(i) => self.plan_insert(i),
            S::Update(u) => self.plan_update(u),
            S::Delete(d) => self.plan_delete(d),
            S::Drop {
                object_type,
                if_exists,
                names,
                cascade,
                restrict,
                purge,
                temporary,
                table,
            } => {
                let [name] = names.as_slice() else {
                    return Err(unsupported("DROP of several objects", statement));
                };
                if *cascade || *restrict || *purge || *temporary || table.is_some() {
                    return Err(unsupported(format!("{statement}"), statement));
                }
                let name = object_name(name)?;
                match object_type {
                    ObjectType::Table => Ok(Statement::DropTable {
                        name,
                        if_exists: *if_exists,
                    }),
                    ObjectType::View => Ok(Statement::DropView {
                        name,
                        if_exists: *if_exists,
                    }),
                    ObjectType::Index => Ok(Statement::DropIndex {
                        name,
                        if_exists: *if_exists,
                    }),
                    other => Err(unsupported(format!("DROP {other}"), statement)),
                }
            }
            S::Set(set) => plan_set(set, statement),
            S::Reset(reset) => match &reset.reset {
                ast::Reset::ALL => Ok(Statement::Reset { key: None }),
                ast::Reset::ConfigurationParameter(name) => Ok(Statement::Reset {
                    key: Some(
                        name.0
                            .iter()
                            .map(|p| match p {
                                ast::ObjectNamePart::Identifier(id) => Ok(id.value.clone()),
                                other => Err(unsupported(format!("RESET name {other}"), statement)),
                            })
                            .collect::<Result<Vec<_>>>()?
                            .join("."),
                    ),
                }),
                other => Err(unsupported(format!("RESET {other:?}"), statement)),
            },
            S::ShowVariable { variable }
                if variable.len() == 1 && variable[0].value.eq_ignore_ascii_case("all") =>
            {
                Ok(Statement::ShowAll)
            }
            S::ShowTables {
                terse,
                history,
                extended,
                full,
                external,
                show_options,
            } => {
                if *terse
                    || *history
                    || *extended
                    || *full
                    || *external
                    || show_options.show_in.is_some()
                    || show_options.starts_with.is_some()
                    || show_options.limit.is_some()
                    || show_options.filter_position.is_some()
                {
                    return Err(unsupported(format!("{statement}"), statement));
                }
                Ok(Statement::ShowTables)
            }
            S::ShowColumns {
                extended,
                full,
                show_options,
            } => {
                let table = show_options
                    .show_in
                    .as_ref()
                    .and_then(|s| s.parent_name.as_ref());
                match table {
                    Some(t)
                        if !*extended
                            && !*full
                            && show_options.filter_position.is_none()
                            && show_options.starts_with.is_none()
                            && show_options.limit.is_none() =>
                    {
                        Ok(Statement::ShowColumns {
                            table: object_name(t)?,
                        })
                    }
                    _ => Err(unsupported(format!("{statement}"), statement)),
                }
            }
            S::ExplainTable {
                table_name,
                has_table_keyword: _,
                describe_alias: _,
                hive_format,
            } if hive_format.is_none() => Ok(Statement::ShowColumns {
                table: object_name(table_name)?,
            }),
            S::Explain {
                analyze,
                verbose,
                query_plan,
                estimate,
                statement: inner,
                format,
                options,
                describe_alias,
            } => {
                if *query_plan || *estimate {
                    return Err(unsupported(format!("{statement}"), statement));
                }
                let options = explain_options(
                    *analyze,
                    *verbose,
                    format.as_ref(),
                    options.as_deref(),
                    statement,
                )?;
                let ast::Statement::Query(q) = inner.as_ref() else {
                    return Err(unsupported(
                        format!("{describe_alias} of a statement other than a query"),
                        statement,
                    ));
                };
                if *describe_alias != ast::DescribeAlias::Explain {
                    if options != ExplainOptions::default() {
                        return Err(unsupported(format!("{statement}"), statement));
                    }
                    return Ok(Statement::DescribeQuery {
                        plan: self.plan_top_query(q)?,
                    });
                }
                Ok(Statement::Explain {
                    plan: self.plan_top_query(q)?,
                    analyze: options.analyze,
                    verbose: options.verbose,
                    format: options.format,
                })
            }
            other => Err(unsupported(statement_kind(other), other)),
        }
    }

    pub(crate) fn plan_top_query(&self, q: &ast::Query) -> Result<LogicalPlan> {
        let plan = self.plan_query(q, &Default::default())?;
        Ok(Arc::unwrap_or_clone(plan))
    }

    fn plan_create_view(&self, v: &ast::CreateView) -> Result<Statement> {
        if v.or_alter
            || v.materialized
            || v.secure
            || !v.columns.is_empty()
            || !matches!(v.options, ast::CreateTableOptions::None)
            || !v.cluster_by.is_empty()
            || v.comment.is_some()
            || v.with_no_schema_binding
            || v.if_not_exists
            || v.temporary
            || v.copy_grants
            || v.to.is_some()
            || v.params.is_some()
        {
            return Err(unsupported(
                "CREATE VIEW options (only CREATE [OR REPLACE] VIEW name AS query)",
                &v.name,
            ));
        }
        Ok(Statement::CreateView {
            name: object_name(&v.name)?,
            plan: self.plan_top_query(&v.query)?,
            or_replace: v.or_replace,
        })
    }
}

/// Where the text ends (for errors that sqlparser reports at end of input).
fn end_of(sql: &str) -> Location {
    let text = sql.trim_end();
    let line = text.lines().count().max(1) as u64;
    let column = text.lines().last().map(|l| l.chars().count()).unwrap_or(0) as u64 + 1;
    Location { line, column }
}

/// The first words of a statement kind, for "not supported" messages.
fn statement_kind(s: &ast::Statement) -> String {
    let text = s.to_string();
    let words: Vec<&str> = text.split_whitespace().take(2).collect();
    format!("statement {}", words.join(" "))
}

/// A one-part name as a string.
pub(crate) fn object_name(name: &ast::ObjectName) -> Result<String> {
    match name.0.as_slice() {
        [ast::ObjectNamePart::Identifier(id)] => Ok(id.value.clone()),
        _ => Err(unsupported(format!("qualified name '{name}'"), name)),
    }
}

fn plan_set(set: &ast::Set, statement: &ast::Statement) -> Result<Statement> {
    let ast::Set::SingleAssignment {
        scope: None,
        hivevar: false,
        variable,
        values,
    } = set
    else {
        return Err(unsupported(format!("{statement}"), statement));
    };
    let [value] = values.as_slice() else {
        return Err(unsupported("SET with several values", statement));
    };
    let value = match value {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) | ast::Value::DoubleQuotedString(s) => s.clone(),
            other => other.to_string(),
        },
        ast::Expr::Identifier(id) => id.value.clone(),
        ast::Expr::UnaryOp {
            op: ast::UnaryOperator::Minus,
            expr,
        } => format!("-{expr}"),
        other => other.to_string(),
    };
    let key = variable
        .0
        .iter()
        .map(|p| match p {
            ast::ObjectNamePart::Identifier(id) => Ok(id.value.clone()),
            other => Err(unsupported(format!("SET name {other}"), statement)),
        })
        .collect::<Result<Vec<_>>>()?
        .join(".");
    Ok(Statement::Set { key, value })
}
