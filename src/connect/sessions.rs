//! The server's sessions: each Spark Connect `session_id` gets an Ember
//! [`SessionContext`] of its own (temp views, tables and settings apart), all running
//! their jobs on one shared executor. A session also keeps the `spark.*` settings
//! PySpark sets and reads, and the cancel token of each running operation, so
//! `Interrupt` and `ReleaseExecute` stop exactly that session's work.
//!
//! In: session and operation ids. Out: sessions. May import `crate::{context, rdd,
//! config}`.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::config::SessionConfig;
use crate::context::SessionContext;
use crate::rdd::{CancelToken, RddContext};

/// One client session.
pub struct Session {
    /// The Ember session its plans run in.
    pub ctx: SessionContext,
    /// The id the server gives the session; PySpark checks it stays the same.
    pub server_side_id: String,
    /// Settings Ember does not have (`spark.*`): stored and given back.
    pub spark_conf: Mutex<BTreeMap<String, String>>,
    /// Running operations: id → (tags, cancel token).
    operations: Mutex<HashMap<String, (Vec<String>, CancelToken)>>,
    /// DataFrames persisted with `df.cache()`/`persist()`, by their relation's encoded
    /// bytes: a later plan holding the same relation reads the cached rows.
    pub cached: Mutex<HashMap<Vec<u8>, Cached>>,
}

/// A persisted DataFrame and the level it was asked for.
pub struct Cached {
    /// The DataFrame reading the cached rows.
    pub rel: super::plan::Rel,
    /// The storage level the client asked for.
    pub level: super::proto::StorageLevel,
}

impl Session {
    /// Registers a running operation; its jobs must run inside `token.scope`.
    pub fn start_operation(&self, id: &str, tags: Vec<String>) -> CancelToken {
        let token = CancelToken::new();
        if let Ok(mut ops) = self.operations.lock() {
            ops.insert(id.to_string(), (tags, token.clone()));
        }
        token
    }

    /// Forgets a finished operation.
    pub fn end_operation(&self, id: &str) {
        if let Ok(mut ops) = self.operations.lock() {
            ops.remove(id);
        }
    }

    /// Cancels the operations `which` selects; returns their ids.
    pub fn interrupt(&self, which: Interrupt<'_>) -> Vec<String> {
        let Ok(ops) = self.operations.lock() else {
            return vec![];
        };
        let mut ids = Vec::new();
        for (id, (tags, token)) in ops.iter() {
            let hit = match which {
                Interrupt::All => true,
                Interrupt::Tag(t) => tags.iter().any(|x| x == t),
                Interrupt::Operation(o) => id == o,
            };
            if hit {
                token.cancel_because("interrupted by the client");
                ids.push(id.clone());
            }
        }
        ids
    }
}

/// Which operations an interrupt stops.
#[derive(Clone, Copy)]
pub enum Interrupt<'a> {
    /// Every running operation of the session.
    All,
    /// Those carrying this tag.
    Tag(&'a str),
    /// The one with this id.
    Operation(&'a str),
}

/// What every new session runs first (registering shared tables, say).
pub type SessionSetup = Arc<dyn Fn(&SessionContext) -> crate::Result<()> + Send + Sync>;

/// Every session of the server, and the executor they share.
pub struct Sessions {
    rdd: Arc<RddContext>,
    config: SessionConfig,
    setup: Option<SessionSetup>,
    sessions: Mutex<HashMap<String, Arc<Session>>>,
}

impl Sessions {
    /// Sessions made with `config`, on one executor; `setup` runs on each new one
    /// (registering TPC-H tables, say).
    pub fn new(config: SessionConfig, setup: Option<SessionSetup>) -> Self {
        let rdd = SessionContext::with_config(config.clone())
            .rdd_context()
            .clone();
        Sessions {
            rdd,
            config,
            setup,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// The session `id`, made on first use.
    pub fn get(&self, id: &str) -> crate::Result<Arc<Session>> {
        if id.is_empty() {
            return Err(crate::EmberError::execution(
                "a request without a session id".to_string(),
            ));
        }
        let mut sessions = self
            .sessions
            .lock()
            .map_err(|_| crate::EmberError::internal("session table lock poisoned"))?;
        if let Some(s) = sessions.get(id) {
            return Ok(s.clone());
        }
        let ctx = SessionContext::with_rdd_context(self.config.clone(), self.rdd.clone());
        if let Some(setup) = &self.setup {
            setup(&ctx)?;
        }
        let session = Arc::new(Session {
            ctx,
            server_side_id: new_id(),
            spark_conf: Mutex::new(BTreeMap::new()),
            operations: Mutex::new(HashMap::new()),
            cached: Mutex::new(HashMap::new()),
        });
        sessions.insert(id.to_string(), session.clone());
        Ok(session)
    }

    /// Ends session `id`, cancelling what it runs.
    pub fn release(&self, id: &str) {
        let removed = self.sessions.lock().ok().and_then(|mut s| s.remove(id));
        if let Some(s) = removed {
            s.interrupt(Interrupt::All);
        }
    }
}

/// A fresh id in UUID form, unique within the process and unlikely to repeat across
/// runs (time and a counter, mixed).
pub fn new_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mix = |x: u64| {
        let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let a = mix(nanos ^ u64::from(std::process::id()).rotate_left(32));
    let b = mix(a ^ n);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0x3fff | 0x8000,
        b & 0xffff_ffff_ffff
    )
}
