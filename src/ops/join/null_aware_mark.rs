//! The third value of a null-aware mark join (SQL's `x IN (subquery)` where NULLs
//! may appear): which probe rows that matched nothing get a NULL mark, not FALSE.
//!
//! In: the build batch, indexed once into [`MarkGroups`] beside the join's hash table;
//! then per probe batch its key columns (the IN value `x` first, then the other keys),
//! the rows that matched and the join filter. Out: for each probe row, whether its mark
//! is unknown — it matched nothing, its other keys are all non-NULL, and among the build
//! rows with equal other keys that pass the filter (its group) there is any row at all
//! when its `x` is NULL, or one whose `y` is NULL.

use arrow::array::{Array, ArrayRef, RecordBatch};
use ember_planner::physical::PhysExpr;

use crate::error::{EmberError, Result};
use crate::expr::evaluate;
use crate::ops::join::hash_join::JoinHashTable;
use crate::ops::join::join_output::passing_pairs;

/// Pairs checked against the filter at a time.
const PAIRS_PER_CHUNK: usize = 65_536;

/// The build rows grouped by the keys after the first, and where the first is NULL.
pub struct MarkGroups {
    /// Index by the other keys; `None` when there are none (all rows are one group).
    by_rest: Option<JoinHashTable>,
    /// Build rows whose `y` is NULL.
    null_rows: Vec<u32>,
    /// For each build row, whether its `y` is NULL.
    is_null: Vec<bool>,
}

impl MarkGroups {
    /// Indexes `build` by `keys` (build-side key expressions, the IN value first).
    pub fn build(build: &RecordBatch, keys: &[PhysExpr]) -> Result<Self> {
        let first = keys
            .first()
            .ok_or_else(|| EmberError::internal("null-aware mark join without keys"))?;
        let y = evaluate(first, build)?;
        let nulls = y.logical_nulls();
        let is_null: Vec<bool> = (0..build.num_rows())
            .map(|i| nulls.as_ref().is_some_and(|n| n.is_null(i)))
            .collect();
        let null_rows = (0..is_null.len() as u32)
            .filter(|&i| is_null[i as usize])
            .collect();
        let by_rest = match keys.get(1..) {
            Some(rest) if !rest.is_empty() => Some(JoinHashTable::build(
                vec![build.clone()],
                rest,
                build.schema(),
            )?),
            _ => None,
        };
        Ok(MarkGroups {
            by_rest,
            null_rows,
            is_null,
        })
    }

    /// For each row of `probe`, whether its mark is NULL (see the module documentation).
    pub fn unknown(
        &self,
        build: &RecordBatch,
        probe: &RecordBatch,
        probe_keys: &[ArrayRef],
        matched: &[bool],
        filter: Option<&PhysExpr>,
    ) -> Result<Vec<bool>> {
        let rows = probe.num_rows();
        let mut unknown = vec![false; rows];
        let Some(x) = probe_keys.first() else {
            return Err(EmberError::internal("null-aware mark join without keys"));
        };
        if build.num_rows() == 0 {
            return Ok(unknown);
        }
        let x_nulls = x.logical_nulls();
        let x_null = |p: usize| x_nulls.as_ref().is_some_and(|n| n.is_null(p));
        let open = |p: usize| !matched.get(p).copied().unwrap_or(true);
        let mut chunk = PairChunk::default();
        match &self.by_rest {
            Some(table) => {
                let (pi, bi) = table.candidates(&probe_keys[1..], rows)?;
                for (p, b) in pi.into_iter().zip(bi) {
                    let (pu, bu) = (p as usize, b as usize);
                    if open(pu) && (x_null(pu) || self.is_null.get(bu).copied().unwrap_or(false)) {
                        chunk.push(p, b);
                        chunk.flush_if_full(filter, probe, build, &mut unknown)?;
                    }
                }
            }
            None if filter.is_none() => {
                // One group, every row passing: a NULL `x` or a NULL `y` anywhere decides.
                for (p, u) in unknown.iter_mut().enumerate() {
                    *u = open(p) && (x_null(p) || !self.null_rows.is_empty());
                }
                return Ok(unknown);
            }
            None => {
                for p in (0..rows).filter(|&p| open(p)) {
                    if x_null(p) {
                        for b in 0..build.num_rows() as u32 {
                            chunk.push(p as u32, b);
                            chunk.flush_if_full(filter, probe, build, &mut unknown)?;
                        }
                    } else {
                        for &b in &self.null_rows {
                            chunk.push(p as u32, b);
                            chunk.flush_if_full(filter, probe, build, &mut unknown)?;
                        }
                    }
                }
            }
        }
        chunk.flush(filter, probe, build, &mut unknown)?;
        Ok(unknown)
    }
}

/// Candidate (probe, build) pairs waiting for the filter.
#[derive(Default)]
struct PairChunk {
    probe: Vec<u32>,
    build: Vec<u32>,
}

impl PairChunk {
    fn push(&mut self, p: u32, b: u32) {
        self.probe.push(p);
        self.build.push(b);
    }

    fn flush_if_full(
        &mut self,
        filter: Option<&PhysExpr>,
        probe: &RecordBatch,
        build: &RecordBatch,
        unknown: &mut [bool],
    ) -> Result<()> {
        if self.probe.len() >= PAIRS_PER_CHUNK {
            self.flush(filter, probe, build, unknown)?;
        }
        Ok(())
    }

    /// Marks unknown the probe rows of the pairs passing `filter`, and empties the chunk.
    fn flush(
        &mut self,
        filter: Option<&PhysExpr>,
        probe: &RecordBatch,
        build: &RecordBatch,
        unknown: &mut [bool],
    ) -> Result<()> {
        let p = std::mem::take(&mut self.probe);
        let b = std::mem::take(&mut self.build);
        let (passed, _) = passing_pairs(filter, probe, build, p, b)?;
        for p in passed {
            if let Some(u) = unknown.get_mut(p as usize) {
                *u = true;
            }
        }
        Ok(())
    }
}
