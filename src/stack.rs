//! Room to recurse. Planning walks expression trees recursively, one call (or a few) per
//! level of nesting — SQL to expressions, type checks, coercion, every optimizer rule,
//! physical planning, EXPLAIN text — and so does dropping a tree. A caller's stack
//! (8 MiB on a main thread, 2 MiB on threads Rust spawns) holds only some hundreds of
//! levels in a debug build, while `ember.sql.max_expression_depth` allows a thousand by
//! default. So the session runs that driver work on a thread of its own, with a stack
//! sized for the configured depth, and waits for it. Worker threads evaluating
//! expressions have stacks of their own (the scheduler's pool).
//!
//! In: a closure and the depth limit. Out: the closure's result, computed on a thread
//! whose stack is large enough (the calling one, when it already is). Imports only std
//! and `crate::error`.

use std::cell::Cell;

use ember_planner::optimizer::{count_runs_on_this_thread, optimizer_runs_on_this_thread};

use crate::error::{EmberError, Result};
use crate::rdd::CancelToken;

/// Stack bytes one level of expression nesting may take across the deepest chain of
/// recursive calls, with room to spare (measured in a debug build at a few KiB).
const BYTES_PER_LEVEL: usize = 64 << 10;

/// The smallest stack given to the driver thread.
const MIN_STACK_BYTES: usize = 64 << 20;

/// The largest: address space is reserved up front (pages are only touched as used).
const MAX_STACK_BYTES: usize = 1 << 30;

thread_local! {
    /// The stack size of the current thread, when this module started it (else 0).
    static STACK_BYTES: Cell<usize> = const { Cell::new(0) };
}

/// The stack a driver thread needs for expressions nested `max_depth` deep.
pub(crate) fn stack_bytes_for(max_depth: usize) -> usize {
    max_depth
        .saturating_mul(BYTES_PER_LEVEL)
        .clamp(MIN_STACK_BYTES, MAX_STACK_BYTES)
}

/// Runs `f` on a thread whose stack holds expressions nested `max_depth` deep: the
/// current thread when this module started it with a large enough stack, else a new
/// one that `f` borrows from. A panic in `f` is resumed on the caller.
pub(crate) fn with_stack_for_depth<T: Send>(
    max_depth: usize,
    f: impl FnOnce() -> Result<T> + Send,
) -> Result<T> {
    let bytes = stack_bytes_for(max_depth);
    if STACK_BYTES.get() >= bytes {
        return f();
    }
    // Jobs started there are the caller's: they take its cancel token.
    let cancel = CancelToken::current();
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("ember-driver".into())
            .stack_size(bytes)
            .spawn_scoped(scope, move || {
                STACK_BYTES.set(bytes);
                let out = match cancel {
                    Some(token) => token.scope(f),
                    None => f(),
                };
                (out, optimizer_runs_on_this_thread())
            })
            .map_err(|e| {
                EmberError::internal(format!(
                    "cannot start a driver thread with a {} MiB stack: {e}",
                    bytes >> 20
                ))
            })?;
        match handle.join() {
            Ok((out, runs)) => {
                // The planning done there was done for this thread.
                count_runs_on_this_thread(runs);
                out
            }
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        // A frame that the optimizer cannot fold away (the pad is all zeros).
        let pad = std::hint::black_box([0u8; 512]);
        1 + depth(n - 1) + usize::from(pad[511])
    }

    #[test]
    fn runs_deep_recursion_that_a_default_stack_cannot() {
        // 20,000 frames of over 512 bytes: more than a 2 MiB thread stack holds.
        let out = with_stack_for_depth(1000, || Ok(depth(20_000))).unwrap();
        assert_eq!(out, 20_000);
    }

    #[test]
    fn nested_calls_reuse_the_thread() {
        let out = with_stack_for_depth(1000, || {
            let outer = std::thread::current().id();
            with_stack_for_depth(10, move || Ok(std::thread::current().id() == outer))
        })
        .unwrap();
        assert!(out);
    }

    #[test]
    fn sizes_grow_with_the_depth_and_are_capped() {
        assert_eq!(stack_bytes_for(1), MIN_STACK_BYTES);
        assert!(stack_bytes_for(10_000) > stack_bytes_for(1000));
        assert_eq!(stack_bytes_for(usize::MAX), MAX_STACK_BYTES);
    }
}
