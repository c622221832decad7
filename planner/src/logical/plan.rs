//! The logical plan enum. Each variant documents its shape in one line.

use std::fmt;
use std::sync::Arc;

use crate::catalog::TableSource;
use crate::expr::{Expr, SortExpr};
use crate::schema::{PlanSchema, PlanSchemaRef};

/// Join kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JoinKind {
    /// Matching pairs.
    Inner,
    /// Every left row, with NULLs where nothing matches.
    Left,
    /// Every right row, with NULLs where nothing matches.
    Right,
    /// Every row of both sides.
    Full,
    /// Left rows that have a match (left columns only).
    LeftSemi,
    /// Left rows that have no match (left columns only).
    LeftAnti,
    /// Left rows with no match, where a NULL key on either side counts as 'maybe' and so
    /// excludes the row — SQL's NOT IN; the build side must be seen whole (left columns
    /// only). With an empty right side every left row (even a NULL key) comes out.
    LeftAntiNullAware,
    /// Every left row once, then a BOOLEAN column `__mark`: TRUE when some right row
    /// matches (keys equal, filter true), else FALSE. EXISTS anywhere but a top-level
    /// AND term of WHERE.
    LeftMark,
    /// As [`JoinKind::LeftMark`], with SQL's three-valued IN on the first key pair
    /// `x = y` (the other keys and the filter match as usual, picking the right rows
    /// that count): TRUE when one of those rows has `y = x`; else NULL when there is
    /// one at all and `x` is NULL, or one has `y` NULL; else FALSE. `x IN (subquery)`
    /// anywhere but a top-level AND term of WHERE.
    LeftMarkNullAware,
    /// Every pair (no condition).
    Cross,
}

impl JoinKind {
    /// True when only the left side's columns come out.
    pub fn left_only(self) -> bool {
        matches!(
            self,
            JoinKind::LeftSemi | JoinKind::LeftAnti | JoinKind::LeftAntiNullAware
        )
    }

    /// True for mark joins: the left columns, then the boolean mark column.
    pub fn is_mark(self) -> bool {
        matches!(self, JoinKind::LeftMark | JoinKind::LeftMarkNullAware)
    }
}

/// The name of a mark join's last output column.
pub const MARK_COLUMN: &str = "__mark";

impl fmt::Display for JoinKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            JoinKind::Inner => "Inner",
            JoinKind::Left => "Left",
            JoinKind::Right => "Right",
            JoinKind::Full => "Full",
            JoinKind::LeftSemi => "LeftSemi",
            JoinKind::LeftAnti => "LeftAnti",
            JoinKind::LeftAntiNullAware => "LeftAntiNullAware",
            JoinKind::LeftMark => "LeftMark",
            JoinKind::LeftMarkNullAware => "LeftMarkNullAware",
            JoinKind::Cross => "Cross",
        };
        f.write_str(s)
    }
}

/// A relational operator tree.
#[derive(Debug, Clone)]
pub enum LogicalPlan {
    /// Scan(table) → the table's columns (`projection` picks and orders them; `filters`
    /// are predicates the source may use to skip data — they are still applied above).
    Scan {
        /// The name the table was registered under (also the columns' qualifier).
        table: String,
        /// The table.
        source: Arc<dyn TableSource>,
        /// Column indices of the source schema to read; `None` for all.
        projection: Option<Vec<usize>>,
        /// Pushed-down predicates over the scan's output columns.
        filters: Vec<Expr>,
        /// Output schema (after projection), qualified by `table`.
        schema: PlanSchemaRef,
    },
    /// Filter(input, predicate) → input's rows where predicate is true.
    Filter {
        /// Input.
        input: Arc<LogicalPlan>,
        /// Boolean predicate.
        predicate: Expr,
    },
    /// Projection(input, exprs) → one column per expression.
    Projection {
        /// Input.
        input: Arc<LogicalPlan>,
        /// Output expressions (aliased where named).
        exprs: Vec<Expr>,
        /// Output schema.
        schema: PlanSchemaRef,
    },
    /// Aggregate(input, group_by, aggregates) → group columns then aggregate columns.
    Aggregate {
        /// Input.
        input: Arc<LogicalPlan>,
        /// Grouping expressions.
        group_by: Vec<Expr>,
        /// Aggregate calls, possibly aliased.
        aggregates: Vec<Expr>,
        /// Output schema.
        schema: PlanSchemaRef,
    },
    /// Expand(input, projections) → every input row once per projection, each time
    /// with that projection's columns (GROUPING SETS: one projection per set, the
    /// expressions a set does not group by replaced by NULL, plus a grouping id).
    Expand {
        /// Input.
        input: Arc<LogicalPlan>,
        /// One list of output expressions per copy of each row; all of the same
        /// length and column types.
        projections: Vec<Vec<Expr>>,
        /// Output schema (names from the first projection).
        schema: PlanSchemaRef,
    },
    /// Join(left, right, on, filter) → left columns then right columns (left only for
    /// semi/anti; left then `__mark` for mark joins).
    Join {
        /// Left input.
        left: Arc<LogicalPlan>,
        /// Right input.
        right: Arc<LogicalPlan>,
        /// Kind.
        kind: JoinKind,
        /// Equi-join keys: (left expr, right expr).
        on: Vec<(Expr, Expr)>,
        /// Any further join condition over both sides' columns.
        filter: Option<Expr>,
        /// Output schema.
        schema: PlanSchemaRef,
    },
    /// Sort(input, keys) → input's rows ordered by keys.
    Sort {
        /// Input.
        input: Arc<LogicalPlan>,
        /// Keys, most significant first.
        keys: Vec<SortExpr>,
    },
    /// Limit(input, skip, fetch) → rows skip..skip+fetch of input.
    Limit {
        /// Input.
        input: Arc<LogicalPlan>,
        /// Rows to skip (OFFSET).
        skip: usize,
        /// Rows to return after skipping (LIMIT); `None` for all.
        fetch: Option<usize>,
    },
    /// Union(inputs) → every row of every input (UNION ALL), with the first input's names.
    Union {
        /// Inputs, all of the same column count and types.
        inputs: Vec<Arc<LogicalPlan>>,
        /// Output schema.
        schema: PlanSchemaRef,
    },
    /// Distinct(input) → input's rows without duplicates.
    Distinct {
        /// Input.
        input: Arc<LogicalPlan>,
    },
    /// Values(rows) → the literal rows.
    Values {
        /// Rows of constant expressions.
        rows: Vec<Vec<Expr>>,
        /// Output schema.
        schema: PlanSchemaRef,
    },
    /// SubqueryAlias(input, alias) → input's columns, requalified as `alias`.
    SubqueryAlias {
        /// Input.
        input: Arc<LogicalPlan>,
        /// The alias.
        alias: String,
        /// Output schema.
        schema: PlanSchemaRef,
    },
    /// Window(input, exprs) → input's columns, then one column per window call; every
    /// call has the same PARTITION BY and ORDER BY.
    Window {
        /// Input.
        input: Arc<LogicalPlan>,
        /// Window calls ([`Expr::Window`]), possibly aliased.
        exprs: Vec<Expr>,
        /// Output schema.
        schema: PlanSchemaRef,
    },
    /// RecursiveQuery(static, recursive) → the static term's rows, then the recursive
    /// term's rows run again and again over the previous round's new rows (read
    /// through [`LogicalPlan::WorkTable`]) until a round adds none.
    RecursiveQuery {
        /// The CTE's name (the work table's name).
        name: String,
        /// The non-recursive branch.
        static_term: Arc<LogicalPlan>,
        /// The branch that reads the work table.
        recursive_term: Arc<LogicalPlan>,
        /// UNION (drop rows already produced) rather than UNION ALL.
        distinct: bool,
        /// Output schema (the static term's, unqualified).
        schema: PlanSchemaRef,
    },
    /// WorkTable(name) → the rows the enclosing recursive query produced last round.
    WorkTable {
        /// The recursive CTE's name.
        name: String,
        /// Output schema.
        schema: PlanSchemaRef,
    },
    /// Empty(produce_one_row) → no columns, and one row or none (`SELECT 1` has one).
    Empty {
        /// One row when true.
        produce_one_row: bool,
        /// Output schema (no columns).
        schema: PlanSchemaRef,
    },
}

impl LogicalPlan {
    /// The output columns.
    pub fn schema(&self) -> PlanSchemaRef {
        match self {
            LogicalPlan::Scan { schema, .. }
            | LogicalPlan::Projection { schema, .. }
            | LogicalPlan::Aggregate { schema, .. }
            | LogicalPlan::Expand { schema, .. }
            | LogicalPlan::Join { schema, .. }
            | LogicalPlan::Union { schema, .. }
            | LogicalPlan::Values { schema, .. }
            | LogicalPlan::SubqueryAlias { schema, .. }
            | LogicalPlan::Window { schema, .. }
            | LogicalPlan::RecursiveQuery { schema, .. }
            | LogicalPlan::WorkTable { schema, .. }
            | LogicalPlan::Empty { schema, .. } => schema.clone(),
            LogicalPlan::Filter { input, .. }
            | LogicalPlan::Sort { input, .. }
            | LogicalPlan::Limit { input, .. }
            | LogicalPlan::Distinct { input } => input.schema(),
        }
    }

    /// The direct inputs.
    pub fn inputs(&self) -> Vec<&Arc<LogicalPlan>> {
        match self {
            LogicalPlan::Scan { .. }
            | LogicalPlan::Values { .. }
            | LogicalPlan::Empty { .. }
            | LogicalPlan::WorkTable { .. } => vec![],
            LogicalPlan::RecursiveQuery {
                static_term,
                recursive_term,
                ..
            } => vec![static_term, recursive_term],
            LogicalPlan::Window { input, .. }
            | LogicalPlan::Filter { input, .. }
            | LogicalPlan::Projection { input, .. }
            | LogicalPlan::Aggregate { input, .. }
            | LogicalPlan::Expand { input, .. }
            | LogicalPlan::Sort { input, .. }
            | LogicalPlan::Limit { input, .. }
            | LogicalPlan::Distinct { input }
            | LogicalPlan::SubqueryAlias { input, .. } => vec![input],
            LogicalPlan::Join { left, right, .. } => vec![left, right],
            LogicalPlan::Union { inputs, .. } => inputs.iter().collect(),
        }
    }

    /// The node's own expressions (not its inputs').
    pub fn expressions(&self) -> Vec<Expr> {
        match self {
            LogicalPlan::Scan { filters, .. } => filters.clone(),
            LogicalPlan::Filter { predicate, .. } => vec![predicate.clone()],
            LogicalPlan::Projection { exprs, .. } | LogicalPlan::Window { exprs, .. } => {
                exprs.clone()
            }
            LogicalPlan::Aggregate {
                group_by,
                aggregates,
                ..
            } => group_by.iter().chain(aggregates.iter()).cloned().collect(),
            LogicalPlan::Expand { projections, .. } => {
                projections.iter().flatten().cloned().collect()
            }
            LogicalPlan::Join { on, filter, .. } => on
                .iter()
                .flat_map(|(l, r)| [l.clone(), r.clone()])
                .chain(filter.iter().cloned())
                .collect(),
            LogicalPlan::Sort { keys, .. } => keys.iter().map(|k| k.expr.clone()).collect(),
            LogicalPlan::Values { rows, .. } => rows.iter().flatten().cloned().collect(),
            _ => vec![],
        }
    }

    /// The one-line description of this node for EXPLAIN.
    pub fn describe(&self) -> String {
        let list = |v: &[Expr]| {
            v.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            LogicalPlan::Scan {
                table,
                projection,
                filters,
                schema,
                ..
            } => {
                let mut s = format!("Scan: {table}");
                if projection.is_some() {
                    let cols: Vec<String> = schema
                        .fields
                        .iter()
                        .map(|f| crate::schema::display_name(&f.name).into_owned())
                        .collect();
                    s += &format!(" projection=[{}]", cols.join(", "));
                }
                if !filters.is_empty() {
                    s += &format!(" filters=[{}]", list(filters));
                }
                s
            }
            LogicalPlan::Filter { predicate, .. } => format!("Filter: {predicate}"),
            LogicalPlan::Projection { exprs, .. } => format!("Projection: {}", list(exprs)),
            LogicalPlan::Aggregate {
                group_by,
                aggregates,
                ..
            } => {
                format!(
                    "Aggregate: groupBy=[{}], aggr=[{}]",
                    list(group_by),
                    list(aggregates)
                )
            }
            LogicalPlan::Expand { projections, .. } => {
                let sets: Vec<String> = projections
                    .iter()
                    .map(|p| format!("[{}]", list(p)))
                    .collect();
                format!("Expand: {} sets: {}", projections.len(), sets.join(", "))
            }
            LogicalPlan::Join {
                kind, on, filter, ..
            } => {
                let mut keys: Vec<String> = on.iter().map(|(l, r)| format!("{l} = {r}")).collect();
                let mut s = format!("{kind} Join: ");
                if *kind == JoinKind::LeftMarkNullAware && !keys.is_empty() {
                    s += &format!("in=[{}] ", keys.remove(0));
                }
                s += &format!("on=[{}]", keys.join(", "));
                if let Some(f) = filter {
                    s += &format!(" filter={f}");
                }
                s
            }
            LogicalPlan::Sort { keys, .. } => {
                format!(
                    "Sort: {}",
                    keys.iter()
                        .map(|k| k.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            LogicalPlan::Limit { skip, fetch, .. } => match fetch {
                Some(n) => format!("Limit: skip={skip}, fetch={n}"),
                None => format!("Limit: skip={skip}, fetch=all"),
            },
            LogicalPlan::Union { inputs, .. } => format!("Union: {} inputs", inputs.len()),
            LogicalPlan::Distinct { .. } => "Distinct".to_string(),
            LogicalPlan::Values { rows, .. } => format!("Values: {} rows", rows.len()),
            LogicalPlan::SubqueryAlias { alias, .. } => format!("SubqueryAlias: {alias}"),
            LogicalPlan::Window { exprs, .. } => format!("Window: {}", list(exprs)),
            LogicalPlan::RecursiveQuery { name, distinct, .. } => format!(
                "RecursiveQuery: {name} ({})",
                if *distinct { "UNION" } else { "UNION ALL" }
            ),
            LogicalPlan::WorkTable { name, .. } => format!("WorkTable: {name}"),
            LogicalPlan::Empty {
                produce_one_row, ..
            } => format!("Empty: one_row={produce_one_row}"),
        }
    }

    /// Indented EXPLAIN text of the whole tree.
    pub fn display_indent(&self) -> String {
        self.display_indent_with(&|_| String::new())
    }

    /// Indented EXPLAIN text with `note(node)` appended to each node's line (when
    /// not empty), e.g. its estimated rows.
    pub fn display_indent_with(&self, note: &dyn Fn(&LogicalPlan) -> String) -> String {
        let mut out = String::new();
        self.write_indent(&mut out, 0, note);
        out
    }

    fn write_indent(&self, out: &mut String, depth: usize, note: &dyn Fn(&LogicalPlan) -> String) {
        out.push_str(&"  ".repeat(depth));
        out.push_str(&self.describe());
        let n = note(self);
        if !n.is_empty() {
            out.push_str("  ");
            out.push_str(&n);
        }
        out.push('\n');
        for e in self.expressions() {
            for sub in e.subqueries() {
                out.push_str(&"  ".repeat(depth + 1));
                out.push_str("Subquery:\n");
                sub.write_indent(out, depth + 2, note);
            }
        }
        for i in self.inputs() {
            i.write_indent(out, depth + 1, note);
        }
    }
}

/// Plans compare equal when they have the same output schema and the same EXPLAIN text
/// (expressions holding subqueries compare their plans this way).
impl PartialEq for LogicalPlan {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
            || (self.schema() == other.schema() && self.display_indent() == other.display_indent())
    }
}

impl fmt::Display for LogicalPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_indent())
    }
}

/// Qualifies a plan schema for `SubqueryAlias`.
pub fn alias_schema(input: &PlanSchema, alias: &str) -> PlanSchema {
    input.with_qualifier(alias)
}
