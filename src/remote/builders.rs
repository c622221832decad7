//! Small constructors of Spark Connect messages: a column by name, a function call, an
//! alias, a relation wrapping a node. The translation reads as plan shapes with them.
//!
//! In: names, expressions and relations. Out: protobuf messages. May import
//! `crate::connect::proto` only.

use crate::connect::proto::expression::{self, ExprType};
use crate::connect::proto::relation::RelType;
use crate::connect::proto::{Expression, Relation};

/// A node kind as a relation.
pub(super) fn relation(rel_type: RelType) -> Relation {
    Relation {
        common: None,
        rel_type: Some(rel_type),
    }
}

/// An expression of a kind.
pub(super) fn expression(expr_type: ExprType) -> Expression {
    Expression {
        common: None,
        expr_type: Some(expr_type),
    }
}

/// A column by its name, quoted so that any character is taken as written.
pub(super) fn column(name: &str) -> Expression {
    expression(ExprType::UnresolvedAttribute(
        expression::UnresolvedAttribute {
            unparsed_identifier: quote(name),
            plan_id: None,
            is_metadata_column: None,
        },
    ))
}

/// `name` between backticks, a backtick inside doubled.
pub(super) fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A call of Spark's function `name`.
pub(super) fn call(name: &str, arguments: Vec<Expression>) -> Expression {
    call_with(name, arguments, false)
}

/// A call of Spark's function `name`, DISTINCT inside the call when `distinct`.
pub(super) fn call_with(name: &str, arguments: Vec<Expression>, distinct: bool) -> Expression {
    expression(ExprType::UnresolvedFunction(
        expression::UnresolvedFunction {
            function_name: name.to_string(),
            arguments,
            is_distinct: distinct,
            is_user_defined_function: false,
            is_internal: None,
        },
    ))
}

/// `expr AS name`.
pub(super) fn alias(expr: Expression, name: &str) -> Expression {
    expression(ExprType::Alias(Box::new(expression::Alias {
        expr: Some(Box::new(expr)),
        name: vec![name.to_string()],
        metadata: None,
    })))
}

/// `CAST(expr AS type)`, the type in Spark's DDL spelling.
pub(super) fn cast(expr: Expression, spark_type: &str) -> Expression {
    expression(ExprType::Cast(Box::new(expression::Cast {
        expr: Some(Box::new(expr)),
        eval_mode: 0,
        cast_to_type: Some(expression::cast::CastToType::TypeStr(
            spark_type.to_string(),
        )),
    })))
}

/// A string literal.
pub(super) fn string(text: &str) -> Expression {
    expression(ExprType::Literal(expression::Literal {
        data_type: None,
        literal_type: Some(expression::literal::LiteralType::String(text.to_string())),
    }))
}

/// An integer literal.
pub(super) fn int(value: i32) -> Expression {
    expression(ExprType::Literal(expression::Literal {
        data_type: None,
        literal_type: Some(expression::literal::LiteralType::Integer(value)),
    }))
}

/// `left AND right` of every term; `None` for no terms.
pub(super) fn conjunction(terms: Vec<Expression>) -> Option<Expression> {
    terms.into_iter().reduce(|a, b| call("and", vec![a, b]))
}

/// `left OR right` of every term; `None` for no terms.
pub(super) fn disjunction(terms: Vec<Expression>) -> Option<Expression> {
    terms.into_iter().reduce(|a, b| call("or", vec![a, b]))
}
