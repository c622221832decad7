//! Subqueries end to end: SQL → coerced plan → decorrelated, optimized and physical plans.

use std::sync::Arc;

use super::TestCatalog;
use super::tpch::QUERIES;
use crate::logical::LogicalPlan;
use crate::optimizer::rules::subquery_util::leftover;
use crate::optimizer::{Optimizer, decorrelate};
use crate::physical::planner::{PhysicalPlanner, PhysicalPlannerConfig};

/// Plans, coerces and decorrelates `sql`.
fn decorrelated(sql: &str) -> crate::error::Result<Arc<LogicalPlan>> {
    let plan = TestCatalog::new().plan(sql)?;
    let plan = crate::analyzer::coerce_plan(Arc::new(plan))?;
    decorrelate(plan)
}

#[test]
fn dump() {
    for (name, sql) in QUERIES {
        let d = decorrelated(sql).unwrap_or_else(|e| panic!("{name}: {e}"));
        let o = Optimizer::new()
            .optimize(d.clone())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        eprintln!(
            "==== {name}\n{}\n---\n{}",
            d.display_indent(),
            o.display_indent()
        );
        let _ = leftover(&o);
        let p = PhysicalPlanner::new(PhysicalPlannerConfig::default())
            .plan(&o)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let _ = p;
    }
}
