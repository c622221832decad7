//! `VALUES` rows for Spark: constant rows become a LocalRelation holding them as an
//! Arrow IPC stream (Ember casts them to the column types first, as it would run
//! them); rows with other expressions become one-row projections, unioned.
//!
//! In: the rows of a `Values` node and its schema. Out: a relation whose columns are,
//! by position, the node's. May import `arrow`, `ember_planner` and `super::{builders,
//! expr}`.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::compute::{cast, concat};
use arrow::datatypes::{Field, Schema};
use ember_planner::ScalarValue;
use ember_planner::expr::Expr;
use ember_planner::schema::PlanSchema;

use super::builders::{alias, relation};
use super::expr::Scope;
use crate::connect::proto::relation::RelType;
use crate::connect::proto::set_operation::SetOpType;
use crate::connect::proto::{LocalRelation, Project, Range, Relation, SetOperation};
use crate::error::{EmberError, Result};

/// The rows as a relation with one column per field of `schema`.
pub(super) fn values_relation(rows: &[Vec<Expr>], schema: &PlanSchema) -> Result<Relation> {
    match constant_rows(rows) {
        Some(constants) => local_relation(&constants, schema),
        None => projected_rows(rows, schema),
    }
}

fn constant_rows(rows: &[Vec<Expr>]) -> Option<Vec<Vec<ScalarValue>>> {
    rows.iter()
        .map(|row| {
            row.iter()
                .map(|e| match e.unalias() {
                    Expr::Literal(v) => Some(v.clone()),
                    _ => None,
                })
                .collect()
        })
        .collect()
}

fn local_relation(rows: &[Vec<ScalarValue>], schema: &PlanSchema) -> Result<Relation> {
    let arrow_schema = Arc::new(Schema::new(
        schema
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| Field::new(format!("_{}", i + 1), f.data_type.clone(), true))
            .collect::<Vec<_>>(),
    ));
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.len());
    for (i, field) in arrow_schema.fields().iter().enumerate() {
        let parts = rows
            .iter()
            .map(|row| {
                let value = row
                    .get(i)
                    .ok_or_else(|| EmberError::internal("a VALUES row is too short"))?;
                Ok(cast(&value.to_array(1), field.data_type())?)
            })
            .collect::<Result<Vec<ArrayRef>>>()?;
        let refs: Vec<&dyn arrow::array::Array> = parts.iter().map(|a| a.as_ref()).collect();
        columns.push(if refs.is_empty() {
            arrow::array::new_empty_array(field.data_type())
        } else {
            concat(&refs)?
        });
    }
    let batch = RecordBatch::try_new(arrow_schema.clone(), columns)?;
    let mut data = Vec::new();
    {
        let mut writer = arrow::ipc::writer::StreamWriter::try_new(&mut data, &arrow_schema)?;
        writer.write(&batch)?;
        writer.finish()?;
    }
    Ok(relation(RelType::LocalRelation(LocalRelation {
        data: Some(data.into()),
        schema: None,
    })))
}

fn projected_rows(rows: &[Vec<Expr>], schema: &PlanSchema) -> Result<Relation> {
    let empty = PlanSchema::default();
    let scope = Scope {
        schema: &empty,
        names: &[],
    };
    let mut result: Option<Relation> = None;
    for row in rows {
        let exprs = row
            .iter()
            .zip(&schema.fields)
            .enumerate()
            .map(|(i, (e, f))| {
                let value = super::builders::cast(
                    scope.expr(e)?,
                    &super::literal::spark_type(&f.data_type)?,
                );
                Ok(alias(value, &format!("_{}", i + 1)))
            })
            .collect::<Result<Vec<_>>>()?;
        let one_row = relation(RelType::Range(Range {
            start: Some(0),
            end: 1,
            step: 1,
            num_partitions: Some(1),
        }));
        let projected = relation(RelType::Project(Box::new(Project {
            input: Some(Box::new(one_row)),
            expressions: exprs,
        })));
        result = Some(match result {
            None => projected,
            Some(left) => relation(RelType::SetOp(Box::new(SetOperation {
                left_input: Some(Box::new(left)),
                right_input: Some(Box::new(projected)),
                set_op_type: SetOpType::Union as i32,
                is_all: Some(true),
                by_name: Some(false),
                allow_missing_columns: None,
            }))),
        });
    }
    result.ok_or_else(|| EmberError::internal("VALUES without rows"))
}
