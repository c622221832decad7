//! Resilient datasets on one machine, in Spark's model: lineage, stages cut at
//! shuffles, one task per partition on a thread pool, and a block manager.
//!
//! In: closures over partitions (from `exec`, or the typed layer below).
//! Out: per-partition results of jobs, in partition order.
//! Imports only std, rayon, hashbrown and thiserror: this layer knows no SQL, no
//! Arrow operators, no planner types and not the runtime's error type (a test below
//! keeps it that way). Closures it runs return its own [`RddError`], which carries
//! their errors untouched.
//!
//! A tour, in the order data flows:
//! - [`context`]: [`RddContext`], the shared entry point (thread pool, scheduler,
//!   block manager, fault injection, metrics, ids) that creates leaf RDDs and
//!   runs jobs; [`RddConfig`] holds the pool size, attempts, cache budget,
//!   spill directory and faults.
//! - [`rdd`]: the typed handle [`Rdd<T>`] and the object-safe lineage traits
//!   [`RddBase`] (what the scheduler sees) and [`RddNode<T>`] (what computes).
//! - [`dependency`]: narrow and shuffle dependencies between RDDs.
//! - [`broadcast`]: [`Broadcast`], every partition of an RDD gathered through a
//!   stage boundary into one value the tasks of a job share (a join's build side).
//! - RDD kinds, one per file: [`parallel_collection`], [`source`], [`text_file`],
//!   [`map_partitions`], [`union`], [`zip_partitions`], [`shuffled`], [`cached`],
//!   [`observed`] (items and time reported to an observer, for operator metrics),
//!   [`split`] (a transformation that can run over parts of its input, one after
//!   another, when its task runs short of memory).
//! - [`error`]: [`RddError`], and whether a failure is transient (retried) or
//!   deterministic (fails the job at once).
//! - [`scheduler`]: the DAG scheduler — stages, tasks, retries, recompute of lost
//!   shuffle output from lineage, tasks short of memory run again over a finer
//!   split. [`task`] holds the [`TaskContext`] a task sees.
//! - [`cancel`]: [`CancelToken`], how a running job is stopped (by a user, a
//!   statement timeout, or whoever reads its results going away).
//! - [`block_manager`]: shuffle blocks, and cached partitions in the
//!   [`cache_store`] (memory budget, LRU eviction, spill to disk);
//!   [`shuffle_spill`]: shuffle output held in the memory pool or written to disk.
//! - [`storage`]: [`StorageLevel`] and the [`BlockCodec`] that sizes and
//!   serializes cached blocks; [`persist`]: `persist`, `cache`, `unpersist`.
//! - [`faults`]: injected task failures and block losses ([`FaultConfig`]).
//! - [`progress`]: [`JobProgress`], stages and tasks done of each running job.
//! - [`metrics`]: job, stage and task counters and logs, and their JSON.
//! - [`debug_string`]: lineage rendered like Spark's `toDebugString`.
//! - [`transformations`], [`pair`], [`join`], [`sort`], [`actions`]: a typed
//!   layer in Spark's vocabulary (`map`, `filter`, `flat_map`, `distinct`,
//!   `union`, `reduce_by_key`, `group_by_key`, `join`, `sort_by`, `collect`,
//!   `count`, `reduce`, `fold`, `foreach`, `take`, `first`).

pub mod actions;
pub mod block_manager;
pub mod broadcast;
pub mod cache_store;
pub mod cached;
pub mod cancel;
pub mod coalesce;
pub mod context;
pub mod debug_string;
pub mod dependency;
pub mod error;
pub mod faults;
pub mod join;
pub mod map_partitions;
pub mod metrics;
pub mod observed;
pub mod pair;
pub mod parallel_collection;
pub mod persist;
pub mod progress;
#[allow(clippy::module_inception)]
pub mod rdd;
pub mod scheduler;
pub mod shuffle_spill;
pub mod shuffled;
pub mod sort;
pub mod source;
pub mod split;
pub mod storage;
pub mod task;
pub mod text_file;
pub mod transformations;
pub mod union;
pub mod zip_partitions;

pub use block_manager::{BlockId, BlockManager, ShuffleData};
pub use broadcast::{AnyBroadcast, Broadcast};
pub use cancel::CancelToken;
pub use context::{RddConfig, RddContext};
pub use dependency::{Dependency, NarrowDependency, ShuffleDependencyBase};
pub use error::{BoxError, Failure, RddError};
pub use faults::FaultConfig;
pub use metrics::{JobRecord, MetricsSnapshot, StageKind, StageRecord, TaskRecord, WorkTotals};
pub use progress::JobProgress;
pub use rdd::{Data, PartitionIter, Rdd, RddBase, RddNode};
pub use shuffled::{ShuffleDependency, ShuffledRdd};
pub use split::InputPart;
pub use storage::{BlockCodec, InlineSizeCodec, StorageLevel};
pub use task::TaskContext;

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// The RDD layer must stay free of SQL, operators, planner types and the
    /// runtime's error type (which reaches the planner's).
    #[test]
    fn rdd_layer_imports_no_sql_operators_or_planner() {
        let forbidden = [
            ["ember", "_planner"].concat(),
            ["crate", "::ops"].concat(),
            ["crate", "::exec"].concat(),
            ["crate", "::expr"].concat(),
            ["crate", "::error"].concat(),
            ["crate", "::{"].concat(),
            ["Ember", "Error"].concat(),
            ["Plan", "Error"].concat(),
            ["sql", "parser"].concat(),
            ["arrow", "::"].concat(),
        ];
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src")
            .join("rdd");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).expect("src/rdd is readable") {
            let path = entry.expect("directory entry").path();
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source file is readable");
            for word in &forbidden {
                assert!(
                    !text.contains(word.as_str()),
                    "{} uses {word}",
                    path.display()
                );
            }
            checked += 1;
        }
        assert!(checked >= 10, "only {checked} files checked");
    }
}
