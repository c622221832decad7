//! Starting and stopping the Spark Connect server: the address check (loopback unless
//! told otherwise, and then only with a token), the tokio runtime on a thread of its
//! own, and the gRPC service on it.
//!
//! In: [`ServeOptions`]. Out: a running [`Server`] (tests) or a blocking [`serve`]
//! (`ember serve`). May import `tokio`, `tonic` and `super::{service, sessions}`.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use crate::config::SessionConfig;
use crate::context::SessionContext;
use crate::error::{EmberError, Result};

use super::proto::spark_connect_service_server::SparkConnectServiceServer;
use super::service::ConnectService;
use super::sessions::{SessionSetup, Sessions};

/// The most a message may weigh (PySpark's own limit): `createDataFrame` sends its
/// rows in one.
const MAX_MESSAGE_BYTES: usize = 128 * 1024 * 1024;

/// How `ember serve` listens, and how its sessions start.
#[derive(Clone)]
pub struct ServeOptions {
    /// Address to listen on; anything but loopback needs `token`.
    pub host: String,
    /// Port (0: any free port).
    pub port: u16,
    /// Clients must send `Authorization: Bearer <token>` when set.
    pub token: Option<String>,
    /// Settings of every session.
    pub config: SessionConfig,
    /// Registers the TPC-H tables at this scale factor in every session.
    pub tpch: Option<f64>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            host: "127.0.0.1".into(),
            port: 15002,
            token: None,
            config: SessionConfig::default(),
            tpch: None,
        }
    }
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Binds and starts serving on a thread of its own.
    pub fn start(options: ServeOptions) -> Result<Server> {
        let addr = resolve(&options.host, options.port)?;
        if !addr.ip().is_loopback() && options.token.as_deref().is_none_or(str::is_empty) {
            return Err(EmberError::config(format!(
                "listening on {} (not loopback) needs --token: clients then connect with \
                 sc://host:{}/;token=...",
                addr.ip(),
                options.port
            )));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ember-connect")
            .enable_all()
            .build()
            .map_err(|e| EmberError::internal(format!("cannot start the server runtime: {e}")))?;
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(addr))
            .map_err(|e| EmberError::execution(format!("cannot listen on {addr}: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| EmberError::execution(format!("cannot listen on {addr}: {e}")))?;
        // TPC-H tables are generated once; every session registers the same ones.
        let setup: Option<SessionSetup> = match options.tpch {
            None => None,
            Some(sf) => {
                let parts = options.config.target_partitions.max(1);
                let tables = crate::session::tpch_tables(sf, parts)?;
                Some(Arc::new(move |ctx: &SessionContext| {
                    for (name, t) in &tables {
                        ctx.register_table(name, t.clone())?;
                    }
                    Ok(())
                }))
            }
        };
        let sessions = Arc::new(Sessions::new(options.config.clone(), setup));
        let service = ConnectService::new(sessions, options.token.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("ember-connect-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let svc = SparkConnectServiceServer::new(service)
                        .max_decoding_message_size(MAX_MESSAGE_BYTES)
                        .max_encoding_message_size(MAX_MESSAGE_BYTES);
                    // Without TCP_NODELAY every small response waits for the
                    // client's delayed acknowledgement: ~40 ms per call.
                    let incoming = tonic::transport::server::TcpIncoming::from(listener)
                        .with_nodelay(Some(true));
                    let served = tonic::transport::Server::builder()
                        .add_service(svc)
                        .serve_with_incoming_shutdown(incoming, async {
                            let _ = rx.await;
                        })
                        .await;
                    if let Err(e) = served {
                        eprintln!("error: the Spark Connect server stopped: {e}");
                    }
                });
            })
            .map_err(|e| EmberError::internal(format!("cannot start the server thread: {e}")))?;
        Ok(Server {
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits until the server stops (it stops only when stopped, or on an error).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Stops serving and waits for the server to end.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shut_down();
    }
}

fn resolve(host: &str, port: u16) -> Result<SocketAddr> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    (host, port)
        .to_socket_addrs()
        .map_err(|e| EmberError::config(format!("cannot resolve host '{host}': {e}")))?
        .next()
        .ok_or_else(|| EmberError::config(format!("host '{host}' has no address")))
}

/// Runs `ember serve` until the process ends: prints where it listens on stderr.
pub fn serve(options: ServeOptions) -> Result<()> {
    let server = Server::start(options)?;
    eprintln!(
        "Ember Spark Connect server listening on sc://{} (PySpark: SparkSession.builder.remote(\"sc://{}\"))",
        server.addr(),
        server.addr()
    );
    server.wait();
    Ok(())
}
