//! Session configuration: every key documented, settable with `SET key = value` and
//! listed by `SHOW ALL`.

use std::collections::BTreeSet;

use ember_planner::optimizer::Optimizer;

use crate::error::{EmberError, Result};

/// Session settings.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Worker threads for tasks (`ember.execution.threads`; fixed when the session starts).
    pub threads: usize,
    /// Partitions after a hash exchange (`ember.execution.target_partitions`).
    pub target_partitions: usize,
    /// Rows per batch read from sources (`ember.execution.batch_size`).
    pub batch_size: usize,
    /// Rounds a recursive CTE may run before the query fails
    /// (`ember.execution.max_recursion_iterations`).
    pub max_recursion_iterations: usize,
    /// How deep SQL expressions may nest before planning fails with a clear error
    /// (`ember.sql.max_expression_depth`).
    pub max_expression_depth: usize,
    /// Run the rule-based optimizer (`ember.optimizer.enabled`).
    pub optimizer_enabled: bool,
    /// Use estimates to order joins and pick build sides (`ember.optimizer.cost_based`).
    pub cost_based: bool,
    /// Broadcast a join's build side up to this many estimated rows
    /// (`ember.optimizer.broadcast_threshold_rows`).
    pub broadcast_threshold_rows: usize,
    /// Attempts per task before its job fails (`ember.task.max_attempts`).
    pub max_task_attempts: usize,
    /// Share of task attempts that fail on purpose (`ember.faults.task_failure_rate`).
    pub task_failure_rate: f64,
    /// Share of cached and shuffle blocks lost before they are read
    /// (`ember.faults.block_loss_rate`).
    pub block_loss_rate: f64,
    /// Seed for the injected faults (`ember.faults.seed`).
    pub fault_seed: u64,
    /// Bytes of cached blocks kept in memory (`ember.cache.budget_bytes`; fixed when the
    /// session starts).
    pub cache_budget_bytes: usize,
    /// Storage level of `CACHE TABLE` and `DataFrame::cache`
    /// (`ember.cache.storage_level`: `memory_only` or `memory_and_disk`).
    pub cache_storage_level: String,
    /// Optimizer batches switched off (`ember.optimizer.batch.<name> = false`), for
    /// comparing plans and bisecting a wrong result to one batch of rules.
    pub disabled_batches: BTreeSet<String>,
}

impl Default for SessionConfig {
    fn default() -> Self {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        SessionConfig {
            threads,
            target_partitions: (threads * 2).max(2),
            batch_size: 8192,
            max_recursion_iterations: 1000,
            max_expression_depth: ember_planner::sql::DEFAULT_MAX_EXPRESSION_DEPTH,
            optimizer_enabled: true,
            cost_based: true,
            broadcast_threshold_rows: 1_000_000,
            max_task_attempts: 4,
            task_failure_rate: 0.0,
            block_loss_rate: 0.0,
            fault_seed: 0,
            cache_budget_bytes: 4 << 30,
            cache_storage_level: "memory_and_disk".to_string(),
            disabled_batches: BTreeSet::new(),
        }
    }
}

/// One documented key.
struct Key {
    name: &'static str,
    doc: &'static str,
}

const KEYS: &[Key] = &[
    Key {
        name: "ember.execution.threads",
        doc: "worker threads for tasks (read-only after start)",
    },
    Key {
        name: "ember.execution.target_partitions",
        doc: "partitions after a hash exchange",
    },
    Key {
        name: "ember.execution.batch_size",
        doc: "rows per batch read from sources",
    },
    Key {
        name: "ember.execution.max_recursion_iterations",
        doc: "rounds a recursive CTE may run before the query fails",
    },
    Key {
        name: "ember.sql.max_expression_depth",
        doc: "how deep SQL expressions may nest before planning fails",
    },
    Key {
        name: "ember.optimizer.enabled",
        doc: "run the rule-based optimizer",
    },
    Key {
        name: "ember.optimizer.cost_based",
        doc: "order joins and pick build sides from estimates",
    },
    Key {
        name: "ember.optimizer.broadcast_threshold_rows",
        doc: "largest estimated build side that is broadcast",
    },
];

/// The prefix of the per-batch optimizer switches.
const BATCH_PREFIX: &str = "ember.optimizer.batch.";

/// Batches that cannot be switched off: the physical planner cannot run subquery
/// expressions, so with the decorrelate batch off they would have to be decorrelated
/// anyway, by the same rewrite — the switch could change nothing.
pub const REQUIRED_BATCHES: &[&str] = &["decorrelate"];

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

    /// Sets `key` from its text form.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let key_l = key.to_ascii_lowercase();
        let v = value.trim().trim_matches('\'');
        let bad = |what: &str| {
            EmberError::Execution(format!("invalid value '{v}' for {key}: expected {what}"))
        };
        let uint = || {
            v.parse::<usize>()
                .map_err(|_| bad("a non-negative integer"))
        };
        let rate = || match v.parse::<f64>() {
            Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
            _ => Err(bad("a number from 0 to 1")),
        };
        let boolean = || match v.to_ascii_lowercase().as_str() {
            "true" | "on" | "1" => Ok(true),
            "false" | "off" | "0" => Ok(false),
            _ => Err(bad("true or false")),
        };
        match key_l.as_str() {
            "ember.execution.threads" => {
                return Err(EmberError::Execution(format!(
                    "{key} is fixed when the session starts (use --threads)"
                )));
            }
            "ember.execution.target_partitions" => self.target_partitions = uint()?.max(1),
            "ember.execution.batch_size" => self.batch_size = uint()?.max(1),
            "ember.execution.max_recursion_iterations" => self.max_recursion_iterations = uint()?,
            "ember.sql.max_expression_depth" => self.max_expression_depth = uint()?.max(1),
            "ember.optimizer.enabled" => self.optimizer_enabled = boolean()?,
            "ember.optimizer.cost_based" => self.cost_based = boolean()?,
            "ember.optimizer.broadcast_threshold_rows" => self.broadcast_threshold_rows = uint()?,
            "ember.task.max_attempts" => self.max_task_attempts = uint()?.max(1),
            "ember.faults.task_failure_rate" => self.task_failure_rate = rate()?,
            "ember.faults.block_loss_rate" => self.block_loss_rate = rate()?,
            "ember.faults.seed" => {
                self.fault_seed = v
                    .parse::<u64>()
                    .map_err(|_| bad("a non-negative integer"))?
            }
            "ember.cache.budget_bytes" => {
                return Err(EmberError::Execution(format!(
                    "{key} is fixed when the session starts"
                )));
            }
            "ember.cache.storage_level" => {
                self.cache_storage_level = match v.to_ascii_lowercase().as_str() {
                    l @ ("memory_only" | "memory_and_disk") => l.to_string(),
                    _ => return Err(bad("memory_only or memory_and_disk")),
                }
            }
            k if k.starts_with(BATCH_PREFIX)
                && Optimizer::new()
                    .batch_names()
                    .contains(&&k[BATCH_PREFIX.len()..]) =>
            {
                let batch = k[BATCH_PREFIX.len()..].to_string();
                if boolean()? {
                    self.disabled_batches.remove(&batch);
                } else if REQUIRED_BATCHES.contains(&batch.as_str()) {
                    return Err(EmberError::Execution(format!(
                        "{key} cannot be switched off: subqueries must become joins to run"
                    )));
                } else {
                    self.disabled_batches.insert(batch);
                }
            }
            _ => {
                let batch_keys = batch_keys();
                let suggestion = ember_planner::error::closest_name(
                    &key_l,
                    KEYS.iter()
                        .map(|k| k.name)
                        .chain(batch_keys.iter().map(|(k, _)| k.as_str())),
                );
                return Err(EmberError::Execution(match suggestion {
                    Some(s) => format!("unknown setting '{key}' (did you mean '{s}'?)"),
                    None => format!("unknown setting '{key}'"),
                }));
            }
        }
        Ok(())
    }

    /// Every key with its current value and description.
    pub fn entries(&self) -> Vec<(String, String, String)> {
        let batches = batch_keys().into_iter().map(|(key, doc)| {
            let on = !self.disabled_batches.contains(&key[BATCH_PREFIX.len()..]);
            (key, on.to_string(), doc)
        });
        KEYS.iter()
            .map(|k| {
                let value = match k.name {
                    "ember.execution.threads" => self.threads.to_string(),
                    "ember.execution.target_partitions" => self.target_partitions.to_string(),
                    "ember.execution.batch_size" => self.batch_size.to_string(),
                    "ember.execution.max_recursion_iterations" => {
                        self.max_recursion_iterations.to_string()
                    }
                    "ember.sql.max_expression_depth" => self.max_expression_depth.to_string(),
                    "ember.optimizer.enabled" => self.optimizer_enabled.to_string(),
                    "ember.optimizer.cost_based" => self.cost_based.to_string(),
                    "ember.optimizer.broadcast_threshold_rows" => {
                        self.broadcast_threshold_rows.to_string()
                    }
                    "ember.task.max_attempts" => self.max_task_attempts.to_string(),
                    "ember.faults.task_failure_rate" => self.task_failure_rate.to_string(),
                    "ember.faults.block_loss_rate" => self.block_loss_rate.to_string(),
                    "ember.faults.seed" => self.fault_seed.to_string(),
                    "ember.cache.budget_bytes" => self.cache_budget_bytes.to_string(),
                    _ => self.cache_storage_level.clone(),
                };
                (k.name.to_string(), value, k.doc.to_string())
            })
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
