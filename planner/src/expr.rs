//! Logical expressions: what SQL and the DataFrame API say to compute, by column name.
//!
//! Types are derived against the input's [`crate::schema::PlanSchema`]; the analyzer
//! inserts the casts that [`crate::types`] asks for, so later stages see operands of
//! equal type.
//!
//! This file holds the [`Expr`] enum; the rest is in `expr/`:
//! - `column`, [`operator`], `sort_expr`: [`Column`], [`BinaryOp`], [`SortExpr`].
//! - `agg_func`, [`window`]: aggregate and window functions.
//! - `typing`: an expression's type, nullability and output name against a schema.
//! - `walk`: children, rewrites ([`Expr::transform_up`], [`Expr::transform_down`]), visits.
//! - `builders`: [`col`], [`lit`] and the combinators (`a.eq(b)`, `a.and(b)`, ...).
//! - `display`: the SQL-like text EXPLAIN shows.

use std::sync::Arc;

use arrow::datatypes::DataType;

use crate::logical::LogicalPlan;
use crate::scalar::ScalarValue;

mod agg_func;
mod builders;
mod column;
pub(crate) mod display;
pub mod operator;
mod sort_expr;
mod typing;
mod walk;
pub mod window;

pub use agg_func::AggFunc;
pub use builders::{col, lit};
pub use column::Column;
pub use operator::BinaryOp;
pub use sort_expr::SortExpr;
pub use typing::literal_args;
pub use window::{FrameBound, FrameUnits, WindowCall, WindowFrame, WindowFunc};

/// A logical expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A column by name.
    Column(Column),
    /// A constant.
    Literal(ScalarValue),
    /// `left op right`.
    Binary {
        /// Left operand.
        left: Box<Expr>,
        /// Operator.
        op: BinaryOp,
        /// Right operand.
        right: Box<Expr>,
    },
    /// `NOT expr`.
    Not(Box<Expr>),
    /// `-expr`.
    Negative(Box<Expr>),
    /// `expr IS NULL`.
    IsNull(Box<Expr>),
    /// `expr IS NOT NULL`.
    IsNotNull(Box<Expr>),
    /// `CASE [operand] WHEN .. THEN .. [ELSE ..] END`.
    Case {
        /// The operand of a simple CASE.
        operand: Option<Box<Expr>>,
        /// WHEN/THEN pairs.
        when_then: Vec<(Expr, Expr)>,
        /// ELSE branch (NULL when absent).
        else_expr: Option<Box<Expr>>,
    },
    /// `CAST(expr AS type)`.
    Cast {
        /// Input.
        expr: Box<Expr>,
        /// Target type.
        data_type: DataType,
    },
    /// `expr [NOT] IN (list)`.
    InList {
        /// Tested value.
        expr: Box<Expr>,
        /// Candidates.
        list: Vec<Expr>,
        /// NOT IN when true.
        negated: bool,
    },
    /// `expr [NOT] BETWEEN low AND high`.
    Between {
        /// Tested value.
        expr: Box<Expr>,
        /// NOT BETWEEN when true.
        negated: bool,
        /// Lower bound (inclusive).
        low: Box<Expr>,
        /// Upper bound (inclusive).
        high: Box<Expr>,
    },
    /// `expr [NOT] LIKE pattern` (`ILIKE` when case_insensitive).
    Like {
        /// Tested string.
        expr: Box<Expr>,
        /// Pattern with `%` and `_`.
        pattern: Box<Expr>,
        /// NOT LIKE when true.
        negated: bool,
        /// ILIKE when true.
        case_insensitive: bool,
        /// The character that makes the next one literal: `\` unless `ESCAPE 'c'`
        /// names another; `None` after `ESCAPE ''` (no escapes).
        escape: Option<char>,
    },
    /// A scalar function call, by lower-case name (see [`crate::functions`]).
    Function {
        /// Function name.
        name: String,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// An aggregate call; only valid in an Aggregate node's aggregate list.
    Aggregate {
        /// The function.
        func: AggFunc,
        /// Arguments (empty for `count(*)`).
        args: Vec<Expr>,
        /// `DISTINCT` inside the call.
        distinct: bool,
    },
    /// `expr AS name`.
    Alias {
        /// The expression.
        expr: Box<Expr>,
        /// Output name.
        name: String,
    },
    /// `(SELECT ...)` used as a value: the subquery's one column of its one row (NULL
    /// when it has no rows). Decorrelation turns it into a join before execution.
    ScalarSubquery(Arc<LogicalPlan>),
    /// `expr [NOT] IN (SELECT ...)` over the subquery's one column.
    InSubquery {
        /// Tested value.
        expr: Box<Expr>,
        /// The subquery (one column).
        subquery: Arc<LogicalPlan>,
        /// NOT IN when true.
        negated: bool,
    },
    /// `[NOT] EXISTS (SELECT ...)`.
    Exists {
        /// The subquery.
        subquery: Arc<LogicalPlan>,
        /// NOT EXISTS when true.
        negated: bool,
    },
    /// A column of an enclosing query, referenced from inside a subquery (correlation).
    OuterColumn {
        /// The enclosing query's column, fully qualified.
        column: Column,
        /// Its type.
        data_type: DataType,
    },
    /// A window function call; only valid in a Window node's expression list.
    Window(Box<WindowCall>),
    /// `GROUPING(a, b, ..)`: a bit per argument, set when that grouping expression is
    /// rolled up in the current grouping set (the first argument is the highest bit).
    /// The SQL planner replaces it by a column or a constant.
    Grouping(Vec<Expr>),
}

/// The escape character of LIKE patterns without an ESCAPE clause.
pub const DEFAULT_LIKE_ESCAPE: char = '\\';
