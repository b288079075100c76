//! What a network session's Cancel needs to know: which statement runs now, and a gate
//! that keeps a late cancel away from the session's next statement.
//!
//! PostgreSQL's cancel request and MySQL's `KILL QUERY` name a connection, not a
//! statement, and one session runs all its statements on one connection. So a cancel must
//! check that the statement it was asked to stop is the one running before it sends, and
//! must not let that statement end and the next one start between the check and the send:
//! - Each `execute` takes a [`Ticket`]; the statement registers its key under it when it
//!   starts, and a cancel sends only if its own ticket is the one running. The server
//!   cancel runs in a task of its own and can be scheduled after its statement has ended
//!   and the next one has started; it then finds another ticket and sends nothing (a clean
//!   clone's run of `a_late_cancel_never_reaches_the_next_statement` once saw such a late
//!   KILL QUERY stop the next statement, when the key alone was checked).
//! - The canceller holds the gate from the check until the server has taken the request,
//!   and a finishing statement takes the gate before it clears its key: the next statement
//!   can only start once any cancel aimed at the previous one is done.
//!
//! For MySQL that closes the race: `KILL QUERY` answers once the target is flagged, and a
//! flag that lands after the statement ended is cleared when the next command starts. For
//! PostgreSQL it only narrows it: the postmaster closes the cancel connection once it has
//! signalled the backend, but the backend may act on the signal later, and a busy machine
//! can delay it past the start of the next statement (libpq and psql share this race; the
//! protocol offers no acknowledgement).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// One `execute` call's claim on the session: what its cancel may stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket(u64);

pub struct Running<K> {
    next: AtomicU64,
    current: Mutex<Option<(Ticket, K)>>,
    gate: tokio::sync::Mutex<()>,
}

impl<K: Clone> Default for Running<K> {
    fn default() -> Self {
        Running {
            next: AtomicU64::new(1),
            current: Mutex::new(None),
            gate: tokio::sync::Mutex::new(()),
        }
    }
}

impl<K: Clone> Running<K> {
    /// A ticket for a statement about to be queued; its canceller keeps a copy.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.next.fetch_add(1, Ordering::Relaxed))
    }

    /// The statement starts: from now on a cancel with `ticket` goes to `key`.
    pub fn start(&self, ticket: Ticket, key: K) -> RunningGuard<'_, K> {
        self.set(Some((ticket, key)));
        RunningGuard(self)
    }

    /// The statement ended: waits for a cancel on its way, then forgets the key.
    pub async fn finish(&self) {
        let _gate = self.gate.lock().await;
        self.set(None);
    }

    /// `finish` for a statement that runs on a blocking thread (SQLite).
    pub fn finish_blocking(&self) {
        let _gate = self.gate.blocking_lock();
        self.set(None);
    }

    /// Runs `send` with the key of the running statement if that statement is `ticket`'s,
    /// holding the gate until it returns.
    pub async fn cancel_with<F, Fut, T>(&self, ticket: Ticket, send: F) -> Option<T>
    where
        F: FnOnce(K) -> Fut,
        Fut: std::future::Future<Output = T>,
    {
        let _gate = self.gate.lock().await;
        let key = self.current.lock().ok().and_then(|c| {
            c.as_ref()
                .filter(|(t, _)| *t == ticket)
                .map(|(_, k)| k.clone())
        })?;
        Some(send(key).await)
    }

    fn set(&self, value: Option<(Ticket, K)>) {
        if let Ok(mut c) = self.current.lock() {
            *c = value;
        }
    }
}

/// Forgets the key if the statement's future is dropped before it finishes.
pub struct RunningGuard<'a, K: Clone>(&'a Running<K>);

impl<K: Clone> Drop for RunningGuard<'_, K> {
    fn drop(&mut self) {
        self.0.set(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_cancel_reaches_only_its_own_statement() {
        let running = Running::<u32>::default();
        let first = running.ticket();
        let second = running.ticket();
        assert_ne!(first, second);

        // Before its statement starts, a cancel finds nothing to send.
        assert_eq!(running.cancel_with(first, |k| async move { k }).await, None);

        let guard = running.start(first, 7);
        assert_eq!(
            running.cancel_with(first, |k| async move { k }).await,
            Some(7)
        );
        running.finish().await;
        drop(guard);

        // The same connection (key 7) now runs the next statement: the first one's cancel,
        // arriving late, must not reach it; the second one's does.
        let _guard = running.start(second, 7);
        assert_eq!(running.cancel_with(first, |k| async move { k }).await, None);
        assert_eq!(
            running.cancel_with(second, |k| async move { k }).await,
            Some(7)
        );
    }
}
