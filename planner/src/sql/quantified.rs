//! Quantified comparisons `x op ANY (subquery)` and `x op ALL (subquery)` (SOME is
//! ANY), planned as forms decorrelation already turns into joins.
//!
//! In: the tested value, the operator, the subquery and the quantifier. Out:
//! - `x = ANY (q)` as `x IN (q)`, `x <> ALL (q)` as `x NOT IN (q)`;
//! - any other as a scalar subquery over one aggregate of q's column `y` — its row
//!   count `n`, its non-NULL count `nv`, and `min(y)` / `max(y)` as needed — whose
//!   CASE gives SQL's three-valued answer. For `x > ANY (q)`:
//!   ```text
//!   CASE WHEN n = 0 THEN false              -- no rows: ANY is false (ALL is true)
//!        WHEN x > min(y) THEN true          -- a definite match
//!        WHEN x IS NULL OR n > nv THEN NULL -- a NULL could have matched
//!        ELSE false END
//!   ```
//!   `x` comes in as an outer reference, so decorrelation joins the aggregate back
//!   (grouped by the subquery's correlation, if any).

use std::sync::Arc;

use arrow::datatypes::DataType;
use sqlparser::ast;

use crate::error::{Location, PlanError, Result};
use crate::expr::{AggFunc, BinaryOp, Column, Expr};
use crate::logical::LogicalPlanBuilder;
use crate::logical::builder::field_column;
use crate::scalar::ScalarValue;
use crate::schema::PlanSchema;
use crate::transformed::Transformed;

/// Which extreme of the subquery's values decides a comparison.
#[derive(Clone, Copy, PartialEq)]
enum Extreme {
    Min,
    Max,
    /// Both (`=` / `<>`: a value other than `x` exists when min or max differs).
    Both,
}

/// Names of the aggregate's columns.
const COUNT: &str = "n";
const COUNT_VALUES: &str = "nv";
const MIN: &str = "min_y";
const MAX: &str = "max_y";

/// Plans `x op ANY|ALL (q)`: `x` over `schema` (the enclosing query's input), `plan` is
/// q's plan (outer references already resolved).
pub(crate) fn quantified(
    x: Expr,
    op: BinaryOp,
    all: bool,
    plan: Arc<crate::logical::LogicalPlan>,
    schema: &PlanSchema,
    at: Location,
) -> Result<Expr> {
    let sq_schema = plan.schema();
    let [field] = sq_schema.fields.as_slice() else {
        return Err(PlanError::plan_at(
            format!(
                "subquery of {} must return one column, it returns {}",
                if all { "ALL" } else { "ANY" },
                sq_schema.len()
            ),
            at,
        ));
    };
    let xt = x.data_type(schema)?;
    if crate::types::common_type(&xt, &field.data_type).is_none() {
        return Err(PlanError::TypeMismatch {
            message: format!(
                "{op} {} compares {xt} with a subquery column of type {}",
                if all { "ALL" } else { "ANY" },
                field.data_type
            ),
            location: at,
        });
    }
    match (op, all) {
        (BinaryOp::Eq, false) | (BinaryOp::NotEq, true) => {
            return Ok(Expr::InSubquery {
                expr: Box::new(x),
                subquery: plan,
                negated: all,
            });
        }
        _ => {}
    }
    if x.contains_subquery() {
        return Err(PlanError::unsupported_at(
            format!("a subquery as the tested value of {op} ANY / ALL ('{x}')"),
            at,
        ));
    }
    let extreme = match (op, all) {
        (BinaryOp::Gt | BinaryOp::GtEq, false) | (BinaryOp::Lt | BinaryOp::LtEq, true) => {
            Extreme::Min
        }
        (BinaryOp::Lt | BinaryOp::LtEq, false) | (BinaryOp::Gt | BinaryOp::GtEq, true) => {
            Extreme::Max
        }
        (BinaryOp::Eq | BinaryOp::NotEq, _) => Extreme::Both,
        _ => {
            return Err(PlanError::unsupported_at(
                format!("operator {op} with ANY / ALL"),
                at,
            ));
        }
    };
    let y = field_column(field);
    let agg = |func: AggFunc, args: Vec<Expr>, name: &str| {
        Expr::Aggregate {
            func,
            args,
            distinct: false,
        }
        .alias(name)
    };
    let mut calls = vec![
        agg(AggFunc::Count, vec![], COUNT),
        agg(AggFunc::Count, vec![y.clone()], COUNT_VALUES),
    ];
    if extreme != Extreme::Max {
        calls.push(agg(AggFunc::Min, vec![y.clone()], MIN));
    }
    if extreme != Extreme::Min {
        calls.push(agg(AggFunc::Max, vec![y], MAX));
    }
    let x = as_outer(x, schema)?;
    let column = |name: &str| Expr::Column(Column::new(name));
    let truth = |b: Option<bool>| Expr::Literal(ScalarValue::Boolean(b));
    let compare = |e: Expr| Expr::Binary {
        left: Box::new(x.clone()),
        op,
        right: Box::new(e),
    };
    // `decided`: the comparison that settles the answer against a non-NULL extreme.
    let decided = match extreme {
        Extreme::Min => compare(column(MIN)),
        Extreme::Max => compare(column(MAX)),
        // x = ALL: false when some value differs; x <> ANY: true then.
        Extreme::Both => x
            .clone()
            .not_eq(column(MIN))
            .or(x.clone().not_eq(column(MAX))),
    };
    let empty = column(COUNT).eq(Expr::Literal(ScalarValue::Int64(Some(0))));
    let some_null = column(COUNT).gt(column(COUNT_VALUES));
    let x_null = x.clone().is_null();
    let when_then = match (all, extreme) {
        // ANY: true on a definite match; a NULL on either side makes a miss unknown.
        (false, Extreme::Min | Extreme::Max) => vec![
            (empty, truth(Some(false))),
            (decided, truth(Some(true))),
            (x_null.or(some_null), truth(None)),
        ],
        // ALL: false on a definite counterexample; a NULL makes the rest unknown.
        (true, Extreme::Min | Extreme::Max) => vec![
            (empty, truth(Some(true))),
            (x_null, truth(None)),
            (Expr::Not(Box::new(decided)), truth(Some(false))),
            (some_null, truth(None)),
        ],
        (true, Extreme::Both) => vec![
            (empty, truth(Some(true))),
            (x_null, truth(None)),
            (decided, truth(Some(false))),
            (some_null, truth(None)),
        ],
        (false, Extreme::Both) => vec![
            (empty, truth(Some(false))),
            (x_null, truth(None)),
            (decided, truth(Some(true))),
            (some_null, truth(None)),
        ],
    };
    let value = Expr::Case {
        operand: None,
        when_then,
        else_expr: Some(Box::new(truth(Some(all)))),
    };
    let subquery = LogicalPlanBuilder::from_arc(plan)
        .aggregate(vec![], calls)?
        .project(vec![value.alias(if all { "all" } else { "any" })])?
        .build_arc();
    Ok(Expr::ScalarSubquery(subquery))
}

/// `x` as seen from inside the subquery: its columns become outer references.
fn as_outer(x: Expr, schema: &PlanSchema) -> Result<Expr> {
    Ok(x.transform_up(&mut |e| {
        Ok(match e {
            Expr::Column(c) => {
                let data_type: DataType = Expr::Column(c.clone()).data_type(schema)?;
                Transformed::yes(Expr::OuterColumn {
                    column: c,
                    data_type,
                })
            }
            other => Transformed::no(other),
        })
    })?
    .data)
}

/// The quantifier and operator of a sqlparser `AnyOp` / `AllOp`, when it is one.
pub(crate) fn quantifier_op(op: &ast::BinaryOperator) -> Option<BinaryOp> {
    use ast::BinaryOperator as B;
    Some(match op {
        B::Eq => BinaryOp::Eq,
        B::NotEq => BinaryOp::NotEq,
        B::Lt => BinaryOp::Lt,
        B::LtEq => BinaryOp::LtEq,
        B::Gt => BinaryOp::Gt,
        B::GtEq => BinaryOp::GtEq,
        _ => return None,
    })
}
