//! External sort: a sort that keeps within its memory reservation by writing sorted
//! runs to spill files and merging them at the end.
//!
//! In: batches via [`ExternalSort::push`], each reserved (twice its size: the batch
//! and its sorted copy) before it is kept. When the reservation cannot grow, the kept
//! batches are sorted and written as one run (Arrow IPC), the memory given back and
//! the batch reserved again. Out, from [`ExternalSort::finish`]: the sorted rows as a
//! stream — sorted in memory when nothing spilled, else the k-way merge
//! ([`crate::ops::merge`]) of the runs, read back a batch at a time. The stream holds
//! the reservation and the run files until it is dropped.

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ember_planner::physical::PhysSortKey;

use crate::error::Result;
use crate::memory::{OperatorMemory, SpillFile};
use crate::ops::batch_bytes;
use crate::ops::merge::{SortedMerge, SortedStream, limit_stream, stream_of};
use crate::ops::sort::sort_batches;

/// A full sort of one partition under a memory reservation.
pub struct ExternalSort {
    keys: Vec<PhysSortKey>,
    schema: SchemaRef,
    memory: OperatorMemory,
    buffered: Vec<RecordBatch>,
    runs: Vec<SpillFile>,
}

/// Memory to reserve for keeping `batch` until the sort: the batch and its sorted copy.
fn reserved_for(batch: &RecordBatch) -> u64 {
    2 * batch_bytes(batch)
}

impl ExternalSort {
    /// Sorts batches of `schema` by `keys`, holding what `memory` allows.
    pub fn new(keys: Vec<PhysSortKey>, schema: SchemaRef, memory: OperatorMemory) -> Self {
        ExternalSort {
            keys,
            schema,
            memory,
            buffered: Vec::new(),
            runs: Vec::new(),
        }
    }

    /// Keeps `batch`, spilling what is kept first if the reservation cannot grow.
    pub fn push(&mut self, batch: RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let bytes = reserved_for(&batch);
        if let Err(refused) = self.memory.try_grow(bytes) {
            if !self.memory.can_spill() {
                return Err(refused);
            }
            if !self.buffered.is_empty() {
                self.spill()?;
            }
            // Alone, a batch is sorted as it is written: its own bytes are enough.
            if self.memory.try_grow(bytes).is_err() {
                self.memory.try_grow(bytes / 2)?;
            }
        }
        self.buffered.push(batch);
        Ok(())
    }

    /// Runs written so far.
    pub fn spilledruns(&self) -> usize {
        self.runs.len()
    }

    /// Sorts the kept batches into a new run on disk and gives their memory back.
    fn spill(&mut self) -> Result<()> {
        let batches = std::mem::take(&mut self.buffered);
        let sorted = sort_batches(batches, &self.keys, None, &self.schema)?;
        let mut writer = self.memory.spill_file(&self.schema)?;
        for batch in &sorted {
            writer.write(batch)?;
        }
        drop(sorted);
        let run = writer.finish()?;
        self.memory.record_spill(&run);
        self.runs.push(run);
        self.memory.free();
        Ok(())
    }

    /// The sorted rows (the first `fetch` of them when given).
    pub fn finish(mut self, fetch: Option<usize>) -> Result<SortedStream> {
        let stream = if self.runs.is_empty() {
            let batches = std::mem::take(&mut self.buffered);
            let sorted = sort_batches(batches, &self.keys, fetch, &self.schema)?;
            // The reservation lives as long as the sorted rows are being handed on.
            hold(stream_of(sorted), self.memory, Vec::new())
        } else {
            if !self.buffered.is_empty() {
                self.spill()?;
            }
            let runs = std::mem::take(&mut self.runs);
            let streams = runs
                .iter()
                .map(|run| Ok(Box::new(run.read()?) as SortedStream))
                .collect::<Result<Vec<_>>>()?;
            let merge = SortedMerge::new(streams, &self.keys, self.schema.clone())?;
            hold(Box::new(merge), self.memory, runs)
        };
        Ok(match fetch {
            Some(n) => limit_stream(stream, n),
            None => stream,
        })
    }
}

/// `stream`, keeping `memory` reserved and `runs` on disk until it is dropped.
fn hold(stream: SortedStream, memory: OperatorMemory, runs: Vec<SpillFile>) -> SortedStream {
    Box::new(Holding {
        stream,
        memory,
        runs,
    })
}

/// A stream with what it reads from kept alive beside it.
struct Holding {
    stream: SortedStream,
    memory: OperatorMemory,
    runs: Vec<SpillFile>,
}

impl Iterator for Holding {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        let next = self.stream.next();
        if next.is_none() {
            // Done: the operator above should not be charged for what is gone.
            self.memory.free();
            self.runs.clear();
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use ember_planner::physical::PhysExpr;

    use super::*;
    use crate::memory::{MemoryCounters, MemoryPool, QueryMemory};

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            Field::new("s", DataType::Utf8, true),
        ]))
    }

    /// Batches of pseudo-random keys (some NULL) with a payload naming their origin.
    fn input(batches: usize, rows: usize) -> Vec<RecordBatch> {
        let mut seed = 42u64;
        (0..batches)
            .map(|b| {
                let keys: Vec<Option<i64>> = (0..rows)
                    .map(|_| {
                        seed = seed
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        let v = (seed >> 33) as i64 % 1000;
                        (v % 53 != 0).then_some(v)
                    })
                    .collect();
                let payload: Vec<String> = (0..rows).map(|r| format!("b{b}r{r}")).collect();
                RecordBatch::try_new(
                    schema(),
                    vec![
                        Arc::new(Int64Array::from(keys)),
                        Arc::new(StringArray::from(payload)),
                    ],
                )
                .unwrap()
            })
            .collect()
    }

    fn keys() -> Vec<PhysSortKey> {
        vec![
            PhysSortKey {
                expr: PhysExpr::column(0, "k"),
                asc: false,
                nulls_first: true,
            },
            PhysSortKey {
                expr: PhysExpr::column(1, "s"),
                asc: true,
                nulls_first: false,
            },
        ]
    }

    fn run(
        limit: u64,
        fetch: Option<usize>,
    ) -> (Vec<RecordBatch>, Arc<MemoryCounters>, QueryMemory) {
        let memory = QueryMemory::new(MemoryPool::new(limit), &std::env::temp_dir(), u64::MAX);
        let counters = Arc::new(MemoryCounters::default());
        let handle = memory.operator("Sort (partition 0)", true, Some(counters.clone()));
        let mut sort = ExternalSort::new(keys(), schema(), handle);
        for batch in input(20, 500) {
            sort.push(batch).unwrap();
        }
        let out = sort
            .finish(fetch)
            .unwrap()
            .collect::<Result<Vec<_>>>()
            .unwrap();
        (out, counters, memory)
    }

    fn rows(batches: &[RecordBatch]) -> Vec<String> {
        let all = arrow::compute::concat_batches(&schema(), batches).unwrap();
        let formatted = arrow::util::pretty::pretty_format_batches(&[all]).unwrap();
        formatted.to_string().lines().map(String::from).collect()
    }

    #[test]
    fn a_tiny_limit_spillsruns_and_merges_to_the_same_order() {
        let (unlimited, counters, _) = run(u64::MAX, None);
        assert_eq!(counters.spill_files(), 0);
        let (spilled, counters, memory) = run(64 << 10, None);
        assert!(counters.spill_files() > 1, "{}", counters.spill_files());
        assert!(counters.spilled_bytes() > 0);
        assert!(counters.peak() <= 64 << 10);
        assert_eq!(rows(&spilled), rows(&unlimited));
        assert!(
            spilled
                .iter()
                .all(|b| b.num_rows() <= crate::ops::BATCH_SIZE)
        );
        // The runs are gone once the stream is.
        let folder = memory.spill_dir().path().to_path_buf();
        assert_eq!(
            std::fs::read_dir(&folder).map(|d| d.count()).unwrap_or(0),
            0
        );
        assert_eq!(memory.pool().snapshot().reserved, 0);
    }

    #[test]
    fn fetch_after_a_spilled_sort_keeps_the_first_rows() {
        let (unlimited, _, _) = run(u64::MAX, None);
        let (first, counters, _) = run(64 << 10, Some(777));
        assert!(counters.spill_files() > 0);
        assert_eq!(first.iter().map(|b| b.num_rows()).sum::<usize>(), 777);
        let all = rows(&unlimited);
        let got = rows(&first);
        // Header lines, then the first 777 rows, then the closing line.
        assert_eq!(got[..got.len() - 1], all[..got.len() - 1]);
    }

    #[test]
    fn a_batch_that_does_not_fit_alone_is_a_typed_error() {
        let memory = QueryMemory::new(MemoryPool::new(1024), &std::env::temp_dir(), u64::MAX);
        let mut sort = ExternalSort::new(
            keys(),
            schema(),
            memory.operator("Sort (partition 0)", true, None),
        );
        let error = input(1, 500)
            .into_iter()
            .try_for_each(|b| sort.push(b))
            .unwrap_err();
        assert!(
            matches!(error, crate::error::EmberError::ResourcesExhausted(_)),
            "{error}"
        );
        assert!(error.to_string().contains("Sort (partition 0)"), "{error}");
    }
}
