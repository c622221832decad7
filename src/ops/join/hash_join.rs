//! Hash join: a [`JoinHashTable`] built once over the right (build) side and shared,
//! and a [`HashJoinProbe`] per task that streams left (probe) batches through it.
//!
//! In: build batches and key expressions; then probe batches and their keys. Out:
//! joined batches (see [`crate::ops::join::join_output`]); for Right and Full joins
//! [`HashJoinProbe::finish`] adds the build rows this probe never matched.
//! Keys with a NULL never match; a null-aware mark join asks [`MarkGroups`] which
//! unmatched rows are unknown. One INT/BIGINT/DATE key uses a `HashMap<i64, u32>`;
//! other keys are arrow-row bytes in a `HashTable`. Equal keys chain through `next`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch};
use arrow::buffer::NullBuffer;
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, Date32Type, Int32Type, Int64Type, SchemaRef};
use arrow::row::{RowConverter, Rows, SortField};
use ember_planner::logical::JoinKind;
use ember_planner::physical::PhysExpr;
use hashbrown::{HashMap, HashTable};

use crate::error::{EmberError, Result};
use crate::expr::cast::cast_array;
use crate::expr::evaluate;
use crate::memory::OperatorMemory;
use crate::ops::hash::hash_bytes;
use crate::ops::join::join_output::{
    JoinSides, assemble, mark_output, matched_rows, passing_pairs, unmatched_build_rows,
};
use crate::ops::join::null_aware_mark::MarkGroups;
use crate::ops::split_batch;

const END: u32 = u32::MAX;

/// The build side of a hash join: its rows and an index from key to rows.
pub struct JoinHashTable {
    batch: RecordBatch,
    key_types: Vec<DataType>,
    index: KeyIndex,
    /// For each build row, the next build row with the same key (or `END`).
    next: Vec<u32>,
    /// True when some build row has a NULL in its key.
    has_null_key: bool,
}

enum KeyIndex {
    Int(HashMap<i64, u32>),
    Rows {
        converter: RowConverter,
        rows: Rows,
        table: HashTable<u32>,
    },
}

/// Reads an integer-like key column as i64 values.
fn int_values(column: &ArrayRef) -> Option<Vec<i64>> {
    Some(match column.data_type() {
        DataType::Int64 => column.as_primitive::<Int64Type>().values().to_vec(),
        DataType::Int32 => column
            .as_primitive::<Int32Type>()
            .values()
            .iter()
            .map(|v| *v as i64)
            .collect(),
        DataType::Date32 => column
            .as_primitive::<Date32Type>()
            .values()
            .iter()
            .map(|v| *v as i64)
            .collect(),
        _ => return None,
    })
}

/// Rows where every key column is non-NULL.
pub(crate) fn key_validity(columns: &[ArrayRef]) -> Option<NullBuffer> {
    columns.iter().fold(None, |acc, c| {
        NullBuffer::union(acc.as_ref(), c.logical_nulls().as_ref())
    })
}

impl JoinHashTable {
    /// Concatenates the build batches (of `schema`) and indexes them by `keys`.
    pub fn build(batches: Vec<RecordBatch>, keys: &[PhysExpr], schema: SchemaRef) -> Result<Self> {
        let batch = concat_batches(&schema, &batches)?;
        drop(batches);
        let columns = keys
            .iter()
            .map(|k| evaluate(k, &batch))
            .collect::<Result<Vec<_>>>()?;
        let key_types: Vec<DataType> = columns.iter().map(|c| c.data_type().clone()).collect();
        let valid = key_validity(&columns);
        let rows = batch.num_rows();
        let has_null_key = valid.as_ref().is_some_and(|v| v.null_count() > 0);
        let mut next = vec![END; rows];
        let is_valid = |i: usize| valid.as_ref().is_none_or(|v| v.is_valid(i));
        let single_int = match columns.as_slice() {
            [c] => int_values(c),
            _ => None,
        };
        let index = if let Some(values) = single_int {
            let mut map: HashMap<i64, u32> = HashMap::with_capacity(rows);
            // Inserting backwards keeps each chain in build-row order.
            for i in (0..rows).rev() {
                if !is_valid(i) {
                    continue;
                }
                if let Some(head) = map.insert(values[i], i as u32) {
                    next[i] = head;
                }
            }
            KeyIndex::Int(map)
        } else {
            if columns.is_empty() {
                return Err(EmberError::internal("hash join without keys"));
            }
            let fields = key_types
                .iter()
                .map(|t| SortField::new(t.clone()))
                .collect();
            let converter = RowConverter::new(fields)?;
            let encoded = converter.convert_columns(&columns)?;
            let mut table: HashTable<u32> = HashTable::with_capacity(rows);
            let mut hashes = vec![0u64; rows];
            for i in (0..rows).rev() {
                if !is_valid(i) {
                    continue;
                }
                let row = encoded.row(i);
                let h = hash_bytes(row.data());
                hashes[i] = h;
                match table.find_mut(h, |&r| encoded.row(r as usize) == row) {
                    Some(head) => {
                        next[i] = *head;
                        *head = i as u32;
                    }
                    None => {
                        table.insert_unique(h, i as u32, |&r| hashes[r as usize]);
                    }
                }
            }
            KeyIndex::Rows {
                converter,
                rows: encoded,
                table,
            }
        };
        Ok(JoinHashTable {
            batch,
            key_types,
            index,
            next,
            has_null_key,
        })
    }

    /// The build rows.
    pub fn batch(&self) -> &RecordBatch {
        &self.batch
    }

    /// Sets `marks[r]` for every build row `r` whose key equals the key of some row of
    /// `probe_keys` (NULL keys match nothing).
    pub fn mark_matches(
        &self,
        probe_keys: &[ArrayRef],
        rows: usize,
        marks: &[AtomicBool],
    ) -> Result<()> {
        let (_, build_idx) = self.candidates(probe_keys, rows)?;
        for b in build_idx {
            if let Some(m) = marks.get(b as usize) {
                m.store(true, Ordering::Relaxed);
            }
        }
        Ok(())
    }

    /// Candidate pairs (probe row, build row) with equal non-NULL keys.
    pub(crate) fn candidates(
        &self,
        probe_keys: &[ArrayRef],
        rows: usize,
    ) -> Result<(Vec<u32>, Vec<u32>)> {
        let columns = probe_keys
            .iter()
            .zip(&self.key_types)
            .map(|(c, t)| cast_array(c, t))
            .collect::<Result<Vec<_>>>()?;
        let valid = key_validity(&columns);
        let is_valid = |i: usize| valid.as_ref().is_none_or(|v| v.is_valid(i));
        let mut probe_idx = Vec::with_capacity(rows);
        let mut build_idx = Vec::with_capacity(rows);
        let mut emit = |p: usize, head: u32| {
            let mut r = head;
            while r != END {
                probe_idx.push(p as u32);
                build_idx.push(r);
                r = self.next.get(r as usize).copied().unwrap_or(END);
            }
        };
        match &self.index {
            KeyIndex::Int(map) => {
                let values = columns
                    .first()
                    .and_then(int_values)
                    .ok_or_else(|| EmberError::internal("integer join key expected"))?;
                for (p, v) in values.iter().enumerate() {
                    if is_valid(p)
                        && let Some(head) = map.get(v)
                    {
                        emit(p, *head);
                    }
                }
            }
            KeyIndex::Rows {
                converter,
                rows: build_rows,
                table,
            } => {
                let encoded = converter.convert_columns(&columns)?;
                for (p, row) in encoded.iter().enumerate() {
                    if !is_valid(p) {
                        continue;
                    }
                    let h = hash_bytes(row.data());
                    if let Some(head) = table.find(h, |&r| build_rows.row(r as usize) == row) {
                        emit(p, *head);
                    }
                }
            }
        }
        Ok((probe_idx, build_idx))
    }
}

/// One task's probe side of a hash join.
pub struct HashJoinProbe {
    table: Arc<JoinHashTable>,
    kind: JoinKind,
    probe_keys: Vec<PhysExpr>,
    filter: Option<PhysExpr>,
    output_schema: SchemaRef,
    /// Build rows matched so far (Right and Full joins only).
    visited: Vec<bool>,
    /// The build rows' groups, for a null-aware mark join.
    mark_groups: Option<Arc<MarkGroups>>,
}

impl HashJoinProbe {
    /// A probe of `table` for a join of `kind`.
    pub fn new(
        table: Arc<JoinHashTable>,
        kind: JoinKind,
        probe_keys: Vec<PhysExpr>,
        filter: Option<PhysExpr>,
        output_schema: SchemaRef,
    ) -> Self {
        let visited = if matches!(kind, JoinKind::Right | JoinKind::Full) {
            vec![false; table.batch.num_rows()]
        } else {
            vec![]
        };
        HashJoinProbe {
            table,
            kind,
            probe_keys,
            filter,
            output_schema,
            visited,
            mark_groups: None,
        }
    }

    /// Gives a null-aware mark join the groups of its build rows.
    pub fn with_mark_groups(mut self, groups: Arc<MarkGroups>) -> Self {
        self.mark_groups = Some(groups);
        self
    }

    /// Joins one probe batch.
    pub fn probe(&mut self, batch: &RecordBatch) -> Result<Vec<RecordBatch>> {
        if self.kind == JoinKind::Cross {
            return Err(EmberError::internal("a cross join has no hash keys"));
        }
        let keys = self
            .probe_keys
            .iter()
            .map(|k| evaluate(k, batch))
            .collect::<Result<Vec<_>>>()?;
        let rows = batch.num_rows();
        let mut kind = self.kind;
        let (mut probe_idx, mut build_idx) = self.table.candidates(&keys, rows)?;
        if kind == JoinKind::LeftMarkNullAware {
            return self.null_aware_mark(batch, &keys, probe_idx, build_idx);
        }
        if kind == JoinKind::LeftAntiNullAware {
            // SQL's NOT IN: against an empty set every row qualifies; a NULL in the set
            // makes every comparison unknown, so no row does; otherwise a NULL probe key
            // is unknown too, so it counts as matched and is dropped.
            if self.table.batch.num_rows() == 0 {
                return Ok(vec![batch.clone()]);
            }
            if self.table.has_null_key {
                return Ok(vec![]);
            }
            if let Some(valid) = key_validity(&keys) {
                for p in (0..rows).filter(|&p| valid.is_null(p)) {
                    probe_idx.push(p as u32);
                    build_idx.push(0);
                }
                let mut pairs: Vec<(u32, u32)> = probe_idx.into_iter().zip(build_idx).collect();
                pairs.sort_unstable();
                (probe_idx, build_idx) = pairs.into_iter().unzip();
            }
            kind = JoinKind::LeftAnti;
        }
        let sides = JoinSides {
            kind,
            build: &self.table.batch,
            filter: self.filter.as_ref(),
            schema: &self.output_schema,
        };
        let visited = (!self.visited.is_empty()).then_some(self.visited.as_mut_slice());
        assemble(&sides, batch, 0..rows as u32, probe_idx, build_idx, visited)
    }

    /// A null-aware mark join's output for one probe batch: TRUE where a pair passes
    /// the filter, else NULL where the groups say unknown, else FALSE.
    fn null_aware_mark(
        &self,
        batch: &RecordBatch,
        keys: &[ArrayRef],
        probe_idx: Vec<u32>,
        build_idx: Vec<u32>,
    ) -> Result<Vec<RecordBatch>> {
        let groups = self
            .mark_groups
            .as_ref()
            .ok_or_else(|| EmberError::internal("null-aware mark join without its groups"))?;
        let build = &self.table.batch;
        let filter = self.filter.as_ref();
        let rows = 0..batch.num_rows() as u32;
        let (passed, _) = passing_pairs(filter, batch, build, probe_idx, build_idx)?;
        let matched = matched_rows(&passed, &rows);
        let unknown = groups.unknown(build, batch, keys, &matched, filter)?;
        let mark: BooleanArray = matched
            .iter()
            .zip(&unknown)
            .map(|(m, u)| (*m || !*u).then_some(*m))
            .collect();
        Ok(split_batch(mark_output(
            &self.output_schema,
            batch,
            rows,
            mark,
        )?))
    }

    /// For Right and Full joins, the build rows never matched (NULL left columns);
    /// nothing for other kinds.
    pub fn finish(&mut self) -> Result<Vec<RecordBatch>> {
        if !matches!(self.kind, JoinKind::Right | JoinKind::Full) {
            return Ok(vec![]);
        }
        let sides = JoinSides {
            kind: self.kind,
            build: &self.table.batch,
            filter: self.filter.as_ref(),
            schema: &self.output_schema,
        };
        let out = unmatched_build_rows(&sides, &self.visited)?;
        // A second call emits nothing.
        self.visited.iter_mut().for_each(|v| *v = true);
        Ok(out)
    }
}

/// A probe run lazily over a stream of probe batches: each pull joins probe batches
/// until some output comes; after the last, the build rows never matched (Right and
/// Full joins). `memory`, the table's reservation, is held until the stream ends, fails
/// or is dropped.
pub struct ProbeStream<I> {
    probe: HashJoinProbe,
    input: Option<I>,
    out: VecDeque<RecordBatch>,
    memory: Option<OperatorMemory>,
}

impl<I> ProbeStream<I> {
    /// Streams `input` through `probe`, holding `memory` meanwhile.
    pub fn new(probe: HashJoinProbe, input: I, memory: Option<OperatorMemory>) -> Self {
        ProbeStream {
            probe,
            input: Some(input),
            out: VecDeque::new(),
            memory,
        }
    }
}

impl<I: Iterator<Item = Result<RecordBatch>>> Iterator for ProbeStream<I> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(batch) = self.out.pop_front() {
                return Some(Ok(batch));
            }
            let input = self.input.as_mut()?;
            let step = match input.next() {
                Some(Ok(batch)) => self.probe.probe(&batch),
                Some(Err(e)) => Err(e),
                None => {
                    self.input = None;
                    let rest = self.probe.finish();
                    self.memory = None;
                    rest
                }
            };
            match step {
                Ok(batches) => self.out.extend(batches),
                Err(e) => {
                    self.input = None;
                    self.memory = None;
                    return Some(Err(e));
                }
            }
        }
    }
}
