//! The Spark Connect RPCs. Each request names its session; plans are translated
//! (`super::plan`) and run on Ember's pool from a thread of their own, so the async
//! runtime never waits on a query. `ExecutePlan` streams one `ArrowBatch` per result
//! batch as the query produces them, then `ResultComplete`; `Interrupt` and
//! `ReleaseExecute` cancel the operation's jobs through its cancel token.
//!
//! In: requests. Out: responses, or a gRPC status whose message says what failed
//! (`unsupported relation: Sample`). May import `tonic`, `tokio` and the rest of
//! `super`.

use std::pin::Pin;
use std::sync::Arc;

use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::proto::analyze_plan_request::Analyze;
use super::proto::analyze_plan_response as ar;
use super::proto::command::CommandType;
use super::proto::config_request::operation::OpType as ConfigOp;
use super::proto::execute_plan_response::{ArrowBatch, ResponseType, ResultComplete, SqlCommandResult};
use super::proto::plan::OpType;
use super::proto::spark_connect_service_server::SparkConnectService;
use super::proto::*;
use super::plan::{Translator, is_query};
use super::sessions::{Interrupt, Session, Sessions, new_id};
use super::{status, unsupported};
use crate::context::Entry;
use crate::dataframe::DataFrame;
use crate::error::{EmberError, Result};

/// The version of Spark whose protocol Ember speaks.
const SPARK_VERSION: &str = "4.2.0";

/// The service: sessions and the token clients must send.
pub struct ConnectService {
    sessions: Arc<Sessions>,
    token: Option<String>,
}

type ResponseStream = Pin<Box<dyn Stream<Item = std::result::Result<ExecutePlanResponse, Status>> + Send>>;

impl ConnectService {
    /// A service over `sessions`; with `token`, requests must carry it.
    pub fn new(sessions: Arc<Sessions>, token: Option<String>) -> Self {
        ConnectService { sessions, token }
    }

    fn authorize<T>(&self, request: &Request<T>) -> std::result::Result<(), Status> {
        let Some(token) = &self.token else {
            return Ok(());
        };
        let sent = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if sent == Some(token.as_str()) {
            Ok(())
        } else {
            Err(Status::unauthenticated(
                "this server needs a token: connect with sc://host:port/;token=...",
            ))
        }
    }

    /// The session, made on first use (which may register tables: off the runtime).
    async fn session(&self, id: &str) -> std::result::Result<Arc<Session>, Status> {
        let sessions = self.sessions.clone();
        let id = id.to_string();
        tokio::task::spawn_blocking(move || sessions.get(&id))
            .await
            .map_err(|e| Status::internal(format!("session setup failed: {e}")))?
            .map_err(status)
    }
}

/// Sends responses of one operation, each with the session and operation ids.
struct Sender {
    tx: mpsc::Sender<std::result::Result<ExecutePlanResponse, Status>>,
    session_id: String,
    server_side_id: String,
    operation_id: String,
}

impl Sender {
    fn response(&self, kind: Option<ResponseType>) -> ExecutePlanResponse {
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
    fn send(&self, r: ExecutePlanResponse) -> bool {
        self.tx.blocking_send(Ok(r)).is_ok()
    }
}

/// Runs an `ExecutePlan` to its end, sending its responses.
fn execute(session: &Session, plan: &Plan, out: &Sender) -> Result<()> {
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
fn stream_result(df: &DataFrame, out: &Sender) -> Result<()> {
    let schema = df.schema();
    let spark_schema = super::types::to_spark(&arrow::datatypes::DataType::Struct(
        schema.fields().clone(),
    ))
    .ok();
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

fn command(session: &Session, kind: &CommandType, out: &Sender) -> Result<()> {
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
                        1 => batches.into_iter().next().unwrap_or_else(|| {
                            arrow::array::RecordBatch::new_empty(df.schema())
                        }),
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
            out.send(out.response(Some(ResponseType::SqlCommandResult(SqlCommandResult {
                relation: Some(result),
            }))));
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

fn plan_relation(plan: Option<&Plan>) -> Result<&Relation> {
    match plan.and_then(|p| p.op_type.as_ref()) {
        Some(OpType::Root(r)) => Ok(r),
        Some(_) => Err(unsupported("analysis of a command")),
        None => Err(EmberError::execution("an analysis without its plan")),
    }
}

fn analyze(session: &Session, which: &Analyze) -> Result<ar::Result> {
    let df_of = |plan: Option<&Plan>| -> Result<DataFrame> {
        Ok(Translator::for_session(session).relation(plan_relation(plan)?)?.df)
    };
    Ok(match which {
        Analyze::Schema(s) => {
            let schema = df_of(s.plan.as_ref())?.schema();
            let t = super::types::to_spark(&arrow::datatypes::DataType::Struct(
                schema.fields().clone(),
            ))
            .map_err(EmberError::execution)?;
            ar::Result::Schema(ar::Schema { schema: Some(t) })
        }
        Analyze::Explain(e) => {
            use analyze_plan_request::explain::ExplainMode;
            let df = df_of(e.plan.as_ref())?;
            let verbose = matches!(
                ExplainMode::try_from(e.explain_mode),
                Ok(ExplainMode::Extended | ExplainMode::Formatted | ExplainMode::Cost)
            );
            ar::Result::Explain(ar::Explain {
                explain_string: df.explain(verbose)?,
            })
        }
        Analyze::TreeString(t) => {
            let schema = df_of(t.plan.as_ref())?.schema();
            let level = t.level.filter(|l| *l > 0).map(|l| l as usize);
            ar::Result::TreeString(ar::TreeString {
                tree_string: tree_string(&schema, level),
            })
        }
        Analyze::IsLocal(l) => {
            let local = matches!(
                plan_relation(l.plan.as_ref())?.rel_type,
                Some(relation::RelType::LocalRelation(_))
            );
            ar::Result::IsLocal(ar::IsLocal { is_local: local })
        }
        Analyze::IsStreaming(_) => ar::Result::IsStreaming(ar::IsStreaming {
            is_streaming: false,
        }),
        Analyze::SparkVersion(_) => ar::Result::SparkVersion(ar::SparkVersion {
            version: SPARK_VERSION.into(),
        }),
        Analyze::DdlParse(d) => {
            let fields = super::types::parse_ddl(&d.ddl_string)
                .or_else(|e| {
                    super::types::parse_type(&d.ddl_string)
                        .map(|t| vec![arrow::datatypes::Field::new("value", t, true)])
                        .map_err(|_| e)
                })
                .map_err(EmberError::execution)?;
            let t = super::types::to_spark(&arrow::datatypes::DataType::Struct(fields.into()))
                .map_err(EmberError::execution)?;
            ar::Result::DdlParse(ar::DdlParse { parsed: Some(t) })
        }
        Analyze::Persist(p) => {
            let relation = p
                .relation
                .as_ref()
                .ok_or_else(|| EmberError::execution("persist without its DataFrame"))?;
            let rel = Translator::for_session(session).relation(relation)?;
            let level = p.storage_level.clone().unwrap_or(StorageLevel {
                use_disk: true,
                use_memory: true,
                deserialized: true,
                replication: 1,
                ..Default::default()
            });
            let ember_level = if level.use_disk {
                crate::rdd::StorageLevel::MemoryAndDisk
            } else {
                crate::rdd::StorageLevel::MemoryOnly
            };
            let df = rel.df.persist(ember_level)?;
            let cached = super::sessions::Cached {
                rel: super::plan::Rel {
                    df,
                    plan_ids: rel.plan_ids,
                },
                level,
            };
            session
                .cached
                .lock()
                .map_err(|_| EmberError::internal("cache lock poisoned"))?
                .insert(relation.encode_to_vec(), cached);
            ar::Result::Persist(ar::Persist {})
        }
        Analyze::Unpersist(u) => {
            let relation = u
                .relation
                .as_ref()
                .ok_or_else(|| EmberError::execution("unpersist without its DataFrame"))?;
            let removed = session
                .cached
                .lock()
                .map_err(|_| EmberError::internal("cache lock poisoned"))?
                .remove(&relation.encode_to_vec());
            if let Some(c) = removed {
                unpersist(c.rel.df.logical_plan());
            }
            ar::Result::Unpersist(ar::Unpersist {})
        }
        Analyze::GetStorageLevel(g) => {
            let relation = g
                .relation
                .as_ref()
                .ok_or_else(|| EmberError::execution("storageLevel without its DataFrame"))?;
            let level = session
                .cached
                .lock()
                .map_err(|_| EmberError::internal("cache lock poisoned"))?
                .get(&relation.encode_to_vec())
                .map(|c| c.level.clone())
                .unwrap_or_default();
            ar::Result::GetStorageLevel(ar::GetStorageLevel {
                storage_level: Some(level),
            })
        }
        other => {
            let debug = format!("{other:?}");
            return Err(unsupported(format!(
                "analysis: {}",
                debug.split('(').next().unwrap_or("?")
            )));
        }
    })
}

/// Frees the cached blocks a persisted DataFrame's plan reads.
fn unpersist(plan: &ember_planner::LogicalPlan) {
    use ember_planner::LogicalPlan as P;
    match plan {
        P::Scan { source, .. } => {
            if let Some(c) = source
                .as_any()
                .downcast_ref::<crate::exec::cache::CachedTable>()
            {
                c.unpersist();
            }
        }
        P::Projection { input, .. } => unpersist(input),
        _ => {}
    }
}

/// `printSchema()`'s text: `root` and one ` |-- name: type (nullable = ...)` line
/// per column, nested fields indented.
fn tree_string(schema: &arrow::datatypes::SchemaRef, level: Option<usize>) -> String {
    fn field_lines(out: &mut String, f: &arrow::datatypes::Field, depth: usize, level: Option<usize>) {
        if level.is_some_and(|l| depth > l) {
            return;
        }
        let prefix = " |   ".repeat(depth - 1);
        out.push_str(&format!(
            "{prefix} |-- {}: {} (nullable = {})\n",
            f.name(),
            simple_type(f.data_type()),
            f.is_nullable()
        ));
        if let arrow::datatypes::DataType::Struct(children) = f.data_type() {
            for c in children {
                field_lines(out, c, depth + 1, level);
            }
        }
    }
    let mut out = String::from("root\n");
    for f in schema.fields() {
        field_lines(&mut out, f, 1, level);
    }
    out
}

/// Spark's short type name: `long`, `string`, `decimal(15,2)`, `array<int>`.
fn simple_type(t: &arrow::datatypes::DataType) -> String {
    use arrow::datatypes::DataType as D;
    match t {
        D::Null => "void".into(),
        D::Boolean => "boolean".into(),
        D::Int8 => "byte".into(),
        D::Int16 | D::UInt8 => "short".into(),
        D::Int32 | D::UInt16 => "integer".into(),
        D::Int64 | D::UInt32 | D::UInt64 => "long".into(),
        D::Float16 | D::Float32 => "float".into(),
        D::Float64 => "double".into(),
        D::Decimal128(p, s) | D::Decimal256(p, s) => format!("decimal({p},{s})"),
        D::Utf8 | D::LargeUtf8 | D::Utf8View => "string".into(),
        D::Binary | D::LargeBinary | D::BinaryView => "binary".into(),
        D::Date32 | D::Date64 => "date".into(),
        D::Timestamp(_, Some(_)) => "timestamp".into(),
        D::Timestamp(_, None) => "timestamp_ntz".into(),
        D::List(f) | D::LargeList(f) => format!("array<{}>", simple_type(f.data_type())),
        D::Struct(_) => "struct".into(),
        D::Interval(_) | D::Duration(_) => "interval".into(),
        other => other.to_string().to_ascii_lowercase(),
    }
}

/// Values of the `spark.*` settings PySpark reads, where the client has set none.
fn spark_default(key: &str) -> Option<&'static str> {
    Some(match key {
        "spark.sql.session.timeZone" => "UTC",
        "spark.sql.timestampType" => "TIMESTAMP_LTZ",
        "spark.sql.ansi.enabled" => "true",
        "spark.sql.session.localRelationCacheThreshold" => "67108864",
        "spark.sql.session.localRelationSizeLimit" => "2147483647",
        "spark.sql.session.localRelationChunkSizeRows" => "10000",
        "spark.sql.session.localRelationChunkSizeBytes" => "16777216",
        "spark.sql.session.localRelationBatchOfChunksSizeBytes" => "134217728",
        "spark.sql.execution.pandas.convertToArrowArraySafely" => "false",
        "spark.sql.execution.pandas.inferPandasDictAsMap" => "false",
        "spark.sql.execution.pandas.structHandlingMode" => "legacy",
        "spark.sql.execution.arrow.pyspark.selfDestruct.enabled" => "false",
        "spark.sql.execution.arrow.useLargeVarTypes" => "false",
        "spark.sql.execution.pyspark.binaryAsBytes" => "true",
        "spark.sql.pyspark.inferNestedDictAsStruct.enabled" => "false",
        "spark.sql.pyspark.legacy.inferArrayTypeFromFirstElement.enabled" => "false",
        "spark.sql.pyspark.legacy.inferMapTypeFromFirstPair.enabled" => "false",
        "spark.sql.pyspark.jvmStacktrace.enabled" => "false",
        "spark.sql.connect.serverStacktrace.enabled" => "false",
        "spark.sql.repl.eagerEval.enabled" => "false",
        "spark.sql.repl.eagerEval.maxNumRows" => "20",
        "spark.sql.repl.eagerEval.truncate" => "20",
        _ => return None,
    })
}

fn is_ember_key(key: &str) -> bool {
    key.to_ascii_lowercase().starts_with("ember.")
}

/// A setting's value: Ember's own, one the client set, or Spark's default.
fn get_setting(session: &Session, key: &str) -> Option<String> {
    if is_ember_key(key) {
        return session
            .ctx
            .config()
            .entries()
            .into_iter()
            .find(|(k, _, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v, _)| v);
    }
    let stored = session.spark_conf.lock().ok()?.get(key).cloned();
    stored.or_else(|| spark_default(key).map(str::to_string))
}

fn config(session: &Session, op: &ConfigOp) -> Result<Vec<KeyValue>> {
    let kv = |key: &str, value: Option<String>| KeyValue {
        key: key.to_string(),
        value,
    };
    let spark_conf = || {
        session
            .spark_conf
            .lock()
            .map_err(|_| EmberError::internal("settings lock poisoned"))
    };
    Ok(match op {
        ConfigOp::Set(s) => {
            for p in &s.pairs {
                let value = p.value.clone().unwrap_or_default();
                if is_ember_key(&p.key) {
                    session.ctx.set(&p.key, &value)?;
                } else {
                    spark_conf()?.insert(p.key.clone(), value);
                }
            }
            vec![]
        }
        ConfigOp::Get(g) => g.keys.iter().map(|k| kv(k, get_setting(session, k))).collect(),
        ConfigOp::GetOption(g) => g.keys.iter().map(|k| kv(k, get_setting(session, k))).collect(),
        ConfigOp::GetWithDefault(g) => g
            .pairs
            .iter()
            .map(|p| {
                let stored = if is_ember_key(&p.key) {
                    get_setting(session, &p.key)
                } else {
                    spark_conf().ok().and_then(|c| c.get(&p.key).cloned())
                };
                kv(&p.key, stored.or_else(|| p.value.clone()))
            })
            .collect(),
        ConfigOp::GetAll(g) => {
            let prefix = g.prefix.clone().unwrap_or_default();
            let mut all: Vec<KeyValue> = session
                .ctx
                .config()
                .entries()
                .into_iter()
                .map(|(k, v, _)| kv(&k, Some(v)))
                .collect();
            all.extend(spark_conf()?.iter().map(|(k, v)| kv(k, Some(v.clone()))));
            all.retain(|p| p.key.starts_with(&prefix));
            all
        }
        ConfigOp::Unset(u) => {
            let defaults = crate::config::SessionConfig::default().entries();
            for k in &u.keys {
                if is_ember_key(k) {
                    let default = defaults
                        .iter()
                        .find(|(d, _, _)| d.eq_ignore_ascii_case(k))
                        .map(|(_, v, _)| v.clone())
                        .ok_or_else(|| EmberError::config(format!("unknown setting '{k}'")))?;
                    session.ctx.set(k, &default)?;
                } else {
                    spark_conf()?.remove(k);
                }
            }
            vec![]
        }
        ConfigOp::IsModifiable(m) => m
            .keys
            .iter()
            .map(|k| {
                let modifiable = !is_ember_key(k)
                    || crate::config::setting(k).is_some_and(|s| {
                        !matches!(s.change, crate::config::setting::Change::AtStart(_))
                    });
                kv(k, Some(modifiable.to_string()))
            })
            .collect(),
    })
}

#[tonic::async_trait]
impl SparkConnectService for ConnectService {
    type ExecutePlanStream = ResponseStream;
    type ReattachExecuteStream = ResponseStream;

    async fn execute_plan(
        &self,
        request: Request<ExecutePlanRequest>,
    ) -> std::result::Result<Response<Self::ExecutePlanStream>, Status> {
        self.authorize(&request)?;
        let req = request.into_inner();
        let session = self.session(&req.session_id).await?;
        let plan = req
            .plan
            .ok_or_else(|| Status::invalid_argument("ExecutePlan without a plan"))?;
        let operation_id = req.operation_id.clone().unwrap_or_else(new_id);
        let (tx, rx) = mpsc::channel(4);
        let out = Sender {
            tx,
            session_id: req.session_id.clone(),
            server_side_id: session.server_side_id.clone(),
            operation_id: operation_id.clone(),
        };
        let tags = req.tags.clone();
        std::thread::Builder::new()
            .name("ember-connect-op".into())
            .spawn(move || {
                let token = session.start_operation(&operation_id, tags);
                let ran = token.scope(|| execute(&session, &plan, &out));
                session.end_operation(&operation_id);
                if let Err(e) = ran {
                    let _ = out.tx.blocking_send(Err(status(e)));
                }
            })
            .map_err(|e| Status::internal(format!("cannot start the operation: {e}")))?;
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn analyze_plan(
        &self,
        request: Request<AnalyzePlanRequest>,
    ) -> std::result::Result<Response<AnalyzePlanResponse>, Status> {
        self.authorize(&request)?;
        let req = request.into_inner();
        let session = self.session(&req.session_id).await?;
        let which = req
            .analyze
            .ok_or_else(|| Status::invalid_argument("AnalyzePlan without what to analyze"))?;
        let s = session.clone();
        let result = tokio::task::spawn_blocking(move || analyze(&s, &which))
            .await
            .map_err(|e| Status::internal(format!("analysis failed: {e}")))?
            .map_err(status)?;
        Ok(Response::new(AnalyzePlanResponse {
            session_id: req.session_id,
            server_side_session_id: session.server_side_id.clone(),
            result: Some(result),
        }))
    }

    async fn config(
        &self,
        request: Request<ConfigRequest>,
    ) -> std::result::Result<Response<ConfigResponse>, Status> {
        self.authorize(&request)?;
        let req = request.into_inner();
        let session = self.session(&req.session_id).await?;
        let op = req
            .operation
            .and_then(|o| o.op_type)
            .ok_or_else(|| Status::invalid_argument("Config without an operation"))?;
        let pairs = config(&session, &op).map_err(status)?;
        Ok(Response::new(ConfigResponse {
            session_id: req.session_id,
            server_side_session_id: session.server_side_id.clone(),
            pairs,
            warnings: vec![],
        }))
    }

    async fn add_artifacts(
        &self,
        request: Request<tonic::Streaming<AddArtifactsRequest>>,
    ) -> std::result::Result<Response<AddArtifactsResponse>, Status> {
        self.authorize(&request)?;
        Err(Status::unimplemented(
            "unsupported AddArtifacts: Ember runs no client code (Python UDFs, jars, files, \
             or createDataFrame of more than 64 MB)",
        ))
    }

    async fn artifact_status(
        &self,
        request: Request<ArtifactStatusesRequest>,
    ) -> std::result::Result<Response<ArtifactStatusesResponse>, Status> {
        self.authorize(&request)?;
        Err(Status::unimplemented(
            "unsupported ArtifactStatus: Ember keeps no artifacts",
        ))
    }

    async fn interrupt(
        &self,
        request: Request<InterruptRequest>,
    ) -> std::result::Result<Response<InterruptResponse>, Status> {
        use interrupt_request::{Interrupt as Which, InterruptType};
        self.authorize(&request)?;
        let req = request.into_inner();
        let session = self.session(&req.session_id).await?;
        let which = match (InterruptType::try_from(req.interrupt_type), &req.interrupt) {
            (Ok(InterruptType::All), _) => Interrupt::All,
            (Ok(InterruptType::Tag), Some(Which::OperationTag(t))) => Interrupt::Tag(t),
            (Ok(InterruptType::OperationId), Some(Which::OperationId(o))) => Interrupt::Operation(o),
            _ => return Err(Status::invalid_argument("Interrupt without what to interrupt")),
        };
        let interrupted_ids = session.interrupt(which);
        Ok(Response::new(InterruptResponse {
            session_id: req.session_id,
            server_side_session_id: session.server_side_id.clone(),
            interrupted_ids,
        }))
    }

    async fn reattach_execute(
        &self,
        request: Request<ReattachExecuteRequest>,
    ) -> std::result::Result<Response<Self::ReattachExecuteStream>, Status> {
        self.authorize(&request)?;
        let req = request.into_inner();
        Err(Status::not_found(format!(
            "operation {} cannot be reattached: Ember sends each result once, to the end \
             (INVALID_HANDLE.OPERATION_NOT_FOUND)",
            req.operation_id
        )))
    }

    async fn release_execute(
        &self,
        request: Request<ReleaseExecuteRequest>,
    ) -> std::result::Result<Response<ReleaseExecuteResponse>, Status> {
        self.authorize(&request)?;
        let req = request.into_inner();
        let session = self.session(&req.session_id).await?;
        // Releasing everything of a running operation stops it; a finished one has
        // nothing left to release.
        if matches!(
            req.release,
            Some(release_execute_request::Release::ReleaseAll(_))
        ) {
            session.interrupt(Interrupt::Operation(&req.operation_id));
        }
        Ok(Response::new(ReleaseExecuteResponse {
            session_id: req.session_id,
            server_side_session_id: session.server_side_id.clone(),
            operation_id: Some(req.operation_id),
        }))
    }

    async fn release_session(
        &self,
        request: Request<ReleaseSessionRequest>,
    ) -> std::result::Result<Response<ReleaseSessionResponse>, Status> {
        self.authorize(&request)?;
        let req = request.into_inner();
        self.sessions.release(&req.session_id);
        Ok(Response::new(ReleaseSessionResponse {
            session_id: req.session_id,
            server_side_session_id: String::new(),
        }))
    }

    async fn fetch_error_details(
        &self,
        request: Request<FetchErrorDetailsRequest>,
    ) -> std::result::Result<Response<FetchErrorDetailsResponse>, Status> {
        self.authorize(&request)?;
        let req = request.into_inner();
        let session = self.session(&req.session_id).await?;
        // Errors go out whole in their status; there are no further details to fetch.
        Ok(Response::new(FetchErrorDetailsResponse {
            session_id: req.session_id,
            server_side_session_id: session.server_side_id.clone(),
            ..Default::default()
        }))
    }

    async fn clone_session(
        &self,
        request: Request<CloneSessionRequest>,
    ) -> std::result::Result<Response<CloneSessionResponse>, Status> {
        self.authorize(&request)?;
        Err(Status::unimplemented("unsupported CloneSession"))
    }

    async fn get_status(
        &self,
        request: Request<GetStatusRequest>,
    ) -> std::result::Result<Response<GetStatusResponse>, Status> {
        self.authorize(&request)?;
        Err(Status::unimplemented("unsupported GetStatus"))
    }
}
