//! Mark joins — `EXISTS` and `IN (subquery)` where a boolean is needed rather than a
//! filter (under OR, in a SELECT list) — which Spark Connect has no relation for.
//!
//! ```text
//! LeftMark:           left LEFT JOIN Deduplicate(right keys, TRUE AS m) ON keys
//!                     → left columns, coalesce(m, FALSE)
//! LeftMarkNullAware:  as above with x = y first among the keys, and
//!                     left LEFT JOIN Aggregate(right GROUP BY the other keys:
//!                         count(1) AS n, max(y IS NULL) AS has_null) ON the other keys
//!                     → TRUE when m, else NULL when n > 0 and (x IS NULL or has_null),
//!                       else FALSE (SQL's three-valued IN)
//! ```
//!
//! A join filter beyond the keys (a non-equality correlation) is refused. In: the
//! join's inputs and keys. Out: the translated join. May import `super::{relation,
//! expr, builders, literal}`.

use ember_planner::LogicalPlan;
use ember_planner::ScalarValue;
use ember_planner::expr::Expr;
use ember_planner::logical::plan::JoinKind;

use super::builders::{alias, call, column, conjunction, relation};
use super::expr::Scope;
use super::literal::literal;
use super::relation::{Translated, Translator, join_relation, project, to_df};
use super::untranslatable;
use crate::connect::proto::join::JoinType;
use crate::connect::proto::relation::RelType;
use crate::connect::proto::{Aggregate, Deduplicate, Expression, aggregate::GroupType};
use crate::error::Result;

fn left_join(
    left: crate::connect::proto::Relation,
    right: crate::connect::proto::Relation,
    condition: Option<Expression>,
) -> crate::connect::proto::Relation {
    let join_type = if condition.is_some() {
        JoinType::LeftOuter
    } else {
        JoinType::Cross
    };
    join_relation(left, right, join_type, condition)
}

impl Translator {
    pub(super) fn mark_join(
        &mut self,
        left: &LogicalPlan,
        right: &LogicalPlan,
        kind: JoinKind,
        on: &[(Expr, Expr)],
        filter: Option<&Expr>,
    ) -> Result<Translated> {
        if filter.is_some() {
            return Err(untranslatable(
                "EXISTS or IN (subquery) with a non-equality correlation inside OR or a SELECT list (a mark join with a filter)",
            ));
        }
        let null_aware = kind == JoinKind::LeftMarkNullAware;
        if null_aware && on.is_empty() {
            return Err(untranslatable("IN (subquery) without its key"));
        }
        let l = self.node(left)?;
        let r = self.node(right)?;
        let (left_schema, right_schema) = (left.schema(), right.schema());
        let left_scope = Scope {
            schema: &left_schema,
            names: &l.names,
        };
        let right_scope = Scope {
            schema: &right_schema,
            names: &r.names,
        };
        // The right side's distinct keys, each with a TRUE marker.
        let key_names: Vec<String> = on.iter().map(|_| self.fresh("key")).collect();
        let matched_name = self.fresh("matched");
        let mut keys = Vec::new();
        for ((_, rk), name) in on.iter().zip(&key_names) {
            keys.push(alias(right_scope.expr(rk)?, name));
        }
        keys.push(alias(
            literal(&ScalarValue::Boolean(Some(true)))?,
            &matched_name,
        ));
        let distinct_keys = relation(RelType::Deduplicate(Box::new(Deduplicate {
            input: Some(Box::new(project(r.relation.clone(), keys))),
            column_names: Vec::new(),
            all_columns_as_keys: Some(true),
            within_watermark: None,
        })));
        let mut equal = Vec::new();
        for ((lk, _), name) in on.iter().zip(&key_names) {
            equal.push(call("==", vec![left_scope.expr(lk)?, column(name)]));
        }
        let mut joined = left_join(l.relation, distinct_keys, conjunction(equal));
        let matched = call("isnotnull", vec![column(&matched_name)]);
        let mark = if null_aware {
            // Per value of the other keys: how many right rows there are, and whether
            // one has a NULL `y`.
            let group_names: Vec<String> = on[1..].iter().map(|_| self.fresh("group")).collect();
            let (rows_name, nulls_name) = (self.fresh("rows"), self.fresh("has_null"));
            let grouping = on[1..]
                .iter()
                .map(|(_, rk)| right_scope.expr(rk))
                .collect::<Result<Vec<_>>>()?;
            let y_is_null = call(
                "when",
                vec![
                    call("isnull", vec![right_scope.expr(&on[0].1)?]),
                    super::builders::int(1),
                    super::builders::int(0),
                ],
            );
            let stats = relation(RelType::Aggregate(Box::new(Aggregate {
                input: Some(Box::new(r.relation)),
                group_type: GroupType::Groupby as i32,
                grouping_expressions: grouping,
                aggregate_expressions: vec![
                    alias(call("count", vec![super::builders::int(1)]), &rows_name),
                    alias(call("max", vec![y_is_null]), &nulls_name),
                ],
                pivot: None,
                grouping_sets: Vec::new(),
            })));
            let stat_names: Vec<String> = group_names
                .iter()
                .cloned()
                .chain([rows_name.clone(), nulls_name.clone()])
                .collect();
            let stats = to_df(stats, &stat_names);
            let mut same_group = Vec::new();
            for ((lk, _), name) in on[1..].iter().zip(&group_names) {
                same_group.push(call("==", vec![left_scope.expr(lk)?, column(name)]));
            }
            joined = match conjunction(same_group) {
                Some(c) => left_join(joined, stats, Some(c)),
                // One row of statistics for the whole right side.
                None => left_join(joined, stats, None),
            };
            let unknown = call(
                "and",
                vec![
                    call(
                        ">",
                        vec![
                            call(
                                "coalesce",
                                vec![column(&rows_name), super::builders::int(0)],
                            ),
                            super::builders::int(0),
                        ],
                    ),
                    call(
                        "or",
                        vec![
                            call("isnull", vec![left_scope.expr(&on[0].0)?]),
                            call("==", vec![column(&nulls_name), super::builders::int(1)]),
                        ],
                    ),
                ],
            );
            call(
                "when",
                vec![
                    matched,
                    literal(&ScalarValue::Boolean(Some(true)))?,
                    unknown,
                    literal(&ScalarValue::Boolean(None))?,
                    literal(&ScalarValue::Boolean(Some(false)))?,
                ],
            )
        } else {
            matched
        };
        let mark_name = self.fresh("mark");
        let mut exprs: Vec<Expression> = l.names.iter().map(|n| column(n)).collect();
        exprs.push(alias(mark, &mark_name));
        let mut names = l.names;
        names.push(mark_name);
        Ok(Translated {
            relation: project(joined, exprs),
            names,
        })
    }
}
