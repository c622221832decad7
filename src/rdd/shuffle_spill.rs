//! Shuffle output under the memory limit: a map task's buckets are held in the
//! executor's [`MemoryPool`] while the pool is less than a quarter full, not counting
//! cached blocks (the rest is the operators'); past that they are written to disk as runs, in the codec of the
//! shuffle's items, and read back by the reduce tasks run by run.
//!
//! In: the pieces a map task sends to each reduce partition, a [`BlockCodec`] that
//! sizes, writes and reads them, the pool and a folder for the runs. Out: per reduce
//! partition a [`SpilledBlock`] (runs on disk, then the items kept in memory, in the
//! order they came) and the reservation of the items kept, which the block manager
//! holds until the shuffle is dropped. A run's file is deleted when the last block
//! referring to it goes.

use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::memory::{MemoryPool, MemoryReservation};
use crate::rdd::error::{RddError, Result};
use crate::rdd::metrics::Metrics;
use crate::rdd::rdd::Data;
use crate::rdd::storage::BlockCodec;

/// Bytes a map task gathers before asking the pool for them.
const RESERVE_STEP: usize = 4 << 20;

static NEXT_RUN: AtomicUsize = AtomicUsize::new(0);

/// Where a shuffle writes its runs, and the cap on the bytes they take on disk.
pub trait SpillSpace: Send + Sync {
    /// The folder of the runs, made when first asked for.
    fn folder(&self) -> Result<PathBuf>;
    /// Counts `bytes` more on disk, written by `consumer` (which has `held` there
    /// already), or refuses past the cap.
    fn charge(&self, consumer: &str, held: u64, bytes: u64) -> Result<()>;
    /// Gives back the `bytes` of a run deleted.
    fn release(&self, bytes: u64);
}

/// A shuffle's [`SpillSpace`]; it lives as long as the shuffle's runs.
pub type SpillFolder = Arc<dyn SpillSpace>;

/// How a shuffle's map output is held: sized and written by `codec`, reserved in
/// `pool`, spilled under `folder`.
pub struct ShuffleSpill<T> {
    /// Sizes, writes and reads the items.
    pub codec: Arc<dyn BlockCodec<T>>,
    /// The executor's memory pool.
    pub pool: Arc<MemoryPool>,
    /// The folder of the runs.
    pub folder: SpillFolder,
    /// The shuffle's name, e.g. `Exchange hash`, for errors.
    pub name: String,
}

/// One run of a reduce block on disk; the file, and its bytes counted against the
/// cap, go with it.
pub struct DiskRun {
    path: PathBuf,
    /// Bytes charged to `space`.
    bytes: u64,
    space: SpillFolder,
}

impl Drop for DiskRun {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        self.space.release(self.bytes);
    }
}

/// A reduce block of one map task's output: runs written to disk first, then the
/// items that stayed in memory.
pub struct SpilledBlock<T> {
    runs: Vec<Arc<DiskRun>>,
    items: Arc<Vec<T>>,
    codec: Arc<dyn BlockCodec<T>>,
}

impl<T: Data> SpilledBlock<T> {
    /// The items kept in memory (after every run).
    pub fn memory_items(&self) -> Arc<Vec<T>> {
        Arc::clone(&self.items)
    }

    /// The runs on disk, in order.
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// Reads run `i` back.
    pub fn read_run(&self, i: usize, metrics: &Metrics) -> Result<Vec<T>> {
        let run = self
            .runs
            .get(i)
            .ok_or_else(|| RddError::internal(format!("shuffle block has no run {i}")))?;
        let file = std::fs::File::open(&run.path).map_err(|e| RddError::io(&run.path, e))?;
        let items = self.codec.decode(&mut BufReader::new(file))?;
        metrics.disk_read(1);
        Ok(items)
    }
}

/// What a map task writes: buckets per reduce partition, held in the pool or
/// spilled.
pub struct SpillingBuckets<T> {
    buckets: Vec<Vec<T>>,
    runs: Vec<Vec<Arc<DiskRun>>>,
    codec: Arc<dyn BlockCodec<T>>,
    pool: Arc<MemoryPool>,
    reservation: MemoryReservation,
    /// Bytes gathered since the last reservation.
    pending: usize,
    folder: SpillFolder,
    /// Bytes of this task's runs on disk.
    on_disk: u64,
    name: String,
    metrics: Arc<Metrics>,
}

impl<T: Data> SpillingBuckets<T> {
    /// Buckets for `reduces` partitions of the output of map task `name`.
    pub fn new(
        reduces: usize,
        spill: &ShuffleSpill<T>,
        name: String,
        metrics: Arc<Metrics>,
    ) -> Self {
        SpillingBuckets {
            buckets: (0..reduces).map(|_| Vec::new()).collect(),
            runs: (0..reduces).map(|_| Vec::new()).collect(),
            codec: Arc::clone(&spill.codec),
            pool: Arc::clone(&spill.pool),
            reservation: spill.pool.reserve(name.clone(), false),
            pending: 0,
            folder: Arc::clone(&spill.folder),
            on_disk: 0,
            name,
            metrics,
        }
    }

    /// Adds `piece` to the bucket of `reduce` (which must exist).
    pub fn push(&mut self, reduce: usize, piece: T) -> Result<()> {
        self.pending += self.codec.size_of(std::slice::from_ref(&piece));
        let bucket = self.buckets.get_mut(reduce).ok_or_else(|| {
            RddError::internal(format!("{}: no reduce partition {reduce}", self.name))
        })?;
        bucket.push(piece);
        if self.pending >= RESERVE_STEP {
            self.hold()?;
        }
        Ok(())
    }

    /// Reserves what was gathered, or writes every bucket to disk when the pool is
    /// a quarter full.
    fn hold(&mut self) -> Result<()> {
        let bytes = std::mem::take(&mut self.pending) as u64;
        let pool = self.pool.snapshot();
        let room = pool.limit / 4;
        // Cached blocks do not count: they make way when asked.
        let held = pool.reserved - pool.evictable;
        if held.saturating_add(bytes) <= room && self.reservation.try_grow(bytes).is_ok() {
            return Ok(());
        }
        self.spill()
    }

    fn spill(&mut self) -> Result<()> {
        let dir = self.folder.folder()?;
        for (bucket, runs) in self.buckets.iter_mut().zip(self.runs.iter_mut()) {
            if bucket.is_empty() {
                continue;
            }
            let n = NEXT_RUN.fetch_add(1, Ordering::Relaxed);
            // Made before the file: whatever fails below, the file is deleted with it.
            let mut run = DiskRun {
                path: dir.join(format!("shuffle-{n}.run")),
                bytes: 0,
                space: Arc::clone(&self.folder),
            };
            let file = std::fs::File::create(&run.path).map_err(|e| RddError::io(&run.path, e))?;
            let mut out = BufWriter::new(file);
            self.codec.encode(bucket, &mut out)?;
            out.flush().map_err(|e| RddError::io(&run.path, e))?;
            let bytes = std::fs::metadata(&run.path)
                .map_err(|e| RddError::io(&run.path, e))?
                .len();
            self.folder.charge(&self.name, self.on_disk, bytes)?;
            run.bytes = bytes;
            self.on_disk += bytes;
            self.pool.record_spill(bytes);
            self.metrics.spilled(1);
            runs.push(Arc::new(run));
            bucket.clear();
        }
        self.reservation.free();
        Ok(())
    }

    /// The blocks per reduce partition (in memory when nothing spilled) and the
    /// reservation of what stayed in memory.
    pub fn finish(mut self) -> Result<(Vec<SpilledBlock<T>>, MemoryReservation)> {
        if self.pending > 0 {
            self.hold()?;
        }
        let codec = self.codec;
        let blocks = self
            .buckets
            .into_iter()
            .zip(self.runs)
            .map(|(items, runs)| SpilledBlock {
                runs,
                items: Arc::new(items),
                codec: Arc::clone(&codec),
            })
            .collect();
        Ok((blocks, self.reservation))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdd::context::{RddConfig, RddContext};
    use crate::rdd::storage::U64Codec;

    /// A folder whose runs may take `cap` bytes at once.
    struct Folder {
        dir: std::path::PathBuf,
        cap: u64,
        used: std::sync::Mutex<u64>,
    }

    impl SpillSpace for Folder {
        fn folder(&self) -> Result<PathBuf> {
            std::fs::create_dir_all(&self.dir).map_err(|e| RddError::io(&self.dir, e))?;
            Ok(self.dir.clone())
        }
        fn charge(&self, consumer: &str, _held: u64, bytes: u64) -> Result<()> {
            let mut used = self.used.lock().unwrap();
            if *used + bytes > self.cap {
                return Err(RddError::ResourcesExhausted(format!(
                    "{consumer}: spill cap of {} bytes",
                    self.cap
                )));
            }
            *used += bytes;
            Ok(())
        }
        fn release(&self, bytes: u64) {
            *self.used.lock().unwrap() -= bytes;
        }
    }

    fn shuffle(ctx: &Arc<RddContext>, folder: &Arc<Folder>) -> Result<Vec<u64>> {
        let data: Vec<u64> = (0..200_000).collect();
        let space: SpillFolder = Arc::clone(folder) as SpillFolder;
        let mut out = ctx
            .parallelize(data, 4)
            .shuffle_spilling("by residue", 3, Arc::new(U64Codec), space, |x, n| {
                Ok(vec![((x % n as u64) as usize, x)])
            })
            .collect()?;
        out.sort_unstable();
        Ok(out)
    }

    fn folder(dir: &std::path::Path, cap: u64) -> Arc<Folder> {
        Arc::new(Folder {
            dir: dir.to_path_buf(),
            cap,
            used: std::sync::Mutex::new(0),
        })
    }

    fn shuffled(ctx: &Arc<RddContext>, dir: &std::path::Path) -> Vec<u64> {
        let folder = folder(dir, u64::MAX);
        let out = shuffle(ctx, &folder).unwrap();
        // Every run's bytes were counted, and given back when the shuffle went.
        assert_eq!(*folder.used.lock().unwrap(), 0);
        out
    }

    #[test]
    fn shuffle_output_past_a_quarter_of_the_pool_goes_to_disk_and_reads_back_whole() {
        let dir = std::env::temp_dir().join(format!("ember-shuffle-spill-{}", std::process::id()));
        let ctx = RddContext::new(RddConfig {
            threads: 2,
            // 200,000 items of 8 bytes do not fit in a quarter of 64 KB.
            memory_limit: 64 << 10,
            ..RddConfig::default()
        });
        let expected: Vec<u64> = (0..200_000).collect();
        assert_eq!(shuffled(&ctx, &dir), expected);
        assert!(ctx.metrics().spilled_blocks > 0);
        assert!(ctx.metrics().disk_blocks_read > 0);
        // Nothing is held once the shuffle is gone, and its runs are deleted.
        assert_eq!(ctx.memory_pool().snapshot().reserved, 0);
        let left: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.count())
            .into_iter()
            .collect();
        assert_eq!(left, vec![0]);
        let _ = std::fs::remove_dir_all(&dir);

        // Without a limit nothing is written.
        let roomy = RddContext::new(RddConfig {
            threads: 2,
            ..RddConfig::default()
        });
        assert_eq!(shuffled(&roomy, &dir), expected);
        assert_eq!(roomy.metrics().spilled_blocks, 0);
        assert!(!dir.exists());
    }

    #[test]
    fn shuffle_runs_past_the_disk_cap_fail_the_job_and_are_deleted() {
        let dir = std::env::temp_dir().join(format!("ember-shuffle-cap-{}", std::process::id()));
        let ctx = RddContext::new(RddConfig {
            threads: 2,
            memory_limit: 64 << 10,
            max_task_attempts: 1,
            ..RddConfig::default()
        });
        // 1.6MB of items; the runs may take 100KB.
        let capped = folder(&dir, 100 << 10);
        let error = shuffle(&ctx, &capped).unwrap_err();
        assert!(
            error.to_string().contains("spill cap of 102400 bytes"),
            "{error}"
        );
        assert_eq!(*capped.used.lock().unwrap(), 0);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
