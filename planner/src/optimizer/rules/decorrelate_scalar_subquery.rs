//! decorrelate_scalar_subquery: a scalar subquery in a Filter (WHERE, HAVING) or a
//! Projection (the select list) becomes a join, and the expression a column of it.
//!
//! Uncorrelated: a cross join with the subquery made to yield exactly one row (an
//! aggregate without GROUP BY already does; anything else is wrapped in
//! `single_value(...)`, which gives NULL for no rows and fails for more than one):
//! ```text
//! Filter: t.a > (<subquery>)                 Projection: t.a, ...
//!   Subquery:                           ⇒      Filter: t.a > __sq_1.m
//!     Projection: max(u.b) AS m                  Cross Join: on=[]
//!       Aggregate: groupBy=[], aggr=[max(u.b)]     Scan: t
//!         Scan: u                                  SubqueryAlias: __sq_1 ...
//!   Scan: t
//! ```
//! Correlated through equalities `inner = outer` (and only those): the subquery's
//! aggregate is grouped by the inner sides and LEFT joined on the outer sides; the
//! expression over the aggregate is evaluated above the join, with `count` results
//! wrapped in `coalesce(.., 0)` so outer rows without a group see 0, not NULL:
//! ```text
//! Filter: l.q < (<subquery>)                 Projection: l.q, ...
//!   Subquery:                           ⇒      Filter: l.q < 0.2 * __sq_1.avg(l2.q)
//!     Projection: 0.2 * avg(l2.q)                Left Join: on=[l.k = __sq_1.k]
//!       Aggregate: groupBy=[], aggr=[avg(l2.q)]    Scan: l
//!         Filter: l2.k = outer(l.k)                SubqueryAlias: __sq_1
//!           Scan: l2                                 Aggregate: groupBy=[l2.k], aggr=[avg(l2.q)]
//!   Scan: l                                            Scan: l2
//! ```
//! Correlated through anything else (`x.c > outer(t1.c)`, an OR, ...): the subquery is
//! joined with the domain of the outer values it reads (their distinct values, see
//! [`crate::optimizer::rules::subquery_domain`]) under those predicates, grouped by the
//! domain's columns, and LEFT joined back on them — NULL-safely where a NULL outer
//! value can have a result of its own:
//! ```text
//! Projection: t1.a, coalesce(__sq_2.count(*), 0)
//!   Left Join: on=[t1.c = __sq_2.c]
//!     Scan: t1
//!     SubqueryAlias: __sq_2
//!       Aggregate: groupBy=[__sq_1.c], aggr=[count(*)]
//!         Inner Join: on=[] filter=x.c > __sq_1.c
//!           Scan: x
//!           SubqueryAlias: __sq_1
//!             Distinct
//!               Projection: t1.c
//!                 Scan: t1
//! ```
//! A Filter's extra columns are projected away again, so every node keeps its output.
//! A correlated subquery that is not such an aggregate is grouped the same way with
//! `single_value` of its column. Correlation under an aggregate, limit or similar is
//! Unsupported, as are scalar subqueries in other nodes (join conditions, GROUP BY,
//! aggregate arguments).

use std::sync::Arc;

use crate::error::{PlanError, Result};
use crate::expr::{AggFunc, Expr};
use crate::logical::builder::field_column;
use crate::logical::{JoinKind, LogicalPlan, LogicalPlanBuilder, Transformed};
use crate::optimizer::rule::OptimizerRule;
use crate::optimizer::rules::decorrelate_tree::decorrelate_tree;
use crate::optimizer::rules::subquery_domain::Domain;
use crate::optimizer::rules::subquery_lift::lift_deep_references;
use crate::optimizer::rules::subquery_util::{
    AliasGen, alias_apart, check_outer_resolves, correlation_key, drop_top_sorts, outer_to_column,
    plan_has_outer, pull_up_correlation,
};
use crate::scalar::ScalarValue;
use crate::schema::PlanSchemaRef;

/// See the module documentation.
pub struct DecorrelateScalarSubquery;

impl OptimizerRule for DecorrelateScalarSubquery {
    fn name(&self) -> &'static str {
        "decorrelate_scalar_subquery"
    }

    fn rewrite(&self, plan: Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>> {
        let mut aliases = AliasGen::for_plan(&plan);
        plan.transform_up(&mut |node| rewrite_node(node, &mut aliases))
    }
}

fn contains_scalar_subquery(e: &Expr) -> bool {
    let mut found = false;
    e.visit(&mut |x| found |= matches!(x, Expr::ScalarSubquery(_)));
    found
}

/// Rewrites one node (its subqueries' plans are decorrelated first).
pub(crate) fn rewrite_node(
    node: Arc<LogicalPlan>,
    aliases: &mut AliasGen,
) -> Result<Transformed<Arc<LogicalPlan>>> {
    match node.as_ref() {
        LogicalPlan::Filter { input, predicate } if contains_scalar_subquery(predicate) => {
            let (joined, predicate) =
                replace_subqueries(input.clone(), predicate.clone(), aliases)?;
            let filtered = LogicalPlanBuilder::from_arc(joined).filter(predicate)?;
            let keep = input.schema().fields.iter().map(field_column).collect();
            Ok(Transformed::yes(filtered.project(keep)?.build_arc()))
        }
        LogicalPlan::Projection { input, exprs, .. }
            if exprs.iter().any(contains_scalar_subquery) =>
        {
            let mut joined = input.clone();
            let mut new_exprs = Vec::with_capacity(exprs.len());
            for e in exprs {
                if !contains_scalar_subquery(e) {
                    new_exprs.push(e.clone());
                    continue;
                }
                let (j, new) = replace_subqueries(joined, e.clone(), aliases)?;
                joined = j;
                let name = e.output_name();
                new_exprs.push(if new.output_name() == name {
                    new
                } else {
                    new.alias(name)
                });
            }
            Ok(Transformed::yes(
                LogicalPlanBuilder::from_arc(joined)
                    .project(new_exprs)?
                    .build_arc(),
            ))
        }
        other => {
            if let Some(e) = other
                .expressions()
                .into_iter()
                .find(contains_scalar_subquery)
            {
                return Err(PlanError::unsupported(format!(
                    "scalar subquery in '{e}' of {}: only WHERE, HAVING and the select list \
                     may hold scalar subqueries",
                    other.describe()
                )));
            }
            Ok(Transformed::no(node))
        }
    }
}

/// Joins each scalar subquery of `e` to `input` and replaces it by the joined value.
fn replace_subqueries(
    input: Arc<LogicalPlan>,
    e: Expr,
    aliases: &mut AliasGen,
) -> Result<(Arc<LogicalPlan>, Expr)> {
    let mut joined = input;
    let new = e
        .transform_down(&mut |x| match x {
            Expr::ScalarSubquery(plan) => {
                let (j, value) = join_scalar(joined.clone(), plan, aliases)?;
                joined = j;
                Ok(Transformed::yes(value).jump())
            }
            other => Ok(Transformed::no(other)),
        })?
        .data;
    Ok((joined, new))
}

/// True when `plan` always yields exactly one row.
fn one_row(plan: &LogicalPlan) -> bool {
    match plan {
        LogicalPlan::Projection { input, .. } | LogicalPlan::SubqueryAlias { input, .. } => {
            one_row(input)
        }
        LogicalPlan::Aggregate { group_by, .. } => group_by.is_empty(),
        _ => false,
    }
}

/// A scalar subquery seen as an aggregate without GROUP BY.
struct AggregateShape {
    /// The expression over the aggregate's output (`None`: its only column).
    value: Option<Expr>,
    /// The aggregate's input.
    input: Arc<LogicalPlan>,
    /// Its calls.
    aggregates: Vec<Expr>,
    /// Its output schema.
    schema: PlanSchemaRef,
}

/// `[Projection: e] → Aggregate (no GROUP BY, no outer references in its calls)` as
/// (e, the aggregate's input, its calls, its schema).
fn aggregate_shape(sub: &Arc<LogicalPlan>) -> Option<AggregateShape> {
    let (value, agg) = match sub.as_ref() {
        LogicalPlan::Projection { input, exprs, .. } => match exprs.as_slice() {
            [e] => (Some(e.unalias().clone()), input),
            _ => return None,
        },
        _ => (None, sub),
    };
    match agg.as_ref() {
        LogicalPlan::Aggregate {
            input,
            group_by,
            aggregates,
            schema,
        } if group_by.is_empty() && !aggregates.iter().any(Expr::contains_outer_column) => {
            Some(AggregateShape {
                value,
                input: input.clone(),
                aggregates: aggregates.clone(),
                schema: schema.clone(),
            })
        }
        _ => None,
    }
}

/// `left` joined with `subquery`, and the expression for its value over the join.
fn join_scalar(
    left: Arc<LogicalPlan>,
    subquery: Arc<LogicalPlan>,
    aliases: &mut AliasGen,
) -> Result<(Arc<LogicalPlan>, Expr)> {
    let subquery = lift_deep_references(&left, subquery, aliases)?;
    let sub = drop_top_sorts(decorrelate_tree(subquery, aliases)?.data)?;
    let ls = left.schema();
    if !plan_has_outer(&sub) {
        let sub = if one_row(&sub) {
            sub
        } else {
            let schema = sub.schema();
            let Some(f) = schema.fields.first() else {
                return Err(PlanError::plan("scalar subquery returns no columns"));
            };
            let call = Expr::Aggregate {
                func: AggFunc::SingleValue,
                args: vec![field_column(f)],
                distinct: false,
            };
            LogicalPlanBuilder::from_arc(sub.clone())
                .aggregate(vec![], vec![call.alias(&f.name)])?
                .build_arc()
        };
        let (right, cols) = alias_apart(&ls, sub, aliases)?;
        let value = cols
            .first()
            .cloned()
            .ok_or_else(|| PlanError::plan("scalar subquery returns no columns"))?;
        let joined = LogicalPlanBuilder::from_arc(left)
            .join_on(right, JoinKind::Cross, vec![], None)?
            .build_arc();
        return Ok((joined, value));
    }
    correlated(left, sub, aliases)
}

/// How a grouped subquery result joins back to the outer rows.
enum JoinBack {
    /// On these outer expressions (the correlated equalities' outer sides).
    Keys(Vec<Expr>),
    /// On the domain's columns.
    Domain(Domain),
}

/// The correlated case. `[Projection] → Aggregate (no GROUP BY) → input` keeps its
/// aggregates, grouped by the correlation's inner sides; any other subquery is taken as
/// rows and grouped the same way with `single_value` of its column (NULL for no row, an
/// error for two).
fn correlated(
    left: Arc<LogicalPlan>,
    sub: Arc<LogicalPlan>,
    aliases: &mut AliasGen,
) -> Result<(Arc<LogicalPlan>, Expr)> {
    let (value, input, aggregates, agg_schema) = match aggregate_shape(&sub) {
        Some(a) => (a.value, a.input, a.aggregates, a.schema),
        None => {
            let schema = sub.schema();
            let Some(f) = schema.fields.first() else {
                return Err(PlanError::plan("scalar subquery returns no columns"));
            };
            let call = Expr::Aggregate {
                func: AggFunc::SingleValue,
                args: vec![field_column(f)],
                distinct: false,
            }
            .alias(&f.name);
            let agg_schema = LogicalPlanBuilder::from_arc(sub.clone())
                .aggregate(vec![], vec![call.clone()])?
                .schema();
            (None, sub.clone(), vec![call], agg_schema)
        }
    };
    let (inner_input, preds) = pull_up_correlation(&input)?;
    if plan_has_outer(&inner_input) {
        return Err(PlanError::unsupported(format!(
            "correlated scalar subquery with outer references outside its WHERE: {}",
            sub.describe()
        )));
    }
    let ls = left.schema();
    check_outer_resolves(&preds, &ls)?;
    let equalities: Option<Vec<(Expr, Expr)>> = preds.iter().map(correlation_key).collect();
    // Grouped by the correlation's inner sides (equalities) or by the domain's columns
    // (anything else); then joined back on the matching outer expressions.
    let (grouped, n, domain) = match equalities {
        Some(pairs) => {
            let (outer_keys, inner_keys): (Vec<Expr>, Vec<Expr>) = pairs
                .into_iter()
                .map(|(o, i)| (outer_to_column(o), i))
                .unzip();
            let n = inner_keys.len();
            let grouped = LogicalPlanBuilder::from_arc(inner_input)
                .aggregate(inner_keys, aggregates.clone())?
                .build_arc();
            (grouped, n, JoinBack::Keys(outer_keys))
        }
        None => {
            let domain = Domain::new(&left, inner_input, preds, aliases)?;
            let n = domain.columns.len();
            let grouped = LogicalPlanBuilder::from_arc(domain.plan.clone())
                .aggregate(domain.columns.clone(), aggregates.clone())?
                .build_arc();
            (grouped, n, JoinBack::Domain(domain))
        }
    };
    let (right, cols) = alias_apart(&ls, grouped, aliases)?;
    let on = match domain {
        JoinBack::Keys(outer_keys) => outer_keys.into_iter().zip(cols.iter().cloned()).collect(),
        JoinBack::Domain(domain) => domain.join_back_keys(cols.get(..n).unwrap_or_default())?,
    };
    let joined = LogicalPlanBuilder::from_arc(left)
        .join_on(right, JoinKind::Left, on, None)?
        .build_arc();
    // The aggregate's j-th result over the join; counts of no rows are 0.
    let result = |j: usize| -> Result<Expr> {
        let c = cols
            .get(n + j)
            .cloned()
            .ok_or_else(|| PlanError::internal("decorrelated aggregate lost a column"))?;
        Ok(match aggregates.get(j).map(Expr::unalias) {
            Some(Expr::Aggregate {
                func: AggFunc::Count,
                ..
            }) => Expr::Function {
                name: "coalesce".into(),
                args: vec![c, Expr::Literal(ScalarValue::Int64(Some(0)))],
            },
            _ => c,
        })
    };
    let value = match value {
        None => result(0)?,
        Some(e) => {
            e.transform_up(&mut |x| {
                Ok(match x {
                    Expr::Column(c) => match agg_schema.index_of(c.relation.as_deref(), &c.name) {
                        Ok(j) => Transformed::yes(result(j)?),
                        Err(_) => Transformed::no(Expr::Column(c)),
                    },
                    Expr::OuterColumn { column, .. } => Transformed::yes(Expr::Column(column)),
                    other => Transformed::no(other),
                })
            })?
            .data
        }
    };
    Ok((joined, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::tests::TestCatalog;

    /// The plan of `sql` after coercion and this rule alone.
    fn rewritten(sql: &str) -> Result<String> {
        let plan = TestCatalog::new().plan(sql)?;
        let plan = crate::analyzer::coerce_plan(Arc::new(plan))?;
        let t = DecorrelateScalarSubquery.rewrite(plan)?;
        assert!(t.transformed);
        Ok(t.data.display_indent())
    }

    #[test]
    fn uncorrelated_aggregate_in_where_is_a_cross_join() {
        let text = rewritten(
            "select o_orderkey from orders where o_totalprice > \
             (select avg(o_totalprice) from orders)",
        )
        .unwrap();
        assert_eq!(
            text,
            "Projection: orders.o_orderkey\n\
             \x20 Projection: orders.o_orderkey, orders.o_custkey, orders.o_orderstatus, orders.o_totalprice, orders.o_orderdate, orders.o_orderpriority, orders.o_clerk, orders.o_shippriority, orders.o_comment\n\
             \x20   Filter: CAST(orders.o_totalprice AS DECIMAL(19,6)) > __sq_1.avg(o_totalprice)\n\
             \x20     Cross Join: on=[]\n\
             \x20       Scan: orders\n\
             \x20       SubqueryAlias: __sq_1\n\
             \x20         Projection: avg(orders.o_totalprice) AS avg(o_totalprice)\n\
             \x20           Aggregate: groupBy=[], aggr=[avg(orders.o_totalprice) AS avg(orders.o_totalprice)]\n\
             \x20             Scan: orders\n"
        );
    }

    #[test]
    fn correlated_aggregate_is_grouped_and_left_joined() {
        let text = rewritten(
            "select c_name from customer where c_acctbal < \
             (select 2 * max(o_totalprice) from orders where o_custkey = c_custkey and o_orderstatus = 'F')",
        )
        .unwrap();
        assert_eq!(
            text,
            "Projection: customer.c_name\n\
             \x20 Projection: customer.c_custkey, customer.c_name, customer.c_address, customer.c_nationkey, customer.c_phone, customer.c_acctbal, customer.c_mktsegment, customer.c_comment\n\
             \x20   Filter: CAST(customer.c_acctbal AS DECIMAL(35,2)) < (2 * __sq_1.max(orders.o_totalprice))\n\
             \x20     Left Join: on=[customer.c_custkey = __sq_1.o_custkey]\n\
             \x20       Scan: customer\n\
             \x20       SubqueryAlias: __sq_1\n\
             \x20         Aggregate: groupBy=[orders.o_custkey], aggr=[max(orders.o_totalprice) AS max(orders.o_totalprice)]\n\
             \x20           Filter: orders.o_orderstatus = 'F'\n\
             \x20             Scan: orders\n"
        );
    }

    #[test]
    fn in_the_select_list_the_projection_keeps_its_names() {
        let text = rewritten(
            "select c_name, (select count(*) from orders where o_custkey = c_custkey) + 1 from customer",
        )
        .unwrap();
        let first = text.lines().next().unwrap_or_default();
        assert_eq!(
            first,
            "Projection: customer.c_name, coalesce(__sq_1.count(*), 0) + 1 AS (SELECT count(*) FROM orders WHERE o_custkey = c_custkey) + 1"
        );
    }

    #[test]
    fn nested_scalar_subqueries_decorrelate_inside_out() {
        let text = rewritten(
            "select c_name from customer where c_acctbal > \
             (select avg(o_totalprice) from orders where o_custkey = c_custkey and o_totalprice > \
               (select min(l_extendedprice) from lineitem where l_orderkey = o_orderkey))",
        )
        .unwrap();
        assert!(
            text.contains("Left Join: on=[customer.c_custkey = __sq_2.o_custkey]"),
            "{text}"
        );
        assert!(
            text.contains("Left Join: on=[orders.o_orderkey = __sq_1.l_orderkey]"),
            "{text}"
        );
        assert!(!text.contains("outer("), "{text}");
    }

    #[test]
    fn correlation_two_levels_out_brings_the_outer_values_in() {
        let text = rewritten(
            "select c_name from customer where c_acctbal > \
             (select avg(o_totalprice) from orders where o_custkey = c_custkey and o_totalprice > \
               (select min(l_extendedprice) from lineitem where l_suppkey = c_nationkey))",
        )
        .unwrap();
        assert!(!text.contains("outer("), "{text}");
        // The nation keys come into the middle query as a domain of distinct values.
        assert!(text.contains("Distinct"), "{text}");
        assert!(text.contains("Projection: customer.c_nationkey"), "{text}");
    }

    #[test]
    fn inequality_correlation_groups_by_a_domain_of_outer_values() {
        let text = rewritten(
            "select c_name, (select count(*) from orders where o_totalprice > c_acctbal) \
             from customer",
        )
        .unwrap();
        assert!(
            text.contains("Inner Join: on=[] filter=orders.o_totalprice > __sq_1.c_acctbal"),
            "{text}"
        );
        assert!(
            text.contains("Aggregate: groupBy=[__sq_1.c_acctbal], aggr=[count(*)"),
            "{text}"
        );
        assert!(
            text.contains("Left Join: on=[customer.c_acctbal = __sq_2.c_acctbal_2]"),
            "{text}"
        );
        assert!(text.contains("coalesce(__sq_2.count(*), 0)"), "{text}");
    }

    #[test]
    fn scalar_subquery_in_order_by_goes_through_the_projection() {
        let text = rewritten(
            "select c_name from customer order by (select max(o_totalprice) from orders)",
        )
        .unwrap();
        assert!(
            text.contains("Projection: customer.c_name, __sq_1.max(o_totalprice) AS __sort_0"),
            "{text}"
        );
    }

    #[test]
    fn scalar_subquery_in_a_join_condition_is_unsupported() {
        let err = rewritten(
            "select c_name from customer join orders on o_custkey = c_custkey \
             and o_totalprice > (select avg(o_totalprice) from orders)",
        )
        .unwrap_err();
        assert!(
            matches!(&err, PlanError::Unsupported { what, .. } if what.contains("Join")),
            "{err:?}"
        );
    }
}
