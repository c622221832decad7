//! Relations whose rows come from outside a plan: a named table or view, files
//! (`spark.read.parquet/csv/json`), local rows (`createDataFrame`, sent as Arrow
//! IPC), and `df.show()`'s text, which is computed here and returned as one row.
//!
//! In: `Read`, `LocalRelation`, `ShowString`. Out: [`Rel`]s. May import
//! `super::{arrow, show, types}` and the crate's reader and sources.

use std::sync::Arc;

use arrow::datatypes::{DataType, Schema};
use ember_planner::LogicalPlanBuilder;

use super::plan::{Rel, Translator};
use super::proto;
use super::unsupported;
use crate::dataframe::DataFrame;
use crate::error::{EmberError, Result};
use crate::sources::{MemTable, Table};

impl Translator<'_> {
    pub(super) fn read(&self, r: &proto::Read) -> Result<Rel> {
        use proto::read::ReadType;
        if r.is_streaming {
            return Err(unsupported("streaming reads"));
        }
        match r.read_type.as_ref() {
            Some(ReadType::NamedTable(t)) => {
                let parts = super::expr::split_identifier(&t.unparsed_identifier)?;
                let name = parts.last().cloned().unwrap_or_default();
                let df = self.ctx.table(&name)?;
                Ok(Rel::new(df))
            }
            Some(ReadType::DataSource(d)) => {
                let format = d
                    .format
                    .clone()
                    .unwrap_or_else(|| "parquet".into())
                    .to_ascii_lowercase();
                if d.paths.is_empty() {
                    return Err(EmberError::execution(format!(
                        "read of {format} without a path"
                    )));
                }
                if !d.predicates.is_empty() {
                    return Err(unsupported("JDBC predicates"));
                }
                let mut frames = Vec::new();
                for path in &d.paths {
                    let mut reader = self.ctx.read().format(&format);
                    if let Some(schema) = &d.schema
                        && !schema.is_empty()
                    {
                        let fields =
                            super::types::parse_ddl(schema).map_err(EmberError::execution)?;
                        reader = reader.schema(Arc::new(Schema::new(fields)));
                    }
                    let mut header_given = false;
                    for (k, v) in &d.options {
                        match k.to_ascii_lowercase().as_str() {
                            // Ember always infers column types.
                            "inferschema" => {}
                            "header" => {
                                header_given = true;
                                reader = reader.option("header", v);
                            }
                            "sep" | "delimiter" => reader = reader.option("delimiter", v),
                            _ => reader = reader.option(k, v),
                        }
                    }
                    if format == "csv" && !header_given {
                        // Spark reads a first line as data unless told otherwise.
                        reader = reader.option("header", "false");
                    }
                    frames.push(reader.load(path)?);
                }
                let mut df = frames.remove(0);
                for f in frames {
                    df = df.union(&f)?;
                }
                Ok(Rel::new(df))
            }
            None => Err(EmberError::execution("a read without what to read")),
        }
    }

    pub(super) fn local(&self, l: &proto::LocalRelation) -> Result<Rel> {
        let (schema, batches) = match &l.data {
            Some(data) => super::arrow::ipc_to_batches(data)?,
            None => {
                let text = l.schema.as_deref().unwrap_or_default();
                let fields = if text.trim_start().starts_with('{') {
                    return Err(unsupported("a JSON schema for local rows"));
                } else {
                    super::types::parse_ddl(text).map_err(EmberError::execution)?
                };
                (Arc::new(Schema::new(fields)), vec![])
            }
        };
        let table = MemTable::try_new(schema, vec![batches])?;
        let plan = LogicalPlanBuilder::scan("local", Arc::new(Table::new(table)))?.build();
        Ok(Rel::new(DataFrame::new(self.ctx.clone(), plan)))
    }

    pub(super) fn show_string(&self, s: &proto::ShowString) -> Result<Rel> {
        let input = self.child(&s.input, "show")?;
        let num_rows = usize::try_from(s.num_rows.max(0)).unwrap_or(0);
        let df = input.df.limit(0, Some(num_rows + 1))?;
        let batches = df.collect()?;
        let text = super::show::show_string(
            &df.schema(),
            &batches,
            &super::show::ShowOptions {
                num_rows,
                truncate: usize::try_from(s.truncate.max(0)).unwrap_or(0),
                vertical: s.vertical,
            },
        );
        let schema = Arc::new(Schema::new(vec![arrow::datatypes::Field::new(
            "show_string",
            DataType::Utf8,
            false,
        )]));
        let batch = arrow::array::RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(arrow::array::StringArray::from(vec![text]))],
        )?;
        let table = MemTable::try_new(schema, vec![vec![batch]])?;
        let plan = LogicalPlanBuilder::scan("show", Arc::new(Table::new(table)))?.build();
        Ok(Rel::new(DataFrame::new(self.ctx.clone(), plan)))
    }
}
