//! Stopping running work: a cancel token per job, checked by the scheduler before
//! each task attempt and by every partition iterator between items.
//!
//! In: a [`CancelToken`] made by whoever runs the work (the shell for a statement, a
//! server for a request), installed on the calling thread with [`CancelToken::scope`];
//! every job started in that scope, and every job a task of it starts, shares the
//! token. Out: once the token is cancelled (by [`CancelToken::cancel`] from any
//! thread, or by its deadline passing), tasks not yet started do not start, running
//! ones fail at their next item with [`RddError::Cancelled`], and the job returns that
//! error after the pool has no task of it left.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::rdd::error::{RddError, Result};
use crate::rdd::rdd::PartitionIter;

/// A shared flag that stops the jobs it was given to.
#[derive(Clone, Default)]
pub struct CancelToken(Arc<CancelState>);

#[derive(Default)]
struct CancelState {
    cancelled: AtomicBool,
    /// Why it was cancelled, set by the first cancel.
    reason: OnceLock<String>,
    /// When it cancels itself, and the timeout that gave that moment.
    deadline: Option<(Instant, Duration)>,
    /// A token whose cancel cancels this one too.
    parent: Option<CancelToken>,
}

thread_local! {
    static CURRENT: RefCell<Option<CancelToken>> = const { RefCell::new(None) };
}

impl CancelToken {
    /// A token that cancels only when told to.
    pub fn new() -> Self {
        CancelToken::default()
    }

    /// A token that also cancels itself `timeout` from now.
    pub fn with_timeout(timeout: Duration) -> Self {
        CancelToken::under(None, Some(timeout))
    }

    /// A token cancelled with this one, and also on its own (without cancelling
    /// this one): a job's token under its statement's.
    pub fn child(&self) -> Self {
        CancelToken::under(Some(self.clone()), None)
    }

    /// A token under the calling thread's current one (see [`CancelToken::scope`]),
    /// or one of its own outside any scope; with `timeout`, it also cancels itself
    /// that long from now.
    pub fn under_current(timeout: Option<Duration>) -> Self {
        CancelToken::under(CancelToken::current(), timeout)
    }

    fn under(parent: Option<CancelToken>, timeout: Option<Duration>) -> Self {
        CancelToken(Arc::new(CancelState {
            parent,
            deadline: timeout.map(|t| (Instant::now() + t, t)),
            ..CancelState::default()
        }))
    }

    /// Cancels the work holding this token, "by the user".
    pub fn cancel(&self) {
        self.cancel_because("by the user");
    }

    /// Cancels the work holding this token; `reason` ends up in its error.
    pub fn cancel_because(&self, reason: &str) {
        let _ = self.0.reason.set(reason.to_string());
        self.0.cancelled.store(true, Ordering::Release);
    }

    /// Whether the work holding this token must stop.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled_token().is_some()
    }

    /// This token or the nearest ancestor that is cancelled.
    fn cancelled_token(&self) -> Option<&CancelToken> {
        if self.0.cancelled.load(Ordering::Acquire) {
            return Some(self);
        }
        if let Some((at, timeout)) = self.0.deadline
            && Instant::now() >= at
        {
            self.cancel_because(&format!(
                "the statement timeout ({}) was reached",
                human_duration(timeout)
            ));
            return Some(self);
        }
        self.0.parent.as_ref()?.cancelled_token()
    }

    /// `Err(Cancelled)` once the token is cancelled.
    pub fn check(&self) -> Result<()> {
        match self.cancelled_token() {
            Some(token) => {
                let reason = token
                    .0
                    .reason
                    .get()
                    .map_or("no reason given", String::as_str);
                Err(RddError::Cancelled(reason.to_string()))
            }
            None => Ok(()),
        }
    }

    /// Whether both handles are the same token.
    pub fn same_as(&self, other: &CancelToken) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Runs `f` with this token as the calling thread's current one: jobs `f` starts
    /// take it. The previous token comes back afterwards, even if `f` panics.
    pub fn scope<R>(&self, f: impl FnOnce() -> R) -> R {
        struct Restore(Option<CancelToken>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let previous = self.0.take();
                CURRENT.with(|c| *c.borrow_mut() = previous);
            }
        }
        let previous = CURRENT.with(|c| c.borrow_mut().replace(self.clone()));
        let _restore = Restore(previous);
        f()
    }

    /// The calling thread's current token, if a scope set one.
    pub fn current() -> Option<CancelToken> {
        CURRENT.with(|c| c.borrow().clone())
    }
}

impl std::fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CancelToken(cancelled: {})", self.is_cancelled())
    }
}

impl PartialEq for CancelToken {
    fn eq(&self, other: &Self) -> bool {
        self.same_as(other)
    }
}

impl Eq for CancelToken {}

/// `30s`, `1.5s`, `250ms`, `2m`.
fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms.is_multiple_of(60_000) {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// `items`, stopping with a `Cancelled` error at the first item asked for after
/// `token` is cancelled.
pub(crate) fn checked<T: Send + 'static>(
    items: PartitionIter<T>,
    token: &CancelToken,
) -> PartitionIter<T> {
    Box::new(Checked {
        items,
        token: token.clone(),
        done: false,
    })
}

struct Checked<T> {
    items: PartitionIter<T>,
    token: CancelToken,
    done: bool,
}

impl<T> Iterator for Checked<T> {
    type Item = Result<T>;
    fn next(&mut self) -> Option<Result<T>> {
        if self.done {
            return None;
        }
        if let Err(e) = self.token.check() {
            self.done = true;
            return Some(Err(e));
        }
        self.items.next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_stops_an_iterator_and_names_the_reason() {
        let token = CancelToken::new();
        let mut items = checked(Box::new((0..10).map(Ok)), &token);
        assert_eq!(items.next().unwrap().unwrap(), 0);
        token.cancel();
        let e = items.next().unwrap().unwrap_err();
        assert!(matches!(e, RddError::Cancelled(_)), "{e}");
        assert_eq!(e.to_string(), "query cancelled: by the user");
        assert!(items.next().is_none());
    }

    #[test]
    fn a_deadline_cancels_by_itself() {
        let token = CancelToken::with_timeout(Duration::from_millis(20));
        assert!(token.check().is_ok());
        std::thread::sleep(Duration::from_millis(30));
        let e = token.check().unwrap_err();
        assert!(e.to_string().contains("statement timeout (20ms)"), "{e}");
    }

    #[test]
    fn a_child_follows_its_parent_but_not_the_reverse() {
        let parent = CancelToken::new();
        let child = parent.child();
        child.cancel_because("done reading");
        assert!(!parent.is_cancelled());
        let other = parent.child();
        parent.cancel();
        let e = other.check().unwrap_err();
        assert_eq!(e.to_string(), "query cancelled: by the user");
        assert!(
            child
                .check()
                .unwrap_err()
                .to_string()
                .contains("done reading")
        );
    }

    #[test]
    fn scopes_nest_and_restore() {
        assert!(CancelToken::current().is_none());
        let outer = CancelToken::new();
        let inner = CancelToken::new();
        outer.scope(|| {
            assert!(CancelToken::current().unwrap().same_as(&outer));
            inner.scope(|| assert!(CancelToken::current().unwrap().same_as(&inner)));
            assert!(CancelToken::current().unwrap().same_as(&outer));
        });
        assert!(CancelToken::current().is_none());
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(Duration::from_secs(30)), "30s");
        assert_eq!(human_duration(Duration::from_secs(120)), "2m");
        assert_eq!(human_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(human_duration(Duration::from_millis(250)), "250ms");
    }
}
