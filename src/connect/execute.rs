//! `ExecutePlan`'s work, on the operation's own thread: a relation's rows streamed
//! as Arrow batches (the first response also carries the schema; an empty result is
//! one empty batch), or a command run (`spark.sql` of a statement, temp views,
//! `df.write`), then `ResultComplete`.
//!
//! In: the plan and the session. Out: responses on the operation's channel. May
//! import `tokio::sync::mpsc`, `super::{arrow, plan, types, write}`.

use tokio::sync::mpsc;
use tonic::Status;

use super::plan::{Translator, is_query};
use super::proto::command::CommandType;
use super::proto::execute_plan_response::{
    ArrowBatch, ResponseType, ResultComplete, SqlCommandResult,
};
use super::proto::plan::OpType;
use super::proto::*;
use super::sessions::Session;
use super::sessions::new_id;
use super::unsupported;
use crate::context::Entry;
use crate::dataframe::DataFrame;
use crate::error::{EmberError, Result};

/// Sends responses of one operation, each with the session and operation ids.
pub(super) struct Sender {
    pub(super) tx: mpsc::Sender<std::result::Result<ExecutePlanResponse, Status>>,
    pub(super) session_id: String,
    pub(super) server_side_id: String,
    pub(super) operation_id: String,
}

impl Sender {
    pub(super) fn response(&self, kind: Option<ResponseType>) -> ExecutePlanResponse {
        ExecutePlanResponse {
            session_id: self.session_id.clone(),
            server_side_session_id: self.server_side_id.clone(),
            operation_id: self.operation_id.clone(),
            response_id: new_id(),
            response_type: kind,
            ..Default::default()
        }
    }

    /// False once the client has gone.
    pub(super) fn send(&self, r: ExecutePlanResponse) -> bool {
        self.tx.blocking_send(Ok(r)).is_ok()
    }
}

/// Runs an `ExecutePlan` to its end, sending its responses.
pub(super) fn execute(session: &Session, plan: &Plan, out: &Sender) -> Result<()> {
    let op = plan
        .op_type
        .as_ref()
        .ok_or_else(|| EmberError::execution("a plan with neither a relation nor a command"))?;
    match op {
        OpType::Root(rel) => {
            let df = Translator::for_session(session).relation(rel)?.df;
            stream_result(&df, out)?;
        }
        OpType::Command(cmd) => {
            let kind = cmd
                .command_type
                .as_ref()
                .ok_or_else(|| EmberError::execution("a command without its kind"))?;
            command(session, kind, out)?;
        }
        OpType::CompressedOperation(_) => {
            return Err(unsupported("compressed plans"));
        }
    }
    out.send(out.response(Some(ResponseType::ResultComplete(ResultComplete {}))));
    Ok(())
}

/// Streams the rows of `df` as Arrow batches: the first response also carries the
/// schema, and an empty result is one empty batch (clients need its schema).
pub(super) fn stream_result(df: &DataFrame, out: &Sender) -> Result<()> {
    let schema = df.schema();
    let spark_schema =
        super::types::to_spark(&arrow::datatypes::DataType::Struct(schema.fields().clone())).ok();
    let mut sent = 0usize;
    let mut offset = 0i64;
    let stream = df.execute_stream();
    for batch in stream {
        let batch = batch?;
        let rows = batch.num_rows() as i64;
        let mut r = out.response(Some(ResponseType::ArrowBatch(ArrowBatch {
            row_count: rows,
            data: super::arrow::batch_to_ipc(&batch)?.into(),
            start_offset: Some(offset),
            ..Default::default()
        })));
        if sent == 0 {
            r.schema = spark_schema.clone();
        }
        offset += rows;
        sent += 1;
        if !out.send(r) {
            // The client went away: dropping the stream cancels the query.
            return Ok(());
        }
    }
    if sent == 0 {
        let empty = arrow::array::RecordBatch::new_empty(schema);
        let mut r = out.response(Some(ResponseType::ArrowBatch(ArrowBatch {
            row_count: 0,
            data: super::arrow::batch_to_ipc(&empty)?.into(),
            start_offset: Some(0),
            ..Default::default()
        })));
        r.schema = spark_schema;
        out.send(r);
    }
    Ok(())
}

pub(super) fn command(session: &Session, kind: &CommandType, out: &Sender) -> Result<()> {
    let ctx = &session.ctx;
    match kind {
        // Older clients send the query in the deprecated `sql` field.
        #[allow(deprecated)]
        CommandType::SqlCommand(c) => {
            let relation = match &c.input {
                Some(r) => r.clone(),
                None => {
                    if !c.args.is_empty() || !c.pos_args.is_empty() {
                        return Err(unsupported("SQL with parameters (args=...)"));
                    }
                    Relation {
                        common: None,
                        rel_type: Some(relation::RelType::Sql(Sql {
                            query: c.sql.clone(),
                            ..Default::default()
                        })),
                    }
                }
            };
            let query_text = match &relation.rel_type {
                Some(relation::RelType::Sql(s)) => Some(s.query.clone()),
                _ => None,
            };
            // Planning checks the query now, as Spark does; a command also runs now.
            let df = Translator::for_session(session).relation(&relation)?.df;
            let result = match query_text {
                Some(q) if !is_query(&q) => {
                    // The command's output (often nothing) goes back as local rows.
                    let batches = df.collect()?;
                    let batch = match batches.len() {
                        0 => arrow::array::RecordBatch::new_empty(df.schema()),
                        1 => batches
                            .into_iter()
                            .next()
                            .unwrap_or_else(|| arrow::array::RecordBatch::new_empty(df.schema())),
                        _ => arrow::compute::concat_batches(&df.schema(), &batches)?,
                    };
                    Relation {
                        common: None,
                        rel_type: Some(relation::RelType::LocalRelation(LocalRelation {
                            data: Some(super::arrow::batch_to_ipc(&batch)?.into()),
                            schema: None,
                        })),
                    }
                }
                _ => relation,
            };
            out.send(
                out.response(Some(ResponseType::SqlCommandResult(SqlCommandResult {
                    relation: Some(result),
                }))),
            );
            Ok(())
        }
        CommandType::CreateDataframeView(v) => {
            let input = v
                .input
                .as_ref()
                .ok_or_else(|| EmberError::execution("createTempView without its DataFrame"))?;
            let df = Translator::for_session(session).relation(input)?.df;
            if !v.replace && ctx.has_entry(&v.name) {
                return Err(EmberError::execution(format!(
                    "temporary view '{}' already exists (use createOrReplaceTempView)",
                    v.name
                )));
            }
            ctx.put_entry(&v.name, Entry::View(df.logical_plan().clone()))
        }
        CommandType::WriteOperation(w) => {
            let input = w
                .input
                .as_ref()
                .ok_or_else(|| EmberError::execution("a write without its DataFrame"))?;
            let df = Translator::for_session(session).relation(input)?.df;
            super::write::write(&df, w)
        }
        other => {
            let debug = format!("{other:?}");
            Err(unsupported(format!(
                "command: {}",
                debug.split('(').next().unwrap_or("?")
            )))
        }
    }
}
