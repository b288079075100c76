//! What a network session's Cancel needs to know: the statement running now, and a gate
//! that keeps a late cancel away from the session's next statement.
//!
//! PostgreSQL's cancel request and MySQL's `KILL QUERY` name a connection, not a
//! statement. A cancel that reads the key while one statement runs and reaches the server
//! after it ended would stop whatever that connection runs next. So the canceller holds
//! the gate from reading the key until the server has taken the request, and a finishing
//! statement takes the gate before it clears the key: the next statement can only start
//! once any cancel aimed at the previous one is done.
//!
//! For MySQL that closes the race: `KILL QUERY` answers once the target is flagged. For
//! PostgreSQL it only narrows it: the postmaster closes the cancel connection once it has
//! signalled the backend, but the backend may act on the signal later, and a busy machine
//! can delay it past the start of the next statement (libpq and psql share this race; the
//! protocol offers no acknowledgement).

use std::sync::Mutex;

pub struct Running<K> {
    key: Mutex<Option<K>>,
    gate: tokio::sync::Mutex<()>,
}

impl<K: Clone> Default for Running<K> {
    fn default() -> Self {
        Running {
            key: Mutex::new(None),
            gate: tokio::sync::Mutex::new(()),
        }
    }
}

impl<K: Clone> Running<K> {
    /// The statement starts: from now on a cancel goes to `key`.
    pub fn start(&self, key: K) -> RunningGuard<'_, K> {
        self.set(Some(key));
        RunningGuard(self)
    }

    /// The statement ended: waits for a cancel on its way, then forgets the key.
    pub async fn finish(&self) {
        let _gate = self.gate.lock().await;
        self.set(None);
    }

    /// Runs `send` with the key of the running statement, if there is one, holding the
    /// gate until it returns.
    pub async fn cancel_with<F, Fut, T>(&self, send: F) -> Option<T>
    where
        F: FnOnce(K) -> Fut,
        Fut: std::future::Future<Output = T>,
    {
        let _gate = self.gate.lock().await;
        let key = self.key.lock().ok().and_then(|k| k.clone())?;
        Some(send(key).await)
    }

    fn set(&self, key: Option<K>) {
        if let Ok(mut k) = self.key.lock() {
            *k = key;
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
