//! Running a query: the bounded [`QueryStream`] a caller reads, the [`EventSink`] a driver
//! writes, and [`spawn_query`], which ties them together with cancellation, timeouts and
//! the final `Done` event.
//!
//! Backpressure: the channel holds a few batches; a driver that gets ahead of its reader
//! waits in `flush`, so a slow reader slows the fetch instead of growing memory. Batches are
//! cut by time (the first as soon as rows exist, then about every 50 ms) and by size.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::error::{DbError, DbResult, ErrorKind};
use crate::result::{Column, Notice, QueryEvent, RowBatch};
use crate::value::Value;

/// Batches in flight between a driver and its reader.
const CHANNEL_CAPACITY: usize = 4;
/// A batch is sent once it holds about this much.
const MAX_BATCH_BYTES: usize = 2 << 20;
/// After the first batch, rows are sent at least this often while they keep coming.
const BATCH_INTERVAL: Duration = Duration::from_millis(50);
/// How long a cancelled query may take to wind down before its task is dropped.
const CANCEL_GRACE: Duration = Duration::from_secs(5);

/// Stops the statement a session is running, on the server (PostgreSQL cancel request,
/// MySQL `KILL QUERY`, SQLite interrupt...). Must be safe to call when nothing runs.
#[async_trait]
pub trait ServerCancel: Send + Sync {
    async fn cancel(&self) -> DbResult<()>;
}

/// A canceller for engines that stop on the client alone (a dropped future is enough).
pub struct NoServerCancel;

#[async_trait]
impl ServerCancel for NoServerCancel {
    async fn cancel(&self) -> DbResult<()> {
        Ok(())
    }
}

/// Why a query was stopped before it finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StopReason {
    User,
    Timeout(Duration),
    ReaderGone,
}

/// A cloneable handle to cancel a running query from anywhere (a Cancel button, Ctrl-C).
#[derive(Clone, Debug)]
pub struct QueryHandle {
    token: CancellationToken,
}

impl QueryHandle {
    /// Asks for the query to stop: rows stop flowing at once and the server is told to
    /// stop the statement. The stream then ends with `Error(Cancelled)` and `Done`.
    pub fn cancel(&self) {
        self.token.cancel();
    }

    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }
}

/// The receiving end of a running query. Dropping it stops the query.
pub struct QueryStream {
    rx: mpsc::Receiver<QueryEvent>,
    handle: QueryHandle,
}

impl QueryStream {
    /// The next event; None after `Done`.
    pub async fn next(&mut self) -> Option<QueryEvent> {
        self.rx.recv().await
    }

    pub fn handle(&self) -> QueryHandle {
        self.handle.clone()
    }

    /// A stream that yields only `Error(error)` and `Done`: for failures before a query
    /// could start (no session, bad input).
    pub fn failed(error: DbError) -> QueryStream {
        let (tx, rx) = mpsc::channel(2);
        let _ = tx.try_send(QueryEvent::Error(error));
        let _ = tx.try_send(QueryEvent::Done {
            elapsed_ms: 0,
            results: 0,
            cancelled: false,
        });
        QueryStream {
            rx,
            handle: QueryHandle {
                token: CancellationToken::new(),
            },
        }
    }
}

/// What the driver writes to. Cells are pushed one by one; rows are cut into batches here.
/// After a cancel (or when the reader is gone) everything pushed is dropped, so a driver
/// can keep reading its socket to a clean state without buffering what nobody will see.
pub struct EventSink {
    tx: mpsc::Sender<QueryEvent>,
    token: CancellationToken,
    results: Arc<AtomicUsize>,
    /// Index of the open result set, if one is open.
    open: Option<usize>,
    width: usize,
    pending: Vec<Value>,
    pending_bytes: usize,
    rows_in_result: u64,
    rows_since_check: u32,
    sent_rows: bool,
    last_flush: Instant,
    closed: bool,
}

/// What the sink wants after a row: keep going, or send the batch now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowOutcome {
    Continue,
    Flush,
}

impl EventSink {
    fn new(
        tx: mpsc::Sender<QueryEvent>,
        token: CancellationToken,
        results: Arc<AtomicUsize>,
    ) -> Self {
        EventSink {
            tx,
            token,
            results,
            open: None,
            width: 0,
            pending: Vec::new(),
            pending_bytes: 0,
            rows_in_result: 0,
            rows_since_check: 0,
            sent_rows: false,
            last_flush: Instant::now(),
            closed: false,
        }
    }

    /// True once the query should stop: cancelled, timed out, or nobody is reading.
    pub fn is_cancelled(&self) -> bool {
        self.closed || self.token.is_cancelled()
    }

    /// Resolves when the query is cancelled; for `select!` in drivers that wait on a socket.
    pub async fn cancelled(&self) {
        self.token.cancelled().await
    }

    /// A cancellation token tied to this query, for blocking code and cancel hooks.
    pub fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    /// Rows of the open result set so far.
    pub fn rows_in_result(&self) -> u64 {
        self.rows_in_result
    }

    fn begin(&mut self, columns: Vec<Column>) -> QueryEvent {
        let result = self.results.fetch_add(1, Ordering::SeqCst);
        self.open = Some(result);
        self.width = columns.len();
        self.rows_in_result = 0;
        self.pending = Vec::with_capacity(self.width * 256);
        self.pending_bytes = 0;
        self.sent_rows = false;
        QueryEvent::Columns {
            result,
            columns: columns.into(),
        }
    }

    /// Adds one cell to the current row.
    #[inline]
    pub fn push(&mut self, value: Value) {
        if self.closed || self.token.is_cancelled() {
            return;
        }
        self.pending_bytes += value.approx_size();
        self.pending.push(value);
    }

    /// Closes the current row. Says `Flush` when the batch is due: full, past its interval,
    /// or the very first rows of the result (which the reader wants as early as possible).
    #[inline]
    pub fn end_row(&mut self) -> RowOutcome {
        self.rows_in_result += 1;
        if self.closed || self.token.is_cancelled() {
            return RowOutcome::Continue;
        }
        // The first row of a result goes out alone: the reader paints it at once.
        if !self.sent_rows || self.pending_bytes >= MAX_BATCH_BYTES {
            return RowOutcome::Flush;
        }
        self.rows_since_check += 1;
        if self.rows_since_check >= 64 {
            self.rows_since_check = 0;
            if self.last_flush.elapsed() >= BATCH_INTERVAL {
                return RowOutcome::Flush;
            }
        }
        RowOutcome::Continue
    }

    /// When the pending rows must be sent if no more arrive: now for the first batch of a
    /// result, one interval after the last batch otherwise. None when nothing is pending,
    /// which is always the case for a result without columns: it has no cells to send, its
    /// row count travels in `ResultEnd` (a deadline of "now" for it would have the driver
    /// poll its socket in a loop).
    pub fn flush_deadline(&self) -> Option<Instant> {
        if self.pending.is_empty() {
            return None;
        }
        Some(if self.sent_rows {
            self.last_flush + BATCH_INTERVAL
        } else {
            Instant::now()
        })
    }

    fn take_batch(&mut self) -> Option<QueryEvent> {
        let result = self.open?;
        if self.pending.is_empty() {
            return None;
        }
        let cap = self.pending.capacity().max(self.width * 256);
        let values = std::mem::replace(&mut self.pending, Vec::with_capacity(cap));
        self.pending_bytes = 0;
        self.sent_rows = true;
        self.last_flush = Instant::now();
        Some(QueryEvent::Rows(RowBatch {
            result,
            width: self.width,
            values,
        }))
    }

    fn end(
        &mut self,
        command: Option<String>,
        rows_affected: Option<u64>,
        last_insert_id: Option<u64>,
    ) -> QueryEvent {
        let (result, has_columns) = match self.open.take() {
            Some(r) => (r, true),
            None => (self.results.fetch_add(1, Ordering::SeqCst), false),
        };
        let rows = if has_columns { self.rows_in_result } else { 0 };
        self.rows_in_result = 0;
        QueryEvent::ResultEnd {
            result,
            command,
            rows,
            rows_affected,
            last_insert_id,
            has_columns,
        }
    }

    fn discard_pending(&mut self) {
        self.pending.clear();
        self.pending_bytes = 0;
    }

    async fn send(&mut self, event: QueryEvent) {
        if self.is_cancelled() {
            return;
        }
        if self.tx.send(event).await.is_err() {
            self.closed = true;
        }
    }

    fn send_blocking(&mut self, event: QueryEvent) {
        if self.is_cancelled() {
            return;
        }
        if self.tx.blocking_send(event).is_err() {
            self.closed = true;
        }
    }

    /// A result set begins (a statement that returns rows).
    pub async fn start_result(&mut self, columns: Vec<Column>) {
        self.flush().await;
        let event = self.begin(columns);
        self.send(event).await;
    }

    /// Widens the open result set by `columns` (a document result met new fields). Call it
    /// between rows: the rows pending so far go out at the old width first.
    pub async fn add_columns(&mut self, columns: Vec<Column>) {
        self.flush().await;
        let Some(result) = self.open else { return };
        self.width += columns.len();
        let event = QueryEvent::ColumnsAdded {
            result,
            columns: columns.into(),
        };
        self.send(event).await;
    }

    /// Sends the pending rows now.
    pub async fn flush(&mut self) {
        if self.is_cancelled() {
            self.discard_pending();
            return;
        }
        if let Some(batch) = self.take_batch() {
            self.send(batch).await;
        }
    }

    /// A statement finished. For statements without rows this is its only event.
    pub async fn end_result(
        &mut self,
        command: Option<String>,
        rows_affected: Option<u64>,
        last_insert_id: Option<u64>,
    ) {
        self.flush().await;
        let event = self.end(command, rows_affected, last_insert_id);
        self.send(event).await;
    }

    pub async fn notice(&mut self, notice: Notice) {
        self.send(QueryEvent::Notice(notice)).await;
    }

    /// `start_result` for drivers that run on a blocking thread.
    pub fn start_result_blocking(&mut self, columns: Vec<Column>) {
        self.flush_blocking();
        let event = self.begin(columns);
        self.send_blocking(event);
    }

    pub fn flush_blocking(&mut self) {
        if self.is_cancelled() {
            self.discard_pending();
            return;
        }
        if let Some(batch) = self.take_batch() {
            self.send_blocking(batch);
        }
    }

    pub fn end_result_blocking(
        &mut self,
        command: Option<String>,
        rows_affected: Option<u64>,
        last_insert_id: Option<u64>,
    ) {
        self.flush_blocking();
        let event = self.end(command, rows_affected, last_insert_id);
        self.send_blocking(event);
    }

    pub fn notice_blocking(&mut self, notice: Notice) {
        self.send_blocking(QueryEvent::Notice(notice));
    }
}

/// How [`spawn_query`] runs a query.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub timeout: Option<Duration>,
}

/// Runs a driver's query on its own task and returns the stream of its events.
///
/// `run` receives the sink and hands it back with its result, so that rows still pending
/// are sent before the final events (None when it was lost, e.g. with a crashed thread). The task also watches for a cancel, a timeout
/// and a dropped reader: any of them stops the flow of rows at once and calls
/// `server_cancel`, after which the driver is expected to end with `Cancelled` within a few
/// seconds (or its task is dropped). The stream always ends with `Done`, preceded by
/// `Error` when the query failed or was stopped.
pub fn spawn_query<F, Fut>(
    options: RunOptions,
    server_cancel: Arc<dyn ServerCancel>,
    run: F,
) -> QueryStream
where
    F: FnOnce(EventSink) -> Fut + Send + 'static,
    Fut: Future<Output = (Option<EventSink>, DbResult<()>)> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let token = CancellationToken::new();
    let results = Arc::new(AtomicUsize::new(0));
    let sink = EventSink::new(tx.clone(), token.clone(), results.clone());
    let handle = QueryHandle {
        token: token.clone(),
    };
    tokio::spawn(async move {
        let started = Instant::now();
        let work = run(sink);
        tokio::pin!(work);
        let deadline = async {
            match options.timeout {
                Some(t) => tokio::time::sleep(t).await,
                None => std::future::pending::<()>().await,
            }
        };
        tokio::pin!(deadline);

        let mut stop: Option<StopReason> = None;
        let outcome = loop {
            tokio::select! {
                out = &mut work => break Some(out),
                _ = token.cancelled(), if stop.is_none() => stop = Some(StopReason::User),
                _ = &mut deadline, if stop.is_none() => {
                    stop = Some(StopReason::Timeout(options.timeout.unwrap_or_default()));
                }
                _ = tx.closed(), if stop.is_none() => stop = Some(StopReason::ReaderGone),
                _ = tokio::time::sleep(CANCEL_GRACE), if stop.is_some() => break None,
            }
            if stop.is_some() {
                token.cancel();
                let canceller = server_cancel.clone();
                tokio::spawn(async move {
                    if let Err(e) = canceller.cancel().await {
                        tracing::warn!(error = %e, "server-side cancel failed");
                    }
                });
            }
        };

        let (error, cancelled) = match outcome {
            Some((sink, result)) => {
                if let (Some(mut sink), None) = (sink, stop) {
                    sink.flush().await;
                }
                match (result, stop) {
                    (Ok(()), None) => (None, false),
                    (Ok(()), Some(reason)) | (Err(_), Some(reason)) => (stop_error(reason), true),
                    (Err(e), None) => {
                        let cancelled = e.kind == ErrorKind::Cancelled;
                        (Some(e), cancelled)
                    }
                }
            }
            None => {
                let mut e = stop.and_then(stop_error).unwrap_or_else(DbError::cancelled);
                e.detail = Some(format!(
                    "the server did not confirm the cancel within {} s; the session's connection was closed",
                    CANCEL_GRACE.as_secs()
                ));
                (Some(e), true)
            }
        };
        if let Some(e) = error {
            let _ = tx.send(QueryEvent::Error(e)).await;
        }
        let _ = tx
            .send(QueryEvent::Done {
                elapsed_ms: started.elapsed().as_millis() as u64,
                results: results.load(Ordering::SeqCst),
                cancelled,
            })
            .await;
    });
    QueryStream { rx, handle }
}

fn stop_error(reason: StopReason) -> Option<DbError> {
    match reason {
        StopReason::User | StopReason::ReaderGone => Some(DbError::cancelled()),
        StopReason::Timeout(t) => Some(
            DbError::timeout(format!("query cancelled after the {} timeout", humanize(t)))
                .with_code("timeout"),
        ),
    }
}

fn humanize(d: Duration) -> String {
    if d.as_millis().is_multiple_of(1000) {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(mut stream: QueryStream) -> Vec<QueryEvent> {
        let mut out = Vec::new();
        while let Some(e) = stream.next().await {
            out.push(e);
        }
        out
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rows_flow_in_batches_and_end_with_done() {
        let stream = spawn_query(
            RunOptions::default(),
            Arc::new(NoServerCancel),
            |mut sink| async move {
                sink.start_result(vec![Column::new("n", "int")]).await;
                for i in 0..100_000 {
                    sink.push(Value::Int(i));
                    if sink.end_row() == RowOutcome::Flush {
                        sink.flush().await;
                    }
                }
                sink.end_result(Some("SELECT".into()), None, None).await;
                (Some(sink), Ok(()))
            },
        );
        let events = collect(stream).await;
        let rows: usize = events
            .iter()
            .map(|e| match e {
                QueryEvent::Rows(b) => b.len(),
                _ => 0,
            })
            .sum();
        assert_eq!(rows, 100_000);
        assert!(matches!(
            events.first(),
            Some(QueryEvent::Columns { result: 0, .. })
        ));
        assert!(matches!(
            events.get(events.len() - 2),
            Some(QueryEvent::ResultEnd { rows: 100_000, .. })
        ));
        assert!(matches!(
            events.last(),
            Some(QueryEvent::Done {
                results: 1,
                cancelled: false,
                ..
            })
        ));
    }

    #[tokio::test]
    async fn a_result_without_columns_never_asks_for_a_flush() {
        let (tx, mut rx) = mpsc::channel(16);
        let mut sink = EventSink::new(tx, CancellationToken::new(), Arc::new(AtomicUsize::new(0)));
        sink.start_result(Vec::new()).await;
        for _ in 0..3 {
            sink.end_row();
            assert_eq!(sink.flush_deadline(), None);
            sink.flush().await;
        }
        sink.end_result(Some("SELECT 3".into()), None, None).await;
        drop(sink);
        let mut events = Vec::new();
        while let Some(e) = rx.recv().await {
            events.push(e);
        }
        assert!(matches!(events[0], QueryEvent::Columns { .. }));
        assert!(
            matches!(events[1], QueryEvent::ResultEnd { rows: 3, .. }),
            "{events:?}"
        );
        assert_eq!(events.len(), 2, "no Rows events without cells");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cancel_calls_the_server_and_ends_with_cancelled() {
        struct Flag(tokio::sync::Notify);
        #[async_trait]
        impl ServerCancel for Flag {
            async fn cancel(&self) -> DbResult<()> {
                self.0.notify_one();
                Ok(())
            }
        }
        let flag = Arc::new(Flag(tokio::sync::Notify::new()));
        let seen = flag.clone();
        let stream = spawn_query(RunOptions::default(), flag, move |sink| async move {
            // The "server" stops only when told to.
            seen.0.notified().await;
            (Some(sink), Err(DbError::cancelled()))
        });
        stream.handle().cancel();
        let events = collect(stream).await;
        assert!(matches!(&events[0], QueryEvent::Error(e) if e.kind == ErrorKind::Cancelled));
        assert!(matches!(
            events[1],
            QueryEvent::Done {
                cancelled: true,
                ..
            }
        ));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn timeout_reports_timeout() {
        let stream = spawn_query(
            RunOptions {
                timeout: Some(Duration::from_millis(50)),
            },
            Arc::new(NoServerCancel),
            |sink| async move {
                sink.cancelled().await;
                (Some(sink), Err(DbError::cancelled()))
            },
        );
        let events = collect(stream).await;
        assert!(matches!(&events[0], QueryEvent::Error(e) if e.kind == ErrorKind::Timeout));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dropped_reader_stops_the_producer() {
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        let stream = spawn_query(
            RunOptions::default(),
            Arc::new(NoServerCancel),
            |mut sink| async move {
                sink.start_result(vec![Column::new("n", "int")]).await;
                let mut produced = 0u64;
                while !sink.is_cancelled() {
                    sink.push(Value::Int(1));
                    sink.end_row();
                    sink.flush().await;
                    produced += 1;
                }
                let _ = done_tx.send(produced);
                (Some(sink), Err(DbError::cancelled()))
            },
        );
        drop(stream);
        let produced = tokio::time::timeout(Duration::from_secs(5), done_rx)
            .await
            .expect("producer stopped")
            .expect("count");
        assert!(produced < 1_000_000);
    }
}
