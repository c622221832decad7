//! The Spark Connect plan as indented text for EXPLAIN: one relation a line, its
//! expressions in a SQL-like form (`(a_1 == 5)`, `sum(x_2) AS s_3`).
//!
//! In: a [`Relation`]. Out: text. May import `crate::connect::proto` only.

use crate::connect::proto::expression::literal::LiteralType;
use crate::connect::proto::expression::window::window_frame::frame_boundary::Boundary;
use crate::connect::proto::expression::{ExprType, SortOrder};
use crate::connect::proto::read::ReadType;
use crate::connect::proto::relation::RelType;
use crate::connect::proto::{Expression, Relation};

/// The relation tree, one node a line, children indented.
pub(super) fn relation_text(relation: &Relation) -> String {
    let mut out = String::new();
    write_relation(&mut out, relation, 0);
    out
}

fn list(exprs: &[Expression]) -> String {
    exprs.iter().map(expr_text).collect::<Vec<_>>().join(", ")
}

fn write_relation(out: &mut String, relation: &Relation, depth: usize) {
    out.push_str(&"  ".repeat(depth));
    let mut children: Vec<&Relation> = Vec::new();
    let line = match &relation.rel_type {
        Some(RelType::Read(read)) => match &read.read_type {
            Some(ReadType::DataSource(ds)) => {
                let mut options: Vec<String> =
                    ds.options.iter().map(|(k, v)| format!("{k}={v}")).collect();
                options.sort();
                let mut s = format!(
                    "Read {} [{}]",
                    ds.format.as_deref().unwrap_or("?"),
                    ds.paths.join(", ")
                );
                if !options.is_empty() {
                    s += &format!(" options=({})", options.join(", "));
                }
                if let Some(schema) = &ds.schema {
                    s += &format!(" schema=({schema})");
                }
                s
            }
            Some(ReadType::NamedTable(t)) => format!("Read table {}", t.unparsed_identifier),
            None => "Read".into(),
        },
        Some(RelType::Project(p)) => {
            children.extend(p.input.as_deref());
            format!("Project [{}]", list(&p.expressions))
        }
        Some(RelType::Filter(f)) => {
            children.extend(f.input.as_deref());
            format!(
                "Filter {}",
                f.condition.as_ref().map(expr_text).unwrap_or_default()
            )
        }
        Some(RelType::Aggregate(a)) => {
            children.extend(a.input.as_deref());
            format!(
                "Aggregate groupBy=[{}] aggregates=[{}]",
                list(&a.grouping_expressions),
                list(&a.aggregate_expressions)
            )
        }
        Some(RelType::Join(j)) => {
            children.extend(j.left.as_deref());
            children.extend(j.right.as_deref());
            let kind = crate::connect::proto::join::JoinType::try_from(j.join_type)
                .map(|t| t.as_str_name().trim_start_matches("JOIN_TYPE_").to_string())
                .unwrap_or_else(|_| j.join_type.to_string());
            match &j.join_condition {
                Some(c) => format!("Join {kind} on {}", expr_text(c)),
                None => format!("Join {kind}"),
            }
        }
        Some(RelType::SetOp(s)) => {
            children.extend(s.left_input.as_deref());
            children.extend(s.right_input.as_deref());
            let kind = crate::connect::proto::set_operation::SetOpType::try_from(s.set_op_type)
                .map(|t| {
                    t.as_str_name()
                        .trim_start_matches("SET_OP_TYPE_")
                        .to_string()
                })
                .unwrap_or_default();
            let all = if s.is_all == Some(true) { " ALL" } else { "" };
            format!("SetOperation {kind}{all}")
        }
        Some(RelType::Sort(s)) => {
            children.extend(s.input.as_deref());
            format!(
                "Sort [{}]",
                s.order.iter().map(sort_text).collect::<Vec<_>>().join(", ")
            )
        }
        Some(RelType::Limit(l)) => {
            children.extend(l.input.as_deref());
            format!("Limit {}", l.limit)
        }
        Some(RelType::Offset(o)) => {
            children.extend(o.input.as_deref());
            format!("Offset {}", o.offset)
        }
        Some(RelType::Deduplicate(d)) => {
            children.extend(d.input.as_deref());
            "Deduplicate (all columns)".into()
        }
        Some(RelType::LocalRelation(l)) => format!(
            "LocalRelation ({} bytes of Arrow IPC)",
            l.data.as_ref().map_or(0, |d| d.len())
        ),
        Some(RelType::SubqueryAlias(s)) => {
            children.extend(s.input.as_deref());
            format!("SubqueryAlias {}", s.alias)
        }
        Some(RelType::ToDf(t)) => {
            children.extend(t.input.as_deref());
            format!("ToDF [{}]", t.column_names.join(", "))
        }
        Some(RelType::Range(r)) => {
            format!("Range {}..{}", r.start.unwrap_or(0), r.end)
        }
        Some(_) => "(other relation)".into(),
        None => "(empty relation)".into(),
    };
    out.push_str(&line);
    out.push('\n');
    for child in children {
        write_relation(out, child, depth + 1);
    }
}

fn sort_text(s: &SortOrder) -> String {
    let dir = if s.direction == 2 { "DESC" } else { "ASC" };
    let nulls = if s.null_ordering == 1 {
        "NULLS FIRST"
    } else {
        "NULLS LAST"
    };
    format!(
        "{} {dir} {nulls}",
        s.child.as_deref().map(expr_text).unwrap_or_default()
    )
}

const INFIX: &[&str] = &[
    "==", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "and", "or",
];

/// One expression as text.
pub(super) fn expr_text(e: &Expression) -> String {
    match &e.expr_type {
        Some(ExprType::UnresolvedAttribute(a)) => a.unparsed_identifier.clone(),
        Some(ExprType::Literal(l)) => match &l.literal_type {
            Some(LiteralType::String(s)) => format!("'{}'", s.replace('\'', "''")),
            Some(LiteralType::Integer(v)) => v.to_string(),
            Some(LiteralType::Long(v)) => format!("{v}L"),
            Some(LiteralType::Double(v)) => format!("{v}D"),
            Some(LiteralType::Boolean(v)) => v.to_string(),
            Some(LiteralType::Decimal(d)) => format!(
                "{}BD(decimal({},{}))",
                d.value,
                d.precision.unwrap_or(0),
                d.scale.unwrap_or(0)
            ),
            Some(LiteralType::Date(d)) => format!("DATE(day {d})"),
            Some(LiteralType::TimestampNtz(t)) => format!("TIMESTAMP_NTZ({t} us)"),
            Some(LiteralType::CalendarInterval(i)) => format!(
                "INTERVAL({} months, {} days, {} us)",
                i.months, i.days, i.microseconds
            ),
            Some(LiteralType::Null(_)) => "NULL".into(),
            other => format!("{other:?}"),
        },
        Some(ExprType::UnresolvedFunction(f)) => {
            let args: Vec<String> = f.arguments.iter().map(expr_text).collect();
            if INFIX.contains(&f.function_name.as_str()) && args.len() == 2 {
                format!("({} {} {})", args[0], f.function_name, args[1])
            } else {
                let distinct = if f.is_distinct { "DISTINCT " } else { "" };
                format!("{}({distinct}{})", f.function_name, args.join(", "))
            }
        }
        Some(ExprType::Alias(a)) => format!(
            "{} AS {}",
            a.expr.as_deref().map(expr_text).unwrap_or_default(),
            a.name.join(".")
        ),
        Some(ExprType::Cast(c)) => {
            let to = match &c.cast_to_type {
                Some(crate::connect::proto::expression::cast::CastToType::TypeStr(s)) => s.clone(),
                _ => "?".into(),
            };
            format!(
                "CAST({} AS {to})",
                c.expr.as_deref().map(expr_text).unwrap_or_default()
            )
        }
        Some(ExprType::Window(w)) => {
            let mut s = format!(
                "{} OVER (",
                w.window_function
                    .as_deref()
                    .map(expr_text)
                    .unwrap_or_default()
            );
            let mut parts = Vec::new();
            if !w.partition_spec.is_empty() {
                parts.push(format!("PARTITION BY {}", list(&w.partition_spec)));
            }
            if !w.order_spec.is_empty() {
                parts.push(format!(
                    "ORDER BY {}",
                    w.order_spec
                        .iter()
                        .map(sort_text)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            if let Some(f) = &w.frame_spec {
                let bound = |b: &Option<
                    Box<crate::connect::proto::expression::window::window_frame::FrameBoundary>,
                >| match b.as_ref().and_then(|b| b.boundary.as_ref()) {
                    Some(Boundary::CurrentRow(_)) => "CURRENT ROW".to_string(),
                    Some(Boundary::Unbounded(_)) => "UNBOUNDED".to_string(),
                    Some(Boundary::Value(v)) => expr_text(v),
                    None => "?".to_string(),
                };
                let units = if f.frame_type == 1 { "ROWS" } else { "RANGE" };
                parts.push(format!(
                    "{units} BETWEEN {} AND {}",
                    bound(&f.lower),
                    bound(&f.upper)
                ));
            }
            s += &parts.join(" ");
            s.push(')');
            s
        }
        Some(ExprType::SortOrder(s)) => sort_text(s),
        Some(_) => "(other expression)".into(),
        None => "(empty expression)".into(),
    }
}
