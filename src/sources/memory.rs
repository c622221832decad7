//! A table held in memory: partitions of record batches, with exact statistics.
//!
//! In: a schema and the batches of each partition. Out: a [`DataSource`] whose scans
//! slice and project the stored batches (no copies of the column data).

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ember_planner::catalog::Statistics;
use ember_planner::optimizer::cost::EstimateSource;
use ember_planner::types::sql_type_name;

use super::stats::ColumnStatsBuilder;
use super::{BatchIter, DataSource, check_projection, conform_batch, normalize_schema};
use crate::error::{EmberError, Result};

/// Record batches in memory, split into partitions.
#[derive(Debug, Clone)]
pub struct MemTable {
    schema: SchemaRef,
    partitions: Arc<Vec<Vec<RecordBatch>>>,
    statistics: Statistics,
}

impl MemTable {
    /// A table of the given partitions. Every batch must have the schema's column
    /// names and types (`Utf8View` and `LargeUtf8` columns are cast to `Utf8`).
    pub fn try_new(schema: SchemaRef, partitions: Vec<Vec<RecordBatch>>) -> Result<MemTable> {
        let schema = normalize_schema(&schema);
        let mut conformed = Vec::with_capacity(partitions.len());
        for (p, batches) in partitions.into_iter().enumerate() {
            let mut out = Vec::with_capacity(batches.len());
            for (b, batch) in batches.into_iter().enumerate() {
                check_batch(&schema, &batch)
                    .map_err(|m| EmberError::execution(format!("partition {p}, batch {b}: {m}")))?;
                out.push(conform_batch(batch, &schema)?);
            }
            conformed.push(out);
        }
        let statistics = compute_statistics(&schema, &conformed);
        Ok(MemTable {
            schema,
            partitions: Arc::new(conformed),
            statistics,
        })
    }

    /// The stored partitions.
    pub fn partitions(&self) -> &[Vec<RecordBatch>] {
        &self.partitions
    }
}

/// Checks column count, names and types (string types count as one) of a batch.
fn check_batch(schema: &SchemaRef, batch: &RecordBatch) -> Result<(), String> {
    let bs = normalize_schema(&batch.schema());
    if bs.fields().len() != schema.fields().len() {
        return Err(format!(
            "batch has {} columns, the table {}",
            bs.fields().len(),
            schema.fields().len()
        ));
    }
    for (got, want) in bs.fields().iter().zip(schema.fields()) {
        if got.data_type() != want.data_type() {
            return Err(format!(
                "column '{}' is {} in the batch but {} in the table",
                want.name(),
                sql_type_name(got.data_type()),
                sql_type_name(want.data_type())
            ));
        }
    }
    Ok(())
}

fn compute_statistics(schema: &SchemaRef, partitions: &[Vec<RecordBatch>]) -> Statistics {
    let mut builders: Vec<ColumnStatsBuilder> = schema
        .fields()
        .iter()
        .map(|_| ColumnStatsBuilder::new())
        .collect();
    let mut rows = 0;
    let mut bytes = 0;
    for batch in partitions.iter().flatten() {
        rows += batch.num_rows();
        bytes += batch.get_array_memory_size();
        for (builder, column) in builders.iter_mut().zip(batch.columns()) {
            builder.add_array(column.as_ref());
        }
    }
    Statistics {
        row_count: Some(rows),
        total_bytes: Some(bytes),
        columns: builders.into_iter().map(|b| b.finish()).collect(),
        // Counted from the rows themselves.
        source: EstimateSource::Exact,
    }
}

impl DataSource for MemTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn statistics(&self) -> Statistics {
        self.statistics.clone()
    }

    fn describe(&self) -> String {
        format!("memory: {} partitions", self.partitions.len())
    }

    fn num_partitions(&self) -> usize {
        self.partitions.len()
    }

    fn scan(&self, partition: usize, projection: &[usize], batch_size: usize) -> Result<BatchIter> {
        check_projection(&self.schema, projection)?;
        if partition >= self.partitions.len() {
            return Err(EmberError::internal(format!(
                "partition {partition} out of range for a table of {} partitions",
                self.partitions.len()
            )));
        }
        let partitions = self.partitions.clone();
        let projection = projection.to_vec();
        let batch_size = batch_size.max(1);
        let iter = (0..partitions[partition].len()).flat_map(move |b| {
            let batch = &partitions[partition][b];
            let projected = batch.project(&projection).map_err(EmberError::from);
            let chunks: Vec<Result<RecordBatch>> = match projected {
                Err(e) => vec![Err(e)],
                Ok(batch) => (0..batch.num_rows())
                    .step_by(batch_size)
                    .map(
                        |offset| Ok(batch.slice(offset, batch_size.min(batch.num_rows() - offset))),
                    )
                    .collect(),
            };
            chunks
        });
        Ok(Box::new(iter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringViewArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use ember_planner::scalar::ScalarValue;

    fn table() -> MemTable {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            Field::new("s", DataType::Utf8View, true),
        ]));
        let b1 = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(vec![
                    Some(3),
                    None,
                    Some(1),
                    Some(8),
                    Some(2),
                ])),
                Arc::new(StringViewArray::from(vec!["c", "a", "b", "x", "y"])),
            ],
        )
        .unwrap();
        let b2 = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(vec![10])),
                Arc::new(StringViewArray::from(vec![None::<&str>])),
            ],
        )
        .unwrap();
        MemTable::try_new(schema, vec![vec![b1], vec![b2]]).unwrap()
    }

    #[test]
    fn scans_project_and_slice() {
        let t = table();
        assert_eq!(t.schema().field(1).data_type(), &DataType::Utf8);
        assert_eq!(t.num_partitions(), 2);
        let batches: Vec<_> = t
            .scan(0, &[1, 0], 2)
            .unwrap()
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(
            batches.iter().map(|b| b.num_rows()).collect::<Vec<_>>(),
            vec![2, 2, 1]
        );
        assert_eq!(batches[0].schema().field(0).name(), "s");
        assert_eq!(batches[0].column(0).data_type(), &DataType::Utf8);
        let empty: Vec<_> = t.scan(1, &[], 100).unwrap().collect::<Result<_>>().unwrap();
        assert_eq!(empty[0].num_columns(), 0);
        assert_eq!(empty[0].num_rows(), 1);
        assert!(t.scan(2, &[0], 10).is_err());
        assert!(t.scan(0, &[5], 10).is_err());
    }

    #[test]
    fn statistics_are_exact() {
        let s = table().statistics();
        assert_eq!(s.row_count, Some(6));
        assert_eq!(s.columns[0].null_count, Some(1));
        assert_eq!(s.columns[0].min, Some(ScalarValue::Int64(Some(1))));
        assert_eq!(s.columns[0].max, Some(ScalarValue::Int64(Some(10))));
        assert_eq!(s.columns[1].null_count, Some(1));
        assert_eq!(s.columns[1].max, Some(ScalarValue::Utf8(Some("y".into()))));
    }

    #[test]
    fn rejects_mismatched_batches() {
        let schema = Arc::new(Schema::new(vec![Field::new("k", DataType::Int32, true)]));
        let other = Arc::new(Schema::new(vec![Field::new("k", DataType::Int64, true)]));
        let b = RecordBatch::try_new(other, vec![Arc::new(Int64Array::from(vec![1]))]).unwrap();
        let err = MemTable::try_new(schema, vec![vec![b]]).unwrap_err();
        assert!(
            err.to_string()
                .contains("column 'k' is BIGINT in the batch but INTEGER in the table"),
            "{err}"
        );
    }
}
