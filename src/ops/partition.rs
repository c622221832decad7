//! Hash partitioning for exchanges: splits a batch by a fixed-seed hash of its key
//! columns, so equal keys go to the same partition in every task. Also the finer split
//! of one partition into parts, for a task that runs short of memory.
//!
//! In: a batch, key expressions and a partition count. Out: `(partition, piece)`
//! pairs, empty pieces left out; or the rows of one part.

use arrow::array::{ArrayRef, RecordBatch, UInt32Array};
use arrow::compute::take_record_batch;
use ember_planner::physical::PhysExpr;

use crate::error::{EmberError, Result};
use crate::expr::evaluate;
use crate::ops::hash::{hash_columns, part_of_hash};

/// Mixed into the key hash before it picks a part, so that the parts of one partition
/// are independent of the exchange that formed it (whose rows share `hash % n`).
const PART_SALT: u64 = 0x2545_f491_4f6c_dd1d;

/// Splits `batch` into `num_partitions` pieces by the hash of `keys`.
pub fn hash_partition(
    batch: &RecordBatch,
    keys: &[PhysExpr],
    num_partitions: usize,
) -> Result<Vec<(usize, RecordBatch)>> {
    if num_partitions == 0 {
        return Err(EmberError::internal("hash partitioning into 0 partitions"));
    }
    if batch.num_rows() == 0 {
        return Ok(vec![]);
    }
    if num_partitions == 1 {
        return Ok(vec![(0, batch.clone())]);
    }
    let columns = keys
        .iter()
        .map(|k| evaluate(k, batch))
        .collect::<Result<Vec<_>>>()?;
    let mut hashes = Vec::new();
    hash_columns(&columns, batch.num_rows(), &mut hashes)?;
    let mut indices: Vec<Vec<u32>> = vec![Vec::new(); num_partitions];
    for (row, h) in hashes.iter().enumerate() {
        // The high bits feed the partition so the low bits stay free for hash tables.
        let p = ((h >> 32) % num_partitions as u64) as usize;
        if let Some(v) = indices.get_mut(p) {
            v.push(row as u32);
        }
    }
    let mut out = Vec::new();
    for (p, rows) in indices.into_iter().enumerate() {
        if rows.is_empty() {
            continue;
        }
        if rows.len() == batch.num_rows() {
            out.push((p, batch.clone()));
            continue;
        }
        out.push((p, take_record_batch(batch, &UInt32Array::from(rows))?));
    }
    Ok(out)
}

/// The rows of `batch` in part `part` of `parts`, by a hash of `keys` (one value per
/// row each): rows with equal keys fall in the same part, whatever the batch. `None`
/// when no row does.
pub fn rows_of_part(
    batch: &RecordBatch,
    keys: &[ArrayRef],
    part: usize,
    parts: usize,
) -> Result<Option<RecordBatch>> {
    if parts <= 1 {
        return Ok((batch.num_rows() > 0).then(|| batch.clone()));
    }
    let mut hashes = Vec::new();
    hash_columns(keys, batch.num_rows(), &mut hashes)?;
    let rows: Vec<u32> = hashes
        .iter()
        .enumerate()
        .filter(|(_, h)| part_of_hash(**h, PART_SALT, parts) == part)
        .map(|(row, _)| row as u32)
        .collect();
    Ok(match rows.len() {
        0 => None,
        n if n == batch.num_rows() => Some(batch.clone()),
        _ => Some(take_record_batch(batch, &UInt32Array::from(rows))?),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use arrow::array::{Array, AsArray, Int32Array, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Int64Type, Schema};

    use super::*;

    fn batch(keys: Vec<Option<i64>>, names: Vec<&str>) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            Field::new("s", DataType::Utf8, false),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(keys)),
                Arc::new(StringArray::from(names)),
            ],
        )
        .unwrap()
    }

    fn placement(batch: &RecordBatch, n: usize) -> HashMap<(Option<i64>, String), usize> {
        let keys = [PhysExpr::column(0, "k"), PhysExpr::column(1, "s")];
        let mut seen = HashMap::new();
        let mut total = 0;
        for (p, piece) in hash_partition(batch, &keys, n).unwrap() {
            assert!(piece.num_rows() > 0);
            total += piece.num_rows();
            let k = piece.column(0).as_primitive::<Int64Type>();
            let s = piece.column(1).as_string::<i32>();
            for i in 0..piece.num_rows() {
                let key = (k.is_valid(i).then(|| k.value(i)), s.value(i).to_string());
                if let Some(old) = seen.insert(key, p) {
                    assert_eq!(old, p);
                }
            }
        }
        assert_eq!(total, batch.num_rows());
        seen
    }

    #[test]
    fn equal_keys_share_a_partition_across_batches() {
        let a = batch(
            vec![Some(1), Some(2), None, Some(1), Some(7), Some(8)],
            vec!["x", "y", "z", "x", "q", "r"],
        );
        let b = batch(
            vec![Some(7), None, Some(1), Some(2)],
            vec!["q", "z", "x", "y"],
        );
        let pa = placement(&a, 4);
        let pb = placement(&b, 4);
        for (k, p) in &pb {
            assert_eq!(pa.get(k), Some(p));
        }
    }

    #[test]
    fn int32_and_int64_keys_hash_alike() {
        let schema32 = Arc::new(Schema::new(vec![Field::new("k", DataType::Int32, false)]));
        let schema64 = Arc::new(Schema::new(vec![Field::new("k", DataType::Int64, false)]));
        let values: Vec<i64> = (0..50).collect();
        let b32 = RecordBatch::try_new(
            schema32,
            vec![Arc::new(Int32Array::from_iter_values(
                values.iter().map(|v| *v as i32),
            ))],
        )
        .unwrap();
        let b64 = RecordBatch::try_new(schema64, vec![Arc::new(Int64Array::from(values))]).unwrap();
        let key = [PhysExpr::column(0, "k")];
        let p32 = hash_partition(&b32, &key, 5).unwrap();
        let p64 = hash_partition(&b64, &key, 5).unwrap();
        let sizes = |v: &Vec<(usize, RecordBatch)>| -> Vec<(usize, usize)> {
            v.iter().map(|(p, b)| (*p, b.num_rows())).collect()
        };
        assert_eq!(sizes(&p32), sizes(&p64));
        assert!(
            p32.len() > 1,
            "50 keys should spread over several partitions"
        );
    }

    #[test]
    fn parts_hold_every_row_once_and_keys_whole() {
        let keys: Vec<Option<i64>> = (0..400).map(|i| (i % 37 != 0).then_some(i % 23)).collect();
        let names: Vec<String> = (0..400).map(|i| format!("n{}", i % 5)).collect();
        let b = batch(keys, names.iter().map(String::as_str).collect());
        let key_columns = vec![b.column(0).clone()];
        // All rows share one exchange partition of 2 here; the parts still spread.
        let mut owner: HashMap<Option<i64>, usize> = HashMap::new();
        let mut total = 0;
        let mut used = 0;
        for part in 0..4 {
            let Some(piece) = rows_of_part(&b, &key_columns, part, 4).unwrap() else {
                continue;
            };
            used += 1;
            total += piece.num_rows();
            let k = piece.column(0).as_primitive::<Int64Type>();
            for i in 0..piece.num_rows() {
                let key = k.is_valid(i).then(|| k.value(i));
                assert_eq!(*owner.entry(key).or_insert(part), part);
            }
        }
        assert_eq!(total, 400);
        assert!(used > 1, "24 keys should spread over several parts");
        let whole = rows_of_part(&b, &key_columns, 0, 1).unwrap();
        assert_eq!(whole.map(|w| w.num_rows()), Some(400));
    }
}
