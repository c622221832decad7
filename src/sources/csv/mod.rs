//! CSV files: schema inference over the first rows, one partition per file, and errors
//! that name the file, the line and what was expected.
//!
//! In: a path to a `.csv` file or a directory of them (all with the same columns), and
//! [`CsvOptions`]. Out: a [`DataSource`]. Inferred columns are BIGINT, DOUBLE, BOOLEAN,
//! DATE (for `YYYY-MM-DD`) or VARCHAR; an empty field is NULL. A file with only a
//! header is an empty table; an empty file is an error (nothing names the columns).
//!
//! Malformed files fail the query, never read silently: a quoted field left open to
//! the end of the file, a record with the wrong number of fields, or a value that is
//! not of its column's type each name the file, the physical line and the column.
//! Each file is one partition read from its start, so line numbers are the file's own.
//!
//! - `scanner`: follows quoting byte by byte to find unclosed quotes and the line each
//!   record starts on.
//! - `errors`: Arrow's CSV errors rewritten with those lines.

mod errors;
mod scanner;

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::csv::ReaderBuilder;
use arrow::csv::reader::Format;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use ember_planner::catalog::Statistics;
use ember_planner::optimizer::cost::EstimateSource;

use self::scanner::CheckedReader;
use super::{BatchIter, DataSource, check_projection, list_files, normalize_schema};
use crate::error::{EmberError, Result};

/// Rows read to infer a schema.
const INFER_ROWS: usize = 1000;

/// How to read CSV files.
#[derive(Debug, Clone)]
pub struct CsvOptions {
    /// The first line names the columns (default true). Without a header the columns
    /// are called `column_1`, `column_2`, ...
    pub has_header: bool,
    /// The field separator (default `,`).
    pub delimiter: u8,
    /// The columns, if known; otherwise they are inferred from the first file.
    pub schema: Option<SchemaRef>,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            has_header: true,
            delimiter: b',',
            schema: None,
        }
    }
}

/// A CSV file or a directory of CSV files.
#[derive(Debug, Clone)]
pub struct CsvTable {
    path: String,
    files: Arc<Vec<PathBuf>>,
    schema: SchemaRef,
    options: CsvOptions,
    total_bytes: usize,
}

impl CsvTable {
    /// Opens a `.csv` file, or every `*.csv` file directly in a directory (sorted by
    /// name). Without a schema in `options`, infers one from the first file.
    pub fn try_new(path: &str, options: CsvOptions) -> Result<CsvTable> {
        let files = list_files(path, "csv")?;
        let Some(first) = files.first() else {
            return Err(EmberError::data(path, "directory holds no .csv files"));
        };
        let schema = match &options.schema {
            Some(s) => normalize_schema(s),
            None => infer_schema(first, &options)?,
        };
        let mut total_bytes = 0usize;
        for f in &files {
            let meta = std::fs::metadata(f).map_err(|e| EmberError::io(f, e))?;
            total_bytes += usize::try_from(meta.len()).unwrap_or(usize::MAX);
        }
        Ok(CsvTable {
            path: path.to_string(),
            files: Arc::new(files),
            schema,
            options,
            total_bytes,
        })
    }

    fn format(&self) -> Format {
        format(&self.options)
    }
}

fn format(options: &CsvOptions) -> Format {
    Format::default()
        .with_header(options.has_header)
        .with_delimiter(options.delimiter)
}

/// Infers the columns of a file from its first rows, keeping the types Ember knows.
fn infer_schema(path: &PathBuf, options: &CsvOptions) -> Result<SchemaRef> {
    let file = File::open(path).map_err(|e| EmberError::io(path, e))?;
    let mut reader = CheckedReader::new(BufReader::new(file), options.delimiter);
    let inferred = format(options).infer_schema(&mut reader, Some(INFER_ROWS));
    let schema = match inferred {
        Ok((schema, _)) => schema,
        // The CSV crate keeps only the text of I/O errors: ask the reader itself.
        Err(e) => match reader.unterminated_quote() {
            Some(fault) => {
                return Err(EmberError::data(
                    path.display().to_string(),
                    fault.to_string(),
                ));
            }
            None => return Err(errors::inference_error(&e, path)),
        },
    };
    if schema.fields().is_empty() {
        let expected = if options.has_header {
            "a header line naming the columns"
        } else {
            "at least one row"
        };
        return Err(EmberError::data(
            path.display().to_string(),
            format!("the file is empty (expected {expected})"),
        ));
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            let t = match f.data_type() {
                t @ (DataType::Int64
                | DataType::Float64
                | DataType::Boolean
                | DataType::Date32
                | DataType::Utf8) => t.clone(),
                _ => DataType::Utf8,
            };
            Field::new(f.name(), t, true)
        })
        .collect();
    Ok(Arc::new(Schema::new(fields)))
}

impl DataSource for CsvTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn statistics(&self) -> Statistics {
        Statistics {
            row_count: None,
            total_bytes: Some(self.total_bytes),
            columns: Vec::new(),
            source: EstimateSource::Guess,
        }
    }

    fn describe(&self) -> String {
        format!("csv: {}", self.path)
    }

    fn file_location(&self) -> Option<crate::sources::FileLocation> {
        Some(crate::sources::FileLocation {
            format: "csv".into(),
            path: self.path.clone(),
            options: vec![
                ("header".into(), self.options.has_header.to_string()),
                ("sep".into(), char::from(self.options.delimiter).to_string()),
            ],
        })
    }

    fn num_partitions(&self) -> usize {
        self.files.len()
    }

    fn scan(&self, partition: usize, projection: &[usize], batch_size: usize) -> Result<BatchIter> {
        check_projection(&self.schema, projection)?;
        let path = super::partition_file(&self.files, partition)?;
        let file = File::open(&path).map_err(|e| EmberError::io(&path, e))?;
        let delimiter = self.options.delimiter;
        let reader = ReaderBuilder::new(self.schema.clone())
            .with_format(self.format())
            .with_batch_size(batch_size.max(1))
            .with_projection(projection.to_vec())
            .build(CheckedReader::new(file, delimiter))?;
        let schema = self.schema.clone();
        let mut failed = false;
        let iter = reader.map_while(move |batch| {
            if failed {
                return None;
            }
            failed = batch.is_err();
            Some(batch.map_err(|e| errors::read_error(&e, &path, &schema, delimiter)))
        });
        Ok(Box::new(iter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray, RecordBatch};
    use arrow::datatypes::{Date32Type, Float64Type, Int64Type};

    fn write(name: &str, text: &str) -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("ember-csv-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join(format!("{name}.csv"));
        std::fs::write(&f, text).unwrap();
        (dir, f)
    }

    fn read_all(t: &CsvTable, projection: &[usize]) -> Result<Vec<RecordBatch>> {
        (0..t.num_partitions())
            .map(|p| t.scan(p, projection, 2))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect()
    }

    #[test]
    fn infers_types_and_reads_with_projection() {
        let (dir, f) = write(
            "infer",
            "id,price,name,day,flag\n1,1.5,\"a, b\",1998-12-01,true\n2,,x,1998-12-02,false\n3,2,,1999-01-01,\n",
        );
        let t = CsvTable::try_new(f.to_str().unwrap(), CsvOptions::default()).unwrap();
        let types: Vec<DataType> = t
            .schema()
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        assert_eq!(
            types,
            vec![
                DataType::Int64,
                DataType::Float64,
                DataType::Utf8,
                DataType::Date32,
                DataType::Boolean
            ]
        );
        let batches = read_all(&t, &[2, 0, 1, 3]).unwrap();
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows, 3);
        let b = &batches[0];
        assert_eq!(b.schema().field(0).name(), "name");
        assert_eq!(b.column(0).as_string::<i32>().value(0), "a, b");
        assert_eq!(b.column(1).as_primitive::<Int64Type>().value(1), 2);
        assert!(b.column(2).as_primitive::<Float64Type>().is_null(1));
        assert_eq!(
            b.column(3).as_primitive::<Date32Type>().value(0),
            ember_planner::scalar::parse_date32("1998-12-01").unwrap()
        );
        assert!(batches[1].column(0).is_null(0));
        let counted: usize = read_all(&t, &[])
            .unwrap()
            .iter()
            .map(|b| b.num_rows())
            .sum();
        assert_eq!(counted, 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn malformed_rows_name_file_line_and_expectation() {
        let (dir, f) = write("badnum", "id,v\n1,2\n2,3\n3,x\n");
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("v", DataType::Int64, true),
        ]));
        let opts = CsvOptions {
            schema: Some(schema),
            ..CsvOptions::default()
        };
        let t = CsvTable::try_new(f.to_str().unwrap(), opts).unwrap();
        let err = read_all(&t, &[0, 1]).unwrap_err().to_string();
        assert!(err.contains("badnum.csv"), "{err}");
        assert!(
            err.contains("line 4, column 'v': expected a BIGINT, found 'x'"),
            "{err}"
        );

        let (dir2, f2) = write("fields", "a,b,c\n1,2,3\n4,5\n");
        let err = CsvTable::try_new(f2.to_str().unwrap(), CsvOptions::default()).unwrap_err();
        assert!(err.to_string().contains("fields.csv"), "{err}");
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int64, true),
            Field::new("b", DataType::Int64, true),
            Field::new("c", DataType::Int64, true),
        ]));
        let opts = CsvOptions {
            schema: Some(schema),
            ..CsvOptions::default()
        };
        let t = CsvTable::try_new(f2.to_str().unwrap(), opts).unwrap();
        let err = read_all(&t, &[0]).unwrap_err().to_string();
        assert!(err.contains("fields.csv"), "{err}");
        assert!(err.contains("line 3: expected 3 fields, found 2"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::remove_dir_all(&dir2).unwrap();
    }

    #[test]
    fn an_unclosed_quote_is_an_error_not_one_long_field() {
        // Row 10 opens a quote that nothing closes: reading must fail, never return
        // fewer rows. Inference reads it when it is among the first rows...
        let mut text = String::from("id,name\n");
        for i in 1..=3000 {
            if i == 10 {
                text.push_str("10,\"broken name\n");
            } else {
                text.push_str(&format!("{i},name{i}\n"));
            }
        }
        let (dir, f) = write("openquote", &text);
        let err = CsvTable::try_new(f.to_str().unwrap(), CsvOptions::default()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("openquote.csv"), "{msg}");
        assert!(
            msg.contains("line 11, column 4: unterminated quoted field"),
            "{msg}"
        );
        // ... and the scan finds it when the schema is known or the quote comes late.
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("name", DataType::Utf8, true),
        ]));
        let opts = CsvOptions {
            schema: Some(schema),
            ..CsvOptions::default()
        };
        let t = CsvTable::try_new(f.to_str().unwrap(), opts).unwrap();
        let err = read_all(&t, &[0]).unwrap_err().to_string();
        assert!(
            err.contains("line 11, column 4: unterminated quoted field"),
            "{err}"
        );
        // Past the rows inference reads: row 2001 is on line 2002.
        let rows: String = (1..=2000).map(|i| format!("{i},n\n")).collect();
        let (dir2, late) = write(
            "latequote",
            &format!("id,name\n{rows}2001,\"open\n2002,y\n"),
        );
        let t = CsvTable::try_new(late.to_str().unwrap(), CsvOptions::default()).unwrap();
        let err = read_all(&t, &[0]).unwrap_err().to_string();
        assert!(err.contains("latequote.csv"), "{err}");
        assert!(
            err.contains("line 2002, column 6: unterminated quoted field"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::remove_dir_all(&dir2).unwrap();
    }

    #[test]
    fn errors_name_physical_lines_when_quoted_fields_span_lines() {
        // Records 2 and 3 span two lines each and line 6 is blank, so record 5 ("x")
        // is on line 8.
        let (dir, f) = write("multiline", "id,note\n1,\"a\nb\"\n2,\"c\nd\"\n\n3,e\nx,f\n");
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("note", DataType::Utf8, true),
        ]));
        let opts = CsvOptions {
            schema: Some(schema.clone()),
            ..CsvOptions::default()
        };
        let t = CsvTable::try_new(f.to_str().unwrap(), opts.clone()).unwrap();
        let err = read_all(&t, &[0, 1]).unwrap_err().to_string();
        assert!(
            err.contains("line 8, column 'id': expected a BIGINT, found 'x'"),
            "{err}"
        );
        std::fs::write(&f, "id,note\n1,\"a\nb\"\n2,c,extra\n").unwrap();
        let t = CsvTable::try_new(f.to_str().unwrap(), opts).unwrap();
        let err = read_all(&t, &[0]).unwrap_err().to_string();
        assert!(err.contains("line 4: expected 2 fields, found 3"), "{err}");
        // Inference sees the same ragged row.
        let err = CsvTable::try_new(f.to_str().unwrap(), CsvOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 4: expected 2 fields, found 3"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn empty_files_are_errors_and_header_only_files_empty_tables() {
        let (dir, f) = write("empty", "");
        let err = CsvTable::try_new(f.to_str().unwrap(), CsvOptions::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "bad data in '{}': the file is empty (expected a header line naming the columns)",
                f.display()
            )
        );
        std::fs::write(&f, "a,b\n").unwrap();
        let t = CsvTable::try_new(f.to_str().unwrap(), CsvOptions::default()).unwrap();
        let names: Vec<&str> = t
            .schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        assert_eq!(names, ["a", "b"]);
        let rows: usize = read_all(&t, &[0, 1])
            .unwrap()
            .iter()
            .map(|b| b.num_rows())
            .sum();
        assert_eq!(rows, 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn headerless_files_and_delimiters() {
        let (dir, f) = write("nohead", "1|a\n2|b\n");
        let opts = CsvOptions {
            has_header: false,
            delimiter: b'|',
            schema: None,
        };
        let t = CsvTable::try_new(f.to_str().unwrap(), opts).unwrap();
        assert_eq!(t.schema().field(0).name(), "column_1");
        assert_eq!(t.schema().field(0).data_type(), &DataType::Int64);
        let b = read_all(&t, &[1]).unwrap();
        assert_eq!(b[0].column(0).as_string::<i32>().value(1), "b");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
