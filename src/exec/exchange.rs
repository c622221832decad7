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
use crate::rdd::shuffle_spill::SpillFolder;

/// Repartitions by key hash, or into one partition.
pub fn lower_exchange(
    input: Rdd<RecordBatch>,
    schema: SchemaRef,
    partitioning: &Partitioning,
    spill_dir: &Arc<SpillDir>,
) -> Result<Rdd<RecordBatch>> {
    let codec = Arc::new(IpcCodec::new(schema));
    // Runs go into the query's spill folder, which lives as long as the shuffle.
    let dir = Arc::clone(spill_dir);
    let folder: SpillFolder = Arc::new(move || {
        dir.created_path()
            .map(|p| p.to_path_buf())
            .map_err(RddError::from)
    });
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
