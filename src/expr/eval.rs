//! The expression dispatcher: one arm per [`PhysExpr`] node, each delegating to the
//! file that implements it.
//!
//! In: a `PhysExpr` and a batch. Out: an [`Operand`] (a column, or one constant that
//! kernels broadcast), an `ArrayRef` from [`evaluate`], or a filter mask from
//! [`evaluate_predicate`] where NULL counts as false. The kernels import
//! [`Operand`] from `operand`, not from here; only CASE, which evaluates its branches on
//! the rows still undecided, calls back into this file.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch, RecordBatchOptions};
use arrow::compute::kernels::boolean::{and_kleene, not, or_kleene};
use arrow::compute::{is_not_null, is_null, prep_null_mask_filter};
use arrow::datatypes::{DataType, Schema};
use ember_planner::ScalarValue;
use ember_planner::expr::BinaryOp;
use ember_planner::physical::PhysExpr;
use ember_planner::types::sql_type_name;

use crate::error::{EmberError, Result};
use crate::expr::operand::Operand;
use crate::expr::{arithmetic, case, cast, compare, functions, in_list, like};

/// Evaluates `expr` over `batch` into one value per row.
pub fn evaluate(expr: &PhysExpr, batch: &RecordBatch) -> Result<ArrayRef> {
    evaluate_operand(expr, batch)?.into_array(batch.num_rows())
}

/// Evaluates a boolean `expr` into a filter mask: NULL counts as false.
pub fn evaluate_predicate(expr: &PhysExpr, batch: &RecordBatch) -> Result<BooleanArray> {
    let array = evaluate(expr, batch)?;
    let mask = match array.data_type() {
        DataType::Boolean => array.as_boolean().clone(),
        DataType::Null => BooleanArray::from(vec![false; array.len()]),
        t => {
            return Err(EmberError::internal(format!(
                "predicate {expr} has type {}, not BOOLEAN",
                sql_type_name(t)
            )));
        }
    };
    Ok(if mask.null_count() > 0 {
        prep_null_mask_filter(&mask)
    } else {
        mask
    })
}

/// True when `expr` reads no column, so it has one value for every row. Stops at the
/// first column, walking with a stack of its own (the tree may be deep).
fn is_constant(expr: &PhysExpr) -> bool {
    let mut pending = vec![expr];
    while let Some(e) = pending.pop() {
        if matches!(e, PhysExpr::Column { .. }) {
            return false;
        }
        e.for_each_child(|c| pending.push(c));
    }
    true
}

/// Stack that evaluating one level of an expression may use before more is needed.
const STACK_RED_ZONE: usize = 256 << 10;

/// Stack added when less than [`STACK_RED_ZONE`] is left.
const STACK_GROWTH: usize = 16 << 20;

/// Evaluates `expr` over `batch`, keeping constants as scalars.
///
/// Evaluation recurses once per level of nesting, on worker threads whose stacks are
/// fixed when the session starts, while `ember.sql.max_expression_depth` may be raised
/// at any time: each level makes sure a red zone of stack is left, and moves to a new
/// stack segment when it is not.
pub fn evaluate_operand(expr: &PhysExpr, batch: &RecordBatch) -> Result<Operand> {
    stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || {
        evaluate_operand_here(expr, batch)
    })
}

fn evaluate_operand_here(expr: &PhysExpr, batch: &RecordBatch) -> Result<Operand> {
    let len = batch.num_rows();
    match expr {
        PhysExpr::Column { index, name } => {
            let column = batch.columns().get(*index).ok_or_else(|| {
                EmberError::internal(format!(
                    "column {name}@{index} is out of range for a batch of {} columns",
                    batch.num_columns()
                ))
            })?;
            let column = match column.data_type() {
                DataType::Utf8View | DataType::LargeUtf8 => {
                    arrow::compute::cast(column, &DataType::Utf8)?
                }
                _ => column.clone(),
            };
            return Ok(Operand::Array(column));
        }
        PhysExpr::Literal(v) => return Ok(Operand::Scalar(v.to_array(1))),
        _ => {}
    }
    if len != 1 && is_constant(expr) {
        let one = RecordBatch::try_new_with_options(
            Arc::new(Schema::empty()),
            vec![],
            &RecordBatchOptions::new().with_row_count(Some(1)),
        )?;
        let value = evaluate_operand(expr, &one)?;
        return Ok(Operand::Scalar(value.array().clone()));
    }
    evaluate_node(expr, batch, len)
}

fn evaluate_node(expr: &PhysExpr, batch: &RecordBatch, len: usize) -> Result<Operand> {
    Ok(match expr {
        PhysExpr::Column { .. } | PhysExpr::Literal(_) => evaluate_operand(expr, batch)?,
        PhysExpr::Binary {
            left,
            op,
            right,
            data_type,
        } => {
            let l = evaluate_operand(left, batch)?;
            let r = evaluate_operand(right, batch)?;
            match op {
                BinaryOp::And | BinaryOp::Or => {
                    let la = compare::to_boolean(l.into_array(len)?)?;
                    let ra = compare::to_boolean(r.into_array(len)?)?;
                    let out = if *op == BinaryOp::And {
                        and_kleene(&la, &ra)?
                    } else {
                        or_kleene(&la, &ra)?
                    };
                    Operand::Array(Arc::new(out))
                }
                op if op.is_comparison() => compare::compare(*op, &l, &r)?,
                BinaryOp::StringConcat => compare::concat_strings(&l, &r, len)?,
                _ => arithmetic::binary(*op, &l, &r, data_type).map_err(|e| match e {
                    EmberError::Execution(m) if m == arithmetic::DIVISION_BY_ZERO => {
                        EmberError::execution(format!("{m} in {}", error_text(expr)))
                    }
                    e => e,
                })?,
            }
        }
        PhysExpr::Not(e) => evaluate_operand(e, batch)?.map(|a| {
            let b = compare::to_boolean(a.clone())?;
            Ok(Arc::new(not(&b)?) as ArrayRef)
        })?,
        PhysExpr::Negative(e) => evaluate_operand(e, batch)?.map(arithmetic::negate)?,
        PhysExpr::IsNull(e) => {
            evaluate_operand(e, batch)?.map(|a| Ok(Arc::new(is_null(a.as_ref())?) as ArrayRef))?
        }
        PhysExpr::IsNotNull(e) => evaluate_operand(e, batch)?
            .map(|a| Ok(Arc::new(is_not_null(a.as_ref())?) as ArrayRef))?,
        PhysExpr::Case {
            when_then,
            else_expr,
            data_type,
        } => Operand::Array(case::evaluate_case(
            when_then,
            else_expr.as_deref(),
            data_type,
            batch,
        )?),
        PhysExpr::Cast { expr, data_type } => {
            evaluate_operand(expr, batch)?.map(|a| cast::cast_array(a, data_type))?
        }
        PhysExpr::InList {
            expr,
            list,
            negated,
        } => {
            let value = evaluate_operand(expr, batch)?;
            // Literal candidates are looked up in a hash set; the others are evaluated.
            let constants: Vec<&ScalarValue> = list
                .iter()
                .filter_map(|item| match item {
                    PhysExpr::Literal(v) => Some(v),
                    _ => None,
                })
                .collect();
            let others = list
                .iter()
                .filter(|item| !matches!(item, PhysExpr::Literal(_)))
                .map(|item| evaluate_operand(item, batch));
            in_list::evaluate_in_list(&value, &constants, others, *negated, len)?
        }
        PhysExpr::Like {
            expr,
            pattern,
            negated,
            case_insensitive,
            escape,
        } => {
            let value = evaluate_operand(expr, batch)?;
            let pattern = evaluate_operand(pattern, batch)?;
            like::evaluate_like(&value, &pattern, *negated, *case_insensitive, *escape)?
        }
        PhysExpr::Function {
            name,
            args,
            data_type,
        } => {
            let args = args
                .iter()
                .map(|a| evaluate_operand(a, batch))
                .collect::<Result<Vec<_>>>()?;
            functions::evaluate_function(name, &args, data_type, len)?
        }
    })
}

/// `expr` as SQL-like text for an error message: columns by name, no outer parentheses.
fn error_text(expr: &PhysExpr) -> String {
    match expr {
        PhysExpr::Binary {
            left, op, right, ..
        } => format!("{} {op} {}", operand_text(left), operand_text(right)),
        other => operand_text(other),
    }
}

/// An operand inside [`error_text`]: nested operators keep their parentheses.
fn operand_text(expr: &PhysExpr) -> String {
    match expr {
        PhysExpr::Column { name, .. } => name.clone(),
        PhysExpr::Binary { .. } => format!("({})", error_text(expr)),
        PhysExpr::Negative(e) => format!("-{}", operand_text(e)),
        PhysExpr::Cast { expr, data_type } => {
            format!("CAST({} AS {data_type})", error_text(expr))
        }
        other => other.to_string(),
    }
}
