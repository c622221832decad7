//! A fixed-seed hash of column values, the same in every task and process, so equal
//! keys land in the same partition whichever batch or join side they come from.
//!
//! In: key columns. Out: one `u64` per row, and the part of a split a hash falls in. Integers of every width hash by value
//! (an INT 5 and a BIGINT 5 hash alike); strings by their bytes; NULL by a constant.

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow::row::{RowConverter, SortField};

use crate::error::Result;

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
const NULL_HASH: u64 = 0x9e37_79b9_7f4a_7c15;
const MUL: u64 = 0xff51_afd7_ed55_8ccd;

/// The part of `parts` a row with key hash `hash` falls in. The hash is mixed again
/// with `salt` first: rows that an exchange (or an earlier split) grouped by their hash
/// share its bits, and each kind of split, with a salt of its own, spreads them anew.
#[inline]
pub fn part_of_hash(hash: u64, salt: u64, parts: usize) -> usize {
    (hash_u64(hash ^ salt) >> 32) as usize % parts.max(1)
}

/// Mixes a 64-bit value into a well-spread hash (the MurmurHash3 finalizer).
#[inline]
pub fn hash_u64(v: u64) -> u64 {
    let mut h = v ^ SEED;
    h ^= h >> 33;
    h = h.wrapping_mul(MUL);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Combines the hash so far with the next value's hash (order matters).
#[inline]
pub fn combine(h: u64, v: u64) -> u64 {
    (h.rotate_left(5) ^ v).wrapping_mul(0x2127_599b_f432_5c37)
}

/// Hashes a byte string, eight bytes at a time.
#[inline]
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = SEED ^ (bytes.len() as u64).wrapping_mul(MUL);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(c);
        h = combine(h, u64::from_le_bytes(word));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = combine(h, u64::from_le_bytes(word));
    }
    hash_u64(h)
}

/// Fills `hashes` with one combined hash of `columns` per row.
pub fn hash_columns(columns: &[ArrayRef], rows: usize, hashes: &mut Vec<u64>) -> Result<()> {
    hashes.clear();
    hashes.resize(rows, SEED);
    for column in columns {
        hash_column(column, hashes)?;
    }
    Ok(())
}

macro_rules! hash_ints {
    ($column:expr, $hashes:expr, $t:ty) => {{
        let a = $column.as_primitive::<$t>();
        mix_each(
            $hashes,
            a.nulls(),
            a.values().iter().map(|v| *v as i64 as u64),
        );
    }};
}

fn mix_each(
    hashes: &mut [u64],
    nulls: Option<&arrow::buffer::NullBuffer>,
    values: impl Iterator<Item = u64>,
) {
    match nulls {
        None => {
            for (h, v) in hashes.iter_mut().zip(values) {
                *h = combine(*h, hash_u64(v));
            }
        }
        Some(n) => {
            for (i, (h, v)) in hashes.iter_mut().zip(values).enumerate() {
                *h = combine(
                    *h,
                    if n.is_valid(i) {
                        hash_u64(v)
                    } else {
                        NULL_HASH
                    },
                );
            }
        }
    }
}

fn hash_column(column: &ArrayRef, hashes: &mut [u64]) -> Result<()> {
    match column.data_type() {
        DataType::Int8 => hash_ints!(column, hashes, Int8Type),
        DataType::Int16 => hash_ints!(column, hashes, Int16Type),
        DataType::Int32 => hash_ints!(column, hashes, Int32Type),
        DataType::Int64 => hash_ints!(column, hashes, Int64Type),
        DataType::UInt8 => hash_ints!(column, hashes, UInt8Type),
        DataType::UInt16 => hash_ints!(column, hashes, UInt16Type),
        DataType::UInt32 => hash_ints!(column, hashes, UInt32Type),
        DataType::UInt64 => hash_ints!(column, hashes, UInt64Type),
        DataType::Date32 => hash_ints!(column, hashes, Date32Type),
        DataType::Float64 => {
            let a = column.as_primitive::<Float64Type>();
            // 0.0 and -0.0 are equal, so they must hash alike.
            let bits = a.values().iter().map(|v| (*v + 0.0).to_bits());
            mix_each(hashes, a.nulls(), bits);
        }
        DataType::Float32 => {
            let a = column.as_primitive::<Float32Type>();
            let bits = a.values().iter().map(|v| ((*v as f64) + 0.0).to_bits());
            mix_each(hashes, a.nulls(), bits);
        }
        DataType::Decimal128(_, _) => {
            let a = column.as_primitive::<Decimal128Type>();
            let folded = a
                .values()
                .iter()
                .map(|v| (*v as u64) ^ ((*v >> 64) as u64).rotate_left(17));
            mix_each(hashes, a.nulls(), folded);
        }
        DataType::Utf8 => {
            let a = column.as_string::<i32>();
            for (i, h) in hashes.iter_mut().enumerate() {
                let v = if a.is_valid(i) {
                    hash_bytes(a.value(i).as_bytes())
                } else {
                    NULL_HASH
                };
                *h = combine(*h, v);
            }
        }
        DataType::Utf8View | DataType::LargeUtf8 => {
            let utf8 = arrow::compute::cast(column, &DataType::Utf8)?;
            hash_column(&utf8, hashes)?;
        }
        DataType::Boolean => {
            let a = column.as_boolean();
            for (i, h) in hashes.iter_mut().enumerate() {
                let v = if a.is_valid(i) {
                    hash_u64(a.value(i) as u64)
                } else {
                    NULL_HASH
                };
                *h = combine(*h, v);
            }
        }
        DataType::Null => {
            for h in hashes.iter_mut() {
                *h = combine(*h, NULL_HASH);
            }
        }
        other => {
            let converter = RowConverter::new(vec![SortField::new(other.clone())])?;
            let rows = converter.convert_columns(std::slice::from_ref(column))?;
            for (i, h) in hashes.iter_mut().enumerate() {
                let v = if column.is_valid(i) {
                    hash_bytes(rows.row(i).data())
                } else {
                    NULL_HASH
                };
                *h = combine(*h, v);
            }
        }
    }
    Ok(())
}
