//! `df.write`: a `WriteOperation` command as Ember's DataFrame writer — files of a
//! format into a folder (mode, `partitionBy`, options) or a table in the session's
//! catalog (`saveAsTable`).
//!
//! In: the command and the DataFrame to write. Out: the files or table written. May
//! import `crate::{writer, write}` and `super::proto`.

use super::proto::WriteOperation;
use super::proto::write_operation::{SaveMode as SparkMode, SaveType, save_table::TableSaveMethod};
use super::unsupported;
use crate::dataframe::DataFrame;
use crate::error::{EmberError, Result};
use crate::write::SaveMode;

/// Writes `df` as `w` says.
pub fn write(df: &DataFrame, w: &WriteOperation) -> Result<()> {
    if w.bucket_by.is_some() {
        return Err(unsupported("bucketBy"));
    }
    if !w.sort_column_names.is_empty() {
        return Err(unsupported("sortBy in a write"));
    }
    if !w.clustering_columns.is_empty() {
        return Err(unsupported("clusterBy"));
    }
    let mode = match SparkMode::try_from(w.mode).unwrap_or(SparkMode::Unspecified) {
        SparkMode::Unspecified | SparkMode::ErrorIfExists => SaveMode::ErrorIfExists,
        SparkMode::Append => SaveMode::Append,
        SparkMode::Overwrite => SaveMode::Overwrite,
        SparkMode::Ignore => SaveMode::Ignore,
    };
    let mut writer = df.write().mode(mode).partition_by(&w.partitioning_columns);
    let format = w.source.clone().unwrap_or_else(|| "parquet".into());
    writer = writer.format(&format.to_ascii_lowercase());
    for (k, v) in &w.options {
        let key = match k.to_ascii_lowercase().as_str() {
            "sep" => "delimiter".to_string(),
            other => other.to_string(),
        };
        writer = writer.option(&key, v);
    }
    match &w.save_type {
        Some(SaveType::Path(path)) => {
            writer.save(path)?;
            Ok(())
        }
        Some(SaveType::Table(t)) => {
            match TableSaveMethod::try_from(t.save_method) {
                Ok(TableSaveMethod::InsertInto) => return Err(unsupported("insertInto")),
                _ if w.source.is_some() => {
                    return Err(unsupported(
                        "saveAsTable with a format (tables are held in memory)",
                    ));
                }
                _ => {}
            }
            writer.save_as_table(&t.table_name)
        }
        None => Err(EmberError::execution(
            "a write without a path or a table (df.write.save(path) or saveAsTable(name))",
        )),
    }
}
