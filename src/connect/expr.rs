//! Spark Connect expressions as Ember SQL expression text, planned by Ember's SQL
//! front end (`ember_planner::sql`) over the relation's inputs, which the caller
//! registers as views (see [`super::plan`]). Going through SQL keeps one planner for
//! functions, operators, casts, CASE, aggregates and windows, and lets `expr()` and
//! `selectExpr` strings mix with built expressions.
//!
//! Column references are resolved here, against the inputs' schemas (by name, by
//! `alias.name`, or by the DataFrame a column came from, Spark's `plan_id`), and
//! written as `"view"."column"` so the SQL planner has nothing left to guess.
//! Function calls are in `super::functions`, literals in `super::literal`, column
//! names in `super::names`. UDFs, lambdas, struct fields and the like are refused
//! here, naming what was sent.
//!
//! In: `proto::Expression`s and the inputs in scope. Out: SQL text, and each
//! expression's Spark column name. May import `ember_planner::{schema, types}`,
//! `super::{proto, types}` and `crate::error`.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::datatypes::DataType;
use ember_planner::logical::builder::field_column;
use ember_planner::schema::PlanSchema;
use ember_planner::transformed::Transformed;
use ember_planner::{Expr, LogicalPlan, LogicalPlanBuilder};

use super::literal::{cast_type_sql, literal_sql};
use super::names::spark_name;
use super::proto::Expression;
use super::proto::expression::window::window_frame::{FrameType, frame_boundary::Boundary};
use super::proto::expression::{
    self as pe, ExprType, literal::LiteralType, sort_order::NullOrdering, sort_order::SortDirection,
};
use super::unsupported;
use crate::error::{EmberError, Result};

/// One relation an expression may refer to, registered as the view `view`.
pub struct Input {
    /// The view's name in the generated SQL.
    pub view: String,
    /// The relation's columns, with the qualifiers users may write.
    pub schema: Arc<PlanSchema>,
    /// The DataFrames (Spark `plan_id`s) inside the relation, each with the qualifier
    /// its columns carry here (`None`: any column of the relation).
    pub plan_ids: HashMap<i64, Option<String>>,
    /// The name of each column inside the view: its own, or, where several columns
    /// share a name (a join's `id` and `id`), `name#n` so SQL can tell them apart.
    pub view_names: Vec<String>,
    /// The plan registered as the view (the relation, with repeated names renamed).
    pub plan: LogicalPlan,
}

impl Input {
    /// An input named `view` over `plan`.
    pub fn new(
        view: &str,
        plan: &LogicalPlan,
        plan_ids: HashMap<i64, Option<String>>,
    ) -> Result<Self> {
        let schema = plan.schema();
        let lower: Vec<String> = schema
            .fields
            .iter()
            .map(|f| f.user_name().to_ascii_lowercase())
            .collect();
        let view_names: Vec<String> = schema
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                if lower.iter().filter(|n| **n == lower[i]).count() > 1 {
                    format!("{}#{}", f.user_name(), i + 1)
                } else {
                    f.user_name().to_string()
                }
            })
            .collect();
        let renamed = schema
            .fields
            .iter()
            .zip(&view_names)
            .any(|(f, v)| f.name != *v);
        let plan = if renamed {
            let exprs = schema
                .fields
                .iter()
                .zip(&view_names)
                .map(|(f, v)| field_column(f).alias(v.as_str()))
                .collect();
            LogicalPlanBuilder::from(plan.clone())
                .project(exprs)?
                .build()
        } else {
            plan.clone()
        };
        Ok(Input {
            view: view.to_string(),
            schema,
            plan_ids,
            view_names,
            plan,
        })
    }

    /// `"view"."column"` for the column at `i`.
    pub fn column_sql(&self, i: usize) -> String {
        format!("{}.{}", quote(&self.view), quote(&self.view_names[i]))
    }

    /// The column at `i` for a select list: under its own name.
    pub fn select_sql(&self, i: usize) -> String {
        let user = self.schema.fields[i].user_name();
        if self.view_names[i] == user {
            self.column_sql(i)
        } else {
            format!("{} AS {}", self.column_sql(i), quote(user))
        }
    }

    /// `e`, planned over this input's view, as an expression over the input itself.
    pub fn onto_input(&self, e: Expr) -> Result<Expr> {
        let schema = self.schema.clone();
        self.onto_schema(e, &schema)
    }

    /// `e`, planned over this input's view, as an expression over `target`: the
    /// input's plan under another alias (its columns in the same order).
    pub fn onto_schema(&self, e: Expr, target: &PlanSchema) -> Result<Expr> {
        let rewritten = e.transform_up(&mut |x| match x {
            Expr::Column(c)
                if c.relation
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(&self.view)) =>
            {
                match self
                    .view_names
                    .iter()
                    .position(|n| n.eq_ignore_ascii_case(&c.name))
                {
                    Some(i) if i < target.len() => {
                        Ok(Transformed::yes(field_column(target.field(i))))
                    }
                    Some(_) => Err(ember_planner::PlanError::internal(
                        "a view wider than its relation",
                    )),
                    None => Ok(Transformed::no(Expr::Column(c))),
                }
            }
            other => Ok(Transformed::no(other)),
        })?;
        Ok(rewritten.data)
    }
}

/// Asks the SQL planner for the type of an expression over the inputs.
pub type TypeOf<'a> = dyn Fn(&str) -> Result<DataType> + 'a;

/// What expressions are translated against.
pub struct Scope<'a> {
    /// The inputs, in FROM order.
    pub inputs: &'a [Input],
    /// Types expressions where Spark's and Ember's operators differ by type.
    pub type_of: &'a TypeOf<'a>,
}

/// `name` as a quoted SQL identifier.
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `s` as a SQL string literal.
pub fn string_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn expr_type(e: &Expression) -> Result<&ExprType> {
    e.expr_type
        .as_ref()
        .ok_or_else(|| EmberError::execution("an expression without its kind"))
}

impl Scope<'_> {
    /// The SQL text of `e`.
    pub fn sql(&self, e: &Expression) -> Result<String> {
        Ok(match expr_type(e)? {
            ExprType::Literal(l) => literal_sql(l)?,
            ExprType::UnresolvedAttribute(a) => {
                let (input, i) = self.resolve(&a.unparsed_identifier, a.plan_id)?;
                self.inputs[input].column_sql(i)
            }
            ExprType::UnresolvedFunction(f) => {
                if f.is_user_defined_function {
                    return Err(unsupported(format!(
                        "user-defined function: {}",
                        f.function_name
                    )));
                }
                self.function(&f.function_name, &f.arguments, f.is_distinct)?
            }
            ExprType::CallFunction(f) => self.function(&f.function_name, &f.arguments, false)?,
            ExprType::ExpressionString(s) => format!("({})", s.expression),
            ExprType::UnresolvedStar(s) => self.star(s)?.join(", "),
            ExprType::Alias(a) => {
                let inner = a
                    .expr
                    .as_deref()
                    .ok_or_else(|| EmberError::execution("an alias without its expression"))?;
                let [name] = a.name.as_slice() else {
                    return Err(unsupported(
                        "an alias of several names (multi-column output)",
                    ));
                };
                format!("{} AS {}", self.sql(inner)?, quote(name))
            }
            ExprType::Cast(c) => {
                use pe::cast::CastToType;
                let inner = c
                    .expr
                    .as_deref()
                    .ok_or_else(|| EmberError::execution("a cast without its expression"))?;
                let t = match &c.cast_to_type {
                    Some(CastToType::Type(t)) => super::types::from_spark(t),
                    Some(CastToType::TypeStr(s)) => super::types::parse_type(s),
                    None => Err("a cast without its type".to_string()),
                }
                .map_err(EmberError::execution)?;
                if c.eval_mode == pe::cast::EvalMode::Try as i32 {
                    return Err(unsupported("try_cast"));
                }
                format!("CAST({} AS {})", self.sql(inner)?, cast_type_sql(&t)?)
            }
            ExprType::SortOrder(s) => self.sort_key(s)?,
            ExprType::Window(w) => self.window(w)?,
            other => return Err(unsupported(format!("expression: {}", variant_name(other)))),
        })
    }

    /// The SQL text of `e` without its alias, if it has one (for GROUP BY).
    pub fn unaliased_sql(&self, e: &Expression) -> Result<String> {
        match expr_type(e)? {
            ExprType::Alias(a) => match a.expr.as_deref() {
                Some(inner) => self.sql(inner),
                None => Err(EmberError::execution("an alias without its expression")),
            },
            _ => self.sql(e),
        }
    }

    /// `e` with the name Spark gives its column when it has no alias.
    pub fn named_sql(&self, e: &Expression) -> Result<String> {
        // `selectExpr("x AS y")`: the text may carry its own alias.
        if let ExprType::ExpressionString(s) = expr_type(e)? {
            return Ok(s.expression.clone());
        }
        let sql = self.sql(e)?;
        Ok(match expr_type(e)? {
            ExprType::UnresolvedAttribute(a) => {
                let (input, i) = self.resolve(&a.unparsed_identifier, a.plan_id)?;
                self.inputs[input].select_sql(i)
            }
            ExprType::UnresolvedStar(star) => self
                .star_columns(star)?
                .into_iter()
                .map(|(input, i)| self.inputs[input].select_sql(i))
                .collect::<Vec<_>>()
                .join(", "),
            ExprType::Alias(_) | ExprType::ExpressionString(_) => sql,
            _ => format!("{sql} AS {}", quote(&spark_name(e))),
        })
    }

    /// The column `identifier` (`name`, `alias.name`, or with backquotes) names:
    /// which input and which of its columns.
    pub fn resolve(&self, identifier: &str, plan_id: Option<i64>) -> Result<(usize, usize)> {
        let parts = split_identifier(identifier)?;
        let (qualifier, name) = match parts.as_slice() {
            [name] => (None, name.as_str()),
            [q, name] => (Some(q.as_str()), name.as_str()),
            _ => {
                return Err(unsupported(format!(
                    "column reference '{identifier}' (nested fields)"
                )));
            }
        };
        let mut found = Vec::new();
        for (n, input) in self.inputs.iter().enumerate() {
            let qualifier = match plan_id.and_then(|p| input.plan_ids.get(&p)) {
                Some(Some(q)) if qualifier.is_none() => Some(q.as_str()),
                Some(_) => qualifier,
                None if plan_id.is_some() && self.has_plan_id(plan_id) => continue,
                None => qualifier,
            };
            if let Ok(i) = input.schema.resolve(qualifier, name, Default::default()) {
                found.push((n, i));
            } else if let Some(q) = qualifier
                && q.eq_ignore_ascii_case(&input.view)
                && let Ok(i) = input.schema.resolve(None, name, Default::default())
            {
                found.push((n, i));
            }
        }
        match found.as_slice() {
            [one] => Ok(*one),
            [] => {
                let available: Vec<String> = self
                    .inputs
                    .iter()
                    .flat_map(|i| i.schema.fields.iter().map(|f| f.user_name().to_string()))
                    .collect();
                Err(EmberError::Plan(ember_planner::error::PlanError::plan(
                    format!(
                        "column '{identifier}' not found (columns: {})",
                        available.join(", ")
                    ),
                )))
            }
            _ => Err(EmberError::Plan(ember_planner::error::PlanError::plan(
                format!("column reference '{identifier}' is ambiguous: more than one input has it"),
            ))),
        }
    }

    fn has_plan_id(&self, plan_id: Option<i64>) -> bool {
        plan_id.is_some_and(|p| self.inputs.iter().any(|i| i.plan_ids.contains_key(&p)))
    }

    fn star(&self, s: &pe::UnresolvedStar) -> Result<Vec<String>> {
        Ok(self
            .star_columns(s)?
            .into_iter()
            .map(|(input, i)| self.inputs[input].column_sql(i))
            .collect())
    }

    /// The columns `*` or `alias.*` stands for: (input, column) pairs.
    fn star_columns(&self, s: &pe::UnresolvedStar) -> Result<Vec<(usize, usize)>> {
        let target = s
            .unparsed_target
            .as_deref()
            .map(|t| t.strip_suffix(".*").unwrap_or(t).trim_matches('`'));
        let mut out = Vec::new();
        for (n, input) in self.inputs.iter().enumerate() {
            if let Some(p) = s.plan_id
                && !input.plan_ids.contains_key(&p)
            {
                continue;
            }
            for (i, f) in input.schema.fields.iter().enumerate() {
                let keep = match target {
                    None => true,
                    Some(t) => {
                        input.view.eq_ignore_ascii_case(t)
                            || f.qualifier
                                .as_deref()
                                .is_some_and(|q| q.eq_ignore_ascii_case(t))
                    }
                };
                if keep {
                    out.push((n, i));
                }
            }
        }
        if out.is_empty() {
            return Err(EmberError::execution(format!(
                "'{}.*' names no columns",
                target.unwrap_or("")
            )));
        }
        Ok(out)
    }

    /// A sort key: `expr ASC|DESC NULLS FIRST|LAST`, with Spark's default null placement.
    pub fn sort_key(&self, s: &pe::SortOrder) -> Result<String> {
        let child = s
            .child
            .as_deref()
            .ok_or_else(|| EmberError::execution("a sort key without its expression"))?;
        let (asc, nulls_first) = direction(s);
        Ok(format!(
            "{} {} NULLS {}",
            self.sql(child)?,
            if asc { "ASC" } else { "DESC" },
            if nulls_first { "FIRST" } else { "LAST" }
        ))
    }

    fn window(&self, w: &pe::Window) -> Result<String> {
        let func = w
            .window_function
            .as_deref()
            .ok_or_else(|| EmberError::execution("a window without its function"))?;
        let mut spec = Vec::new();
        if !w.partition_spec.is_empty() {
            let keys = w
                .partition_spec
                .iter()
                .map(|e| self.sql(e))
                .collect::<Result<Vec<_>>>()?;
            spec.push(format!("PARTITION BY {}", keys.join(", ")));
        }
        if !w.order_spec.is_empty() {
            let keys = w
                .order_spec
                .iter()
                .map(|s| self.sort_key(s))
                .collect::<Result<Vec<_>>>()?;
            spec.push(format!("ORDER BY {}", keys.join(", ")));
        }
        if let Some(frame) = &w.frame_spec {
            let units = match FrameType::try_from(frame.frame_type) {
                Ok(FrameType::Row) => "ROWS",
                Ok(FrameType::Range) => "RANGE",
                _ => return Err(EmberError::execution("a window frame without its type")),
            };
            let lower = self.frame_bound(frame.lower.as_deref(), true)?;
            let upper = self.frame_bound(frame.upper.as_deref(), false)?;
            spec.push(format!("{units} BETWEEN {lower} AND {upper}"));
        }
        Ok(format!("{} OVER ({})", self.sql(func)?, spec.join(" ")))
    }

    fn frame_bound(
        &self,
        b: Option<&pe::window::window_frame::FrameBoundary>,
        lower: bool,
    ) -> Result<String> {
        let side = if lower { "PRECEDING" } else { "FOLLOWING" };
        Ok(match b.and_then(|b| b.boundary.as_ref()) {
            None | Some(Boundary::CurrentRow(_)) => "CURRENT ROW".into(),
            Some(Boundary::Unbounded(_)) => format!("UNBOUNDED {side}"),
            Some(Boundary::Value(v)) => {
                let offset = match v.expr_type.as_ref() {
                    Some(ExprType::Literal(l)) => match &l.literal_type {
                        Some(LiteralType::Integer(n)) => i64::from(*n),
                        Some(LiteralType::Long(n)) => *n,
                        _ => {
                            return Err(unsupported("a window frame bound that is not an integer"));
                        }
                    },
                    _ => return Err(unsupported("a window frame bound that is not a literal")),
                };
                match offset {
                    0 => "CURRENT ROW".into(),
                    n if n < 0 => format!("{} PRECEDING", n.unsigned_abs()),
                    n => format!("{n} FOLLOWING"),
                }
            }
        })
    }
}

/// A sort key's direction and NULL placement: (ascending, nulls first), with Spark's
/// defaults (ascending puts NULLs first, descending last).
pub fn direction(s: &pe::SortOrder) -> (bool, bool) {
    let asc = s.direction != SortDirection::Descending as i32;
    let nulls_first = match NullOrdering::try_from(s.null_ordering) {
        Ok(NullOrdering::SortNullsFirst) => true,
        Ok(NullOrdering::SortNullsLast) => false,
        _ => asc,
    };
    (asc, nulls_first)
}

/// The parts of a column reference: `a.b`, `` `a.b` `` (one part), ``a.`b c` ``.
pub fn split_identifier(text: &str) -> Result<Vec<String>> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '`' if quoted && chars.peek() == Some(&'`') => {
                chars.next();
                current.push('`');
            }
            '`' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    if quoted {
        return Err(EmberError::execution(format!(
            "column name '{text}' has an unclosed backquote"
        )));
    }
    parts.push(current);
    if parts.iter().any(|p| p.is_empty()) {
        return Err(EmberError::execution(format!(
            "column name '{text}' has an empty part"
        )));
    }
    Ok(parts)
}

fn variant_name(t: &ExprType) -> String {
    match t {
        ExprType::CommonInlineUserDefinedFunction(f) => {
            format!(
                "user-defined function {} (Python UDFs cannot run on Ember)",
                f.function_name
            )
        }
        other => {
            let debug = format!("{other:?}");
            debug.split('(').next().unwrap_or("?").to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_split_at_dots_outside_backquotes() {
        assert_eq!(split_identifier("a.b").unwrap(), vec!["a", "b"]);
        assert_eq!(split_identifier("`a.b`").unwrap(), vec!["a.b"]);
        assert_eq!(split_identifier("t.`x``y`").unwrap(), vec!["t", "x`y"]);
        assert!(split_identifier("`a").is_err());
        assert!(split_identifier("a.").is_err());
    }
}
