//! FROM items: tables, views, CTEs, files, derived tables and joins.
//!
//! In: sqlparser `TableWithJoins` items and the CTEs in scope. Out: a plan builder and
//! the USING columns of its joins. Names resolve CTE first, then the [`crate::Catalog`].

use std::collections::HashMap;
use std::sync::Arc;

use sqlparser::ast::{
    self, FunctionArg, FunctionArgExpr, JoinConstraint, JoinOperator, TableFactor, TableWithJoins,
};

use crate::catalog::CatalogEntry;
use crate::error::{PlanError, Result};
use crate::expr::{BinaryOp, Expr};
use crate::logical::builder::field_column;
use crate::logical::{JoinKind, LogicalPlan, LogicalPlanBuilder};
use crate::schema::PlanSchema;
use crate::sql::errors::{loc, unsupported};
use crate::sql::expr::ExprScope;
use crate::sql::statement::SqlPlanner;

/// The CTEs in scope, by lower-case name.
pub(crate) type Ctes = HashMap<String, Arc<LogicalPlan>>;

/// A planned FROM clause.
pub(crate) struct Relation {
    /// The plan so far.
    pub plan: LogicalPlanBuilder,
    /// Columns joined with USING.
    pub using: Vec<String>,
}

impl SqlPlanner<'_> {
    /// Plans a FROM list; items separated by commas become cross joins.
    pub(crate) fn plan_from(&self, from: &[TableWithJoins], ctes: &Ctes) -> Result<Relation> {
        let mut result: Option<Relation> = None;
        for item in from {
            let next = self.plan_table_with_joins(item, ctes)?;
            result = Some(match result {
                None => next,
                Some(left) => {
                    let mut using = left.using;
                    using.extend(next.using);
                    Relation {
                        plan: left.plan.cross_join(next.plan.build_arc())?,
                        using,
                    }
                }
            });
        }
        Ok(result.unwrap_or_else(|| Relation {
            plan: LogicalPlanBuilder::empty(true),
            using: vec![],
        }))
    }

    fn plan_table_with_joins(&self, t: &TableWithJoins, ctes: &Ctes) -> Result<Relation> {
        let mut rel = self.plan_table_factor(&t.relation, ctes)?;
        for join in &t.joins {
            if join.global {
                return Err(unsupported("GLOBAL JOIN", &join.relation));
            }
            let right = self.plan_table_factor(&join.relation, ctes)?;
            rel.using.extend(right.using);
            let (kind, constraint) = match &join.join_operator {
                JoinOperator::Join(c) | JoinOperator::Inner(c) => (JoinKind::Inner, c),
                JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => (JoinKind::Left, c),
                JoinOperator::Right(c) | JoinOperator::RightOuter(c) => (JoinKind::Right, c),
                JoinOperator::FullOuter(c) => (JoinKind::Full, c),
                JoinOperator::CrossJoin(c) => (JoinKind::Cross, c),
                _ => {
                    let text = join.to_string();
                    let words: Vec<&str> = text.split_whitespace().take(3).collect();
                    return Err(unsupported(
                        format!("join '{}'", words.join(" ")),
                        &join.relation,
                    ));
                }
            };
            let right_plan = right.plan.build_arc();
            rel.plan = match constraint {
                JoinConstraint::None if kind == JoinKind::Cross => {
                    rel.plan.cross_join(right_plan)?
                }
                JoinConstraint::None => {
                    return Err(PlanError::plan_at(
                        "JOIN needs an ON or USING condition (or use CROSS JOIN)",
                        loc(&join.relation),
                    ));
                }
                JoinConstraint::On(on) if kind != JoinKind::Cross => {
                    self.plan_join_on(rel.plan, right_plan, kind, on, &rel.using)?
                }
                JoinConstraint::Using(names) if kind != JoinKind::Cross => {
                    let mut columns = Vec::new();
                    for n in names {
                        columns.push(crate::sql::statement::object_name(n)?);
                    }
                    let at = loc(&join.relation);
                    let b = rel
                        .plan
                        .join_using(right_plan, kind, &columns)
                        .map_err(|e| e.with_location(at))?;
                    rel.using.extend(columns);
                    b
                }
                JoinConstraint::Natural => {
                    return Err(unsupported("NATURAL JOIN", &join.relation));
                }
                _ => {
                    return Err(unsupported(
                        format!("join condition in '{join}'"),
                        &join.relation,
                    ));
                }
            };
        }
        Ok(rel)
    }

    /// `left JOIN right ON cond`: `a = b` conjuncts with one side per input become keys.
    fn plan_join_on(
        &self,
        left: LogicalPlanBuilder,
        right: Arc<LogicalPlan>,
        kind: JoinKind,
        on: &ast::Expr,
        using: &[String],
    ) -> Result<LogicalPlanBuilder> {
        let ls = left.schema();
        let rs = right.schema();
        let all = ls.join(&rs);
        let cond = self.sql_to_expr(
            on,
            &ExprScope {
                schema: &all,
                using,
                aliases: &[],
            },
        )?;
        if cond.contains_aggregate() {
            return Err(PlanError::plan_at(
                "aggregate calls are not allowed in JOIN ON",
                loc(on),
            ));
        }
        let mut keys = Vec::new();
        let mut rest = Vec::new();
        for c in cond.split_conjunction() {
            match c {
                Expr::Binary {
                    left: l,
                    op: BinaryOp::Eq,
                    right: r,
                } => {
                    if only_from(&l, &ls) && only_from(&r, &rs) {
                        keys.push((*l, *r));
                    } else if only_from(&l, &rs) && only_from(&r, &ls) {
                        keys.push((*r, *l));
                    } else {
                        rest.push(Expr::Binary {
                            left: l,
                            op: BinaryOp::Eq,
                            right: r,
                        });
                    }
                }
                other => rest.push(other),
            }
        }
        left.join_on(right, kind, keys, Expr::conjunction(rest))
            .map_err(|e| e.with_location(loc(on)))
    }

    fn plan_table_factor(&self, t: &TableFactor, ctes: &Ctes) -> Result<Relation> {
        let plan = match t {
            TableFactor::Table {
                name,
                alias,
                args,
                with_hints,
                version,
                with_ordinality,
                partitions,
                json_path,
                sample,
                index_directives,
                inheritance,
            } => {
                if !with_hints.is_empty()
                    || version.is_some()
                    || *with_ordinality
                    || !partitions.is_empty()
                    || json_path.is_some()
                    || !index_directives.is_empty()
                    || inheritance.is_some()
                {
                    return Err(unsupported(format!("table options in '{t}'"), t));
                }
                if sample.is_some() {
                    return Err(unsupported("TABLESAMPLE", t));
                }
                let plan = match args {
                    Some(a) => {
                        if a.settings.is_some() {
                            return Err(unsupported(format!("table function options in '{t}'"), t));
                        }
                        self.plan_table_function(name, &a.args)?
                    }
                    None => self.plan_table_name(name, ctes)?,
                };
                with_alias(plan, alias.as_ref())?
            }
            TableFactor::Derived {
                lateral,
                subquery,
                alias,
                sample,
            } => {
                if *lateral {
                    return Err(unsupported("LATERAL", t));
                }
                if sample.is_some() {
                    return Err(unsupported("TABLESAMPLE", t));
                }
                let plan = LogicalPlanBuilder::from_arc(self.plan_query(subquery, ctes)?);
                with_alias(plan, alias.as_ref())?
            }
            TableFactor::NestedJoin {
                table_with_joins,
                alias,
            } => {
                let rel = self.plan_table_with_joins(table_with_joins, ctes)?;
                return Ok(Relation {
                    plan: with_alias(rel.plan, alias.as_ref())?,
                    using: rel.using,
                });
            }
            TableFactor::Function { lateral: true, .. } => return Err(unsupported("LATERAL", t)),
            TableFactor::Function {
                name,
                args,
                alias,
                with_ordinality: false,
                ..
            } => with_alias(self.plan_table_function(name, args)?, alias.as_ref())?,
            other => return Err(unsupported(format!("FROM item '{other}'"), other)),
        };
        Ok(Relation {
            plan,
            using: vec![],
        })
    }

    /// A CTE, view or table by name; `'path.parquet'` quoted names are files.
    fn plan_table_name(&self, name: &ast::ObjectName, ctes: &Ctes) -> Result<LogicalPlanBuilder> {
        let at = loc(name);
        let ident = match name.0.as_slice() {
            [ast::ObjectNamePart::Identifier(id)] => id,
            _ => return Err(unsupported(format!("qualified table name '{name}'"), name)),
        };
        if ident.quote_style == Some('\'') {
            return self.plan_file(&ident.value, None, at);
        }
        let key = ident.value.to_ascii_lowercase();
        if let Some(plan) = ctes.get(&key) {
            return LogicalPlanBuilder::from_arc(plan.clone()).alias(&ident.value);
        }
        match self.catalog.table(&ident.value) {
            Some(CatalogEntry::Table(source)) => LogicalPlanBuilder::scan(&ident.value, source),
            Some(CatalogEntry::View(plan)) => LogicalPlanBuilder::from(*plan).alias(&ident.value),
            None if ident.quote_style.is_some() && looks_like_path(&ident.value) => {
                self.plan_file(&ident.value, None, at)
            }
            None => {
                let mut names = self.catalog.table_names();
                names.extend(ctes.keys().cloned());
                Err(PlanError::not_found(
                    "table",
                    &ident.value,
                    names.iter().map(String::as_str),
                    at,
                ))
            }
        }
    }

    /// `read_parquet('path')`, `read_csv('path')`.
    fn plan_table_function(
        &self,
        name: &ast::ObjectName,
        args: &[FunctionArg],
    ) -> Result<LogicalPlanBuilder> {
        let at = loc(name);
        let fname = name.to_string().to_ascii_lowercase();
        let format = match fname.as_str() {
            "read_parquet" => "parquet",
            "read_csv" => "csv",
            _ => {
                return Err(PlanError::unsupported_at(
                    format!("table function '{name}'"),
                    at,
                ));
            }
        };
        let path = match args {
            [FunctionArg::Unnamed(FunctionArgExpr::Expr(ast::Expr::Value(v)))] => {
                v.value.clone().into_string()
            }
            _ => None,
        };
        let Some(path) = path else {
            return Err(PlanError::plan_at(
                format!("{fname}() takes one quoted path"),
                at,
            ));
        };
        self.plan_file(&path, Some(format), at)
    }

    fn plan_file(
        &self,
        path: &str,
        format: Option<&str>,
        at: crate::error::Location,
    ) -> Result<LogicalPlanBuilder> {
        let source = self
            .catalog
            .file_table(path, format)
            .map_err(|e| e.with_location(at))?;
        LogicalPlanBuilder::scan(&file_stem(path), source)
    }
}

fn looks_like_path(s: &str) -> bool {
    s.contains('/') || s.contains('.')
}

/// `dir/lineitem.parquet` → `lineitem`: the qualifier of a file's columns.
fn file_stem(path: &str) -> String {
    let base = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let stem = base.split('.').next().unwrap_or(base);
    if stem.is_empty() {
        "file".to_string()
    } else {
        stem.to_string()
    }
}

/// True when every column of `e` resolves in `schema` (and there is at least one).
fn only_from(e: &Expr, schema: &PlanSchema) -> bool {
    let cols = e.columns();
    !cols.is_empty()
        && cols
            .iter()
            .all(|c| schema.index_of(c.relation.as_deref(), &c.name).is_ok())
}

/// Applies `AS alias [(c1, c2, ...)]`.
pub(crate) fn with_alias(
    plan: LogicalPlanBuilder,
    alias: Option<&ast::TableAlias>,
) -> Result<LogicalPlanBuilder> {
    let Some(alias) = alias else {
        return Ok(plan);
    };
    if alias.at.is_some() || alias.columns.iter().any(|c| c.data_type.is_some()) {
        return Err(PlanError::unsupported_at(
            format!("table alias '{alias}'"),
            alias.name.span,
        ));
    }
    let plan = if alias.columns.is_empty() {
        plan
    } else {
        let schema = plan.schema();
        if schema.len() != alias.columns.len() {
            return Err(PlanError::plan_at(
                format!(
                    "alias '{}' names {} columns but the relation has {}",
                    alias.name.value,
                    alias.columns.len(),
                    schema.len()
                ),
                alias.name.span,
            ));
        }
        let exprs = schema
            .fields
            .iter()
            .zip(&alias.columns)
            .map(|(f, c)| field_column(f).alias(&c.name.value))
            .collect();
        plan.project(exprs)?
    };
    plan.alias(&alias.name.value)
}
