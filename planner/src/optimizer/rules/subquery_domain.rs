//! The domain (magic set) of a correlated subquery whose correlation is not made of
//! equalities: the distinct values of the outer columns it reads, joined into the
//! subquery under its correlated predicates, so that the subquery can be computed once
//! per outer value (grouped by the domain's columns) and joined back to the outer rows.
//!
//! ```text
//! correlated predicates: x.c > outer(t1.c)
//!
//! Inner Join: filter=x.c > __sq_1.c             (the subquery's rows, per outer value)
//!   Scan: t1 AS x
//!   SubqueryAlias: __sq_1
//!     Distinct
//!       Projection: t1.c
//!         Scan: t1                              (the outer query)
//! ```
//! In: the outer plan, the subquery without its correlated predicates, and those
//! predicates. Out: the joined plan, its domain columns, the outer columns they stand
//! for, and the key pairs that join a per-domain-value result back to the outer rows —
//! NULL-safe (`IS NULL` flags plus values with NULLs replaced) for a column the
//! predicates do not reject NULLs of, since a NULL outer value has its own result.

use std::sync::Arc;

use arrow::datatypes::DataType;

use crate::error::{PlanError, Result};
use crate::expr::{BinaryOp, Column, Expr};
use crate::logical::builder::field_column;
use crate::logical::{JoinKind, LogicalPlan, LogicalPlanBuilder};
use crate::optimizer::rules::subquery_util::{
    AliasGen, alias_apart, check_outer_resolves, only_inner, only_outer, outer_columns,
    uncorrelated_source,
};
use crate::scalar::ScalarValue;
use crate::transformed::Transformed;

/// A subquery joined with the domain of its outer values.
pub(crate) struct Domain {
    /// The subquery's rows joined with the domain values they belong to.
    pub plan: Arc<LogicalPlan>,
    /// The domain's columns in `plan`, one per outer column.
    pub columns: Vec<Expr>,
    /// The outer columns, as columns of the outer plan.
    outer: Vec<Expr>,
    /// Their types.
    types: Vec<DataType>,
    /// Per outer column: whether a NULL value may have a result of its own (the column
    /// is nullable and the predicates do not reject its NULLs).
    null_safe: Vec<bool>,
}

impl Domain {
    /// Joins `inner` with the distinct values of the columns of `outer` that `preds`
    /// read, under `preds` (outer references turned into the domain's columns).
    pub(crate) fn new(
        outer: &Arc<LogicalPlan>,
        inner: Arc<LogicalPlan>,
        preds: Vec<Expr>,
        aliases: &mut AliasGen,
    ) -> Result<Self> {
        let os = outer.schema();
        check_outer_resolves(&preds, &os)?;
        let mut used: Vec<Column> = Vec::new();
        for p in &preds {
            for c in outer_columns(p) {
                if !used.contains(&c) {
                    used.push(c);
                }
            }
        }
        let mut outer_cols = Vec::with_capacity(used.len());
        let mut types = Vec::with_capacity(used.len());
        let mut null_safe = Vec::with_capacity(used.len());
        for c in &used {
            let f = os.field(os.index_of(c.relation.as_deref(), &c.name)?);
            outer_cols.push(field_column(f));
            types.push(f.data_type.clone());
            null_safe.push(f.nullable && !preds.iter().any(|p| rejects_null(p, c)));
        }
        let distinct = LogicalPlanBuilder::from_arc(uncorrelated_source(outer)?)
            .project(outer_cols.clone())?
            .distinct()?
            .build_arc();
        let (domain, columns) = alias_apart(&inner.schema(), distinct, aliases)?;
        let to_domain = |e: Expr| -> Result<Expr> {
            let t = e.transform_up(&mut |x| {
                Ok(match x {
                    Expr::OuterColumn { column, data_type } => {
                        match used.iter().position(|u| *u == column) {
                            Some(i) => {
                                Transformed::yes(columns.get(i).cloned().ok_or_else(|| {
                                    PlanError::internal("a domain column went missing")
                                })?)
                            }
                            None => Transformed::no(Expr::OuterColumn { column, data_type }),
                        }
                    }
                    other => Transformed::no(other),
                })
            })?;
            Ok(t.data)
        };
        let mut keys = Vec::new();
        let mut filters = Vec::new();
        for p in preds {
            match domain_key(&p) {
                Some((inner_side, outer_side)) => {
                    keys.push((inner_side, to_domain(outer_side)?));
                }
                None => filters.push(to_domain(p)?),
            }
        }
        let plan = LogicalPlanBuilder::from_arc(inner)
            .join_on(domain, JoinKind::Inner, keys, Expr::conjunction(filters))?
            .build_arc();
        Ok(Domain {
            plan,
            columns,
            outer: outer_cols,
            types,
            null_safe,
        })
    }

    /// Key pairs (outer expr, result expr) joining results keyed by `result_cols` (the
    /// domain's columns as they came out of the result plan, in order) to the outer rows.
    pub(crate) fn join_back_keys(&self, result_cols: &[Expr]) -> Result<Vec<(Expr, Expr)>> {
        let mut keys = Vec::new();
        for (i, r) in result_cols.iter().enumerate() {
            let (Some(o), Some(t)) = (self.outer.get(i), self.types.get(i)) else {
                return Err(PlanError::internal("more result keys than domain columns"));
            };
            if !self.null_safe.get(i).copied().unwrap_or(false) {
                keys.push((o.clone(), r.clone()));
                continue;
            }
            let Some(zero) = zero_of(t) else {
                return Err(PlanError::unsupported(format!(
                    "correlated subquery whose predicates may hold for a NULL {o} of type {t}"
                )));
            };
            let coalesce = |e: &Expr| Expr::Function {
                name: "coalesce".into(),
                args: vec![e.clone(), Expr::Literal(zero.clone())],
            };
            keys.push((o.clone().is_null(), r.clone().is_null()));
            keys.push((coalesce(o), coalesce(r)));
        }
        Ok(keys)
    }
}

/// `inner = outer` (either order) with one side reading only the subquery's columns and
/// the other only outer columns, as (inner, outer).
fn domain_key(p: &Expr) -> Option<(Expr, Expr)> {
    let Expr::Binary {
        left,
        op: BinaryOp::Eq,
        right,
    } = p
    else {
        return None;
    };
    if only_inner(left) && only_outer(right) {
        Some((*left.clone(), *right.clone()))
    } else if only_outer(left) && only_inner(right) {
        Some((*right.clone(), *left.clone()))
    } else {
        None
    }
}

/// A value of `t` to stand for NULL in a NULL-safe key (the `IS NULL` key beside it
/// tells the two apart).
pub(crate) fn zero_of(t: &DataType) -> Option<ScalarValue> {
    Some(match t {
        DataType::Boolean => ScalarValue::Boolean(Some(false)),
        DataType::Int32 => ScalarValue::Int32(Some(0)),
        DataType::Int64 => ScalarValue::Int64(Some(0)),
        DataType::Float64 => ScalarValue::Float64(Some(0.0)),
        DataType::Decimal128(p, s) => ScalarValue::Decimal128(Some(0), *p, *s),
        DataType::Utf8 => ScalarValue::Utf8(Some(String::new())),
        DataType::Date32 => ScalarValue::Date32(Some(0)),
        DataType::Timestamp(..) => ScalarValue::Timestamp(Some(0)),
        _ => return None,
    })
}

/// True when `p` cannot be TRUE while outer column `c` is NULL.
fn rejects_null(p: &Expr, c: &Column) -> bool {
    match p {
        Expr::Binary {
            left,
            op: BinaryOp::And,
            right,
        } => rejects_null(left, c) || rejects_null(right, c),
        Expr::Binary {
            left,
            op: BinaryOp::Or,
            right,
        } => rejects_null(left, c) && rejects_null(right, c),
        Expr::Not(e) => null_if_null(e, c),
        e => null_if_null(e, c),
    }
}

/// True when `e` is NULL whenever outer column `c` is NULL.
fn null_if_null(e: &Expr, c: &Column) -> bool {
    match e {
        Expr::OuterColumn { column, .. } => column == c,
        Expr::Binary { left, op, right } if !op.is_logical() => {
            null_if_null(left, c) || null_if_null(right, c)
        }
        Expr::Not(e) | Expr::Negative(e) | Expr::Cast { expr: e, .. } => null_if_null(e, c),
        Expr::Between {
            expr, low, high, ..
        } => null_if_null(expr, c) || null_if_null(low, c) || null_if_null(high, c),
        Expr::Like { expr, pattern, .. } => null_if_null(expr, c) || null_if_null(pattern, c),
        Expr::InList { expr, .. } => null_if_null(expr, c),
        _ => false,
    }
}
