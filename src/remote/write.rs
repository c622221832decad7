//! Writes in remote mode: `COPY ... TO` and `df.write()` become one Spark Connect
//! `WriteOperation`, so the cluster runs the query and writes the files itself, into
//! a folder of part files as Spark always does.
//!
//! In: the optimized plan, the target path (which the cluster must be able to write)
//! and the [`WriteOptions`]. Out: a [`WriteSummary`] whose row count is read back
//! from the files written (Spark reports none); the cluster does not say how many
//! files it wrote. Options Spark cannot be given are an error before anything is
//! sent.

use std::collections::HashMap;

use ember_planner::LogicalPlan;

use super::builders::{alias, call, int, relation};
use super::url::RemoteUrl;
use super::{client, translate, untranslatable};
use crate::connect::proto::aggregate::GroupType;
use crate::connect::proto::read::{DataSource, ReadType};
use crate::connect::proto::relation::RelType;
use crate::connect::proto::write_operation::{SaveMode as SparkMode, SaveType};
use crate::connect::proto::{Aggregate, Command, Read, Relation, WriteOperation, command};
use crate::error::{EmberError, Result};
use crate::write::{Compression, SaveMode, WriteFormat, WriteOptions, WriteSummary};

/// Writes the rows of `plan` to `path` on the cluster at `url`.
pub fn write(
    url: &str,
    plan: &LogicalPlan,
    path: &str,
    options: &WriteOptions,
) -> Result<WriteSummary> {
    let url = RemoteUrl::parse(url)?;
    let input = translate(plan)?;
    let operation = write_operation(input, path, options)?;
    // Append and Ignore depend on what is there already.
    let before = match options.mode {
        SaveMode::Append | SaveMode::Ignore => count_rows(&url, path, options).ok(),
        SaveMode::ErrorIfExists | SaveMode::Overwrite => None,
    };
    if options.mode == SaveMode::Ignore && before.is_some() {
        return Ok(WriteSummary {
            rows: 0,
            files: 0,
            skipped: true,
        });
    }
    client::execute_command(
        &url,
        Command {
            command_type: Some(command::CommandType::WriteOperation(operation)),
        },
    )?;
    let after = count_rows(&url, path, options)?;
    Ok(WriteSummary {
        rows: after.saturating_sub(before.unwrap_or(0)),
        files: 0,
        skipped: false,
    })
}

/// The `WriteOperation` writing `input` to `path`.
fn write_operation(input: Relation, path: &str, o: &WriteOptions) -> Result<WriteOperation> {
    if o.row_group_rows != WriteOptions::new(o.format).row_group_rows {
        return Err(untranslatable(
            "row_group_size: Spark sizes Parquet row groups in bytes (parquet.block.size), not rows",
        ));
    }
    let mode = match o.mode {
        SaveMode::ErrorIfExists => SparkMode::ErrorIfExists,
        SaveMode::Overwrite => SparkMode::Overwrite,
        SaveMode::Append => SparkMode::Append,
        SaveMode::Ignore => SparkMode::Ignore,
    };
    let mut options = read_options(o);
    if o.format == WriteFormat::Parquet {
        let codec = match o.compression {
            Compression::None => "none",
            Compression::Snappy => "snappy",
            Compression::Zstd => "zstd",
            Compression::Lz4 => "lz4",
        };
        options.insert("compression".into(), codec.into());
    }
    if o.max_rows_per_file > 0 {
        options.insert("maxRecordsPerFile".into(), o.max_rows_per_file.to_string());
    }
    Ok(WriteOperation {
        input: Some(input),
        source: Some(o.format.extension().into()),
        mode: mode as i32,
        partitioning_columns: o.partition_by.clone(),
        options,
        save_type: Some(SaveType::Path(path.to_string())),
        ..WriteOperation::default()
    })
}

/// The options that read the files back as they were written (CSV's header and
/// separator).
fn read_options(o: &WriteOptions) -> HashMap<String, String> {
    let mut options = HashMap::new();
    if o.format == WriteFormat::Csv {
        options.insert("header".into(), o.header.to_string());
        options.insert("sep".into(), (o.delimiter as char).to_string());
    }
    options
}

/// The rows the files at `path` hold, counted by the cluster.
fn count_rows(url: &RemoteUrl, path: &str, o: &WriteOptions) -> Result<usize> {
    let read = relation(RelType::Read(Read {
        is_streaming: false,
        read_type: Some(ReadType::DataSource(DataSource {
            format: Some(o.format.extension().into()),
            schema: None,
            options: read_options(o),
            paths: vec![path.to_string()],
            predicates: Vec::new(),
            source_name: None,
        })),
    }));
    let count = relation(RelType::Aggregate(Box::new(Aggregate {
        input: Some(Box::new(read)),
        group_type: GroupType::Groupby as i32,
        grouping_expressions: Vec::new(),
        aggregate_expressions: vec![alias(call("count", vec![int(1)]), "rows")],
        pivot: None,
        grouping_sets: Vec::new(),
    })));
    let batches = client::execute(url, count)?;
    let column = batches
        .iter()
        .find(|b| b.num_rows() > 0 && b.num_columns() == 1)
        .map(|b| arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Int64))
        .transpose()?
        .ok_or_else(|| {
            EmberError::Remote(format!(
                "the Spark Connect server at {url} sent no row count for '{path}'"
            ))
        })?;
    let counts = column
        .as_any()
        .downcast_ref::<arrow::array::Int64Array>()
        .ok_or_else(|| EmberError::internal("a row count cast to BIGINT is not BIGINT"))?;
    Ok(counts.value(0).max(0) as usize)
}
