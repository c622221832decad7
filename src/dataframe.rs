//! A lazy DataFrame in Spark's vocabulary: transformations build a logical plan;
//! actions (`collect`, `count`, `show`) plan it (one run of the planner pipeline,
//! [`ember_planner::pipeline`]) and run it as one RDD job.
//!
//! ```
//! use ember::SessionContext;
//! use ember::dataframe::functions::{col, lit, sum};
//!
//! let ctx = SessionContext::new();
//! ctx.register_tpch(0.001).unwrap();
//! let df = ctx
//!     .table("nation").unwrap()
//!     .filter(col("n_regionkey").eq(lit(1))).unwrap()
//!     .aggregate(vec![], vec![sum(col("n_nationkey")).alias("total")]).unwrap();
//! assert_eq!(df.count().unwrap(), 1);
//! ```

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ember_planner::catalog::Statistics;
use ember_planner::expr::{Expr, SortExpr};
use ember_planner::logical::JoinKind;
use ember_planner::logical::builder::{field_column, resolve_user_columns};
use ember_planner::physical::PhysicalPlan;
use ember_planner::physical::planner::PhysicalPlannerConfig;
use ember_planner::pipeline::{PipelineSettings, PlannedQuery, plan_query};
use ember_planner::schema::PlanSchema;
use ember_planner::{LogicalPlan, LogicalPlanBuilder};

use crate::context::SessionContext;
use crate::error::{EmberError, Result};
use crate::exec::cache::CachedTable;
use crate::exec::{self, ExecContext};
use crate::format::{OutputFormat, write_batches};
use crate::memory::QueryMemory;
use crate::rdd::{CancelToken, Rdd, StorageLevel};

/// Builders for expressions: columns, literals and aggregate calls.
pub mod functions {
    use ember_planner::expr::{AggFunc, Expr};
    pub use ember_planner::expr::{col, lit};

    fn agg(func: AggFunc, arg: Expr, distinct: bool) -> Expr {
        Expr::Aggregate {
            func,
            args: vec![arg],
            distinct,
        }
    }
    /// `sum(e)`
    pub fn sum(e: Expr) -> Expr {
        agg(AggFunc::Sum, e, false)
    }
    /// `avg(e)`
    pub fn avg(e: Expr) -> Expr {
        agg(AggFunc::Avg, e, false)
    }
    /// `min(e)`
    pub fn min(e: Expr) -> Expr {
        agg(AggFunc::Min, e, false)
    }
    /// `max(e)`
    pub fn max(e: Expr) -> Expr {
        agg(AggFunc::Max, e, false)
    }
    /// `count(e)`
    pub fn count(e: Expr) -> Expr {
        agg(AggFunc::Count, e, false)
    }
    /// `count(DISTINCT e)`
    pub fn count_distinct(e: Expr) -> Expr {
        agg(AggFunc::Count, e, true)
    }
    /// `count(*)`
    pub fn count_star() -> Expr {
        Expr::Aggregate {
            func: AggFunc::Count,
            args: vec![],
            distinct: false,
        }
    }
    /// A scalar function call by name, e.g. `call("substring", vec![col("s"), lit(1), lit(2)])`.
    pub fn call(name: &str, args: Vec<Expr>) -> Expr {
        Expr::Function {
            name: name.to_lowercase(),
            args,
        }
    }
}

/// The batches of a running query, in order (from [`DataFrame::execute_stream`]); an
/// error ends the stream.
pub struct BatchStream {
    rx: Option<std::sync::mpsc::Receiver<Result<RecordBatch>>>,
    cancel: CancelToken,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl BatchStream {
    /// Stops the query: the stream ends with a "query cancelled" error.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }
}

impl Iterator for BatchStream {
    type Item = Result<RecordBatch>;
    fn next(&mut self) -> Option<Result<RecordBatch>> {
        self.rx.as_ref()?.recv().ok()
    }
}

impl Drop for BatchStream {
    fn drop(&mut self) {
        self.cancel
            .cancel_because("its results were no longer read");
        // The query thread's next send fails, and it returns.
        self.rx = None;
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// A lazily evaluated relation.
#[derive(Clone)]
pub struct DataFrame {
    session: SessionContext,
    plan: Arc<LogicalPlan>,
    /// A statement's own output (SHOW, EXPLAIN, a count of rows written): computed
    /// by Ember even in remote mode.
    runs_here: bool,
}

impl std::fmt::Debug for DataFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataFrame")
            .field("plan", &self.plan.to_string())
            .finish()
    }
}

/// A DataFrame grouped by some expressions, waiting for its aggregates.
pub struct GroupedData {
    df: DataFrame,
    group_by: Vec<Expr>,
}

impl GroupedData {
    /// Computes `aggregates` per group.
    pub fn agg(self, aggregates: Vec<Expr>) -> Result<DataFrame> {
        self.df.aggregate(self.group_by, aggregates)
    }
}

impl DataFrame {
    /// A DataFrame over a logical plan.
    pub fn new(session: SessionContext, plan: LogicalPlan) -> Self {
        DataFrame {
            session,
            plan: Arc::new(plan),
            runs_here: false,
        }
    }

    fn with(&self, b: LogicalPlanBuilder) -> DataFrame {
        DataFrame {
            session: self.session.clone(),
            plan: b.build_arc(),
            runs_here: false,
        }
    }

    fn builder(&self) -> LogicalPlanBuilder {
        LogicalPlanBuilder::from_arc(self.plan.clone())
    }

    /// The session the DataFrame belongs to.
    pub fn session(&self) -> &SessionContext {
        &self.session
    }

    /// The logical plan as built.
    pub fn logical_plan(&self) -> &LogicalPlan {
        &self.plan
    }

    /// The output columns.
    pub fn schema(&self) -> SchemaRef {
        Arc::new(self.plan.schema().to_arrow())
    }

    /// `exprs` with the columns the user named resolved against `schema`.
    fn resolve(exprs: Vec<Expr>, schema: &PlanSchema) -> Result<Vec<Expr>> {
        Ok(exprs
            .into_iter()
            .map(|e| resolve_user_columns(e, schema))
            .collect::<std::result::Result<Vec<_>, _>>()?)
    }

    /// Rows where `predicate` is true.
    pub fn filter(&self, predicate: Expr) -> Result<DataFrame> {
        let predicate = resolve_user_columns(predicate, &self.plan.schema())?;
        Ok(self.with(self.builder().filter(predicate)?))
    }

    /// One column per expression.
    pub fn select(&self, exprs: Vec<Expr>) -> Result<DataFrame> {
        let exprs = Self::resolve(exprs, &self.plan.schema())?;
        Ok(self.with(self.builder().project(exprs)?))
    }

    /// The named columns.
    pub fn select_columns(&self, names: &[&str]) -> Result<DataFrame> {
        self.select(names.iter().map(|n| functions::col(n)).collect())
    }

    /// Every column, plus `expr` as `name` (replacing a column of that name).
    pub fn with_column(&self, name: &str, expr: Expr) -> Result<DataFrame> {
        let schema = self.plan.schema();
        let mut exprs: Vec<Expr> = Vec::new();
        let mut replaced = false;
        for f in &schema.fields {
            if f.user_name().eq_ignore_ascii_case(name) {
                exprs.push(expr.clone().alias(name));
                replaced = true;
            } else {
                exprs.push(field_column(f));
            }
        }
        if !replaced {
            exprs.push(expr.alias(name));
        }
        self.select(exprs)
    }

    /// Groups by `group_by`; finish with [`GroupedData::agg`].
    pub fn group_by(&self, group_by: Vec<Expr>) -> GroupedData {
        GroupedData {
            df: self.clone(),
            group_by,
        }
    }

    /// Groups by `group_by` and computes `aggregates`.
    pub fn aggregate(&self, group_by: Vec<Expr>, aggregates: Vec<Expr>) -> Result<DataFrame> {
        let schema = self.plan.schema();
        let group_by = Self::resolve(group_by, &schema)?;
        let aggregates = Self::resolve(aggregates, &schema)?;
        Ok(self.with(self.builder().aggregate(group_by, aggregates)?))
    }

    /// Joins on equal columns: `left_cols[i] = right_cols[i]`.
    pub fn join(
        &self,
        right: &DataFrame,
        kind: JoinKind,
        left_cols: &[&str],
        right_cols: &[&str],
    ) -> Result<DataFrame> {
        let (ls, rs) = (self.plan.schema(), right.plan.schema());
        let on = left_cols
            .iter()
            .zip(right_cols)
            .map(|(l, r)| {
                Ok((
                    resolve_user_columns(functions::col(l), &ls)?,
                    resolve_user_columns(functions::col(r), &rs)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(self.with(self.builder().join_on(right.plan.clone(), kind, on, None)?))
    }

    /// Joins on an arbitrary condition (equalities in it become hash-join keys).
    pub fn join_on(&self, right: &DataFrame, kind: JoinKind, condition: Expr) -> Result<DataFrame> {
        let both = self.plan.schema().join(&right.plan.schema());
        let condition = resolve_user_columns(condition, &both)?;
        Ok(self.with(
            self.builder()
                .join_on(right.plan.clone(), kind, vec![], Some(condition))?,
        ))
    }

    /// Orders rows.
    pub fn order_by(&self, keys: Vec<SortExpr>) -> Result<DataFrame> {
        let schema = self.plan.schema();
        let keys = keys
            .into_iter()
            .map(|k| {
                Ok(SortExpr {
                    expr: resolve_user_columns(k.expr, &schema)?,
                    ..k
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(self.with(self.builder().sort(keys)?))
    }

    /// Skips `skip` rows, then keeps at most `fetch`.
    pub fn limit(&self, skip: usize, fetch: Option<usize>) -> Result<DataFrame> {
        Ok(self.with(self.builder().limit(skip, fetch)?))
    }

    /// Removes duplicate rows.
    pub fn distinct(&self) -> Result<DataFrame> {
        Ok(self.with(self.builder().distinct()?))
    }

    /// Every row of both (UNION ALL).
    pub fn union(&self, other: &DataFrame) -> Result<DataFrame> {
        Ok(self.with(self.builder().union(other.plan.clone())?))
    }

    /// Requalifies every column as `alias.column` (for self-joins).
    pub fn alias(&self, alias: &str) -> Result<DataFrame> {
        Ok(self.with(self.builder().alias(alias)?))
    }

    /// Every stage's plan of this query — analyzed, decorrelated, optimized and
    /// physical, with the optimizer's rule trace and the physical estimates — from one
    /// run of the planner pipeline under the session's settings.
    /// Runs on a thread with a stack for expressions as deep as the settings allow.
    pub fn planned_query(&self) -> Result<PlannedQuery> {
        let config = self.session.config();
        let settings = PipelineSettings {
            optimizer: config.optimizer(),
            physical: PhysicalPlannerConfig {
                target_partitions: config.target_partitions,
                broadcast_threshold_rows: config.broadcast_threshold_rows,
                cost_based: config.cost_based,
            },
        };
        self.session
            .with_deep_stack(|| Ok(plan_query(self.plan.clone(), &settings)?))
    }

    /// The plan after type coercion and optimization.
    pub fn optimized_plan(&self) -> Result<Arc<LogicalPlan>> {
        Ok(self.planned_query()?.optimized)
    }

    /// The physical plan that would run.
    pub fn physical_plan(&self) -> Result<Arc<PhysicalPlan>> {
        Ok(self.planned_query()?.physical)
    }

    pub(crate) fn exec_context(&self) -> ExecContext {
        let config = self.session.config();
        let rdd = self.session.rdd_context().clone();
        let memory = QueryMemory::new(
            rdd.memory_pool().clone(),
            std::path::Path::new(&config.spill_dir),
            config.spill_max_bytes.bytes(),
        );
        ExecContext {
            rdd,
            batch_size: config.batch_size,
            metrics: None,
            max_recursion_iterations: config.max_recursion_iterations,
            work_tables: Default::default(),
            memory,
        }
    }

    /// The query as an RDD of Arrow batches: nothing runs until an action, which runs
    /// the whole query (broadcast sides and recursive rounds included) as one job.
    pub fn rdd(&self) -> Result<Rdd<RecordBatch>> {
        self.session
            .with_deep_stack(|| exec::lower(&self.physical_plan()?, &self.exec_context()))
    }

    /// Marks the result for caching at the session's storage level
    /// (`ember.cache.storage_level`): the first action computes and stores it, later
    /// ones read the stored partitions (recomputing any that were evicted or lost).
    pub fn cache(&self) -> Result<DataFrame> {
        let level = match self.session.config().cache_storage_level.as_str() {
            "memory_only" => StorageLevel::MemoryOnly,
            _ => StorageLevel::MemoryAndDisk,
        };
        self.persist(level)
    }

    /// As [`DataFrame::cache`], at an explicit storage level.
    pub fn persist(&self, level: StorageLevel) -> Result<DataFrame> {
        let cached = self.cached_table_at("cached", level)?;
        let plan = LogicalPlanBuilder::scan("cached", Arc::new(cached))?.build();
        // Keep the column qualifiers the original plan had.
        let schema = self.plan.schema();
        let exprs = schema
            .fields
            .iter()
            .map(|f| functions::col(&f.name).alias(&f.name))
            .collect();
        let df = DataFrame::new(self.session.clone(), plan).select(exprs)?;
        Ok(df)
    }

    /// Frees what [`DataFrame::cache`] or [`DataFrame::persist`] stored, in memory and
    /// on disk; a later action computes the rows again. A DataFrame that was not
    /// cached is left as it is.
    pub fn unpersist(&self) {
        exec::cache::unpersist_plan(&self.plan);
    }

    pub(crate) fn cached_table(&self, name: &str) -> Result<CachedTable> {
        let level = match self.session.config().cache_storage_level.as_str() {
            "memory_only" => StorageLevel::MemoryOnly,
            _ => StorageLevel::MemoryAndDisk,
        };
        self.cached_table_at(name, level)
    }

    fn cached_table_at(&self, name: &str, level: StorageLevel) -> Result<CachedTable> {
        let planned = self.planned_query()?;
        let rdd = exec::lower(&planned.physical, &self.exec_context())?;
        let estimate = ember_planner::optimizer::cost::estimate_plan(planned.optimized.as_ref());
        let statistics = Statistics {
            row_count: Some(estimate.rows as usize),
            source: estimate.source,
            ..Statistics::default()
        };
        Ok(CachedTable::new(
            name,
            self.schema(),
            &rdd,
            level,
            statistics,
        ))
    }

    /// This DataFrame, marked as a statement's own output that Ember computes even
    /// in remote mode.
    pub(crate) fn here(mut self) -> Self {
        self.runs_here = true;
        self
    }

    /// The Spark Connect server the query runs on, in remote mode
    /// (`ember.execution.remote`).
    pub fn remote_url(&self) -> Option<String> {
        if self.runs_here {
            return None;
        }
        self.session.config().remote
    }

    /// Runs the query on the Spark Connect server at `url`: Ember's optimized plan,
    /// translated, is sent; the rows come back with this DataFrame's schema.
    fn collect_remote(&self, url: &str) -> Result<Vec<RecordBatch>> {
        self.session.statement_scope(|| {
            self.session.with_deep_stack(|| {
                crate::remote::execute(url, self.optimized_plan()?.as_ref(), &self.schema())
            })
        })
    }

    /// Writes the rows to `path` on the Spark Connect server at `url`: the optimized
    /// plan, translated, goes out as one WriteOperation.
    pub(crate) fn write_remote(
        &self,
        url: &str,
        path: &str,
        options: &crate::write::WriteOptions,
    ) -> Result<crate::write::WriteSummary> {
        self.session.statement_scope(|| {
            self.session.with_deep_stack(|| {
                crate::remote::write(url, self.optimized_plan()?.as_ref(), path, options)
            })
        })
    }

    /// The Spark Connect plan remote mode would send, as text.
    pub fn remote_plan_text(&self) -> Result<String> {
        self.session
            .with_deep_stack(|| crate::remote::explain(self.optimized_plan()?.as_ref()))
    }

    /// Runs the query and returns every batch.
    pub fn collect(&self) -> Result<Vec<RecordBatch>> {
        if let Some(url) = self.remote_url() {
            return self.collect_remote(&url);
        }
        self.session.statement_scope(|| {
            self.session
                .with_deep_stack(|| exec::execute(&self.physical_plan()?, &self.exec_context()))
        })
    }

    /// Runs the query and hands its batches to `f` in order, on the calling thread, as
    /// they are computed: only the partitions being computed and a few finished ones
    /// wait in memory, whatever the size of the result. `f` returning `Ok(false)` stops
    /// the query (its running tasks are cancelled); an error from `f` stops it and is
    /// returned.
    pub fn for_each_batch(&self, mut f: impl FnMut(RecordBatch) -> Result<bool>) -> Result<()> {
        if let Some(url) = self.remote_url() {
            for batch in self.collect_remote(&url)? {
                if !f(batch)? {
                    break;
                }
            }
            return Ok(());
        }
        self.session.statement_scope(|| {
            let rdd = self.rdd()?;
            // Two results per worker thread ahead of the reader keeps the pool busy.
            let window = 2 * self.session.config().threads.max(1);
            let mut failure = None;
            let ran = rdd.context().run_job_ordered(
                &rdd,
                window,
                |_, items| items.collect::<crate::rdd::error::Result<Vec<_>>>(),
                |batches| {
                    for batch in batches.into_iter().filter(|b| b.num_rows() > 0) {
                        match f(batch) {
                            Ok(true) => {}
                            Ok(false) => return Ok(false),
                            Err(e) => {
                                failure = Some(e);
                                return Ok(false);
                            }
                        }
                    }
                    Ok(true)
                },
            );
            match failure {
                Some(e) => Err(e),
                None => Ok(ran?),
            }
        })
    }

    /// Runs the query on a thread of its own and returns its batches as an iterator,
    /// in order, as they are computed (see [`DataFrame::for_each_batch`]). Dropping the
    /// stream, or [`BatchStream::cancel`], stops the query.
    pub fn execute_stream(&self) -> BatchStream {
        let cancel = CancelToken::under_current(None);
        let (tx, rx) = std::sync::mpsc::sync_channel(2);
        let df = self.clone();
        let token = cancel.clone();
        let handle = std::thread::Builder::new()
            .name("ember-stream".into())
            .spawn(move || {
                let ran = token.scope(|| df.for_each_batch(|b| Ok(tx.send(Ok(b)).is_ok())));
                if let Err(e) = ran {
                    let _ = tx.send(Err(e));
                }
            });
        match handle {
            Ok(handle) => BatchStream {
                rx: Some(rx),
                cancel,
                handle: Some(handle),
            },
            Err(e) => {
                let (tx, rx) = std::sync::mpsc::sync_channel(1);
                let _ = tx.send(Err(EmberError::internal(format!(
                    "cannot start a thread for the query: {e}"
                ))));
                BatchStream {
                    rx: Some(rx),
                    cancel,
                    handle: None,
                }
            }
        }
    }

    /// Runs the query and counts its rows.
    pub fn count(&self) -> Result<usize> {
        Ok(self.collect()?.iter().map(|b| b.num_rows()).sum())
    }

    /// Runs the query and renders it as a text table.
    pub fn to_table_string(&self) -> Result<String> {
        let batches = self.collect()?;
        let mut out = Vec::new();
        write_batches(&mut out, &self.schema(), &batches, OutputFormat::Table)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// Runs the query and prints it as a table on stdout.
    pub fn show(&self) -> Result<()> {
        print!("{}", self.to_table_string()?);
        Ok(())
    }

    /// EXPLAIN text: the logical, optimized and physical plans.
    pub fn explain(&self, verbose: bool) -> Result<String> {
        self.explain_text(verbose, false)
    }

    /// Runs the query and returns every physical operator's estimated and actual
    /// output rows, in pre-order (what EXPLAIN ANALYZE shows, as data).
    pub fn analyze_rows(&self) -> Result<Vec<crate::explain::OperatorRows>> {
        self.session.with_deep_stack(|| {
            crate::explain::analyze_rows(self.planned_query()?, self.exec_context())
        })
    }

    /// Runs the query and returns the HTML report of its run (see [`crate::report`]).
    pub fn html_report(&self) -> Result<String> {
        self.html_report_of(None)
    }

    /// As [`DataFrame::html_report`], showing `sql` as the query's text.
    pub(crate) fn html_report_of(&self, sql: Option<&str>) -> Result<String> {
        self.session.with_deep_stack(|| {
            crate::explain::html_report(self.planned_query()?, self.exec_context(), sql)
        })
    }

    pub(crate) fn explain_text(&self, verbose: bool, analyze: bool) -> Result<String> {
        self.session.with_deep_stack(|| {
            crate::explain::explain(
                &self.plan,
                self.planned_query()?,
                self.exec_context(),
                verbose,
                analyze,
            )
        })
    }
}
