//! Nested loop join: every left row against every row of the materialized right
//! side, for joins without equality keys (Inner, Cross, Left, LeftSemi, LeftAnti,
//! LeftMark).
//!
//! In: the right batches once, then left batches. Out: joined batches, assembled by
//! [`crate::ops::join::join_output`]. Pairs are formed in chunks of left rows so a
//! chunk holds about 64K pairs.

use arrow::array::{BooleanArray, RecordBatch};
use arrow::compute::concat_batches;
use arrow::datatypes::SchemaRef;
use ember_planner::logical::JoinKind;
use ember_planner::physical::PhysExpr;

use crate::error::{EmberError, Result};
use crate::ops::join::join_output::{JoinSides, assemble, mark_output};

const PAIRS_PER_CHUNK: usize = 65_536;

/// A nested loop join with its right side in memory.
pub struct NestedLoopJoin {
    right: RecordBatch,
    kind: JoinKind,
    filter: Option<PhysExpr>,
    output_schema: SchemaRef,
}

impl NestedLoopJoin {
    /// Materializes the right side (batches of `right_schema`).
    pub fn new(
        right_batches: Vec<RecordBatch>,
        right_schema: SchemaRef,
        kind: JoinKind,
        filter: Option<PhysExpr>,
        output_schema: SchemaRef,
    ) -> Result<Self> {
        if matches!(
            kind,
            JoinKind::Right | JoinKind::Full | JoinKind::LeftMarkNullAware
        ) {
            return Err(EmberError::Unsupported(format!(
                "{kind:?} nested loop join"
            )));
        }
        let right = concat_batches(&right_schema, &right_batches)?;
        Ok(NestedLoopJoin {
            right,
            kind,
            filter,
            output_schema,
        })
    }

    /// Joins one left batch against the whole right side.
    pub fn probe(&self, left: &RecordBatch) -> Result<Vec<RecordBatch>> {
        let mut out = Vec::new();
        let mut start = 0;
        while let Some((batches, end)) = self.probe_from(left, start)? {
            out.extend(batches);
            start = end;
        }
        Ok(out)
    }

    /// Joins `left` against the whole right side one chunk of left rows at a time, as
    /// the chunks are asked for: the output of a large product is never all in memory.
    pub fn probe_chunks(
        self: std::sync::Arc<Self>,
        left: RecordBatch,
    ) -> impl Iterator<Item = Result<Vec<RecordBatch>>> + Send {
        let mut start = Some(0);
        std::iter::from_fn(move || match self.probe_from(&left, start?) {
            Ok(Some((batches, end))) => {
                start = Some(end);
                Some(Ok(batches))
            }
            Ok(None) => None,
            Err(e) => {
                start = None;
                Some(Err(e))
            }
        })
    }

    /// The output for the chunk of `left` rows from `start` and where the next chunk
    /// starts; `None` past the last row.
    fn probe_from(
        &self,
        left: &RecordBatch,
        start: usize,
    ) -> Result<Option<(Vec<RecordBatch>, usize)>> {
        let right_rows = self.right.num_rows();
        let left_rows = left.num_rows();
        if start >= left_rows {
            return Ok(None);
        }
        if self.kind == JoinKind::LeftMark && self.filter.is_none() {
            // Without a condition every left row matches exactly when the right side
            // has a row (an uncorrelated EXISTS).
            let mark = BooleanArray::from(vec![right_rows > 0; left_rows]);
            let batch = mark_output(&self.output_schema, left, 0..left_rows as u32, mark)?;
            return Ok(Some((crate::ops::split_batch(batch), left_rows)));
        }
        let chunk = (PAIRS_PER_CHUNK / right_rows.max(1)).max(1);
        let sides = JoinSides {
            kind: self.kind,
            build: &self.right,
            filter: self.filter.as_ref(),
            schema: &self.output_schema,
        };
        let end = (start + chunk).min(left_rows);
        let pairs = (end - start) * right_rows;
        let mut probe_idx = Vec::with_capacity(pairs);
        let mut build_idx = Vec::with_capacity(pairs);
        for l in start..end {
            for r in 0..right_rows {
                probe_idx.push(l as u32);
                build_idx.push(r as u32);
            }
        }
        let batches = assemble(
            &sides,
            left,
            start as u32..end as u32,
            probe_idx,
            build_idx,
            None,
        )?;
        Ok(Some((batches, end)))
    }
}
