//! The expression planner: logical expressions to [`PhysExpr`]s over column indices,
//! with casts made explicit where operand types differ; aggregate calls to
//! [`AggregateExpr`]s; plan schemas to Arrow schemas. Literals are cast at plan time
//! by [`crate::cast::cast_scalar`] (exact and in range, else left to execution).

use std::sync::Arc;

use arrow::datatypes::{DataType, SchemaRef};

use crate::cast::cast_scalar;
use crate::error::{PlanError, Result};
use crate::expr::Expr;
use crate::functions;
use crate::physical::expr::{AggregateExpr, PhysExpr};
use crate::scalar::ScalarValue;
use crate::schema::PlanSchema;
use crate::types::{self, SqlType};

/// The Arrow schema of a plan schema.
pub fn arrow_schema(schema: &PlanSchema) -> SchemaRef {
    Arc::new(schema.to_arrow())
}

pub(crate) fn cast_to(e: PhysExpr, from: &DataType, to: &DataType) -> PhysExpr {
    if from == to {
        return e;
    }
    if let PhysExpr::Literal(v) = &e
        && let Some(c) = cast_scalar(v, to)
    {
        return PhysExpr::Literal(c);
    }
    PhysExpr::Cast {
        expr: Box::new(e),
        data_type: to.clone(),
    }
}

/// The value of a constant expression, if it is one.
pub(crate) fn constant_value(e: &PhysExpr) -> Option<ScalarValue> {
    match e {
        PhysExpr::Literal(v) => Some(v.clone()),
        PhysExpr::Cast { expr, data_type } => cast_scalar(&constant_value(expr)?, data_type),
        PhysExpr::Negative(inner) => match constant_value(inner)? {
            ScalarValue::Int64(Some(x)) => Some(ScalarValue::Int64(Some(x.checked_neg()?))),
            ScalarValue::Int32(Some(x)) => Some(ScalarValue::Int32(Some(x.checked_neg()?))),
            ScalarValue::Float64(Some(x)) => Some(ScalarValue::Float64(Some(-x))),
            ScalarValue::Decimal128(Some(x), p, s) => Some(ScalarValue::Decimal128(Some(-x), p, s)),
            _ => None,
        },
        _ => None,
    }
}

pub(crate) fn create_aggregate_expr(
    e: &Expr,
    schema: &PlanSchema,
    name: &str,
) -> Result<AggregateExpr> {
    let Expr::Aggregate {
        func,
        args,
        distinct,
    } = e.unalias()
    else {
        return Err(PlanError::internal(format!("'{e}' is not an aggregate")));
    };
    let (arg, input_type) = match args.first() {
        None => (None, None),
        Some(a) => (
            Some(create_physical_expr(a, schema)?),
            Some(a.data_type(schema)?),
        ),
    };
    let params = args
        .iter()
        .skip(1)
        .map(|p| match p.unalias() {
            Expr::Literal(v) => Ok(v.clone()),
            other => Err(PlanError::plan(format!(
                "{}() needs a constant here, got {other}",
                func.name()
            ))),
        })
        .collect::<Result<Vec<_>>>()?;
    let return_type = func.return_type(input_type.as_ref())?;
    Ok(AggregateExpr {
        func: *func,
        arg,
        distinct: *distinct,
        params,
        input_type,
        return_type,
        name: name.to_string(),
    })
}

/// Converts a logical expression over `schema` into a physical one.
pub fn create_physical_expr(e: &Expr, schema: &PlanSchema) -> Result<PhysExpr> {
    let p = |x: &Expr| create_physical_expr(x, schema);
    let ty = |x: &Expr| x.data_type(schema);
    Ok(match e {
        Expr::Column(c) => {
            let i = schema.index_of(c.relation.as_deref(), &c.name)?;
            PhysExpr::column(i, schema.field(i).name.clone())
        }
        Expr::Literal(v) => PhysExpr::Literal(v.clone()),
        Expr::Alias { expr, .. } => p(expr)?,
        Expr::Binary { left, op, right } => {
            let (lt, rt) = (ty(left)?, ty(right)?);
            let (cl, cr) = types::coerce_binary_operands(&lt, *op, &rt)?;
            let data_type = types::binary_result_type(&cl, *op, &cr)?;
            PhysExpr::Binary {
                left: Box::new(cast_to(p(left)?, &lt, &cl)),
                op: *op,
                right: Box::new(cast_to(p(right)?, &rt, &cr)),
                data_type,
            }
        }
        Expr::Not(x) => PhysExpr::Not(Box::new(p(x)?)),
        Expr::Negative(x) => PhysExpr::Negative(Box::new(p(x)?)),
        Expr::IsNull(x) => PhysExpr::IsNull(Box::new(p(x)?)),
        Expr::IsNotNull(x) => PhysExpr::IsNotNull(Box::new(p(x)?)),
        Expr::Cast { expr, data_type } => {
            let from = ty(expr)?;
            cast_to(p(expr)?, &from, data_type)
        }
        Expr::Between {
            expr,
            negated,
            low,
            high,
        } => {
            let inner = expr
                .as_ref()
                .clone()
                .gt_eq(low.as_ref().clone())
                .and(expr.as_ref().clone().lt_eq(high.as_ref().clone()));
            let b = p(&inner)?;
            if *negated {
                PhysExpr::Not(Box::new(b))
            } else {
                b
            }
        }
        Expr::InList {
            expr,
            list,
            negated,
        } => {
            let mut t = ty(expr)?;
            for item in list {
                let it = ty(item)?;
                t = types::common_type(&t, &it).ok_or_else(|| {
                    let (t, it) = (SqlType(&t), SqlType(&it));
                    PlanError::type_mismatch(format!("IN list mixes {t} and {it} in '{e}'"))
                })?;
            }
            let et = ty(expr)?;
            PhysExpr::InList {
                expr: Box::new(cast_to(p(expr)?, &et, &t)),
                list: list
                    .iter()
                    .map(|i| Ok(cast_to(p(i)?, &ty(i)?, &t)))
                    .collect::<Result<_>>()?,
                negated: *negated,
            }
        }
        Expr::Like {
            expr,
            pattern,
            negated,
            case_insensitive,
            escape,
        } => {
            for (x, what) in [(expr, "LIKE operand"), (pattern, "LIKE pattern")] {
                let t = ty(x)?;
                if !types::is_string(&t) && t != DataType::Null {
                    return Err(PlanError::type_mismatch(format!(
                        "{what} must be a string, got {} in '{e}'",
                        SqlType(&t)
                    )));
                }
            }
            PhysExpr::Like {
                expr: Box::new(p(expr)?),
                pattern: Box::new(p(pattern)?),
                negated: *negated,
                case_insensitive: *case_insensitive,
                escape: *escape,
            }
        }
        Expr::Case {
            operand,
            when_then,
            else_expr,
        } => {
            let data_type = e.data_type(schema)?;
            let mut pairs = Vec::with_capacity(when_then.len());
            for (w, t) in when_then {
                let cond = match operand {
                    Some(o) => o.as_ref().clone().eq(w.clone()),
                    None => w.clone(),
                };
                pairs.push((p(&cond)?, cast_to(p(t)?, &ty(t)?, &data_type)));
            }
            let else_expr = match else_expr {
                Some(x) => Some(Box::new(cast_to(p(x)?, &ty(x)?, &data_type))),
                None => None,
            };
            PhysExpr::Case {
                when_then: pairs,
                else_expr,
                data_type,
            }
        }
        Expr::Function { name, args } => {
            let arg_types = args.iter().map(ty).collect::<Result<Vec<_>>>()?;
            let data_type =
                functions::call_return_type(name, &arg_types, &crate::expr::literal_args(args))?;
            let mut pargs: Vec<PhysExpr> = args.iter().map(p).collect::<Result<_>>()?;
            if name == "coalesce" {
                pargs = pargs
                    .into_iter()
                    .zip(&arg_types)
                    .map(|(a, t)| cast_to(a, t, &data_type))
                    .collect();
            }
            PhysExpr::Function {
                name: name.clone(),
                args: pargs,
                data_type,
            }
        }
        Expr::Aggregate { .. } => {
            return Err(PlanError::plan(format!(
                "aggregate '{e}' is not allowed here"
            )));
        }
        Expr::ScalarSubquery(_) | Expr::InSubquery { .. } | Expr::Exists { .. } => {
            return Err(PlanError::unsupported(format!(
                "subquery expression '{e}' left after decorrelation (run optimizer::decorrelate first)"
            )));
        }
        Expr::OuterColumn { column, .. } => {
            return Err(PlanError::unsupported(format!(
                "outer column reference '{column}' left after decorrelation"
            )));
        }
        Expr::Window(_) => {
            return Err(PlanError::plan(format!(
                "window call '{e}' is not allowed here"
            )));
        }
        Expr::Grouping(_) => {
            return Err(PlanError::plan(format!(
                "'{e}' is only allowed with GROUP BY"
            )));
        }
    })
}
