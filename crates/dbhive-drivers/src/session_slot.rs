//! The server connection behind an editor tab, for the network drivers: checked before
//! each query when it sat idle, replaced when it broke or the server dropped it, and the
//! user told when that reset the session.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use dbhive_core::{DbError, DbResult, EventSink, Notice};

/// A session idle longer than this is pinged before its next query.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(5);

/// What the slot needs of an engine's connection.
pub trait SessionConn: Send {
    /// False when the server closed the connection while it was idle (no round trip).
    fn check_idle(&mut self) -> bool;
    /// False when the last exchange left it broken or mid-result.
    fn is_usable(&self) -> bool;
    fn last_used(&self) -> Instant;
    /// A transaction is open, as the server last said.
    fn in_transaction(&self) -> bool;
    fn ping(&mut self) -> impl Future<Output = DbResult<()>> + Send;
}

pub struct SessionSlot<C> {
    conn: tokio::sync::Mutex<Option<C>>,
    /// The connection broke; the next query reconnects and says so.
    lost: AtomicBool,
    /// It broke with a transaction open: the next query fails and says so instead of
    /// running outside the transaction the user thinks it is in.
    lost_transaction: AtomicBool,
    /// A transaction was open after the last query.
    open_transaction: AtomicBool,
    /// What a reconnect resets, in the engine's words.
    reset: &'static str,
}

impl<C: SessionConn> SessionSlot<C> {
    pub fn new(conn: C, reset: &'static str) -> Self {
        SessionSlot {
            conn: tokio::sync::Mutex::new(Some(conn)),
            lost: AtomicBool::new(false),
            lost_transaction: AtomicBool::new(false),
            open_transaction: AtomicBool::new(false),
            reset,
        }
    }

    /// The slot, held for one query at a time.
    pub async fn lock(&self) -> tokio::sync::MutexGuard<'_, Option<C>> {
        self.conn.lock().await
    }

    /// The session's connection, replaced by a new one from `connect` when it broke or
    /// died while idle; `sink` hears about the reset.
    pub async fn ready<'a, F, Fut>(
        &self,
        slot: &'a mut Option<C>,
        connect: F,
        sink: Option<&mut EventSink>,
    ) -> DbResult<&'a mut C>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = DbResult<C>>,
    {
        let healthy = match slot.as_mut() {
            Some(c) => {
                c.check_idle()
                    && (c.last_used().elapsed() < CHECK_AFTER_IDLE || c.ping().await.is_ok())
            }
            None => false,
        };
        if !healthy {
            if let Some(c) = slot.as_ref() {
                self.lost.store(true, Ordering::SeqCst);
                if c.in_transaction() {
                    self.lost_transaction.store(true, Ordering::SeqCst);
                }
            }
            *slot = None;
            if self.lost_transaction.swap(false, Ordering::SeqCst) {
                return Err(lost_transaction());
            }
            *slot = Some(connect().await?);
            if self.lost.swap(false, Ordering::SeqCst)
                && let Some(sink) = sink
            {
                let mut n = Notice::new(
                    "WARNING",
                    "the connection to the server was lost; DB-Hive reconnected before running this query",
                );
                n.detail = Some(format!("Session state was reset: {}.", self.reset));
                sink.notice(n).await;
            }
        }
        slot.as_mut()
            .ok_or_else(|| DbError::internal("session connection missing after connect"))
    }

    /// After a query: a connection it left unusable is dropped, and the next query
    /// reconnects and says so.
    pub fn release(&self, slot: &mut Option<C>) {
        self.open_transaction.store(
            slot.as_ref()
                .is_some_and(|c| c.is_usable() && c.in_transaction()),
            Ordering::SeqCst,
        );
        if let Some(c) = slot.as_ref().filter(|c| !c.is_usable()) {
            if c.in_transaction() {
                self.lost_transaction.store(true, Ordering::SeqCst);
            }
            *slot = None;
            self.lost.store(true, Ordering::SeqCst);
        }
    }

    /// A transaction was open when the last query ended.
    pub fn in_transaction(&self) -> bool {
        self.open_transaction.load(Ordering::SeqCst)
    }

    /// A round trip on the session's connection (reconnecting first if needed).
    pub async fn ping<F, Fut>(&self, connect: F) -> DbResult<Duration>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = DbResult<C>>,
    {
        let mut slot = self.conn.lock().await;
        let conn = self.ready(&mut slot, connect, None).await?;
        let started = Instant::now();
        conn.ping().await?;
        Ok(started.elapsed())
    }
}

/// The error of the first query after a connection died inside a transaction.
pub fn lost_transaction() -> DbError {
    DbError::connection(
        "the connection to the server was lost while a transaction was open: the server rolled the transaction back, and this query did not run",
    )
    .with_code("transaction_lost")
    .with_hint(Some(
        "Run it again to reconnect; the changes made since BEGIN are gone and must be made again.".into(),
    ))
}
