//! Spill files: Arrow IPC files under one folder per query, each deleted when it is
//! dropped, the folder removed when the query lets go of it.
//!
//! In: the folder spills go under (`ember.spill.dir`), a cap on the bytes on disk at
//! once (`ember.spill.max_bytes`), then batches to write. Out: [`SpillFile`]s that
//! read their batches back in order.
//!
//! Whatever ends a query — done, failed, cancelled — drops the operators' state, and
//! with it their files; the query's [`SpillDir`] goes when the last task and plan
//! holding it are gone, taking anything left in the folder with it.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::ipc::reader::FileReader;
use arrow::ipc::writer::FileWriter;

use crate::error::{EmberError, Result};
use crate::memory::pool::{MemoryPool, ResourcesExhausted};

/// Tells the folders of queries running at the same time apart.
static NEXT_QUERY: AtomicU64 = AtomicU64::new(0);

/// The spill folder of one query: made when the first file is written, removed (with
/// anything left in it) when dropped.
#[derive(Debug)]
pub struct SpillDir {
    path: PathBuf,
    max_bytes: u64,
    /// Bytes of this query's spill files on disk now.
    used: AtomicU64,
    created: Mutex<bool>,
    next_file: AtomicU64,
    pool: Arc<MemoryPool>,
}

impl SpillDir {
    /// A folder for one query under `parent`, holding at most `max_bytes` at once;
    /// spills are counted in `pool`'s totals.
    pub fn new(parent: &Path, max_bytes: u64, pool: Arc<MemoryPool>) -> Arc<Self> {
        let n = NEXT_QUERY.fetch_add(1, Ordering::Relaxed);
        let name = format!("ember-spill-{}-{n}", std::process::id());
        Arc::new(SpillDir {
            path: parent.join(name),
            max_bytes,
            used: AtomicU64::new(0),
            created: Mutex::new(false),
            next_file: AtomicU64::new(0),
            pool,
        })
    }

    /// The query's folder (it may not exist yet).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes of spill files on disk now.
    pub fn used_bytes(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// The folder, made now if it does not exist yet (for files written by others,
    /// such as shuffle output, removed with it).
    pub fn created_path(&self) -> Result<&Path> {
        self.ensure_created()?;
        Ok(&self.path)
    }

    fn ensure_created(&self) -> Result<()> {
        let mut created = self.created.lock().unwrap_or_else(|p| p.into_inner());
        if !*created {
            std::fs::create_dir_all(&self.path).map_err(|e| EmberError::io(&self.path, e))?;
            *created = true;
        }
        Ok(())
    }

    /// A new file for batches of `schema`, written by `consumer`.
    pub fn create_file(
        self: &Arc<Self>,
        consumer: &str,
        schema: &SchemaRef,
    ) -> Result<SpillWriter> {
        self.ensure_created()?;
        let n = self.next_file.fetch_add(1, Ordering::Relaxed);
        let path = self.path.join(format!("{n}.arrow"));
        let file = File::create(&path).map_err(|e| EmberError::io(&path, e))?;
        let counting = CountingWriter {
            inner: BufWriter::new(file),
            written: 0,
        };
        let writer = FileWriter::try_new(counting, schema)?;
        Ok(SpillWriter {
            dir: Arc::clone(self),
            consumer: consumer.to_string(),
            path,
            writer: Some(writer),
            accounted: 0,
            rows: 0,
        })
    }

    /// Counts `bytes` more on disk, written by `consumer` (which holds `held` there
    /// already), or refuses past the cap.
    pub fn charge(&self, consumer: &str, held: u64, bytes: u64) -> Result<()> {
        let used = self.used.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if used > self.max_bytes {
            self.used.fetch_sub(bytes, Ordering::Relaxed);
            return Err(EmberError::ResourcesExhausted(ResourcesExhausted {
                consumer: consumer.to_string(),
                resource: "spill space",
                setting: "ember.spill.max_bytes",
                wanted: bytes,
                held,
                cap: self.max_bytes,
                limit_kind: "the query's cap",
                limit: self.max_bytes,
                note: None,
            }));
        }
        Ok(())
    }

    /// Gives back `bytes` of files deleted.
    pub fn release(&self, bytes: u64) {
        self.used.fetch_sub(bytes, Ordering::Relaxed);
    }
}

impl Drop for SpillDir {
    fn drop(&mut self) {
        let created = *self.created.get_mut().unwrap_or_else(|p| p.into_inner());
        if created {
            // Nothing to report to: the query is over. A folder that cannot be removed
            // stays behind in the temp folder.
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// A writer that counts the bytes it passes on.
struct CountingWriter {
    inner: BufWriter<File>,
    written: u64,
}

impl Write for CountingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A spill file being written; dropped unfinished, it deletes the file.
pub struct SpillWriter {
    dir: Arc<SpillDir>,
    consumer: String,
    path: PathBuf,
    writer: Option<FileWriter<CountingWriter>>,
    /// Bytes charged to the folder's cap so far.
    accounted: u64,
    rows: usize,
}

impl SpillWriter {
    /// Appends a batch; fails past the query's spill cap.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let Some(writer) = self.writer.as_mut() else {
            return Err(EmberError::internal(
                "spill file written after it was finished",
            ));
        };
        writer.write(batch)?;
        self.rows += batch.num_rows();
        let written = writer.get_ref().written;
        let more = written.saturating_sub(self.accounted);
        self.dir.charge(&self.consumer, self.accounted, more)?;
        self.accounted = written;
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Closes the file; it can be read back.
    pub fn finish(mut self) -> Result<SpillFile> {
        let Some(mut writer) = self.writer.take() else {
            return Err(EmberError::internal("spill file finished twice"));
        };
        writer.finish()?;
        let mut counting = writer.into_inner()?;
        counting
            .flush()
            .map_err(|e| EmberError::io(&self.path, e))?;
        let more = counting.written.saturating_sub(self.accounted);
        self.dir.charge(&self.consumer, self.accounted, more)?;
        self.accounted = counting.written;
        self.dir.pool.record_spill(self.accounted);
        Ok(SpillFile {
            dir: Arc::clone(&self.dir),
            path: std::mem::take(&mut self.path),
            bytes: std::mem::take(&mut self.accounted),
            rows: self.rows,
        })
    }
}

impl Drop for SpillWriter {
    fn drop(&mut self) {
        // Finished files own the path from here on (it was taken).
        if !self.path.as_os_str().is_empty() {
            drop(self.writer.take());
            let _ = std::fs::remove_file(&self.path);
            self.dir.release(self.accounted);
        }
    }
}

/// A finished spill file; dropping it deletes it.
#[derive(Debug)]
pub struct SpillFile {
    dir: Arc<SpillDir>,
    path: PathBuf,
    bytes: u64,
    rows: usize,
}

impl SpillFile {
    /// Its size on disk.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Rows in it.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Its batches, in the order they were written, read one at a time.
    pub fn read(&self) -> Result<impl Iterator<Item = Result<RecordBatch>> + Send + use<>> {
        let file = File::open(&self.path).map_err(|e| EmberError::io(&self.path, e))?;
        let reader = FileReader::try_new(BufReader::new(file), None)?;
        Ok(reader.map(|b| b.map_err(EmberError::from)))
    }
}

impl Drop for SpillFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        self.dir.release(self.bytes);
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn batch(values: Vec<i64>) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, false)]));
        RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(values))]).unwrap()
    }

    fn temp_parent(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("ember-spill-test-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn files_read_back_and_vanish_with_their_owners() {
        let parent = temp_parent("roundtrip");
        let pool = MemoryPool::new(1 << 20);
        let dir = SpillDir::new(&parent, 1 << 30, pool.clone());
        let b = batch(vec![1, 2, 3]);
        let mut writer = dir.create_file("test", &b.schema()).unwrap();
        writer.write(&b).unwrap();
        writer.write(&batch(vec![4])).unwrap();
        let file = writer.finish().unwrap();
        assert_eq!(file.rows(), 4);
        assert!(file.bytes() > 0);
        assert_eq!(dir.used_bytes(), file.bytes());
        let back: Vec<RecordBatch> = file.read().unwrap().collect::<Result<_>>().unwrap();
        assert_eq!(back, vec![b.clone(), batch(vec![4])]);
        assert_eq!(pool.snapshot().spill_files, 1);
        // An unfinished file is deleted when dropped.
        let mut unfinished = dir.create_file("test", &b.schema()).unwrap();
        unfinished.write(&b).unwrap();
        drop(unfinished);
        drop(file);
        assert_eq!(dir.used_bytes(), 0);
        let left = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(left, 0);
        let folder = dir.path().to_path_buf();
        drop(dir);
        assert!(!folder.exists());
        std::fs::remove_dir_all(parent).unwrap();
    }

    #[test]
    fn the_disk_cap_is_a_typed_error() {
        let parent = temp_parent("cap");
        let dir = SpillDir::new(&parent, 64, MemoryPool::unbounded());
        let b = batch((0..1000).collect());
        let mut writer = dir.create_file("Sort (partition 0)", &b.schema()).unwrap();
        let error = writer.write(&b).unwrap_err();
        assert!(
            matches!(error, EmberError::ResourcesExhausted(_)),
            "{error}"
        );
        assert!(
            error.to_string().contains("ember.spill.max_bytes"),
            "{error}"
        );
        drop(writer);
        let folder = dir.path().to_path_buf();
        drop(dir);
        assert!(!folder.exists());
        std::fs::remove_dir_all(parent).unwrap();
    }
}
