//! DISTINCT inside an aggregate call: remembers which (group, value) pairs were seen,
//! so each value reaches the accumulator once per group.
//!
//! In: group ids and argument values. Out: the group ids and values of the rows that
//! are new pairs (NULLs dropped, as every aggregate ignores them).

use arrow::array::{Array, ArrayRef, UInt32Array};
use arrow::compute::take;
use arrow::row::{RowConverter, Rows, SortField};
use hashbrown::HashTable;

use crate::error::Result;
use crate::expr::cast::cast_array;
use crate::ops::hash::{combine, hash_bytes, hash_u64};

/// The (group, value) pairs seen so far by one `agg(DISTINCT x)`.
pub struct DistinctFilter {
    converter: Option<(RowConverter, arrow::datatypes::DataType)>,
    values: Option<Rows>,
    groups: Vec<u32>,
    hashes: Vec<u64>,
    table: HashTable<u32>,
}

impl Default for DistinctFilter {
    fn default() -> Self {
        Self::new()
    }
}

impl DistinctFilter {
    /// An empty filter.
    pub fn new() -> Self {
        DistinctFilter {
            converter: None,
            values: None,
            groups: Vec::new(),
            hashes: Vec::new(),
            table: HashTable::new(),
        }
    }

    /// Bytes it holds: the values seen, their groups and hashes, and the table.
    pub fn memory_size(&self) -> usize {
        self.values.as_ref().map_or(0, Rows::size)
            + self.groups.capacity() * std::mem::size_of::<u32>()
            + self.hashes.capacity() * std::mem::size_of::<u64>()
            // Each slot: the entry and one control byte.
            + self.table.capacity() * (std::mem::size_of::<u32>() + 1)
    }

    /// Keeps the rows whose (group, value) pair was not seen before.
    pub fn filter(&mut self, groups: &[u32], values: &ArrayRef) -> Result<(Vec<u32>, ArrayRef)> {
        if self.converter.is_none() {
            let t = values.data_type().clone();
            self.converter = Some((RowConverter::new(vec![SortField::new(t.clone())])?, t));
        }
        let Some((converter, data_type)) = self.converter.as_ref() else {
            return Ok((vec![], values.slice(0, 0)));
        };
        let values = cast_array(values, data_type)?;
        let seen = self
            .values
            .get_or_insert_with(|| converter.empty_rows(0, 0));
        let rows = converter.convert_columns(std::slice::from_ref(&values))?;
        let mut keep_groups = Vec::new();
        let mut keep_rows = Vec::new();
        for (i, (row, g)) in rows.iter().zip(groups).enumerate() {
            if values.is_null(i) {
                continue;
            }
            let h = combine(hash_u64(*g as u64), hash_bytes(row.data()));
            let known = self
                .table
                .find(h, |&e| {
                    self.groups[e as usize] == *g && seen.row(e as usize) == row
                })
                .is_some();
            if known {
                continue;
            }
            let e = self.groups.len() as u32;
            self.groups.push(*g);
            self.hashes.push(h);
            seen.push(row);
            let hashes = &self.hashes;
            self.table.insert_unique(h, e, |&e| hashes[e as usize]);
            keep_groups.push(*g);
            keep_rows.push(i as u32);
        }
        let kept = take(values.as_ref(), &UInt32Array::from(keep_rows), None)?;
        Ok((keep_groups, kept))
    }
}
