//! Cached query results: a persisted RDD of Arrow batches that later plans scan like a
//! table (`CACHE TABLE`, `DataFrame::cache`), and the Arrow IPC codec that sizes its
//! blocks and spills them to disk.

use std::any::Any;
use std::io::{Read, Write};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use ember_planner::catalog::{Statistics, TableSource};

use crate::error::Result;
use crate::rdd::{BlockCodec, Rdd, RddError, StorageLevel};

/// Sizes record batches by their buffers and stores them as Arrow IPC streams.
pub struct IpcCodec {
    schema: SchemaRef,
}

impl IpcCodec {
    /// A codec for batches of `schema`.
    pub fn new(schema: SchemaRef) -> Self {
        IpcCodec { schema }
    }
}

impl BlockCodec<RecordBatch> for IpcCodec {
    fn size_of(&self, items: &[RecordBatch]) -> usize {
        items.iter().map(|b| b.get_array_memory_size()).sum()
    }

    fn encode(&self, items: &[RecordBatch], w: &mut dyn Write) -> crate::rdd::error::Result<()> {
        let mut writer = StreamWriter::try_new(w, &self.schema)?;
        for b in items {
            writer.write(b)?;
        }
        writer.finish()?;
        Ok(())
    }

    fn decode(&self, r: &mut dyn Read) -> crate::rdd::error::Result<Vec<RecordBatch>> {
        let reader = StreamReader::try_new(r, None)?;
        reader.map(|b| b.map_err(RddError::from)).collect()
    }
}

/// A persisted query result that plans can scan.
#[derive(Clone)]
pub struct CachedTable {
    name: String,
    schema: SchemaRef,
    rdd: Rdd<RecordBatch>,
    statistics: Statistics,
}

impl std::fmt::Debug for CachedTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CachedTable({})", self.name)
    }
}

impl CachedTable {
    /// Persists `rdd` (the result of a plan with `schema`) at `level`.
    pub fn new(
        name: &str,
        schema: SchemaRef,
        rdd: &Rdd<RecordBatch>,
        level: StorageLevel,
        statistics: Statistics,
    ) -> Self {
        let codec = Arc::new(IpcCodec::new(schema.clone()));
        CachedTable {
            name: name.to_string(),
            schema,
            rdd: rdd.persist_with(level, codec),
            statistics,
        }
    }

    /// The persisted RDD.
    pub fn rdd(&self) -> &Rdd<RecordBatch> {
        &self.rdd
    }

    /// Computes and stores every partition now.
    pub fn materialize(&self) -> Result<usize> {
        let counts = self.rdd.context().run_job(&self.rdd, |_, iter| {
            let mut rows = 0;
            for b in iter {
                rows += b?.num_rows();
            }
            Ok(rows)
        })?;
        Ok(counts.into_iter().sum())
    }

    /// Drops the stored partitions.
    pub fn unpersist(&self) {
        self.rdd.unpersist();
    }
}

/// Drops the stored partitions of the cached table a persisted DataFrame's plan reads
/// (a scan of it, under the projections that keep its names); any other plan is left
/// as it is.
pub fn unpersist_plan(plan: &ember_planner::LogicalPlan) {
    use ember_planner::LogicalPlan as P;
    match plan {
        P::Scan { source, .. } => {
            if let Some(c) = source.as_any().downcast_ref::<CachedTable>() {
                c.unpersist();
            }
        }
        P::Projection { input, .. } => unpersist_plan(input),
        _ => {}
    }
}

impl TableSource for CachedTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn statistics(&self) -> Statistics {
        self.statistics.clone()
    }

    fn describe(&self) -> String {
        format!("cached: {}", self.name)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
