//! INTERSECT and EXCEPT (with or without ALL) as plans Ember already runs.
//!
//! Both inputs are tagged (`__l` = 1 on left rows, `__r` = 1 on right rows) and
//! unioned, column types unified as for UNION. Without ALL, rows are grouped by every
//! column and the tags summed; with ALL, each copy of a row is first numbered within
//! its side (`row_number()` partitioned by the row and the side), and grouping also
//! by that number keeps `min(left, right)` copies for INTERSECT ALL and
//! `left - right` copies for EXCEPT ALL. Grouping treats NULLs as equal, as set
//! operations must.
//!
//! ```text
//! Projection: a                         -- back to the left input's names
//!   Filter: __cl > 0 AND __cr = 0       -- EXCEPT
//!     Aggregate: groupBy=[__c0(, __n)], aggr=[sum(__l), sum(__r)]
//!       (Window: row_number() OVER (PARTITION BY __c0, __l))   -- ALL only
//!         Union: left AS (__c0, 1, 0), right AS (__c0, 0, 1)
//! ```

use crate::error::{PlanError, Result};
use crate::expr::{AggFunc, Column, Expr, WindowCall, WindowFrame, WindowFunc, lit};
use crate::logical::builder::{LogicalPlanBuilder, field_column};
use crate::logical::plan::LogicalPlan;
use std::sync::Arc;

/// INTERSECT or EXCEPT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOperation {
    /// Rows in both inputs.
    Intersect,
    /// Rows of the left input not in the right one.
    Except,
}

impl SetOperation {
    fn name(self) -> &'static str {
        match self {
            SetOperation::Intersect => "INTERSECT",
            SetOperation::Except => "EXCEPT",
        }
    }
}

impl LogicalPlanBuilder {
    /// `self INTERSECT/EXCEPT [ALL] other`.
    pub fn set_operation(
        self,
        other: Arc<LogicalPlan>,
        op: SetOperation,
        all: bool,
    ) -> Result<Self> {
        let ls = self.schema();
        let rs = other.schema();
        if ls.len() != rs.len() {
            return Err(PlanError::plan(format!(
                "{} inputs have {} and {} columns",
                op.name(),
                ls.len(),
                rs.len()
            )));
        }
        let names: Vec<String> = ls.fields.iter().map(|f| f.name.clone()).collect();
        let data: Vec<String> = (0..names.len()).map(|i| format!("__c{i}")).collect();
        let tag = |b: LogicalPlanBuilder, left: bool| -> Result<LogicalPlanBuilder> {
            let s = b.schema();
            let mut exprs: Vec<Expr> = s
                .fields
                .iter()
                .zip(&data)
                .map(|(f, n)| field_column(f).alias(n))
                .collect();
            exprs.push(lit(i64::from(left)).alias("__l"));
            exprs.push(lit(i64::from(!left)).alias("__r"));
            b.project(exprs)
        };
        let left = tag(self, true)?;
        let right = tag(LogicalPlanBuilder::from_arc(other), false)?;
        let mut plan = left
            .union(right.build_arc())
            .map_err(|e| rename_union_error(e, op, &names))?;
        let cols: Vec<Expr> = data.iter().map(|n| Expr::Column(Column::new(n))).collect();
        let mut group_by = cols.clone();
        if all {
            let mut partition_by = cols.clone();
            partition_by.push(Expr::Column(Column::new("__l")));
            let number = Expr::Window(Box::new(WindowCall {
                func: WindowFunc::RowNumber,
                args: vec![],
                partition_by,
                order_by: vec![],
                frame: WindowFrame::default_for(false),
            }));
            plan = plan.window(vec![number.alias("__n")])?;
            group_by.push(Expr::Column(Column::new("__n")));
        }
        let sum = |c: &str| Expr::Aggregate {
            func: AggFunc::Sum,
            args: vec![Expr::Column(Column::new(c))],
            distinct: false,
        };
        plan = plan.aggregate(
            group_by,
            vec![sum("__l").alias("__cl"), sum("__r").alias("__cr")],
        )?;
        let cl = Expr::Column(Column::new("__cl"));
        let cr = Expr::Column(Column::new("__cr"));
        let keep = match op {
            SetOperation::Intersect => cl.gt(lit(0i64)).and(cr.gt(lit(0i64))),
            SetOperation::Except => cl.gt(lit(0i64)).and(cr.eq(lit(0i64))),
        };
        plan = plan.filter(keep)?;
        plan.project(
            cols.into_iter()
                .zip(&names)
                .map(|(c, n)| c.alias(n))
                .collect(),
        )
    }
}

/// UNION's messages name UNION and the internal column names; say what the user wrote.
fn rename_union_error(e: PlanError, op: SetOperation, names: &[String]) -> PlanError {
    match e {
        PlanError::TypeMismatch { message, location } => {
            let mut message = message.replacen("UNION", op.name(), 1);
            for (i, n) in names.iter().enumerate().rev() {
                message = message.replace(&format!("'__c{i}'"), &format!("'{n}'"));
            }
            PlanError::TypeMismatch { message, location }
        }
        e => e,
    }
}
