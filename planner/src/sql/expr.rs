//! SQL expressions to logical [`Expr`]s, columns resolved against an input schema.
//!
//! In: a sqlparser `Expr` and an [`ExprScope`]. Out: an [`Expr`] whose columns are fully
//! qualified, type-checked node by node so errors carry the line and column.
//! Subqueries become [`Expr::ScalarSubquery`], [`Expr::InSubquery`] and [`Expr::Exists`]
//! holding their plans (ANY / ALL become these too, see `quantified`); names they do not define resolve in the enclosing queries as
//! [`Expr::OuterColumn`]s (decorrelation later turns them into joins).

use std::sync::Arc;

use sqlparser::ast::{
    self, BinaryOperator, CastKind, DuplicateTreatment, FunctionArg, FunctionArgExpr,
    FunctionArguments, UnaryOperator,
};

use crate::error::{Location, PlanError, Result};
use crate::expr::{AggFunc, BinaryOp, Expr};
use crate::functions;
use crate::logical::LogicalPlan;
use crate::logical::builder::field_column;
use crate::scalar::ScalarValue;
use crate::schema::PlanSchema;
use crate::sql::errors::{loc, unsupported};
use crate::sql::literal;
use crate::sql::quantified::{quantified, quantifier_op};
use crate::sql::statement::SqlPlanner;
use crate::sql::types::sql_to_arrow_type;

/// What names in an expression can refer to.
#[derive(Clone, Copy)]
pub(crate) struct ExprScope<'s> {
    /// The input's columns.
    pub schema: &'s PlanSchema,
    /// Columns merged by USING or NATURAL joins: an unqualified reference to the name
    /// means the expression (see [`crate::sql::from`]).
    pub using: &'s [crate::sql::from::UsingColumn],
    /// What `*` expands to; `None` for every column of `schema`.
    pub star: Option<&'s [Expr]>,
    /// Select-list aliases usable where no input column has the name (HAVING, ORDER BY).
    pub aliases: &'s [(String, Expr)],
}

impl SqlPlanner<'_> {
    /// Plans `e` against `scope`.
    pub(crate) fn sql_to_expr(&self, e: &ast::Expr, scope: &ExprScope) -> Result<Expr> {
        let at = loc(e);
        let built = self.build_expr(e, scope, at)?;
        if needs_check(&built) {
            built
                .data_type(scope.schema)
                .map_err(|err| err.with_location(at))?;
        }
        Ok(built)
    }

    fn build_expr(&self, e: &ast::Expr, scope: &ExprScope, at: Location) -> Result<Expr> {
        use ast::Expr as A;
        let sub = |x: &ast::Expr| self.sql_to_expr(x, scope);
        let boxed = |x: &ast::Expr| sub(x).map(Box::new);
        Ok(match e {
            A::Identifier(id) => self.resolve_column(None, id, scope, at)?,
            A::CompoundIdentifier(ids) => match ids.as_slice() {
                [q, name] => self.resolve_column(Some(&q.value), name, scope, at)?,
                _ => return Err(unsupported(format!("column reference '{e}'"), e)),
            },
            A::Value(v) => Expr::Literal(literal::value_to_scalar(&v.value, at)?),
            A::TypedString(ts) => {
                let Some(text) = ts.value.clone().into_string() else {
                    return Err(unsupported(format!("literal {e}"), e));
                };
                match &ts.data_type {
                    ast::DataType::Date => Expr::Literal(literal::date(&text, at)?),
                    ast::DataType::Timestamp(_, _) | ast::DataType::Datetime(_) => {
                        match crate::scalar::parse_timestamp(&text) {
                            Some(v) => Expr::Literal(ScalarValue::Timestamp(Some(v))),
                            None => {
                                return Err(PlanError::plan_at(
                                    format!("invalid TIMESTAMP literal '{text}'"),
                                    at,
                                ));
                            }
                        }
                    }
                    t => {
                        Expr::Literal(ScalarValue::Utf8(Some(text))).cast(sql_to_arrow_type(t, at)?)
                    }
                }
            }
            A::Interval(i) => Expr::Literal(literal::interval(i, at)?),
            A::Nested(inner) => sub(inner)?,
            A::BinaryOp { left, op, right } => Expr::Binary {
                left: boxed(left)?,
                op: binary_op(op).ok_or_else(|| unsupported(format!("operator {op}"), e))?,
                right: boxed(right)?,
            },
            A::UnaryOp { op, expr } => match op {
                UnaryOperator::Not => Expr::Not(boxed(expr)?),
                UnaryOperator::Plus => sub(expr)?,
                UnaryOperator::Minus => negate(sub(expr)?),
                other => return Err(unsupported(format!("operator {other}"), e)),
            },
            A::IsNull(x) => Expr::IsNull(boxed(x)?),
            A::IsNotNull(x) => Expr::IsNotNull(boxed(x)?),
            A::Between {
                expr,
                negated,
                low,
                high,
            } => Expr::Between {
                expr: boxed(expr)?,
                negated: *negated,
                low: boxed(low)?,
                high: boxed(high)?,
            },
            A::In {
                expr,
                target,
                negated,
                global: false,
            } => match target {
                ast::InTarget::List(list) => Expr::InList {
                    expr: boxed(expr)?,
                    list: list.iter().map(sub).collect::<Result<_>>()?,
                    negated: *negated,
                },
                ast::InTarget::Subquery(q) => {
                    let x = sub(expr)?;
                    let subquery = self.plan_subquery(q, scope)?;
                    let sq_schema = subquery.schema();
                    let [field] = sq_schema.fields.as_slice() else {
                        return Err(PlanError::plan_at(
                            format!(
                                "subquery of IN must return one column, ({q}) returns {}",
                                sq_schema.len()
                            ),
                            loc(q.as_ref()),
                        ));
                    };
                    let xt = x.data_type(scope.schema)?;
                    if crate::types::common_type(&xt, &field.data_type).is_none() {
                        return Err(PlanError::TypeMismatch {
                            message: format!(
                                "IN compares {} with a subquery column of type {} in '{e}'",
                                crate::types::SqlType(&xt),
                                crate::types::SqlType(&field.data_type)
                            ),
                            location: at,
                        });
                    }
                    Expr::InSubquery {
                        expr: Box::new(x),
                        subquery,
                        negated: *negated,
                    }
                }
                _ => return Err(unsupported(format!("IN target in '{e}'"), e)),
            },
            A::Like {
                negated,
                any: false,
                expr,
                pattern,
                escape_char: None,
            } => like(boxed(expr)?, boxed(pattern)?, *negated, false),
            A::ILike {
                negated,
                any: false,
                expr,
                pattern,
                escape_char: None,
            } => like(boxed(expr)?, boxed(pattern)?, *negated, true),
            A::Case {
                operand,
                conditions,
                else_result,
                ..
            } => Expr::Case {
                operand: operand.as_deref().map(boxed).transpose()?,
                when_then: conditions
                    .iter()
                    .map(|w| Ok((sub(&w.condition)?, sub(&w.result)?)))
                    .collect::<Result<_>>()?,
                else_expr: else_result.as_deref().map(boxed).transpose()?,
            },
            A::Cast {
                kind: CastKind::Cast | CastKind::DoubleColon,
                expr,
                data_type,
                format: None,
            } => Expr::Cast {
                expr: boxed(expr)?,
                data_type: sql_to_arrow_type(data_type, at)?,
            },
            A::Extract {
                field,
                syntax: _,
                expr,
            } => Expr::Function {
                name: "date_part".into(),
                args: vec![
                    Expr::Literal(ScalarValue::Utf8(Some(
                        literal::extract_part(field, at)?.to_string(),
                    ))),
                    sub(expr)?,
                ],
            },
            A::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                let mut args = vec![sub(expr)?];
                args.push(match substring_from {
                    Some(f) => sub(f)?,
                    None => Expr::Literal(ScalarValue::Int64(Some(1))),
                });
                if let Some(f) = substring_for {
                    args.push(sub(f)?);
                }
                Expr::Function {
                    name: "substring".into(),
                    args,
                }
            }
            A::Trim {
                trim_where,
                trim_what,
                expr,
                trim_characters,
            } => {
                let name = match trim_where {
                    Some(ast::TrimWhereField::Leading) => "ltrim",
                    Some(ast::TrimWhereField::Trailing) => "rtrim",
                    _ => "trim",
                };
                let mut args = vec![sub(expr)?];
                if let Some(what) = trim_what {
                    args.push(sub(what)?);
                } else if let Some(chars) = trim_characters {
                    for c in chars {
                        args.push(sub(c)?);
                    }
                }
                Expr::Function {
                    name: name.into(),
                    args,
                }
            }
            A::Position { expr, r#in } => Expr::Function {
                name: "strpos".into(),
                args: vec![sub(r#in)?, sub(expr)?],
            },
            A::Ceil { expr, field } | A::Floor { expr, field } => {
                let name = if matches!(e, A::Ceil { .. }) {
                    "ceil"
                } else {
                    "floor"
                };
                if !matches!(
                    field,
                    ast::CeilFloorKind::DateTimeField(ast::DateTimeField::NoDateTime)
                ) {
                    return Err(unsupported(
                        format!("{name}() with a scale or unit in '{e}'"),
                        e,
                    ));
                }
                Expr::Function {
                    name: name.into(),
                    args: vec![sub(expr)?],
                }
            }
            A::Function(f) => self.function(f, scope, at)?,
            A::AnyOp {
                left,
                compare_op,
                right,
                ..
            } => self.quantified(e, left, compare_op, right, false, scope, at)?,
            A::AllOp {
                left,
                compare_op,
                right,
            } => self.quantified(e, left, compare_op, right, true, scope, at)?,
            A::Exists { subquery, negated } => Expr::Exists {
                subquery: self.plan_subquery(subquery, scope)?,
                negated: *negated,
            },
            A::Subquery(q) => {
                let plan = self.plan_subquery(q, scope)?;
                let n = plan.schema().len();
                if n != 1 {
                    return Err(PlanError::plan_at(
                        format!("scalar subquery ({q}) must return one column, it returns {n}"),
                        at,
                    ));
                }
                Expr::ScalarSubquery(plan)
            }
            A::GroupingSets(_) => return Err(PlanError::unsupported_at("GROUPING SETS", at)),
            A::Cube(_) => return Err(PlanError::unsupported_at("CUBE", at)),
            A::Rollup(_) => return Err(PlanError::unsupported_at("ROLLUP", at)),
            A::Wildcard(_) | A::QualifiedWildcard(..) => {
                return Err(PlanError::unsupported_at(format!("'{e}' here"), at));
            }
            other => {
                return Err(PlanError::unsupported_at(
                    format!("expression '{other}'"),
                    at,
                ));
            }
        })
    }

    /// `left op ANY|ALL (right)` (see [`crate::sql::quantified`]).
    #[allow(clippy::too_many_arguments)]
    fn quantified(
        &self,
        e: &ast::Expr,
        left: &ast::Expr,
        op: &BinaryOperator,
        right: &ast::Expr,
        all: bool,
        scope: &ExprScope,
        at: Location,
    ) -> Result<Expr> {
        let Some(op) = quantifier_op(op) else {
            return Err(unsupported(format!("operator {op} in '{e}'"), e));
        };
        let ast::Expr::Subquery(q) = right else {
            return Err(unsupported(
                format!("ANY / ALL over something other than a subquery in '{e}'"),
                e,
            ));
        };
        let x = self.sql_to_expr(left, scope)?;
        let plan = self.plan_subquery(q, scope)?;
        quantified(x, op, all, plan, scope.schema, at)
    }

    /// Plans a subquery inside an expression over `scope`: its names resolve first in its
    /// own FROM, then in `scope` and the scopes enclosing that (as outer columns).
    fn plan_subquery(&self, q: &ast::Query, scope: &ExprScope) -> Result<Arc<LogicalPlan>> {
        let ctes = self.cte_scopes.borrow().last().cloned().unwrap_or_default();
        self.outer_scopes
            .borrow_mut()
            .push(Arc::new(scope.schema.clone()));
        let out = self.plan_query(q, &ctes);
        self.outer_scopes.borrow_mut().pop();
        out
    }

    /// `name` as a column of an enclosing query, innermost first.
    fn resolve_outer(
        &self,
        qualifier: Option<&str>,
        id: &ast::Ident,
        at: Location,
    ) -> Result<Option<Expr>> {
        for schema in self.outer_scopes.borrow().iter().rev() {
            match schema.resolve(qualifier, &id.value, at) {
                Ok(i) => {
                    let f = schema.field(i);
                    let Expr::Column(column) = field_column(f) else {
                        return Err(PlanError::internal("field_column is not a column"));
                    };
                    return Ok(Some(Expr::OuterColumn {
                        column,
                        data_type: f.data_type.clone(),
                    }));
                }
                Err(PlanError::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }

    /// `name` (qualified by `qualifier`) as a fully qualified column of the scope.
    fn resolve_column(
        &self,
        qualifier: Option<&str>,
        id: &ast::Ident,
        scope: &ExprScope,
        at: Location,
    ) -> Result<Expr> {
        let schema = scope.schema;
        if qualifier.is_none()
            && let Some(u) = scope
                .using
                .iter()
                .find(|u| u.name.eq_ignore_ascii_case(&id.value))
        {
            return u.resolve(schema, at);
        }
        let index = match schema.resolve(qualifier, &id.value, at) {
            Ok(i) => i,
            Err(e @ PlanError::NotFound { .. }) => {
                let alias = scope
                    .aliases
                    .iter()
                    .find(|(a, _)| qualifier.is_none() && a.eq_ignore_ascii_case(&id.value));
                return match alias {
                    Some((_, expr)) => Ok(expr.clone()),
                    None => match self.resolve_outer(qualifier, id, at)? {
                        Some(outer) => Ok(outer),
                        None => Err(e),
                    },
                };
            }
            Err(e) => return Err(e),
        };
        let column = field_column(schema.field(index));
        if let Expr::Column(c) = &column {
            let mut locations = self.column_locations.borrow_mut();
            if !locations.iter().any(|(k, _)| k == c) {
                locations.push((c.clone(), at));
            }
        }
        Ok(column)
    }

    /// Where a resolved column was first written, if known.
    pub(crate) fn column_location(&self, c: &crate::expr::Column) -> Location {
        self.column_locations
            .borrow()
            .iter()
            .find(|(k, _)| k == c)
            .map(|(_, l)| *l)
            .unwrap_or_default()
    }

    fn function(&self, f: &ast::Function, scope: &ExprScope, at: Location) -> Result<Expr> {
        let name = match f.name.0.as_slice() {
            [ast::ObjectNamePart::Identifier(id)] => id.value.to_ascii_lowercase(),
            _ => {
                return Err(PlanError::unsupported_at(
                    format!("function {}", f.name),
                    at,
                ));
            }
        };
        if f.over.is_some() {
            return self.window_function(f, &name, scope, at);
        }
        if crate::expr::WindowFunc::from_name(&name).is_some()
            && AggFunc::from_name(&name).is_none()
        {
            return Err(PlanError::plan_at(
                format!("window function {name}() needs an OVER clause"),
                at,
            ));
        }
        if f.null_treatment.is_some() {
            return Err(PlanError::unsupported_at(
                format!("IGNORE/RESPECT NULLS on {name}()"),
                at,
            ));
        }
        if f.uses_odbc_syntax || !matches!(f.parameters, FunctionArguments::None) {
            return Err(PlanError::unsupported_at(
                format!("function syntax {f}"),
                at,
            ));
        }
        let (args, distinct) = match &f.args {
            FunctionArguments::None => (vec![], false),
            FunctionArguments::Subquery(_) => {
                return Err(PlanError::unsupported_at(
                    "subquery as function argument",
                    at,
                ));
            }
            FunctionArguments::List(list) => {
                let distinct =
                    matches!(list.duplicate_treatment, Some(DuplicateTreatment::Distinct));
                (list.args.iter().collect::<Vec<_>>(), distinct)
            }
        };
        if name == "grouping" {
            let args = args
                .iter()
                .map(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => self.sql_to_expr(x, scope),
                    other => Err(PlanError::unsupported_at(
                        format!("argument '{other}' of grouping()"),
                        at,
                    )),
                })
                .collect::<Result<Vec<_>>>()?;
            if args.is_empty() || args.len() > 62 {
                return Err(PlanError::plan_at(
                    "GROUPING() takes 1 to 62 grouping expressions",
                    at,
                ));
            }
            return Ok(Expr::Grouping(args));
        }
        let clauses: &[ast::FunctionArgumentClause] = match &f.args {
            FunctionArguments::List(list) => &list.clauses,
            _ => &[],
        };
        if let Some(func) = AggFunc::from_name(&name) {
            return self.aggregate_call(func, &name, f, &args, distinct, clauses, scope, at);
        }
        if let Some(c) = clauses.first() {
            return Err(PlanError::unsupported_at(format!("'{c}' in {name}()"), at));
        }
        if f.filter.is_some() {
            return Err(PlanError::plan_at(
                format!("FILTER is only for aggregates, {name}() is not one"),
                at,
            ));
        }
        if !f.within_group.is_empty() {
            return Err(PlanError::plan_at(
                format!("WITHIN GROUP is only for ordered-set aggregates, not {name}()"),
                at,
            ));
        }
        if distinct {
            return Err(PlanError::unsupported_at(
                format!("DISTINCT in {name}()"),
                at,
            ));
        }
        if !functions::is_scalar_function(&name) {
            let suggestion = crate::error::closest_name(&name, functions::all_names());
            let hint = suggestion
                .map(|s| format!(" (did you mean '{s}'?)"))
                .unwrap_or_default();
            return Err(PlanError::unsupported_at(
                format!("function '{name}'{hint}"),
                at,
            ));
        }
        let args = args
            .iter()
            .map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => self.sql_to_expr(x, scope),
                other => Err(PlanError::unsupported_at(
                    format!("argument '{other}' of {name}()"),
                    at,
                )),
            })
            .collect::<Result<Vec<_>>>()?;
        if name == "mod" && args.len() == 2 {
            let mut it = args.into_iter();
            if let (Some(l), Some(r)) = (it.next(), it.next()) {
                return Ok(Expr::Binary {
                    left: Box::new(l),
                    op: BinaryOp::Modulo,
                    right: Box::new(r),
                });
            }
            return Err(PlanError::internal("mod() lost an argument"));
        }
        Ok(Expr::Function { name, args })
    }
}

/// True for nodes whose type rules can fail (checked as they are built).
fn needs_check(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Binary { .. }
            | Expr::Function { .. }
            | Expr::Aggregate { .. }
            | Expr::Case { .. }
            | Expr::Negative(_)
    )
}

fn like(expr: Box<Expr>, pattern: Box<Expr>, negated: bool, case_insensitive: bool) -> Expr {
    Expr::Like {
        expr,
        pattern,
        negated,
        case_insensitive,
    }
}

/// `-e`, folded into numeric literals.
fn negate(e: Expr) -> Expr {
    match e {
        Expr::Literal(ScalarValue::Int64(Some(v))) if v != i64::MIN => {
            Expr::Literal(ScalarValue::Int64(Some(-v)))
        }
        Expr::Literal(ScalarValue::Float64(Some(v))) => {
            Expr::Literal(ScalarValue::Float64(Some(-v)))
        }
        Expr::Literal(ScalarValue::Decimal128(Some(v), p, s)) => {
            Expr::Literal(ScalarValue::Decimal128(Some(-v), p, s))
        }
        other => Expr::Negative(Box::new(other)),
    }
}

fn binary_op(op: &BinaryOperator) -> Option<BinaryOp> {
    Some(match op {
        BinaryOperator::Plus => BinaryOp::Plus,
        BinaryOperator::Minus => BinaryOp::Minus,
        BinaryOperator::Multiply => BinaryOp::Multiply,
        BinaryOperator::Divide => BinaryOp::Divide,
        BinaryOperator::Modulo => BinaryOp::Modulo,
        BinaryOperator::StringConcat => BinaryOp::StringConcat,
        BinaryOperator::Gt => BinaryOp::Gt,
        BinaryOperator::Lt => BinaryOp::Lt,
        BinaryOperator::GtEq => BinaryOp::GtEq,
        BinaryOperator::LtEq => BinaryOp::LtEq,
        BinaryOperator::Eq => BinaryOp::Eq,
        BinaryOperator::NotEq => BinaryOp::NotEq,
        BinaryOperator::And => BinaryOp::And,
        BinaryOperator::Or => BinaryOp::Or,
        _ => return None,
    })
}
