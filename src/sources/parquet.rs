//! Parquet files: one partition per row group, projection pushdown, statistics from the
//! footers.
//!
//! In: a path to a `.parquet` file or a directory of them (all with the same columns).
//! Out: a [`DataSource`]. Opening reads only the footers; statistics come from them,
//! and a scan decodes only the projected columns of one row group. String columns are
//! read as `Utf8` by handing the reader a schema hint (the reader casts any column the
//! hint cannot cover after reading).

use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, RecordBatchOptions, new_null_array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use ember_planner::catalog::{ColumnStatistics, Statistics};
use ember_planner::optimizer::cost::EstimateSource;
use ember_planner::scalar::ScalarValue;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::statistics::StatisticsConverter;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};

use super::stats::ColumnStatsBuilder;
use super::{BatchIter, DataSource, check_projection, conform_batch, list_files, normalize_schema};
use crate::error::{EmberError, Result};
use ember_planner::types::sql_name as sql_type_name;

/// One Parquet file with its decoded footer.
#[derive(Debug, Clone)]
struct ParquetFile {
    path: PathBuf,
    metadata: ArrowReaderMetadata,
    /// For each table column, the file's column of that name (`None`: NULL here).
    columns: Vec<Option<usize>>,
}

/// Row groups opened by every Parquet scan in this process (for `--metrics`).
static ROW_GROUPS_READ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many Parquet row groups this process has read so far.
pub fn row_groups_read() -> usize {
    ROW_GROUPS_READ.load(std::sync::atomic::Ordering::Relaxed)
}

/// A Parquet file or a directory of Parquet files.
#[derive(Debug, Clone)]
pub struct ParquetTable {
    path: String,
    schema: SchemaRef,
    files: Arc<Vec<ParquetFile>>,
    /// Partition `i` is row group `.1` of file `.0`.
    partitions: Vec<(usize, usize)>,
    statistics: Statistics,
    /// Statistics of each partition (row group), for pruning.
    partition_statistics: Vec<Statistics>,
}

impl ParquetTable {
    /// Opens a `.parquet` file, or every `*.parquet` file directly in a directory (sorted
    /// by name). Reads the footers only.
    pub fn try_new(path: &str) -> Result<ParquetTable> {
        let paths = list_files(path, "parquet")?;
        if paths.is_empty() {
            return Err(EmberError::data(path, "directory holds no .parquet files"));
        }
        Self::from_files(path, paths)
    }

    /// Opens the given files as one table. Their columns are merged by name: a column
    /// some files lack reads as NULL in theirs, and types that differ must widen to
    /// one (integers to BIGINT, floats to DOUBLE, decimals to the wider decimal).
    pub fn from_files(path: &str, paths: Vec<PathBuf>) -> Result<ParquetTable> {
        let mut files = Vec::with_capacity(paths.len());
        for p in paths {
            files.push(open_file(p)?);
        }
        let schema = merge_schemas(&mut files)?;
        let partitions = files
            .iter()
            .enumerate()
            .flat_map(|(i, f)| (0..f.metadata.metadata().num_row_groups()).map(move |rg| (i, rg)))
            .collect();
        let (statistics, partition_statistics) = footer_statistics(&schema, &files);
        Ok(ParquetTable {
            path: path.to_string(),
            schema,
            files: Arc::new(files),
            partitions,
            statistics,
            partition_statistics,
        })
    }

    /// For each partition (row group), the index of its file in the order given.
    pub fn partition_files(&self) -> Vec<usize> {
        self.partitions.iter().map(|(f, _)| *f).collect()
    }
}

/// The table's columns: every file's, merged by name in order of first appearance.
/// Fills each file's map from table columns to its own.
fn merge_schemas(files: &mut [ParquetFile]) -> Result<SchemaRef> {
    let mut fields: Vec<Field> = Vec::new();
    let mut origin: Vec<usize> = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let schema = file.metadata.schema().clone();
        for f in schema.fields() {
            match fields.iter().position(|g| g.name() == f.name()) {
                None => {
                    // Files before this one lack the column: it may be NULL.
                    fields.push(f.as_ref().clone().with_nullable(f.is_nullable() || i > 0));
                    origin.push(i);
                }
                Some(j) => {
                    let have = fields[j].data_type().clone();
                    let Some(t) = widen(&have, f.data_type()) else {
                        return Err(EmberError::data(
                            file.path.display().to_string(),
                            format!(
                                "column '{}' is {} here but {} in '{}'; the files cannot be read as one table",
                                f.name(),
                                sql_type_name(f.data_type()),
                                sql_type_name(&have),
                                files[origin[j]].path.display()
                            ),
                        ));
                    };
                    let nullable = fields[j].is_nullable() || f.is_nullable();
                    fields[j] = Field::new(f.name(), t, nullable);
                }
            }
        }
        for g in fields.iter_mut() {
            if schema.field_with_name(g.name()).is_err() && !g.is_nullable() {
                *g = g.clone().with_nullable(true);
            }
        }
    }
    let schema = Arc::new(Schema::new(fields));
    for file in files.iter_mut() {
        let own = file.metadata.schema().clone();
        file.columns = schema
            .fields()
            .iter()
            .map(|f| own.index_of(f.name()).ok())
            .collect();
    }
    Ok(schema)
}

/// The one type two files' columns of one name are read as, if there is one.
fn widen(a: &DataType, b: &DataType) -> Option<DataType> {
    use DataType::*;
    if a == b {
        return Some(a.clone());
    }
    let int = |t: &DataType| matches!(t, Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32);
    Some(match (a, b) {
        (x, y) if int(x) && int(y) => Int64,
        (Float32 | Float64, Float32 | Float64) => Float64,
        (Decimal128(p1, s1), Decimal128(p2, s2)) => {
            let s = (*s1).max(*s2);
            let digits = (*p1 as i16 - *s1 as i16).max(*p2 as i16 - *s2 as i16);
            let p = digits + s as i16;
            if p > 38 {
                return None;
            }
            Decimal128(p as u8, s)
        }
        _ => return None,
    })
}

/// Reads a file's footer, with a schema hint that turns its strings into `Utf8`.
fn open_file(path: PathBuf) -> Result<ParquetFile> {
    let file = File::open(&path).map_err(|e| EmberError::io(&path, e))?;
    let name = path.display().to_string();
    let metadata = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
        .map_err(|e| EmberError::data(&name, format!("not a readable Parquet file: {e}")))?;
    let wanted = normalize_schema(metadata.schema());
    let metadata = if wanted.fields() == metadata.schema().fields() {
        metadata
    } else {
        // If the hint is refused, keep the file's own types: scans cast after reading.
        ArrowReaderMetadata::try_new(
            metadata.metadata().clone(),
            ArrowReaderOptions::new().with_schema(wanted),
        )
        .unwrap_or(metadata)
    };
    Ok(ParquetFile {
        path,
        metadata,
        columns: Vec::new(),
    })
}

/// Row count, size and per-column bounds and null counts from the footers: for the
/// whole table, and for each row group in partition order.
fn footer_statistics(schema: &SchemaRef, files: &[ParquetFile]) -> (Statistics, Vec<Statistics>) {
    let mut per_row_group = Vec::new();
    let mut rows = 0usize;
    let mut bytes = 0usize;
    let mut builders: Vec<ColumnStatsBuilder> = schema
        .fields()
        .iter()
        .map(|_| ColumnStatsBuilder::new())
        .collect();
    for file in files {
        let md = file.metadata.metadata();
        let row_groups = md.row_groups();
        let first = per_row_group.len();
        for rg in row_groups {
            rows += usize::try_from(rg.num_rows()).unwrap_or(0);
            bytes += usize::try_from(rg.total_byte_size()).unwrap_or(0);
            per_row_group.push(Statistics {
                row_count: usize::try_from(rg.num_rows()).ok(),
                total_bytes: usize::try_from(rg.total_byte_size()).ok(),
                columns: Vec::with_capacity(schema.fields().len()),
                source: EstimateSource::Statistics,
            });
        }
        let file_schema = file.metadata.schema();
        for (field, builder) in schema.fields().iter().zip(builders.iter_mut()) {
            // A column the file lacks, or holds in a narrower type, has no usable bounds.
            let same_type = file_schema
                .field_with_name(field.name())
                .is_ok_and(|f| f.data_type() == field.data_type());
            add_column_statistics(
                builder,
                &mut per_row_group[first..],
                if same_type { field.name() } else { "" },
                file_schema,
                file,
                row_groups,
            );
        }
    }
    let columns = builders.into_iter().map(|b| b.finish()).collect();
    let table = Statistics {
        row_count: Some(rows),
        total_bytes: Some(bytes),
        columns,
        // Read from the files' footers.
        source: EstimateSource::Statistics,
    };
    (table, per_row_group)
}

/// Adds one column's row-group statistics to the table's `builder` and to each row
/// group's statistics in `per_row_group` (unknown where the footer has none).
fn add_column_statistics(
    builder: &mut ColumnStatsBuilder,
    per_row_group: &mut [Statistics],
    column: &str,
    file_schema: &SchemaRef,
    file: &ParquetFile,
    row_groups: &[parquet::file::metadata::RowGroupMetaData],
) {
    let mut unknown = |b: &mut ColumnStatsBuilder| {
        b.add_nulls(None);
        b.add_bounds(None, None, false);
        for rg in per_row_group.iter_mut() {
            rg.columns.push(ColumnStatistics::default());
        }
    };
    let Ok(converter) =
        StatisticsConverter::try_new(column, file_schema, file.metadata.parquet_schema())
    else {
        return unknown(builder);
    };
    let (Ok(mins), Ok(maxes), Ok(nulls)) = (
        converter.row_group_mins(row_groups.iter()),
        converter.row_group_maxes(row_groups.iter()),
        converter.row_group_null_counts(row_groups.iter()),
    ) else {
        return unknown(builder);
    };
    for (i, rg) in row_groups.iter().enumerate() {
        let null_count = nulls
            .is_valid(i)
            .then(|| usize::try_from(nulls.value(i)).unwrap_or(usize::MAX));
        builder.add_nulls(null_count);
        let all_null = null_count.is_some_and(|n| n as i64 == rg.num_rows());
        let bound = |a: &dyn Array| {
            (i < a.len())
                .then(|| ScalarValue::try_from_array(a, i))
                .flatten()
        };
        let (lo, hi) = (bound(mins.as_ref()), bound(maxes.as_ref()));
        let lo = lo.filter(|v| !v.is_null());
        let hi = hi.filter(|v| !v.is_null());
        if let Some(stats) = per_row_group.get_mut(i) {
            stats.columns.push(ColumnStatistics {
                null_count,
                min: lo.clone(),
                max: hi.clone(),
                distinct_count: None,
            });
        }
        builder.add_bounds(lo, hi, all_null);
    }
}

impl DataSource for ParquetTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn statistics(&self) -> Statistics {
        self.statistics.clone()
    }

    fn describe(&self) -> String {
        format!("parquet: {}", self.path)
    }

    fn file_location(&self) -> Option<super::FileLocation> {
        Some(super::FileLocation {
            format: "parquet".into(),
            path: self.path.clone(),
            options: Vec::new(),
        })
    }

    fn num_partitions(&self) -> usize {
        self.partitions.len()
    }

    fn partition_statistics(&self, partition: usize) -> Option<Statistics> {
        self.partition_statistics.get(partition).cloned()
    }

    fn scan(&self, partition: usize, projection: &[usize], batch_size: usize) -> Result<BatchIter> {
        check_projection(&self.schema, projection)?;
        let Some(&(file_index, row_group)) = self.partitions.get(partition) else {
            return Err(EmberError::internal(format!(
                "partition {partition} out of range for a table of {} partitions",
                self.partitions.len()
            )));
        };
        let file = &self.files[file_index];
        let name = file.path.display().to_string();
        ROW_GROUPS_READ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let handle = File::open(&file.path).map_err(|e| EmberError::io(&file.path, e))?;

        // The reader yields the projected columns in file order; remember where each
        // requested column lands so the output follows `projection`. Columns the file
        // lacks are NULL.
        let file_columns: Vec<Option<usize>> = projection
            .iter()
            .map(|&c| file.columns.get(c).copied().flatten())
            .collect();
        let mut roots: Vec<usize> = file_columns.iter().flatten().copied().collect();
        roots.sort_unstable();
        roots.dedup();
        let mask = ProjectionMask::roots(file.metadata.parquet_schema(), roots.iter().copied());
        let reader =
            ParquetRecordBatchReaderBuilder::new_with_metadata(handle, file.metadata.clone())
                .with_row_groups(vec![row_group])
                .with_projection(mask)
                .with_batch_size(batch_size.max(1))
                .build()
                .map_err(|e| EmberError::data(&name, e.to_string()))?;
        let out_schema = Arc::new(self.schema.project(projection)?);
        let iter = reader.map(move |batch| {
            let batch = batch.map_err(|e| EmberError::data(&name, e.to_string()))?;
            let rows = batch.num_rows();
            let columns: Vec<ArrayRef> = file_columns
                .iter()
                .zip(out_schema.fields())
                .map(|(fc, field)| match fc {
                    Some(i) => batch.column(roots.binary_search(i).unwrap_or(0)).clone(),
                    None => new_null_array(field.data_type(), rows),
                })
                .collect();
            let options = RecordBatchOptions::new().with_row_count(Some(rows));
            let fields: Vec<Field> = columns
                .iter()
                .zip(out_schema.fields())
                .map(|(c, f)| Field::new(f.name(), c.data_type().clone(), true))
                .collect();
            let batch = RecordBatch::try_new_with_options(
                Arc::new(Schema::new(fields)),
                columns,
                &options,
            )?;
            conform_batch(batch, &out_schema)
        });
        Ok(Box::new(iter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{
        AsArray, Date32Array, Decimal128Array, Int32Array, RecordBatch, StringViewArray,
    };
    use arrow::datatypes::{DataType, Field, Schema};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ember-pq-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Writes 10 rows per call in row groups of 4 rows: ids `start..start+10`.
    fn write_file(path: &std::path::Path, start: i32) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int32, false),
            Field::new("name", DataType::Utf8View, true),
            Field::new("price", DataType::Decimal128(12, 2), true),
            Field::new("day", DataType::Date32, true),
        ]));
        let ids: Vec<i32> = (start..start + 10).collect();
        let names: Vec<Option<String>> = ids
            .iter()
            .map(|i| (i % 3 != 0).then(|| format!("n{i:02}")))
            .collect();
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int32Array::from(ids.clone())),
                Arc::new(StringViewArray::from(names)),
                Arc::new(
                    Decimal128Array::from(ids.iter().map(|i| *i as i128 * 150).collect::<Vec<_>>())
                        .with_precision_and_scale(12, 2)
                        .unwrap(),
                ),
                Arc::new(Date32Array::from(
                    ids.iter().map(|i| 10_000 + i).collect::<Vec<_>>(),
                )),
            ],
        )
        .unwrap();
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(4))
            .build();
        let mut w = ArrowWriter::try_new(File::create(path).unwrap(), schema, Some(props)).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }

    #[test]
    fn reads_row_groups_with_projection_in_requested_order() {
        let dir = temp_dir("scan");
        let f = dir.join("a.parquet");
        write_file(&f, 0);
        let t = ParquetTable::try_new(f.to_str().unwrap()).unwrap();
        assert_eq!(t.num_partitions(), 3);
        assert_eq!(t.schema().field(1).data_type(), &DataType::Utf8);
        let batches: Vec<RecordBatch> = t
            .scan(1, &[3, 1, 0], 100)
            .unwrap()
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(batches.len(), 1);
        let b = &batches[0];
        assert_eq!(b.num_rows(), 4);
        assert_eq!(b.schema().field(0).name(), "day");
        assert_eq!(b.column(1).data_type(), &DataType::Utf8);
        let ids = b.column(2).as_primitive::<arrow::datatypes::Int32Type>();
        assert_eq!(ids.values().to_vec(), vec![4, 5, 6, 7]);
        assert_eq!(b.column(1).as_string::<i32>().value(0), "n04");
        assert!(b.column(1).is_null(2));

        let counts: Vec<usize> = (0..3)
            .map(|p| {
                t.scan(p, &[], 2)
                    .unwrap()
                    .map(|b| b.unwrap().num_rows())
                    .sum::<usize>()
            })
            .collect();
        assert_eq!(counts, vec![4, 4, 2]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn statistics_come_from_the_footer() {
        let dir = temp_dir("stats");
        write_file(&dir.join("a.parquet"), 0);
        write_file(&dir.join("b.parquet"), 100);
        std::fs::write(dir.join("notes.txt"), "ignored").unwrap();
        let t = ParquetTable::try_new(dir.to_str().unwrap()).unwrap();
        assert_eq!(t.num_partitions(), 6);
        let s = t.statistics();
        assert_eq!(s.row_count, Some(20));
        assert!(s.total_bytes.unwrap() > 0);
        assert_eq!(s.columns[0].min, Some(ScalarValue::Int32(Some(0))));
        assert_eq!(s.columns[0].max, Some(ScalarValue::Int32(Some(109))));
        assert_eq!(s.columns[0].null_count, Some(0));
        // ids divisible by 3 have no name: 0,3,6,9 and 102,105,108.
        assert_eq!(s.columns[1].null_count, Some(7));
        assert_eq!(
            s.columns[1].min,
            Some(ScalarValue::Utf8(Some("n01".into())))
        );
        assert_eq!(
            s.columns[1].max,
            Some(ScalarValue::Utf8(Some("n109".into())))
        );
        assert_eq!(
            s.columns[2].max,
            Some(ScalarValue::Decimal128(Some(109 * 150), 12, 2))
        );
        assert_eq!(s.columns[3].min, Some(ScalarValue::Date32(Some(10_000))));
        let rows: usize = (0..6)
            .map(|p| {
                t.scan(p, &[0], 3)
                    .unwrap()
                    .map(|b| b.unwrap().num_rows())
                    .sum::<usize>()
            })
            .sum();
        assert_eq!(rows, 20);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_and_non_parquet_files_are_clear_errors() {
        let err = ParquetTable::try_new("/no/such/dir/x.parquet").unwrap_err();
        assert!(matches!(err, EmberError::Io { .. }));
        assert!(err.to_string().contains("/no/such/dir/x.parquet"), "{err}");

        let dir = temp_dir("bad");
        let f = dir.join("fake.parquet");
        std::fs::write(&f, "id,name\n1,a\n").unwrap();
        let err = ParquetTable::try_new(f.to_str().unwrap()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("fake.parquet") && msg.contains("not a readable Parquet file"),
            "{msg}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
