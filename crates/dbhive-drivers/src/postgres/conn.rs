//! One PostgreSQL server connection speaking protocol 3.0 once it is logged in (startup.rs):
//! the simple-query path that streams any script's results into an [`EventSink`], the
//! extended-query path with text parameters used for catalog queries, pings and the idle
//! check.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use dbhive_core::{
    Channel, Column, DbError, DbResult, ErrorKind, EventSink, Notice, RowOutcome, TlsPeer, Value,
};
use tokio::io::AsyncWriteExt;
use zeroize::Zeroize;

use super::errors::{to_error, to_notice};
use super::protocol::{
    ErrorFields, Frame, ReadBuffer, Reader, frontend, parse_command_tag, parse_row_description,
};
use super::stream::{Endpoint, Stream};
use super::types::{self, Decoder, PgType};

pub use super::startup::ConnectParams;

/// What a cancel request needs.
#[derive(Clone, Debug)]
pub struct CancelKey {
    pub endpoint: Endpoint,
    pub pid: i32,
    pub secret: i32,
    pub tls: bool,
}

/// Finds the types a RowDescription names that are not built in.
#[async_trait]
pub trait ResolveTypes: Send + Sync {
    fn cached(&self, oid: u32) -> Option<PgType>;
    async fn resolve(&self, oids: &[u32]) -> HashMap<u32, PgType>;
}

/// The most an idle connection may have been sent before it is checked out.
const IDLE_CHATTER: usize = 1 << 20;

/// The longest a catalog query (tree, describe, DDL, type lookups) may wait for its answer.
pub const CATALOG_TIMEOUT: Duration = Duration::from_secs(60);

/// Rows of a catalog query, as text.
pub struct TextRows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

pub struct RawConn {
    pub(super) stream: Stream,
    pub(super) channel: Channel,
    pub(super) tls_peer: Option<TlsPeer>,
    pub(super) rbuf: ReadBuffer,
    pub(super) wbuf: Vec<u8>,
    pub(super) endpoint: Endpoint,
    pub(super) pid: i32,
    pub(super) secret_key: i32,
    pub params: HashMap<String, String>,
    /// 'I' idle, 'T' in a transaction, 'E' in a failed transaction.
    pub tx_status: u8,
    /// A request is in flight. Still true when a task was dropped mid-request: the protocol
    /// state is then unknown and the connection must not be reused.
    pub(super) busy: bool,
    pub(super) broken: bool,
    pub last_used: Instant,
}

impl RawConn {
    /// Holds this connection's later cancel requests to the certificate it saw.
    pub fn pin(&mut self, fingerprint: &str) {
        self.endpoint
            .pin
            .get_or_insert_with(|| fingerprint.to_string());
    }

    /// How this connection reached the server.
    pub fn channel(&self) -> Channel {
        self.channel
    }

    /// The server's certificate, when the connection uses TLS.
    pub fn tls_peer(&self) -> Option<&TlsPeer> {
        self.tls_peer.as_ref()
    }

    pub(super) fn parameter_status(&mut self, body: &[u8]) {
        let mut r = Reader::new(body);
        if let (Ok(k), Ok(v)) = (r.cstr(), r.cstr()) {
            self.params.insert(k, v);
        }
    }

    pub fn server_version(&self) -> &str {
        self.params
            .get("server_version")
            .map(String::as_str)
            .unwrap_or("")
    }

    pub fn cancel_key(&self) -> CancelKey {
        CancelKey {
            endpoint: self.endpoint.clone(),
            pid: self.pid,
            secret: self.secret_key,
            tls: self.stream.is_tls(),
        }
    }

    pub fn backend_pid(&self) -> i32 {
        self.pid
    }

    /// Usable for another request: not broken, not left mid-request by a dropped task.
    pub fn is_usable(&self) -> bool {
        !self.broken && !self.busy
    }

    /// Checks an idle connection without a round trip: a server that shut down, restarted
    /// or terminated this backend has sent a FATAL error and closed the socket, which is
    /// already waiting to be read. Returns false for such a dead connection.
    pub fn check_idle(&mut self) -> bool {
        if !self.is_usable() {
            return false;
        }
        // An idle connection is sent a few status messages at most: past a megabyte, the
        // server is not idle and the connection is not reused.
        let mut taken = 0;
        loop {
            match self.rbuf.fill_now(&mut self.stream) {
                None => break,
                Some(Ok(0)) | Some(Err(_)) => {
                    self.broken = true;
                    return false;
                }
                Some(Ok(n)) => {
                    taken += n;
                    if taken > IDLE_CHATTER {
                        self.broken = true;
                        return false;
                    }
                }
            }
        }
        // Anything that arrived while idle: a FATAL error, or harmless status messages.
        loop {
            let frame = match self.rbuf.next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(_) => {
                    self.broken = true;
                    return false;
                }
            };
            let body = self.rbuf.body(&frame).to_vec();
            self.rbuf.consume(&frame);
            match frame.tag {
                b'E' => {
                    self.broken = true;
                    return false;
                }
                b'S' => self.parameter_status(&body),
                _ => {}
            }
        }
        true
    }

    /// Sends a message that holds a secret, then zeroes the buffer it was built in.
    pub(super) async fn send_secret(&mut self) -> DbResult<()> {
        let result = self.send_buffer().await;
        self.wbuf.zeroize();
        result
    }

    pub(super) async fn send(&mut self) -> DbResult<()> {
        let result = self.send_buffer().await;
        self.wbuf.clear();
        result
    }

    async fn send_buffer(&mut self) -> DbResult<()> {
        let result = async {
            self.stream.write_all(&self.wbuf).await?;
            self.stream.flush().await
        }
        .await;
        result.map_err(|e| {
            self.broken = true;
            DbError::connection(format!("lost the connection to the server: {e}"))
        })
    }

    pub(super) async fn read_frame(&mut self) -> DbResult<Frame> {
        loop {
            if let Some(frame) = self.rbuf.next_frame()? {
                return Ok(frame);
            }
            if let Err(e) = self.rbuf.fill(&mut self.stream).await {
                self.broken = true;
                return Err(e);
            }
        }
    }

    /// Like `read_frame`, but sends the sink's pending rows if none arrive by its deadline.
    async fn read_frame_streaming(&mut self, sink: &mut EventSink) -> DbResult<Frame> {
        loop {
            if let Some(frame) = self.rbuf.next_frame()? {
                return Ok(frame);
            }
            let filled = match sink.flush_deadline() {
                Some(deadline) => {
                    match tokio::time::timeout_at(deadline.into(), self.rbuf.fill(&mut self.stream))
                        .await
                    {
                        Ok(r) => r,
                        Err(_) => {
                            sink.flush().await;
                            continue;
                        }
                    }
                }
                None => self.rbuf.fill(&mut self.stream).await,
            };
            if let Err(e) = filled {
                self.broken = true;
                return Err(e);
            }
        }
    }

    /// Runs `sql` (any number of statements) with the simple query protocol and streams
    /// every result into `sink`. Returns the first error the server reported.
    pub async fn simple_query(
        &mut self,
        sql: &str,
        sink: &mut EventSink,
        resolver: &dyn ResolveTypes,
    ) -> DbResult<()> {
        if sql.as_bytes().contains(&0) {
            return Err(DbError::new(
                ErrorKind::Syntax,
                "the query text contains a NUL character, which PostgreSQL cannot accept",
            ));
        }
        frontend::query(&mut self.wbuf, sql);
        self.busy = true;
        self.send().await?;
        let mut error: Option<DbError> = None;
        let mut decoders: Vec<Decoder> = Vec::new();
        let mut in_result = false;
        loop {
            let frame = self.read_frame_streaming(sink).await?;
            match frame.tag {
                b'D' => {
                    if !sink.is_cancelled() {
                        let mut r = Reader::new(self.rbuf.body(&frame));
                        let n = r.i16()? as usize;
                        if n != decoders.len() {
                            self.broken = true;
                            return Err(DbError::connection(
                                "protocol error: a row has a different number of columns than its description",
                            ));
                        }
                        for d in &decoders {
                            sink.push(match r.value()? {
                                None => Value::Null,
                                Some(raw) => types::decode(d, raw),
                            });
                        }
                    }
                    self.rbuf.consume(&frame);
                    if sink.end_row() == RowOutcome::Flush {
                        sink.flush().await;
                    }
                }
                b'T' => {
                    let fields = parse_row_description(self.rbuf.body(&frame))?;
                    self.rbuf.consume(&frame);
                    let mut pg_types: Vec<Option<PgType>> =
                        fields.iter().map(|f| resolver.cached(f.type_oid)).collect();
                    let missing: Vec<u32> = fields
                        .iter()
                        .zip(&pg_types)
                        .filter(|(_, t)| t.is_none())
                        .map(|(f, _)| f.type_oid)
                        .collect();
                    if !missing.is_empty() {
                        let found = resolver.resolve(&missing).await;
                        for (f, t) in fields.iter().zip(pg_types.iter_mut()) {
                            if t.is_none() {
                                *t = found.get(&f.type_oid).cloned();
                            }
                        }
                    }
                    let mut columns = Vec::with_capacity(fields.len());
                    decoders.clear();
                    for (f, t) in fields.iter().zip(pg_types) {
                        let t = t.unwrap_or_else(|| PgType {
                            name: format!("oid {}", f.type_oid).into(),
                            decoder: Decoder::Other(format!("oid {}", f.type_oid).into()),
                        });
                        columns.push(Column::new(
                            f.name.clone(),
                            type_display(&t, f.type_modifier),
                        ));
                        decoders.push(t.decoder);
                    }
                    sink.start_result(columns).await;
                    in_result = true;
                }
                b'C' => {
                    let tag = Reader::new(self.rbuf.body(&frame)).cstr()?;
                    self.rbuf.consume(&frame);
                    let (command, count) = parse_command_tag(&tag);
                    let affected = if in_result {
                        matches!(command.as_str(), "INSERT" | "UPDATE" | "DELETE" | "MERGE")
                            .then_some(count)
                            .flatten()
                    } else {
                        count
                    };
                    sink.end_result(Some(tag), affected, None).await;
                    in_result = false;
                }
                b'I' => self.rbuf.consume(&frame),
                b'E' => {
                    let e = to_error(ErrorFields::parse(self.rbuf.body(&frame)));
                    self.rbuf.consume(&frame);
                    if error.is_none() {
                        error = Some(e);
                    }
                    in_result = false;
                }
                b'N' => {
                    let n = to_notice(ErrorFields::parse(self.rbuf.body(&frame)));
                    self.rbuf.consume(&frame);
                    sink.notice(n).await;
                }
                b'A' => {
                    let mut r = Reader::new(self.rbuf.body(&frame));
                    let pid = r.i32()?;
                    let channel = r.cstr()?;
                    let payload = r.cstr()?;
                    self.rbuf.consume(&frame);
                    let mut n = Notice::new(
                        "NOTIFY",
                        format!(
                            "asynchronous notification \"{channel}\" received from server process with PID {pid}"
                        ),
                    );
                    if !payload.is_empty() {
                        n.detail = Some(payload);
                    }
                    sink.notice(n).await;
                }
                b'S' => {
                    let body = self.rbuf.body(&frame).to_vec();
                    self.rbuf.consume(&frame);
                    self.parameter_status(&body);
                }
                b'H' => {
                    // COPY ... TO STDOUT: each line becomes a row of a one-column result.
                    self.rbuf.consume(&frame);
                    sink.start_result(vec![Column::new("COPY", "text")]).await;
                    decoders.clear();
                    in_result = true;
                }
                b'd' => {
                    let line = self.rbuf.body(&frame);
                    let line = line.strip_suffix(b"\n").unwrap_or(line);
                    sink.push(types::decode(&Decoder::Text, line));
                    self.rbuf.consume(&frame);
                    if sink.end_row() == RowOutcome::Flush {
                        sink.flush().await;
                    }
                }
                b'c' => self.rbuf.consume(&frame),
                b'G' | b'W' => {
                    self.rbuf.consume(&frame);
                    frontend::copy_fail(
                        &mut self.wbuf,
                        "COPY FROM STDIN is not supported by DB-Hive; use COPY FROM a server-side file or psql's \\copy",
                    );
                    self.send().await?;
                }
                b'Z' => {
                    self.tx_status = self.rbuf.body(&frame).first().copied().unwrap_or(b'I');
                    self.rbuf.consume(&frame);
                    self.busy = false;
                    self.last_used = Instant::now();
                    return match error {
                        Some(e) => Err(e),
                        None => Ok(()),
                    };
                }
                other => {
                    self.broken = true;
                    return Err(DbError::connection(format!(
                        "protocol error: unexpected message {:?}",
                        other as char
                    )));
                }
            }
        }
    }

    /// Runs one parameterised statement and returns its rows as text. For catalog queries:
    /// everything is buffered. A server that stops answering (a network gone while the
    /// laptop slept) costs at most [`CATALOG_TIMEOUT`], and the connection is dropped.
    pub async fn query(&mut self, sql: &str, params: &[Option<&str>]) -> DbResult<TextRows> {
        match tokio::time::timeout(CATALOG_TIMEOUT, self.query_now(sql, params)).await {
            Ok(result) => result,
            Err(_) => Err(self.abandon(&format!(
                "a catalog query got no answer within {} s",
                CATALOG_TIMEOUT.as_secs()
            ))),
        }
    }

    /// Gives up on a request the server did not answer in time: the connection is not
    /// reused, and the server is asked to stop the statement if it still runs.
    fn abandon(&mut self, what: &str) -> DbError {
        self.broken = true;
        let key = self.cancel_key();
        tokio::spawn(async move {
            let _ = super::stream::send_cancel(&key.endpoint, key.pid, key.secret, key.tls).await;
        });
        DbError::timeout(format!(
            "{what} from the server at {}; the connection was closed",
            self.endpoint.describe()
        ))
    }

    async fn query_now(&mut self, sql: &str, params: &[Option<&str>]) -> DbResult<TextRows> {
        frontend::extended(&mut self.wbuf, sql, params);
        self.busy = true;
        self.send().await?;
        let mut out = TextRows {
            columns: Vec::new(),
            rows: Vec::new(),
        };
        let mut error = None;
        loop {
            let frame = self.read_frame().await?;
            let body = self.rbuf.body(&frame);
            match frame.tag {
                b'D' => {
                    let mut r = Reader::new(body);
                    let n = r.i16()?.max(0) as usize;
                    let mut row = Vec::with_capacity(n);
                    for _ in 0..n {
                        row.push(r.value()?.map(|b| String::from_utf8_lossy(b).into_owned()));
                    }
                    out.rows.push(row);
                }
                b'T' => {
                    out.columns = parse_row_description(body)?
                        .into_iter()
                        .map(|f| f.name)
                        .collect()
                }
                b'E' if error.is_none() => error = Some(to_error(ErrorFields::parse(body))),
                b'S' => {
                    let body = body.to_vec();
                    self.parameter_status(&body);
                }
                b'Z' => {
                    self.tx_status = body.first().copied().unwrap_or(b'I');
                    self.rbuf.consume(&frame);
                    self.busy = false;
                    self.last_used = Instant::now();
                    return match error {
                        Some(e) => Err(e),
                        None => Ok(out),
                    };
                }
                // ParseComplete, BindComplete, NoData, CommandComplete, notices, notifications.
                _ => {}
            }
            self.rbuf.consume(&frame);
        }
    }

    /// One round trip: an empty query, answered within the connect timeout.
    pub async fn ping(&mut self) -> DbResult<()> {
        let limit = self.endpoint.timeout;
        match tokio::time::timeout(limit, self.ping_now()).await {
            Ok(result) => result,
            Err(_) => {
                Err(self.abandon(&format!("no answer to a ping within {} s", limit.as_secs())))
            }
        }
    }

    async fn ping_now(&mut self) -> DbResult<()> {
        frontend::query(&mut self.wbuf, "");
        self.busy = true;
        self.send().await?;
        loop {
            let frame = self.read_frame().await?;
            let tag = frame.tag;
            let body = self.rbuf.body(&frame).to_vec();
            self.rbuf.consume(&frame);
            match tag {
                b'Z' => {
                    self.tx_status = body.first().copied().unwrap_or(b'I');
                    self.busy = false;
                    self.last_used = Instant::now();
                    return Ok(());
                }
                b'S' => self.parameter_status(&body),
                b'E' => {
                    // A FATAL error (administrator shutdown) arrives here on a dead session.
                    let e = to_error(ErrorFields::parse(&body));
                    if e.kind == ErrorKind::Connection {
                        self.broken = true;
                        return Err(e);
                    }
                }
                _ => {}
            }
        }
    }

    /// Says goodbye politely; errors are irrelevant at this point.
    pub async fn terminate(mut self) {
        frontend::terminate(&mut self.wbuf);
        let _ = tokio::time::timeout(Duration::from_secs(1), self.send()).await;
        let _ = self.stream.shutdown().await;
    }
}

/// The type name shown for a column: the type's name with its modifier where it matters
/// (varchar(20), numeric(10,2), timestamp(3)).
fn type_display(t: &PgType, modifier: i32) -> String {
    if modifier < 0 {
        return t.name.to_string();
    }
    match &*t.name {
        // Character types store length + the 4-byte varlena header in the modifier.
        "varchar" | "bpchar" => format!("{}({})", t.name, modifier - 4),
        "bit" | "varbit" => format!("{}({modifier})", t.name),
        "numeric" => {
            let m = modifier - 4;
            format!("numeric({},{})", (m >> 16) & 0xffff, m & 0xffff)
        }
        "timestamp" | "timestamptz" | "time" | "timetz" => format!("{}({modifier})", t.name),
        _ => t.name.to_string(),
    }
}

impl crate::session_slot::SessionConn for RawConn {
    fn check_idle(&mut self) -> bool {
        RawConn::check_idle(self)
    }

    fn is_usable(&self) -> bool {
        RawConn::is_usable(self)
    }

    fn last_used(&self) -> std::time::Instant {
        self.last_used
    }

    fn in_transaction(&self) -> bool {
        self.tx_status != b'I'
    }

    fn ping(&mut self) -> impl std::future::Future<Output = DbResult<()>> + Send {
        RawConn::ping(self)
    }
}
