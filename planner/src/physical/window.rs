//! Physical planning of a logical Window node: an exchange that brings each PARTITION
//! BY group into one partition (a single partition when there is none), a sort by the
//! partition keys then the ORDER BY keys, and the Window operator over that.

use std::sync::Arc;

use crate::error::{PlanError, Result};
use crate::expr::{Expr, WindowFunc};
use crate::logical::LogicalPlan;
use crate::physical::expr::{PhysExpr, PhysSortKey, WindowExpr};
use crate::physical::expr_planner::{arrow_schema, cast_to, create_physical_expr};
use crate::physical::plan::{Partitioning, PhysicalPlan};
use crate::physical::planner::PhysicalPlanner;
use crate::scalar::ScalarValue;
use crate::schema::PlanSchema;

impl PhysicalPlanner {
    /// Plans `Window(input, exprs)`.
    pub(crate) fn plan_window(
        &self,
        input: &LogicalPlan,
        exprs: &[Expr],
        schema: &PlanSchema,
    ) -> Result<Arc<PhysicalPlan>> {
        let in_schema = input.schema();
        let Some(Expr::Window(first)) = exprs.first().map(|e| e.unalias()) else {
            return Err(PlanError::internal("Window node without window calls"));
        };
        let partition_by: Vec<PhysExpr> = first
            .partition_by
            .iter()
            .map(|e| create_physical_expr(e, &in_schema))
            .collect::<Result<_>>()?;
        let order_by: Vec<PhysSortKey> = first
            .order_by
            .iter()
            .map(|k| {
                Ok(PhysSortKey {
                    expr: create_physical_expr(&k.expr, &in_schema)?,
                    asc: k.asc,
                    nulls_first: k.nulls_first,
                })
            })
            .collect::<Result<_>>()?;
        let calls = exprs
            .iter()
            .zip(schema.fields.iter().skip(in_schema.len()))
            .map(|(e, f)| window_expr(e, &in_schema, &f.name))
            .collect::<Result<Vec<_>>>()?;

        let child = self.plan_input(input)?;
        let partitioning = if partition_by.is_empty() {
            Partitioning::Single
        } else {
            Partitioning::Hash(partition_by.clone(), self.config.target_partitions.max(1))
        };
        let exchanged = Arc::new(PhysicalPlan::Exchange {
            input: child,
            partitioning,
        });
        let sort_keys: Vec<PhysSortKey> = partition_by
            .iter()
            .map(|e| PhysSortKey {
                expr: e.clone(),
                asc: true,
                nulls_first: true,
            })
            .chain(order_by.iter().cloned())
            .collect();
        let sorted = if sort_keys.is_empty() {
            exchanged
        } else {
            Arc::new(PhysicalPlan::Sort {
                input: exchanged,
                keys: sort_keys,
                fetch: None,
            })
        };
        Ok(Arc::new(PhysicalPlan::Window {
            input: sorted,
            partition_by,
            order_by,
            exprs: calls,
            schema: arrow_schema(schema),
        }))
    }
}

/// The physical form of one window call.
fn window_expr(e: &Expr, schema: &PlanSchema, name: &str) -> Result<WindowExpr> {
    let Expr::Window(w) = e.unalias() else {
        return Err(PlanError::internal(format!("'{e}' is not a window call")));
    };
    let return_type = w.data_type(schema)?;
    let input_type = match w.args.first() {
        Some(a) => Some(a.data_type(schema)?),
        None => None,
    };
    let constant = |i: usize, default: i64| -> Result<i64> {
        match w.args.get(i) {
            None => Ok(default),
            Some(Expr::Literal(ScalarValue::Int64(Some(v)))) => Ok(*v),
            Some(Expr::Literal(ScalarValue::Int32(Some(v)))) => Ok(*v as i64),
            Some(other) => Err(PlanError::unsupported(format!(
                "{}() with a non-constant argument '{other}'",
                w.func.name()
            ))),
        }
    };
    let value = |i: usize| -> Result<PhysExpr> {
        let a = &w.args[i];
        Ok(cast_to(
            create_physical_expr(a, schema)?,
            &a.data_type(schema)?,
            &return_type,
        ))
    };
    let (args, param) = match w.func {
        WindowFunc::Aggregate(_) => (
            w.args
                .iter()
                .map(|a| create_physical_expr(a, schema))
                .collect::<Result<_>>()?,
            0,
        ),
        WindowFunc::Lag | WindowFunc::Lead => {
            let mut args = vec![value(0)?];
            if w.args.len() > 2 {
                args.push(value(2)?);
            }
            (args, constant(1, 1)?)
        }
        WindowFunc::Ntile => (vec![], constant(0, 1)?),
        WindowFunc::NthValue => (vec![value(0)?], constant(1, 1)?),
        WindowFunc::FirstValue | WindowFunc::LastValue => (vec![value(0)?], 0),
        _ => (vec![], 0),
    };
    Ok(WindowExpr {
        func: w.func,
        args,
        param,
        frame: w.frame.clone(),
        input_type,
        return_type,
        name: name.to_string(),
    })
}
