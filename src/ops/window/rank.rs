//! Ranking window functions: they see the partition and the peer groups, never the
//! frame.
//!
//! In: the [`Layout`] and ntile's bucket count. Out: one value per row.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array};
use ember_planner::expr::WindowFunc;

use crate::error::{EmberError, Result};
use crate::ops::window::Layout;

/// row_number, rank, dense_rank, percent_rank, cume_dist or ntile(`buckets`).
pub fn ranking(func: WindowFunc, layout: &Layout, buckets: i64) -> Result<ArrayRef> {
    let rows = layout.peer_start.len();
    let mut ints: Vec<i64> = Vec::with_capacity(rows);
    let mut floats: Vec<f64> = Vec::new();
    for p in &layout.partitions {
        let n = p.len();
        let mut dense = 0i64;
        for i in p.clone() {
            let rank = (layout.peer_start[i] - p.start + 1) as i64;
            if layout.peer_start[i] == i {
                dense += 1;
            }
            match func {
                WindowFunc::RowNumber => ints.push((i - p.start + 1) as i64),
                WindowFunc::Rank => ints.push(rank),
                WindowFunc::DenseRank => ints.push(dense),
                WindowFunc::PercentRank => floats.push(if n > 1 {
                    (rank - 1) as f64 / (n - 1) as f64
                } else {
                    0.0
                }),
                WindowFunc::CumeDist => {
                    floats.push((layout.peer_end[i] - p.start) as f64 / n as f64)
                }
                WindowFunc::Ntile => ints.push(ntile(i - p.start, n, buckets)?),
                other => {
                    return Err(EmberError::internal(format!(
                        "{} is not a ranking function",
                        other.name()
                    )));
                }
            }
        }
    }
    Ok(match func {
        WindowFunc::PercentRank | WindowFunc::CumeDist => Arc::new(Float64Array::from(floats)),
        _ => Arc::new(Int64Array::from(ints)),
    })
}

/// The bucket (1-based) of row `i` of `n` split into `buckets` buckets whose sizes
/// differ by at most one, the larger ones first.
fn ntile(i: usize, n: usize, buckets: i64) -> Result<i64> {
    if buckets <= 0 {
        return Err(EmberError::execution(
            "ntile() bucket count must be positive",
        ));
    }
    let k = (buckets as u64).min(n as u64).max(1) as usize;
    let size = n / k;
    let big = n % k; // the first `big` buckets hold size + 1 rows
    let in_big = big * (size + 1);
    let b = if i < in_big {
        i / (size + 1)
    } else {
        big + (i - in_big) / size.max(1)
    };
    Ok(b as i64 + 1)
}

#[cfg(test)]
mod tests {
    use super::ntile;

    #[test]
    fn ntile_spreads_the_remainder_first() {
        let got: Vec<i64> = (0..7).map(|i| ntile(i, 7, 3).unwrap()).collect();
        assert_eq!(got, vec![1, 1, 1, 2, 2, 3, 3]);
        let more: Vec<i64> = (0..2).map(|i| ntile(i, 2, 5).unwrap()).collect();
        assert_eq!(more, vec![1, 2]);
    }
}
