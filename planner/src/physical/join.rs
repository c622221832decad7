//! Physical planning of a logical Join: a hash join on the equality keys (its build
//! side and distribution chosen by [`crate::physical::join_selection`]) with the
//! keys cast to one type, a nested loop join without keys, and RIGHT and FULL joins
//! without keys from the nested loop joins that exist.

use std::sync::Arc;

use arrow::datatypes::DataType;

use crate::error::{PlanError, Result};
use crate::expr::Expr;
use crate::logical::{JoinKind, LogicalPlan};
use crate::optimizer::cost::Estimate;
use crate::physical::expr::PhysExpr;
use crate::physical::expr_planner::{arrow_schema, cast_to, create_physical_expr};
use crate::physical::join_selection;
use crate::physical::plan::{JoinDistribution, Partitioning, PhysicalPlan};
use crate::physical::planner::PhysicalPlanner;
use crate::scalar::ScalarValue;
use crate::schema::PlanSchema;
use crate::types::{self, SqlType};

impl PhysicalPlanner {
    /// Plans a join: a hash join on its equality keys, else a nested loop join.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn plan_join(
        &self,
        left: &Arc<LogicalPlan>,
        right: &Arc<LogicalPlan>,
        kind: JoinKind,
        on: &[(Expr, Expr)],
        filter: Option<&Expr>,
        schema: &PlanSchema,
        rows: Estimate,
    ) -> Result<Arc<PhysicalPlan>> {
        let ls = left.schema();
        let rs = right.schema();
        // The build side is the right input; for inner joins put the smaller one there.
        let (left_rows, right_rows) = (self.rows(left), self.rows(right));
        let swap =
            join_selection::swap_inputs(&self.config, kind, !on.is_empty(), left_rows, right_rows);
        if swap {
            let swapped_on: Vec<(Expr, Expr)> =
                on.iter().map(|(l, r)| (r.clone(), l.clone())).collect();
            let swapped_schema = rs.join(&ls);
            let joined = self.plan_join(
                right,
                left,
                kind,
                &swapped_on,
                filter,
                &swapped_schema,
                rows,
            )?;
            // Put the columns back in left-then-right order.
            let nr = rs.len();
            let nl = ls.len();
            let exprs: Vec<PhysExpr> = (0..nl)
                .map(|i| PhysExpr::column(nr + i, ls.field(i).name.clone()))
                .chain((0..nr).map(|i| PhysExpr::column(i, rs.field(i).name.clone())))
                .collect();
            return Ok(Arc::new(PhysicalPlan::Projection {
                input: joined,
                exprs,
                schema: arrow_schema(schema),
            }));
        }
        if on.is_empty() && matches!(kind, JoinKind::Right | JoinKind::Full) {
            return self.plan_outer_nested_loop(left, right, kind, filter, schema, rows);
        }
        let both = ls.join(&rs);
        let phys_filter = filter.map(|f| create_physical_expr(f, &both)).transpose()?;
        let l_plan = self.plan_input(left)?;
        let r_plan = self.plan_input(right)?;
        let out_schema = arrow_schema(schema);
        if on.is_empty() {
            let join = Arc::new(PhysicalPlan::NestedLoopJoin {
                left: l_plan,
                right: r_plan,
                kind,
                filter: phys_filter,
                schema: out_schema,
            });
            return Ok(self.note(join, rows));
        }
        let mut keys = Vec::with_capacity(on.len());
        for (l, r) in on {
            let lt = l.data_type(&ls)?;
            let rt = r.data_type(&rs)?;
            let t = types::common_type(&lt, &rt).ok_or_else(|| {
                let (lt, rt) = (SqlType(&lt), SqlType(&rt));
                PlanError::type_mismatch(format!("cannot join {l} ({lt}) with {r} ({rt})"))
            })?;
            keys.push((
                cast_to(create_physical_expr(l, &ls)?, &lt, &t),
                cast_to(create_physical_expr(r, &rs)?, &rt, &t),
            ));
        }
        let distribution = join_selection::distribution(
            &self.config,
            kind,
            filter.is_some(),
            left_rows,
            right_rows,
        );
        let (l_plan, r_plan) = if distribution != JoinDistribution::Partitioned {
            (l_plan, r_plan)
        } else {
            let n = self.config.target_partitions.max(1);
            let lk = keys.iter().map(|(l, _)| l.clone()).collect();
            let rk = keys.iter().map(|(_, r)| r.clone()).collect();
            (
                Arc::new(PhysicalPlan::Exchange {
                    input: l_plan,
                    partitioning: Partitioning::Hash(lk, n),
                }),
                Arc::new(PhysicalPlan::Exchange {
                    input: r_plan,
                    partitioning: Partitioning::Hash(rk, n),
                }),
            )
        };
        let join = Arc::new(PhysicalPlan::HashJoin {
            left: l_plan,
            right: r_plan,
            kind,
            on: keys,
            filter: phys_filter,
            distribution,
            schema: out_schema,
        });
        Ok(self.note(join, rows))
    }

    /// A RIGHT or FULL join without equality keys, from the nested loop joins that
    /// exist: RIGHT is a LEFT join with the sides swapped, FULL is the LEFT join plus
    /// the right rows no left row matches (an anti join), padded with NULLs.
    fn plan_outer_nested_loop(
        &self,
        left: &Arc<LogicalPlan>,
        right: &Arc<LogicalPlan>,
        kind: JoinKind,
        filter: Option<&Expr>,
        schema: &PlanSchema,
        rows: Estimate,
    ) -> Result<Arc<PhysicalPlan>> {
        let ls = left.schema();
        let rs = right.schema();
        let (nl, nr) = (ls.len(), rs.len());
        let out_schema = arrow_schema(schema);
        let columns = |types: &PlanSchema, offset: usize| -> Vec<PhysExpr> {
            types
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| PhysExpr::column(offset + i, f.name.clone()))
                .collect()
        };
        let typed_null = |t: &DataType| PhysExpr::Cast {
            expr: Box::new(PhysExpr::Literal(ScalarValue::null_of(t))),
            data_type: t.clone(),
        };
        if kind == JoinKind::Right {
            let swapped = crate::logical::builder::join_schema(&rs, &ls, JoinKind::Left);
            let joined =
                self.plan_join(right, left, JoinKind::Left, &[], filter, &swapped, rows)?;
            let mut exprs = columns(&ls, nr);
            exprs.extend(columns(&rs, 0));
            return Ok(Arc::new(PhysicalPlan::Projection {
                input: joined,
                exprs,
                schema: out_schema,
            }));
        }
        let left_schema = crate::logical::builder::join_schema(&ls, &rs, JoinKind::Left);
        let left_join =
            self.plan_join(left, right, JoinKind::Left, &[], filter, &left_schema, rows)?;
        let left_join = Arc::new(PhysicalPlan::Projection {
            input: left_join,
            exprs: (0..nl + nr)
                .map(|i| PhysExpr::column(i, schema.field(i).name.clone()))
                .collect(),
            schema: out_schema.clone(),
        });
        let unmatched = self.plan_join(right, left, JoinKind::LeftAnti, &[], filter, &rs, rows)?;
        let mut exprs: Vec<PhysExpr> = ls.fields.iter().map(|f| typed_null(&f.data_type)).collect();
        exprs.extend(columns(&rs, 0));
        let padded = Arc::new(PhysicalPlan::Projection {
            input: unmatched,
            exprs,
            schema: out_schema,
        });
        Ok(Arc::new(PhysicalPlan::Union {
            inputs: vec![left_join, padded],
        }))
    }
}
