//! JSON lines files (one object per line, as Ember writes them): schema inference
//! over the first lines, one partition per file.
//!
//! In: a file, folder or glob of `.json` files, and optionally the columns. Out: a
//! [`DataSource`]. Inferred columns are `BIGINT`, `DOUBLE`, `BOOLEAN` or `VARCHAR`
//! (JSON has no dates: give the columns to read them as dates); a key missing from
//! an object is NULL. Nested values are refused, naming the column.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use ember_planner::catalog::Statistics;

use super::{BatchIter, DataSource, check_projection, list_files, normalize_schema};
use crate::error::{EmberError, Result};

/// Lines read to infer a schema.
const INFER_LINES: usize = 1000;

/// JSON lines files read as one table.
#[derive(Debug, Clone)]
pub struct JsonTable {
    path: String,
    files: Arc<Vec<PathBuf>>,
    schema: SchemaRef,
}

impl JsonTable {
    /// Opens the files `path` names; without `schema`, infers one from the first file.
    pub fn try_new(path: &str, schema: Option<SchemaRef>) -> Result<JsonTable> {
        let files = list_files(path, "json")?;
        let Some(first) = files.first() else {
            return Err(EmberError::data(path, "folder holds no .json files"));
        };
        let schema = match schema {
            Some(s) => normalize_schema(&s),
            None => infer(first)?,
        };
        Ok(JsonTable {
            path: path.to_string(),
            files: Arc::new(files),
            schema,
        })
    }
}

fn infer(path: &PathBuf) -> Result<SchemaRef> {
    use std::io::{BufRead, Read};
    let file = File::open(path).map_err(|e| EmberError::io(path, e))?;
    let mut reader = BufReader::new(file);
    // The inference lists keys by name; a reader expects them in the file's order,
    // which the first object gives. The lines read for it go to the inference too.
    let mut head = String::new();
    let first = loop {
        let start = head.len();
        let n = reader
            .read_line(&mut head)
            .map_err(|e| EmberError::io(path, e))?;
        if n == 0 || !head[start..].trim().is_empty() {
            break start;
        }
    };
    let order = top_level_keys(&head[first..]);
    let (schema, _) = arrow::json::reader::infer_json_schema(
        BufReader::new(head.as_bytes().chain(reader)),
        Some(INFER_LINES),
    )
    .map_err(|e| EmberError::data(path.display().to_string(), e.to_string()))?;
    let mut inferred: Vec<_> = schema.fields().iter().collect();
    inferred.sort_by_key(|f| {
        order
            .iter()
            .position(|k| k == f.name())
            .unwrap_or(usize::MAX)
    });
    let mut fields = Vec::with_capacity(inferred.len());
    for f in inferred {
        let t = match f.data_type() {
            t @ (DataType::Int64 | DataType::Float64 | DataType::Boolean | DataType::Utf8) => {
                t.clone()
            }
            DataType::Null => DataType::Utf8,
            other => {
                return Err(EmberError::data(
                    path.display().to_string(),
                    format!(
                        "column '{}' holds nested values ({other}), which Ember does not read",
                        f.name()
                    ),
                ));
            }
        };
        fields.push(Field::new(f.name(), t, true));
    }
    Ok(Arc::new(Schema::new(fields)))
}

/// The keys at depth one of a JSON object's text (`{"a":1,"b":{"c":2}}` → a, b).
/// Malformed text yields what was found before it; the reader reports the error.
fn top_level_keys(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut depth = 0usize;
    let mut chars = text.chars();
    // Whether the next string at depth one is a key (after `{` or `,`).
    let mut expect_key = false;
    while let Some(c) = chars.next() {
        match c {
            '{' | '[' => {
                depth += 1;
                expect_key = depth == 1 && c == '{';
            }
            '}' | ']' => depth = depth.saturating_sub(1),
            ',' if depth == 1 => expect_key = true,
            '"' => {
                let mut s = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                s.push(n);
                            }
                        }
                        '"' => break,
                        c => s.push(c),
                    }
                }
                if depth == 1 && expect_key {
                    keys.push(s);
                    expect_key = false;
                }
            }
            _ => {}
        }
    }
    keys
}

impl DataSource for JsonTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn statistics(&self) -> Statistics {
        Statistics::default()
    }

    fn describe(&self) -> String {
        format!("json: {}", self.path)
    }

    fn file_location(&self) -> Option<super::FileLocation> {
        Some(super::FileLocation {
            format: "json".into(),
            path: self.path.clone(),
            options: Vec::new(),
        })
    }

    fn num_partitions(&self) -> usize {
        self.files.len()
    }

    fn scan(&self, partition: usize, projection: &[usize], batch_size: usize) -> Result<BatchIter> {
        check_projection(&self.schema, projection)?;
        let path = super::partition_file(&self.files, partition)?;
        let file = File::open(&path).map_err(|e| EmberError::io(&path, e))?;
        let reader = arrow::json::ReaderBuilder::new(self.schema.clone())
            .with_batch_size(batch_size.max(1))
            .build(BufReader::new(file))?;
        let name = path.display().to_string();
        let projection = projection.to_vec();
        Ok(Box::new(reader.map(move |batch| {
            let batch = batch.map_err(|e| EmberError::data(&name, e.to_string()))?;
            Ok(batch.project(&projection)?)
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::top_level_keys;

    #[test]
    fn keys_in_written_order_at_depth_one() {
        assert_eq!(
            top_level_keys(r#"{"z":1,"a":{"inner":[1,{"x":2}]},"m\"q":"s,t:","b":null}"#),
            ["z", "a", "m\"q", "b"]
        );
        assert!(top_level_keys("").is_empty());
    }
}
