//! The names Spark gives columns it was given no alias for: `a` for a column,
//! `(a + 1)`, `sum(x)`, `count(1)` for `count(*)`, `CASE WHEN ... END`. Spark Connect
//! clients see these names (`df.columns`, `Row` fields), so Ember aliases expressions
//! with them.
//!
//! In: expressions. Out: names. May import `super::{expr, literal, proto, show}`.

use super::expr::split_identifier;
use super::literal::literal_sql;
use super::proto::Expression;
use super::proto::expression::{ExprType, literal::LiteralType};

/// The name Spark gives an expression's column: `a`, `(a + 1)`, `sum(x)`,
/// `count(1)`, `CASE WHEN ... END`.
pub fn spark_name(e: &Expression) -> String {
    let Some(t) = &e.expr_type else {
        return "?".into();
    };
    match t {
        ExprType::Alias(a) => a.name.join("."),
        ExprType::UnresolvedAttribute(a) => split_identifier(&a.unparsed_identifier)
            .ok()
            .and_then(|p| p.last().cloned())
            .unwrap_or_else(|| a.unparsed_identifier.clone()),
        ExprType::Literal(l) => match &l.literal_type {
            Some(LiteralType::String(s)) => s.clone(),
            Some(LiteralType::Null(_)) => "NULL".into(),
            Some(LiteralType::Boolean(b)) => b.to_string(),
            Some(LiteralType::Integer(n)) => n.to_string(),
            Some(LiteralType::Long(n)) => format!("{n}L"),
            Some(LiteralType::Double(x)) => super::show::java_double(*x),
            Some(LiteralType::Decimal(d)) => d.value.clone(),
            _ => literal_sql(l).unwrap_or_else(|_| "?".into()),
        },
        ExprType::Cast(c) => c.expr.as_deref().map(spark_name).unwrap_or_default(),
        ExprType::ExpressionString(s) => s.expression.clone(),
        ExprType::UnresolvedStar(_) => "*".into(),
        ExprType::Window(w) => w
            .window_function
            .as_deref()
            .map(spark_name)
            .unwrap_or_default(),
        ExprType::SortOrder(s) => s.child.as_deref().map(spark_name).unwrap_or_default(),
        ExprType::UnresolvedFunction(f) => {
            function_name(&f.function_name, &f.arguments, f.is_distinct)
        }
        ExprType::CallFunction(f) => function_name(&f.function_name, &f.arguments, false),
        _ => "?".into(),
    }
}

fn function_name(name: &str, args: &[Expression], distinct: bool) -> String {
    let names: Vec<String> = args.iter().map(spark_name).collect();
    let op = |o: &str| format!("({} {o} {})", names[0], names[1]);
    match (name.to_ascii_lowercase().as_str(), names.len()) {
        ("==", 2) => op("="),
        ("and", 2) => op("AND"),
        ("or", 2) => op("OR"),
        ("<=>", 2) => op("<=>"),
        (o @ ("<" | "<=" | ">" | ">=" | "+" | "-" | "*" | "/" | "%" | "!="), 2) => op(o),
        ("not", 1) => format!("(NOT {})", names[0]),
        ("negative" | "-", 1) => format!("(- {})", names[0]),
        ("isnull", 1) => format!("({} IS NULL)", names[0]),
        ("isnotnull", 1) => format!("({} IS NOT NULL)", names[0]),
        ("count", 1) if names[0] == "*" => "count(1)".into(),
        ("when", _) => {
            let mut out = String::from("CASE");
            for pair in names.chunks(2) {
                match pair {
                    [c, v] => out.push_str(&format!(" WHEN {c} THEN {v}")),
                    [otherwise] => out.push_str(&format!(" ELSE {otherwise}")),
                    _ => {}
                }
            }
            out + " END"
        }
        (lower, _) => format!(
            "{lower}({}{})",
            if distinct { "DISTINCT " } else { "" },
            names.join(", ")
        ),
    }
}
