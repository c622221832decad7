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

use arrow::datatypes::{DataType, Schema};
use ember_planner::schema::PlanSchema;
use ember_planner::catalog::{Catalog, CatalogEntry, TableSource};
use ember_planner::logical::JoinKind;
use ember_planner::sql::{SqlPlanner, Statement};
use ember_planner::expr::SortExpr;
use ember_planner::{LogicalPlan, LogicalPlanBuilder};

use super::expr::{Input, Scope, quote};
use super::proto::relation::RelType;
use super::proto::{self, Expression, Relation};
use super::sessions::{Cached, Session};
use super::unsupported;
use crate::dataframe::DataFrame;
use crate::error::{EmberError, Result};
use crate::session::{SessionCatalog, SessionContext};
use crate::sources::{MemTable, Table};

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
    fn new(df: DataFrame) -> Self {
        Rel {
            df,
            plan_ids: HashMap::new(),
        }
    }
}

/// Translates relations in one session.
pub struct Translator<'a> {
    ctx: &'a SessionContext,
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

    fn child(&self, r: &Option<Box<Relation>>, what: &str) -> Result<Rel> {
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
                let source = super::range::RangeSource::try_new(r.start.unwrap_or(0), r.end, step, parts)?;
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
                let [predicate] = self.exprs_over(&input, |s| Ok(vec![s.sql(cond)?]))?.try_into()
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
                let n = usize::try_from(l.limit)
                    .map_err(|_| EmberError::execution(format!("limit({}) must not be negative", l.limit)))?;
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
                            _ => return Err(unsupported("drop() of an expression that is not a column")),
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
                            let (_, i) = s.resolve(&format!("`{}`", f.name().replace('`', "``")), None)?;
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

    fn read(&self, r: &proto::Read) -> Result<Rel> {
        use proto::read::ReadType;
        if r.is_streaming {
            return Err(unsupported("streaming reads"));
        }
        match r.read_type.as_ref() {
            Some(ReadType::NamedTable(t)) => {
                let parts = super::expr::split_identifier(&t.unparsed_identifier)?;
                let name = parts.last().cloned().unwrap_or_default();
                let df = self.ctx.table(&name)?;
                Ok(Rel::new(df))
            }
            Some(ReadType::DataSource(d)) => {
                let format = d.format.clone().unwrap_or_else(|| "parquet".into()).to_ascii_lowercase();
                if d.paths.is_empty() {
                    return Err(EmberError::execution(format!("read of {format} without a path")));
                }
                if !d.predicates.is_empty() {
                    return Err(unsupported("JDBC predicates"));
                }
                let mut frames = Vec::new();
                for path in &d.paths {
                    let mut reader = self.ctx.read().format(&format);
                    if let Some(schema) = &d.schema
                        && !schema.is_empty()
                    {
                        let fields =
                            super::types::parse_ddl(schema).map_err(EmberError::execution)?;
                        reader = reader.schema(Arc::new(Schema::new(fields)));
                    }
                    let mut header_given = false;
                    for (k, v) in &d.options {
                        match k.to_ascii_lowercase().as_str() {
                            // Ember always infers column types.
                            "inferschema" => {}
                            "header" => {
                                header_given = true;
                                reader = reader.option("header", v);
                            }
                            "sep" | "delimiter" => reader = reader.option("delimiter", v),
                            _ => reader = reader.option(k, v),
                        }
                    }
                    if format == "csv" && !header_given {
                        // Spark reads a first line as data unless told otherwise.
                        reader = reader.option("header", "false");
                    }
                    frames.push(reader.load(path)?);
                }
                let mut df = frames.remove(0);
                for f in frames {
                    df = df.union(&f)?;
                }
                Ok(Rel::new(df))
            }
            None => Err(EmberError::execution("a read without what to read")),
        }
    }

    fn local(&self, l: &proto::LocalRelation) -> Result<Rel> {
        let (schema, batches) = match &l.data {
            Some(data) => super::arrow::ipc_to_batches(data)?,
            None => {
                let text = l.schema.as_deref().unwrap_or_default();
                let fields = if text.trim_start().starts_with('{') {
                    return Err(unsupported("a JSON schema for local rows"));
                } else {
                    super::types::parse_ddl(text).map_err(EmberError::execution)?
                };
                (Arc::new(Schema::new(fields)), vec![])
            }
        };
        let table = MemTable::try_new(schema, vec![batches])?;
        let plan = LogicalPlanBuilder::scan("local", Arc::new(Table::new(table)))?.build();
        Ok(Rel::new(DataFrame::new(self.ctx.clone(), plan)))
    }

    fn show_string(&self, s: &proto::ShowString) -> Result<Rel> {
        let input = self.child(&s.input, "show")?;
        let num_rows = usize::try_from(s.num_rows.max(0)).unwrap_or(0);
        let df = input.df.limit(0, Some(num_rows + 1))?;
        let batches = df.collect()?;
        let text = super::show::show_string(
            &df.schema(),
            &batches,
            &super::show::ShowOptions {
                num_rows,
                truncate: usize::try_from(s.truncate.max(0)).unwrap_or(0),
                vertical: s.vertical,
            },
        );
        let schema = Arc::new(Schema::new(vec![arrow::datatypes::Field::new(
            "show_string",
            DataType::Utf8,
            false,
        )]));
        let batch = arrow::array::RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(arrow::array::StringArray::from(vec![text]))],
        )?;
        let table = MemTable::try_new(schema, vec![vec![batch]])?;
        let plan = LogicalPlanBuilder::scan("show", Arc::new(Table::new(table)))?.build();
        Ok(Rel::new(DataFrame::new(self.ctx.clone(), plan)))
    }

    fn aggregate(&self, a: &proto::Aggregate) -> Result<Rel> {
        use proto::aggregate::GroupType;
        let input = self.child(&a.input, "groupBy")?;
        let kind = GroupType::try_from(a.group_type).unwrap_or(GroupType::Unspecified);
        if kind == GroupType::Pivot {
            return Err(unsupported("groupBy().pivot()"));
        }
        self.over_one(&input, |s, v| {
            let groups = a
                .grouping_expressions
                .iter()
                .map(|e| s.unaliased_sql(e))
                .collect::<Result<Vec<_>>>()?;
            let mut cols = a
                .grouping_expressions
                .iter()
                .map(|e| s.named_sql(e))
                .collect::<Result<Vec<_>>>()?;
            for e in &a.aggregate_expressions {
                cols.push(s.named_sql(e)?);
            }
            if cols.is_empty() {
                return Err(EmberError::execution("agg() of no columns"));
            }
            let group_by = match kind {
                _ if groups.is_empty() && kind != GroupType::GroupingSets => String::new(),
                GroupType::Rollup => format!(" GROUP BY ROLLUP ({})", groups.join(", ")),
                GroupType::Cube => format!(" GROUP BY CUBE ({})", groups.join(", ")),
                GroupType::GroupingSets => {
                    let sets = a
                        .grouping_sets
                        .iter()
                        .map(|set| {
                            let cols = set
                                .grouping_set
                                .iter()
                                .map(|e| s.unaliased_sql(e))
                                .collect::<Result<Vec<_>>>()?;
                            Ok(format!("({})", cols.join(", ")))
                        })
                        .collect::<Result<Vec<_>>>()?;
                    format!(" GROUP BY GROUPING SETS ({})", sets.join(", "))
                }
                _ => format!(" GROUP BY {}", groups.join(", ")),
            };
            Ok(format!("SELECT {} FROM {v}{group_by}", cols.join(", ")))
        })
    }

    fn join(&self, j: &proto::Join) -> Result<Rel> {
        use proto::join::JoinType;
        let left = self.child(&j.left, "join")?;
        let right = self.child(&j.right, "join")?;
        let kind = match JoinType::try_from(j.join_type).unwrap_or(JoinType::Unspecified) {
            JoinType::Unspecified | JoinType::Inner => JoinKind::Inner,
            JoinType::FullOuter => JoinKind::Full,
            JoinType::LeftOuter => JoinKind::Left,
            JoinType::RightOuter => JoinKind::Right,
            JoinType::LeftAnti => JoinKind::LeftAnti,
            JoinType::LeftSemi => JoinKind::LeftSemi,
            JoinType::Cross => JoinKind::Cross,
        };
        if j.join_data_type.is_some() {
            return Err(unsupported("joinWith"));
        }
        let (lview, rview) = two_views(&left, &right);
        let mut plan_ids: HashMap<i64, Option<String>> = HashMap::new();
        for k in left.plan_ids.keys() {
            plan_ids.insert(*k, Some(lview.clone()));
        }
        if !matches!(kind, JoinKind::LeftSemi | JoinKind::LeftAnti) {
            for k in right.plan_ids.keys() {
                plan_ids.insert(*k, Some(rview.clone()));
            }
        }
        let inputs = [(&left, lview.as_str()), (&right, rview.as_str())];
        let keyword = match kind {
            JoinKind::Inner => Some("INNER JOIN"),
            JoinKind::Left => Some("LEFT JOIN"),
            JoinKind::Right => Some("RIGHT JOIN"),
            JoinKind::Full => Some("FULL JOIN"),
            _ => None,
        };
        let lb = LogicalPlanBuilder::from_arc(Arc::new(left.df.logical_plan().clone())).alias(&lview)?;
        let rb = LogicalPlanBuilder::from_arc(Arc::new(right.df.logical_plan().clone())).alias(&rview)?;
        let df = if !j.using_columns.is_empty() {
            match keyword {
                Some(keyword) => self.sql_over(&inputs, |s| {
                    let cols = j
                        .using_columns
                        .iter()
                        .map(|c| {
                            let i = s.inputs[0]
                                .schema
                                .resolve(None, c, Default::default())
                                .map_err(|_| EmberError::execution(format!("join column '{c}' is not in the left DataFrame")))?;
                            Ok(quote(&s.inputs[0].view_names[i]))
                        })
                        .collect::<Result<Vec<_>>>()?;
                    Ok(format!(
                        "SELECT * FROM {} {keyword} {} USING ({})",
                        quote(&lview),
                        quote(&rview),
                        cols.join(", ")
                    ))
                }, |_, _| Ok(()))?,
                None => DataFrame::new(
                    self.ctx.clone(),
                    lb.join_using(rb.build_arc(), kind, &j.using_columns)?.build(),
                ),
            }
        } else {
            match &j.join_condition {
                None => DataFrame::new(
                    self.ctx.clone(),
                    match kind {
                        JoinKind::Inner | JoinKind::Cross => lb.cross_join(rb.build_arc())?,
                        _ => lb.join_on(rb.build_arc(), kind, vec![], None)?,
                    }
                    .build(),
                ),
                Some(cond) => {
                    let (ls, rs) = (lb.schema(), rb.schema());
                    let condition = self.condition_over(&inputs, cond, &ls, &rs)?;
                    let kind = if kind == JoinKind::Cross { JoinKind::Inner } else { kind };
                    DataFrame::new(
                        self.ctx.clone(),
                        lb.join_on(rb.build_arc(), kind, vec![], Some(condition))?
                            .build(),
                    )
                }
            }
        };
        Ok(Rel { df, plan_ids })
    }

    /// A join condition as an expression over the two sides aliased as their views
    /// (with schemas `left` and `right`).
    fn condition_over(
        &self,
        inputs: &[(&Rel, &str)],
        cond: &Expression,
        left: &PlanSchema,
        right: &PlanSchema,
    ) -> Result<ember_planner::Expr> {
        let mut condition = None;
        let df = self.sql_over(inputs, |s| {
            Ok(format!(
                "SELECT {} FROM {} CROSS JOIN {}",
                s.sql(cond)?,
                quote(inputs[0].1),
                quote(inputs[1].1)
            ))
        }, |scope, plan| {
            if let LogicalPlan::Projection { exprs, .. } = plan
                && let [e] = exprs.as_slice()
            {
                let e = scope[0].from_view_onto(e.unalias().clone(), left)?;
                condition = Some(scope[1].from_view_onto(e, right)?);
            }
            Ok(())
        })?;
        let _ = df;
        condition.ok_or_else(|| unsupported("a join condition with aggregates or windows"))
    }

    /// Expressions over `input`, written as SQL by `build`, as expressions over the
    /// input's own columns (for the builder's filter and sort, which keep the input's
    /// columns and their qualifiers as they are).
    fn exprs_over(
        &self,
        input: &Rel,
        build: impl FnOnce(&Scope<'_>) -> Result<Vec<String>>,
    ) -> Result<Vec<ember_planner::Expr>> {
        let view = view_name(input, "__input");
        let mut out = None;
        let count = std::cell::Cell::new(0);
        self.sql_over(&[(input, view.as_str())], |s| {
            let list = build(s)?;
            count.set(list.len());
            Ok(format!("SELECT {} FROM {}", list.join(", "), quote(&view)))
        }, |scope, plan| {
            if let LogicalPlan::Projection { exprs, .. } = plan
                && exprs.len() == count.get()
            {
                out = Some(
                    exprs
                        .iter()
                        .map(|e| scope[0].from_view(e.unalias().clone()))
                        .collect::<Result<Vec<_>>>()?,
                );
            }
            Ok(())
        })?;
        out.ok_or_else(|| unsupported("aggregate or window functions in a filter or sort"))
    }

    fn set_operation(&self, s: &proto::SetOperation) -> Result<Rel> {
        use proto::set_operation::SetOpType;
        let left = self.child(&s.left_input, "set operation")?;
        let right = self.child(&s.right_input, "set operation")?;
        let all = s.is_all.unwrap_or(false);
        let op = match SetOpType::try_from(s.set_op_type).unwrap_or(SetOpType::Unspecified) {
            SetOpType::Union => "UNION",
            SetOpType::Intersect => "INTERSECT",
            SetOpType::Except => "EXCEPT",
            SetOpType::Unspecified => return Err(EmberError::execution("a set operation without its kind")),
        };
        let by_name = s.by_name.unwrap_or(false);
        let allow_missing = s.allow_missing_columns.unwrap_or(false);
        let (lview, rview) = ("__left".to_string(), "__right".to_string());
        let inputs = [(&left, lview.as_str()), (&right, rview.as_str())];
        let df = self.sql_over(&inputs, |sc| {
            let (l, r) = (&sc.inputs[0], &sc.inputs[1]);
            let (mut lcols, mut rcols) = (Vec::new(), Vec::new());
            if by_name {
                let find = |input: &Input, name: &str| {
                    input
                        .schema
                        .fields
                        .iter()
                        .position(|f| f.user_name().eq_ignore_ascii_case(name))
                };
                for (i, f) in l.schema.fields.iter().enumerate() {
                    lcols.push(l.select_sql(i));
                    match find(r, f.user_name()) {
                        Some(j) => rcols.push(r.column_sql(j)),
                        None if allow_missing => rcols.push(format!(
                            "CAST(NULL AS {})",
                            ember_planner::types::SqlType(&f.data_type)
                        )),
                        None => {
                            return Err(EmberError::execution(format!(
                                "unionByName: column '{}' is not in the right DataFrame",
                                f.user_name()
                            )));
                        }
                    }
                }
                for (j, f) in r.schema.fields.iter().enumerate() {
                    if find(l, f.user_name()).is_none() {
                        if !allow_missing {
                            return Err(EmberError::execution(format!(
                                "unionByName: column '{}' is not in the left DataFrame",
                                f.user_name()
                            )));
                        }
                        lcols.push(format!(
                            "CAST(NULL AS {}) AS {}",
                            ember_planner::types::SqlType(&f.data_type),
                            quote(f.user_name())
                        ));
                        rcols.push(r.column_sql(j));
                    }
                }
            } else {
                lcols = (0..l.schema.len()).map(|i| l.select_sql(i)).collect();
                rcols = (0..r.schema.len()).map(|i| r.column_sql(i)).collect();
            }
            Ok(format!(
                "SELECT {} FROM {} {op}{} SELECT {} FROM {}",
                lcols.join(", "),
                quote(&lview),
                if all { " ALL" } else { "" },
                rcols.join(", "),
                quote(&rview)
            ))
        }, |_, _| Ok(()))?;
        Ok(Rel::new(df))
    }

    fn deduplicate(&self, d: &proto::Deduplicate) -> Result<Rel> {
        let input = self.child(&d.input, "dropDuplicates")?;
        if d.within_watermark.unwrap_or(false) {
            return Err(unsupported("dropDuplicatesWithinWatermark"));
        }
        if d.all_columns_as_keys.unwrap_or(false) || d.column_names.is_empty() {
            return Ok(Rel {
                df: input.df.distinct()?,
                plan_ids: input.plan_ids,
            });
        }
        self.over_one(&input, |s, v| {
            let keys = d
                .column_names
                .iter()
                .map(|c| {
                    let (_, i) = s.resolve(&format!("`{}`", c.replace('`', "``")), None)?;
                    Ok(s.inputs[0].column_sql(i))
                })
                .collect::<Result<Vec<_>>>()?;
            let names = &s.inputs[0].view_names;
            let outer: Vec<String> = (0..names.len())
                .map(|i| {
                    format!(
                        "{}.{} AS {}",
                        quote("__dedup"),
                        quote(&names[i]),
                        quote(s.inputs[0].schema.fields[i].user_name())
                    )
                })
                .collect();
            Ok(format!(
                "SELECT {} FROM (SELECT {v}.*, row_number() OVER (PARTITION BY {}) AS {} FROM {v}) AS {} WHERE {} = 1",
                outer.join(", "),
                keys.join(", "),
                quote("__ember_row"),
                quote("__dedup"),
                quote("__ember_row")
            ))
        })
    }

    fn with_columns(&self, w: &proto::WithColumns) -> Result<Rel> {
        let input = self.child(&w.input, "withColumns")?;
        self.over_one(&input, |s, v| {
            let mut new: Vec<(String, String)> = Vec::new();
            for a in &w.aliases {
                let [name] = a.name.as_slice() else {
                    return Err(unsupported("withColumns of a multi-name alias"));
                };
                let e = a
                    .expr
                    .as_deref()
                    .ok_or_else(|| EmberError::execution("withColumn without its expression"))?;
                new.push((name.clone(), s.sql(e)?));
            }
            let schema = &s.inputs[0].schema;
            let mut cols = Vec::new();
            let mut used = vec![false; new.len()];
            for (i, f) in schema.fields.iter().enumerate() {
                match new.iter().position(|(n, _)| n.eq_ignore_ascii_case(f.user_name())) {
                    Some(k) => {
                        used[k] = true;
                        cols.push(format!("{} AS {}", new[k].1, quote(&new[k].0)));
                    }
                    None => cols.push(s.inputs[0].select_sql(i)),
                }
            }
            for (k, (name, sql)) in new.iter().enumerate() {
                if !used[k] {
                    cols.push(format!("{sql} AS {}", quote(name)));
                }
            }
            Ok(format!("SELECT {} FROM {v}", cols.join(", ")))
        })
    }

    /// Every column, renamed where `new_name(index, name)` says.
    fn rename(
        &self,
        input: &Rel,
        new_name: impl Fn(usize, &str) -> Option<String>,
    ) -> Result<Rel> {
        self.over_one(input, |s, v| {
            let cols: Vec<String> = s.inputs[0]
                .schema
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| match new_name(i, f.user_name()) {
                    Some(n) => format!("{} AS {}", s.inputs[0].column_sql(i), quote(&n)),
                    None => s.inputs[0].select_sql(i),
                })
                .collect();
            Ok(format!("SELECT {} FROM {v}", cols.join(", ")))
        })
    }

    /// A query over one input, registered under a view name; `build` gets the scope
    /// and the quoted view name.
    fn over_one(
        &self,
        input: &Rel,
        build: impl FnOnce(&Scope<'_>, &str) -> Result<String>,
    ) -> Result<Rel> {
        let view = view_name(input, "__input");
        let quoted = quote(&view);
        let df = self.sql_over(&[(input, view.as_str())], |s| build(s, &quoted), |_, _| Ok(()))?;
        let plan_ids = input.plan_ids.keys().map(|k| (*k, None)).collect();
        Ok(Rel { df, plan_ids })
    }

    /// Plans the SQL `build` writes, with `inputs` registered as views; `inspect`
    /// sees the inputs and the plan.
    fn sql_over(
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

    fn plan_sql(&self, views: &[(String, LogicalPlan)], sql: &str) -> Result<LogicalPlan> {
        let depth = self.ctx.config().max_expression_depth;
        crate::stack::with_stack_for_depth(depth, || {
            let catalog = InputCatalog {
                base: SessionCatalog { session: self.ctx },
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
fn view_name(r: &Rel, fallback: &str) -> String {
    let schema = r.df.logical_plan().schema();
    let mut qualifiers = schema.fields.iter().map(|f| f.qualifier.as_deref());
    match qualifiers.next() {
        Some(Some(q)) if qualifiers.all(|x| x == Some(q)) && !q.starts_with("__") => q.to_string(),
        _ => fallback.to_string(),
    }
}

/// View names for the two sides of a join, distinct.
fn two_views(left: &Rel, right: &Rel) -> (String, String) {
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
}

/// Whether SQL text is a query (runs when collected) rather than a command (runs now).
pub fn is_query(sql: &str) -> bool {
    let first = sql
        .trim_start_matches(|c: char| c.is_whitespace() || c == '(')
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    matches!(first.as_str(), "select" | "with" | "values" | "table" | "from")
}
