//! Exchanges: a shuffle dependency, where the scheduler cuts a stage. The batches
//! shuffled are held in the memory pool, and written to disk as Arrow IPC once the
//! pool is a quarter full.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ember_planner::physical::Partitioning;

use crate::error::Result;
use crate::exec::cache::IpcCodec;
use crate::memory::SpillDir;
use crate::ops::partition::hash_partition;
use crate::rdd::Rdd;
use crate::rdd::RddError;
use crate::rdd::shuffle_spill::{SpillFolder, SpillSpace};

/// A shuffle's runs go into the query's spill folder and count against its cap
/// (`ember.spill.max_bytes`) beside the operators' spill files.
impl SpillSpace for SpillDir {
    fn folder(&self) -> std::result::Result<std::path::PathBuf, RddError> {
        self.created_path()
            .map(|p| p.to_path_buf())
            .map_err(RddError::from)
    }

    fn charge(&self, consumer: &str, held: u64, bytes: u64) -> std::result::Result<(), RddError> {
        SpillDir::charge(self, consumer, held, bytes).map_err(RddError::from)
    }

    fn release(&self, bytes: u64) {
        SpillDir::release(self, bytes);
    }
}

/// Repartitions by key hash, or into one partition.
pub fn lower_exchange(
    input: Rdd<RecordBatch>,
    schema: SchemaRef,
    partitioning: &Partitioning,
    spill_dir: &Arc<SpillDir>,
) -> Result<Rdd<RecordBatch>> {
    let codec = Arc::new(IpcCodec::new(schema));
    // Runs go into the query's spill folder, which lives as long as the shuffle.
    let folder: SpillFolder = Arc::clone(spill_dir) as SpillFolder;
    match partitioning {
        Partitioning::Single if input.num_partitions() == 1 => Ok(input),
        Partitioning::Single => Ok(input.shuffle_spilling(
            "Exchange single",
            1,
            codec,
            folder,
            |batch: RecordBatch, _| {
                Ok(if batch.num_rows() == 0 {
                    vec![]
                } else {
                    vec![(0, batch)]
                })
            },
        )),
        Partitioning::Hash(keys, n) => {
            let keys = Arc::new(keys.clone());
            Ok(input.shuffle_spilling(
                "Exchange hash",
                *n,
                codec,
                folder,
                move |batch: RecordBatch, n| Ok(hash_partition(&batch, &keys, n)?),
            ))
        }
    }
}
