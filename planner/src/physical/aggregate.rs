//! Physical planning of a logical Aggregate (and of DISTINCT, an aggregate without
//! aggregate calls): two steps around a hash exchange where the aggregates have a
//! partial state, one step otherwise.

use std::sync::Arc;

use arrow::datatypes::{Field, Schema};

use crate::error::Result;
use crate::expr::{AggFunc, Expr};
use crate::logical::LogicalPlan;
use crate::physical::expr::{AggregateExpr, PhysExpr};
use crate::physical::expr_planner::{arrow_schema, create_aggregate_expr, create_physical_expr};
use crate::physical::plan::{AggregateMode, Partitioning, PhysicalPlan, state_fields};
use crate::physical::planner::PhysicalPlanner;
use crate::schema::PlanSchema;

impl PhysicalPlanner {
    /// Plans an aggregate: partial aggregation in each partition, a hash exchange on the
    /// group keys, then the final step; in one step after the exchange when an aggregate
    /// needs every row of its group (DISTINCT, exact percentiles), and in a single
    /// partition for `single_value`.
    pub(crate) fn plan_aggregate(
        &self,
        input: &LogicalPlan,
        group_by: &[Expr],
        aggregates: &[Expr],
        schema: &PlanSchema,
    ) -> Result<Arc<PhysicalPlan>> {
        let in_schema = input.schema();
        let child = self.plan_input(input)?;
        let groups: Vec<PhysExpr> = group_by
            .iter()
            .map(|g| create_physical_expr(g, &in_schema))
            .collect::<Result<_>>()?;
        let aggs: Vec<AggregateExpr> = aggregates
            .iter()
            .zip(schema.fields.iter().skip(group_by.len()))
            .map(|(a, f)| create_aggregate_expr(a, &in_schema, &f.name))
            .collect::<Result<_>>()?;
        let out_schema = arrow_schema(schema);
        let n = self.config.target_partitions.max(1);
        // single_value must see every row in one place to know there is only one.
        let single_value = aggs.iter().any(|a| a.func == AggFunc::SingleValue);
        // Aggregates without a partial state run in one step, like DISTINCT ones.
        let one_step = single_value || aggs.iter().any(|a| a.distinct || a.func.needs_all_rows());
        if one_step {
            // Every row of a group must meet in one task.
            let partitioning = if single_value || groups.is_empty() {
                Partitioning::Single
            } else {
                Partitioning::Hash(groups.clone(), n)
            };
            let exchanged = Arc::new(PhysicalPlan::Exchange {
                input: child,
                partitioning,
            });
            return Ok(Arc::new(PhysicalPlan::HashAggregate {
                input: exchanged,
                mode: AggregateMode::Single,
                group_by: groups,
                aggregates: aggs,
                schema: out_schema,
            }));
        }
        let mut partial_fields: Vec<Field> = out_schema.fields()[..groups.len()]
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        for a in &aggs {
            partial_fields.extend(state_fields(a));
        }
        let partial = Arc::new(PhysicalPlan::HashAggregate {
            input: child,
            mode: AggregateMode::Partial,
            group_by: groups.clone(),
            aggregates: aggs.clone(),
            schema: Arc::new(Schema::new(partial_fields)),
        });
        let final_groups: Vec<PhysExpr> = out_schema.fields()[..groups.len()]
            .iter()
            .enumerate()
            .map(|(i, f)| PhysExpr::column(i, f.name().clone()))
            .collect();
        let partitioning = if groups.is_empty() {
            Partitioning::Single
        } else {
            Partitioning::Hash(final_groups.clone(), n)
        };
        let exchanged = Arc::new(PhysicalPlan::Exchange {
            input: partial,
            partitioning,
        });
        Ok(Arc::new(PhysicalPlan::HashAggregate {
            input: exchanged,
            mode: AggregateMode::Final,
            group_by: final_groups,
            aggregates: aggs,
            schema: out_schema,
        }))
    }
}
