//! Spark Connect relations as Ember DataFrames.
//!
//! Relations without expressions (reads, `range`, limits, aliases, local rows) use the
//! DataFrame builder directly. Relations with expressions (project, filter, sort,
//! aggregate, joins on a condition, set operations, withColumn, ...) become one SQL
//! query over their inputs, each registered for that query as a view, and are planned
//! by Ember's SQL front end: the same planner `spark.sql` uses, so functions, types
//! and errors are alike on both paths. Relations Ember cannot do are errors naming
//! them (`unsupported relation: Sample`).
//!
//! In: `proto::Relation`s and the session. Out: [`Rel`]s: a DataFrame and the Spark
//! `plan_id`s inside it. May import `super::{expr, proto, range, types, arrow}` and
//! the crate's session, DataFrame and sources.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use prost::Message;

use arrow::datatypes::DataType;
use ember_planner::catalog::{Catalog, CatalogEntry, TableSource};
use ember_planner::expr::SortExpr;
use ember_planner::sql::{SqlPlanner, Statement};
use ember_planner::{LogicalPlan, LogicalPlanBuilder};

use super::expr::{Input, Scope, quote};
use super::proto::relation::RelType;
use super::proto::{self, Relation};
use super::sessions::{Cached, Session};
use super::unsupported;
use crate::dataframe::DataFrame;
use crate::error::{EmberError, Result};
use crate::session::{SessionCatalog, SessionContext};
use crate::sources::Table;

/// A translated relation.
#[derive(Clone)]
pub struct Rel {
    /// Its rows, lazily.
    pub df: DataFrame,
    /// The Spark `plan_id`s of the relation and of those inside it, each with the
    /// qualifier their columns carry in this relation's output (`None`: any).
    pub plan_ids: HashMap<i64, Option<String>>,
}

impl Rel {
    /// A relation with no plan ids yet.
    pub(super) fn new(df: DataFrame) -> Self {
        Rel {
            df,
            plan_ids: HashMap::new(),
        }
    }
}

/// Translates relations in one session.
pub struct Translator<'a> {
    pub(super) ctx: &'a SessionContext,
    cached: Option<&'a Mutex<HashMap<Vec<u8>, Cached>>>,
}

fn input_of(r: &Option<Box<Relation>>, what: &str) -> Result<Relation> {
    r.as_deref()
        .cloned()
        .ok_or_else(|| EmberError::execution(format!("{what} without its input relation")))
}

fn rel_name(t: &RelType) -> String {
    let debug = format!("{t:?}");
    debug.split('(').next().unwrap_or("?").to_string()
}

impl<'a> Translator<'a> {
    /// A translator for `session`, reading the DataFrames it persisted.
    pub fn for_session(session: &'a Session) -> Self {
        Translator {
            ctx: &session.ctx,
            cached: Some(&session.cached),
        }
    }

    /// `r` as a DataFrame.
    pub fn relation(&self, r: &Relation) -> Result<Rel> {
        if let Some(cached) = self.cached
            && let Ok(cached) = cached.lock()
            && !cached.is_empty()
            && let Some(c) = cached.get(&r.encode_to_vec())
        {
            return Ok(c.rel.clone());
        }
        let t = r
            .rel_type
            .as_ref()
            .ok_or_else(|| EmberError::execution("a relation without its kind"))?;
        let mut rel = self.relation_of(t)?;
        if let Some(id) = r.common.as_ref().and_then(|c| c.plan_id) {
            rel.plan_ids.insert(id, None);
        }
        Ok(rel)
    }

    pub(super) fn child(&self, r: &Option<Box<Relation>>, what: &str) -> Result<Rel> {
        self.relation(&input_of(r, what)?)
    }

    fn relation_of(&self, t: &RelType) -> Result<Rel> {
        match t {
            // The deprecated argument fields are still what older clients send.
            #[allow(deprecated)]
            RelType::Sql(s) => {
                if !s.args.is_empty()
                    || !s.pos_args.is_empty()
                    || !s.named_arguments.is_empty()
                    || !s.pos_arguments.is_empty()
                {
                    return Err(unsupported("SQL with parameters (args=...)"));
                }
                Ok(Rel::new(self.ctx.sql(&s.query)?))
            }
            RelType::Read(r) => self.read(r),
            RelType::Range(r) => {
                let parts = match r.num_partitions {
                    Some(n) if n > 0 => n as usize,
                    _ => self.ctx.config().target_partitions,
                };
                let step = if r.step == 0 { 1 } else { r.step };
                let source =
                    super::range::RangeSource::try_new(r.start.unwrap_or(0), r.end, step, parts)?;
                let plan = LogicalPlanBuilder::scan("range", Arc::new(Table::new(source)))?.build();
                Ok(Rel::new(DataFrame::new(self.ctx.clone(), plan)))
            }
            RelType::LocalRelation(l) => self.local(l),
            RelType::Project(p) => {
                let input = self.child(&p.input, "select")?;
                if p.expressions.is_empty() {
                    return Err(EmberError::execution("select() of no columns"));
                }
                self.over_one(&input, |s, v| {
                    let cols = p
                        .expressions
                        .iter()
                        .map(|e| s.named_sql(e))
                        .collect::<Result<Vec<_>>>()?;
                    Ok(format!("SELECT {} FROM {v}", cols.join(", ")))
                })
            }
            RelType::Filter(f) => {
                let input = self.child(&f.input, "filter")?;
                let cond = f
                    .condition
                    .as_ref()
                    .ok_or_else(|| EmberError::execution("filter without its condition"))?;
                let [predicate] = self
                    .exprs_over(&input, |s| Ok(vec![s.sql(cond)?]))?
                    .try_into()
                    .map_err(|_| EmberError::internal("one filter predicate"))?;
                let plan = LogicalPlanBuilder::from(input.df.logical_plan().clone())
                    .filter(predicate)?
                    .build();
                Ok(Rel {
                    df: DataFrame::new(self.ctx.clone(), plan),
                    plan_ids: input.plan_ids,
                })
            }
            RelType::Sort(o) => {
                let input = self.child(&o.input, "orderBy")?;
                if o.order.is_empty() {
                    return Ok(input);
                }
                let exprs = self.exprs_over(&input, |s| {
                    o.order
                        .iter()
                        .map(|k| {
                            let child = k.child.as_deref().ok_or_else(|| {
                                EmberError::execution("a sort key without its expression")
                            })?;
                            s.sql(child)
                        })
                        .collect()
                })?;
                let keys = exprs
                    .into_iter()
                    .zip(&o.order)
                    .map(|(expr, k)| {
                        let (asc, nulls_first) = super::expr::direction(k);
                        SortExpr {
                            expr,
                            asc,
                            nulls_first,
                        }
                    })
                    .collect();
                let plan = LogicalPlanBuilder::from(input.df.logical_plan().clone())
                    .sort(keys)?
                    .build();
                Ok(Rel {
                    df: DataFrame::new(self.ctx.clone(), plan),
                    plan_ids: input.plan_ids,
                })
            }
            RelType::Limit(l) => {
                let input = self.child(&l.input, "limit")?;
                let n = usize::try_from(l.limit).map_err(|_| {
                    EmberError::execution(format!("limit({}) must not be negative", l.limit))
                })?;
                Ok(Rel {
                    df: input.df.limit(0, Some(n))?,
                    plan_ids: input.plan_ids,
                })
            }
            RelType::Offset(o) => {
                let input = self.child(&o.input, "offset")?;
                let n = usize::try_from(o.offset).map_err(|_| {
                    EmberError::execution(format!("offset({}) must not be negative", o.offset))
                })?;
                Ok(Rel {
                    df: input.df.limit(n, None)?,
                    plan_ids: input.plan_ids,
                })
            }
            RelType::Aggregate(a) => self.aggregate(a),
            RelType::Join(j) => self.join(j),
            RelType::SetOp(s) => self.set_operation(s),
            RelType::Deduplicate(d) => self.deduplicate(d),
            RelType::SubqueryAlias(a) => {
                let input = self.child(&a.input, "alias")?;
                if !a.qualifier.is_empty() {
                    return Err(unsupported("an alias with a qualifier"));
                }
                Ok(Rel {
                    df: input.df.alias(&a.alias)?,
                    plan_ids: input.plan_ids.into_keys().map(|k| (k, None)).collect(),
                })
            }
            RelType::ShowString(s) => self.show_string(s),
            RelType::WithColumns(w) => self.with_columns(w),
            RelType::WithColumnsRenamed(w) => {
                let input = self.child(&w.input, "withColumnsRenamed")?;
                let mut renames: Vec<(String, String)> = w
                    .rename_columns_map
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                renames.extend(
                    w.renames
                        .iter()
                        .map(|r| (r.col_name.clone(), r.new_col_name.clone())),
                );
                self.rename(&input, |i, name| {
                    let _ = i;
                    renames
                        .iter()
                        .rev()
                        .find(|(from, _)| from.eq_ignore_ascii_case(name))
                        .map(|(_, to)| to.clone())
                })
            }
            RelType::ToDf(t) => {
                let input = self.child(&t.input, "toDF")?;
                let width = input.df.logical_plan().schema().len();
                if t.column_names.len() != width {
                    return Err(EmberError::execution(format!(
                        "toDF() got {} names for {width} columns",
                        t.column_names.len()
                    )));
                }
                self.rename(&input, |i, _| t.column_names.get(i).cloned())
            }
            RelType::Drop(d) => {
                let input = self.child(&d.input, "drop")?;
                self.over_one(&input, |s, v| {
                    let mut dropped = Vec::new();
                    for e in &d.columns {
                        match e.expr_type.as_ref() {
                            Some(proto::expression::ExprType::UnresolvedAttribute(a)) => {
                                if let Ok((_, i)) = s.resolve(&a.unparsed_identifier, a.plan_id) {
                                    dropped.push(i);
                                }
                            }
                            _ => {
                                return Err(unsupported(
                                    "drop() of an expression that is not a column",
                                ));
                            }
                        }
                    }
                    let schema = &s.inputs[0].schema;
                    for name in &d.column_names {
                        for (i, f) in schema.fields.iter().enumerate() {
                            if f.user_name().eq_ignore_ascii_case(name) {
                                dropped.push(i);
                            }
                        }
                    }
                    let kept: Vec<String> = (0..schema.len())
                        .filter(|i| !dropped.contains(i))
                        .map(|i| s.inputs[0].select_sql(i))
                        .collect();
                    if kept.is_empty() {
                        return Err(unsupported("drop() of every column"));
                    }
                    Ok(format!("SELECT {} FROM {v}", kept.join(", ")))
                })
            }
            RelType::ToSchema(t) => {
                let input = self.child(&t.input, "to")?;
                let schema = t
                    .schema
                    .as_ref()
                    .ok_or_else(|| EmberError::execution("to() without its schema"))?;
                let DataType::Struct(fields) =
                    super::types::from_spark(schema).map_err(EmberError::execution)?
                else {
                    return Err(EmberError::execution("to() takes a struct schema"));
                };
                self.over_one(&input, |s, v| {
                    let cols = fields
                        .iter()
                        .map(|f| {
                            let (_, i) =
                                s.resolve(&format!("`{}`", f.name().replace('`', "``")), None)?;
                            Ok(format!(
                                "CAST({} AS {}) AS {}",
                                s.inputs[0].column_sql(i),
                                ember_planner::types::SqlType(f.data_type()),
                                quote(f.name())
                            ))
                        })
                        .collect::<Result<Vec<_>>>()?;
                    Ok(format!("SELECT {} FROM {v}", cols.join(", ")))
                })
            }
            // These change how rows are spread over partitions, never which rows there
            // are: Ember plans its own partitioning.
            RelType::Repartition(r) => self.child(&r.input, "repartition"),
            RelType::RepartitionByExpression(r) => self.child(&r.input, "repartition"),
            RelType::Hint(h) => self.child(&h.input, "hint"),
            RelType::Catalog(c) => Ok(Rel::new(super::catalog::catalog(self.ctx, c)?)),
            RelType::CachedLocalRelation(_) | RelType::ChunkedCachedLocalRelation(_) => {
                Err(unsupported(
                    "relation: CachedLocalRelation (createDataFrame of more rows than \
                     spark.sql.session.localRelationCacheThreshold needs artifacts)",
                ))
            }
            other => Err(unsupported(format!("relation: {}", rel_name(other)))),
        }
    }

    /// Expressions over `input`, written as SQL by `build`, as expressions over the
    /// input's own columns (for the builder's filter and sort, which keep the input's
    /// columns and their qualifiers as they are).
    pub(super) fn exprs_over(
        &self,
        input: &Rel,
        build: impl FnOnce(&Scope<'_>) -> Result<Vec<String>>,
    ) -> Result<Vec<ember_planner::Expr>> {
        let view = view_name(input, "__input");
        let mut out = None;
        let count = std::cell::Cell::new(0);
        self.sql_over(
            &[(input, view.as_str())],
            |s| {
                let list = build(s)?;
                count.set(list.len());
                Ok(format!("SELECT {} FROM {}", list.join(", "), quote(&view)))
            },
            |scope, plan| {
                if let LogicalPlan::Projection { exprs, .. } = plan
                    && exprs.len() == count.get()
                {
                    out = Some(
                        exprs
                            .iter()
                            .map(|e| scope[0].onto_input(e.unalias().clone()))
                            .collect::<Result<Vec<_>>>()?,
                    );
                }
                Ok(())
            },
        )?;
        out.ok_or_else(|| unsupported("aggregate or window functions in a filter or sort"))
    }

    /// A query over one input, registered under a view name; `build` gets the scope
    /// and the quoted view name.
    pub(super) fn over_one(
        &self,
        input: &Rel,
        build: impl FnOnce(&Scope<'_>, &str) -> Result<String>,
    ) -> Result<Rel> {
        let view = view_name(input, "__input");
        let quoted = quote(&view);
        let df = self.sql_over(
            &[(input, view.as_str())],
            |s| build(s, &quoted),
            |_, _| Ok(()),
        )?;
        let plan_ids = input.plan_ids.keys().map(|k| (*k, None)).collect();
        Ok(Rel { df, plan_ids })
    }

    /// Plans the SQL `build` writes, with `inputs` registered as views; `inspect`
    /// sees the inputs and the plan.
    pub(super) fn sql_over(
        &self,
        inputs: &[(&Rel, &str)],
        build: impl FnOnce(&Scope<'_>) -> Result<String>,
        inspect: impl FnOnce(&[Input], &LogicalPlan) -> Result<()>,
    ) -> Result<DataFrame> {
        let scope_inputs: Vec<Input> = inputs
            .iter()
            .map(|(r, v)| Input::new(v, r.df.logical_plan(), r.plan_ids.clone()))
            .collect::<Result<Vec<_>>>()?;
        let views: Vec<(String, LogicalPlan)> = scope_inputs
            .iter()
            .map(|i| (i.view.clone(), i.plan.clone()))
            .collect();
        let from = views
            .iter()
            .map(|(v, _)| quote(v))
            .collect::<Vec<_>>()
            .join(" CROSS JOIN ");
        let type_of = |e: &str| -> Result<DataType> {
            let plan = self.plan_sql(&views, &format!("SELECT {e} FROM {from}"))?;
            let schema = plan.schema();
            match schema.fields.as_slice() {
                [f] => Ok(f.data_type.clone()),
                _ => Err(EmberError::internal(format!("the type of '{e}'"))),
            }
        };
        let scope = Scope {
            inputs: &scope_inputs,
            type_of: &type_of,
        };
        let sql = build(&scope)?;
        let plan = self.plan_sql(&views, &sql)?;
        inspect(&scope_inputs, &plan)?;
        Ok(DataFrame::new(self.ctx.clone(), plan))
    }

    pub(super) fn plan_sql(
        &self,
        views: &[(String, LogicalPlan)],
        sql: &str,
    ) -> Result<LogicalPlan> {
        let depth = self.ctx.config().max_expression_depth;
        crate::stack::with_stack_for_depth(depth, || {
            let catalog = InputCatalog {
                base: SessionCatalog::new(self.ctx),
                views,
            };
            match SqlPlanner::new(&catalog)
                .with_max_expression_depth(depth)
                .plan_statement(sql)?
            {
                Statement::Query(plan) => Ok(plan),
                _ => Err(EmberError::internal("a relation planned to a statement")),
            }
        })
    }
}

/// The view name for a relation: the alias its columns carry (so `alias.col` and
/// `expr("alias.col")` work), else `fallback`.
pub(super) fn view_name(r: &Rel, fallback: &str) -> String {
    let schema = r.df.logical_plan().schema();
    let mut qualifiers = schema.fields.iter().map(|f| f.qualifier.as_deref());
    match qualifiers.next() {
        Some(Some(q)) if qualifiers.all(|x| x == Some(q)) && !q.starts_with("__") => q.to_string(),
        _ => fallback.to_string(),
    }
}

/// View names for the two sides of a join, distinct.
pub(super) fn two_views(left: &Rel, right: &Rel) -> (String, String) {
    let l = view_name(left, "__left");
    let r = view_name(right, "__right");
    if l.eq_ignore_ascii_case(&r) {
        ("__left".into(), "__right".into())
    } else {
        (l, r)
    }
}

/// The session's catalog with the relation's inputs added as views.
struct InputCatalog<'a> {
    base: SessionCatalog<'a>,
    views: &'a [(String, LogicalPlan)],
}

impl Catalog for InputCatalog<'_> {
    fn table(&self, name: &str) -> Option<CatalogEntry> {
        for (v, plan) in self.views {
            if v.eq_ignore_ascii_case(name) {
                return Some(CatalogEntry::View(Box::new(plan.clone())));
            }
        }
        self.base.table(name)
    }

    fn table_names(&self) -> Vec<String> {
        self.base.table_names()
    }

    fn file_table(
        &self,
        path: &str,
        format: Option<&str>,
    ) -> ember_planner::Result<Arc<dyn TableSource>> {
        self.base.file_table(path, format)
    }

    fn table_elsewhere(&self, name: &[String]) -> ember_planner::Result<ember_planner::Elsewhere> {
        self.base.table_elsewhere(name)
    }
}

/// Whether SQL text is a query (runs when collected) rather than a command (runs now).
pub fn is_query(sql: &str) -> bool {
    let first = sql
        .trim_start_matches(|c: char| c.is_whitespace() || c == '(')
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    matches!(
        first.as_str(),
        "select" | "with" | "values" | "table" | "from"
    )
}
