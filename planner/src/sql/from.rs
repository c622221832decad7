//! FROM items: tables, views, CTEs, files, derived tables and joins.
//!
//! In: sqlparser `TableWithJoins` items and the CTEs in scope. Out: a plan builder, what
//! `*` expands to, and the columns merged by USING and NATURAL joins. Names resolve CTE
//! first, then the [`crate::Catalog`], then the catalog's second place (remote mode:
//! the cluster's catalog), which also answers qualified names (`db.t`).
//!
//! A USING (or NATURAL) join shows each join column once, as PostgreSQL does: `*` gives
//! the merged column first, then the other columns of each side, and an unqualified
//! reference means the merged column — the left one for INNER and LEFT joins, the right
//! one for RIGHT joins and `coalesce(left, right)` for FULL joins. `l.k` and `r.k` still
//! name each side's own column.

use std::collections::HashMap;
use std::sync::Arc;

use sqlparser::ast::{
    self, FunctionArg, FunctionArgExpr, JoinConstraint, JoinOperator, TableFactor, TableWithJoins,
};

use crate::catalog::{CatalogEntry, Elsewhere};
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
    /// What `*` expands to, in order; `None` for every column of `plan`.
    pub star: Option<Vec<Expr>>,
    /// Columns merged by USING or NATURAL joins.
    pub using: Vec<UsingColumn>,
}

/// A column merged by a USING or NATURAL join.
#[derive(Debug, Clone)]
pub(crate) struct UsingColumn {
    /// The name in the USING list.
    pub name: String,
    /// What an unqualified reference to the name means.
    pub expr: Expr,
    /// The side columns it merges (`l.k`, `r.k`, and those an inner merge covered).
    pub covers: Vec<crate::expr::Column>,
}

impl UsingColumn {
    /// The merged column an unqualified `name` means in `schema`, or an ambiguity
    /// error when a column of that name outside the merge is in scope too (a third
    /// table joined with ON), as in PostgreSQL.
    pub(crate) fn resolve(&self, schema: &PlanSchema, at: crate::error::Location) -> Result<Expr> {
        let others: Vec<String> = schema
            .fields
            .iter()
            .filter(|f| f.user_name().eq_ignore_ascii_case(&self.name))
            .filter(|f| {
                !self
                    .covers
                    .iter()
                    .any(|c| c.relation == f.qualifier && c.name == f.name)
            })
            .map(|f| f.qualified_name())
            .collect();
        if others.is_empty() {
            return Ok(self.expr.clone());
        }
        Err(PlanError::Ambiguous {
            name: self.name.clone(),
            candidates: format!("the USING column {}, {}", self.name, others.join(", ")),
            location: at,
        })
    }
}

impl Relation {
    fn new(plan: LogicalPlanBuilder) -> Self {
        Relation {
            plan,
            star: None,
            using: vec![],
        }
    }

    /// The expressions `*` expands to.
    pub(crate) fn star_exprs(&self) -> Vec<Expr> {
        match &self.star {
            Some(s) => s.clone(),
            None => self.plan.schema().fields.iter().map(field_column).collect(),
        }
    }

    /// The names `*` shows, as the user sees them.
    fn star_names(&self) -> Vec<String> {
        self.star_exprs()
            .iter()
            .map(|e| crate::schema::user_name(&e.output_name()).to_string())
            .collect()
    }

    /// `name` on this side of a USING join: the merged column of an inner USING join,
    /// else the one column of that name.
    fn using_side(&self, name: &str, side: &str, at: crate::error::Location) -> Result<Expr> {
        let schema = self.plan.schema();
        if let Some(u) = self
            .using
            .iter()
            .find(|u| u.name.eq_ignore_ascii_case(name))
        {
            return u.resolve(&schema, at);
        }
        match schema.resolve(None, name, at) {
            Ok(i) => Ok(field_column(schema.field(i))),
            Err(PlanError::NotFound { .. }) => Err(PlanError::plan_at(
                format!("column '{name}' in the join's USING list is not in its {side} input"),
                at,
            )),
            Err(e) => Err(e),
        }
    }

    /// The qualifiers of the columns in this relation.
    fn qualifiers(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for f in &self.plan.schema().fields {
            if let Some(q) = &f.qualifier
                && !out.iter().any(|o| o.eq_ignore_ascii_case(q))
            {
                out.push(q.clone());
            }
        }
        out
    }

    /// Fails when `other` brings a table name this relation already has, as two
    /// `FROM t, t` columns could not be told apart.
    fn check_distinct_names(&self, other: &Relation, at: crate::error::Location) -> Result<()> {
        let mine = self.qualifiers();
        for q in other.qualifiers() {
            if mine.iter().any(|m| m.eq_ignore_ascii_case(&q)) {
                return Err(PlanError::plan_at(
                    format!("table name \"{q}\" is specified more than once; give one an alias"),
                    at,
                ));
            }
        }
        Ok(())
    }

    /// Joins `self` and `right` with no USING (cross, ON): `*` is both sides' in order.
    fn joined(self, right: Relation, plan: LogicalPlanBuilder) -> Relation {
        let star = if self.star.is_none() && right.star.is_none() {
            None
        } else {
            let mut s = self.star_exprs();
            s.extend(right.star_exprs());
            Some(s)
        };
        let mut using = self.using;
        using.extend(right.using);
        Relation { plan, star, using }
    }
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
                    left.check_distinct_names(&next, loc(&item.relation))?;
                    let plan = left
                        .plan
                        .clone()
                        .cross_join(next.plan.clone().build_arc())?;
                    left.joined(next, plan)
                }
            });
        }
        Ok(result.unwrap_or_else(|| Relation::new(LogicalPlanBuilder::empty(true))))
    }

    fn plan_table_with_joins(&self, t: &TableWithJoins, ctes: &Ctes) -> Result<Relation> {
        let mut rel = self.plan_table_factor(&t.relation, ctes)?;
        for join in &t.joins {
            if join.global {
                return Err(unsupported("GLOBAL JOIN", &join.relation));
            }
            let right = self.plan_table_factor(&join.relation, ctes)?;
            let at = loc(&join.relation);
            rel.check_distinct_names(&right, at)?;
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
            rel = match constraint {
                JoinConstraint::None if kind == JoinKind::Cross => {
                    let plan = rel
                        .plan
                        .clone()
                        .cross_join(right.plan.clone().build_arc())?;
                    rel.joined(right, plan)
                }
                JoinConstraint::None => {
                    return Err(PlanError::plan_at(
                        "JOIN needs an ON or USING condition (or use CROSS JOIN)",
                        at,
                    ));
                }
                JoinConstraint::On(on) if kind != JoinKind::Cross => {
                    let mut scope_using = rel.using.clone();
                    scope_using.extend(right.using.iter().cloned());
                    let plan = self.plan_join_on(
                        rel.plan.clone(),
                        right.plan.clone().build_arc(),
                        kind,
                        on,
                        &scope_using,
                    )?;
                    rel.joined(right, plan)
                }
                JoinConstraint::Using(names) if kind != JoinKind::Cross => {
                    let mut columns = Vec::new();
                    for n in names {
                        columns.push(crate::sql::statement::object_name(n)?);
                    }
                    using_join(rel, right, kind, &columns, at)?
                }
                JoinConstraint::Natural => {
                    let right_names = right.star_names();
                    let mut columns: Vec<String> = Vec::new();
                    for n in rel.star_names() {
                        if right_names.iter().any(|r| r.eq_ignore_ascii_case(&n))
                            && !columns.iter().any(|c| c.eq_ignore_ascii_case(&n))
                        {
                            columns.push(n);
                        }
                    }
                    if columns.is_empty() {
                        // No common column: every pair, kept as the join kind says.
                        let plan = if kind == JoinKind::Inner {
                            rel.plan
                                .clone()
                                .cross_join(right.plan.clone().build_arc())?
                        } else {
                            rel.plan.clone().join_on(
                                right.plan.clone().build_arc(),
                                kind,
                                vec![],
                                Some(Expr::Literal(crate::scalar::ScalarValue::Boolean(Some(
                                    true,
                                )))),
                            )?
                        };
                        rel.joined(right, plan)
                    } else {
                        using_join(rel, right, kind, &columns, at)?
                    }
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
        using: &[UsingColumn],
    ) -> Result<LogicalPlanBuilder> {
        let ls = left.schema();
        let rs = right.schema();
        let all = ls.join(&rs);
        let cond = self.sql_to_expr(
            on,
            &ExprScope {
                schema: &all,
                using,
                star: None,
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
                match alias {
                    Some(_) => with_alias(plan, alias.as_ref())?,
                    // Its columns need a table name of their own, or two unaliased derived
                    // tables over `t` could not be told apart.
                    None => plan.alias(&self.unnamed_subquery_name())?,
                }
            }
            TableFactor::NestedJoin {
                table_with_joins,
                alias,
            } => {
                let rel = self.plan_table_with_joins(table_with_joins, ctes)?;
                if alias.is_none() {
                    return Ok(rel);
                }
                // An alias hides the inner names: the join becomes one table.
                let star = rel.star_exprs();
                let plan = if rel.star.is_some() {
                    rel.plan.project(star)?
                } else {
                    rel.plan
                };
                return Ok(Relation::new(with_alias(plan, alias.as_ref())?));
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
        Ok(Relation::new(plan))
    }

    fn unnamed_subquery_name(&self) -> String {
        let n = self.unnamed_subqueries.get() + 1;
        self.unnamed_subqueries.set(n);
        if n == 1 {
            "unnamed_subquery".to_string()
        } else {
            format!("unnamed_subquery_{n}")
        }
    }

    /// A CTE, view or table by name; `'path.parquet'` quoted names are files. A name
    /// none of those holds, qualified names (`db.t`) included, is asked of the
    /// catalog's second place ([`crate::Catalog::table_elsewhere`]).
    pub(crate) fn plan_table_name(
        &self,
        name: &ast::ObjectName,
        ctes: &Ctes,
    ) -> Result<LogicalPlanBuilder> {
        let at = loc(name);
        let idents = name
            .0
            .iter()
            .map(|part| match part {
                ast::ObjectNamePart::Identifier(id) => Some(id),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| unsupported(format!("table name '{name}'"), name))?;
        let [.., last] = idents.as_slice() else {
            return Err(unsupported(format!("table name '{name}'"), name));
        };
        if let [ident] = idents.as_slice() {
            if ident.quote_style == Some('\'') {
                return self.plan_file(&ident.value, None, at);
            }
            let key = ident.value.to_ascii_lowercase();
            if let Some(plan) = ctes.get(&key) {
                return LogicalPlanBuilder::from_arc(plan.clone()).alias(&ident.value);
            }
            match self.catalog.table(&ident.value) {
                Some(CatalogEntry::Table(source)) => {
                    return LogicalPlanBuilder::scan(&ident.value, source);
                }
                Some(CatalogEntry::View(plan)) => {
                    return LogicalPlanBuilder::from(*plan).alias(&ident.value);
                }
                None if ident.quote_style.is_some() && looks_like_path(&ident.value) => {
                    return self.plan_file(&ident.value, None, at);
                }
                None => {}
            }
        }
        let parts: Vec<String> = idents.iter().map(|i| i.value.clone()).collect();
        let searched = match self
            .catalog
            .table_elsewhere(&parts)
            .map_err(|e| e.with_location(at))?
        {
            // Columns are qualified by the last part, as Spark qualifies them.
            Elsewhere::Found(source) => return LogicalPlanBuilder::scan(&last.value, source),
            Elsewhere::NotLooked if idents.len() > 1 => {
                return Err(unsupported(format!("qualified table name '{name}'"), name));
            }
            Elsewhere::NotLooked => None,
            Elsewhere::Absent { searched } => Some(searched),
        };
        let mut names = self.catalog.table_names();
        names.extend(ctes.keys().cloned());
        let error = PlanError::not_found(
            "table",
            &parts.join("."),
            names.iter().map(String::as_str),
            at,
        );
        Err(match searched {
            Some(place) => error.searched_also(place),
            None => error,
        })
    }

    /// `read_parquet('path')`, `read_csv('path')`, `read_json('path')`.
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
            "read_json" | "read_ndjson" => "json",
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

/// `dir/lineitem.parquet` → `lineitem`: the qualifier of a file's columns. For a glob
/// (`out/**/*.parquet`) the last folder before the pattern: `out`.
fn file_stem(path: &str) -> String {
    let plain = path
        .split(['/', '\\'])
        .take_while(|part| !part.contains(['*', '?', '[']))
        .filter(|part| !part.is_empty())
        .last();
    if path.contains(['*', '?', '['])
        && let Some(folder) = plain
    {
        return folder.to_string();
    }
    let base = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let stem = base.split('.').next().unwrap_or(base);
    if stem.is_empty() {
        "file".to_string()
    } else {
        stem.to_string()
    }
}

/// `left JOIN right USING (columns)` (NATURAL joins name their common columns).
fn using_join(
    left: Relation,
    right: Relation,
    kind: JoinKind,
    columns: &[String],
    at: crate::error::Location,
) -> Result<Relation> {
    let mut on = Vec::new();
    let mut merged: Vec<UsingColumn> = Vec::new();
    for c in columns {
        if merged.iter().any(|u| u.name.eq_ignore_ascii_case(c)) {
            return Err(PlanError::plan_at(
                format!("column '{c}' appears more than once in the USING list"),
                at,
            ));
        }
        let l = left.using_side(c, "left", at)?;
        let r = right.using_side(c, "right", at)?;
        let m = match kind {
            JoinKind::Right => r.clone(),
            JoinKind::Full => Expr::Function {
                name: "coalesce".to_string(),
                args: vec![l.clone(), r.clone()],
            },
            _ => l.clone(),
        };
        let mut covers = Vec::new();
        for side in [&left, &right] {
            match side.using.iter().find(|u| u.name.eq_ignore_ascii_case(c)) {
                Some(u) => covers.extend(u.covers.iter().cloned()),
                None => covers.extend(side_columns(side, c)),
            }
        }
        on.push((l, r));
        merged.push(UsingColumn {
            name: c.clone(),
            expr: m,
            covers,
        });
    }
    let is_join_column = |e: &Expr| {
        let n = e.output_name();
        let n = crate::schema::user_name(&n);
        columns.iter().any(|c| c.eq_ignore_ascii_case(n))
    };
    let mut star: Vec<Expr> = merged
        .iter()
        .map(|u| match &u.expr {
            Expr::Column(col)
                if crate::schema::user_name(&col.name).eq_ignore_ascii_case(&u.name) =>
            {
                u.expr.clone()
            }
            e => e.clone().alias(&u.name),
        })
        .collect();
    star.extend(left.star_exprs().into_iter().filter(|e| !is_join_column(e)));
    star.extend(
        right
            .star_exprs()
            .into_iter()
            .filter(|e| !is_join_column(e)),
    );
    let not_joined = |u: &&UsingColumn| !columns.iter().any(|c| c.eq_ignore_ascii_case(&u.name));
    let mut using: Vec<UsingColumn> = left.using.iter().filter(not_joined).cloned().collect();
    using.extend(right.using.iter().filter(not_joined).cloned());
    using.extend(merged);
    let plan = left
        .plan
        .join_on(right.plan.build_arc(), kind, on, None)
        .map_err(|e| e.with_location(at))?;
    Ok(Relation {
        plan,
        star: Some(star),
        using,
    })
}

/// The columns of `side` that a user's `name` matches.
fn side_columns(side: &Relation, name: &str) -> Vec<crate::expr::Column> {
    side.plan
        .schema()
        .fields
        .iter()
        .filter(|f| f.user_name().eq_ignore_ascii_case(name))
        .map(|f| crate::expr::Column {
            relation: f.qualifier.clone(),
            name: f.name.clone(),
        })
        .collect()
}

/// True when every column of `e` resolves in `schema` (and there is at least one).
fn only_from(e: &Expr, schema: &PlanSchema) -> bool {
    let cols = e.columns();
    !cols.is_empty()
        && cols
            .iter()
            .all(|c| schema.find(c.relation.as_deref(), &c.name).is_some())
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
