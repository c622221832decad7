//! Session configuration: one table declaring every setting once — key, type, default,
//! allowed values, description, and whether it may change after start. `SET key =
//! value` (with validation and did-you-mean), `SHOW ALL` and the command line's checks
//! are all derived from it. Adding a key is adding one entry below.
//!
//! Besides the table, one `ember.optimizer.batch.<name>` switch per optimizer batch,
//! derived from the optimizer's own list.

pub mod setting;

use std::collections::BTreeSet;

use ember_planner::optimizer::Optimizer;

use crate::error::{EmberError, Result};
use crate::memory::ByteSize;
use crate::memory::size::default_memory_limit;
use setting::{Allowed, Change, Setting, settings};

/// Most worker threads a session may have.
pub const MAX_THREADS: u64 = 1024;

/// Most partitions after an exchange: a shuffle stores one block per map and reduce
/// partition, so a million blocks is as far as it goes before the blocks' bookkeeping
/// outweighs the data.
pub const MAX_TARGET_PARTITIONS: u64 = 1024;

/// Most rows per batch: readers allocate a whole batch's buffers up front.
pub const MAX_BATCH_SIZE: u64 = 1 << 20;

/// Most levels of expression nesting: planning runs on a thread whose stack grows with
/// the limit (see `crate::stack`), and this keeps that stack within 1 GiB.
pub const MAX_EXPRESSION_DEPTH: u64 = 16_384;

fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(MAX_THREADS as usize)
}

const ANY_COUNT: Allowed = Allowed::Int {
    min: 0,
    max: u64::MAX,
};
const RATE: Allowed = Allowed::Number { min: 0.0, max: 1.0 };

settings! {
    /// Session settings. Each field is one key of [`SETTINGS`].
    pub struct SessionConfig {
        threads: usize = default_threads() => {
            name: "ember.execution.threads",
            allowed: Allowed::Int { min: 1, max: MAX_THREADS },
            change: Change::AtStart("use --threads"),
            description: "worker threads for tasks",
        },
        target_partitions: usize = (default_threads() * 2).clamp(2, MAX_TARGET_PARTITIONS as usize) => {
            name: "ember.execution.target_partitions",
            allowed: Allowed::Int { min: 1, max: MAX_TARGET_PARTITIONS },
            change: Change::Anytime,
            description: "partitions after a hash exchange",
        },
        batch_size: usize = 8192 => {
            name: "ember.execution.batch_size",
            allowed: Allowed::Int { min: 1, max: MAX_BATCH_SIZE },
            change: Change::Anytime,
            description: "rows per batch read from sources",
        },
        statement_timeout: Option<std::time::Duration> = None => {
            name: "ember.execution.statement_timeout",
            allowed: Allowed::Duration,
            change: Change::Anytime,
            description: "a statement running longer is cancelled",
        },
        remote: Option<String> = None => {
            name: "ember.execution.remote",
            allowed: Allowed::RemoteUrl,
            change: Change::Anytime,
            description: "run queries on this Spark Connect server (sc://host:port), planned and optimized by Ember; empty runs them here",
        },
        max_recursion_iterations: usize = 1000 => {
            name: "ember.execution.max_recursion_iterations",
            allowed: Allowed::Int { min: 0, max: 1_000_000_000 },
            change: Change::Anytime,
            description: "rounds a recursive CTE may run before the query fails",
        },
        max_expression_depth: usize = ember_planner::sql::DEFAULT_MAX_EXPRESSION_DEPTH => {
            name: "ember.sql.max_expression_depth",
            allowed: Allowed::Int { min: 1, max: MAX_EXPRESSION_DEPTH },
            change: Change::Anytime,
            description: "how deep SQL expressions may nest before planning fails",
        },
        optimizer_enabled: bool = true => {
            name: "ember.optimizer.enabled",
            allowed: Allowed::Bool,
            change: Change::Anytime,
            description: "run the rule-based optimizer",
        },
        cost_based: bool = true => {
            name: "ember.optimizer.cost_based",
            allowed: Allowed::Bool,
            change: Change::Anytime,
            description: "order joins and pick build sides from estimates",
        },
        broadcast_threshold_rows: usize = 1_000_000 => {
            name: "ember.optimizer.broadcast_threshold_rows",
            allowed: ANY_COUNT,
            change: Change::Anytime,
            description: "largest estimated build side that is broadcast",
        },
        max_task_attempts: usize = 4 => {
            name: "ember.task.max_attempts",
            allowed: Allowed::Int { min: 1, max: 100 },
            change: Change::Anytime,
            description: "attempts per task before its job fails; only transient failures are retried",
        },
        task_failure_rate: f64 = 0.0 => {
            name: "ember.faults.task_failure_rate",
            allowed: RATE,
            change: Change::Anytime,
            description: "share of task attempts that fail on purpose",
        },
        block_loss_rate: f64 = 0.0 => {
            name: "ember.faults.block_loss_rate",
            allowed: RATE,
            change: Change::Anytime,
            description: "share of cached and shuffle blocks lost before they are read",
        },
        fault_seed: u64 = 0 => {
            name: "ember.faults.seed",
            allowed: ANY_COUNT,
            change: Change::Anytime,
            description: "seed for the injected faults",
        },
        cache_budget_bytes: usize = 4 << 30 => {
            name: "ember.cache.budget_bytes",
            allowed: ANY_COUNT,
            change: Change::AtStart(""),
            description: "most bytes of cached blocks kept in memory (within ember.memory.limit, giving way to queries)",
        },
        max_rows_per_file: usize = 10_000_000 => {
            name: "ember.write.max_rows_per_file",
            allowed: ANY_COUNT,
            change: Change::Anytime,
            description: "most rows in one written file (a task starts a new file past it); 0 for no limit",
        },
        memory_limit: ByteSize = default_memory_limit() => {
            name: "ember.memory.limit",
            allowed: Allowed::Bytes,
            change: Change::Anytime,
            description: "memory the operators of all running queries may hold at once (default 80% of physical memory); past it sorts and aggregations spill, other operators fail",
        },
        oom_max_split: usize = crate::rdd::scheduler::DEFAULT_MAX_SPLIT => {
            name: "ember.memory.oom_max_split",
            allowed: Allowed::Int { min: 1, max: 1024 },
            change: Change::Anytime,
            description: "a task short of memory in an operator that cannot spill (a window, a DISTINCT aggregation) runs again over its input split in 2, 4, ... parts, one after another, up to this many; 1 fails at once",
        },
        spill_dir: String = std::env::temp_dir().display().to_string() => {
            name: "ember.spill.dir",
            allowed: Allowed::Folder,
            change: Change::Anytime,
            description: "folder under which each query keeps its spill files (removed when it ends)",
        },
        spill_max_bytes: ByteSize = ByteSize(100 << 30) => {
            name: "ember.spill.max_bytes",
            allowed: Allowed::Bytes,
            change: Change::Anytime,
            description: "most bytes of spill files (shuffle runs included) one query may have on disk at once",
        },
        cache_storage_level: String = "memory_and_disk".to_string() => {
            name: "ember.cache.storage_level",
            allowed: Allowed::OneOf(&["memory_only", "memory_and_disk"]),
            change: Change::Anytime,
            description: "storage level of CACHE TABLE and DataFrame::cache",
        },
    }
    extra {
        /// Optimizer batches switched off (`ember.optimizer.batch.<name> = false`), for
        /// comparing plans and bisecting a wrong result to one batch of rules.
        disabled_batches: BTreeSet<String> = BTreeSet::new(),
    }
}

/// The prefix of the per-batch optimizer switches.
const BATCH_PREFIX: &str = "ember.optimizer.batch.";

/// Batches that cannot be switched off: the physical planner cannot run subquery
/// expressions, so with the decorrelate batch off they would have to be decorrelated
/// anyway, by the same rewrite — the switch could change nothing.
pub const REQUIRED_BATCHES: &[&str] = &["decorrelate"];

/// The setting named `key` (in any case).
pub fn setting(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.name.eq_ignore_ascii_case(key))
}

impl SessionConfig {
    /// The optimizer these settings ask for: the standard batches without those switched
    /// off, and without `join_order` when `ember.optimizer.cost_based` is false. `None`
    /// when `ember.optimizer.enabled` is false.
    pub fn optimizer(&self) -> Option<Optimizer> {
        if !self.optimizer_enabled {
            return None;
        }
        let mut optimizer = Optimizer::new();
        if !self.cost_based {
            optimizer = optimizer.without_batch("join_order");
        }
        for b in &self.disabled_batches {
            optimizer = optimizer.without_batch(b);
        }
        Some(optimizer)
    }

    /// Sets `key` from its text form (quotes around the value are dropped), as `SET`
    /// does; keys fixed at start, unknown keys and values outside the allowed ones are
    /// errors naming what is expected.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let v = value.trim().trim_matches('\'');
        if let Some(s) = setting(key) {
            if let Change::AtStart(how) = s.change {
                let how = if how.is_empty() {
                    String::new()
                } else {
                    format!(" ({how})")
                };
                return Err(EmberError::config(format!(
                    "{} is fixed when the session starts{how}",
                    s.name
                )));
            }
            if !(s.put)(self, v) {
                return Err(EmberError::config(s.invalid(v)));
            }
            return Ok(());
        }
        let key_l = key.to_ascii_lowercase();
        let batch = key_l
            .strip_prefix(BATCH_PREFIX)
            .filter(|b| Optimizer::new().batch_names().contains(b));
        let Some(batch) = batch else {
            let batch_keys = batch_keys();
            let suggestion = ember_planner::error::closest_name(
                &key_l,
                SETTINGS
                    .iter()
                    .map(|s| s.name)
                    .chain(batch_keys.iter().map(|(k, _)| k.as_str())),
            );
            return Err(EmberError::config(match suggestion {
                Some(s) => format!("unknown setting '{key}' (did you mean '{s}'?)"),
                None => format!("unknown setting '{key}'"),
            }));
        };
        let on = match <bool as setting::SettingValue>::parse(v, &Allowed::Bool) {
            Some(on) => on,
            None => {
                return Err(EmberError::config(format!(
                    "invalid value '{v}' for {key}: expected {}",
                    Allowed::Bool
                )));
            }
        };
        if on {
            self.disabled_batches.remove(batch);
        } else if REQUIRED_BATCHES.contains(&batch) {
            return Err(EmberError::config(format!(
                "{key} cannot be switched off: subqueries must become joins to run"
            )));
        } else {
            self.disabled_batches.insert(batch.to_string());
        }
        Ok(())
    }

    /// Checks every setting's value against its allowed values (for a config built in
    /// code rather than with `SET`).
    pub fn validate(&self) -> Result<()> {
        for s in SETTINGS {
            let value = (s.get)(self);
            s.check(&value).map_err(EmberError::config)?;
        }
        Ok(())
    }

    /// Every key with its current value and description (with the allowed values).
    pub fn entries(&self) -> Vec<(String, String, String)> {
        let batches = batch_keys().into_iter().map(|(key, doc)| {
            let on = !self.disabled_batches.contains(&key[BATCH_PREFIX.len()..]);
            (key, on.to_string(), doc)
        });
        SETTINGS
            .iter()
            .map(|s| (s.name.to_string(), (s.get)(self), s.long_description()))
            .chain(batches)
            .collect()
    }
}

/// One `ember.optimizer.batch.<name>` key per optimizer batch, with its description.
fn batch_keys() -> Vec<(String, String)> {
    Optimizer::new()
        .batch_rules()
        .into_iter()
        .map(|(name, rules)| {
            let always = if REQUIRED_BATCHES.contains(&name) {
                "; always on"
            } else {
                ""
            };
            (
                format!("{BATCH_PREFIX}{name}"),
                format!(
                    "run the optimizer batch {name} ({}{always})",
                    rules.join(", ")
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_and_list() {
        let mut c = SessionConfig::default();
        c.set("ember.execution.target_partitions", "7").unwrap();
        assert_eq!(c.target_partitions, 7);
        assert!(
            c.entries()
                .iter()
                .any(|(k, v, _)| k == "ember.execution.target_partitions" && v == "7")
        );
        let e = c
            .set("ember.execution.target_partition", "3")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("did you mean 'ember.execution.target_partitions'"),
            "{e}"
        );
        assert!(c.set("ember.optimizer.enabled", "maybe").is_err());
        c.set("ember.execution.max_recursion_iterations", "12")
            .unwrap();
        assert_eq!(c.max_recursion_iterations, 12);
        assert!(
            c.entries()
                .iter()
                .any(|(k, v, _)| k == "ember.execution.max_recursion_iterations" && v == "12")
        );
    }

    #[test]
    fn every_setting_is_listed_with_its_default_and_a_description() {
        let c = SessionConfig::default();
        let entries = c.entries();
        for s in SETTINGS {
            let (_, value, description) = entries
                .iter()
                .find(|(k, _, _)| k == s.name)
                .unwrap_or_else(|| panic!("{} is not listed", s.name));
            assert_eq!(*value, (s.default)(), "{}", s.name);
            assert!(description.starts_with(s.description), "{description}");
            // The default is one of the allowed values, so the field's type and the
            // declared values go together.
            s.check(value).unwrap_or_else(|e| panic!("{e}"));
        }
        assert!(c.validate().is_ok());
        // The keys the first table left out of SHOW ALL are there.
        for key in [
            "ember.task.max_attempts",
            "ember.faults.task_failure_rate",
            "ember.faults.block_loss_rate",
            "ember.faults.seed",
            "ember.cache.budget_bytes",
            "ember.cache.storage_level",
        ] {
            assert!(entries.iter().any(|(k, _, _)| k == key), "{key}");
        }
        let names: BTreeSet<&str> = SETTINGS.iter().map(|s| s.name).collect();
        assert_eq!(names.len(), SETTINGS.len(), "a key is declared twice");
    }

    #[test]
    fn every_settable_key_round_trips_its_value() {
        let mut c = SessionConfig::default();
        for s in SETTINGS.iter().filter(|s| s.change == Change::Anytime) {
            let value = (s.get)(&c);
            c.set(s.name, &value)
                .unwrap_or_else(|e| panic!("{}: {e}", s.name));
            assert_eq!((s.get)(&c), value, "{}", s.name);
        }
        c.set("ember.task.max_attempts", "7").unwrap();
        assert_eq!(c.max_task_attempts, 7);
        c.set("EMBER.FAULTS.TASK_FAILURE_RATE", "0.5").unwrap();
        assert_eq!(c.task_failure_rate, 0.5);
        c.set("ember.faults.seed", "18446744073709551615").unwrap();
        assert_eq!(c.fault_seed, u64::MAX);
        c.set("ember.cache.storage_level", "'MEMORY_ONLY'").unwrap();
        assert_eq!(c.cache_storage_level, "memory_only");
    }

    #[test]
    fn out_of_range_values_name_the_range() {
        let mut c = SessionConfig::default();
        let error = |c: &mut SessionConfig, k: &str, v: &str| {
            c.set(k, v)
                .map(|_| String::new())
                .unwrap_or_else(|e| e.to_string())
        };
        assert_eq!(
            error(&mut c, "ember.execution.target_partitions", "100000000"),
            "invalid value '100000000' for ember.execution.target_partitions: \
             expected an integer from 1 to 1024"
        );
        assert_eq!(
            error(&mut c, "ember.execution.batch_size", "0"),
            "invalid value '0' for ember.execution.batch_size: \
             expected an integer from 1 to 1048576"
        );
        assert_eq!(
            error(&mut c, "ember.task.max_attempts", "0"),
            "invalid value '0' for ember.task.max_attempts: expected an integer from 1 to 100"
        );
        assert_eq!(
            error(&mut c, "ember.faults.block_loss_rate", "2"),
            "invalid value '2' for ember.faults.block_loss_rate: expected a number from 0 to 1"
        );
        assert_eq!(
            error(&mut c, "ember.cache.storage_level", "disk"),
            "invalid value 'disk' for ember.cache.storage_level: \
             expected memory_only or memory_and_disk"
        );
        assert_eq!(
            error(&mut c, "ember.execution.threads", "2"),
            "ember.execution.threads is fixed when the session starts (use --threads)"
        );
        assert_eq!(
            error(&mut c, "ember.cache.budget_bytes", "2"),
            "ember.cache.budget_bytes is fixed when the session starts"
        );
        // Nothing was changed by the failed attempts.
        assert_eq!(c.batch_size, 8192);
        assert_eq!(c.max_task_attempts, 4);
        let bad = SessionConfig {
            batch_size: 0,
            ..SessionConfig::default()
        };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn every_optimizer_batch_has_a_switch() {
        let mut c = SessionConfig::default();
        let names = Optimizer::new().batch_names();
        for name in &names {
            let key = format!("ember.optimizer.batch.{name}");
            if REQUIRED_BATCHES.contains(name) {
                assert!(c.set(&key, "false").is_err(), "{key}");
                c.set(&key, "true").unwrap();
                continue;
            }
            let value = |c: &SessionConfig| {
                c.entries()
                    .into_iter()
                    .find(|(k, _, _)| *k == key)
                    .map(|(_, v, _)| v)
            };
            assert_eq!(value(&c).as_deref(), Some("true"), "{key}");
            c.set(&key, "false").unwrap();
            assert_eq!(value(&c).as_deref(), Some("false"), "{key}");
            let left = c.optimizer().unwrap().batch_names();
            assert!(!left.contains(name), "{key}: {left:?}");
            assert_eq!(left.len(), names.len() - 1, "{key}");
            c.set(&key, "on").unwrap();
            assert_eq!(c.optimizer().unwrap().batch_names(), names);
        }
        let e = c
            .set("ember.optimizer.batch.simplfy", "false")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("did you mean 'ember.optimizer.batch.simplify'"),
            "{e}"
        );
        c.set("ember.optimizer.enabled", "false").unwrap();
        assert!(c.optimizer().is_none());
    }
}
