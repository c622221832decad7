//! How expressions print: the SQL-like text EXPLAIN shows, with operands that are
//! themselves operators in parentheses (a chain of ANDs or ORs prints flat, whatever the
//! shape of its tree) and subqueries as `<subquery: columns>` (their
//! plans print under the node holding them, see [`LogicalPlan::display_indent`]).
//! The CASE and IN list forms are shared with the physical expressions' text.

use std::fmt;

use crate::expr::Expr;
use crate::logical::LogicalPlan;
use crate::scalar::ScalarValue;

/// `CASE [operand] WHEN w THEN t ... [ELSE e] END`, for logical and physical expressions.
pub(crate) fn write_case<E: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    operand: Option<&E>,
    when_then: &[(E, E)],
    else_expr: Option<&E>,
) -> fmt::Result {
    write!(f, "CASE")?;
    if let Some(o) = operand {
        write!(f, " {o}")?;
    }
    for (w, t) in when_then {
        write!(f, " WHEN {w} THEN {t}")?;
    }
    if let Some(e) = else_expr {
        write!(f, " ELSE {e}")?;
    }
    write!(f, " END")
}

/// `expr [NOT ]IN (a, b, ...)`, for logical and physical expressions.
pub(crate) fn write_in_list<E: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    expr: impl fmt::Display,
    negated: bool,
    list: &[E],
) -> fmt::Result {
    let items: Vec<String> = list.iter().map(|e| e.to_string()).collect();
    write!(
        f,
        "{expr} {}IN ({})",
        if negated { "NOT " } else { "" },
        items.join(", ")
    )
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Column(c) => write!(f, "{c}"),
            Expr::Literal(v) => write!(f, "{v}"),
            Expr::Binary { op, .. } if op.is_logical() => {
                // A chain of ANDs (or ORs) prints flat, whatever shape the tree has.
                for (i, operand) in self.chain_operands(*op).into_iter().enumerate() {
                    if i > 0 {
                        write!(f, " {op} ")?;
                    }
                    write!(f, "{}", Paren(operand))?;
                }
                Ok(())
            }
            Expr::Binary { left, op, right } => write!(f, "{} {op} {}", Paren(left), Paren(right)),
            Expr::Not(e) => write!(f, "NOT {}", Paren(e)),
            Expr::Negative(e) => write!(f, "-{}", Paren(e)),
            Expr::IsNull(e) => write!(f, "{} IS NULL", Paren(e)),
            Expr::IsNotNull(e) => write!(f, "{} IS NOT NULL", Paren(e)),
            Expr::Case {
                operand,
                when_then,
                else_expr,
            } => write_case(f, operand.as_deref(), when_then, else_expr.as_deref()),
            Expr::Cast { expr, data_type } => {
                write!(f, "CAST({expr} AS {})", crate::types::SqlType(data_type))
            }
            Expr::InList {
                expr,
                list,
                negated,
            } => write_in_list(f, Paren(expr), *negated, list),
            Expr::Between {
                expr,
                negated,
                low,
                high,
            } => write!(
                f,
                "{} {}BETWEEN {} AND {}",
                Paren(expr),
                if *negated { "NOT " } else { "" },
                Paren(low),
                Paren(high)
            ),
            Expr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
                escape,
            } => {
                write!(
                    f,
                    "{} {}{} {}",
                    Paren(expr),
                    if *negated { "NOT " } else { "" },
                    if *case_insensitive { "ILIKE" } else { "LIKE" },
                    Paren(pattern)
                )?;
                match escape {
                    Some(crate::expr::DEFAULT_LIKE_ESCAPE) => Ok(()),
                    Some(c) => write!(f, " ESCAPE {}", ScalarValue::Utf8(Some(c.to_string()))),
                    None => write!(f, " ESCAPE ''"),
                }
            }
            Expr::Function { name, args } => {
                let a: Vec<String> = args.iter().map(|e| e.to_string()).collect();
                write!(f, "{name}({})", a.join(", "))
            }
            Expr::Aggregate {
                func,
                args,
                distinct,
            } => {
                let a: Vec<String> = args.iter().map(|e| e.to_string()).collect();
                let a = if a.is_empty() {
                    "*".to_string()
                } else {
                    a.join(", ")
                };
                write!(
                    f,
                    "{}({}{a})",
                    func.name(),
                    if *distinct { "DISTINCT " } else { "" }
                )
            }
            Expr::Alias { expr, name } => {
                write!(f, "{expr} AS {}", crate::schema::display_name(name))
            }
            Expr::ScalarSubquery(plan) => write!(f, "({})", SubqueryText(plan)),
            Expr::InSubquery {
                expr,
                subquery,
                negated,
            } => write!(
                f,
                "{} {}IN ({})",
                Paren(expr),
                if *negated { "NOT " } else { "" },
                SubqueryText(subquery)
            ),
            Expr::Exists { subquery, negated } => write!(
                f,
                "{}EXISTS ({})",
                if *negated { "NOT " } else { "" },
                SubqueryText(subquery)
            ),
            Expr::OuterColumn { column, .. } => write!(f, "outer({column})"),
            Expr::Window(w) => write!(f, "{w}"),
            Expr::Grouping(args) => {
                let a: Vec<String> = args.iter().map(|e| e.to_string()).collect();
                write!(f, "grouping({})", a.join(", "))
            }
        }
    }
}

/// A short description of a subquery: `<subquery: columns>` (the plan itself is shown by
/// [`LogicalPlan::display_indent`] under the node holding it).
struct SubqueryText<'a>(&'a LogicalPlan);

impl fmt::Display for SubqueryText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let schema = self.0.schema();
        let cols: Vec<&str> = schema.fields.iter().map(|c| c.name.as_str()).collect();
        write!(f, "<subquery: {}>", cols.join(", "))
    }
}

/// Displays an operand, in parentheses when it is itself an operator expression.
struct Paren<'a>(&'a Expr);

impl fmt::Display for Paren<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            e @ (Expr::Binary { .. }
            | Expr::Between { .. }
            | Expr::InList { .. }
            | Expr::InSubquery { .. }
            | Expr::Like { .. }) => {
                write!(f, "({e})")
            }
            e => write!(f, "{e}"),
        }
    }
}
