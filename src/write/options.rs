//! How to write: format, save mode, partition columns, compression and the per-format
//! options, from COPY's options or the DataFrame writer's calls.
//!
//! In: `(key, value)` pairs (keys any case). Out: [`WriteOptions`], or an error naming
//! the option and what it takes.

use ember_planner::sql::OptionValue;

use crate::error::{EmberError, Result};

/// What to do when the target already exists (Spark's `SaveMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SaveMode {
    /// Fail (the default).
    #[default]
    ErrorIfExists,
    /// Replace what is there, when the job commits.
    Overwrite,
    /// Add new files beside the existing ones.
    Append,
    /// Write nothing.
    Ignore,
}

impl SaveMode {
    /// The mode named `s` (`error`, `errorifexists`, `overwrite`, `append`, `ignore`).
    pub fn parse(s: &str) -> Result<SaveMode> {
        match s.to_ascii_lowercase().as_str() {
            "error" | "errorifexists" | "error_if_exists" | "default" => {
                Ok(SaveMode::ErrorIfExists)
            }
            "overwrite" => Ok(SaveMode::Overwrite),
            "append" => Ok(SaveMode::Append),
            "ignore" => Ok(SaveMode::Ignore),
            other => Err(EmberError::config(format!(
                "unknown save mode '{other}' (expected errorifexists, overwrite, append or ignore)"
            ))),
        }
    }
}

/// File formats Ember writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteFormat {
    /// Apache Parquet.
    Parquet,
    /// Comma-separated values.
    Csv,
    /// One JSON object per line.
    Json,
}

impl WriteFormat {
    /// The format named `s` (any case).
    pub fn parse(s: &str) -> Result<WriteFormat> {
        match s.to_ascii_lowercase().as_str() {
            "parquet" => Ok(WriteFormat::Parquet),
            "csv" => Ok(WriteFormat::Csv),
            "json" | "ndjson" | "jsonl" => Ok(WriteFormat::Json),
            other => Err(EmberError::config(format!(
                "unknown file format '{other}' (expected parquet, csv or json)"
            ))),
        }
    }

    /// The format a path's extension names, if any.
    pub fn from_extension(path: &str) -> Option<WriteFormat> {
        let ext = std::path::Path::new(path).extension()?.to_str()?;
        match ext.to_ascii_lowercase().as_str() {
            "parquet" | "pq" => Some(WriteFormat::Parquet),
            "csv" => Some(WriteFormat::Csv),
            "json" | "ndjson" | "jsonl" => Some(WriteFormat::Json),
            _ => None,
        }
    }

    /// The extension of files in this format.
    pub fn extension(self) -> &'static str {
        match self {
            WriteFormat::Parquet => "parquet",
            WriteFormat::Csv => "csv",
            WriteFormat::Json => "json",
        }
    }
}

/// Compression of the files written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// None.
    None,
    /// Snappy (Parquet's default).
    Snappy,
    /// Zstandard.
    Zstd,
    /// LZ4.
    Lz4,
}

/// Everything a write job needs to know besides its rows and target.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteOptions {
    /// The file format.
    pub format: WriteFormat,
    /// What to do when the target exists.
    pub mode: SaveMode,
    /// Columns whose values become folders (`col=value/`), in order.
    pub partition_by: Vec<String>,
    /// Compression (Parquet only; text formats are written plain).
    pub compression: Compression,
    /// CSV: a first line of column names (default true).
    pub header: bool,
    /// CSV: the field separator (default `,`).
    pub delimiter: u8,
    /// Most rows in one file (0: no limit); a task starts a new file past it.
    pub max_rows_per_file: usize,
    /// Parquet: most rows in one row group.
    pub row_group_rows: usize,
    /// One file (`Some(true)`) or a folder of files (`Some(false)`); `None` decides
    /// by the path: a name with the format's extension and no partition columns is
    /// one file.
    pub single_file: Option<bool>,
}

impl WriteOptions {
    /// Defaults for `format`.
    pub fn new(format: WriteFormat) -> Self {
        WriteOptions {
            format,
            mode: SaveMode::ErrorIfExists,
            partition_by: Vec::new(),
            compression: match format {
                WriteFormat::Parquet => Compression::Snappy,
                _ => Compression::None,
            },
            header: true,
            delimiter: b',',
            max_rows_per_file: 0,
            row_group_rows: 1 << 20,
            single_file: None,
        }
    }

    /// Options from COPY's `(key value, ...)` list; `format` is the format to use
    /// when no FORMAT option is given, `max_rows_per_file` the limit when no option
    /// sets one (the session's setting).
    pub fn from_pairs(
        format: WriteFormat,
        max_rows_per_file: usize,
        pairs: &[(String, OptionValue)],
    ) -> Result<Self> {
        let format = match pairs.iter().find(|(k, _)| k.eq_ignore_ascii_case("format")) {
            Some((_, v)) => WriteFormat::parse(&v.as_text())?,
            None => format,
        };
        let mut o = WriteOptions::new(format);
        o.max_rows_per_file = max_rows_per_file;
        for (key, value) in pairs {
            o.set(key, value)?;
        }
        Ok(o)
    }

    /// Sets one option.
    pub fn set(&mut self, key: &str, value: &OptionValue) -> Result<()> {
        let text = value.as_text();
        match key.to_ascii_lowercase().as_str() {
            "format" => self.format = WriteFormat::parse(&text)?,
            "partition_by" | "partitionby" => {
                self.partition_by = match value {
                    OptionValue::List(l) => l.clone(),
                    _ => text.split(',').map(|s| s.trim().to_string()).collect(),
                }
            }
            "compression" | "codec" => {
                self.compression = match text.to_ascii_lowercase().as_str() {
                    "none" | "uncompressed" => Compression::None,
                    "snappy" => Compression::Snappy,
                    "zstd" => Compression::Zstd,
                    "lz4" | "lz4_raw" => Compression::Lz4,
                    other => {
                        return Err(EmberError::config(format!(
                            "unknown compression '{other}' (expected zstd, snappy, lz4 or none)"
                        )));
                    }
                }
            }
            "header" => self.header = flag(key, value)?,
            "delimiter" | "sep" | "delim" => {
                let bytes = text.as_bytes();
                if bytes.len() != 1 {
                    return Err(EmberError::config(format!(
                        "option 'delimiter' takes one character, got '{text}'"
                    )));
                }
                self.delimiter = bytes[0];
            }
            "overwrite" | "overwrite_or_ignore" => {
                if flag(key, value)? {
                    self.mode = SaveMode::Overwrite;
                }
            }
            "append" => {
                if flag(key, value)? {
                    self.mode = SaveMode::Append;
                }
            }
            "mode" => self.mode = SaveMode::parse(&text)?,
            "max_rows_per_file" | "maxrecordsperfile" => {
                self.max_rows_per_file = count(key, &text)?;
            }
            "row_group_size" => self.row_group_rows = count(key, &text)?.max(1),
            other => {
                return Err(EmberError::config(format!(
                    "unknown write option '{other}' (expected format, partition_by, compression, \
                     header, delimiter, overwrite, append, mode, max_rows_per_file or row_group_size)"
                )));
            }
        }
        Ok(())
    }

    /// Checks that the options fit the format.
    pub fn validate(&self) -> Result<()> {
        if self.format != WriteFormat::Parquet && self.compression != Compression::None {
            return Err(EmberError::config(format!(
                "compression applies to Parquet only; {} files are written uncompressed",
                self.format.extension().to_uppercase()
            )));
        }
        Ok(())
    }
}

fn flag(key: &str, value: &OptionValue) -> Result<bool> {
    match value.as_text().to_ascii_lowercase().as_str() {
        "true" | "1" | "on" | "yes" => Ok(true),
        "false" | "0" | "off" | "no" => Ok(false),
        other => Err(EmberError::config(format!(
            "option '{key}' takes true or false, got '{other}'"
        ))),
    }
}

fn count(key: &str, text: &str) -> Result<usize> {
    text.trim().parse::<usize>().map_err(|_| {
        EmberError::config(format!("option '{key}' takes a whole number, got '{text}'"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, OptionValue)]) -> Vec<(String, OptionValue)> {
        p.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    #[test]
    fn copy_options_parse() {
        let o = WriteOptions::from_pairs(
            WriteFormat::Csv,
            0,
            &pairs(&[
                ("format", OptionValue::Text("PARQUET".into())),
                (
                    "partition_by",
                    OptionValue::List(vec!["a".into(), "b".into()]),
                ),
                ("compression", OptionValue::Text("zstd".into())),
                ("overwrite", OptionValue::Flag),
            ]),
        )
        .unwrap();
        assert_eq!(o.format, WriteFormat::Parquet);
        assert_eq!(o.partition_by, vec!["a", "b"]);
        assert_eq!(o.compression, Compression::Zstd);
        assert_eq!(o.mode, SaveMode::Overwrite);
        let csv = WriteOptions::from_pairs(
            WriteFormat::Csv,
            0,
            &pairs(&[("header", OptionValue::Text("false".into()))]),
        )
        .unwrap();
        assert!(!csv.header);
        assert_eq!(csv.compression, Compression::None);
    }

    #[test]
    fn bad_options_name_what_is_expected() {
        let e = WriteOptions::from_pairs(
            WriteFormat::Csv,
            0,
            &pairs(&[("compresion", OptionValue::Text("zstd".into()))]),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("unknown write option 'compresion'"),
            "{e}"
        );
        let e = WriteOptions::from_pairs(
            WriteFormat::Csv,
            0,
            &pairs(&[("header", OptionValue::Text("maybe".into()))]),
        )
        .unwrap_err();
        assert!(e.to_string().contains("true or false"), "{e}");
        let mut o = WriteOptions::new(WriteFormat::Csv);
        o.compression = Compression::Zstd;
        assert!(
            o.validate()
                .unwrap_err()
                .to_string()
                .contains("Parquet only")
        );
        assert!(SaveMode::parse("sideways").is_err());
    }
}
