//! decorrelate_predicate_subquery: a WHERE (or HAVING) conjunct `[NOT] EXISTS (sub)` or
//! `x [NOT] IN (sub)` becomes a semi or anti join of the filter's input with the subquery.
//!
//! ```text
//! Filter: EXISTS (<subquery>) AND o.a > 1          Filter: o.a > 1
//!   Subquery:                                  ⇒     LeftSemi Join: on=[o.k = l.k] filter=l.x <> o.y
//!     Filter: l.k = outer(o.k) AND l.x <> outer(o.y)     Scan: o
//!       Scan: l                                        Scan: l
//!   Scan: o
//! ```
//! The subquery's correlated equalities `inner = outer` become join keys, its other
//! correlated predicates the join filter (outer columns turned back into columns of the
//! left side). `x IN (sub)` adds the key `x = sub's column`. `NOT EXISTS` is a LeftAnti
//! join; `x NOT IN (sub)` is a LeftAntiNullAware join (SQL's NULL rules) unless `x` and
//! the subquery's column are both non-nullable, when LeftAnti gives the same answer.
//! EXISTS/IN anywhere else (under OR, NOT of a compound, the select list, ...) is
//! Unsupported. Subqueries nested in the subquery are decorrelated first.

use std::sync::Arc;

use crate::error::{PlanError, Result};
use crate::expr::Expr;
use crate::logical::builder::field_column;
use crate::logical::{JoinKind, LogicalPlan, LogicalPlanBuilder, Transformed};
use crate::optimizer::rule::OptimizerRule;
use crate::optimizer::rules::subquery_util::{
    AliasGen, alias_apart, check_outer_resolves, clashes, correlation_key, decorrelate_tree,
    drop_top_sorts, map_right_columns, outer_to_column, plan_has_outer, pull_up_correlation,
};

/// See the module documentation.
pub struct DecorrelatePredicateSubquery;

impl OptimizerRule for DecorrelatePredicateSubquery {
    fn name(&self) -> &'static str {
        "decorrelate_predicate_subquery"
    }

    fn rewrite(&self, plan: Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>> {
        let mut aliases = AliasGen::for_plan(&plan);
        plan.transform_up(&mut |node| rewrite_node(node, &mut aliases))
    }
}

/// True for EXISTS / IN subquery expressions.
fn is_predicate_subquery(e: &Expr) -> bool {
    matches!(e, Expr::Exists { .. } | Expr::InSubquery { .. })
}

fn contains_predicate_subquery(e: &Expr) -> bool {
    let mut found = false;
    e.visit(&mut |x| found |= is_predicate_subquery(x));
    found
}

/// `NOT EXISTS` / `NOT (x IN ...)` written with a separate NOT, folded into the node.
fn fold_not(e: Expr) -> Expr {
    match e {
        Expr::Not(inner) => match *inner {
            Expr::Exists { subquery, negated } => Expr::Exists {
                subquery,
                negated: !negated,
            },
            Expr::InSubquery {
                expr,
                subquery,
                negated,
            } => Expr::InSubquery {
                expr,
                subquery,
                negated: !negated,
            },
            other => Expr::Not(Box::new(other)),
        },
        other => other,
    }
}

fn unsupported_position(e: &Expr) -> PlanError {
    PlanError::unsupported(format!(
        "subquery predicate in '{e}': EXISTS and IN (subquery) are supported only as \
         top-level AND terms of WHERE or HAVING"
    ))
}

/// Rewrites one node (its subqueries' plans are decorrelated first).
pub(crate) fn rewrite_node(
    node: Arc<LogicalPlan>,
    aliases: &mut AliasGen,
) -> Result<Transformed<Arc<LogicalPlan>>> {
    let LogicalPlan::Filter { input, predicate } = node.as_ref() else {
        if let Some(e) = node
            .expressions()
            .into_iter()
            .find(contains_predicate_subquery)
        {
            return Err(unsupported_position(&e));
        }
        return Ok(Transformed::no(node));
    };
    if !contains_predicate_subquery(predicate) {
        return Ok(Transformed::no(node));
    }
    let mut left = input.clone();
    let mut rest = Vec::new();
    for c in predicate.clone().split_conjunction() {
        match fold_not(c) {
            Expr::Exists { subquery, negated } => {
                left = semi_or_anti_join(left, subquery, None, negated, aliases)?;
            }
            Expr::InSubquery {
                expr,
                subquery,
                negated,
            } => {
                left = semi_or_anti_join(left, subquery, Some(*expr), negated, aliases)?;
            }
            other => {
                if contains_predicate_subquery(&other) {
                    return Err(unsupported_position(&other));
                }
                rest.push(other);
            }
        }
    }
    let out = match Expr::conjunction(rest) {
        Some(p) => LogicalPlanBuilder::from_arc(left).filter(p)?.build_arc(),
        None => left,
    };
    Ok(Transformed::yes(out))
}

/// `left` semi/anti-joined with `subquery` (for `x IN`, `in_expr` is `x`).
fn semi_or_anti_join(
    left: Arc<LogicalPlan>,
    subquery: Arc<LogicalPlan>,
    in_expr: Option<Expr>,
    negated: bool,
    aliases: &mut AliasGen,
) -> Result<Arc<LogicalPlan>> {
    let mut sub = drop_top_sorts(decorrelate_tree(subquery, aliases)?.data)?;
    if in_expr.is_none() {
        // What EXISTS's subquery selects does not matter.
        while let LogicalPlan::Projection { input, .. } = sub.as_ref() {
            sub = input.clone();
        }
    }
    let (right, preds) = pull_up_correlation(&sub)?;
    if plan_has_outer(&right) {
        return Err(PlanError::unsupported(format!(
            "correlated subquery whose outer references are not in its WHERE: {}",
            right.describe()
        )));
    }
    let ls = left.schema();
    check_outer_resolves(&preds, &ls)?;
    let before = right.schema();
    let (right, right_cols) = if clashes(&ls, &before) {
        alias_apart(&ls, right, aliases)?
    } else {
        let cols = before.fields.iter().map(field_column).collect();
        (right, cols)
    };
    let correlated = !preds.is_empty();
    let mut keys = Vec::new();
    let mut filters = Vec::new();
    for p in preds {
        let p = map_right_columns(p, &before, &right_cols);
        match correlation_key(&p) {
            Some((outer, inner)) => {
                let key = (outer_to_column(outer), inner);
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
            None => filters.push(outer_to_column(p)),
        }
    }
    let mut kind = if negated {
        JoinKind::LeftAnti
    } else {
        JoinKind::LeftSemi
    };
    if let Some(x) = in_expr {
        if x.contains_outer_column() || x.contains_subquery() {
            return Err(PlanError::unsupported(format!(
                "IN whose tested value '{x}' is an outer reference or a subquery"
            )));
        }
        let Some(column) = right_cols.first().cloned() else {
            return Err(PlanError::plan("the subquery of IN returns no columns"));
        };
        let rs = right.schema();
        if negated && (x.nullable(&ls)? || rs.field(0).nullable) {
            if correlated {
                return Err(PlanError::unsupported(format!(
                    "NOT IN with a correlated subquery over nullable values ('{x}')"
                )));
            }
            kind = JoinKind::LeftAntiNullAware;
        }
        let key = (x, column);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    Ok(LogicalPlanBuilder::from_arc(left)
        .join_on(right, kind, keys, Expr::conjunction(filters))?
        .build_arc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::tests::TestCatalog;

    /// The plan of `sql` after coercion and this rule alone.
    fn rewritten(sql: &str) -> Result<String> {
        let plan = TestCatalog::new().plan(sql)?;
        let plan = crate::analyzer::coerce_plan(Arc::new(plan))?;
        let t = DecorrelatePredicateSubquery.rewrite(plan)?;
        assert!(t.transformed);
        Ok(t.data.display_indent())
    }

    #[test]
    fn exists_with_equality_and_inequality_correlation() {
        let text = rewritten(
            "select c_name from customer where c_acctbal > 0 and exists \
             (select o_orderkey from orders where o_custkey = c_custkey \
              and o_totalprice > c_acctbal and o_orderstatus = 'F')",
        )
        .unwrap();
        assert_eq!(
            text,
            "Projection: customer.c_name\n\
             \x20 Filter: customer.c_acctbal > 0.00\n\
             \x20   LeftSemi Join: on=[customer.c_custkey = orders.o_custkey] filter=orders.o_totalprice > customer.c_acctbal\n\
             \x20     Scan: customer\n\
             \x20     Filter: orders.o_orderstatus = 'F'\n\
             \x20       Scan: orders\n"
        );
    }

    #[test]
    fn not_in_uncorrelated_keeps_the_subquery_projection() {
        let text = rewritten(
            "select c_name from customer where c_nationkey not in \
             (select n_nationkey from nation where n_name = 'X')",
        )
        .unwrap();
        assert_eq!(
            text,
            "Projection: customer.c_name\n\
             \x20 LeftAnti Join: on=[customer.c_nationkey = nation.n_nationkey]\n\
             \x20   Scan: customer\n\
             \x20   Projection: nation.n_nationkey\n\
             \x20     Filter: nation.n_name = 'X'\n\
             \x20       Scan: nation\n"
        );
    }

    #[test]
    fn not_in_with_a_nullable_side_is_null_aware() {
        let text = rewritten(
            "select c_name from customer where \
             (case when c_acctbal > 0 then c_nationkey end) not in (select n_nationkey from nation)",
        )
        .unwrap();
        assert!(
            text.contains("LeftAntiNullAware Join: on=[CASE WHEN"),
            "{text}"
        );
    }

    #[test]
    fn not_exists_written_as_not_of_exists() {
        let text = rewritten(
            "select c_name from customer where not (exists \
             (select * from orders where o_custkey = c_custkey))",
        )
        .unwrap();
        assert!(
            text.contains("LeftAnti Join: on=[customer.c_custkey = orders.o_custkey]"),
            "{text}"
        );
    }

    #[test]
    fn same_table_inside_is_aliased_apart() {
        let text = rewritten(
            "select o_orderkey from orders where o_custkey in \
             (select o_custkey from orders where o_orderstatus = 'F')",
        )
        .unwrap();
        assert!(
            text.contains("LeftSemi Join: on=[orders.o_custkey = __sq_1.o_custkey_2]"),
            "{text}"
        );
        assert!(
            text.contains("Projection: orders.o_custkey AS o_custkey_2"),
            "{text}"
        );
    }

    #[test]
    fn correlation_inside_a_derived_table_is_pulled_up() {
        let text = rewritten(
            "select c_name from customer where exists \
             (select * from (select o_orderkey from orders where o_custkey = c_custkey) o)",
        )
        .unwrap();
        assert!(
            text.contains("LeftSemi Join: on=[customer.c_custkey = o.o_custkey]"),
            "{text}"
        );
    }

    #[test]
    fn order_by_in_a_correlated_in_subquery_is_dropped() {
        let text = rewritten(
            "select c_name from customer where c_custkey in \
             (select o_custkey from orders where o_totalprice > c_acctbal order by o_orderdate)",
        )
        .unwrap();
        assert!(!text.contains("Sort"), "{text}");
        assert!(
            text.contains(
                "LeftSemi Join: on=[customer.c_custkey = orders.o_custkey] filter=orders.o_totalprice > customer.c_acctbal"
            ),
            "{text}"
        );
    }

    #[test]
    fn in_under_or_is_unsupported() {
        let err = rewritten(
            "select c_name from customer where c_acctbal > 0 or \
             c_custkey in (select o_custkey from orders)",
        )
        .unwrap_err();
        assert!(
            matches!(&err, PlanError::Unsupported { what, .. }
                if what.contains("customer.c_custkey IN (<subquery: o_custkey>)")),
            "{err:?}"
        );
    }

    #[test]
    fn correlation_under_an_aggregate_is_unsupported() {
        let err = rewritten(
            "select c_name from customer where c_custkey in \
             (select max(o_custkey) from orders where o_totalprice > c_acctbal)",
        )
        .unwrap_err();
        assert!(
            matches!(&err, PlanError::Unsupported { what, .. } if what.contains("Aggregate")),
            "{err:?}"
        );
    }
}
