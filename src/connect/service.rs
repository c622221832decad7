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

use tokio::sync::mpsc;
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::analyze::analyze;
use super::conf::config;
use super::execute::{Sender, execute};
use super::proto::spark_connect_service_server::SparkConnectService;
use super::proto::*;
use super::sessions::{Interrupt, Session, Sessions, new_id};
use super::status;

/// The service: sessions and the token clients must send.
pub struct ConnectService {
    sessions: Arc<Sessions>,
    token: Option<String>,
}

type ResponseStream =
    Pin<Box<dyn Stream<Item = std::result::Result<ExecutePlanResponse, Status>> + Send>>;

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
            (Ok(InterruptType::OperationId), Some(Which::OperationId(o))) => {
                Interrupt::Operation(o)
            }
            _ => {
                return Err(Status::invalid_argument(
                    "Interrupt without what to interrupt",
                ));
            }
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
