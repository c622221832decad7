//! decorrelate_predicate_subquery: `[NOT] EXISTS (sub)` and `x [NOT] IN (sub)` become
//! joins. A WHERE (or HAVING) conjunct becomes a semi or anti join of the filter's input
//! with the subquery; anywhere else in a filter or a select list (under OR, NOT of a
//! compound, CASE, ...) the predicate becomes a mark join's mark column (see
//! [`crate::optimizer::rules::subquery_join`]), and the filter or projection reads it.
//!
//! ```text
//! Filter: EXISTS (<subquery>) AND o.a > 1          Filter: o.a > 1
//!   Subquery:                                  ⇒     LeftSemi Join: on=[o.k = l.k] filter=l.x <> o.y
//!     Filter: l.k = outer(o.k) AND l.x <> outer(o.y)     Scan: o
//!       Scan: l                                        Scan: l
//!   Scan: o
//! ```
//! `NOT EXISTS` is a LeftAnti join; `x NOT IN (sub)` is a LeftAntiNullAware join (SQL's
//! NULL rules) unless `x` and the subquery's column are both non-nullable, when LeftAnti
//! gives the same answer; correlated, over NULLs, it is a null-aware mark join and a
//! filter keeping the rows whose mark is FALSE. A filter that gained mark columns is
//! projected back to its input's columns. Predicate subqueries in any other node (join
//! conditions, GROUP BY, aggregate arguments) are Unsupported. Subqueries nested in the
//! subquery are decorrelated first.

use std::sync::Arc;

use crate::error::{PlanError, Result};
use crate::expr::Expr;
use crate::logical::builder::field_column;
use crate::logical::{LogicalPlan, LogicalPlanBuilder, Transformed};
use crate::optimizer::rule::OptimizerRule;
use crate::optimizer::rules::subquery_join::PredicateJoin;
use crate::optimizer::rules::subquery_util::AliasGen;

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

fn unsupported_position(e: &Expr, node: &LogicalPlan) -> PlanError {
    PlanError::unsupported(format!(
        "subquery predicate in '{e}' of {}: EXISTS and IN (subquery) are supported only \
         in WHERE, HAVING and the select list",
        node.describe()
    ))
}

/// Rewrites one node (its subqueries' plans are decorrelated first).
pub(crate) fn rewrite_node(
    node: Arc<LogicalPlan>,
    aliases: &mut AliasGen,
) -> Result<Transformed<Arc<LogicalPlan>>> {
    match node.as_ref() {
        LogicalPlan::Filter { input, predicate } if contains_predicate_subquery(predicate) => {
            rewrite_filter(input, predicate, aliases).map(Transformed::yes)
        }
        LogicalPlan::Projection { input, exprs, .. }
            if exprs.iter().any(contains_predicate_subquery) =>
        {
            let mut left = input.clone();
            let mut new_exprs = Vec::with_capacity(exprs.len());
            for e in exprs {
                if !contains_predicate_subquery(e) {
                    new_exprs.push(e.clone());
                    continue;
                }
                let (l, new) = replace_with_marks(left, e.clone(), aliases)?;
                left = l;
                let name = e.output_name();
                new_exprs.push(if new.output_name() == name {
                    new
                } else {
                    new.alias(name)
                });
            }
            Ok(Transformed::yes(
                LogicalPlanBuilder::from_arc(left)
                    .project(new_exprs)?
                    .build_arc(),
            ))
        }
        other => {
            if let Some(e) = other
                .expressions()
                .into_iter()
                .find(contains_predicate_subquery)
            {
                return Err(unsupported_position(&e, other));
            }
            Ok(Transformed::no(node))
        }
    }
}

/// A filter's top-level EXISTS / IN terms as semi and anti joins, the others' subquery
/// predicates as mark joins; projected back to the input's columns when marks came in.
fn rewrite_filter(
    input: &Arc<LogicalPlan>,
    predicate: &Expr,
    aliases: &mut AliasGen,
) -> Result<Arc<LogicalPlan>> {
    let mut left = input.clone();
    let mut rest = Vec::new();
    let mut marked = false;
    for c in predicate.clone().split_conjunction() {
        match fold_not(c) {
            Expr::Exists { subquery, negated } => {
                let join = PredicateJoin::new(&left, subquery, None, aliases)?;
                left = join.semi_or_anti(left, negated)?;
            }
            Expr::InSubquery {
                expr,
                subquery,
                negated,
            } => {
                let join = PredicateJoin::new(&left, subquery, Some(*expr), aliases)?;
                if negated && join.not_in_needs_mark() {
                    let (l, mark) = join.mark(left, aliases)?;
                    left = l;
                    marked = true;
                    rest.push(Expr::Not(Box::new(mark)));
                } else {
                    left = join.semi_or_anti(left, negated)?;
                }
            }
            other if contains_predicate_subquery(&other) => {
                let (l, new) = replace_with_marks(left, other, aliases)?;
                left = l;
                marked = true;
                rest.push(new);
            }
            other => rest.push(other),
        }
    }
    let mut out = LogicalPlanBuilder::from_arc(left);
    if let Some(p) = Expr::conjunction(rest) {
        out = out.filter(p)?;
    }
    if marked {
        let keep = input.schema().fields.iter().map(field_column).collect();
        out = out.project(keep)?;
    }
    Ok(out.build_arc())
}

/// Mark-joins each EXISTS / IN of `e` to `left` and replaces it by its mark (`NOT mark`
/// when negated).
fn replace_with_marks(
    left: Arc<LogicalPlan>,
    e: Expr,
    aliases: &mut AliasGen,
) -> Result<(Arc<LogicalPlan>, Expr)> {
    let mut joined = left;
    let new = e
        .transform_down(&mut |x| {
            let (subquery, in_expr, negated) = match x {
                Expr::Exists { subquery, negated } => (subquery, None, negated),
                Expr::InSubquery {
                    expr,
                    subquery,
                    negated,
                } => (subquery, Some(*expr), negated),
                other => return Ok(Transformed::no(other)),
            };
            let join = PredicateJoin::new(&joined, subquery, in_expr, aliases)?;
            let (j, mark) = join.mark(joined.clone(), aliases)?;
            joined = j;
            Ok(Transformed::yes(if negated {
                Expr::Not(Box::new(mark))
            } else {
                mark
            })
            .jump())
        })?
        .data;
    Ok((joined, new))
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
    fn in_under_or_is_a_null_aware_mark_join() {
        let text = rewritten(
            "select c_name from customer where c_acctbal > 0 or \
             (case when c_acctbal > 0 then c_custkey end) in (select o_custkey from orders)",
        )
        .unwrap();
        assert!(
            text.contains("Filter: (customer.c_acctbal > 0.00) OR __mark_1"),
            "{text}"
        );
        assert!(
            text.contains("LeftMarkNullAware Join: in=[CASE WHEN"),
            "{text}"
        );
        assert!(text.contains("__mark AS __mark_1"), "{text}");
    }

    #[test]
    fn exists_in_the_select_list_is_a_mark_join() {
        let text = rewritten(
            "select c_name, not exists (select * from orders where o_custkey = c_custkey) \
             from customer",
        )
        .unwrap();
        assert!(
            text.starts_with(
                "Projection: customer.c_name, NOT __mark_1 AS NOT EXISTS (SELECT * FROM orders WHERE o_custkey = c_custkey)\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("LeftMark Join: on=[customer.c_custkey = orders.o_custkey]"),
            "{text}"
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
