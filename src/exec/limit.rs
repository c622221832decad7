//! LIMIT/OFFSET within each partition.

use arrow::array::RecordBatch;

use crate::error::Result;
use crate::exec::into_iter;
use crate::ops::limit::LimitState;
use crate::rdd::Rdd;

/// Keeps rows `skip..skip+fetch` of each partition, reading no further than needed.
pub fn lower_limit(
    input: Rdd<RecordBatch>,
    skip: usize,
    fetch: Option<usize>,
) -> Result<Rdd<RecordBatch>> {
    Ok(input.map_partitions("Limit", move |_, iter| {
        let mut state = LimitState::new(skip, fetch);
        let mut out = Vec::new();
        for batch in iter {
            if state.is_done() {
                break;
            }
            if let Some(b) = state.apply(batch?) {
                out.push(b);
            }
        }
        Ok(into_iter(out))
    }))
}
