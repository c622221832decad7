//! remove_redundant_projection: drops a projection that outputs exactly its input's
//! columns, in order, with the same names, qualifiers and types.
//!
//! ```text
//! Filter: t.a > 1                         Filter: t.a > 1
//!   Projection: t.a, t.b            ⇒       Scan: t projection=[a, b]
//!     Scan: t projection=[a, b]
//! ```
//! A projection that renames (`a AS x`), reorders, drops or computes a column stays.

use std::sync::Arc;

use crate::error::Result;
use crate::expr::Expr;
use crate::logical::{LogicalPlan, Transformed};
use crate::optimizer::rule::OptimizerRule;

/// See the module documentation.
pub struct RemoveRedundantProjection;

impl OptimizerRule for RemoveRedundantProjection {
    fn name(&self) -> &'static str {
        "remove_redundant_projection"
    }

    fn rewrite(&self, plan: Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>> {
        plan.transform_up(&mut |node| {
            let LogicalPlan::Projection {
                input,
                exprs,
                schema,
            } = node.as_ref()
            else {
                return Ok(Transformed::no(node));
            };
            let in_schema = input.schema();
            let identity = exprs.len() == in_schema.len()
                && exprs.iter().all(|e| matches!(e, Expr::Column(_)))
                && schema.fields.iter().zip(&in_schema.fields).all(|(o, i)| {
                    o.name == i.name && o.qualifier == i.qualifier && o.data_type == i.data_type
                })
                && exprs.iter().enumerate().all(|(i, e)| match e {
                    Expr::Column(c) => in_schema
                        .index_of(c.relation.as_deref(), &c.name)
                        .is_ok_and(|at| at == i),
                    _ => false,
                });
            if identity {
                Ok(Transformed::yes(input.clone()))
            } else {
                Ok(Transformed::no(node))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{col, lit};
    use crate::optimizer::rules::test_util::t;

    fn run(plan: Arc<LogicalPlan>) -> String {
        let out = RemoveRedundantProjection
            .rewrite(plan.clone())
            .unwrap()
            .data;
        assert_eq!(out.schema(), plan.schema());
        out.display_indent()
    }

    #[test]
    fn identity_projection_goes() {
        let plan = t()
            .project(vec![col("t.a"), col("t.b"), col("t.c")])
            .unwrap()
            .filter(col("t.a").gt(lit(1)))
            .unwrap()
            .build_arc();
        assert_eq!(run(plan), "Filter: t.a > 1\n  Scan: t\n");
        let plan = t()
            .project(vec![col("a"), col("b"), col("c")])
            .unwrap()
            .build_arc();
        assert_eq!(run(plan), "Scan: t\n");
    }

    #[test]
    fn projections_that_change_anything_stay() {
        for exprs in [
            vec![col("t.a"), col("t.b")],
            vec![col("t.b"), col("t.a"), col("t.c")],
            vec![col("t.a").alias("a"), col("t.b"), col("t.c")],
            vec![col("t.a"), col("t.b").add(lit(0)).alias("b"), col("t.c")],
        ] {
            let plan = t().project(exprs).unwrap().build_arc();
            let before = plan.display_indent();
            assert_eq!(run(plan), before);
        }
    }
}
