//! Rebuilding a plan node over new inputs, with the schema recomputed where it depends
//! on them: what every rewrite that replaces a node's children ends with.
//!
//! In: a [`LogicalPlan`] node and its new inputs. Out: the rebuilt node. Uses the
//! [`crate::LogicalPlanBuilder`] (so `plan.rs`, which the builder imports, need not import it).

use std::sync::Arc;

use crate::error::Result;
use crate::logical::builder::LogicalPlanBuilder as B;
use crate::logical::plan::LogicalPlan;
use crate::schema::{PlanField, PlanSchema};

impl LogicalPlan {
    /// Rebuilds this node over new inputs (same count and order as [`LogicalPlan::inputs`]),
    /// recomputing the schema where it depends on the inputs.
    pub fn with_new_inputs(&self, mut inputs: Vec<Arc<LogicalPlan>>) -> Result<LogicalPlan> {
        let mut next = || inputs.remove(0);
        Ok(match self {
            LogicalPlan::Scan { .. }
            | LogicalPlan::Values { .. }
            | LogicalPlan::Empty { .. }
            | LogicalPlan::WorkTable { .. } => self.clone(),
            LogicalPlan::Window { exprs, .. } => B::from_arc(next()).window(exprs.clone())?.build(),
            LogicalPlan::Expand { projections, .. } => {
                B::from_arc(next()).expand(projections.clone())?.build()
            }
            LogicalPlan::RecursiveQuery {
                name,
                distinct,
                schema,
                ..
            } => LogicalPlan::RecursiveQuery {
                name: name.clone(),
                static_term: next(),
                recursive_term: next(),
                distinct: *distinct,
                schema: schema.clone(),
            },
            LogicalPlan::Filter { predicate, .. } => LogicalPlan::Filter {
                input: next(),
                predicate: predicate.clone(),
            },
            LogicalPlan::Projection { exprs, .. } => {
                B::from_arc(next()).project(exprs.clone())?.build()
            }
            LogicalPlan::Aggregate {
                group_by,
                aggregates,
                ..
            } => B::from_arc(next())
                .aggregate(group_by.clone(), aggregates.clone())?
                .build(),
            LogicalPlan::Join {
                kind, on, filter, ..
            } => {
                let l = next();
                let r = next();
                B::from_arc(l)
                    .join_on(r, *kind, on.clone(), filter.clone())?
                    .build()
            }
            LogicalPlan::Sort { keys, .. } => LogicalPlan::Sort {
                input: next(),
                keys: keys.clone(),
            },
            LogicalPlan::Limit { skip, fetch, .. } => LogicalPlan::Limit {
                input: next(),
                skip: *skip,
                fetch: *fetch,
            },
            LogicalPlan::Union { schema, .. } => LogicalPlan::Union {
                inputs: std::mem::take(&mut inputs),
                schema: schema.clone(),
            },
            LogicalPlan::Distinct { .. } => LogicalPlan::Distinct { input: next() },
            LogicalPlan::SubqueryAlias {
                input: old_input,
                alias,
                schema: old_schema,
            } => {
                // Keep the names given to repeated columns when the input lost some
                // columns (pruning): references above still use them.
                let input = next();
                let old_in = old_input.schema();
                let new_in = input.schema();
                let fields = new_in
                    .fields
                    .iter()
                    .map(|f| {
                        let name = old_in
                            .find(f.qualifier.as_deref(), &f.name)
                            .filter(|&i| old_in.fields[i].qualifier == f.qualifier)
                            .map(|i| old_schema.fields[i].name.clone())
                            .unwrap_or_else(|| f.name.clone());
                        PlanField {
                            qualifier: Some(alias.clone()),
                            name,
                            ..f.clone()
                        }
                    })
                    .collect();
                LogicalPlan::SubqueryAlias {
                    input,
                    alias: alias.clone(),
                    schema: Arc::new(PlanSchema::new(fields).deduplicated()),
                }
            }
        })
    }
}
