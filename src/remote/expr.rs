//! Ember's expressions as Spark Connect expressions, over a node's input columns.
//!
//! Columns are named by the names the translation gave the input's fields (see
//! `relation`), so a reference is never ambiguous whatever the qualifiers were.
//! Operators become Spark's operator functions (`==`, `and`, `+`); integer division
//! becomes `div` (Spark's `/` would give a DOUBLE); a date plus days becomes
//! `date_add`; function calls go through the table in [`super::functions`].
//!
//! In: an [`Expr`] and the input's schema with its Spark names. Out: an
//! [`Expression`]. May import `ember_planner::expr`, `super::{builders, literal,
//! functions}` and `crate::connect::proto`.

use arrow::datatypes::DataType;
use ember_planner::expr::{
    BinaryOp, Expr, FrameBound, FrameUnits, SortExpr, WindowCall, WindowFrame,
};
use ember_planner::schema::PlanSchema;
use ember_planner::types::{is_integer, is_numeric};

use super::builders::{alias, call, column, conjunction, expression, string};
use super::functions;
use super::literal::literal;
use super::untranslatable;
use crate::connect::proto::Expression;
use crate::connect::proto::expression::window::WindowFrame as SparkFrame;
use crate::connect::proto::expression::window::window_frame::{
    FrameBoundary, FrameType, frame_boundary::Boundary,
};
use crate::connect::proto::expression::{
    ExprType, SortOrder, Window, sort_order::NullOrdering, sort_order::SortDirection,
};
use crate::error::{EmberError, Result};

/// A node's input as expressions see it: its fields and their Spark names.
#[derive(Clone, Copy)]
pub(super) struct Scope<'a> {
    /// The input's schema (for resolving columns and typing).
    pub schema: &'a PlanSchema,
    /// The Spark column name of each field, by position.
    pub names: &'a [String],
}

impl Scope<'_> {
    /// The Spark name of the field a column reference names.
    pub fn name_of(&self, relation: Option<&str>, name: &str) -> Result<&str> {
        let i = self.schema.index_of(relation, name)?;
        self.names
            .get(i)
            .map(String::as_str)
            .ok_or_else(|| EmberError::internal(format!("no Spark name for column {name}")))
    }

    fn type_of(&self, e: &Expr) -> Result<DataType> {
        Ok(e.data_type(self.schema)?)
    }

    /// The expression, with any outer alias dropped.
    pub fn expr(&self, e: &Expr) -> Result<Expression> {
        Ok(match e {
            Expr::Column(c) => column(self.name_of(c.relation.as_deref(), &c.name)?),
            Expr::Literal(v) => literal(v)?,
            Expr::Alias { expr, .. } => self.expr(expr)?,
            Expr::Binary { left, op, right } => self.binary(left, *op, right)?,
            Expr::Not(e) => call("not", vec![self.expr(e)?]),
            Expr::Negative(e) => call("negative", vec![self.expr(e)?]),
            Expr::IsNull(e) => call("isnull", vec![self.expr(e)?]),
            Expr::IsNotNull(e) => call("isnotnull", vec![self.expr(e)?]),
            Expr::Case {
                operand,
                when_then,
                else_expr,
            } => {
                let mut args = Vec::new();
                for (when, then) in when_then {
                    let condition = match operand {
                        // A simple CASE compares the operand with each value.
                        Some(o) => call("==", vec![self.expr(o)?, self.expr(when)?]),
                        None => self.expr(when)?,
                    };
                    args.push(condition);
                    args.push(self.expr(then)?);
                }
                if let Some(e) = else_expr {
                    args.push(self.expr(e)?);
                }
                call("when", args)
            }
            Expr::Cast { expr, data_type } => {
                let mut value = self.expr(expr)?;
                if is_integer(data_type) {
                    // Ember rounds to an integer (decimals half away from zero, floats
                    // half to even); Spark's cast would cut the fraction.
                    let from = self.type_of(expr)?;
                    if matches!(from, DataType::Decimal128(..)) {
                        value = call("round", vec![value, super::builders::int(0)]);
                    } else if ember_planner::types::is_float(&from) {
                        value = call("bround", vec![value, super::builders::int(0)]);
                    }
                }
                super::builders::cast(value, &super::literal::spark_type(data_type)?)
            }
            Expr::InList {
                expr,
                list,
                negated,
            } => {
                let mut args = vec![self.expr(expr)?];
                for item in list {
                    args.push(self.expr(item)?);
                }
                negate(call("in", args), *negated)
            }
            Expr::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let value = self.expr(expr)?;
                let within = call(
                    "and",
                    vec![
                        call(">=", vec![value.clone(), self.expr(low)?]),
                        call("<=", vec![value, self.expr(high)?]),
                    ],
                );
                negate(within, *negated)
            }
            Expr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
                escape,
            } => {
                let name = if *case_insensitive { "ilike" } else { "like" };
                let mut args = vec![self.expr(expr)?, self.expr(pattern)?];
                match escape {
                    Some('\\') => {}
                    Some(c) => args.push(string(&c.to_string())),
                    None => {
                        // No escape character: Spark's default `\` escapes nothing in a
                        // pattern without one.
                        let plain = matches!(
                            pattern.as_ref(),
                            Expr::Literal(ember_planner::ScalarValue::Utf8(Some(p))) if !p.contains('\\')
                        );
                        if !plain {
                            return Err(untranslatable(
                                "LIKE with ESCAPE '' over a pattern that is not a constant without '\\'",
                            ));
                        }
                    }
                }
                negate(call(name, args), *negated)
            }
            Expr::Function { name, args } => {
                let translated = args
                    .iter()
                    .map(|a| self.expr(a))
                    .collect::<Result<Vec<_>>>()?;
                let types = args
                    .iter()
                    .map(|a| self.type_of(a))
                    .collect::<Result<Vec<_>>>()?;
                functions::scalar_call(name, args, translated, &types, &self.type_of(e)?)?
            }
            Expr::Aggregate {
                func,
                args,
                distinct,
            } => {
                let translated = args
                    .iter()
                    .map(|a| self.expr(a))
                    .collect::<Result<Vec<_>>>()?;
                let arg_type = args.first().map(|a| self.type_of(a)).transpose()?;
                functions::aggregate_call(*func, args, translated, *distinct, arg_type.as_ref())?
            }
            Expr::Window(w) => self.window(w)?,
            Expr::ScalarSubquery(_) | Expr::InSubquery { .. } | Expr::Exists { .. } => {
                return Err(untranslatable(
                    "a subquery the optimizer did not turn into a join",
                ));
            }
            Expr::OuterColumn { column, .. } => {
                return Err(untranslatable(format!(
                    "the outer column reference {column} (a correlated subquery left over)"
                )));
            }
            Expr::Grouping(_) => return Err(untranslatable("GROUPING()")),
        })
    }

    /// The expression named `name` (the alias Spark gives the column).
    pub fn named(&self, e: &Expr, name: &str) -> Result<Expression> {
        Ok(alias(self.expr(e)?, name))
    }

    fn binary(&self, left: &Expr, op: BinaryOp, right: &Expr) -> Result<Expression> {
        let (l, r) = (self.expr(left)?, self.expr(right)?);
        let (lt, rt) = (self.type_of(left)?, self.type_of(right)?);
        let name = match op {
            BinaryOp::Plus if lt == DataType::Date32 && is_integer(&rt) => "date_add",
            BinaryOp::Plus if is_integer(&lt) && rt == DataType::Date32 => {
                return Ok(call("date_add", vec![r, l]));
            }
            BinaryOp::Minus if lt == DataType::Date32 && is_integer(&rt) => "date_sub",
            BinaryOp::Minus if lt == DataType::Date32 && rt == DataType::Date32 => "datediff",
            BinaryOp::Plus => "+",
            BinaryOp::Minus => "-",
            BinaryOp::Multiply => "*",
            // Spark's `/` always gives a fraction; SQL's integer division truncates.
            BinaryOp::Divide if is_integer(&lt) && is_integer(&rt) => "div",
            BinaryOp::Divide => "/",
            BinaryOp::Modulo => "%",
            BinaryOp::Eq => "==",
            // Spark resolves `!=` in SQL text only; its plans spell it not(==).
            BinaryOp::NotEq => return Ok(call("not", vec![call("==", vec![l, r])])),
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
            BinaryOp::StringConcat => "concat",
        };
        if matches!(op, BinaryOp::Divide) && !is_numeric(&lt) && lt != DataType::Null {
            return Err(untranslatable(format!(
                "division of {}",
                ember_planner::types::SqlType(&lt)
            )));
        }
        Ok(call(name, vec![l, r]))
    }

    /// A sort key.
    pub fn sort_order(&self, key: &SortExpr) -> Result<SortOrder> {
        Ok(SortOrder {
            child: Some(Box::new(self.expr(&key.expr)?)),
            direction: if key.asc {
                SortDirection::Ascending
            } else {
                SortDirection::Descending
            } as i32,
            null_ordering: if key.nulls_first {
                NullOrdering::SortNullsFirst
            } else {
                NullOrdering::SortNullsLast
            } as i32,
        })
    }

    fn window(&self, w: &WindowCall) -> Result<Expression> {
        let args = w
            .args
            .iter()
            .map(|a| self.expr(a))
            .collect::<Result<Vec<_>>>()?;
        let arg_type = w.args.first().map(|a| self.type_of(a)).transpose()?;
        let function = functions::window_call(w.func, &w.args, args, arg_type.as_ref())?;
        // Spark fixes the frame of ranking and offset functions itself; without ORDER
        // BY every row is a peer, so a RANGE frame is the whole partition, Spark's
        // default there (some servers refuse a RANGE frame without ORDER BY).
        let whole_partition = w.order_by.is_empty() && w.frame.units == FrameUnits::Range;
        let frame = if w.func.uses_frame() && !whole_partition {
            Some(Box::new(self.frame(&w.frame)?))
        } else {
            None
        };
        Ok(expression(ExprType::Window(Box::new(Window {
            window_function: Some(Box::new(function)),
            partition_spec: w
                .partition_by
                .iter()
                .map(|p| self.expr(p))
                .collect::<Result<_>>()?,
            order_spec: w
                .order_by
                .iter()
                .map(|k| self.sort_order(k))
                .collect::<Result<_>>()?,
            frame_spec: frame,
        }))))
    }

    fn frame(&self, frame: &WindowFrame) -> Result<SparkFrame> {
        let bound = |b: &FrameBound| -> Result<FrameBoundary> {
            let boundary = match b {
                FrameBound::UnboundedPreceding | FrameBound::UnboundedFollowing => {
                    Boundary::Unbounded(true)
                }
                FrameBound::CurrentRow => Boundary::CurrentRow(true),
                // Spark counts preceding rows (or values) as a negative offset.
                FrameBound::Preceding(v) => Boundary::Value(Box::new(literal(&negated(v)?)?)),
                FrameBound::Following(v) => Boundary::Value(Box::new(literal(v)?)),
            };
            Ok(FrameBoundary {
                boundary: Some(boundary),
            })
        };
        Ok(SparkFrame {
            frame_type: match frame.units {
                FrameUnits::Rows => FrameType::Row,
                FrameUnits::Range => FrameType::Range,
            } as i32,
            lower: Some(Box::new(bound(&frame.start)?)),
            upper: Some(Box::new(bound(&frame.end)?)),
        })
    }

    /// `AND` of the join keys' equalities and the join filter (`None` when neither).
    pub fn join_condition(
        &self,
        on: &[(Expr, Expr)],
        filter: Option<&Expr>,
    ) -> Result<Option<Expression>> {
        let mut terms = Vec::new();
        for (l, r) in on {
            terms.push(call("==", vec![self.expr(l)?, self.expr(r)?]));
        }
        if let Some(f) = filter {
            terms.push(self.expr(f)?);
        }
        Ok(conjunction(terms))
    }
}

fn negate(e: Expression, negated: bool) -> Expression {
    if negated { call("not", vec![e]) } else { e }
}

/// `-v` of a frame offset.
fn negated(v: &ember_planner::ScalarValue) -> Result<ember_planner::ScalarValue> {
    use ember_planner::ScalarValue as S;
    Ok(match v {
        S::Int32(Some(n)) => S::Int32(Some(-n)),
        S::Int64(Some(n)) => S::Int64(Some(-n)),
        S::Float64(Some(n)) => S::Float64(Some(-n)),
        S::Decimal128(Some(n), p, s) => S::Decimal128(Some(-n), *p, *s),
        S::Interval(Some(i)) => S::Interval(Some(arrow::datatypes::IntervalMonthDayNano {
            months: -i.months,
            days: -i.days,
            nanoseconds: -i.nanoseconds,
        })),
        other => return Err(untranslatable(format!("the frame offset {other}"))),
    })
}
