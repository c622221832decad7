//! Storage levels and block codecs: how a persisted RDD keeps its partitions.
//!
//! In: the caller's choice of [`StorageLevel`] and, for spilling to disk, a
//! [`BlockCodec`] that sizes, writes and reads a partition's items.
//! Out: what the block manager needs to account for a cached block's memory
//! and to move it to disk and back. The RDD layer knows no item format: the
//! SQL layer brings its own codec (e.g. Arrow IPC for record batches).

use std::io::{Read, Write};
use std::marker::PhantomData;

use crate::rdd::error::{RddError, Result};

/// Where the partitions of a persisted RDD are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StorageLevel {
    /// In memory only: a block evicted to make room is dropped and recomputed
    /// from lineage when next needed.
    MemoryOnly,
    /// In memory while it fits; a block evicted to make room (or one larger
    /// than the whole budget) is written to the spill directory and read back
    /// from there. Needs a codec that can encode and decode (`persist_with`).
    MemoryAndDisk,
}

impl std::fmt::Display for StorageLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StorageLevel::MemoryOnly => "MEMORY_ONLY",
            StorageLevel::MemoryAndDisk => "MEMORY_AND_DISK",
        })
    }
}

/// Sizes, writes and reads the items of one cached partition.
pub trait BlockCodec<T>: Send + Sync {
    /// Estimated bytes the items take in memory (charged to the cache budget).
    fn size_of(&self, items: &[T]) -> usize;
    /// Writes the items to `w` (for spilling to disk).
    fn encode(&self, items: &[T], w: &mut dyn Write) -> Result<()>;
    /// Reads back items written by [`BlockCodec::encode`].
    fn decode(&self, r: &mut dyn Read) -> Result<Vec<T>>;
    /// Whether `encode`/`decode` work; a codec that only sizes says `false`,
    /// and then `MemoryAndDisk` behaves as `MemoryOnly`.
    fn can_spill(&self) -> bool {
        true
    }
}

/// The codec `persist` uses: charges `items × size_of::<T>()` bytes (the
/// inline size, so heap data behind a `String` or `Vec` is not counted) and
/// cannot spill.
pub struct InlineSizeCodec<T>(PhantomData<fn() -> T>);

impl<T> InlineSizeCodec<T> {
    /// The codec.
    pub fn new() -> Self {
        InlineSizeCodec(PhantomData)
    }
}

impl<T> Default for InlineSizeCodec<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> BlockCodec<T> for InlineSizeCodec<T> {
    fn size_of(&self, items: &[T]) -> usize {
        items.len().saturating_mul(std::mem::size_of::<T>())
    }
    fn encode(&self, _items: &[T], _w: &mut dyn Write) -> Result<()> {
        Err(RddError::invalid(
            "the default block codec cannot write blocks to disk; use persist_with",
        ))
    }
    fn decode(&self, _r: &mut dyn Read) -> Result<Vec<T>> {
        Err(RddError::invalid(
            "the default block codec cannot read blocks from disk; use persist_with",
        ))
    }
    fn can_spill(&self) -> bool {
        false
    }
}

/// A codec for `u64` items (8 bytes each, little-endian), for tests.
#[cfg(test)]
pub(crate) struct U64Codec;

#[cfg(test)]
impl BlockCodec<u64> for U64Codec {
    fn size_of(&self, items: &[u64]) -> usize {
        items.len() * 8
    }
    fn encode(&self, items: &[u64], w: &mut dyn Write) -> Result<()> {
        for x in items {
            w.write_all(&x.to_le_bytes()).map_err(RddError::transient)?;
        }
        Ok(())
    }
    fn decode(&self, r: &mut dyn Read) -> Result<Vec<u64>> {
        let mut bytes = Vec::new();
        r.read_to_end(&mut bytes).map_err(RddError::transient)?;
        Ok(bytes
            .chunks_exact(8)
            .map(|c| {
                let mut b = [0u8; 8];
                b.copy_from_slice(c);
                u64::from_le_bytes(b)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_codec_counts_items_and_refuses_disk() {
        let codec = InlineSizeCodec::<u64>::new();
        assert_eq!(codec.size_of(&[1, 2, 3]), 24);
        assert!(!codec.can_spill());
        let mut out = Vec::new();
        assert!(codec.encode(&[1], &mut out).is_err());
        assert!(codec.decode(&mut &out[..]).is_err());
        assert_eq!(StorageLevel::MemoryAndDisk.to_string(), "MEMORY_AND_DISK");
        let mut bytes = Vec::new();
        assert!(U64Codec.encode(&[1, u64::MAX], &mut bytes).is_ok());
        assert_eq!(bytes.len(), U64Codec.size_of(&[1, 2]));
        assert_eq!(
            U64Codec.decode(&mut &bytes[..]).ok(),
            Some(vec![1, u64::MAX])
        );
    }
}
