//! The eight TPC-H tables, generated with `tpchgen-arrow`.
//!
//! In: a scale factor and a partition count. Out: one [`DataSource`] per table, with
//! the column names and types of the Parquet files `tpchgen-cli` writes (strings as
//! `Utf8`). Small scale factors are generated in memory at once ([`MemTable`], one
//! partition per generator part, parts generated in parallel on rayon's pool). Larger
//! ones would take gigabytes of memory before the first query: each of their tables is
//! generated when a query first needs it into a Parquet file of a temporary folder
//! ([`GeneratedTable`]), a few parts at a time so that memory stays bounded, and is
//! then read like any Parquet file; the folder is removed when the tables are dropped.
//! `nation` and `region` are fixed tables and always have one partition.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, SchemaRef};
use arrow::error::ArrowError;
use ember_planner::catalog::Statistics;
use rayon::prelude::*;
use tpchgen::generators::{
    CustomerGenerator, LineItemGenerator, NationGenerator, OrderGenerator, PartGenerator,
    PartSuppGenerator, RegionGenerator, SupplierGenerator,
};
use tpchgen_arrow::{
    CustomerArrow, LineItemArrow, NationArrow, OrderArrow, PartArrow, PartSuppArrow, RegionArrow,
    SupplierArrow,
};

use super::memory::MemTable;
use super::{BatchIter, DataSource, EncodedRowGroup};
use crate::error::{EmberError, Result};

/// The TPC-H table names, in the order [`tpch_tables`] returns them.
pub const TPCH_TABLE_NAMES: [&str; 8] = [
    "nation", "region", "part", "supplier", "partsupp", "customer", "orders", "lineitem",
];

/// Memory the generated tables take per unit of scale factor, at peak (measured: about
/// 2.4 GB per scale factor above a fixed 0.3 GB, Arrow buffers and generator slack).
const BYTES_PER_SCALE_FACTOR: f64 = 2.5e9;

/// Disk the Parquet files of the tables take per unit of scale factor (measured: 0.36 GB
/// at scale factor 1, Snappy-compressed).
const FILE_BYTES_PER_SCALE_FACTOR: f64 = 0.4e9;

/// Tables whose Arrow data would take more than this are generated into files on first
/// use rather than into memory (about scale factor 0.4).
const IN_MEMORY_MAX_BYTES: f64 = 1e9;

/// Share of the available memory or disk the generated tables may take.
const RESOURCE_SHARE: f64 = 0.8;

/// Rows per generator part of the tables generated into files: one row group each.
const ROWS_PER_PART: f64 = 131_072.0;

/// Whether the tables at scale factor `sf` are generated in memory (else into files).
fn in_memory(sf: f64) -> bool {
    sf * BYTES_PER_SCALE_FACTOR <= IN_MEMORY_MAX_BYTES
}

/// Checks that `sf` is a positive number and that the tables it makes fit: in memory,
/// their estimated size may take at most 80% of the memory available now; as files, of
/// the disk space free in the temporary folder.
pub fn check_scale_factor(sf: f64) -> Result<()> {
    if in_memory(sf) {
        check_scale_factor_within(sf, available_memory(), Resource::Memory)
    } else {
        let dir = std::env::temp_dir();
        let free = available_disk(&dir);
        check_scale_factor_within(sf, free, Resource::Disk(dir))
    }
}

/// Where generated tables are kept.
enum Resource {
    Memory,
    /// Parquet files in this folder.
    Disk(PathBuf),
}

/// As [`check_scale_factor`], with `available` bytes of the resource the tables go to
/// (`None`: unknown, so only the sign is checked).
fn check_scale_factor_within(sf: f64, available: Option<u64>, resource: Resource) -> Result<()> {
    if !(sf.is_finite() && sf > 0.0) {
        return Err(EmberError::config(format!(
            "invalid TPC-H scale factor {sf}: expected a number greater than 0"
        )));
    }
    let Some(available) = available else {
        return Ok(());
    };
    let per_sf = match resource {
        Resource::Memory => BYTES_PER_SCALE_FACTOR,
        Resource::Disk(_) => FILE_BYTES_PER_SCALE_FACTOR,
    };
    let budget = available as f64 * RESOURCE_SHARE;
    let need = sf * per_sf;
    if need <= budget {
        return Ok(());
    }
    let largest = budget / per_sf;
    let largest = if largest >= 10.0 {
        format!("{}", largest.floor())
    } else {
        format!("{:.2}", (largest * 100.0).floor() / 100.0)
    };
    let (need, available) = (human_bytes(need), human_bytes(available as f64));
    Err(EmberError::config(match resource {
        Resource::Memory => format!(
            "TPC-H scale factor {sf} needs about {need} of memory to generate in memory, but \
             {available} is available (the tables may take 80% of it): the largest scale \
             factor that fits is about {largest}; query Parquet files for larger data"
        ),
        Resource::Disk(dir) => format!(
            "TPC-H scale factor {sf} needs about {need} of disk for its Parquet files in '{}', \
             but {available} is free (the tables may take 80% of it): the largest scale \
             factor that fits is about {largest}",
            dir.display()
        ),
    }))
}

/// The memory available to new allocations, from `/proc/meminfo` (Linux).
fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kb.checked_mul(1024)
}

/// The bytes free to unprivileged users on the file system holding `dir`.
#[cfg(unix)]
fn available_disk(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `path` is a NUL-terminated string and `stat` a buffer of the right type;
    // statvfs only writes into it, and it is read only when the call succeeded.
    let stat = unsafe {
        if libc::statvfs(path.as_ptr(), stat.as_mut_ptr()) != 0 {
            return None;
        }
        stat.assume_init()
    };
    (stat.f_bavail as u64).checked_mul(stat.f_frsize as u64)
}

#[cfg(not(unix))]
fn available_disk(_dir: &Path) -> Option<u64> {
    None
}

/// Bytes as "12.3 GB".
fn human_bytes(bytes: f64) -> String {
    let units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < units.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", units[unit])
}

/// Stops a generation that is no longer wanted: called between parts, it returns an
/// error once the statement that started the generation is cancelled.
pub type Interrupt = Arc<dyn Fn() -> Result<()> + Send + Sync>;

/// The eight TPC-H tables at scale factor `sf`, by name. Small scale factors are
/// generated in memory now, each table split into `partitions` parts (at least one);
/// larger ones become [`GeneratedTable`]s, generated into files on first use (stopped
/// by `interrupt`). A scale factor whose tables would not fit is an error
/// ([`check_scale_factor`]).
pub fn tpch_tables(
    sf: f64,
    partitions: usize,
    interrupt: Interrupt,
) -> Result<Vec<(String, Arc<dyn DataSource>)>> {
    check_scale_factor(sf)?;
    if in_memory(sf) {
        return Ok(memory_tables(sf, partitions)?
            .into_iter()
            .map(|(name, table)| (name, Arc::new(table) as Arc<dyn DataSource>))
            .collect());
    }
    let folder = Arc::new(TempFolder::new());
    Ok(TPCH_TABLE_NAMES
        .iter()
        .map(|&name| {
            let table = GeneratedTable {
                name,
                sf,
                folder: folder.clone(),
                interrupt: interrupt.clone(),
                file: Mutex::new(Generated::NotYet),
            };
            (name.to_string(), Arc::new(table) as Arc<dyn DataSource>)
        })
        .collect())
}

/// The eight TPC-H tables at scale factor `sf` generated in memory, each split into
/// `partitions` parts (at least one).
fn memory_tables(sf: f64, partitions: usize) -> Result<Vec<(String, MemTable)>> {
    let parts = partitions.clamp(1, i32::MAX as usize);
    let tasks: Vec<(usize, usize)> = TPCH_TABLE_NAMES
        .iter()
        .enumerate()
        .flat_map(|(t, name)| {
            let n = if is_fixed(name) { 1 } else { parts };
            (1..=n).map(move |p| (t, p))
        })
        .collect();
    let generated: Vec<Result<Vec<RecordBatch>>> = tasks
        .par_iter()
        .map(|&(t, p)| {
            let n = if is_fixed(TPCH_TABLE_NAMES[t]) {
                1
            } else {
                parts
            };
            generate(TPCH_TABLE_NAMES[t], sf, p as i32, n as i32)
        })
        .collect();

    let mut per_table: Vec<Vec<Vec<RecordBatch>>> = vec![Vec::new(); TPCH_TABLE_NAMES.len()];
    for (&(t, _), batches) in tasks.iter().zip(generated) {
        per_table[t].push(batches?);
    }
    TPCH_TABLE_NAMES
        .iter()
        .zip(per_table)
        .map(|(name, partitions)| {
            let table = MemTable::try_new(schema_of(name), partitions)?;
            Ok((name.to_string(), table))
        })
        .collect()
}

/// A temporary folder for generated files, removed with everything in it when dropped.
#[derive(Debug)]
struct TempFolder(PathBuf);

impl TempFolder {
    /// A new folder name under the system's temporary folder (created when written to).
    /// Folders left by Ember processes that were killed are removed first.
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let temp = std::env::temp_dir();
        if n == 0 {
            remove_abandoned_folders(&temp);
        }
        TempFolder(temp.join(format!("{FOLDER_PREFIX}{}-{n}", std::process::id())))
    }
}

/// The start of the names of the folders of generated tables: `ember-tpch-<pid>-<n>`.
const FOLDER_PREFIX: &str = "ember-tpch-";

/// Removes the folders of generated tables in `temp` whose process is gone (where
/// `/proc` tells which processes run).
fn remove_abandoned_folders(temp: &Path) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(temp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(FOLDER_PREFIX)) else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or("");
        if pid.parse::<u32>().is_ok() && !proc.join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

impl Drop for TempFolder {
    fn drop(&mut self) {
        // Nothing to do when no table was generated.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One TPC-H table generated when a query first needs it (its statistics, partitions or
/// rows) into a Parquet file of a temporary folder, one row group per generator part,
/// and read from that file from then on. A generation that fails or is interrupted is
/// tried once more by the next query's planning (its statistics); within one query the
/// other calls report the failure rather than generating again.
pub struct GeneratedTable {
    name: &'static str,
    sf: f64,
    folder: Arc<TempFolder>,
    interrupt: Interrupt,
    /// Where the generation stands; the lock also keeps two queries from generating the
    /// table at the same time.
    file: Mutex<Generated>,
}

/// Where the generation of a [`GeneratedTable`] stands.
enum Generated {
    NotYet,
    /// The file, read as Parquet.
    Ready(Arc<dyn DataSource>),
    /// The last attempt failed with this message.
    Failed(String),
}

impl std::fmt::Debug for GeneratedTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedTable")
            .field("name", &self.name)
            .field("sf", &self.sf)
            .field("folder", &self.folder.0)
            .finish()
    }
}

impl GeneratedTable {
    /// The Parquet file of the table, generated first if it is not there yet; after a
    /// failed generation, generated again only when `retry` is set, else the failure.
    fn source(&self, retry: bool) -> Result<Arc<dyn DataSource>> {
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        match &*file {
            Generated::Ready(source) => return Ok(source.clone()),
            Generated::Failed(message) if !retry => {
                return Err(EmberError::execution(message.clone()));
            }
            Generated::NotYet | Generated::Failed(_) => {}
        }
        match self.generate() {
            Ok(source) => {
                *file = Generated::Ready(source.clone());
                Ok(source)
            }
            Err(e) => {
                *file = Generated::Failed(e.to_string());
                Err(e)
            }
        }
    }

    /// Where the file goes.
    fn path(&self) -> PathBuf {
        self.folder.0.join(format!("{}.parquet", self.name))
    }

    /// Generates the file (no file is left when that fails) and opens it.
    fn generate(&self) -> Result<Arc<dyn DataSource>> {
        let dir = &self.folder.0;
        std::fs::create_dir_all(dir).map_err(|e| EmberError::io(dir, e))?;
        let path = self.path();
        let partial = path.with_extension("parquet.partial");
        let written = write_table(&partial, self.name, self.sf, &*self.interrupt)
            .and_then(|()| std::fs::rename(&partial, &path).map_err(|e| EmberError::io(&path, e)));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
        super::open_parquet(&path.to_string_lossy())
    }
}

impl DataSource for GeneratedTable {
    fn schema(&self) -> SchemaRef {
        // The schema its Parquet file is read with: strings as Utf8, not the
        // generator's Utf8View (writers check batches against this schema).
        super::normalize_schema(&schema_of(self.name))
    }

    fn statistics(&self) -> Statistics {
        // Planning asks first: a failed generation is tried again here, and reported by
        // the scan.
        self.source(true)
            .map(|s| s.statistics())
            .unwrap_or_default()
    }

    fn describe(&self) -> String {
        format!(
            "tpch: {} at scale factor {} (generated into {})",
            self.name,
            self.sf,
            self.path().display()
        )
    }

    fn num_partitions(&self) -> usize {
        // One partition whose scan reports a failed generation.
        self.source(false).map_or(1, |s| s.num_partitions())
    }

    fn partition_statistics(&self, partition: usize) -> Option<Statistics> {
        self.source(false).ok()?.partition_statistics(partition)
    }

    fn scan(&self, partition: usize, projection: &[usize], batch_size: usize) -> Result<BatchIter> {
        self.source(false)?.scan(partition, projection, batch_size)
    }
}

/// Writes the eight TPC-H tables at scale factor `sf` as `<dir>/<table>.parquet`, a
/// few generator parts at a time, so memory stays bounded at any scale.
pub fn write_tpch_parquet(dir: &Path, sf: f64) -> Result<()> {
    if !(sf.is_finite() && sf > 0.0) {
        return Err(EmberError::execution(format!(
            "TPC-H scale factor must be a positive number, got {sf}"
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| EmberError::io(dir, e))?;
    for name in TPCH_TABLE_NAMES {
        write_table(&dir.join(format!("{name}.parquet")), name, sf, &|| Ok(()))?;
    }
    Ok(())
}

/// Rows of each table per unit of scale factor (nation and region are fixed).
fn rows_per_scale_factor(name: &str) -> f64 {
    match name {
        "part" => 200_000.0,
        "supplier" => 10_000.0,
        "partsupp" => 800_000.0,
        "customer" => 150_000.0,
        "orders" => 1_500_000.0,
        "lineitem" => 6_000_000.0,
        _ => 0.0,
    }
}

/// Writes table `name` at scale factor `sf` to a Parquet file at `path`, one row group
/// per generator part of about 131,072 rows. As many parts as there are cores are
/// generated and encoded at once, each on a thread of its own (so it never waits on a
/// busy task pool), and appended in order; `interrupt` is asked every 20 ms whether to
/// go on.
fn write_table(
    path: &Path,
    name: &'static str,
    sf: f64,
    interrupt: &(dyn Fn() -> Result<()> + Send + Sync),
) -> Result<()> {
    let parts = if is_fixed(name) {
        1
    } else {
        let n = (sf * rows_per_scale_factor(name) / ROWS_PER_PART).ceil();
        n.clamp(1.0, i32::MAX as f64) as i32
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(parts as usize);
    let schema = schema_of(name);
    // Dictionaries only for the strings with few distinct values (flags, modes,
    // priorities, types): comments, names, addresses, phone numbers and most numbers
    // are nearly all distinct, and interning them would only cost time.
    let mut properties = super::parquet_properties().set_dictionary_enabled(false);
    for field in schema.fields() {
        let column = field.name().as_str();
        let few_values = matches!(field.data_type(), DataType::Utf8 | DataType::Utf8View)
            && !["comment", "name", "address", "phone"]
                .iter()
                .any(|suffix| column.ends_with(suffix));
        if few_values {
            let path = ::parquet::schema::types::ColumnPath::from(column);
            properties = properties.set_column_dictionary_enabled(path, true);
        }
    }
    let mut sink = super::ParquetRowGroupSink::create(path, schema, properties.build())?;
    // The workers are threads of their own, not scoped: an interrupted writer returns
    // at once, and they stop at their next batch.
    let stop = StopOnDrop(Arc::new(AtomicBool::new(false)));
    let next_part = Arc::new(AtomicI32::new(1));
    // Each worker holds at most one finished part waiting to be sent.
    let (sender, receiver) = std::sync::mpsc::sync_channel(threads);
    for _ in 0..threads {
        let (sender, encoders) = (sender.clone(), sink.encoders());
        let (stopped, next_part) = (stop.0.clone(), next_part.clone());
        let encode = move |part: i32| -> Result<EncodedRowGroup> {
            let mut encoder = encoders.encoder(part as usize - 1)?;
            for batch in generate_stream(name, sf, part, parts) {
                if stopped.load(Ordering::Relaxed) {
                    return Err(EmberError::execution("generation stopped"));
                }
                encoder.write(&batch?)?;
            }
            encoder.finish()
        };
        let stopped = stop.0.clone();
        std::thread::spawn(move || {
            loop {
                let part = next_part.fetch_add(1, Ordering::Relaxed);
                // A closed channel means the writer stopped.
                if part > parts
                    || stopped.load(Ordering::Relaxed)
                    || sender.send((part, encode(part))).is_err()
                {
                    break;
                }
            }
        });
    }
    drop(sender);
    // Parts finish out of order; they are appended in order.
    let progress = GenerationEntry::start(name, parts);
    let mut finished = std::collections::BTreeMap::new();
    let mut expected = 1;
    loop {
        use std::sync::mpsc::RecvTimeoutError;
        match receiver.recv_timeout(std::time::Duration::from_millis(20)) {
            Ok((part, encoded)) => {
                finished.insert(part, encoded);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        interrupt()?;
        while let Some(encoded) = finished.remove(&expected) {
            sink.append(encoded?)?;
            progress.set_done(expected);
            expected += 1;
        }
    }
    if expected <= parts {
        return Err(EmberError::internal(format!(
            "generating TPC-H table {name}: part {expected} of {parts} never came"
        )));
    }
    sink.close()
}

/// A table being generated into a file, for progress displays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generation {
    /// The table.
    pub table: &'static str,
    /// Parts written.
    pub parts_done: i32,
    /// Parts in all.
    pub parts: i32,
}

/// The generations running now, by an id of their own.
static GENERATING: Mutex<Vec<(usize, Generation)>> = Mutex::new(Vec::new());

/// The tables being generated into files now, in the process.
pub fn generating() -> Vec<Generation> {
    let running = GENERATING.lock().unwrap_or_else(|e| e.into_inner());
    running.iter().map(|(_, g)| g.clone()).collect()
}

/// One entry of [`GENERATING`], removed when dropped.
struct GenerationEntry(usize);

impl GenerationEntry {
    fn start(table: &'static str, parts: i32) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        let generation = Generation {
            table,
            parts_done: 0,
            parts,
        };
        let mut running = GENERATING.lock().unwrap_or_else(|e| e.into_inner());
        running.push((id, generation));
        GenerationEntry(id)
    }

    fn set_done(&self, parts_done: i32) {
        let mut running = GENERATING.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, g)) = running.iter_mut().find(|(id, _)| *id == self.0) {
            g.parts_done = parts_done;
        }
    }
}

impl Drop for GenerationEntry {
    fn drop(&mut self) {
        let mut running = GENERATING.lock().unwrap_or_else(|e| e.into_inner());
        running.retain(|(id, _)| *id != self.0);
    }
}

/// Tells the workers of [`write_table`] to stop when the writer returns, whichever way.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

fn is_fixed(name: &str) -> bool {
    matches!(name, "nation" | "region")
}

/// The schema `tpchgen-arrow` gives a table.
fn schema_of(name: &str) -> SchemaRef {
    match name {
        "nation" => NationArrow::schema_ref(),
        "region" => RegionArrow::schema_ref(),
        "part" => PartArrow::schema_ref(),
        "supplier" => SupplierArrow::schema_ref(),
        "partsupp" => PartSuppArrow::schema_ref(),
        "customer" => CustomerArrow::schema_ref(),
        "orders" => OrderArrow::schema_ref(),
        _ => LineItemArrow::schema_ref(),
    }
}

/// Generates part `part` (1-based) of `parts` of one table.
fn generate(name: &str, sf: f64, part: i32, parts: i32) -> Result<Vec<RecordBatch>> {
    generate_stream(name, sf, part, parts).collect()
}

/// The batches of part `part` (1-based) of `parts` of one table, generated as they are
/// read.
fn generate_stream(
    name: &str,
    sf: f64,
    part: i32,
    parts: i32,
) -> Box<dyn Iterator<Item = Result<RecordBatch>> + Send> {
    fn boxed(
        batches: impl Iterator<Item = std::result::Result<RecordBatch, ArrowError>> + Send + 'static,
    ) -> Box<dyn Iterator<Item = Result<RecordBatch>> + Send> {
        Box::new(batches.map(|b| b.map_err(EmberError::from)))
    }
    match name {
        "nation" => boxed(NationArrow::new(NationGenerator::new(sf, part, parts))),
        "region" => boxed(RegionArrow::new(RegionGenerator::new(sf, part, parts))),
        "part" => boxed(PartArrow::new(PartGenerator::new(sf, part, parts))),
        "supplier" => boxed(SupplierArrow::new(SupplierGenerator::new(sf, part, parts))),
        "partsupp" => boxed(PartSuppArrow::new(PartSuppGenerator::new(sf, part, parts))),
        "customer" => boxed(CustomerArrow::new(CustomerGenerator::new(sf, part, parts))),
        "orders" => boxed(OrderArrow::new(OrderGenerator::new(sf, part, parts))),
        _ => boxed(LineItemArrow::new(LineItemGenerator::new(sf, part, parts))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Strings as Utf8, as Ember reads them.
    fn normalize_type(t: &DataType) -> DataType {
        match t {
            DataType::Utf8View | DataType::LargeUtf8 => DataType::Utf8,
            t => t.clone(),
        }
    }

    fn go_on() -> Interrupt {
        Arc::new(|| Ok(()))
    }

    #[test]
    fn scale_factor_must_be_positive_and_fit() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let e = check_scale_factor_within(bad, None, Resource::Memory)
                .unwrap_err()
                .to_string();
            assert!(e.contains("expected a number greater than 0"), "{e}");
        }
        assert!(check_scale_factor_within(1000.0, None, Resource::Memory).is_ok());
        // 16 GB available: 12.8 GB for the tables, about scale factor 5 in memory and
        // 32 as files.
        let gb16 = Some(16_000_000_000);
        assert!(check_scale_factor_within(5.0, gb16, Resource::Memory).is_ok());
        let e = check_scale_factor_within(1000.0, gb16, Resource::Memory)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "TPC-H scale factor 1000 needs about 2.5 TB of memory to generate in memory, \
             but 16.0 GB is available (the tables may take 80% of it): the largest scale \
             factor that fits is about 5.12; query Parquet files for larger data"
        );
        let disk = || Resource::Disk(PathBuf::from("/tmp"));
        assert!(check_scale_factor_within(30.0, gb16, disk()).is_ok());
        let e = check_scale_factor_within(100.0, gb16, disk())
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "TPC-H scale factor 100 needs about 40.0 GB of disk for its Parquet files in \
             '/tmp', but 16.0 GB is free (the tables may take 80% of it): the largest scale \
             factor that fits is about 32"
        );
        // Which one applies depends on the size.
        assert!(in_memory(0.1) && in_memory(0.4) && !in_memory(1.0));
    }

    #[test]
    fn row_counts_at_sf_001() {
        let tables = memory_tables(0.01, 3).unwrap();
        let counts: Vec<(String, Option<usize>, usize)> = tables
            .iter()
            .map(|(n, t)| (n.clone(), t.statistics().row_count, t.num_partitions()))
            .collect();
        let expect = [
            ("nation", 25, 1),
            ("region", 5, 1),
            ("part", 2000, 3),
            ("supplier", 100, 3),
            ("partsupp", 8000, 3),
            ("customer", 1500, 3),
            ("orders", 15000, 3),
            ("lineitem", 60175, 3),
        ];
        for ((name, rows, parts), (en, er, ep)) in counts.iter().zip(expect) {
            assert_eq!((name.as_str(), *rows, *parts), (en, Some(er), ep));
        }
        let (_, lineitem) = &tables[7];
        let s = lineitem.schema();
        assert_eq!(s.field(0).name(), "l_orderkey");
        assert_eq!(s.field(0).data_type(), &DataType::Int64);
        assert_eq!(s.field(5).data_type(), &DataType::Decimal128(15, 2));
        assert_eq!(s.field(10).data_type(), &DataType::Date32);
        assert_eq!(s.field(15).data_type(), &DataType::Utf8);
        // Each part holds a share of the rows, and the scan returns Utf8 strings.
        let rows: usize = lineitem.partitions()[1].iter().map(|b| b.num_rows()).sum();
        assert!(rows > 15000 && rows < 25000, "{rows}");
        let batch = lineitem
            .scan(0, &[15], 1000)
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(batch.column(0).data_type(), &DataType::Utf8);
    }

    /// All rows of a source, in partition order.
    fn rows(source: &dyn DataSource) -> Vec<RecordBatch> {
        let all: Vec<usize> = (0..source.schema().fields().len()).collect();
        (0..source.num_partitions())
            .flat_map(|p| source.scan(p, &all, 8192).unwrap())
            .map(|b| b.unwrap())
            .collect()
    }

    #[test]
    fn generated_tables_hold_the_same_rows_as_memory_tables_and_leave_no_files() {
        let folder = Arc::new(TempFolder::new());
        let dir = folder.0.clone();
        let interrupted = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let flag = interrupted.clone();
        // An interrupted generation asks once: this counts the attempts.
        let asked = Arc::new(AtomicUsize::new(0));
        let attempts = asked.clone();
        let orders = GeneratedTable {
            name: "orders",
            sf: 0.1,
            folder: folder.clone(),
            interrupt: Arc::new(move || {
                attempts.fetch_add(1, Ordering::Relaxed);
                if flag.load(Ordering::Relaxed) {
                    Err(EmberError::execution("stopped"))
                } else {
                    Ok(())
                }
            }),
            file: Mutex::new(Generated::NotYet),
        };
        // An interrupted generation fails and leaves no file; the rest of the query
        // reports it without generating again, the next query's planning tries again.
        let e = orders
            .scan(0, &[0], 10)
            .err()
            .expect("the generation was stopped");
        assert_eq!(e.to_string(), "stopped");
        assert_eq!(orders.num_partitions(), 1);
        assert_eq!(orders.partition_statistics(0), None);
        let e = orders.scan(0, &[0], 10).err().expect("still failed");
        assert_eq!(e.to_string(), "stopped");
        assert_eq!(asked.load(Ordering::Relaxed), 1, "one attempt");
        assert_eq!(orders.statistics(), Statistics::default());
        assert_eq!(asked.load(Ordering::Relaxed), 2, "planning tried again");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        interrupted.store(false, Ordering::Relaxed);
        // 150,000 rows: two parts, one row group each.
        assert_eq!(orders.statistics().row_count, Some(150_000));
        assert_eq!(orders.num_partitions(), 2);
        assert!(orders.describe().contains("orders at scale factor 0.1"));
        let generated = rows(&orders);
        // Batches have the table's schema (writers check it).
        assert_eq!(generated[0].schema().fields(), orders.schema().fields());
        // The parts put together are the table generated in one piece.
        let expected = generate("orders", 0.1, 1, 1).unwrap();
        let concat = |b: &[RecordBatch]| {
            let all = arrow::compute::concat_batches(&b[0].schema(), b).unwrap();
            all.columns()
                .iter()
                .map(|c| arrow::compute::cast(c, &normalize_type(c.data_type())).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(concat(&generated), concat(&expected));
        assert!(dir.join("orders.parquet").exists());
        drop(orders);
        drop(folder);
        assert!(!dir.exists(), "the folder is removed with its tables");
    }

    #[test]
    fn folders_of_killed_processes_are_removed() {
        let temp = std::env::temp_dir().join(format!("ember-abandoned-{}", std::process::id()));
        // No process has pid 4294967295; this one is alive.
        let gone = temp.join(format!("{FOLDER_PREFIX}4294967295-0"));
        let alive = temp.join(format!("{FOLDER_PREFIX}{}-0", std::process::id()));
        let other = temp.join("ember-tpch-notes");
        for dir in [&gone, &alive, &other] {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join("orders.parquet"), "x").unwrap();
        }
        remove_abandoned_folders(&temp);
        if Path::new("/proc/self").exists() {
            assert!(!gone.exists());
        }
        assert!(alive.exists() && other.exists());
        std::fs::remove_dir_all(&temp).unwrap();
    }

    #[test]
    fn rejects_bad_scale_factors() {
        assert!(tpch_tables(0.0, 1, go_on()).is_err());
        assert!(tpch_tables(f64::NAN, 1, go_on()).is_err());
    }
}
