//! simplify_expressions: folds constants in every expression of a node, drops filters
//! that keep every row, and replaces filters that keep none by an empty relation.
//!
//! ```text
//! Filter: t.a > 2 + 3 AND true            Filter: t.a > 5
//!   Scan: t                         ⇒       Scan: t
//!
//! Filter: 1 > 2                           Empty: one_row=false
//!   Scan: t                         ⇒
//! ```
//! Folding follows SQL's three-valued logic: `x AND true` is `x`, `x AND false` is
//! false, `x OR true` is true, `NULL AND x` stays unless `x` settles it, a comparison or
//! arithmetic with a NULL literal is NULL. Only what cannot fail at run time is computed
//! now: checked BIGINT and DECIMAL `+ - *` whose result fits its type, exact casts,
//! comparisons of literals of one type (floats excepted: their ordering of NaN and -0 is
//! left to the kernels). Division, modulo and anything that overflows stay for execution.
//! `x = x` becomes true only for a column that cannot be NULL. `BETWEEN` stays as it is.
//! Every rewrite keeps the expression's type (a rewrite that would change it is
//! dropped), and projected expressions keep their output names.
//!
//! In: any plan. Out: the same plan with simpler expressions; imports the analyzer's
//! literal folding so both compute constants the same way.

use std::cmp::Ordering;
use std::sync::Arc;

use arrow::datatypes::DataType;

use crate::analyzer::fold::{date_interval, integer_arithmetic};
use crate::cast::cast_scalar;
use crate::error::Result;
use crate::expr::{BinaryOp, Expr};
use crate::logical::{LogicalPlan, LogicalPlanBuilder, Transformed};
use crate::optimizer::rule::OptimizerRule;
use crate::scalar::ScalarValue;
use crate::schema::PlanSchema;
use crate::types;

/// See the module documentation.
pub struct SimplifyExpressions;

impl OptimizerRule for SimplifyExpressions {
    fn name(&self) -> &'static str {
        "simplify_expressions"
    }

    fn rewrite(&self, plan: Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>> {
        plan.transform_up(&mut simplify_node)
    }
}

fn simplify_node(node: Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>> {
    node.map_expressions(&mut |e, schema| {
        let new = simplify(e.clone(), schema);
        let changed = new != e;
        Ok(Transformed::new(new, changed))
    })?
    .and_then(settle_constant_predicates)
}

/// Filters that keep every row go (a filter node, a join filter, a scan's pushed-down
/// conjunct); a filter that keeps none becomes an empty relation.
fn settle_constant_predicates(node: Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>> {
    Ok(match node.as_ref() {
        LogicalPlan::Filter { input, predicate } if is_true(predicate) => {
            Transformed::yes(input.clone())
        }
        LogicalPlan::Filter { input, predicate } if is_false_or_null(predicate) => {
            Transformed::yes(Arc::new(LogicalPlan::Empty {
                produce_one_row: false,
                schema: input.schema(),
            }))
        }
        LogicalPlan::Join {
            left,
            right,
            kind,
            on,
            filter: Some(f),
            ..
        } if is_true(f) => Transformed::yes(
            LogicalPlanBuilder::from_arc(left.clone())
                .join_on(right.clone(), *kind, on.clone(), None)?
                .build_arc(),
        ),
        LogicalPlan::Scan { filters, .. } if filters.iter().any(is_true) => {
            let kept = filters.iter().filter(|f| !is_true(f)).cloned().collect();
            Transformed::yes(Arc::new(node.with_scan_filters(kept)))
        }
        _ => Transformed::no(node),
    })
}

/// Simplifies `e` over `schema`, children first.
pub(crate) fn simplify(e: Expr, schema: &PlanSchema) -> Expr {
    // The closure never fails, so neither does the walk.
    e.clone()
        .transform_up(&mut |x| Ok(Transformed::yes(simplify_keeping_type(x, schema))))
        .map_or(e, |t| t.data)
}

/// One node's rewrite, kept only when the type stays the same.
fn simplify_keeping_type(e: Expr, schema: &PlanSchema) -> Expr {
    let Some(new) = simplify_one(&e, schema) else {
        return e;
    };
    if new == e {
        return e;
    }
    match (e.data_type(schema), new.data_type(schema)) {
        (Ok(before), Ok(after)) if before == after => new,
        _ => e,
    }
}

/// The rewrite of one node whose children are simplified already, or `None` when no
/// rule applies. The node is only read: a child is cloned into a rewrite that drops the
/// node around it, never to find out that nothing applies (which, at every node of a
/// chain of 100,000 ORs, would copy the tree over and over).
fn simplify_one(e: &Expr, schema: &PlanSchema) -> Option<Expr> {
    Some(match e {
        Expr::Binary { left, op, right } => return simplify_binary(e, left, *op, right, schema),
        Expr::Not(inner) => match inner.as_ref() {
            Expr::Literal(ScalarValue::Boolean(Some(b))) => bool_lit(!b),
            Expr::Literal(v) if v.is_null() => null_bool(),
            Expr::Not(x) => x.as_ref().clone(),
            Expr::IsNull(x) => Expr::IsNotNull(x.clone()),
            Expr::IsNotNull(x) => Expr::IsNull(x.clone()),
            _ => return None,
        },
        Expr::IsNull(x) => match x.as_ref() {
            Expr::Literal(v) => bool_lit(v.is_null()),
            _ => return None,
        },
        Expr::IsNotNull(x) => match x.as_ref() {
            Expr::Literal(v) => bool_lit(!v.is_null()),
            _ => return None,
        },
        Expr::Negative(x) => match x.as_ref() {
            Expr::Literal(v) => Expr::Literal(negate(v)?),
            _ => return None,
        },
        Expr::Cast { expr, data_type } => match expr.as_ref() {
            Expr::Literal(v) => Expr::Literal(cast_scalar(v, data_type)?),
            other if other.data_type(schema).is_ok_and(|t| t == *data_type) => other.clone(),
            _ => return None,
        },
        Expr::Case {
            operand: None,
            when_then,
            else_expr,
        } if when_then
            .iter()
            .any(|(w, _)| is_true(w) || is_false_or_null(w)) =>
        {
            simplify_case(when_then.clone(), else_expr.clone())
        }
        Expr::InList {
            expr,
            list,
            negated,
        } => Expr::Literal(in_list_of_literals(expr, list, *negated)?),
        _ => return None,
    })
}

/// [`simplify_one`] of `e`, the node `l op r`.
fn simplify_binary(
    e: &Expr,
    l: &Expr,
    op: BinaryOp,
    r: &Expr,
    schema: &PlanSchema,
) -> Option<Expr> {
    match op {
        BinaryOp::And => {
            if is_false(l) || is_false(r) {
                Some(bool_lit(false))
            } else if is_true(l) {
                Some(r.clone())
            } else if is_true(r) || l == r {
                Some(l.clone())
            } else if is_null_lit(l) && is_null_lit(r) {
                Some(null_bool())
            } else {
                None
            }
        }
        BinaryOp::Or => {
            if is_true(l) || is_true(r) {
                Some(bool_lit(true))
            } else if is_false(l) {
                Some(r.clone())
            } else if is_false(r) || l == r {
                Some(l.clone())
            } else if is_null_lit(l) && is_null_lit(r) {
                Some(null_bool())
            } else {
                None
            }
        }
        _ => {
            if let (Expr::Literal(a), Expr::Literal(b)) = (l, r)
                && let Some(v) = fold_literals(a, op, b)
            {
                return Some(Expr::Literal(v));
            }
            let strict = op.is_comparison()
                || matches!(op, BinaryOp::Plus | BinaryOp::Minus | BinaryOp::Multiply);
            if strict
                && (is_null_lit(l) || is_null_lit(r))
                && let Ok(t) = e.data_type(schema)
            {
                let n = ScalarValue::null_of(&t);
                if n.data_type() == t {
                    return Some(Expr::Literal(n));
                }
            }
            if op == BinaryOp::Eq
                && l == r
                && matches!(l, Expr::Column(_))
                && l.nullable(schema).is_ok_and(|n| !n)
                && l.data_type(schema).is_ok_and(|t| !types::is_float(&t))
            {
                return Some(bool_lit(true));
            }
            None
        }
    }
}

/// `a op b` of two non-NULL literals, when it is exact and cannot fail.
fn fold_literals(a: &ScalarValue, op: BinaryOp, b: &ScalarValue) -> Option<ScalarValue> {
    if a.is_null() || b.is_null() {
        return None;
    }
    if op.is_comparison() {
        let ord = compare(a, b)?;
        let v = match op {
            BinaryOp::Eq => ord == Ordering::Equal,
            BinaryOp::NotEq => ord != Ordering::Equal,
            BinaryOp::Lt => ord == Ordering::Less,
            BinaryOp::LtEq => ord != Ordering::Greater,
            BinaryOp::Gt => ord == Ordering::Greater,
            _ => ord != Ordering::Less,
        };
        return Some(ScalarValue::Boolean(Some(v)));
    }
    if let Some(v) = integer_arithmetic(a, op, b).or_else(|| date_interval(a, op, b)) {
        return Some(v);
    }
    match (a, op, b) {
        (ScalarValue::Utf8(Some(x)), BinaryOp::StringConcat, ScalarValue::Utf8(Some(y))) => {
            Some(ScalarValue::Utf8(Some(format!("{x}{y}"))))
        }
        (
            ScalarValue::Decimal128(Some(x), p1, s1),
            BinaryOp::Plus | BinaryOp::Minus | BinaryOp::Multiply,
            ScalarValue::Decimal128(Some(y), p2, s2),
        ) => decimal_arithmetic((*x, *p1, *s1), op, (*y, *p2, *s2)),
        _ => None,
    }
}

/// DECIMAL `+ - *` at the result type the type rules give, when exact and in range.
fn decimal_arithmetic(
    (x, p1, s1): (i128, u8, i8),
    op: BinaryOp,
    (y, p2, s2): (i128, u8, i8),
) -> Option<ScalarValue> {
    let DataType::Decimal128(p, s) = types::decimal_result(p1, s1, op, p2, s2) else {
        return None;
    };
    let rescale = |v: i128, from: i8| -> Option<i128> {
        let up = u32::try_from(i32::from(s) - i32::from(from)).ok()?;
        v.checked_mul(10i128.checked_pow(up)?)
    };
    let v = match op {
        BinaryOp::Plus => rescale(x, s1)?.checked_add(rescale(y, s2)?)?,
        BinaryOp::Minus => rescale(x, s1)?.checked_sub(rescale(y, s2)?)?,
        // A product whose scale was cut to fit the precision would need rounding.
        BinaryOp::Multiply if i32::from(s) == i32::from(s1) + i32::from(s2) => x.checked_mul(y)?,
        _ => return None,
    };
    let limit = 10i128.checked_pow(u32::from(p))?;
    (v.abs() < limit).then_some(ScalarValue::Decimal128(Some(v), p, s))
}

/// The order of two non-NULL literals of the same type (floats are not compared).
fn compare(a: &ScalarValue, b: &ScalarValue) -> Option<Ordering> {
    use ScalarValue as S;
    Some(match (a, b) {
        (S::Boolean(Some(x)), S::Boolean(Some(y))) => x.cmp(y),
        (S::Int32(Some(x)), S::Int32(Some(y))) => x.cmp(y),
        (S::Int64(Some(x)), S::Int64(Some(y))) => x.cmp(y),
        (S::Utf8(Some(x)), S::Utf8(Some(y))) => x.as_bytes().cmp(y.as_bytes()),
        (S::Date32(Some(x)), S::Date32(Some(y))) => x.cmp(y),
        (S::Decimal128(Some(x), _, s1), S::Decimal128(Some(y), _, s2)) if s1 == s2 => x.cmp(y),
        _ => return None,
    })
}

/// `-v` for a literal, when it cannot overflow.
fn negate(v: &ScalarValue) -> Option<ScalarValue> {
    use ScalarValue as S;
    Some(match v {
        S::Int32(Some(x)) => S::Int32(Some(x.checked_neg()?)),
        S::Int64(Some(x)) => S::Int64(Some(x.checked_neg()?)),
        S::Decimal128(Some(x), p, s) => S::Decimal128(Some(x.checked_neg()?), *p, *s),
        S::Float64(Some(x)) => S::Float64(Some(-x)),
        _ => return None,
    })
}

/// A searched CASE without the WHEN branches that can never be taken, and cut at the
/// first one that always is.
fn simplify_case(when_then: Vec<(Expr, Expr)>, else_expr: Option<Box<Expr>>) -> Expr {
    let original = Expr::Case {
        operand: None,
        when_then: when_then.clone(),
        else_expr: else_expr.clone(),
    };
    let mut kept = Vec::new();
    let mut else_expr = else_expr;
    for (w, t) in when_then {
        if is_true(&w) {
            else_expr = Some(Box::new(t));
            break;
        }
        if !is_false_or_null(&w) {
            kept.push((w, t));
        }
    }
    if kept.is_empty() {
        return match else_expr {
            Some(e) => *e,
            // The type of an all-NULL CASE is not known here; leave it alone.
            None => original,
        };
    }
    Expr::Case {
        operand: None,
        when_then: kept,
        else_expr,
    }
}

/// `lit IN (lit, ...)` by SQL's rules: NULL when the value is NULL, or when nothing
/// matches and the list holds a NULL.
fn in_list_of_literals(expr: &Expr, list: &[Expr], negated: bool) -> Option<ScalarValue> {
    let Expr::Literal(v) = expr else {
        return None;
    };
    let values: Vec<&ScalarValue> = list
        .iter()
        .map(|e| match e {
            Expr::Literal(x) => Some(x),
            _ => None,
        })
        .collect::<Option<_>>()?;
    if v.is_null() {
        return Some(ScalarValue::Boolean(None));
    }
    let mut saw_null = false;
    for x in values {
        if x.is_null() {
            saw_null = true;
        } else if compare(v, x)? == Ordering::Equal {
            return Some(ScalarValue::Boolean(Some(!negated)));
        }
    }
    Some(if saw_null {
        ScalarValue::Boolean(None)
    } else {
        ScalarValue::Boolean(Some(negated))
    })
}

fn bool_lit(b: bool) -> Expr {
    Expr::Literal(ScalarValue::Boolean(Some(b)))
}

fn is_true(e: &Expr) -> bool {
    matches!(e, Expr::Literal(ScalarValue::Boolean(Some(true))))
}

fn is_false(e: &Expr) -> bool {
    matches!(e, Expr::Literal(ScalarValue::Boolean(Some(false))))
}

fn is_null_lit(e: &Expr) -> bool {
    matches!(e, Expr::Literal(v) if v.is_null())
}

fn is_false_or_null(e: &Expr) -> bool {
    is_false(e) || is_null_lit(e)
}

fn null_bool() -> Expr {
    Expr::Literal(ScalarValue::Boolean(None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{col, lit};
    use crate::optimizer::rules::test_util::t;
    use crate::scalar::parse_date32;

    fn s(e: Expr) -> String {
        simplify(e, &t().schema()).to_string()
    }

    fn null_i64() -> Expr {
        Expr::Literal(ScalarValue::Int64(None))
    }

    #[test]
    fn filter_true_goes_and_filter_false_or_null_is_empty() {
        let keep_all = t().filter(lit(1).lt(lit(2))).unwrap().build_arc();
        let out = SimplifyExpressions.rewrite(keep_all).unwrap().data;
        assert_eq!(out.display_indent(), "Scan: t\n");

        for p in [lit(2).lt(lit(1)), null_bool().and(lit(true))] {
            let none = t().filter(p).unwrap().build_arc();
            let out = SimplifyExpressions.rewrite(none).unwrap().data;
            assert_eq!(out.display_indent(), "Empty: one_row=false\n");
            assert_eq!(out.schema(), t().schema());
        }

        let folded = t()
            .filter(col("t.a").gt(lit(2).add(lit(3))).and(lit(true)))
            .unwrap()
            .build_arc();
        let out = SimplifyExpressions.rewrite(folded).unwrap().data;
        assert_eq!(out.display_indent(), "Filter: t.a > 5\n  Scan: t\n");
    }

    #[test]
    fn boolean_logic_is_three_valued() {
        let p = || col("t.a").gt(lit(1));
        assert_eq!(s(p().and(lit(true))), "t.a > 1");
        assert_eq!(s(lit(true).and(p())), "t.a > 1");
        assert_eq!(s(p().or(lit(false))), "t.a > 1");
        assert_eq!(s(p().or(lit(true))), "true");
        assert_eq!(s(lit(false).and(p())), "false");
        assert_eq!(s(Expr::Not(Box::new(Expr::Not(Box::new(p()))))), "t.a > 1");
        assert_eq!(
            s(Expr::Not(Box::new(col("t.a").is_null()))),
            "t.a IS NOT NULL"
        );
        // NULL AND x is NULL or false depending on x: it stays.
        assert_eq!(s(null_bool().and(p())), "NULL AND (t.a > 1)");
        assert_eq!(s(null_bool().or(p())), "NULL OR (t.a > 1)");
        assert_eq!(s(null_bool().or(lit(true))), "true");
        assert_eq!(s(null_bool().and(lit(false))), "false");
        assert_eq!(s(Expr::Not(Box::new(null_bool()))), "NULL");
        // Comparisons and arithmetic with NULL are NULL, of the operator's type.
        let e = col("t.a").add(null_i64());
        let out = simplify(e, &t().schema());
        assert_eq!(out, Expr::Literal(ScalarValue::Int64(None)));
        assert_eq!(s(col("t.a").eq(null_i64())), "NULL");
        // x = x is true only when x cannot be NULL.
        assert_eq!(s(col("t.a").eq(col("t.a"))), "t.a = t.a");
        assert_eq!(s(col("t.b").eq(col("t.b"))), "true");
        assert_eq!(s(lit(1).is_null()), "false");
        assert_eq!(s(null_i64().is_not_null()), "false");
        assert_eq!(s(lit(3).in_list(vec![lit(1), null_i64()])), "NULL");
        assert_eq!(s(lit(1).in_list(vec![lit(1), null_i64()])), "true");
        assert_eq!(s(lit(2).in_list(vec![lit(1), lit(3)])), "false");
    }

    #[test]
    fn leaves_what_could_fail_to_execution() {
        assert_eq!(s(lit(1).div(lit(0))), "1 / 0");
        assert_eq!(s(lit(i64::MAX).add(lit(1))), format!("{} + 1", i64::MAX));
        assert_eq!(s(lit(i64::MIN).mul(lit(-1))), format!("{} * -1", i64::MIN));
        let big = Expr::Literal(ScalarValue::Decimal128(Some(10i128.pow(37)), 38, 0));
        assert_eq!(
            s(big.clone().mul(big.clone())),
            format!("{big} * {big}"),
            "a product past 38 digits stays"
        );
        assert_eq!(
            s(Expr::Literal(ScalarValue::Int64(Some(i64::MIN))).cast(DataType::Int32)),
            format!("CAST({} AS INTEGER)", i64::MIN)
        );
        // Floats are not compared at plan time.
        assert_eq!(s(lit(1.0).lt(lit(2.0))), "1 < 2");
    }

    #[test]
    fn decimal_and_date_results_keep_their_types() {
        let schema = t().schema();
        let d = |v: i128, p: u8, sc: i8| Expr::Literal(ScalarValue::Decimal128(Some(v), p, sc));
        for e in [
            d(150, 3, 2).add(d(225, 3, 2)),
            d(150, 3, 2).sub(d(5, 2, 1)),
            d(150, 3, 2).mul(d(3, 1, 0)),
            Expr::Literal(ScalarValue::Date32(parse_date32("1998-12-01"))).sub(Expr::Literal(
                ScalarValue::Interval(Some(arrow::datatypes::IntervalMonthDayNano::new(0, 90, 0))),
            )),
        ] {
            let before = e.data_type(&schema).unwrap();
            let out = simplify(e.clone(), &schema);
            assert!(matches!(out, Expr::Literal(_)), "{e} → {out}");
            assert_eq!(out.data_type(&schema).unwrap(), before, "{e} → {out}");
        }
        assert_eq!(s(d(150, 3, 2).add(d(225, 3, 2))), "3.75");
        assert_eq!(s(d(150, 3, 2).sub(d(5, 2, 1))), "1.00");
        assert_eq!(s(d(150, 3, 2).mul(d(3, 1, 0))), "4.50");
    }

    #[test]
    fn case_with_constant_conditions() {
        let case = |whens: Vec<(Expr, Expr)>, els: Option<Expr>| Expr::Case {
            operand: None,
            when_then: whens,
            else_expr: els.map(Box::new),
        };
        let e = case(
            vec![
                (lit(false), lit(1)),
                (col("t.a").gt(lit(0)), lit(2)),
                (lit(true), lit(3)),
            ],
            Some(lit(4)),
        );
        assert_eq!(s(e), "CASE WHEN t.a > 0 THEN 2 ELSE 3 END");
        let e = case(
            vec![(null_bool(), lit(1)), (lit(1).lt(lit(2)), col("t.b"))],
            None,
        );
        assert_eq!(s(e), "t.b");
        let e = case(vec![(lit(false), lit(1))], Some(col("t.b")));
        assert_eq!(s(e), "t.b");
    }

    #[test]
    fn between_with_literal_bounds_stays() {
        let e = col("t.a").between(lit(1), lit(5));
        assert_eq!(s(e.clone()), e.to_string());
    }

    #[test]
    fn projections_keep_their_output_names() {
        let plan = t()
            .project(vec![
                col("t.b").cast(DataType::Int64),
                col("t.a").add(lit(1).add(lit(2))).alias("a3"),
                col("t.c"),
            ])
            .unwrap()
            .build_arc();
        let before = plan.schema();
        let out = SimplifyExpressions.rewrite(plan).unwrap().data;
        assert_eq!(
            out.display_indent(),
            "Projection: t.b AS CAST(t.b AS BIGINT), t.a + 3 AS a3, t.c\n  Scan: t\n"
        );
        assert_eq!(out.schema(), before);
    }
}
