//! Hive-style partition folders: `year=2024/month=01/part-0.parquet`, where each
//! `name=value` folder gives every row below it a column of that value.
//!
//! In: values to encode as folder names (writing), or file paths relative to a table's
//! root (reading). Out: `name=value` segments with the characters that cannot stand in
//! a file name escaped as `%XX` (as Hive and Spark do; NULL and the empty string are
//! [`DEFAULT_PARTITION`]), and for reading, each file's partition values with their
//! column types inferred; [`HivePartitioned`] adds those columns to a source.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, RecordBatchOptions};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use ember_planner::catalog::{ColumnStatistics, Statistics};
use ember_planner::scalar::{ScalarValue, parse_date32};

use super::{BatchIter, DataSource, check_projection};
use crate::error::{EmberError, Result};

/// The folder value that stands for NULL (and the empty string).
pub const DEFAULT_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// Characters escaped in a partition folder name, besides control characters.
const ESCAPED: &[char] = &[
    '"', '#', '%', '\'', '*', '/', ':', '=', '?', '\\', '\u{7F}', '{', '[', ']', '^',
];

/// The folder name part for a partition value (`None`: NULL).
pub fn escape(value: Option<&str>) -> String {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return DEFAULT_PARTITION.to_string();
    };
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if ESCAPED.contains(&c) || (c as u32) < 0x20 {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// The value a folder name part stands for (`None`: NULL).
pub fn unescape(part: &str) -> Option<String> {
    if part == DEFAULT_PARTITION {
        return None;
    }
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// `name=value` for one folder of a path, if it is one.
pub fn parse_segment(segment: &str) -> Option<(String, Option<String>)> {
    let (name, value) = segment.split_once('=')?;
    if name.is_empty() || name.starts_with('.') || name.starts_with('_') {
        return None;
    }
    Some((unescape(name)?, unescape(value)))
}

/// The type of a partition column, from its values (NULLs aside): BIGINT when all are
/// integers, DOUBLE when all are numbers, DATE when all are `YYYY-MM-DD`, else VARCHAR.
pub fn infer_type(values: &[Option<&str>]) -> DataType {
    let present: Vec<&str> = values.iter().flatten().copied().collect();
    if present.is_empty() {
        return DataType::Utf8;
    }
    if present.iter().all(|v| v.parse::<i64>().is_ok()) {
        DataType::Int64
    } else if present.iter().all(|v| {
        v.parse::<f64>().is_ok_and(f64::is_finite) && !v.contains(|c: char| c.is_alphabetic())
    }) {
        DataType::Float64
    } else if present
        .iter()
        .all(|v| v.len() == 10 && parse_date32(v).is_some())
    {
        DataType::Date32
    } else {
        DataType::Utf8
    }
}

/// A folder value as a value of type `t` (which [`infer_type`] chose for it).
pub fn typed_value(value: Option<&str>, t: &DataType) -> ScalarValue {
    let Some(v) = value else {
        return ScalarValue::null_of(t);
    };
    match t {
        DataType::Int64 => ScalarValue::Int64(v.parse().ok()),
        DataType::Float64 => ScalarValue::Float64(v.parse().ok()),
        DataType::Date32 => ScalarValue::Date32(parse_date32(v)),
        _ => ScalarValue::Utf8(Some(v.to_string())),
    }
}

/// A source whose partitions (files, row groups) lie in `name=value` folders: its
/// columns, then one column per partition folder level holding the folder's value.
#[derive(Debug)]
pub struct HivePartitioned {
    inner: Arc<dyn DataSource>,
    schema: SchemaRef,
    /// Per partition of `inner`: the values of the partition columns.
    values: Vec<Arc<Vec<ScalarValue>>>,
    names: Vec<String>,
}

impl HivePartitioned {
    /// Adds partition columns `names` to `inner`; `file_values[f]` are the folder
    /// values of file `f` and `file_of[p]` the file of `inner`'s partition `p`.
    pub fn try_new(
        inner: Arc<dyn DataSource>,
        names: Vec<String>,
        file_values: &[Vec<Option<String>>],
        file_of: &[usize],
    ) -> Result<HivePartitioned> {
        let inner_schema = inner.schema();
        let mut fields: Vec<Field> = inner_schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        let mut types = Vec::with_capacity(names.len());
        for (c, name) in names.iter().enumerate() {
            if inner_schema.fields().iter().any(|f| f.name() == name) {
                return Err(EmberError::data(
                    inner.describe(),
                    format!("column '{name}' is both in the files and a partition folder name"),
                ));
            }
            let column: Vec<Option<&str>> = file_values.iter().map(|v| v[c].as_deref()).collect();
            let t = infer_type(&column);
            fields.push(Field::new(name, t.clone(), true));
            types.push(t);
        }
        let per_file: Vec<Arc<Vec<ScalarValue>>> = file_values
            .iter()
            .map(|v| {
                Arc::new(
                    v.iter()
                        .zip(&types)
                        .map(|(v, t)| typed_value(v.as_deref(), t))
                        .collect(),
                )
            })
            .collect();
        let values = file_of
            .iter()
            .map(|&f| {
                per_file
                    .get(f)
                    .cloned()
                    .ok_or_else(|| EmberError::internal("partition of an unknown file"))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(HivePartitioned {
            inner,
            schema: Arc::new(Schema::new(fields)),
            values,
            names,
        })
    }

    fn inner_width(&self) -> usize {
        self.schema.fields().len() - self.names.len()
    }

    fn partition_column_statistics(
        &self,
        partitions: &[usize],
        rows: Option<usize>,
    ) -> Vec<ColumnStatistics> {
        (0..self.names.len())
            .map(|c| {
                let mut distinct: Vec<&ScalarValue> = Vec::new();
                for &p in partitions {
                    let v = &self.values[p][c];
                    if !distinct.contains(&v) {
                        distinct.push(v);
                    }
                }
                let all_null = distinct.iter().all(|v| v.is_null());
                ColumnStatistics {
                    null_count: if all_null {
                        rows
                    } else if distinct.iter().all(|v| !v.is_null()) {
                        Some(0)
                    } else {
                        None
                    },
                    min: None,
                    max: None,
                    distinct_count: Some(distinct.len()),
                }
            })
            .collect()
    }
}

impl DataSource for HivePartitioned {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn statistics(&self) -> Statistics {
        let mut s = self.inner.statistics();
        let all: Vec<usize> = (0..self.values.len()).collect();
        if s.columns.len() == self.inner_width() {
            let extra = self.partition_column_statistics(&all, s.row_count);
            s.columns.extend(extra);
        } else {
            s.columns.clear();
        }
        s
    }

    fn file_location(&self) -> Option<super::FileLocation> {
        // Spark finds the same `name=value` folders under the same root.
        self.inner.file_location()
    }

    fn describe(&self) -> String {
        format!(
            "{}, partitioned by ({})",
            self.inner.describe(),
            self.names.join(", ")
        )
    }

    fn num_partitions(&self) -> usize {
        self.inner.num_partitions()
    }

    fn partition_statistics(&self, partition: usize) -> Option<Statistics> {
        let mut s = self.inner.partition_statistics(partition)?;
        if s.columns.len() != self.inner_width() {
            return None;
        }
        let extra = self.partition_column_statistics(&[partition], s.row_count);
        s.columns.extend(extra);
        Some(s)
    }

    fn partition_values(&self, partition: usize) -> Option<Vec<(usize, ScalarValue)>> {
        let n = self.inner_width();
        let values = self.values.get(partition)?;
        Some(
            values
                .iter()
                .enumerate()
                .map(|(c, v)| (n + c, v.clone()))
                .collect(),
        )
    }

    fn partition_columns(&self) -> Vec<String> {
        self.names.clone()
    }

    fn scan(&self, partition: usize, projection: &[usize], batch_size: usize) -> Result<BatchIter> {
        check_projection(&self.schema, projection)?;
        let Some(values) = self.values.get(partition).cloned() else {
            return Err(EmberError::internal(format!(
                "partition {partition} out of range for a table of {} partitions",
                self.values.len()
            )));
        };
        let n = self.inner_width();
        let inner_projection: Vec<usize> = projection.iter().copied().filter(|&c| c < n).collect();
        let batches = self.inner.scan(partition, &inner_projection, batch_size)?;
        let out_schema = Arc::new(self.schema.project(projection)?);
        let projection = projection.to_vec();
        Ok(Box::new(batches.map(move |batch| {
            let batch = batch?;
            let rows = batch.num_rows();
            let mut next_inner = 0;
            let columns: Vec<ArrayRef> = projection
                .iter()
                .map(|&c| {
                    if c < n {
                        next_inner += 1;
                        batch.column(next_inner - 1).clone()
                    } else {
                        values[c - n].to_array(rows)
                    }
                })
                .collect();
            let options = RecordBatchOptions::new().with_row_count(Some(rows));
            Ok(RecordBatch::try_new_with_options(
                out_schema.clone(),
                columns,
                &options,
            )?)
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips() {
        for v in ["AIR", "a b", "x/y=z", "50%", "2024-01-01 10:00:00", "é"] {
            let e = escape(Some(v));
            assert!(!e.contains('/') && !e.contains('='), "{e}");
            assert_eq!(unescape(&e).as_deref(), Some(v));
        }
        assert_eq!(escape(None), DEFAULT_PARTITION);
        assert_eq!(escape(Some("")), DEFAULT_PARTITION);
        assert_eq!(unescape(DEFAULT_PARTITION), None);
        assert_eq!(
            parse_segment("l_shipmode=REG%20AIR"),
            Some(("l_shipmode".into(), Some("REG AIR".into())))
        );
        assert_eq!(parse_segment("plain"), None);
        assert_eq!(parse_segment("_temporary=1"), None);
    }

    #[test]
    fn partition_column_types_are_inferred() {
        assert_eq!(
            infer_type(&[Some("2024"), Some("01"), None]),
            DataType::Int64
        );
        assert_eq!(infer_type(&[Some("1.5"), Some("2")]), DataType::Float64);
        assert_eq!(infer_type(&[Some("2024-01-02")]), DataType::Date32);
        assert_eq!(infer_type(&[Some("AIR"), Some("1")]), DataType::Utf8);
        assert_eq!(infer_type(&[Some("inf")]), DataType::Utf8);
        assert_eq!(infer_type(&[None]), DataType::Utf8);
        assert_eq!(
            typed_value(Some("01"), &DataType::Int64),
            ScalarValue::Int64(Some(1))
        );
        assert_eq!(
            typed_value(None, &DataType::Date32),
            ScalarValue::Date32(None)
        );
    }
}
