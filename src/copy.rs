//! `COPY ... TO` and `COPY ... FROM`: query results out to files, files into tables.
//!
//! In: the statement's planned parts and its options. Out: the number of rows
//! written. TO runs a write job ([`crate::write::write_rdd`]); the format is the
//! FORMAT option, else the path's extension, else CSV. FROM reads the file (CSV with
//! the table's column types, so a bad value is reported with its file and line;
//! Parquet or JSON by position) and inserts its rows like INSERT does.

use std::sync::Arc;

use arrow::datatypes::{Field, Schema};
use ember_planner::sql::OptionValue;
use ember_planner::{LogicalPlan, LogicalPlanBuilder, TableSource};

use crate::dataframe::DataFrame;
use crate::error::{EmberError, Result};
use crate::session::SessionContext;
use crate::sources::{self, CsvOptions, CsvTable, Table};
use crate::write::{WriteFormat, WriteOptions, write_rdd};

impl SessionContext {
    /// `COPY (query) TO 'path' (options)`.
    pub(crate) fn copy_to(
        &self,
        plan: LogicalPlan,
        path: &str,
        options: &[(String, OptionValue)],
    ) -> Result<usize> {
        let format = WriteFormat::from_extension(path).unwrap_or(WriteFormat::Csv);
        let write = WriteOptions::from_pairs(format, self.config().max_rows_per_file, options)?;
        let df = DataFrame::new(self.clone(), plan);
        if let Some(url) = df.remote_url() {
            return Ok(df.write_remote(&url, path, &write)?.rows);
        }
        Ok(write_rdd(&df.rdd()?, &df.schema(), path, &write)?.rows)
    }

    /// `COPY table FROM 'path' (options)`.
    pub(crate) fn copy_from(
        &self,
        table: &str,
        path: &str,
        options: &[(String, OptionValue)],
    ) -> Result<usize> {
        let target = self.table_schema(table)?;
        // The options a read takes, parsed as a write's options of the same names are.
        if let Some((other, _)) = options.iter().find(|(k, _)| {
            !matches!(
                k.as_str(),
                "format" | "header" | "delimiter" | "sep" | "delim"
            )
        }) {
            return Err(EmberError::config(format!(
                "unknown COPY FROM option '{other}' (expected format, header or delimiter)"
            )));
        }
        let default_format = WriteFormat::from_extension(path).unwrap_or(WriteFormat::Csv);
        let read = WriteOptions::from_pairs(default_format, 0, options)?;
        let format = read.format;
        let mut csv = CsvOptions {
            has_header: read.header,
            delimiter: read.delimiter,
            ..CsvOptions::default()
        };
        let source: Arc<dyn TableSource> = match format {
            WriteFormat::Csv => {
                // Read every field as the table's type: bad values name file and line.
                let fields: Vec<Field> = target
                    .fields()
                    .iter()
                    .map(|f| Field::new(f.name(), f.data_type().clone(), true))
                    .collect();
                csv.schema = Some(Arc::new(Schema::new(fields)));
                Arc::new(Table::new(CsvTable::try_new(path, csv)?))
            }
            WriteFormat::Parquet => Arc::new(sources::open_file_table(path, Some("parquet"))?),
            WriteFormat::Json => Arc::new(sources::open_file_table(path, Some("json"))?),
        };
        let width = source.schema().fields().len();
        if width != target.fields().len() {
            return Err(EmberError::execution(format!(
                "'{path}' has {width} columns, table '{table}' has {}",
                target.fields().len()
            )));
        }
        let plan = LogicalPlanBuilder::scan("copy_source", source)?.build();
        let columns: Vec<Option<usize>> = (0..width).map(Some).collect();
        self.insert(table, plan, &columns, false)
    }
}
