//! Data sources: tables the planner can plan over and the runtime can scan.
//!
//! In: a file path (Parquet or CSV), batches already in memory, or a TPC-H scale factor.
//! Out: a [`DataSource`] that reports its schema and cheap statistics and scans one
//! partition at a time into Arrow record batches, wrapped in a [`Table`] that the
//! planner sees as an [`ember_planner::TableSource`].
//!
//! - [`parquet`]: Parquet files, one partition per row group, statistics from the footer.
//! - [`cluster`]: tables only a Spark cluster's catalog holds (remote mode); their
//!   schema only, never scanned by Ember.
//! - [`csv`]: CSV files with schema inference, one partition per file, and errors
//!   naming the physical line of a malformed record.
//! - [`json`]: JSON lines files, one partition per file.
//! - [`listing`]: the files a path, folder or glob names, with their partition folders.
//! - [`memory`]: record batches held in memory, with exact statistics.
//! - [`external`]: tables of files that writes add files to (CREATE EXTERNAL TABLE).
//! - [`hive`]: `name=value` partition folders, their escaping and typed values.
//! - [`managed`]: tables created by `CREATE TABLE`: declared columns and keys, rows in
//!   memory replaced whole by each write.
//! - [`tpch`]: the eight TPC-H tables, generated in memory or into files on first use.
//! - `stats`: min/max/null counts of arrays, shared by the sources.
//!
//! Strings are always `Utf8` inside Ember: sources report `Utf8View` and `LargeUtf8`
//! columns as `Utf8` and convert them as they read.
//!
//! May import: `arrow`, `parquet`, `tpchgen*`, `ember_planner::{catalog, scalar, types}` and
//! `crate::error`. Knows nothing of plans, RDDs or operators.

pub mod cluster;
pub mod csv;
pub mod external;
pub mod hive;
pub mod json;
pub mod listing;
pub mod managed;
pub mod memory;
pub mod parquet;
pub mod prune;
mod stats;
pub mod tpch;

use std::any::Any;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use ember_planner::catalog::{Statistics, TableSource};

use crate::error::{EmberError, Result};

pub use self::csv::{CsvOptions, CsvTable};
pub use self::managed::ManagedTable;
pub use self::memory::MemTable;
pub use self::parquet::ParquetTable;
pub use self::tpch::tpch_tables;

/// A stream of record batches from one partition of a source.
pub type BatchIter = Box<dyn Iterator<Item = Result<RecordBatch>> + Send>;

/// A table the runtime can scan, one partition at a time.
pub trait DataSource: Send + Sync + std::fmt::Debug {
    /// The table's columns; strings are reported as `Utf8`.
    fn schema(&self) -> SchemaRef;
    /// Statistics, as far as they are cheap to know.
    fn statistics(&self) -> Statistics {
        Statistics::default()
    }
    /// A short description for EXPLAIN (`parquet: path`, `memory`, ...).
    fn describe(&self) -> String;
    /// How many partitions [`DataSource::scan`] accepts.
    fn num_partitions(&self) -> usize;
    /// Statistics of one partition, when known, for skipping partitions no row of
    /// which can pass a scan's filters.
    fn partition_statistics(&self, _partition: usize) -> Option<Statistics> {
        None
    }
    /// Reads one partition. The batches hold exactly the columns `projection` (indices into
    /// [`DataSource::schema`]) in that order, with at most about `batch_size` rows each.
    fn scan(&self, partition: usize, projection: &[usize], batch_size: usize) -> Result<BatchIter>;
    /// For a table whose rows change (written by INSERT, ...), the source holding its
    /// rows now, which does not change: a scan plans its partitions from it and reads
    /// them from it, so a write while it runs cannot mix two versions. `None` for a
    /// source that never changes.
    fn current(&self) -> Option<Arc<dyn DataSource>> {
        None
    }
    /// The columns whose values come from `name=value` folders (Hive partitions), in
    /// folder order; empty for other sources.
    fn partition_columns(&self) -> Vec<String> {
        Vec::new()
    }
    /// For a partition lying in `name=value` folders: its value of each such column,
    /// by column position. Scans skip partitions whose values fail a filter.
    fn partition_values(
        &self,
        _partition: usize,
    ) -> Option<Vec<(usize, ember_planner::ScalarValue)>> {
        None
    }
    /// Where the rows lie when they are files another engine can read by path (remote
    /// mode sends this); `None` for rows held in memory or generated.
    fn file_location(&self) -> Option<FileLocation> {
        None
    }
}

/// Files as another engine reads them: a format, a path (file, folder or glob) and
/// the reader's options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLocation {
    /// `parquet`, `csv` or `json`.
    pub format: String,
    /// The path as the table was given it.
    pub path: String,
    /// Reader options by Spark's names (`header`, `sep`).
    pub options: Vec<(String, String)>,
}

/// A data source as the planner and the runtime share it. The planner sees a
/// [`TableSource`]; the runtime downcasts it back (`as_any`) to reach the source.
#[derive(Debug, Clone)]
pub struct Table(pub Arc<dyn DataSource>);

impl Table {
    /// Wraps a source.
    pub fn new(source: impl DataSource + 'static) -> Self {
        Table(Arc::new(source))
    }
    /// The source.
    pub fn source(&self) -> &Arc<dyn DataSource> {
        &self.0
    }
}

impl TableSource for Table {
    fn schema(&self) -> SchemaRef {
        self.0.schema()
    }
    fn statistics(&self) -> Statistics {
        self.0.statistics()
    }
    fn describe(&self) -> String {
        self.0.describe()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Opens a Parquet or CSV file, folder or glob as a table. `format` is `"parquet"`
/// or `"csv"` (any case); `None` picks by the extension of `path` (or of the glob, or
/// of the files inside a folder).
pub fn open_file_table(path: &str, format: Option<&str>) -> Result<Table> {
    let format = match format {
        Some(f) => f.to_ascii_lowercase(),
        None => infer_format(path)?,
    };
    match format.as_str() {
        "parquet" => Ok(Table(open_parquet(path)?)),
        "csv" => Ok(Table(open_csv(path, CsvOptions::default())?)),
        "json" => Ok(Table(open_json(path, None)?)),
        other => Err(EmberError::Unsupported(format!(
            "file format '{other}' (expected parquet, csv or json)"
        ))),
    }
}

/// Opens Parquet files (a file, a folder searched through its subfolders, or a glob);
/// `name=value` folders become columns.
pub fn open_parquet(path: &str) -> Result<Arc<dyn DataSource>> {
    let listing = listing::list(path, "parquet")?;
    let table =
        ParquetTable::from_files(path, listing.files.iter().map(|f| f.path.clone()).collect())?;
    let file_of = table.partition_files();
    with_partition_columns(Arc::new(table), &listing, &file_of)
}

/// Opens CSV files (a file, a folder searched through its subfolders, or a glob);
/// `name=value` folders become columns.
pub fn open_csv(path: &str, options: CsvOptions) -> Result<Arc<dyn DataSource>> {
    let listing = listing::list(path, "csv")?;
    let table = CsvTable::try_new(path, options)?;
    // One partition per file, in listing order.
    let file_of: Vec<usize> = (0..listing.files.len()).collect();
    with_partition_columns(Arc::new(table), &listing, &file_of)
}

/// Opens JSON lines files (a file, a folder searched through its subfolders, or a
/// glob) with the given or inferred columns; `name=value` folders become columns.
pub fn open_json(path: &str, schema: Option<SchemaRef>) -> Result<Arc<dyn DataSource>> {
    let listing = listing::list(path, "json")?;
    let table = json::JsonTable::try_new(path, schema)?;
    let file_of: Vec<usize> = (0..listing.files.len()).collect();
    with_partition_columns(Arc::new(table), &listing, &file_of)
}

fn with_partition_columns(
    table: Arc<dyn DataSource>,
    listing: &listing::Listing,
    file_of: &[usize],
) -> Result<Arc<dyn DataSource>> {
    if listing.partition_columns.is_empty() {
        return Ok(table);
    }
    let values: Vec<Vec<Option<String>>> = listing
        .files
        .iter()
        .map(|f| f.partitions.iter().map(|(_, v)| v.clone()).collect())
        .collect();
    Ok(Arc::new(hive::HivePartitioned::try_new(
        table,
        listing.partition_columns.clone(),
        &values,
        file_of,
    )?))
}

fn infer_format(path: &str) -> Result<String> {
    let p = Path::new(path);
    if !listing::is_glob(path) {
        let meta = std::fs::metadata(p).map_err(|e| EmberError::io(p, e))?;
        if meta.is_dir() {
            for ext in ["parquet", "csv"] {
                if listing::list(path, ext).is_ok() {
                    return Ok(ext.to_string());
                }
            }
            return Err(EmberError::data(
                path,
                "folder holds no .parquet or .csv files",
            ));
        }
    }
    match extension(p).as_deref() {
        Some("parquet") | Some("parq") | Some("pq") => Ok("parquet".into()),
        Some("csv") | Some("tsv") => Ok("csv".into()),
        Some("json") | Some("jsonl") | Some("ndjson") => Ok("json".into()),
        _ => Err(EmberError::data(
            path,
            "cannot tell the file format from the extension; use .parquet, .csv or .json",
        )),
    }
}

fn extension(p: &Path) -> Option<String> {
    p.extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
}

/// The files a path names: the path itself if it is a file, the files ending in
/// `.ext` in a folder and its subfolders, or the files a glob matches; sorted by
/// name. A missing path is an I/O error; an empty folder or glob an error too.
pub(crate) fn list_files(path: &str, ext: &str) -> Result<Vec<PathBuf>> {
    Ok(listing::list(path, ext)?
        .files
        .into_iter()
        .map(|f| f.path)
        .collect())
}

/// The engine's string type for a field: `Utf8View` and `LargeUtf8` become `Utf8`.
pub(crate) fn normalize_schema(schema: &Schema) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Utf8View | DataType::LargeUtf8 => {
                f.as_ref().clone().with_data_type(DataType::Utf8)
            }
            _ => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// Casts a batch's columns to the types of `schema` (same column count) where they differ.
pub(crate) fn conform_batch(batch: RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    if batch.schema().fields() == schema.fields() {
        return Ok(batch);
    }
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(c, f)| {
            if c.data_type() == f.data_type() {
                Ok(c.clone())
            } else {
                cast(c, f.data_type()).map_err(EmberError::from)
            }
        })
        .collect::<Result<Vec<_>>>()?;
    let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    Ok(RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &options,
    )?)
}

/// Checks that every index of a projection names a column of `schema`.
pub(crate) fn check_projection(schema: &Schema, projection: &[usize]) -> Result<()> {
    let n = schema.fields().len();
    match projection.iter().find(|&&i| i >= n) {
        Some(i) => Err(EmberError::internal(format!(
            "projection index {i} out of range for a table of {n} columns"
        ))),
        None => Ok(()),
    }
}

/// Writes every row of `source` to a Parquet file at `path` (snappy-compressed, row
/// groups of about a million rows), e.g. to turn generated TPC-H tables into files.
pub fn write_parquet(path: &std::path::Path, source: &dyn DataSource) -> Result<()> {
    let mut sink = ParquetSink::create(path, source.schema())?;
    let all: Vec<usize> = (0..source.schema().fields().len()).collect();
    for partition in 0..source.num_partitions() {
        for batch in source.scan(partition, &all, 8192)? {
            sink.write(&batch?)?;
        }
    }
    sink.close()
}

/// A Parquet file being written batch by batch (Snappy, row groups of 2^20 rows).
pub struct ParquetSink {
    writer: ::parquet::arrow::ArrowWriter<std::fs::File>,
}

impl ParquetSink {
    /// Creates (or truncates) the file at `path` for rows of `schema`.
    pub fn create(path: &std::path::Path, schema: SchemaRef) -> Result<Self> {
        let file = std::fs::File::create(path).map_err(|e| EmberError::io(path, e))?;
        let writer = ::parquet::arrow::ArrowWriter::try_new(
            file,
            schema,
            Some(parquet_properties().build()),
        )?;
        Ok(ParquetSink { writer })
    }

    /// Appends one batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        Ok(self.writer.write(batch)?)
    }

    /// Writes the footer.
    pub fn close(self) -> Result<()> {
        self.writer.close()?;
        Ok(())
    }
}

/// The properties of the Parquet files Ember writes: Snappy, row groups of at most 2^20
/// rows.
pub fn parquet_properties() -> ::parquet::file::properties::WriterPropertiesBuilder {
    ::parquet::file::properties::WriterProperties::builder()
        .set_compression(::parquet::basic::Compression::SNAPPY)
        .set_max_row_group_row_count(Some(1 << 20))
}

/// A Parquet file written one whole row group at a time, in order, from row groups
/// encoded elsewhere, several at once on other threads ([`RowGroupEncoder`]).
pub struct ParquetRowGroupSink {
    writer: ::parquet::file::writer::SerializedFileWriter<std::fs::File>,
    encoders: RowGroupEncoders,
}

/// Makes [`RowGroupEncoder`]s for the row groups of one [`ParquetRowGroupSink`]; it can
/// be shared between threads.
#[derive(Clone)]
pub struct RowGroupEncoders {
    factory: Arc<::parquet::arrow::arrow_writer::ArrowRowGroupWriterFactory>,
    schema: SchemaRef,
}

/// Encodes the rows of one row group into compressed column chunks, in memory.
pub struct RowGroupEncoder {
    writers: Vec<::parquet::arrow::arrow_writer::ArrowColumnWriter>,
    schema: SchemaRef,
}

/// A row group encoded by a [`RowGroupEncoder`], ready to append.
pub struct EncodedRowGroup(Vec<::parquet::arrow::arrow_writer::ArrowColumnChunk>);

impl ParquetRowGroupSink {
    /// Creates (or truncates) the file at `path` for rows of `schema`, written with
    /// `properties` (see [`parquet_properties`]).
    pub fn create(
        path: &std::path::Path,
        schema: SchemaRef,
        properties: ::parquet::file::properties::WriterProperties,
    ) -> Result<Self> {
        let file = std::fs::File::create(path).map_err(|e| EmberError::io(path, e))?;
        let writer =
            ::parquet::arrow::ArrowWriter::try_new(file, schema.clone(), Some(properties))?;
        let (writer, factory) = writer.into_serialized_writer()?;
        Ok(ParquetRowGroupSink {
            writer,
            encoders: RowGroupEncoders {
                factory: Arc::new(factory),
                schema,
            },
        })
    }

    /// What encodes this file's row groups.
    pub fn encoders(&self) -> RowGroupEncoders {
        self.encoders.clone()
    }

    /// Writes an encoded row group after the ones written before.
    pub fn append(&mut self, row_group: EncodedRowGroup) -> Result<()> {
        let mut writer = self.writer.next_row_group()?;
        for chunk in row_group.0 {
            chunk.append_to_row_group(&mut writer)?;
        }
        writer.close()?;
        Ok(())
    }

    /// Writes the footer.
    pub fn close(self) -> Result<()> {
        self.writer.close()?;
        Ok(())
    }
}

impl RowGroupEncoders {
    /// An encoder for row group number `index` (0-based) of the file.
    pub fn encoder(&self, index: usize) -> Result<RowGroupEncoder> {
        Ok(RowGroupEncoder {
            writers: self.factory.create_column_writers(index)?,
            schema: self.schema.clone(),
        })
    }
}

impl RowGroupEncoder {
    /// Encodes the rows of `batch` (of the file's schema) after those written before.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let mut writers = self.writers.iter_mut();
        for (field, column) in self.schema.fields().iter().zip(batch.columns()) {
            for leaf in ::parquet::arrow::arrow_writer::compute_leaves(field, column)? {
                let writer = writers.next().ok_or_else(|| {
                    EmberError::internal("a batch has more Parquet columns than its file")
                })?;
                writer.write(&leaf)?;
            }
        }
        Ok(())
    }

    /// The encoded row group.
    pub fn finish(self) -> Result<EncodedRowGroup> {
        let chunks = self
            .writers
            .into_iter()
            .map(|w| w.close())
            .collect::<std::result::Result<_, _>>()?;
        Ok(EncodedRowGroup(chunks))
    }
}

/// The file of partition `partition` of a table with one partition per file.
pub(crate) fn partition_file(files: &[PathBuf], partition: usize) -> Result<PathBuf> {
    files.get(partition).cloned().ok_or_else(|| {
        EmberError::internal(format!(
            "partition {partition} out of range for a table of {} partitions",
            files.len()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_normalize_to_utf8() {
        let s = Schema::new(vec![
            Field::new("a", DataType::Utf8View, true),
            Field::new("b", DataType::LargeUtf8, false),
            Field::new("c", DataType::Int64, false),
        ]);
        let n = normalize_schema(&s);
        let types: Vec<_> = n.fields().iter().map(|f| f.data_type().clone()).collect();
        assert_eq!(types, vec![DataType::Utf8, DataType::Utf8, DataType::Int64]);
        assert!(!n.field(1).is_nullable());
    }

    #[test]
    fn unknown_extension_is_an_error() {
        let dir = std::env::temp_dir().join(format!("ember-src-ext-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("data.txt");
        std::fs::write(&f, "a\n1\n").unwrap();
        let err = open_file_table(f.to_str().unwrap(), None).unwrap_err();
        assert!(err.to_string().contains("extension"), "{err}");
        let t = open_file_table(f.to_str().unwrap(), Some("CSV")).unwrap();
        assert_eq!(t.0.schema().field(0).name(), "a");
        let missing = open_file_table("/no/such/file.parquet", None).unwrap_err();
        assert!(matches!(missing, EmberError::Io { .. }), "{missing}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
