//! Sort: orders batches by several keys (ASC/DESC, NULLS FIRST/LAST) with Arrow's
//! `lexsort_to_indices`, keeping only the first `fetch` rows when asked.
//!
//! In: all batches of a partition, the keys, an optional fetch and the schema. Out:
//! sorted batches of at most [`crate::ops::BATCH_SIZE`] rows. A small fetch goes
//! through [`crate::ops::topk::TopK`] so memory stays bounded by k.

use arrow::array::{RecordBatch, UInt32Array};
use arrow::compute::{
    SortColumn, SortOptions, concat_batches, lexsort_to_indices, take_record_batch,
};
use arrow::datatypes::SchemaRef;
use ember_planner::physical::PhysSortKey;

use crate::error::Result;
use crate::expr::evaluate;
use crate::ops::split_batch;
use crate::ops::topk::TopK;

/// Fetch counts up to this use the bounded top-k path.
pub const TOPK_LIMIT: usize = 100_000;

/// Sorts `batches` by `keys`, keeping the first `fetch` rows if given.
pub fn sort_batches(
    batches: Vec<RecordBatch>,
    keys: &[PhysSortKey],
    fetch: Option<usize>,
    schema: &SchemaRef,
) -> Result<Vec<RecordBatch>> {
    if let Some(k) = fetch
        && k <= TOPK_LIMIT
    {
        let mut topk = TopK::new(keys.to_vec(), k, schema.clone());
        for batch in &batches {
            topk.push(batch)?;
        }
        return topk.finish();
    }
    let batch = concat_batches(schema, &batches)?;
    drop(batches);
    Ok(split_batch(sort_batch(&batch, keys, fetch)?))
}

/// One batch sorted by `keys`, truncated to `limit` rows if given.
pub fn sort_batch(
    batch: &RecordBatch,
    keys: &[PhysSortKey],
    limit: Option<usize>,
) -> Result<RecordBatch> {
    let rows = batch.num_rows();
    if keys.is_empty() || rows == 0 {
        let keep = limit.unwrap_or(rows).min(rows);
        return Ok(batch.slice(0, keep));
    }
    let columns = keys
        .iter()
        .map(|k| {
            Ok(SortColumn {
                values: evaluate(&k.expr, batch)?,
                options: Some(SortOptions {
                    descending: !k.asc,
                    nulls_first: k.nulls_first,
                }),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let indices: UInt32Array = lexsort_to_indices(&columns, limit)?;
    Ok(take_record_batch(batch, &indices)?)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Array, AsArray, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Int64Type, Schema};
    use ember_planner::physical::PhysExpr;

    use super::*;

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int64, true),
            Field::new("b", DataType::Utf8, true),
        ]))
    }

    fn batch(a: Vec<Option<i64>>, b: Vec<Option<&str>>) -> RecordBatch {
        RecordBatch::try_new(
            schema(),
            vec![
                Arc::new(Int64Array::from(a)),
                Arc::new(StringArray::from(b)),
            ],
        )
        .unwrap()
    }

    fn key(i: usize, asc: bool, nulls_first: bool) -> PhysSortKey {
        PhysSortKey {
            expr: PhysExpr::column(i, "c"),
            asc,
            nulls_first,
        }
    }

    fn column_a(batches: &[RecordBatch]) -> Vec<Option<i64>> {
        batches
            .iter()
            .flat_map(|b| {
                let a = b.column(0).as_primitive::<Int64Type>().clone();
                (0..a.len())
                    .map(move |i| a.is_valid(i).then(|| a.value(i)))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn multi_key_with_nulls() {
        let input = vec![
            batch(
                vec![Some(2), None, Some(1)],
                vec![Some("x"), Some("y"), Some("z")],
            ),
            batch(vec![Some(2), Some(1)], vec![Some("a"), None]),
        ];
        // a ASC NULLS LAST, b DESC NULLS FIRST
        let keys = [key(0, true, false), key(1, false, true)];
        let out = sort_batches(input, &keys, None, &schema()).unwrap();
        assert_eq!(
            column_a(&out),
            vec![Some(1), Some(1), Some(2), Some(2), None]
        );
        let b = out[0].column(1).as_string::<i32>();
        assert!(b.is_null(0));
        assert_eq!(b.value(1), "z");
        assert_eq!(b.value(2), "x");
        assert_eq!(b.value(3), "a");
    }

    #[test]
    fn descending_nulls_first() {
        let input = vec![batch(vec![Some(1), None, Some(3)], vec![None, None, None])];
        let out = sort_batches(input, &[key(0, false, true)], None, &schema()).unwrap();
        assert_eq!(column_a(&out), vec![None, Some(3), Some(1)]);
    }

    #[test]
    fn topk_equals_full_sort_then_limit() {
        let mut input = Vec::new();
        let mut seed = 7u64;
        for _ in 0..5 {
            let values: Vec<Option<i64>> = (0..1000)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    let v = (seed >> 40) as i64 % 500;
                    (v % 37 != 0).then_some(v)
                })
                .collect();
            let names = vec![Some("n"); values.len()];
            input.push(batch(values, names));
        }
        let keys = [key(0, false, false)];
        let full = sort_batches(input.clone(), &keys, None, &schema()).unwrap();
        let top = sort_batches(input, &keys, Some(25), &schema()).unwrap();
        let full = column_a(&full);
        assert_eq!(column_a(&top), full[..25].to_vec());
    }
}
