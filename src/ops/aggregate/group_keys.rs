//! Group keys: turns the group-by columns of each batch into dense group ids
//! (0, 1, 2, ... in order of first appearance) and gives the distinct keys back as
//! columns at the end.
//!
//! One INT/BIGINT/DATE key uses a `HashMap<i64, u32>`; anything else is encoded with
//! arrow-row into one shared byte arena and found through a `HashTable` of group ids,
//! so no row allocates. NULL is a group of its own.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Date32Array, Int32Array, Int64Array};
use arrow::datatypes::{DataType, Date32Type, Int32Type, Int64Type};
use arrow::row::{RowConverter, Rows, SortField};
use hashbrown::{HashMap, HashTable};

use crate::error::{EmberError, Result};
use crate::expr::cast::cast_array;
use crate::ops::hash::hash_bytes;

/// Distinct group keys seen so far, each with a dense id.
pub struct GroupKeys {
    keys: Keys,
}

enum Keys {
    /// No GROUP BY: every row is in group 0.
    Global,
    /// One integer-like key.
    Int {
        data_type: DataType,
        map: HashMap<i64, u32>,
        values: Vec<i64>,
        null_group: Option<u32>,
    },
    /// Any keys, as arrow-row bytes.
    Rows {
        types: Vec<DataType>,
        converter: RowConverter,
        rows: Rows,
        hashes: Vec<u64>,
        table: HashTable<u32>,
    },
}

impl GroupKeys {
    /// Keys of the given column types (none: one global group).
    pub fn new(types: &[DataType]) -> Result<Self> {
        let keys = match types {
            [] => Keys::Global,
            [t @ (DataType::Int32 | DataType::Int64 | DataType::Date32)] => Keys::Int {
                data_type: t.clone(),
                map: HashMap::new(),
                values: Vec::new(),
                null_group: None,
            },
            _ => {
                let fields = types.iter().map(|t| SortField::new(t.clone())).collect();
                let converter = RowConverter::new(fields)?;
                let rows = converter.empty_rows(0, 0);
                Keys::Rows {
                    types: types.to_vec(),
                    converter,
                    rows,
                    hashes: Vec::new(),
                    table: HashTable::new(),
                }
            }
        };
        Ok(GroupKeys { keys })
    }

    /// Bytes the keys and their index hold (by capacity: what was allocated).
    pub fn memory_size(&self) -> usize {
        match &self.keys {
            Keys::Global => 0,
            Keys::Int { map, values, .. } => {
                map.capacity() * (size_of::<(i64, u32)>() + 1) + values.capacity() * 8
            }
            Keys::Rows {
                rows,
                hashes,
                table,
                ..
            } => rows.size() + hashes.capacity() * 8 + table.capacity() * (size_of::<u32>() + 1),
        }
    }

    /// The number of groups so far (1 without GROUP BY).
    pub fn num_groups(&self) -> usize {
        match &self.keys {
            Keys::Global => 1,
            Keys::Int { values, .. } => values.len(),
            Keys::Rows { rows, .. } => rows.num_rows(),
        }
    }

    /// Writes the group id of each of the `rows` rows of `columns` into `ids`.
    pub fn intern(&mut self, columns: &[ArrayRef], rows: usize, ids: &mut Vec<u32>) -> Result<()> {
        ids.clear();
        match &mut self.keys {
            Keys::Global => ids.resize(rows, 0),
            Keys::Int {
                data_type,
                map,
                values,
                null_group,
            } => {
                let column = columns
                    .first()
                    .ok_or_else(|| EmberError::internal("missing group column"))?;
                let column = cast_array(column, data_type)?;
                let mut intern_one = |valid: bool, v: i64| -> u32 {
                    if !valid {
                        return *null_group.get_or_insert_with(|| {
                            values.push(0);
                            (values.len() - 1) as u32
                        });
                    }
                    *map.entry(v).or_insert_with(|| {
                        values.push(v);
                        (values.len() - 1) as u32
                    })
                };
                ids.reserve(rows);
                match data_type {
                    DataType::Int64 => {
                        let a = column.as_primitive::<Int64Type>();
                        for (i, v) in a.values().iter().enumerate() {
                            ids.push(intern_one(a.is_valid(i), *v));
                        }
                    }
                    DataType::Int32 => {
                        let a = column.as_primitive::<Int32Type>();
                        for (i, v) in a.values().iter().enumerate() {
                            ids.push(intern_one(a.is_valid(i), *v as i64));
                        }
                    }
                    _ => {
                        let a = column.as_primitive::<Date32Type>();
                        for (i, v) in a.values().iter().enumerate() {
                            ids.push(intern_one(a.is_valid(i), *v as i64));
                        }
                    }
                }
            }
            Keys::Rows {
                types,
                converter,
                rows: groups,
                hashes,
                table,
            } => {
                let columns = columns
                    .iter()
                    .zip(types.iter())
                    .map(|(c, t)| cast_array(c, t))
                    .collect::<Result<Vec<_>>>()?;
                let batch_rows = converter.convert_columns(&columns)?;
                ids.reserve(rows);
                for row in batch_rows.iter() {
                    let h = hash_bytes(row.data());
                    let found = table.find(h, |&g| groups.row(g as usize) == row);
                    let id = match found {
                        Some(g) => *g,
                        None => {
                            let g = groups.num_rows() as u32;
                            groups.push(row);
                            hashes.push(h);
                            table.insert_unique(h, g, |&g| hashes[g as usize]);
                            g
                        }
                    };
                    ids.push(id);
                }
            }
        }
        Ok(())
    }

    /// The distinct keys as columns, in group id order.
    pub fn into_columns(self) -> Result<Vec<ArrayRef>> {
        Ok(match self.keys {
            Keys::Global => vec![],
            Keys::Int {
                data_type,
                values,
                null_group,
                ..
            } => {
                let valid = |i: usize| null_group != Some(i as u32);
                let column: ArrayRef = match data_type {
                    DataType::Int64 => Arc::new(Int64Array::from_iter(
                        values
                            .iter()
                            .enumerate()
                            .map(|(i, v)| valid(i).then_some(*v)),
                    )),
                    DataType::Int32 => Arc::new(Int32Array::from_iter(
                        values
                            .iter()
                            .enumerate()
                            .map(|(i, v)| valid(i).then_some(*v as i32)),
                    )),
                    _ => Arc::new(Date32Array::from_iter(
                        values
                            .iter()
                            .enumerate()
                            .map(|(i, v)| valid(i).then_some(*v as i32)),
                    )),
                };
                vec![column]
            }
            Keys::Rows {
                converter, rows, ..
            } => converter.convert_rows(rows.iter())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::StringArray;

    use super::*;

    #[test]
    fn int_keys_get_dense_ids_with_a_null_group() {
        let mut keys = GroupKeys::new(&[DataType::Int64]).unwrap();
        let col: ArrayRef = Arc::new(Int64Array::from(vec![
            Some(5),
            None,
            Some(5),
            Some(2),
            None,
        ]));
        let mut ids = Vec::new();
        keys.intern(&[col], 5, &mut ids).unwrap();
        assert_eq!(ids, vec![0, 1, 0, 2, 1]);
        let out = keys.into_columns().unwrap();
        let out = out[0].as_primitive::<Int64Type>();
        assert_eq!(out.len(), 3);
        assert_eq!(out.value(0), 5);
        assert!(out.is_null(1));
        assert_eq!(out.value(2), 2);
    }

    #[test]
    fn multi_column_keys_across_batches() {
        let mut keys = GroupKeys::new(&[DataType::Utf8, DataType::Int64]).unwrap();
        let mut ids = Vec::new();
        let a: ArrayRef = Arc::new(StringArray::from(vec!["a", "a", "b"]));
        let b: ArrayRef = Arc::new(Int64Array::from(vec![1, 2, 1]));
        keys.intern(&[a, b], 3, &mut ids).unwrap();
        assert_eq!(ids, vec![0, 1, 2]);
        let a: ArrayRef = Arc::new(StringArray::from(vec!["b", "a"]));
        let b: ArrayRef = Arc::new(Int64Array::from(vec![1, 2]));
        keys.intern(&[a, b], 2, &mut ids).unwrap();
        assert_eq!(ids, vec![2, 1]);
        let cols = keys.into_columns().unwrap();
        assert_eq!(cols[0].as_string::<i32>().value(2), "b");
        assert_eq!(cols[1].as_primitive::<Int64Type>().value(1), 2);
    }
}
