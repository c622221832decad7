//! K-way merge: sorted streams of batches into one sorted stream, comparing keys as
//! arrow-row bytes.
//!
//! In: streams whose batches are each sorted by the same keys (runs of an external
//! sort, read back from spill files). Out: batches of at most
//! [`crate::ops::BATCH_SIZE`] rows in key order; equal keys keep the order of their
//! streams, so the merge is stable. Holds one batch per stream (and the batches the
//! output being built points into).

use arrow::array::RecordBatch;
use arrow::compute::{SortOptions, interleave_record_batch};
use arrow::datatypes::SchemaRef;
use arrow::row::{RowConverter, Rows, SortField};
use ember_planner::physical::PhysSortKey;

use crate::error::Result;
use crate::expr::evaluate;
use crate::ops::BATCH_SIZE;

/// A stream of batches sorted by the merge's keys.
pub type SortedStream = Box<dyn Iterator<Item = Result<RecordBatch>> + Send>;

/// One input's place: its current batch (by slot in the merge's batch list), the
/// batch's keys as rows, and the next row.
struct Cursor {
    stream: SortedStream,
    slot: usize,
    rows: Rows,
    at: usize,
}

/// The merge of several sorted streams, itself a stream.
pub struct SortedMerge {
    keys: Vec<PhysSortKey>,
    converter: RowConverter,
    cursors: Vec<Cursor>,
    /// Cursors that have rows left, as a binary min-heap by (current key, input).
    heap: Vec<usize>,
    /// The batches rows of the output being built come from.
    batches: Vec<RecordBatch>,
    schema: SchemaRef,
    failed: bool,
}

impl SortedMerge {
    /// Merges `streams` (each sorted by `keys`) of batches of `schema`.
    pub fn new(
        streams: Vec<SortedStream>,
        keys: &[PhysSortKey],
        schema: SchemaRef,
    ) -> Result<Self> {
        let mut merge = SortedMerge {
            keys: keys.to_vec(),
            converter: RowConverter::new(Vec::new())?,
            cursors: Vec::with_capacity(streams.len()),
            heap: Vec::with_capacity(streams.len()),
            batches: Vec::new(),
            schema,
            failed: false,
        };
        let mut fields = None;
        for stream in streams {
            let mut cursor = Cursor {
                stream,
                slot: 0,
                rows: merge.converter.empty_rows(0, 0),
                at: 0,
            };
            let Some(batch) = next_nonempty(&mut cursor.stream)? else {
                continue;
            };
            let columns = merge.key_columns(&batch)?;
            if fields.is_none() {
                let sort_fields = columns
                    .iter()
                    .zip(&merge.keys)
                    .map(|(c, k)| {
                        SortField::new_with_options(
                            c.data_type().clone(),
                            SortOptions {
                                descending: !k.asc,
                                nulls_first: k.nulls_first,
                            },
                        )
                    })
                    .collect();
                merge.converter = RowConverter::new(sort_fields)?;
                fields = Some(());
            }
            cursor.rows = merge.converter.convert_columns(&columns)?;
            cursor.slot = merge.batches.len();
            merge.batches.push(batch);
            merge.cursors.push(cursor);
        }
        merge.heap = (0..merge.cursors.len()).collect();
        for i in (0..merge.heap.len() / 2).rev() {
            merge.sift_down(i);
        }
        Ok(merge)
    }

    fn key_columns(&self, batch: &RecordBatch) -> Result<Vec<arrow::array::ArrayRef>> {
        self.keys.iter().map(|k| evaluate(&k.expr, batch)).collect()
    }

    /// Whether input `a`'s current row comes before input `b`'s.
    fn before(&self, a: usize, b: usize) -> bool {
        let (ca, cb) = (&self.cursors[a], &self.cursors[b]);
        ca.rows.row(ca.at).cmp(&cb.rows.row(cb.at)).then(a.cmp(&b)) == std::cmp::Ordering::Less
    }

    fn sift_down(&mut self, mut i: usize) {
        let n = self.heap.len();
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            let mut smallest = i;
            if l < n && self.before(self.heap[l], self.heap[smallest]) {
                smallest = l;
            }
            if r < n && self.before(self.heap[r], self.heap[smallest]) {
                smallest = r;
            }
            if smallest == i {
                return;
            }
            self.heap.swap(i, smallest);
            i = smallest;
        }
    }

    /// Moves input `c` past its current row, loading its next batch when needed;
    /// false when it has no rows left.
    fn advance(&mut self, c: usize) -> Result<bool> {
        let cursor = &mut self.cursors[c];
        cursor.at += 1;
        if cursor.at < cursor.rows.num_rows() {
            return Ok(true);
        }
        let Some(batch) = next_nonempty(&mut cursor.stream)? else {
            return Ok(false);
        };
        let columns = self.key_columns(&batch)?;
        let rows = self.converter.convert_columns(&columns)?;
        let cursor = &mut self.cursors[c];
        cursor.rows = rows;
        cursor.at = 0;
        cursor.slot = self.batches.len();
        self.batches.push(batch);
        Ok(true)
    }

    /// The next output batch, if any rows are left.
    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        let mut picks: Vec<(usize, usize)> = Vec::with_capacity(BATCH_SIZE);
        while picks.len() < BATCH_SIZE {
            let Some(&c) = self.heap.first() else {
                break;
            };
            let cursor = &self.cursors[c];
            picks.push((cursor.slot, cursor.at));
            if !self.advance(c)? {
                let last = self.heap.len() - 1;
                self.heap.swap(0, last);
                self.heap.pop();
            }
            self.sift_down(0);
        }
        if picks.is_empty() {
            return Ok(None);
        }
        let sources: Vec<&RecordBatch> = self.batches.iter().collect();
        let out = interleave_record_batch(&sources, &picks)?;
        let out = RecordBatch::try_new(self.schema.clone(), out.columns().to_vec())?;
        // Keep only the batches the cursors still read from.
        let mut kept = Vec::with_capacity(self.cursors.len());
        for &c in &self.heap {
            let cursor = &mut self.cursors[c];
            let batch = self.batches[cursor.slot].clone();
            cursor.slot = kept.len();
            kept.push(batch);
        }
        self.batches = kept;
        Ok(Some(out))
    }
}

fn next_nonempty(stream: &mut SortedStream) -> Result<Option<RecordBatch>> {
    for batch in stream.by_ref() {
        let batch = batch?;
        if batch.num_rows() > 0 {
            return Ok(Some(batch));
        }
    }
    Ok(None)
}

impl Iterator for SortedMerge {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.next_batch() {
            Ok(batch) => batch.map(Ok),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// A stream of `batches` already in memory.
pub fn stream_of(batches: Vec<RecordBatch>) -> SortedStream {
    Box::new(batches.into_iter().map(Ok))
}

/// The first `fetch` rows of `stream`.
pub fn limit_stream(stream: SortedStream, fetch: usize) -> SortedStream {
    let mut left = fetch;
    Box::new(stream.map_while(move |batch| {
        if left == 0 {
            return None;
        }
        Some(batch.map(|b| {
            let keep = left.min(b.num_rows());
            left -= keep;
            b.slice(0, keep)
        }))
    }))
}
