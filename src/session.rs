//! The session: a catalog of tables and views, the configuration, and the RDD
//! context whose scheduler runs every query. SQL text goes in; DataFrames come out.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use ember_planner::catalog::{Catalog, CatalogEntry, Elsewhere, TableSource};
use ember_planner::sql::{ExplainFormat, FileFormat, SqlPlanner, Statement};
use ember_planner::types::sql_type_name;
use ember_planner::{LogicalPlan, LogicalPlanBuilder, PlanError};

use crate::context::Entry;
pub use crate::context::SessionContext;
use crate::dataframe::DataFrame;
use crate::error::{EmberError, Result};
use crate::rdd::CancelToken;
use crate::sources::external::ExternalTable;
use crate::sources::{self, CsvOptions, DataSource, MemTable, Table};

/// The eight TPC-H tables at scale factor `sf` as the planner sees them, split into
/// `partitions` parts, ready to register in one session or several (see
/// [`SessionContext::register_tpch`]); a generation into files stops when the statement
/// that started it is cancelled.
pub fn tpch_tables(sf: f64, partitions: usize) -> Result<Vec<(String, Arc<dyn TableSource>)>> {
    let interrupt: sources::tpch::Interrupt = Arc::new(|| match CancelToken::current() {
        Some(token) => Ok(token.check()?),
        None => Ok(()),
    });
    Ok(sources::tpch::tpch_tables(sf, partitions, interrupt)?
        .into_iter()
        .map(|(name, table)| (name, Arc::new(Table(table)) as Arc<dyn TableSource>))
        .collect())
}

impl SessionContext {
    /// Caches the rows of table or view `name` (computed now), as `CACHE TABLE` does;
    /// returns the number of rows cached.
    pub fn cache_table(&self, name: &str) -> Result<usize> {
        let key = name.to_lowercase();
        let original = self
            .state
            .tables
            .read()
            .map_err(|_| EmberError::internal("catalog lock poisoned"))?
            .get(&key)
            .cloned();
        let Some(original) = original else {
            return Err(table_not_found(name, &self.table_names()));
        };
        let original = match original {
            Entry::Cached { cached, original } => {
                cached.unpersist();
                *original
            }
            e => e,
        };
        let df = self.table(name)?;
        let cached = Arc::new(df.cached_table(&key)?);
        let rows = cached.materialize()?;
        self.write_tables()?.insert(
            key,
            Entry::Cached {
                cached,
                original: Box::new(original),
            },
        );
        Ok(rows)
    }

    /// Drops the cached rows of `name`, as `UNCACHE TABLE` does.
    pub fn uncache_table(&self, name: &str) -> Result<()> {
        let key = name.to_lowercase();
        let mut tables = self.write_tables()?;
        match tables.remove(&key) {
            Some(Entry::Cached { cached, original }) => {
                cached.unpersist();
                tables.insert(key, *original);
                Ok(())
            }
            Some(other) => {
                tables.insert(key, other);
                Err(EmberError::Execution(format!(
                    "table '{name}' is not cached"
                )))
            }
            None => Err(table_not_found(name, tables.keys())),
        }
    }

    /// Plans one SQL statement. Statements with effects (CREATE, SET, ...) run now and
    /// return an empty DataFrame; queries run when the DataFrame is collected.
    /// Expressions may nest `ember.sql.max_expression_depth` deep; planning runs on a
    /// thread with a stack for that (see [`crate::stack`]).
    pub fn sql(&self, sql: &str) -> Result<DataFrame> {
        let max_depth = self.config().max_expression_depth;
        self.statement_scope(|| {
            crate::stack::with_stack_for_depth(max_depth, || {
                let stmt = {
                    let catalog = SessionCatalog::new(self);
                    SqlPlanner::new(&catalog)
                        .with_max_expression_depth(max_depth)
                        .plan_statement(sql)?
                };
                self.execute_statement(stmt)
            })
        })
    }

    /// Runs one query and returns the HTML report of its run (see [`crate::report`]):
    /// the stage graph, a timeline of task attempts per worker thread, and the operator
    /// tree with actual beside estimated rows. `sql` is a query, or `EXPLAIN ANALYZE
    /// (FORMAT HTML) query`. The document is self-contained (inline CSS, SVG and
    /// script; it fetches nothing): write it to a `.html` file and open it in a
    /// browser.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let ctx = ember::SessionContext::new();
    /// ctx.register_tpch(0.01)?;
    /// let html = ctx.html_report("SELECT n_name FROM nation WHERE n_regionkey = 1")?;
    /// std::fs::write("report.html", html)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn html_report(&self, sql: &str) -> Result<String> {
        let max_depth = self.config().max_expression_depth;
        let plan = crate::stack::with_stack_for_depth(max_depth, || {
            let catalog = SessionCatalog::new(self);
            let statement = SqlPlanner::new(&catalog)
                .with_max_expression_depth(max_depth)
                .plan_statement(sql)?;
            match statement {
                Statement::Query(plan) | Statement::Explain { plan, .. } => Ok(plan),
                _ => Err(PlanError::plan("a report runs a query: give a SELECT").into()),
            }
        })?;
        DataFrame::new(self.clone(), plan).html_report_of(Some(sql))
    }

    fn execute_statement(&self, stmt: Statement) -> Result<DataFrame> {
        match stmt {
            Statement::Query(plan) => Ok(DataFrame::new(self.clone(), plan)),
            Statement::CreateExternalTable {
                name,
                location,
                format,
                options,
                if_not_exists,
                or_replace,
            } => {
                if self.has_table(&name) && !or_replace {
                    if if_not_exists {
                        return Ok(self.empty());
                    }
                    return Err(PlanError::plan(format!("table '{name}' already exists")).into());
                }
                let csv = csv_options(&options)?;
                let (format_name, open): (&str, sources::external::Opener) = match format {
                    FileFormat::Parquet => {
                        let location = location.clone();
                        (
                            "parquet",
                            Arc::new(move || sources::open_parquet(&location)),
                        )
                    }
                    FileFormat::Csv => {
                        let location = location.clone();
                        (
                            "csv",
                            Arc::new(move || sources::open_csv(&location, csv.clone())),
                        )
                    }
                };
                let table = ExternalTable::try_new(&location, format_name, options, open)?;
                self.put_entry(&name, Entry::External(Arc::new(table)))?;
                Ok(self.empty())
            }
            Statement::CreateView {
                name,
                plan,
                or_replace,
            } => {
                if self.has_table(&name) && !or_replace {
                    return Err(PlanError::plan(format!("'{name}' already exists")).into());
                }
                self.write_tables()?
                    .insert(name.to_lowercase(), Entry::View(plan));
                Ok(self.empty())
            }
            Statement::DropTable { name, if_exists } => {
                self.drop_table(&name, if_exists)?;
                Ok(self.empty())
            }
            Statement::DropView { name, if_exists } => {
                let removed = self.write_tables()?.remove(&name.to_lowercase());
                if removed.is_none() && !if_exists {
                    return Err(table_not_found(&name, &self.table_names()));
                }
                Ok(self.empty())
            }
            Statement::Set { key, value } => {
                self.set(&key, &value)?;
                Ok(self.empty())
            }
            Statement::Reset { key } => {
                self.reset(key.as_deref())?;
                Ok(self.empty())
            }
            Statement::ShowTables => {
                let names = self.table_names();
                self.text_frame(
                    &["table_name"],
                    names.into_iter().map(|n| vec![n]).collect(),
                )
            }
            Statement::ShowColumns { table } => self.describe(&self.table_schema(&table)?),
            Statement::DescribeQuery { plan } => {
                self.describe(&DataFrame::new(self.clone(), plan).schema())
            }
            Statement::ShowAll => {
                let rows = self
                    .config()
                    .entries()
                    .into_iter()
                    .map(|(k, v, d)| vec![k, v, d])
                    .collect();
                self.text_frame(&["name", "value", "description"], rows)
            }
            Statement::Explain {
                plan,
                analyze,
                verbose,
                format,
            } => {
                let df = DataFrame::new(self.clone(), plan);
                if let Some(url) = df.remote_url() {
                    return self.remote_explain(&df, &url, analyze);
                }
                if format == ExplainFormat::Html {
                    let html = df.html_report_of(None)?;
                    return self.text_frame(&["report"], vec![vec![html]]);
                }
                let text = df.explain_text(verbose, analyze)?;
                self.text_frame(
                    &["plan"],
                    text.lines().map(|l| vec![l.to_string()]).collect(),
                )
            }
            Statement::CacheTable { name } => {
                self.cache_table(&name)?;
                Ok(self.empty())
            }
            Statement::UncacheTable { name } => {
                self.uncache_table(&name)?;
                Ok(self.empty())
            }
            Statement::CreateTable {
                name,
                definition,
                if_not_exists,
                or_replace,
            } => {
                self.create_table(&name, definition, if_not_exists, or_replace)?;
                Ok(self.empty())
            }
            Statement::CreateTableAs {
                name,
                plan,
                if_not_exists,
                or_replace,
            } => {
                self.create_table_as(&name, plan, if_not_exists, or_replace)?;
                Ok(self.empty())
            }
            Statement::Insert {
                table,
                source,
                columns,
                overwrite,
            } => {
                let n = self.insert(&table, source, &columns, overwrite)?;
                self.count_frame(n)
            }
            Statement::Update { table, rows } => {
                let n = self.update(&table, rows)?;
                self.count_frame(n)
            }
            Statement::Delete { table, keep } => {
                let n = self.delete(&table, keep)?;
                self.count_frame(n)
            }
            Statement::Truncate { table, if_exists } => {
                self.truncate(&table, if_exists)?;
                Ok(self.empty())
            }
            Statement::AlterTable {
                table,
                if_exists,
                op,
            } => {
                self.alter_table(&table, if_exists, op)?;
                Ok(self.empty())
            }
            Statement::CreateIndex {
                name,
                table,
                columns,
                unique,
                if_not_exists,
            } => {
                let notice = self.create_index(name, &table, &columns, unique, if_not_exists)?;
                self.text_frame(&["notice"], vec![vec![notice]])
            }
            Statement::DropIndex { name, if_exists } => {
                self.drop_index(&name, if_exists)?;
                Ok(self.empty())
            }
            Statement::CopyTo {
                plan,
                path,
                options,
            } => {
                let n = self.copy_to(plan, &path, &options)?;
                self.count_frame(n)
            }
            Statement::CopyFrom {
                table,
                path,
                options,
            } => {
                let n = self.copy_from(&table, &path, &options)?;
                self.count_frame(n)
            }
        }
    }

    /// EXPLAIN in remote mode: Ember's optimized plan, then the Spark Connect plan
    /// that would be sent to `url`.
    fn remote_explain(&self, df: &DataFrame, url: &str, analyze: bool) -> Result<DataFrame> {
        if analyze {
            return Err(EmberError::Unsupported(
                "EXPLAIN ANALYZE in remote mode (the query runs on the Spark cluster)".into(),
            ));
        }
        let optimized = df.optimized_plan()?;
        let server = crate::remote::RemoteUrl::parse(url)?;
        let text = format!(
            "== Optimized Logical Plan ==\n{}== Spark Connect Plan (for {server}) ==\n{}",
            optimized.display_indent(),
            df.remote_plan_text()?
        );
        self.text_frame(
            &["plan"],
            text.lines().map(|l| vec![l.to_string()]).collect(),
        )
    }

    /// A one-row result `count` (BIGINT): rows a statement wrote.
    fn count_frame(&self, n: usize) -> Result<DataFrame> {
        let schema = Arc::new(Schema::new(vec![Field::new(
            "count",
            DataType::Int64,
            false,
        )]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(arrow::array::Int64Array::from(vec![n as i64]))],
        )?;
        let source: Arc<dyn TableSource> = Arc::new(Table(Arc::new(MemTable::try_new(
            schema,
            vec![vec![batch]],
        )?)));
        Ok(self.scan_frame("result", source)?.here())
    }

    /// Whether the catalog holds a table or view called `name` (any case).
    pub(crate) fn has_entry(&self, name: &str) -> bool {
        self.has_table(name)
    }

    /// Puts `entry` under `name`, replacing what was there.
    pub(crate) fn put_entry(&self, name: &str, entry: Entry) -> Result<()> {
        let old = self.write_tables()?.insert(name.to_lowercase(), entry);
        if let Some(Entry::Cached { cached, .. }) = old {
            cached.unpersist();
        }
        Ok(())
    }

    /// Removes `name` from the catalog.
    pub(crate) fn remove_entry(&self, name: &str) -> Result<()> {
        let old = self.write_tables()?.remove(&name.to_lowercase());
        if let Some(Entry::Cached { cached, .. }) = old {
            cached.unpersist();
        }
        Ok(())
    }

    /// `ALTER TABLE old RENAME TO new`.
    pub(crate) fn rename_entry(&self, old: &str, new: &str) -> Result<()> {
        let mut tables = self.write_tables()?;
        if tables.contains_key(&new.to_lowercase()) {
            return Err(PlanError::plan(format!("table '{new}' already exists")).into());
        }
        let Some(entry) = tables.remove(&old.to_lowercase()) else {
            let names: Vec<String> = tables.keys().cloned().collect();
            return Err(PlanError::not_found(
                "table",
                old,
                names.iter().map(String::as_str),
                Default::default(),
            )
            .into());
        };
        tables.insert(new.to_lowercase(), entry);
        drop(tables);
        if let Ok(mut indexes) = self.state.indexes.lock() {
            for (table, _) in indexes.values_mut() {
                if table.eq_ignore_ascii_case(old) {
                    *table = new.to_lowercase();
                }
            }
        }
        Ok(())
    }

    /// The data source behind table `name`, as an address to compare scans with.
    pub(crate) fn entry_source(&self, name: &str) -> Option<*const ()> {
        let tables = self.state.tables.read().ok()?;
        let entry = match tables.get(&name.to_lowercase())? {
            Entry::Cached { original, .. } => original.as_ref(),
            e => e,
        };
        match entry {
            Entry::Managed(m) => Some(Arc::as_ptr(m) as *const ()),
            Entry::External(e) => Some(Arc::as_ptr(e) as *const ()),
            Entry::Table(t) => t
                .as_any()
                .downcast_ref::<Table>()
                .map(|t| Arc::as_ptr(&t.0) as *const ()),
            Entry::View(_) | Entry::Cached { .. } => None,
        }
    }

    /// The views whose plans scan the source at `source`.
    pub(crate) fn views_reading(&self, source: &*const ()) -> Vec<String> {
        let Ok(tables) = self.state.tables.read() else {
            return Vec::new();
        };
        tables
            .iter()
            .filter_map(|(name, e)| match e {
                Entry::View(plan) if reads_source(plan, *source) => Some(name.clone()),
                Entry::Cached { original, .. } => match original.as_ref() {
                    Entry::View(plan) if reads_source(plan, *source) => Some(name.clone()),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }

    /// Table `name` as something statements may write to (a cached table is uncached
    /// first, so no reader keeps the old rows).
    pub(crate) fn writable(&self, name: &str) -> Result<crate::dml::Writable> {
        let entry = self
            .state
            .tables
            .read()
            .map_err(|_| EmberError::internal("catalog lock poisoned"))?
            .get(&name.to_lowercase())
            .cloned();
        match entry {
            Some(Entry::Cached { .. }) => {
                self.uncache_table(name)?;
                self.writable(name)
            }
            Some(Entry::Managed(m)) => Ok(crate::dml::Writable::Managed(m)),
            Some(Entry::External(e)) => Ok(crate::dml::Writable::Files(e)),
            Some(Entry::View(_)) => Err(PlanError::plan(format!(
                "'{name}' is a view; only tables can be written to"
            ))
            .into()),
            Some(Entry::Table(_)) => Err(EmberError::execution(format!(
                "table '{name}' is read-only (a registered source); \
                 CREATE TABLE copy AS SELECT * FROM {name} makes a writable copy"
            ))),
            None => {
                let names = self.table_names();
                Err(PlanError::not_found(
                    "table",
                    name,
                    names.iter().map(String::as_str),
                    Default::default(),
                )
                .into())
            }
        }
    }

    /// The session's index registry.
    pub(crate) fn indexes(&self) -> Result<std::sync::MutexGuard<'_, crate::context::Indexes>> {
        self.state
            .indexes
            .lock()
            .map_err(|_| EmberError::internal("index registry lock poisoned"))
    }

    /// Registers any table source under `name` (replacing an existing one).
    pub fn register_table(&self, name: &str, table: Arc<dyn TableSource>) -> Result<()> {
        self.write_tables()?
            .insert(name.to_lowercase(), Entry::Table(table));
        Ok(())
    }

    /// Registers a Parquet file or directory as table `name`.
    pub fn register_parquet(&self, name: &str, path: &str) -> Result<()> {
        self.register_table(name, Arc::new(Table(sources::open_parquet(path)?)))
    }

    /// Registers a CSV file or directory as table `name`.
    pub fn register_csv(&self, name: &str, path: &str, options: CsvOptions) -> Result<()> {
        self.register_table(name, Arc::new(Table(sources::open_csv(path, options)?)))
    }

    /// Registers record batches as an in-memory table with one partition per inner vector.
    pub fn register_batches(
        &self,
        name: &str,
        schema: SchemaRef,
        partitions: Vec<Vec<RecordBatch>>,
    ) -> Result<()> {
        self.register_table(
            name,
            Arc::new(Table(Arc::new(MemTable::try_new(schema, partitions)?))),
        )
    }

    /// Registers the eight TPC-H tables at scale factor `sf`: generated in memory now
    /// when small (up to about scale factor 0.4), else each generated into a temporary
    /// Parquet file when a query first needs it (a cancelled statement stops it).
    pub fn register_tpch(&self, sf: f64) -> Result<()> {
        let parts = self.config().target_partitions.max(1);
        for (name, table) in tpch_tables(sf, parts)? {
            self.register_table(&name, table)?;
        }
        Ok(())
    }

    /// A DataFrame reading a Parquet file or directory.
    pub fn read_parquet(&self, path: &str) -> Result<DataFrame> {
        let source: Arc<dyn TableSource> = Arc::new(Table(sources::open_parquet(path)?));
        self.scan_frame(&file_stem(path), source)
    }

    /// A DataFrame reading a CSV file or directory.
    pub fn read_csv(&self, path: &str, options: CsvOptions) -> Result<DataFrame> {
        let source: Arc<dyn TableSource> = Arc::new(Table(sources::open_csv(path, options)?));
        self.scan_frame(&file_stem(path), source)
    }

    /// A DataFrame over a registered table or view; in remote mode also over a table
    /// of the cluster's catalog (`db.t` names a table of database `db` there).
    pub fn table(&self, name: &str) -> Result<DataFrame> {
        let catalog = SessionCatalog::new(self);
        match catalog.table(name) {
            Some(CatalogEntry::Table(t)) => self.scan_frame(&name.to_lowercase(), t),
            Some(CatalogEntry::View(plan)) => Ok(DataFrame::new(
                self.clone(),
                LogicalPlanBuilder::from(*plan)
                    .alias(&name.to_lowercase())?
                    .build(),
            )),
            None => {
                let parts: Vec<String> = name.split('.').map(str::to_string).collect();
                match catalog.table_elsewhere(&parts)? {
                    Elsewhere::Found(t) => {
                        let last = parts.last().map_or(name, String::as_str);
                        self.scan_frame(&last.to_lowercase(), t)
                    }
                    Elsewhere::NotLooked => Err(table_not_found(name, &self.table_names())),
                    Elsewhere::Absent { searched } => {
                        let known = self.table_names();
                        Err(PlanError::not_found(
                            "table",
                            name,
                            known.iter().map(String::as_str),
                            Default::default(),
                        )
                        .searched_also(searched)
                        .into())
                    }
                }
            }
        }
    }

    /// The schema of a registered table or view.
    pub fn table_schema(&self, name: &str) -> Result<SchemaRef> {
        Ok(self.table(name)?.schema())
    }

    /// Names of every table and view.
    pub fn table_names(&self) -> Vec<String> {
        self.state
            .tables
            .read()
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// `DESCRIBE`: one row per column with its name, SQL type and nullability.
    fn describe(&self, schema: &SchemaRef) -> Result<DataFrame> {
        let rows = schema
            .fields()
            .iter()
            .map(|f| {
                vec![
                    f.name().clone(),
                    sql_type_name(f.data_type()),
                    f.is_nullable().to_string(),
                ]
            })
            .collect();
        self.text_frame(&["column_name", "data_type", "nullable"], rows)
    }

    fn has_table(&self, name: &str) -> bool {
        self.state
            .tables
            .read()
            .is_ok_and(|t| t.contains_key(&name.to_lowercase()))
    }

    fn write_tables(&self) -> Result<std::sync::RwLockWriteGuard<'_, BTreeMap<String, Entry>>> {
        self.state
            .tables
            .write()
            .map_err(|_| EmberError::internal("catalog lock poisoned"))
    }

    fn scan_frame(&self, name: &str, source: Arc<dyn TableSource>) -> Result<DataFrame> {
        Ok(DataFrame::new(
            self.clone(),
            LogicalPlanBuilder::scan(name, source)?.build(),
        ))
    }

    fn empty(&self) -> DataFrame {
        DataFrame::new(self.clone(), LogicalPlanBuilder::empty(false).build()).here()
    }

    /// A small result of text columns (SHOW, EXPLAIN).
    fn text_frame(&self, columns: &[&str], rows: Vec<Vec<String>>) -> Result<DataFrame> {
        let schema = Arc::new(Schema::new(
            columns
                .iter()
                .map(|c| Field::new(*c, DataType::Utf8, false))
                .collect::<Vec<_>>(),
        ));
        let arrays = (0..columns.len())
            .map(|i| {
                Arc::new(StringArray::from_iter_values(
                    rows.iter().map(|r| r[i].as_str()),
                )) as _
            })
            .collect();
        let batch = RecordBatch::try_new(schema.clone(), arrays)?;
        let source: Arc<dyn TableSource> = Arc::new(Table(Arc::new(MemTable::try_new(
            schema,
            vec![vec![batch]],
        )?)));
        Ok(self.scan_frame("result", source)?.here())
    }
}

/// Whether `plan` (or a subquery in it) scans the data source at `source`.
fn reads_source(plan: &LogicalPlan, source: *const ()) -> bool {
    if let LogicalPlan::Scan { source: s, .. } = plan
        && s.as_any()
            .downcast_ref::<Table>()
            .is_some_and(|t| std::ptr::eq(Arc::as_ptr(&t.0) as *const (), source))
    {
        return true;
    }
    plan.inputs().iter().any(|i| reads_source(i, source))
        || plan
            .expressions()
            .iter()
            .any(|e| e.subqueries().iter().any(|q| reads_source(q, source)))
}

/// The error for a table or view name the session does not know, suggesting the
/// closest of `known`.
fn table_not_found<'a>(name: &str, known: impl IntoIterator<Item = &'a String>) -> EmberError {
    let known = known.into_iter().map(String::as_str);
    PlanError::not_found("table", name, known, Default::default()).into()
}

pub(crate) fn file_stem(path: &str) -> String {
    if sources::listing::is_glob(path) {
        // `out/**/*.parquet` → `out`.
        let folder = path
            .split('/')
            .take_while(|p| !sources::listing::is_glob(p))
            .filter(|p| !p.is_empty())
            .last();
        if let Some(f) = folder {
            return f.to_lowercase();
        }
    }
    std::path::Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_else(|| "file".to_string())
}

fn csv_options(options: &[(String, String)]) -> Result<CsvOptions> {
    let mut o = CsvOptions::default();
    for (k, v) in options {
        match k.to_ascii_lowercase().as_str() {
            "header" | "has_header" => {
                o.has_header = match v.to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(PlanError::plan(format!(
                            "CSV option 'header' must be 'true' or 'false', got '{v}'"
                        ))
                        .into());
                    }
                }
            }
            "delimiter" => {
                let bytes = v.as_bytes();
                if bytes.len() != 1 {
                    return Err(PlanError::plan(format!(
                        "CSV option 'delimiter' must be one character, got '{v}'"
                    ))
                    .into());
                }
                o.delimiter = bytes[0];
            }
            other => {
                return Err(PlanError::plan(format!(
                    "unknown CSV option '{other}' (expected 'header' or 'delimiter')"
                ))
                .into());
            }
        }
    }
    Ok(o)
}

/// The planner's view of the session catalog (the Spark Connect server plans with it
/// too, adding the relations it translates). In remote mode a name the session does
/// not hold is looked up in the cluster's catalog, once per statement and table.
pub(crate) struct SessionCatalog<'a> {
    pub(crate) session: &'a SessionContext,
    cluster: crate::remote::ClusterLookups,
}

impl<'a> SessionCatalog<'a> {
    /// The catalog of `session`, for planning one statement.
    pub(crate) fn new(session: &'a SessionContext) -> Self {
        SessionCatalog {
            session,
            cluster: Default::default(),
        }
    }
}

impl Catalog for SessionCatalog<'_> {
    fn table(&self, name: &str) -> Option<CatalogEntry> {
        let tables = self.session.state.tables.read().ok()?;
        match tables.get(&name.to_lowercase())? {
            Entry::Table(t) => Some(CatalogEntry::Table(t.clone())),
            Entry::Managed(m) => Some(CatalogEntry::Table(Arc::new(Table(
                m.clone() as Arc<dyn DataSource>
            )))),
            Entry::External(e) => Some(CatalogEntry::Table(Arc::new(Table(
                e.clone() as Arc<dyn DataSource>
            )))),
            Entry::View(p) => Some(CatalogEntry::View(Box::new(p.clone()))),
            Entry::Cached { cached, .. } => Some(CatalogEntry::Table(cached.clone())),
        }
    }

    fn table_names(&self) -> Vec<String> {
        self.session.table_names()
    }

    fn file_table(
        &self,
        path: &str,
        format: Option<&str>,
    ) -> ember_planner::Result<Arc<dyn TableSource>> {
        sources::open_file_table(path, format)
            .map(|t| Arc::new(t) as Arc<dyn TableSource>)
            .map_err(|e| PlanError::plan(e.to_string()))
    }

    /// In remote mode, the cluster's own catalog; local sessions never look there.
    fn table_elsewhere(&self, name: &[String]) -> ember_planner::Result<Elsewhere> {
        let Some(url) = self.session.config().remote else {
            return Ok(Elsewhere::NotLooked);
        };
        let server =
            crate::remote::RemoteUrl::parse(&url).map_err(|e| PlanError::plan(e.to_string()))?;
        match self.cluster.get(&url, name) {
            Ok(Some(table)) => Ok(Elsewhere::Found(table)),
            Ok(None) => Ok(Elsewhere::Absent {
                searched: format!("on the cluster at {server}"),
            }),
            Err(EmberError::Plan(e)) => Err(e),
            Err(EmberError::Remote(m)) => Err(PlanError::plan(m)),
            Err(EmberError::Unsupported(m)) => Err(PlanError::unsupported(m)),
            Err(e) => Err(PlanError::plan(e.to_string())),
        }
    }
}
