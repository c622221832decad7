//! The session's shared state and its handle: the settings, the catalog's entries and
//! the RDD context whose scheduler runs every query. DataFrames hold this handle; the
//! methods that plan SQL and make DataFrames from tables are in [`crate::session`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use ember_planner::LogicalPlan;
use ember_planner::catalog::TableSource;

use crate::config::SessionConfig;
use crate::error::{EmberError, Result};
use crate::exec::cache::CachedTable;
use crate::rdd::{CancelToken, FaultConfig, RddConfig, RddContext};
use crate::sources::ManagedTable;
use crate::sources::external::ExternalTable;

/// Indexes by name (lower case): their table and, for UNIQUE ones, the key's columns.
pub(crate) type Indexes = BTreeMap<String, (String, Option<Vec<usize>>)>;

/// A table or view in the catalog.
#[derive(Debug, Clone)]
pub(crate) enum Entry {
    /// A registered source (files, batches, TPC-H) that statements do not change.
    Table(Arc<dyn TableSource>),
    /// A table created by CREATE TABLE: rows in memory, changed by INSERT, UPDATE, ...
    Managed(Arc<ManagedTable>),
    /// A table of files (CREATE EXTERNAL TABLE); INSERT adds files.
    External(Arc<ExternalTable>),
    /// A view: a planned query.
    View(LogicalPlan),
    /// A table or view whose rows are cached; `original` comes back on UNCACHE.
    Cached {
        cached: Arc<CachedTable>,
        original: Box<Entry>,
    },
}

pub(crate) struct SessionState {
    pub(crate) config: RwLock<SessionConfig>,
    pub(crate) tables: RwLock<BTreeMap<String, Entry>>,
    /// Indexes by name (lower case): their table and, for UNIQUE ones, the key.
    pub(crate) indexes: Mutex<Indexes>,
    pub(crate) rdd: Arc<RddContext>,
}

/// Entry point: registers tables and runs SQL. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct SessionContext {
    pub(crate) state: Arc<SessionState>,
}

impl Default for SessionContext {
    fn default() -> Self {
        Self::new()
    }
}

impl SessionContext {
    /// A session with default settings.
    pub fn new() -> Self {
        Self::with_config(SessionConfig::default())
    }

    /// A session with the given settings.
    pub fn with_config(config: SessionConfig) -> Self {
        let rdd = RddContext::new(RddConfig {
            threads: config.threads.max(1),
            max_task_attempts: config.max_task_attempts.max(1),
            cache_budget_bytes: config.cache_budget_bytes,
            faults: fault_config(&config),
            memory_limit: config.memory_limit.bytes(),
            max_split: config.oom_max_split,
            ..RddConfig::default()
        });
        Self::with_rdd_context(config, rdd)
    }

    /// A session with the given settings whose jobs run on `rdd`, an executor other
    /// sessions may share (a server's sessions share one pool and block manager). Its
    /// tables and settings are its own; the executor's settings (threads, task
    /// attempts, fault injection) are the executor's, so one session's `SET` of those
    /// reaches every session on it.
    pub fn with_rdd_context(config: SessionConfig, rdd: Arc<RddContext>) -> Self {
        SessionContext {
            state: Arc::new(SessionState {
                config: RwLock::new(config),
                tables: RwLock::new(BTreeMap::new()),
                indexes: Mutex::new(BTreeMap::new()),
                rdd,
            }),
        }
    }

    /// A session whose queries run on the Spark Connect server at `url`
    /// (`sc://host:port[/;token=...]`): Ember plans and optimizes them, the cluster runs
    /// them (see [`crate::remote`]).
    pub fn remote(url: &str) -> Result<Self> {
        let ctx = Self::new();
        ctx.set("ember.execution.remote", url)?;
        Ok(ctx)
    }

    /// Puts a setting back to its default, as `RESET key` does; `None` resets every
    /// setting that may change (`RESET ALL`).
    pub fn reset(&self, key: Option<&str>) -> Result<()> {
        use crate::config::setting::Change;
        match key {
            Some(key) => match crate::config::setting(key) {
                Some(s) => self.set(s.name, &(s.default)()),
                // An optimizer batch switch is on by default; an unknown key fails
                // with its suggestion.
                None => self.set(key, "true"),
            },
            None => {
                for s in crate::config::SETTINGS {
                    if s.change == Change::Anytime {
                        self.set(s.name, &(s.default)())?;
                    }
                }
                let batches: Vec<String> = self.config().disabled_batches.into_iter().collect();
                for b in batches {
                    self.set(&format!("ember.optimizer.batch.{b}"), "true")?;
                }
                Ok(())
            }
        }
    }

    /// A copy of the current settings.
    pub fn config(&self) -> SessionConfig {
        self.state
            .config
            .read()
            .map(|c| c.clone())
            .unwrap_or_default()
    }

    /// Changes one setting, as `SET key = value` does.
    pub fn set(&self, key: &str, value: &str) -> Result<()> {
        let mut c = self
            .state
            .config
            .write()
            .map_err(|_| EmberError::internal("config lock poisoned"))?;
        c.set(key, value)?;
        // Settings the RDD layer reads take effect for the next job.
        self.state.rdd.set_faults(fault_config(&c));
        self.state.rdd.set_max_task_attempts(c.max_task_attempts);
        self.state.rdd.set_max_split(c.oom_max_split);
        self.state
            .rdd
            .memory_pool()
            .set_limit(c.memory_limit.bytes());
        Ok(())
    }

    /// Job, stage and task totals so far, as one JSON object:
    /// `{"jobs":..,"stages":..,"tasks":..,"task_attempts":..,"failed_attempts":..,
    /// "recomputed_partitions":..,...,"parquet_row_groups_read":..}`.
    pub fn metrics_json(&self) -> String {
        let json = self.state.rdd.metrics_json();
        let body = json.trim_end().trim_end_matches('}');
        let memory = self.state.rdd.memory_pool().snapshot();
        format!(
            "{body},\"parquet_row_groups_read\":{},\"peak_memory\":{},\"cached_memory\":{},\"spilled_bytes\":{},\"spill_files\":{}}}",
            crate::sources::parquet::row_groups_read(),
            memory.peak,
            memory.evictable,
            memory.spilled_bytes,
            memory.spill_files
        )
    }

    /// The RDD context that runs this session's jobs.
    pub fn rdd_context(&self) -> &Arc<RddContext> {
        &self.state.rdd
    }

    /// Runs `f` as a statement of this session: jobs it starts are cancelled with the
    /// caller's cancel token, and after the session's statement timeout
    /// (`ember.execution.statement_timeout`).
    pub(crate) fn statement_scope<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let Some(timeout) = self.config().statement_timeout else {
            return f();
        };
        CancelToken::under_current(Some(timeout)).scope(f)
    }

    /// Cancels every job running in this session's executor (from any thread): each
    /// fails with a "query cancelled" error once its running tasks have stopped.
    pub fn cancel_all(&self) {
        self.rdd_context().cancel_all();
    }

    /// Runs driver work (planning, lowering, waiting for jobs) on a thread whose stack
    /// holds expressions as deep as the settings allow.
    pub(crate) fn with_deep_stack<T: Send>(
        &self,
        f: impl FnOnce() -> Result<T> + Send,
    ) -> Result<T> {
        crate::stack::with_stack_for_depth(self.config().max_expression_depth, f)
    }
}

fn fault_config(config: &SessionConfig) -> FaultConfig {
    FaultConfig {
        task_failure_rate: config.task_failure_rate,
        block_loss_rate: config.block_loss_rate,
        seed: config.fault_seed,
    }
}
