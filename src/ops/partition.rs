//! Hash partitioning for exchanges: splits a batch by a fixed-seed hash of its key
//! columns, so equal keys go to the same partition in every task.
//!
//! In: a batch, key expressions and a partition count. Out: `(partition, piece)`
//! pairs, empty pieces left out.

use arrow::array::{RecordBatch, UInt32Array};
use arrow::compute::take_record_batch;
use ember_planner::physical::PhysExpr;

use crate::error::{EmberError, Result};
use crate::expr::evaluate;
use crate::ops::hash::hash_columns;

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
}
