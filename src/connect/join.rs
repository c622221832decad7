//! `join`: on `using_columns` (through SQL's USING, which shows each key once) or
//! on a condition, planned by the SQL front end over both sides and joined with the
//! plan builder, for every kind (inner, outer, semi, anti, cross). Columns are told
//! apart by the DataFrame they came from (`df1.id == df2.id`).
//!
//! In: `Join`. Out: a [`Rel`] whose plan ids map to their side. May import
//! `super::{expr, plan}`.

use std::sync::Arc;

use ember_planner::LogicalPlanBuilder;

use super::plan::{Rel, Translator};
use super::proto;
use super::unsupported;
use crate::dataframe::DataFrame;
use crate::error::{EmberError, Result};
use std::collections::HashMap;

use ember_planner::LogicalPlan;
use ember_planner::logical::JoinKind;
use ember_planner::schema::PlanSchema;

use super::expr::quote;
use super::plan::two_views;
use super::proto::Expression;

impl Translator<'_> {
    pub(super) fn join(&self, j: &proto::Join) -> Result<Rel> {
        use proto::join::JoinType;
        let left = self.child(&j.left, "join")?;
        let right = self.child(&j.right, "join")?;
        let kind = match JoinType::try_from(j.join_type).unwrap_or(JoinType::Unspecified) {
            JoinType::Unspecified | JoinType::Inner => JoinKind::Inner,
            JoinType::FullOuter => JoinKind::Full,
            JoinType::LeftOuter => JoinKind::Left,
            JoinType::RightOuter => JoinKind::Right,
            JoinType::LeftAnti => JoinKind::LeftAnti,
            JoinType::LeftSemi => JoinKind::LeftSemi,
            JoinType::Cross => JoinKind::Cross,
        };
        if j.join_data_type.is_some() {
            return Err(unsupported("joinWith"));
        }
        let (lview, rview) = two_views(&left, &right);
        let mut plan_ids: HashMap<i64, Option<String>> = HashMap::new();
        for k in left.plan_ids.keys() {
            plan_ids.insert(*k, Some(lview.clone()));
        }
        if !matches!(kind, JoinKind::LeftSemi | JoinKind::LeftAnti) {
            for k in right.plan_ids.keys() {
                plan_ids.insert(*k, Some(rview.clone()));
            }
        }
        let inputs = [(&left, lview.as_str()), (&right, rview.as_str())];
        let keyword = match kind {
            JoinKind::Inner => Some("INNER JOIN"),
            JoinKind::Left => Some("LEFT JOIN"),
            JoinKind::Right => Some("RIGHT JOIN"),
            JoinKind::Full => Some("FULL JOIN"),
            _ => None,
        };
        let lb =
            LogicalPlanBuilder::from_arc(Arc::new(left.df.logical_plan().clone())).alias(&lview)?;
        let rb = LogicalPlanBuilder::from_arc(Arc::new(right.df.logical_plan().clone()))
            .alias(&rview)?;
        let df = if !j.using_columns.is_empty() {
            match keyword {
                Some(keyword) => self.sql_over(
                    &inputs,
                    |s| {
                        let cols = j
                            .using_columns
                            .iter()
                            .map(|c| {
                                let i = s.inputs[0]
                                    .schema
                                    .resolve(None, c, Default::default())
                                    .map_err(|_| {
                                        EmberError::execution(format!(
                                            "join column '{c}' is not in the left DataFrame"
                                        ))
                                    })?;
                                Ok(quote(&s.inputs[0].view_names[i]))
                            })
                            .collect::<Result<Vec<_>>>()?;
                        Ok(format!(
                            "SELECT * FROM {} {keyword} {} USING ({})",
                            quote(&lview),
                            quote(&rview),
                            cols.join(", ")
                        ))
                    },
                    |_, _| Ok(()),
                )?,
                None => DataFrame::new(
                    self.ctx.clone(),
                    lb.join_using(rb.build_arc(), kind, &j.using_columns)?
                        .build(),
                ),
            }
        } else {
            match &j.join_condition {
                None => DataFrame::new(
                    self.ctx.clone(),
                    match kind {
                        JoinKind::Inner | JoinKind::Cross => lb.cross_join(rb.build_arc())?,
                        _ => lb.join_on(rb.build_arc(), kind, vec![], None)?,
                    }
                    .build(),
                ),
                Some(cond) => {
                    let (ls, rs) = (lb.schema(), rb.schema());
                    let condition = self.condition_over(&inputs, cond, &ls, &rs)?;
                    let kind = if kind == JoinKind::Cross {
                        JoinKind::Inner
                    } else {
                        kind
                    };
                    DataFrame::new(
                        self.ctx.clone(),
                        lb.join_on(rb.build_arc(), kind, vec![], Some(condition))?
                            .build(),
                    )
                }
            }
        };
        Ok(Rel { df, plan_ids })
    }

    /// A join condition as an expression over the two sides aliased as their views
    /// (with schemas `left` and `right`).
    pub(super) fn condition_over(
        &self,
        inputs: &[(&Rel, &str)],
        cond: &Expression,
        left: &PlanSchema,
        right: &PlanSchema,
    ) -> Result<ember_planner::Expr> {
        let mut condition = None;
        let df = self.sql_over(
            inputs,
            |s| {
                Ok(format!(
                    "SELECT {} FROM {} CROSS JOIN {}",
                    s.sql(cond)?,
                    quote(inputs[0].1),
                    quote(inputs[1].1)
                ))
            },
            |scope, plan| {
                if let LogicalPlan::Projection { exprs, .. } = plan
                    && let [e] = exprs.as_slice()
                {
                    let e = scope[0].onto_schema(e.unalias().clone(), left)?;
                    condition = Some(scope[1].onto_schema(e, right)?);
                }
                Ok(())
            },
        )?;
        let _ = df;
        condition.ok_or_else(|| unsupported("a join condition with aggregates or windows"))
    }
}
