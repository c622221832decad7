//! `approx_count_distinct`: a HyperLogLog sketch per group.
//!
//! Each value is hashed (its arrow-row bytes, every 8-byte word fully mixed: a sketch
//! needs all 64 hash bits spread, more than a hash table does);
//! the top [`PRECISION`] bits pick a register, which keeps the longest run of leading
//! zeros seen in the other bits. Partial states are the registers as one binary value
//! per group; merging takes the larger register. The estimate uses the usual bias
//! constant and linear counting for small cardinalities; its standard error is about
//! 1.04 / sqrt(4096) = 1.6%.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BinaryArray, Int64Array};
use arrow::row::{RowConverter, SortField};

use crate::error::{EmberError, Result};
use crate::ops::aggregate::group_state::GroupState;
use crate::ops::hash::hash_u64;

/// Bits of the hash that choose the register.
pub const PRECISION: u32 = 12;
const REGISTERS: usize = 1 << PRECISION;

/// One sketch per group, registers stored back to back.
pub struct HyperLogLog {
    registers: Vec<u8>,
    converter: Option<RowConverter>,
}

impl Default for HyperLogLog {
    fn default() -> Self {
        Self::new()
    }
}

impl HyperLogLog {
    /// Empty sketches.
    pub fn new() -> Self {
        HyperLogLog {
            registers: Vec::new(),
            converter: None,
        }
    }

    fn add_hash(&mut self, g: u32, h: u64) -> Result<()> {
        let index = (h >> (64 - PRECISION)) as usize;
        let rest = (h << PRECISION) | (1 << (PRECISION - 1));
        let rank = rest.leading_zeros() as u8 + 1;
        let r = self
            .registers
            .get_mut(g as usize * REGISTERS + index)
            .ok_or_else(|| EmberError::internal("group id out of range"))?;
        *r = (*r).max(rank);
        Ok(())
    }

    fn estimate(registers: &[u8]) -> i64 {
        let m = REGISTERS as f64;
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let sum: f64 = registers.iter().map(|r| 2f64.powi(-(*r as i32))).sum();
        let raw = alpha * m * m / sum;
        let zeros = registers.iter().filter(|r| **r == 0).count();
        let e = if raw <= 2.5 * m && zeros > 0 {
            m * (m / zeros as f64).ln()
        } else {
            raw
        };
        e.round() as i64
    }
}

impl GroupState for HyperLogLog {
    fn resize(&mut self, groups: usize) {
        self.registers.resize(groups * REGISTERS, 0);
    }

    fn update(&mut self, groups: &[u32], values: &ArrayRef) -> Result<()> {
        if self.converter.is_none() {
            self.converter = Some(RowConverter::new(vec![SortField::new(
                values.data_type().clone(),
            )])?);
        }
        let rows = match &self.converter {
            Some(c) => c.convert_columns(std::slice::from_ref(values))?,
            None => return Err(EmberError::internal("no row converter")),
        };
        for (i, g) in groups.iter().enumerate() {
            if values.is_valid(i) {
                self.add_hash(*g, mix_bytes(rows.row(i).data()))?;
            }
        }
        Ok(())
    }

    fn merge(&mut self, groups: &[u32], states: &[ArrayRef]) -> Result<()> {
        let first = states
            .first()
            .ok_or_else(|| EmberError::internal("missing sketch column"))?;
        let sketches = first.as_binary::<i32>();
        for (i, g) in groups.iter().enumerate() {
            let other = sketches.value(i);
            let start = *g as usize * REGISTERS;
            let mine = self
                .registers
                .get_mut(start..start + REGISTERS)
                .ok_or_else(|| EmberError::internal("group id out of range"))?;
            for (a, b) in mine.iter_mut().zip(other) {
                *a = (*a).max(*b);
            }
        }
        Ok(())
    }

    fn state(&self) -> Result<Vec<ArrayRef>> {
        let out: BinaryArray = self.registers.chunks(REGISTERS).map(Some).collect();
        Ok(vec![Arc::new(out)])
    }

    fn evaluate(&self) -> Result<ArrayRef> {
        let out: Int64Array = self
            .registers
            .chunks(REGISTERS)
            .map(|r| Some(Self::estimate(r)))
            .collect();
        Ok(Arc::new(out))
    }
}

/// A 64-bit hash of `bytes` in which every input bit reaches every output bit.
fn mix_bytes(bytes: &[u8]) -> u64 {
    let mut h = hash_u64(bytes.len() as u64);
    for chunk in bytes.chunks(8) {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        h = hash_u64(h.rotate_left(29) ^ hash_u64(u64::from_le_bytes(word)));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_is_within_a_few_percent() {
        let mut h = HyperLogLog::new();
        h.resize(2);
        let values: ArrayRef = Arc::new(Int64Array::from(
            (0..100_000i64).map(|v| v * 7).collect::<Vec<_>>(),
        ));
        let groups: Vec<u32> = (0..100_000u32).map(|i| (i % 10 == 0) as u32).collect();
        h.update(&groups, &values).unwrap();
        let out = h.evaluate().unwrap();
        let out = out.as_primitive::<arrow::datatypes::Int64Type>();
        let (a, b) = (out.value(0) as f64, out.value(1) as f64);
        assert!((a / 90_000.0 - 1.0).abs() < 0.05, "{a}");
        assert!((b / 10_000.0 - 1.0).abs() < 0.05, "{b}");
        // Merging two halves gives the sketch of the whole.
        let mut m = HyperLogLog::new();
        m.resize(1);
        let state = h.state().unwrap();
        m.merge(&[0, 0], &state).unwrap();
        let est = m.evaluate().unwrap();
        let est = est.as_primitive::<arrow::datatypes::Int64Type>().value(0) as f64;
        assert!((est / 100_000.0 - 1.0).abs() < 0.05, "{est}");
    }
}
