//! DataFrame writers and readers in Spark's vocabulary.
//!
//! ```no_run
//! use ember::SessionContext;
//! use ember::write::SaveMode;
//!
//! let ctx = SessionContext::new();
//! ctx.register_tpch(0.01).unwrap();
//! ctx.table("lineitem").unwrap()
//!     .write()
//!     .mode(SaveMode::Overwrite)
//!     .partition_by(["l_shipmode"])
//!     .option("compression", "zstd")
//!     .parquet("/tmp/lineitem")
//!     .unwrap();
//! let back = ctx.read().parquet("/tmp/lineitem").unwrap();
//! ```
//!
//! In: a DataFrame and the writer's settings. Out: files written as one job under the
//! commit protocol ([`crate::write`]) — as in Spark, `parquet(path)`, `csv(path)` and
//! `json(path)` always write a folder of `part-*` files — or a table in the catalog
//! (`save_as_table`). The reader opens a file, folder or glob (with `name=value`
//! partition folders as columns) as a DataFrame.

use arrow::datatypes::SchemaRef;
use ember_planner::LogicalPlanBuilder;
use ember_planner::sql::OptionValue;

use crate::context::{Entry, SessionContext};
use crate::dataframe::DataFrame;
use crate::dml::Writable;
use crate::error::{EmberError, Result};
use crate::sources::{self, CsvOptions, Table};
use crate::write::{SaveMode, WriteFormat, WriteOptions, WriteSummary, write_rdd};

/// Writes a DataFrame out: `df.write().mode(..).partition_by(..).option(..).parquet(path)`.
pub struct DataFrameWriter {
    df: DataFrame,
    mode: SaveMode,
    partition_by: Vec<String>,
    options: Vec<(String, String)>,
    format: Option<String>,
}

impl DataFrame {
    /// A writer for this DataFrame's rows (default mode: ErrorIfExists).
    pub fn write(&self) -> DataFrameWriter {
        DataFrameWriter {
            df: self.clone(),
            mode: SaveMode::ErrorIfExists,
            partition_by: Vec::new(),
            options: Vec::new(),
            format: None,
        }
    }
}

impl DataFrameWriter {
    /// What to do when the target exists.
    pub fn mode(mut self, mode: SaveMode) -> Self {
        self.mode = mode;
        self
    }

    /// Columns whose values become `name=value` folders, outermost first.
    pub fn partition_by<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.partition_by = columns
            .into_iter()
            .map(|c| c.as_ref().to_string())
            .collect();
        self
    }

    /// One option: `compression` (zstd, snappy, lz4, none), `header` and `delimiter`
    /// (CSV), `max_rows_per_file`, `row_group_size` (Parquet).
    pub fn option(mut self, key: &str, value: &str) -> Self {
        self.options.push((key.to_string(), value.to_string()));
        self
    }

    /// The format [`DataFrameWriter::save`] writes: `parquet` (the default), `csv` or
    /// `json`.
    pub fn format(mut self, format: &str) -> Self {
        self.format = Some(format.to_string());
        self
    }

    /// Writes Parquet files into the folder `path`.
    pub fn parquet(self, path: &str) -> Result<WriteSummary> {
        self.save_as(WriteFormat::Parquet, path)
    }

    /// Writes CSV files into the folder `path`.
    pub fn csv(self, path: &str) -> Result<WriteSummary> {
        self.save_as(WriteFormat::Csv, path)
    }

    /// Writes JSON lines files into the folder `path`.
    pub fn json(self, path: &str) -> Result<WriteSummary> {
        self.save_as(WriteFormat::Json, path)
    }

    /// Writes files of the chosen format (default Parquet) into the folder `path`.
    pub fn save(self, path: &str) -> Result<WriteSummary> {
        let format = match &self.format {
            Some(f) => WriteFormat::parse(f)?,
            None => WriteFormat::Parquet,
        };
        self.save_as(format, path)
    }

    fn write_options(&self, format: WriteFormat) -> Result<WriteOptions> {
        let mut o = WriteOptions::new(format);
        o.max_rows_per_file = self.df.session().config().max_rows_per_file;
        for (k, v) in &self.options {
            o.set(k, &OptionValue::Text(v.clone()))?;
        }
        o.mode = self.mode;
        o.partition_by = self.partition_by.clone();
        o.single_file = Some(false);
        o.validate()?;
        Ok(o)
    }

    fn save_as(self, format: WriteFormat, path: &str) -> Result<WriteSummary> {
        let options = self.write_options(format)?;
        if let Some(url) = self.df.remote_url() {
            return self.df.write_remote(&url, path, &options);
        }
        write_rdd(&self.df.rdd()?, &self.df.schema(), path, &options)
    }

    /// Saves the rows as table `name` in the catalog. ErrorIfExists fails if it
    /// exists, Ignore leaves it, Overwrite replaces it, Append adds the rows (columns
    /// matched by name; a table column missing from the DataFrame gets NULL).
    pub fn save_as_table(self, name: &str) -> Result<()> {
        if !self.partition_by.is_empty() {
            return Err(EmberError::Unsupported(
                "partition_by with save_as_table (tables are held in memory; write files to partition them)"
                    .into(),
            ));
        }
        let session = self.df.session().clone();
        let exists = session.has_entry(name);
        match (self.mode, exists) {
            (SaveMode::ErrorIfExists, true) => Err(EmberError::execution(format!(
                "table '{name}' already exists (save mode ErrorIfExists; use Overwrite or Append)"
            ))),
            (SaveMode::Ignore, true) => Ok(()),
            (SaveMode::Append, true) => {
                let table: SchemaRef = match session.writable(name)? {
                    Writable::Managed(t) => t.schema_ref(),
                    Writable::Files(f) => crate::sources::DataSource::schema(f.as_ref()),
                };
                let source = self.df.schema();
                let mut columns = vec![None; table.fields().len()];
                for (s, f) in source.fields().iter().enumerate() {
                    let Some(t) = table
                        .fields()
                        .iter()
                        .position(|g| g.name().eq_ignore_ascii_case(f.name()))
                    else {
                        return Err(EmberError::execution(format!(
                            "column '{}' is not a column of table '{name}'",
                            f.name()
                        )));
                    };
                    columns[t] = Some(s);
                }
                session.insert(name, self.df.logical_plan().clone(), &columns, false)?;
                Ok(())
            }
            _ => {
                let table = session.table_from_frame(&self.df)?;
                if exists {
                    session.drop_table(name, false)?;
                }
                session.put_entry(name, Entry::Managed(std::sync::Arc::new(table)))
            }
        }
    }
}

/// Reads files as a DataFrame: `ctx.read().option("header", "false").csv(path)`.
pub struct DataFrameReader {
    session: SessionContext,
    options: Vec<(String, String)>,
    schema: Option<SchemaRef>,
    format: Option<String>,
}

impl SessionContext {
    /// A reader of files into DataFrames.
    pub fn read(&self) -> DataFrameReader {
        DataFrameReader {
            session: self.clone(),
            options: Vec::new(),
            schema: None,
            format: None,
        }
    }
}

impl DataFrameReader {
    /// One option: `header` and `delimiter` (CSV).
    pub fn option(mut self, key: &str, value: &str) -> Self {
        self.options.push((key.to_string(), value.to_string()));
        self
    }

    /// The columns to read (CSV and JSON) instead of inferring them.
    pub fn schema(mut self, schema: SchemaRef) -> Self {
        self.schema = Some(schema);
        self
    }

    /// The format [`DataFrameReader::load`] reads.
    pub fn format(mut self, format: &str) -> Self {
        self.format = Some(format.to_string());
        self
    }

    /// Parquet files: a file, a folder (with its subfolders) or a glob.
    pub fn parquet(self, path: &str) -> Result<DataFrame> {
        self.no_options_but(&[], "parquet")?;
        let source = sources::open_parquet(path)?;
        self.frame(path, source)
    }

    /// CSV files: a file, a folder (with its subfolders) or a glob.
    pub fn csv(self, path: &str) -> Result<DataFrame> {
        self.no_options_but(&["header", "delimiter", "sep"], "csv")?;
        let mut options = CsvOptions {
            schema: self.schema.clone(),
            ..CsvOptions::default()
        };
        for (k, v) in &self.options {
            match k.to_ascii_lowercase().as_str() {
                "header" => {
                    options.has_header = match v.to_ascii_lowercase().as_str() {
                        "true" => true,
                        "false" => false,
                        other => {
                            return Err(EmberError::config(format!(
                                "option 'header' takes true or false, got '{other}'"
                            )));
                        }
                    }
                }
                _ => {
                    let [b] = v.as_bytes() else {
                        return Err(EmberError::config(format!(
                            "option '{k}' takes one character, got '{v}'"
                        )));
                    };
                    options.delimiter = *b;
                }
            }
        }
        let source = sources::open_csv(path, options)?;
        self.frame(path, source)
    }

    /// JSON lines files: a file, a folder (with its subfolders) or a glob.
    pub fn json(self, path: &str) -> Result<DataFrame> {
        self.no_options_but(&[], "json")?;
        let source = sources::open_json(path, self.schema.clone())?;
        self.frame(path, source)
    }

    /// Files of the chosen format (default Parquet).
    pub fn load(self, path: &str) -> Result<DataFrame> {
        match WriteFormat::parse(self.format.as_deref().unwrap_or("parquet"))? {
            WriteFormat::Parquet => self.parquet(path),
            WriteFormat::Csv => self.csv(path),
            WriteFormat::Json => self.json(path),
        }
    }

    /// A table or view of the catalog.
    pub fn table(self, name: &str) -> Result<DataFrame> {
        self.session.table(name)
    }

    fn no_options_but(&self, allowed: &[&str], format: &str) -> Result<()> {
        match self
            .options
            .iter()
            .find(|(k, _)| !allowed.contains(&k.to_ascii_lowercase().as_str()))
        {
            None => Ok(()),
            Some((k, _)) => Err(EmberError::config(format!(
                "unknown {format} read option '{k}'{}",
                if allowed.is_empty() {
                    String::new()
                } else {
                    format!(" (expected {})", allowed.join(", "))
                }
            ))),
        }
    }

    fn frame(
        &self,
        path: &str,
        source: std::sync::Arc<dyn sources::DataSource>,
    ) -> Result<DataFrame> {
        let name = crate::session::file_stem(path);
        let plan = LogicalPlanBuilder::scan(&name, std::sync::Arc::new(Table(source)))?.build();
        Ok(DataFrame::new(self.session.clone(), plan))
    }
}
