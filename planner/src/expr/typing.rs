//! What an expression produces against its input schema: its type, its nullability
//! and its output name. Type errors name the expression they happened in.
//!
//! In: an [`Expr`] and a [`PlanSchema`]. Out: a `DataType`, a bool, a name.
//! The type rules themselves are in [`crate::types`] and [`crate::functions`].

use arrow::datatypes::DataType;

use crate::error::{PlanError, Result};
use crate::expr::{AggFunc, BinaryOp, Expr, WindowFunc};
use crate::functions;
use crate::scalar::ScalarValue;
use crate::schema::PlanSchema;
use crate::types::{self, SqlType};

impl Expr {
    /// The result type against the input schema.
    pub fn data_type(&self, schema: &PlanSchema) -> Result<DataType> {
        Ok(match self {
            Expr::Column(c) => schema
                .field(schema.index_of(c.relation.as_deref(), &c.name)?)
                .data_type
                .clone(),
            Expr::Literal(v) => v.data_type(),
            // AND and OR are BOOLEAN. An operand that is itself AND or OR is checked when
            // that node's own type is asked for (every walk over the tree does), not again
            // here: at every level of a long chain that would re-type the whole chain.
            Expr::Binary { left, op, right } if op.is_logical() => {
                let operand_type = |x: &Expr| match x {
                    Expr::Binary { op, .. } if op.is_logical() => Ok(DataType::Boolean),
                    x => x.data_type(schema),
                };
                let (l, r) = (operand_type(left)?, operand_type(right)?);
                types::coerce_binary_operands(&l, *op, &r).map_err(|e| in_expr(e, self))?;
                DataType::Boolean
            }
            Expr::Binary { left, op, right } => {
                let (l, r) = types::coerce_binary_operands(
                    &left.data_type(schema)?,
                    *op,
                    &right.data_type(schema)?,
                )
                .map_err(|e| in_expr(e, self))?;
                types::binary_result_type(&l, *op, &r).map_err(|e| in_expr(e, self))?
            }
            Expr::Not(_) | Expr::IsNull(_) | Expr::IsNotNull(_) => DataType::Boolean,
            Expr::InList { .. } | Expr::Between { .. } | Expr::Like { .. } => DataType::Boolean,
            Expr::Negative(e) => e.data_type(schema)?,
            Expr::Case {
                when_then,
                else_expr,
                ..
            } => {
                let mut t = DataType::Null;
                for (_, then) in when_then {
                    let tt = then.data_type(schema)?;
                    t = types::common_type(&t, &tt).ok_or_else(|| {
                        in_expr(
                            PlanError::type_mismatch(format!(
                                "CASE branches have types {} and {}",
                                SqlType(&t),
                                SqlType(&tt)
                            )),
                            self,
                        )
                    })?;
                }
                if let Some(e) = else_expr {
                    let et = e.data_type(schema)?;
                    t = types::common_type(&t, &et).ok_or_else(|| {
                        in_expr(
                            PlanError::type_mismatch(format!(
                                "CASE branches have types {} and {}",
                                SqlType(&t),
                                SqlType(&et)
                            )),
                            self,
                        )
                    })?;
                }
                t
            }
            Expr::Cast { data_type, .. } => data_type.clone(),
            Expr::Function { name, args } => {
                let arg_types = args
                    .iter()
                    .map(|a| a.data_type(schema))
                    .collect::<Result<Vec<_>>>()?;
                functions::call_return_type(name, &arg_types, &literal_args(args))
                    .map_err(|e| in_expr(e, self))?
            }
            Expr::Aggregate { func, args, .. } => {
                let arg = match args.first() {
                    Some(a) => Some(a.data_type(schema)?),
                    None => None,
                };
                func.return_type(arg.as_ref())?
            }
            Expr::Alias { expr, .. } => expr.data_type(schema)?,
            Expr::ScalarSubquery(plan) => match plan.schema().fields.first() {
                Some(f) => f.data_type.clone(),
                None => {
                    return Err(PlanError::plan(
                        "scalar subquery must return one column, it returns none",
                    ));
                }
            },
            Expr::InSubquery { .. } | Expr::Exists { .. } => DataType::Boolean,
            Expr::OuterColumn { data_type, .. } => data_type.clone(),
            Expr::Window(w) => w.data_type(schema).map_err(|e| in_expr(e, self))?,
            Expr::Grouping(_) => DataType::Int64,
        })
    }

    /// Whether the result may be NULL.
    pub fn nullable(&self, schema: &PlanSchema) -> Result<bool> {
        Ok(match self {
            Expr::Column(c) => {
                schema
                    .field(schema.index_of(c.relation.as_deref(), &c.name)?)
                    .nullable
            }
            Expr::Literal(v) => v.is_null(),
            Expr::IsNull(_) | Expr::IsNotNull(_) => false,
            Expr::Aggregate {
                func: AggFunc::Count,
                ..
            } => false,
            Expr::Aggregate { .. } => true,
            Expr::Alias { expr, .. }
            | Expr::Cast { expr, .. }
            | Expr::Negative(expr)
            | Expr::Not(expr) => expr.nullable(schema)?,
            Expr::Binary { left, op, right } => {
                left.nullable(schema)?
                    || right.nullable(schema)?
                    || matches!(op, BinaryOp::Divide | BinaryOp::Modulo)
            }
            Expr::Case { .. } | Expr::Function { .. } => true,
            Expr::InList { expr, list, .. } => {
                expr.nullable(schema)? || list.iter().any(|e| e.nullable(schema).unwrap_or(true))
            }
            Expr::Between {
                expr, low, high, ..
            } => expr.nullable(schema)? || low.nullable(schema)? || high.nullable(schema)?,
            Expr::Like { expr, pattern, .. } => {
                expr.nullable(schema)? || pattern.nullable(schema)?
            }
            Expr::ScalarSubquery(_) | Expr::InSubquery { .. } | Expr::OuterColumn { .. } => true,
            Expr::Exists { .. } | Expr::Grouping(_) => false,
            Expr::Window(w) => !matches!(
                w.func,
                WindowFunc::Aggregate(AggFunc::Count)
                    | WindowFunc::RowNumber
                    | WindowFunc::Rank
                    | WindowFunc::DenseRank
                    | WindowFunc::PercentRank
                    | WindowFunc::CumeDist
                    | WindowFunc::Ntile
            ),
        })
    }

    /// The column name this expression produces in a projection.
    pub fn output_name(&self) -> String {
        match self {
            Expr::Alias { name, .. } => name.clone(),
            Expr::Column(c) => c.name.clone(),
            other => other.to_string(),
        }
    }

    /// The expression under any aliases.
    pub fn unalias(&self) -> &Expr {
        match self {
            Expr::Alias { expr, .. } => expr.unalias(),
            e => e,
        }
    }
}

/// Adds the expression's text to a type error so the user sees where it happened.
/// Each argument's value when it is a literal, for return types that depend on one.
pub fn literal_args(args: &[Expr]) -> Vec<Option<&ScalarValue>> {
    args.iter()
        .map(|a| match a.unalias() {
            Expr::Literal(v) => Some(v),
            _ => None,
        })
        .collect()
}

fn in_expr(e: PlanError, expr: &Expr) -> PlanError {
    match e {
        PlanError::TypeMismatch { message, location } if !message.contains(" in '") => {
            PlanError::TypeMismatch {
                message: format!("{message} in '{expr}'"),
                location,
            }
        }
        e => e,
    }
}
