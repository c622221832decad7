//! Remote mode: Ember parses, analyzes and optimizes a query, then sends its optimized
//! logical plan — not SQL text — to a Spark Connect server (Apache Spark 3.4+, Sail)
//! and reads the result back as Arrow batches, printed with Ember's own formats.
//!
//! - `url`: `sc://host:port/;token=...;user_id=...`.
//! - `relation`: the plan, node by node, as Spark Connect relations; `values` holds
//!   VALUES rows.
//! - `expr`: expressions; `functions` is the one table of Ember's functions as
//!   Spark's; `literal` holds constants and type names.
//! - `builders`: small constructors of protocol messages.
//! - `client`: ExecutePlan and AnalyzePlan over gRPC (tokio lives only there).
//! - `cluster`: tables only the cluster's catalog holds, looked up by name when a
//!   remote query names a table Ember does not know.
//! - `explain`: the Spark Connect plan as text, for EXPLAIN.
//! - `write`: `COPY ... TO` and `df.write()` as a WriteOperation the cluster runs.
//!
//! What cannot be said in Spark Connect (a function with no Spark equivalent, rows
//! held in Ember's memory, a recursive query) is an error before anything is sent.
//!
//! May import the planner, `crate::sources` (to find a table's files), `crate::write`
//! (the options of a write), `crate::connect::proto` (the generated protocol types),
//! `crate::connect::types` (Spark's types as Arrow's) and `crate::error`.

mod builders;
mod client;
mod cluster;
mod explain;
mod expr;
pub mod functions;
mod literal;
mod mark_join;
mod relation;
mod url;
mod values;
mod write;

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use ember_planner::LogicalPlan;

pub use cluster::ClusterLookups;
pub use url::RemoteUrl;
pub use write::write;

use crate::connect::proto::Relation;
use crate::error::{EmberError, Result};

/// The error for a part of a plan Spark Connect cannot express.
pub(crate) fn untranslatable(what: impl Into<String>) -> EmberError {
    EmberError::Untranslatable(what.into())
}

/// The Spark Connect relation for an optimized plan, its columns named as Ember
/// names them.
pub fn translate(plan: &LogicalPlan) -> Result<Relation> {
    relation::query_relation(plan)
}

/// The Spark Connect relation for an optimized plan, as EXPLAIN shows it.
pub fn explain(plan: &LogicalPlan) -> Result<String> {
    Ok(explain::relation_text(&translate(plan)?))
}

/// Runs an optimized plan on the Spark Connect server at `url` and returns its rows
/// with `schema` (Ember's names and types for the query).
pub fn execute(url: &str, plan: &LogicalPlan, schema: &SchemaRef) -> Result<Vec<RecordBatch>> {
    let url = RemoteUrl::parse(url)?;
    // Everything is translated before anything is sent.
    let relation = translate(plan)?;
    let batches = client::execute(&url, relation)?;
    batches
        .iter()
        .filter(|b| b.num_rows() > 0)
        .map(|b| conform(b, schema))
        .collect()
}

/// `batch` with Ember's schema: the same columns by position, cast where Spark sent
/// another representation (string views, another timestamp zone).
fn conform(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    if batch.num_columns() != schema.fields().len() {
        return Err(EmberError::Remote(format!(
            "the server sent {} columns, the query has {}",
            batch.num_columns(),
            schema.fields().len()
        )));
    }
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(column, field)| {
            if column.data_type() == field.data_type() {
                Ok(column.clone())
            } else {
                arrow::compute::cast(column, field.data_type()).map_err(|e| {
                    EmberError::Remote(format!(
                        "column {} came back as {}, which does not convert to {}: {e}",
                        field.name(),
                        column.data_type(),
                        field.data_type()
                    ))
                })
            }
        })
        .collect::<Result<Vec<_>>>()?;
    let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    let nullable = Arc::new(arrow::datatypes::Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_nullable(true))
            .collect::<Vec<_>>(),
    ));
    let target = if columns
        .iter()
        .zip(schema.fields())
        .any(|(c, f)| !f.is_nullable() && c.null_count() > 0)
    {
        nullable
    } else {
        schema.clone()
    };
    Ok(RecordBatch::try_new_with_options(
        target, columns, &options,
    )?)
}
