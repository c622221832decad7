//! Logical expressions: what SQL and the DataFrame API say to compute, by column name.
//!
//! Types are derived against the input's [`PlanSchema`]; the analyzer inserts the
//! casts that [`crate::types`] asks for, so later stages see operands of equal type.

use std::fmt;
use std::sync::Arc;

use arrow::datatypes::DataType;

use crate::error::{PlanError, Result};
use crate::functions;
use crate::logical::LogicalPlan;
use crate::scalar::ScalarValue;
use crate::schema::PlanSchema;
use crate::types::{self, SqlType};

mod agg_func;
mod display;
pub mod window;

pub use window::{FrameBound, FrameUnits, WindowCall, WindowFrame, WindowFunc};

pub use agg_func::AggFunc;

/// A column reference, optionally qualified by a table name or alias.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Column {
    /// Table or alias.
    pub relation: Option<String>,
    /// Column name.
    pub name: String,
}

impl Column {
    /// An unqualified column.
    pub fn new(name: impl Into<String>) -> Self {
        Column {
            relation: None,
            name: name.into(),
        }
    }
    /// A qualified column.
    pub fn qualified(relation: impl Into<String>, name: impl Into<String>) -> Self {
        Column {
            relation: Some(relation.into()),
            name: name.into(),
        }
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = crate::schema::display_name(&self.name);
        match &self.relation {
            Some(r) => write!(f, "{r}.{name}"),
            None => write!(f, "{name}"),
        }
    }
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Multiply,
    /// `/`
    Divide,
    /// `%`
    Modulo,
    /// `=`
    Eq,
    /// `<>`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `AND`
    And,
    /// `OR`
    Or,
    /// `||`
    StringConcat,
}

impl BinaryOp {
    /// `=`, `<>`, `<`, `<=`, `>`, `>=`.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq
                | BinaryOp::NotEq
                | BinaryOp::Lt
                | BinaryOp::LtEq
                | BinaryOp::Gt
                | BinaryOp::GtEq
        )
    }
    /// AND, OR.
    pub fn is_logical(self) -> bool {
        matches!(self, BinaryOp::And | BinaryOp::Or)
    }
    /// The operator with its operands swapped (`a < b` is `b > a`).
    pub fn swap(self) -> BinaryOp {
        match self {
            BinaryOp::Lt => BinaryOp::Gt,
            BinaryOp::LtEq => BinaryOp::GtEq,
            BinaryOp::Gt => BinaryOp::Lt,
            BinaryOp::GtEq => BinaryOp::LtEq,
            other => other,
        }
    }
}

impl fmt::Display for BinaryOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            BinaryOp::Plus => "+",
            BinaryOp::Minus => "-",
            BinaryOp::Multiply => "*",
            BinaryOp::Divide => "/",
            BinaryOp::Modulo => "%",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::And => "AND",
            BinaryOp::Or => "OR",
            BinaryOp::StringConcat => "||",
        };
        f.write_str(s)
    }
}

/// A sort key.
#[derive(Debug, Clone, PartialEq)]
pub struct SortExpr {
    /// What to sort by.
    pub expr: Expr,
    /// Ascending when true.
    pub asc: bool,
    /// NULLs before other values when true.
    pub nulls_first: bool,
}

impl SortExpr {
    /// A sort key; NULLs sort as larger than any value (last ascending, first descending).
    pub fn new(expr: Expr, asc: bool) -> Self {
        SortExpr {
            expr,
            asc,
            nulls_first: !asc,
        }
    }
}

impl fmt::Display for SortExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.expr,
            if self.asc { "ASC" } else { "DESC" },
            if self.nulls_first {
                "NULLS FIRST"
            } else {
                "NULLS LAST"
            }
        )
    }
}

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

impl Expr {
    /// The result type against the input schema.
    pub fn data_type(&self, schema: &PlanSchema) -> Result<DataType> {
        Ok(match self {
            Expr::Column(c) => schema
                .field(schema.index_of(c.relation.as_deref(), &c.name)?)
                .data_type
                .clone(),
            Expr::Literal(v) => v.data_type(),
            Expr::Binary { left, op, right } => {
                let (l, r) = types::coerce_binary_operands(
                    &left.data_type(schema)?,
                    *op,
                    &right.data_type(schema)?,
                )
                .map_err(|e| in_expr(e, self))?;
                types::binary_result_type(&l, *op, &r).map_err(|e| in_expr(e, self))?
            }
            Expr::Not(_) | Expr::IsNull(_) | Expr::IsNotNull(_) => DataType::Boolean,
            Expr::InList { .. } | Expr::Between { .. } | Expr::Like { .. } => DataType::Boolean,
            Expr::Negative(e) => e.data_type(schema)?,
            Expr::Case {
                when_then,
                else_expr,
                ..
            } => {
                let mut t = DataType::Null;
                for (_, then) in when_then {
                    let tt = then.data_type(schema)?;
                    t = types::common_type(&t, &tt).ok_or_else(|| {
                        in_expr(
                            PlanError::type_mismatch(format!(
                                "CASE branches have types {} and {}",
                                SqlType(&t),
                                SqlType(&tt)
                            )),
                            self,
                        )
                    })?;
                }
                if let Some(e) = else_expr {
                    let et = e.data_type(schema)?;
                    t = types::common_type(&t, &et).ok_or_else(|| {
                        in_expr(
                            PlanError::type_mismatch(format!(
                                "CASE branches have types {} and {}",
                                SqlType(&t),
                                SqlType(&et)
                            )),
                            self,
                        )
                    })?;
                }
                t
            }
            Expr::Cast { data_type, .. } => data_type.clone(),
            Expr::Function { name, args } => {
                let arg_types = args
                    .iter()
                    .map(|a| a.data_type(schema))
                    .collect::<Result<Vec<_>>>()?;
                functions::return_type(name, &arg_types).map_err(|e| in_expr(e, self))?
            }
            Expr::Aggregate { func, args, .. } => {
                let arg = match args.first() {
                    Some(a) => Some(a.data_type(schema)?),
                    None => None,
                };
                func.return_type(arg.as_ref())?
            }
            Expr::Alias { expr, .. } => expr.data_type(schema)?,
            Expr::ScalarSubquery(plan) => match plan.schema().fields.first() {
                Some(f) => f.data_type.clone(),
                None => {
                    return Err(PlanError::plan(
                        "scalar subquery must return one column, it returns none",
                    ));
                }
            },
            Expr::InSubquery { .. } | Expr::Exists { .. } => DataType::Boolean,
            Expr::OuterColumn { data_type, .. } => data_type.clone(),
            Expr::Window(w) => w.data_type(schema).map_err(|e| in_expr(e, self))?,
            Expr::Grouping(_) => DataType::Int64,
        })
    }

    /// Whether the result may be NULL.
    pub fn nullable(&self, schema: &PlanSchema) -> Result<bool> {
        Ok(match self {
            Expr::Column(c) => {
                schema
                    .field(schema.index_of(c.relation.as_deref(), &c.name)?)
                    .nullable
            }
            Expr::Literal(v) => v.is_null(),
            Expr::IsNull(_) | Expr::IsNotNull(_) => false,
            Expr::Aggregate {
                func: AggFunc::Count,
                ..
            } => false,
            Expr::Aggregate { .. } => true,
            Expr::Alias { expr, .. }
            | Expr::Cast { expr, .. }
            | Expr::Negative(expr)
            | Expr::Not(expr) => expr.nullable(schema)?,
            Expr::Binary { left, op, right } => {
                left.nullable(schema)?
                    || right.nullable(schema)?
                    || matches!(op, BinaryOp::Divide | BinaryOp::Modulo)
            }
            Expr::Case { .. } | Expr::Function { .. } => true,
            Expr::InList { expr, list, .. } => {
                expr.nullable(schema)? || list.iter().any(|e| e.nullable(schema).unwrap_or(true))
            }
            Expr::Between {
                expr, low, high, ..
            } => expr.nullable(schema)? || low.nullable(schema)? || high.nullable(schema)?,
            Expr::Like { expr, pattern, .. } => {
                expr.nullable(schema)? || pattern.nullable(schema)?
            }
            Expr::ScalarSubquery(_) | Expr::InSubquery { .. } | Expr::OuterColumn { .. } => true,
            Expr::Exists { .. } | Expr::Grouping(_) => false,
            Expr::Window(w) => !matches!(
                w.func,
                WindowFunc::Aggregate(AggFunc::Count)
                    | WindowFunc::RowNumber
                    | WindowFunc::Rank
                    | WindowFunc::DenseRank
                    | WindowFunc::PercentRank
                    | WindowFunc::CumeDist
                    | WindowFunc::Ntile
            ),
        })
    }

    /// The column name this expression produces in a projection.
    pub fn output_name(&self) -> String {
        match self {
            Expr::Alias { name, .. } => name.clone(),
            Expr::Column(c) => c.name.clone(),
            other => other.to_string(),
        }
    }

    /// The expression under any aliases.
    pub fn unalias(&self) -> &Expr {
        match self {
            Expr::Alias { expr, .. } => expr.unalias(),
            e => e,
        }
    }

    /// The direct children.
    pub fn children(&self) -> Vec<&Expr> {
        match self {
            Expr::Column(_)
            | Expr::Literal(_)
            | Expr::ScalarSubquery(_)
            | Expr::Exists { .. }
            | Expr::OuterColumn { .. } => vec![],
            Expr::InSubquery { expr, .. } => vec![expr],
            Expr::Binary { left, right, .. } => vec![left, right],
            Expr::Not(e) | Expr::Negative(e) | Expr::IsNull(e) | Expr::IsNotNull(e) => vec![e],
            Expr::Cast { expr, .. } | Expr::Alias { expr, .. } => vec![expr],
            Expr::Case {
                operand,
                when_then,
                else_expr,
            } => {
                let mut v: Vec<&Expr> = operand.iter().map(|b| b.as_ref()).collect();
                for (w, t) in when_then {
                    v.push(w);
                    v.push(t);
                }
                v.extend(else_expr.iter().map(|b| b.as_ref()));
                v
            }
            Expr::InList { expr, list, .. } => {
                std::iter::once(expr.as_ref()).chain(list.iter()).collect()
            }
            Expr::Between {
                expr, low, high, ..
            } => vec![expr, low, high],
            Expr::Like { expr, pattern, .. } => vec![expr, pattern],
            Expr::Function { args, .. } | Expr::Aggregate { args, .. } | Expr::Grouping(args) => {
                args.iter().collect()
            }
            Expr::Window(w) => w
                .args
                .iter()
                .chain(&w.partition_by)
                .chain(w.order_by.iter().map(|o| &o.expr))
                .collect(),
        }
    }

    /// Rebuilds this node with each child replaced by `f(child)`.
    pub fn map_children(self, mut f: impl FnMut(Expr) -> Result<Expr>) -> Result<Expr> {
        let mut b = |e: Box<Expr>| -> Result<Box<Expr>> { Ok(Box::new(f(*e)?)) };
        Ok(match self {
            Expr::Column(_)
            | Expr::Literal(_)
            | Expr::ScalarSubquery(_)
            | Expr::Exists { .. }
            | Expr::OuterColumn { .. } => self,
            Expr::InSubquery {
                expr,
                subquery,
                negated,
            } => Expr::InSubquery {
                expr: b(expr)?,
                subquery,
                negated,
            },
            Expr::Binary { left, op, right } => Expr::Binary {
                left: b(left)?,
                op,
                right: b(right)?,
            },
            Expr::Not(e) => Expr::Not(b(e)?),
            Expr::Negative(e) => Expr::Negative(b(e)?),
            Expr::IsNull(e) => Expr::IsNull(b(e)?),
            Expr::IsNotNull(e) => Expr::IsNotNull(b(e)?),
            Expr::Cast { expr, data_type } => Expr::Cast {
                expr: b(expr)?,
                data_type,
            },
            Expr::Alias { expr, name } => Expr::Alias {
                expr: b(expr)?,
                name,
            },
            Expr::Case {
                operand,
                when_then,
                else_expr,
            } => Expr::Case {
                operand: operand.map(&mut b).transpose()?,
                when_then: when_then
                    .into_iter()
                    .map(|(w, t)| Ok((*b(Box::new(w))?, *b(Box::new(t))?)))
                    .collect::<Result<_>>()?,
                else_expr: else_expr.map(&mut b).transpose()?,
            },
            Expr::InList {
                expr,
                list,
                negated,
            } => Expr::InList {
                expr: b(expr)?,
                list: list
                    .into_iter()
                    .map(|e| b(Box::new(e)).map(|x| *x))
                    .collect::<Result<_>>()?,
                negated,
            },
            Expr::Between {
                expr,
                negated,
                low,
                high,
            } => Expr::Between {
                expr: b(expr)?,
                negated,
                low: b(low)?,
                high: b(high)?,
            },
            Expr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
            } => Expr::Like {
                expr: b(expr)?,
                pattern: b(pattern)?,
                negated,
                case_insensitive,
            },
            Expr::Function { name, args } => Expr::Function {
                name,
                args: args
                    .into_iter()
                    .map(|e| b(Box::new(e)).map(|x| *x))
                    .collect::<Result<_>>()?,
            },
            Expr::Aggregate {
                func,
                args,
                distinct,
            } => Expr::Aggregate {
                func,
                args: args
                    .into_iter()
                    .map(|e| b(Box::new(e)).map(|x| *x))
                    .collect::<Result<_>>()?,
                distinct,
            },
            Expr::Grouping(args) => Expr::Grouping(
                args.into_iter()
                    .map(|e| b(Box::new(e)).map(|x| *x))
                    .collect::<Result<_>>()?,
            ),
            Expr::Window(w) => {
                let WindowCall {
                    func,
                    args,
                    partition_by,
                    order_by,
                    frame,
                } = *w;
                let args = args
                    .into_iter()
                    .map(|e| b(Box::new(e)).map(|x| *x))
                    .collect::<Result<_>>()?;
                let partition_by = partition_by
                    .into_iter()
                    .map(|e| b(Box::new(e)).map(|x| *x))
                    .collect::<Result<_>>()?;
                let order_by = order_by
                    .into_iter()
                    .map(|o| {
                        Ok(SortExpr {
                            expr: *b(Box::new(o.expr))?,
                            ..o
                        })
                    })
                    .collect::<Result<_>>()?;
                Expr::Window(Box::new(WindowCall {
                    func,
                    args,
                    partition_by,
                    order_by,
                    frame,
                }))
            }
        })
    }

    /// Rewrites bottom-up: children first, then `f` on the rebuilt node.
    pub fn transform_up(self, f: &mut impl FnMut(Expr) -> Result<Expr>) -> Result<Expr> {
        let node = self.map_children(|c| c.transform_up(f))?;
        f(node)
    }

    /// Rewrites top-down: `f` on this node, then on the children of its result.
    /// `f` returns `(expr, recurse)`; with `recurse == false` the children are left alone.
    pub fn transform_down(self, f: &mut impl FnMut(Expr) -> Result<(Expr, bool)>) -> Result<Expr> {
        let (node, recurse) = f(self)?;
        if recurse {
            node.map_children(|c| c.transform_down(f))
        } else {
            Ok(node)
        }
    }

    /// Calls `f` on every node, parents before children.
    pub fn visit(&self, f: &mut impl FnMut(&Expr)) {
        f(self);
        for c in self.children() {
            c.visit(f);
        }
    }

    /// Every column this expression reads.
    pub fn columns(&self) -> Vec<Column> {
        let mut out = Vec::new();
        self.visit(&mut |e| {
            if let Expr::Column(c) = e
                && !out.contains(c)
            {
                out.push(c.clone());
            }
        });
        out
    }

    /// True when a subquery expression appears anywhere inside (not looking into the
    /// subqueries' own plans).
    pub fn contains_subquery(&self) -> bool {
        let mut found = false;
        self.visit(&mut |e| {
            found |= matches!(
                e,
                Expr::ScalarSubquery(_) | Expr::InSubquery { .. } | Expr::Exists { .. }
            )
        });
        found
    }

    /// True when an outer column reference appears anywhere inside (not looking into
    /// subqueries' plans).
    pub fn contains_outer_column(&self) -> bool {
        let mut found = false;
        self.visit(&mut |e| found |= matches!(e, Expr::OuterColumn { .. }));
        found
    }

    /// The plans of the subquery expressions inside, outermost first.
    pub fn subqueries(&self) -> Vec<Arc<LogicalPlan>> {
        let mut out = Vec::new();
        self.visit(&mut |e| match e {
            Expr::ScalarSubquery(p)
            | Expr::InSubquery { subquery: p, .. }
            | Expr::Exists { subquery: p, .. } => out.push(p.clone()),
            _ => {}
        });
        out
    }

    /// True when an aggregate call appears anywhere inside.
    pub fn contains_aggregate(&self) -> bool {
        let mut found = false;
        self.visit(&mut |e| found |= matches!(e, Expr::Aggregate { .. }));
        found
    }

    /// True when a window call appears anywhere inside.
    pub fn contains_window(&self) -> bool {
        let mut found = false;
        self.visit(&mut |e| found |= matches!(e, Expr::Window(_)));
        found
    }

    /// Splits `a AND b AND c` into `[a, b, c]`.
    pub fn split_conjunction(self) -> Vec<Expr> {
        match self {
            Expr::Binary {
                left,
                op: BinaryOp::And,
                right,
            } => {
                let mut v = left.split_conjunction();
                v.extend(right.split_conjunction());
                v
            }
            Expr::Alias { expr, .. } => expr.split_conjunction(),
            e => vec![e],
        }
    }

    /// Joins predicates with AND; `None` for an empty list.
    pub fn conjunction(exprs: impl IntoIterator<Item = Expr>) -> Option<Expr> {
        exprs.into_iter().reduce(|a, b| a.and(b))
    }

    /// `self AS name`.
    pub fn alias(self, name: impl Into<String>) -> Expr {
        Expr::Alias {
            expr: Box::new(self.unalias().clone()),
            name: name.into(),
        }
    }

    fn binary(self, op: BinaryOp, other: Expr) -> Expr {
        Expr::Binary {
            left: Box::new(self),
            op,
            right: Box::new(other),
        }
    }

    /// `self = other`
    pub fn eq(self, other: Expr) -> Expr {
        self.binary(BinaryOp::Eq, other)
    }
    /// `self <> other`
    pub fn not_eq(self, other: Expr) -> Expr {
        self.binary(BinaryOp::NotEq, other)
    }
    /// `self < other`
    pub fn lt(self, other: Expr) -> Expr {
        self.binary(BinaryOp::Lt, other)
    }
    /// `self <= other`
    pub fn lt_eq(self, other: Expr) -> Expr {
        self.binary(BinaryOp::LtEq, other)
    }
    /// `self > other`
    pub fn gt(self, other: Expr) -> Expr {
        self.binary(BinaryOp::Gt, other)
    }
    /// `self >= other`
    pub fn gt_eq(self, other: Expr) -> Expr {
        self.binary(BinaryOp::GtEq, other)
    }
    /// `self AND other`
    pub fn and(self, other: Expr) -> Expr {
        self.binary(BinaryOp::And, other)
    }
    /// `self OR other`
    pub fn or(self, other: Expr) -> Expr {
        self.binary(BinaryOp::Or, other)
    }
    /// `self + other`
    #[allow(clippy::should_implement_trait)] // builder style, as in `col("a").add(lit(1))`
    pub fn add(self, other: Expr) -> Expr {
        self.binary(BinaryOp::Plus, other)
    }
    /// `self - other`
    #[allow(clippy::should_implement_trait)] // builder style, as in `col("a").sub(lit(1))`
    pub fn sub(self, other: Expr) -> Expr {
        self.binary(BinaryOp::Minus, other)
    }
    /// `self * other`
    #[allow(clippy::should_implement_trait)] // builder style, as in `col("a").mul(lit(1))`
    pub fn mul(self, other: Expr) -> Expr {
        self.binary(BinaryOp::Multiply, other)
    }
    /// `self / other`
    #[allow(clippy::should_implement_trait)] // builder style, as in `col("a").div(lit(1))`
    pub fn div(self, other: Expr) -> Expr {
        self.binary(BinaryOp::Divide, other)
    }
    /// `self BETWEEN low AND high`
    pub fn between(self, low: Expr, high: Expr) -> Expr {
        Expr::Between {
            expr: Box::new(self),
            negated: false,
            low: Box::new(low),
            high: Box::new(high),
        }
    }
    /// `self LIKE pattern`
    pub fn like(self, pattern: Expr) -> Expr {
        Expr::Like {
            expr: Box::new(self),
            pattern: Box::new(pattern),
            negated: false,
            case_insensitive: false,
        }
    }
    /// `self IN (list)`
    pub fn in_list(self, list: Vec<Expr>) -> Expr {
        Expr::InList {
            expr: Box::new(self),
            list,
            negated: false,
        }
    }
    /// `self IS NULL`
    pub fn is_null(self) -> Expr {
        Expr::IsNull(Box::new(self))
    }
    /// `self IS NOT NULL`
    pub fn is_not_null(self) -> Expr {
        Expr::IsNotNull(Box::new(self))
    }
    /// `CAST(self AS data_type)`
    pub fn cast(self, data_type: DataType) -> Expr {
        Expr::Cast {
            expr: Box::new(self),
            data_type,
        }
    }
    /// Ascending sort key.
    pub fn sort_asc(self) -> SortExpr {
        SortExpr::new(self, true)
    }
    /// Descending sort key.
    pub fn sort_desc(self) -> SortExpr {
        SortExpr::new(self, false)
    }
}

/// Adds the expression's text to a type error so the user sees where it happened.
fn in_expr(e: PlanError, expr: &Expr) -> PlanError {
    match e {
        PlanError::TypeMismatch { message, location } if !message.contains(" in '") => {
            PlanError::TypeMismatch {
                message: format!("{message} in '{expr}'"),
                location,
            }
        }
        e => e,
    }
}

/// A column reference: `col("l_orderkey")` or `col("l.l_orderkey")`.
pub fn col(name: &str) -> Expr {
    match name.split_once('.') {
        Some((r, n)) => Expr::Column(Column::qualified(r, n)),
        None => Expr::Column(Column::new(name)),
    }
}

/// A literal.
pub fn lit(value: impl Into<ScalarValue>) -> Expr {
    Expr::Literal(value.into())
}

impl From<i64> for ScalarValue {
    fn from(v: i64) -> Self {
        ScalarValue::Int64(Some(v))
    }
}
impl From<i32> for ScalarValue {
    fn from(v: i32) -> Self {
        ScalarValue::Int64(Some(v as i64))
    }
}
impl From<f64> for ScalarValue {
    fn from(v: f64) -> Self {
        ScalarValue::Float64(Some(v))
    }
}
impl From<bool> for ScalarValue {
    fn from(v: bool) -> Self {
        ScalarValue::Boolean(Some(v))
    }
}
impl From<&str> for ScalarValue {
    fn from(v: &str) -> Self {
        ScalarValue::Utf8(Some(v.to_string()))
    }
}
impl From<String> for ScalarValue {
    fn from(v: String) -> Self {
        ScalarValue::Utf8(Some(v))
    }
}
