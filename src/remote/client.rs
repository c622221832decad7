//! The Spark Connect client: sends one plan with ExecutePlan and reads the Arrow
//! batches that stream back, or asks for a relation's schema with AnalyzePlan. A
//! failure — the server unreachable, the token refused, the query failed on the
//! cluster — is one line naming the server.
//!
//! tokio lives only here: each call runs on a small runtime of its own, so the rest
//! of Ember stays synchronous.
//!
//! In: a [`RemoteUrl`] and a relation or a command. Out: record batches, or a schema
//! as Spark's `DataType`. May import `tonic`,
//! `tokio`, `arrow::ipc`, `crate::connect::proto` and `super::url`.

use std::io::Cursor;
use std::sync::OnceLock;
use std::time::Duration;

use arrow::array::RecordBatch;
use arrow::ipc::reader::StreamReader;
use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue};
use tonic::service::{Interceptor, interceptor::InterceptedService};
use tonic::transport::{Channel, Endpoint};

use super::url::RemoteUrl;
use crate::connect::proto::analyze_plan_request::{Analyze, Schema};
use crate::connect::proto::analyze_plan_response::Result as Analyzed;
use crate::connect::proto::execute_plan_response::ResponseType;
use crate::connect::proto::spark_connect_service_client::SparkConnectServiceClient;
use crate::connect::proto::{
    AnalyzePlanRequest, Command, DataType as SparkType, ExecutePlanRequest, Plan, Relation,
    UserContext, plan::OpType,
};
use crate::error::{EmberError, Result};

/// How long to wait for the server to accept the connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest response message accepted (one Arrow batch).
const MAX_MESSAGE_BYTES: usize = 256 << 20;

/// The Spark session id every remote query of this process uses (a random UUID)
/// unless the URL names one.
fn process_session_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        let mut bytes = [0u8; 16];
        for (i, chunk) in bytes.chunks_mut(8).enumerate() {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_usize(i);
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0),
            );
            h.write_u32(std::process::id());
            chunk.copy_from_slice(&h.finish().to_le_bytes());
        }
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    })
}

/// The Spark session `url` names (`session_id=`), else this process's own.
fn session_id(url: &RemoteUrl) -> String {
    url.session_id
        .clone()
        .unwrap_or_else(|| process_session_id().to_string())
}

/// How often a running query looks at its cancel token.
const CANCEL_POLL: Duration = Duration::from_millis(100);

/// Runs `relation` on the server at `url` and returns its rows. The calling thread's
/// cancel token (Ctrl-C, the statement timeout) stops the wait: the call is dropped,
/// which cancels it on the server, and the error says why.
pub(super) fn execute(url: &RemoteUrl, relation: Relation) -> Result<Vec<RecordBatch>> {
    run(url, OpType::Root(relation))
}

/// Runs `command` (a write) on the server at `url`; any rows it sends back are
/// returned, as for a query.
pub(super) fn execute_command(url: &RemoteUrl, command: Command) -> Result<Vec<RecordBatch>> {
    run(url, OpType::Command(command))
}

/// The schema of `relation` as the server at `url` analyzes it; `None` when the
/// server answers that a table or view it names does not exist.
pub(super) fn schema(url: &RemoteUrl, relation: Relation) -> Result<Option<SparkType>> {
    block_on(schema_async(url, relation))
}

fn run(url: &RemoteUrl, op: OpType) -> Result<Vec<RecordBatch>> {
    block_on(execute_async(url, op))
}

/// Runs `work` on a runtime of its own; the calling thread's cancel token (Ctrl-C,
/// the statement timeout) stops the wait.
fn block_on<T>(work: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| EmberError::internal(format!("cannot start the client runtime: {e}")))?;
    let token = crate::rdd::CancelToken::current();
    runtime.block_on(async {
        tokio::pin!(work);
        let mut ticks = tokio::time::interval(CANCEL_POLL);
        loop {
            tokio::select! {
                result = &mut work => return result,
                _ = ticks.tick() => {
                    if let Some(token) = &token {
                        token.check().map_err(EmberError::Job)?;
                    }
                }
            }
        }
    })
}

/// Adds the URL's token and headers to every request.
struct Headers(Vec<(AsciiMetadataKey, AsciiMetadataValue)>);

impl Interceptor for Headers {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> std::result::Result<tonic::Request<()>, tonic::Status> {
        for (key, value) in &self.0 {
            request.metadata_mut().insert(key.clone(), value.clone());
        }
        Ok(request)
    }
}

type Client = SparkConnectServiceClient<InterceptedService<Channel, Headers>>;

/// A client connected to the server at `url`.
async fn connect(url: &RemoteUrl) -> Result<Client> {
    let unreachable = |cause: String| {
        EmberError::Remote(format!(
            "cannot reach the Spark Connect server at {url}: {cause}"
        ))
    };
    let endpoint = Endpoint::from_shared(url.endpoint())
        .map_err(|e| unreachable(e.to_string()))?
        .connect_timeout(CONNECT_TIMEOUT);
    let channel: Channel = endpoint
        .connect()
        .await
        .map_err(|e| unreachable(error_chain(&e)))?;
    let headers = Headers(request_headers(url)?);
    Ok(
        SparkConnectServiceClient::with_interceptor(channel, headers)
            .max_decoding_message_size(MAX_MESSAGE_BYTES),
    )
}

fn user_context(url: &RemoteUrl) -> UserContext {
    UserContext {
        user_id: url.user_id.clone().unwrap_or_else(|| "ember".into()),
        user_name: url.user_id.clone().unwrap_or_else(|| "ember".into()),
        extensions: Vec::new(),
    }
}

fn client_type() -> String {
    format!("ember/{}", env!("CARGO_PKG_VERSION"))
}

async fn schema_async(url: &RemoteUrl, relation: Relation) -> Result<Option<SparkType>> {
    let mut client = connect(url).await?;
    let request = AnalyzePlanRequest {
        session_id: session_id(url),
        user_context: Some(user_context(url)),
        client_type: Some(client_type()),
        analyze: Some(Analyze::Schema(Schema {
            plan: Some(Plan {
                op_type: Some(OpType::Root(relation)),
            }),
        })),
        ..AnalyzePlanRequest::default()
    };
    let response = match client.analyze_plan(request).await {
        Ok(r) => r.into_inner(),
        Err(status) if names_a_missing_table(&status) => return Ok(None),
        Err(status) => return Err(server_error(url, &status)),
    };
    match response.result {
        Some(Analyzed::Schema(s)) => s.schema.map(Some).ok_or_else(|| {
            EmberError::Remote(format!(
                "the Spark Connect server at {url} sent a schema analysis without its schema"
            ))
        }),
        _ => Err(EmberError::Remote(format!(
            "the Spark Connect server at {url} answered a schema analysis with something else"
        ))),
    }
}

/// Whether a failed schema analysis of a named table says the table does not exist:
/// gRPC's NOT_FOUND, or a first line naming a table or view (or Spark's error class
/// `TABLE_OR_VIEW_NOT_FOUND`) as not found — Spark's `[TABLE_OR_VIEW_NOT_FOUND]`,
/// Sail's `Table not found: ...` and `Temporary View not found: ...`, Ember's own
/// server's `table 'x' not found`. Only the name can be missing in such a request.
fn names_a_missing_table(status: &tonic::Status) -> bool {
    let line = first_line(status.message()).to_ascii_lowercase();
    status.code() == tonic::Code::NotFound
        || line.contains("table_or_view_not_found")
        || ((line.contains("table") || line.contains("view")) && line.contains("not found"))
}

async fn execute_async(url: &RemoteUrl, op: OpType) -> Result<Vec<RecordBatch>> {
    let mut client = connect(url).await?;
    let request = ExecutePlanRequest {
        session_id: session_id(url),
        user_context: Some(user_context(url)),
        plan: Some(Plan { op_type: Some(op) }),
        client_type: Some(client_type()),
        ..ExecutePlanRequest::default()
    };
    let mut stream = client
        .execute_plan(request)
        .await
        .map_err(|s| server_error(url, &s))?
        .into_inner();
    let mut batches = Vec::new();
    loop {
        let response = stream.message().await.map_err(|s| server_error(url, &s))?;
        let Some(response) = response else { break };
        match response.response_type {
            Some(ResponseType::ArrowBatch(arrow_batch)) => {
                let reader = StreamReader::try_new(Cursor::new(arrow_batch.data.as_ref()), None)
                    .map_err(|e| bad_rows(url, &e))?;
                for batch in reader {
                    batches.push(batch.map_err(|e| bad_rows(url, &e))?);
                }
            }
            Some(ResponseType::ResultComplete(_)) => break,
            _ => {}
        }
    }
    Ok(batches)
}

fn request_headers(url: &RemoteUrl) -> Result<Vec<(AsciiMetadataKey, AsciiMetadataValue)>> {
    let mut headers = Vec::new();
    let value = |text: &str| {
        AsciiMetadataValue::try_from(text).map_err(|_| {
            EmberError::config(format!(
                "a parameter of the Spark Connect URL {url} has characters a header cannot hold"
            ))
        })
    };
    if let Some(token) = &url.token {
        headers.push((
            AsciiMetadataKey::from_static("authorization"),
            value(&format!("Bearer {token}"))?,
        ));
    }
    for (k, v) in &url.headers {
        let key = AsciiMetadataKey::from_bytes(k.as_bytes())
            .map_err(|_| EmberError::config(format!("'{k}' cannot be sent as a header")))?;
        headers.push((key, value(v)?));
    }
    Ok(headers)
}

/// A gRPC status as one line: the server's message up to its first line break (Spark
/// appends stack traces), or what went wrong with the connection.
fn server_error(url: &RemoteUrl, status: &tonic::Status) -> EmberError {
    let message = first_line(status.message());
    let what = match status.code() {
        tonic::Code::Unauthenticated | tonic::Code::PermissionDenied => {
            format!("the Spark Connect server at {url} refused the credentials: {message}")
        }
        tonic::Code::Unavailable => {
            format!("cannot reach the Spark Connect server at {url}: {message}")
        }
        _ => format!("the Spark Connect server at {url} failed the query: {message}"),
    };
    EmberError::Remote(what)
}

fn bad_rows(url: &RemoteUrl, e: &arrow::error::ArrowError) -> EmberError {
    EmberError::Remote(format!(
        "the rows from the Spark Connect server at {url} are not Arrow IPC: {e}"
    ))
}

/// The first non-empty line of `text`, without trailing spaces.
pub(super) fn first_line(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("(no message)");
    const MAX: usize = 400;
    if line.chars().count() > MAX {
        format!("{}...", line.chars().take(MAX).collect::<String>())
    } else {
        line.to_string()
    }
}

/// An error and its causes, joined with ': ' (transport errors hide the cause).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    first_line(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_uuids() {
        let id = process_session_id();
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
        assert_eq!(&id[14..15], "4");
    }

    #[test]
    fn missing_tables_are_told_apart_from_failures() {
        let missing = [
            tonic::Status::internal(
                "[TABLE_OR_VIEW_NOT_FOUND] The table or view `t` cannot be found.\n\tat x",
            ),
            tonic::Status::internal(
                "Table not found: [TABLE_OR_VIEW_NOT_FOUND] Table or view not found: t",
            ),
            tonic::Status::internal("Temporary View not found: GV"),
            tonic::Status::invalid_argument("table 't' not found"),
            tonic::Status::not_found("t"),
        ];
        for status in &missing {
            assert!(names_a_missing_table(status), "{status:?}");
        }
        let failures = [
            tonic::Status::internal("permission denied on /data"),
            tonic::Status::unavailable("connection reset"),
            tonic::Status::internal("failed\ntable t not found in a stack trace line"),
        ];
        for status in &failures {
            assert!(!names_a_missing_table(status), "{status:?}");
        }
    }

    #[test]
    fn messages_keep_their_first_line() {
        assert_eq!(first_line("\n  boom: x \n\tat y"), "boom: x");
        assert_eq!(first_line(""), "(no message)");
    }

    #[test]
    fn a_cancelled_statement_stops_waiting() {
        // A listener that accepts and never answers.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let url = RemoteUrl::parse(&format!("sc://127.0.0.1:{port}")).unwrap();
        let token = crate::rdd::CancelToken::with_timeout(Duration::from_millis(300));
        let started = std::time::Instant::now();
        let e = token
            .scope(|| execute(&url, Relation::default()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("statement timeout"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(5));
        drop(listener);
    }

    #[test]
    fn a_closed_port_is_one_clear_line() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let url = RemoteUrl::parse(&format!("sc://127.0.0.1:{port}")).unwrap();
        let e = execute(&url, Relation::default()).unwrap_err().to_string();
        assert!(
            e.starts_with("remote: cannot reach the Spark Connect server at sc://127.0.0.1:"),
            "{e}"
        );
        assert!(!e.contains('\n'), "{e}");
    }
}
