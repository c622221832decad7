//! SQL expressions to logical [`Expr`]s, columns resolved against an input schema.
//!
//! In: a sqlparser `Expr` and an [`ExprScope`]. Out: an [`Expr`] whose columns are fully
//! qualified, type-checked node by node so errors carry the line and column.
//! Subqueries become [`Expr::ScalarSubquery`], [`Expr::InSubquery`] and [`Expr::Exists`]
//! holding their plans (ANY / ALL become these too, see `quantified`); names they do not define resolve in the enclosing queries as
//! [`Expr::OuterColumn`]s (decorrelation later turns them into joins).

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Arc;

use arrow::datatypes::DataType;

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
use crate::sql::errors::{expression_depth_error, loc, unsupported};
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
        self.sql_to_expr_at(e, scope, loc(e))
    }

    /// Plans `e`, which starts at `at`. An expression starts where its leftmost operand
    /// does, so that location is handed down to the leftmost operand instead of being
    /// looked for again at every level of a long chain (`1 + 1 + ...`).
    fn sql_to_expr_at(&self, e: &ast::Expr, scope: &ExprScope, at: Location) -> Result<Expr> {
        let _level = self.enter_expression(e, at)?;
        let built = self.build_expr(e, scope, at)?;
        if needs_check(&built) {
            built
                .data_type(scope.schema)
                .map_err(|err| err.with_location(at))?;
        }
        Ok(built)
    }

    /// Counts one more level of nesting for `e` (parentheses alone do not count), or
    /// fails when an operator would nest deeper than the limit; the level is given back
    /// when the returned guard drops. Names and constants cannot nest further, so they
    /// may sit one level below the limit.
    fn enter_expression(&self, e: &ast::Expr, at: Location) -> Result<DepthGuard<'_>> {
        use ast::Expr as A;
        if matches!(e, A::Nested(_)) {
            return Ok(DepthGuard(None));
        }
        let depth = self.expression_depth.get() + 1;
        let leaf = matches!(
            e,
            A::Identifier(_) | A::CompoundIdentifier(_) | A::Value(_) | A::TypedString(_)
        );
        if depth > self.max_expression_depth && !leaf {
            return Err(expression_depth_error(self.max_expression_depth, at));
        }
        self.expression_depth.set(depth);
        Ok(DepthGuard(Some(&self.expression_depth)))
    }

    fn build_expr(&self, e: &ast::Expr, scope: &ExprScope, at: Location) -> Result<Expr> {
        use ast::Expr as A;
        let sub = |x: &ast::Expr| self.sql_to_expr(x, scope);
        let boxed = |x: &ast::Expr| sub(x).map(Box::new);
        // The leftmost operand, which starts where `e` does.
        let first = |x: &ast::Expr| self.sql_to_expr_at(x, scope, at);
        let first_boxed = |x: &ast::Expr| first(x).map(Box::new);
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
            A::Nested(inner) => first(inner)?,
            A::BinaryOp {
                op: op @ (BinaryOperator::And | BinaryOperator::Or),
                ..
            } => {
                // `a OR b OR c ...` parses as a left-deep tree as deep as it is long;
                // planned as a balanced tree, 100,000 operands nest 17 deep.
                let op_kind = if *op == BinaryOperator::And {
                    BinaryOp::And
                } else {
                    BinaryOp::Or
                };
                let mut operands = chain_operands(e, op)
                    .into_iter()
                    .map(sub)
                    .collect::<Result<Vec<_>>>()?;
                if op_kind == BinaryOp::Or {
                    operands = equalities_to_in_lists(operands);
                }
                Expr::balanced(op_kind, operands)
                    .ok_or_else(|| PlanError::internal(format!("'{op}' without operands")))?
            }
            A::BinaryOp { left, op, right } => Expr::Binary {
                left: first_boxed(left)?,
                op: binary_op(op).ok_or_else(|| unsupported(format!("operator {op}"), e))?,
                right: boxed(right)?,
            },
            A::UnaryOp { op, expr } => match op {
                UnaryOperator::Not => Expr::Not(first_boxed(expr)?),
                UnaryOperator::Plus => first(expr)?,
                UnaryOperator::Minus => negate(first(expr)?),
                other => return Err(unsupported(format!("operator {other}"), e)),
            },
            A::IsNull(x) => Expr::IsNull(first_boxed(x)?),
            A::IsNotNull(x) => Expr::IsNotNull(first_boxed(x)?),
            A::Between {
                expr,
                negated,
                low,
                high,
            } => Expr::Between {
                expr: first_boxed(expr)?,
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
                    expr: first_boxed(expr)?,
                    list: list.iter().map(sub).collect::<Result<_>>()?,
                    negated: *negated,
                },
                ast::InTarget::Subquery(q) => {
                    let x = first(expr)?;
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
                escape_char,
            } => like(
                first_boxed(expr)?,
                boxed(pattern)?,
                *negated,
                false,
                like_escape(escape_char.as_deref())?,
            ),
            A::ILike {
                negated,
                any: false,
                expr,
                pattern,
                escape_char,
            } => like(
                first_boxed(expr)?,
                boxed(pattern)?,
                *negated,
                true,
                like_escape(escape_char.as_deref())?,
            ),
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
                expr: first_boxed(expr)?,
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

/// How many equalities of one expression with constants an OR chain needs before they
/// are planned as one IN list. Generated SQL writes thousands (`x = 1 OR x = 2 OR ...`):
/// as an IN list they are one node instead of a tree of thousands, and execution looks
/// each row up in a hash set instead of comparing it with every constant. Shorter
/// chains stay as written, so their EXPLAIN text and column names read as the query.
const MIN_EQUALITIES_FOR_IN_LIST: usize = 16;

/// The operands of an OR chain with every group of at least
/// [`MIN_EQUALITIES_FOR_IN_LIST`] equalities `e = constant` (same `e`, constants of one
/// type) replaced by `e IN (constants)` where the group's first member was; the same
/// result, NULLs included.
fn equalities_to_in_lists(operands: Vec<Expr>) -> Vec<Expr> {
    fn equality(e: &Expr) -> Option<(&Expr, &ScalarValue)> {
        match e {
            Expr::Binary {
                left,
                op: BinaryOp::Eq,
                right,
            } => match (left.as_ref(), right.as_ref()) {
                (Expr::Literal(_), Expr::Literal(_)) => None,
                (x, Expr::Literal(v)) | (Expr::Literal(v), x) => Some((x, v)),
                _ => None,
            },
            _ => None,
        }
    }
    if operands.len() < MIN_EQUALITIES_FOR_IN_LIST {
        return operands;
    }
    // Groups by tested expression and constant type, in order of first appearance,
    // found by the expression's text (and then checked to be equal).
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut by_key: HashMap<(String, DataType), usize> = HashMap::new();
    let mut group_of = vec![None; operands.len()];
    for (i, e) in operands.iter().enumerate() {
        let Some((x, v)) = equality(e) else {
            continue;
        };
        let g = *by_key
            .entry((x.to_string(), v.data_type()))
            .or_insert_with(|| {
                groups.push((i, Vec::new()));
                groups.len() - 1
            });
        let same = equality(&operands[groups[g].0]).is_some_and(|(fx, _)| fx == x);
        if same {
            groups[g].1.push(i);
            group_of[i] = Some(g);
        }
    }
    if groups
        .iter()
        .all(|(_, members)| members.len() < MIN_EQUALITIES_FOR_IN_LIST)
    {
        return operands;
    }
    let mut lists: Vec<Option<(Expr, Vec<Expr>)>> = vec![None; groups.len()];
    let mut out = Vec::with_capacity(operands.len());
    let mut slot_of_group = vec![usize::MAX; groups.len()];
    for (i, e) in operands.into_iter().enumerate() {
        let Some(g) = group_of[i].filter(|g| groups[*g].1.len() >= MIN_EQUALITIES_FOR_IN_LIST)
        else {
            out.push(Some(e));
            continue;
        };
        let Some((x, v)) = equality(&e) else {
            out.push(Some(e));
            continue;
        };
        let v = Expr::Literal(v.clone());
        match &mut lists[g] {
            Some((_, items)) => items.push(v),
            None => {
                lists[g] = Some((x.clone(), vec![v]));
                slot_of_group[g] = out.len();
                out.push(None);
            }
        }
    }
    for (g, list) in lists.into_iter().enumerate() {
        if let Some((x, items)) = list {
            out[slot_of_group[g]] = Some(x.in_list(items));
        }
    }
    out.into_iter().flatten().collect()
}

/// Gives a level of expression nesting back when planning of the expression ends.
pub(crate) struct DepthGuard<'p>(Option<&'p Cell<usize>>);

impl Drop for DepthGuard<'_> {
    fn drop(&mut self) {
        if let Some(depth) = self.0 {
            depth.set(depth.get().saturating_sub(1));
        }
    }
}

/// The operands of a chain of `op` (and parenthesized chains of it), left to right,
/// found with a stack of their own: the chain may be far longer than the call stack
/// could recurse.
fn chain_operands<'e>(e: &'e ast::Expr, op: &BinaryOperator) -> Vec<&'e ast::Expr> {
    let mut out = Vec::new();
    let mut pending = vec![e];
    while let Some(x) = pending.pop() {
        match x {
            ast::Expr::BinaryOp { left, op: o, right } if o == op => {
                pending.push(right);
                pending.push(left);
            }
            ast::Expr::Nested(inner) if matches!(inner.as_ref(), ast::Expr::BinaryOp { op: o, .. } if o == op) =>
            {
                pending.push(inner);
            }
            other => out.push(other),
        }
    }
    out
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

/// `expr [NOT] [I]LIKE pattern`; `escape` as [`like_escape`] reads it.
fn like(
    expr: Box<Expr>,
    pattern: Box<Expr>,
    negated: bool,
    case_insensitive: bool,
    escape: LikeEscape,
) -> Expr {
    match escape {
        LikeEscape::Char(escape) => Expr::Like {
            expr,
            pattern,
            negated,
            case_insensitive,
            escape,
        },
        // `ESCAPE NULL` makes the pattern unknown, so the result is NULL.
        LikeEscape::Null => Expr::Like {
            expr,
            pattern: Box::new(Expr::Literal(ScalarValue::Utf8(None))),
            negated,
            case_insensitive,
            escape: Some(crate::expr::DEFAULT_LIKE_ESCAPE),
        },
    }
}

/// What a LIKE's ESCAPE clause says.
enum LikeEscape {
    /// The escape character (`None`: escapes are off).
    Char(Option<char>),
    /// `ESCAPE NULL`.
    Null,
}

/// The escape character of `[NOT] [I]LIKE pattern [ESCAPE e]`: `\` without the clause,
/// none for `ESCAPE ''`; `e` must be a string of at most one character (PostgreSQL).
fn like_escape(e: Option<&ast::Expr>) -> Result<LikeEscape> {
    let Some(e) = e else {
        return Ok(LikeEscape::Char(Some(crate::expr::DEFAULT_LIKE_ESCAPE)));
    };
    let text = match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) | ast::Value::EscapedStringLiteral(s) => s,
            ast::Value::Null => return Ok(LikeEscape::Null),
            _ => return Err(bad_escape(e)),
        },
        _ => return Err(bad_escape(e)),
    };
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (c, None) => Ok(LikeEscape::Char(c)),
        _ => Err(bad_escape(e)),
    }
}

fn bad_escape(e: &ast::Expr) -> PlanError {
    PlanError::plan_at(
        format!("invalid ESCAPE {e}: it must be a string constant of one character, or empty"),
        loc(e),
    )
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
