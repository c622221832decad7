//! WITH RECURSIVE: a CTE whose body is `static UNION [ALL] recursive`, where the
//! recursive branch reads the CTE itself, becomes a
//! [`LogicalPlan::RecursiveQuery`]; the recursive branch reads a
//! [`LogicalPlan::WorkTable`] standing for the previous round's rows.
//!
//! In: one CTE of a WITH RECURSIVE and the CTEs before it. Out: the plan, or `None`
//! when the CTE does not refer to itself (it is then planned as an ordinary CTE).

use std::sync::Arc;

use sqlparser::ast::{self, SetExpr, SetOperator, SetQuantifier};

use crate::error::{PlanError, Result};
use crate::expr::Expr;
use crate::logical::builder::field_column;
use crate::logical::{LogicalPlan, LogicalPlanBuilder};
use crate::schema::{PlanField, PlanSchema};
use crate::sql::errors::{loc, unsupported};
use crate::sql::from::{Ctes, with_alias};
use crate::sql::statement::SqlPlanner;
use crate::types;

impl SqlPlanner<'_> {
    /// Plans `cte` as a recursive query if its body refers to itself.
    pub(crate) fn plan_recursive_cte(
        &self,
        cte: &ast::Cte,
        ctes: &Ctes,
    ) -> Result<Option<LogicalPlanBuilder>> {
        let q = &cte.query;
        let SetExpr::SetOperation {
            left,
            op: SetOperator::Union,
            set_quantifier,
            right,
        } = q.body.as_ref()
        else {
            return Ok(None);
        };
        if q.with.is_some() || q.order_by.is_some() || q.limit_clause.is_some() {
            return Ok(None);
        }
        let distinct = match set_quantifier {
            SetQuantifier::All => false,
            SetQuantifier::Distinct | SetQuantifier::None => true,
            other => return Err(unsupported(format!("UNION {other}"), q.body.as_ref())),
        };
        let name = cte.alias.name.value.to_ascii_lowercase();
        let static_term = with_alias(self.plan_set_expr(left, ctes)?, Some(&cte.alias))?;
        let static_schema = static_term.schema();
        let fields: Vec<PlanField> = static_schema
            .fields
            .iter()
            .map(|f| PlanField {
                nullable: true,
                ..f.clone()
            })
            .collect();
        let work = LogicalPlan::WorkTable {
            name: name.clone(),
            schema: Arc::new(PlanSchema::new(fields.clone())),
        };
        let mut inner = ctes.clone();
        inner.insert(name.clone(), Arc::new(work));
        let recursive = self.plan_set_expr(right, &inner)?.build_arc();
        if !reads_work_table(&recursive, &name) {
            return Ok(None);
        }
        let at = loc(right.as_ref());
        let rs = recursive.schema();
        if rs.len() != fields.len() {
            return Err(PlanError::plan_at(
                format!(
                    "the recursive term of '{}' has {} columns, its non-recursive term {}",
                    cte.alias.name.value,
                    rs.len(),
                    fields.len()
                ),
                at,
            ));
        }
        let mut exprs = Vec::new();
        for (r, f) in rs.fields.iter().zip(&fields) {
            let c = field_column(r);
            exprs.push(if r.data_type == f.data_type {
                c.alias(&f.name)
            } else if types::common_type(&r.data_type, &f.data_type).is_some() {
                c.cast(f.data_type.clone()).alias(&f.name)
            } else {
                return Err(PlanError::TypeMismatch {
                    message: format!(
                        "column '{}' of '{}' is {} in the non-recursive term but {} in the recursive term",
                        f.name,
                        cte.alias.name.value,
                        types::SqlType(&f.data_type),
                        types::SqlType(&r.data_type)
                    ),
                    location: at,
                });
            });
        }
        let recursive_term = LogicalPlanBuilder::from_arc(recursive)
            .project(exprs)?
            .build_arc();
        let schema = PlanSchema::new(
            fields
                .into_iter()
                .map(|f| PlanField {
                    qualifier: None,
                    ..f
                })
                .collect(),
        );
        Ok(Some(LogicalPlanBuilder::from(
            LogicalPlan::RecursiveQuery {
                name,
                static_term: static_term.build_arc(),
                recursive_term,
                distinct,
                schema: Arc::new(schema),
            },
        )))
    }
}

/// True when `plan` (or a subquery inside it) reads work table `name`.
fn reads_work_table(plan: &LogicalPlan, name: &str) -> bool {
    if let LogicalPlan::WorkTable { name: n, .. } = plan
        && n == name
    {
        return true;
    }
    plan.expressions()
        .iter()
        .flat_map(Expr::subqueries)
        .any(|s| reads_work_table(&s, name))
        || plan.inputs().iter().any(|i| reads_work_table(i, name))
}
