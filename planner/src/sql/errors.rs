//! sqlparser's errors as [`PlanError`]s, and the helper that names an unsupported AST part.
//!
//! In: `ParserError` messages ("... at Line: 3, Column: 7") and AST nodes with spans.
//! Out: `PlanError::Parse` / `PlanError::Unsupported` with line and column, and where
//! an AST node starts.

use std::any::Any;

use sqlparser::ast::{self, Spanned};
use sqlparser::parser::ParserError;

use crate::error::{Location, PlanError};

/// A parser error with its line and column pulled out of the message.
pub(crate) fn parse_error(e: ParserError) -> PlanError {
    let message = match e {
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
        ParserError::RecursionLimitExceeded => "query is nested too deeply".to_string(),
    };
    let (message, location) = split_location(&message);
    PlanError::Parse { message, location }
}

/// Splits "text at Line: X, Column: Y" into the text and the location.
fn split_location(message: &str) -> (String, Location) {
    let Some(at) = message.rfind("Line: ") else {
        return (message.to_string(), Location::default());
    };
    let tail = &message[at + "Line: ".len()..];
    let mut parts = tail.splitn(2, ", Column: ");
    let line = parts.next().and_then(|l| l.trim().parse::<u64>().ok());
    let column = parts.next().and_then(|c| {
        let digits: String = c.chars().take_while(|ch| ch.is_ascii_digit()).collect();
        digits.parse::<u64>().ok()
    });
    match (line, column) {
        (Some(line), Some(column)) => {
            let text = message[..at].trim_end();
            let text = text.strip_suffix(" at").unwrap_or(text).trim_end();
            (text.to_string(), Location { line, column })
        }
        _ => (message.to_string(), Location::default()),
    }
}

/// An expression nested deeper than the planner allows.
pub(crate) fn expression_depth_error(max: usize, at: Location) -> PlanError {
    PlanError::plan_at(
        format!(
            "expression depth limit of {max} exceeded (raise it with \
             SET ember.sql.max_expression_depth = <n>)"
        ),
        at,
    )
}

/// `Unsupported` naming `what`, at the start of `node`.
pub(crate) fn unsupported<T: Spanned + 'static>(what: impl Into<String>, node: &T) -> PlanError {
    PlanError::unsupported_at(what, loc(node))
}

/// The location where `node` starts.
///
/// sqlparser's `span()` unions the spans of the whole subtree, recursing as deep as it
/// nests: asked once per expression node while planning, that is quadratic in the
/// depth, and a chain of 100,000 ORs overflows the stack. Expressions and queries are
/// therefore followed down their leftmost part with a loop (the leftmost token is
/// where the union starts), and only a node with nothing on its left is asked for its
/// span.
pub(crate) fn loc<T: Spanned + 'static>(node: &T) -> Location {
    let any = node as &dyn Any;
    let start = if let Some(e) = any.downcast_ref::<ast::Expr>() {
        expr_start(e)
    } else if let Some(q) = any.downcast_ref::<ast::Query>() {
        query_start(q)
    } else if let Some(s) = any.downcast_ref::<ast::SetExpr>() {
        set_expr_start(s)
    } else {
        return node.span().into();
    };
    if start.line == 0 {
        // A leftmost part without a position: fall back to the union.
        return node.span().into();
    }
    start
}

fn expr_start(e: &ast::Expr) -> Location {
    use ast::Expr as A;
    let mut e = e;
    loop {
        e = match e {
            A::BinaryOp { left, .. } => left,
            A::Nested(x)
            | A::UnaryOp { expr: x, .. }
            | A::IsNull(x)
            | A::IsNotNull(x)
            | A::IsTrue(x)
            | A::IsNotTrue(x)
            | A::IsFalse(x)
            | A::IsNotFalse(x)
            | A::IsUnknown(x)
            | A::IsNotUnknown(x)
            | A::IsDistinctFrom(x, _)
            | A::IsNotDistinctFrom(x, _)
            | A::Cast { expr: x, .. }
            | A::In { expr: x, .. }
            | A::Between { expr: x, .. }
            | A::Like { expr: x, .. }
            | A::ILike { expr: x, .. } => x,
            A::Case { case_token, .. } => return case_token.0.span.start.into(),
            A::Subquery(q) => return query_start(q),
            A::Function(f) => match f.name.0.first() {
                Some(part) => return part.span().start.into(),
                None => return e.span().start.into(),
            },
            other => return other.span().start.into(),
        };
    }
}

fn query_start(q: &ast::Query) -> Location {
    match &q.with {
        Some(with) => with.with_token.0.span.start.into(),
        None => set_expr_start(&q.body),
    }
}

fn set_expr_start(s: &ast::SetExpr) -> Location {
    let mut s = s;
    loop {
        s = match s {
            ast::SetExpr::Select(select) => return select.select_token.0.span.start.into(),
            ast::SetExpr::SetOperation { left, .. } => left,
            ast::SetExpr::Query(q) => return query_start(q),
            other => return other.span().start.into(),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pulls_line_and_column_out_of_messages() {
        let (m, l) = split_location("Expected: an expression, found: FROM at Line: 2, Column: 8");
        assert_eq!(m, "Expected: an expression, found: FROM");
        assert_eq!(l, Location { line: 2, column: 8 });
    }
}
