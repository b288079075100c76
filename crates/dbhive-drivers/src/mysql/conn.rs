//! One MySQL / MariaDB connection after its handshake (handshake.rs): the packet layer,
//! the text protocol (COM_QUERY with multi-statements and multi-results) streaming every
//! result set into an [`EventSink`], and server-side prepared statements for parameterised
//! catalog queries.

use std::time::{Duration, Instant};

use dbhive_core::{
    Channel, Column, ColumnOrigin, DbError, DbResult, EventSink, Notice, RowOutcome, Secret,
    TlsPeer, Value,
};
use tokio::io::AsyncWriteExt;
use zeroize::Zeroize;

use super::binary::binary_row;
use super::errors::to_error;
use super::protocol::*;
use super::types::{self, Decoder};
use crate::net::{Endpoint, Stream};

pub struct ConnectParams<'a> {
    pub endpoint: &'a Endpoint,
    pub user: &'a str,
    pub database: Option<&'a str>,
    pub password: Option<&'a Secret>,
    pub timeout: Duration,
    /// The user allowed the password itself to go to an unverified server.
    pub allow_unverified_password: bool,
    /// A PEM file with the server's RSA public key, for caching_sha2_password's full
    /// authentication without verified TLS.
    pub server_public_key: Option<&'a str>,
    /// Every transaction of the session is READ ONLY.
    pub read_only: bool,
}

/// The longest a catalog query (tree, describe, DDL, SHOW WARNINGS, KILL) may wait for its
/// answer.
pub const CATALOG_TIMEOUT: Duration = Duration::from_secs(60);

/// Rows of a catalog query, as text.
pub struct TextRows {
    pub rows: Vec<Vec<Option<String>>>,
}

/// A physical packet still in the read buffer, or a payload reassembled from several.
enum Packet {
    Frame(Frame),
    Big(Vec<u8>),
}

pub struct RawConn {
    pub(super) stream: Stream,
    pub(super) channel: Channel,
    pub(super) tls_peer: Option<TlsPeer>,
    pub(super) rbuf: ReadBuffer,
    wbuf: Vec<u8>,
    seq: u8,
    pub(super) caps: u32,
    pub connection_id: u32,
    pub server_version: String,
    pub in_transaction: bool,
    pub(super) busy: bool,
    broken: bool,
    pub last_used: Instant,
    timeout: Duration,
}

/// The largest payload the client accepts, as it tells the server in the handshake.
const MAX_PAYLOAD: usize = 1 << 30;

fn protocol_error(what: &str) -> DbError {
    DbError::connection(format!("protocol error: {what}"))
}

impl RawConn {
    /// A connection on `stream`, before the handshake.
    pub(super) fn new(stream: Stream, endpoint: &Endpoint) -> RawConn {
        RawConn {
            channel: stream.channel(endpoint),
            tls_peer: None,
            stream,
            rbuf: ReadBuffer::new(),
            wbuf: Vec::with_capacity(1024),
            seq: 0,
            caps: 0,
            connection_id: 0,
            server_version: String::new(),
            in_transaction: false,
            busy: true,
            broken: false,
            last_used: Instant::now(),
            timeout: endpoint.timeout,
        }
    }

    /// How this connection reached the server.
    pub fn channel(&self) -> Channel {
        self.channel
    }

    /// The server's certificate, when the connection uses TLS.
    pub fn tls_peer(&self) -> Option<&TlsPeer> {
        self.tls_peer.as_ref()
    }

    /// A request that got no answer within `limit`: the connection is never reused with
    /// its answer still on the way.
    fn gave_up(&mut self, what: &str, limit: Duration) -> DbError {
        self.broken = true;
        DbError::timeout(format!(
            "{what} got no answer from the server within {} s; the connection was closed",
            limit.as_secs()
        ))
    }

    pub fn is_usable(&self) -> bool {
        !self.broken && !self.busy
    }

    /// Checks an idle connection without a round trip (see PostgreSQL's): data or EOF
    /// waiting on an idle connection means the server dropped it.
    pub fn check_idle(&mut self) -> bool {
        if !self.is_usable() {
            return false;
        }
        if self.rbuf.has_data() {
            self.broken = true;
            return false;
        }
        // An idle connection is sent nothing but a goodbye (an error packet, then EOF).
        match self.rbuf.fill_now(&mut self.stream) {
            None => true,
            Some(_) => {
                self.broken = true;
                false
            }
        }
    }

    /// Sends a packet that holds a secret, then zeroes the buffer it was framed in.
    pub(super) async fn send_secret(&mut self, payload: &[u8]) -> DbResult<()> {
        let result = self.send_packet(payload).await;
        self.wbuf.zeroize();
        result
    }

    pub(super) async fn send_packet(&mut self, payload: &[u8]) -> DbResult<()> {
        self.wbuf.clear();
        self.seq = write_packet(&mut self.wbuf, self.seq, payload);
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

    /// Sends a command: a fresh packet sequence.
    async fn send_command(&mut self, command: u8, body: &[u8]) -> DbResult<()> {
        self.seq = 0;
        let mut payload = Vec::with_capacity(1 + body.len());
        payload.push(command);
        payload.extend_from_slice(body);
        self.busy = true;
        self.send_packet(&payload).await
    }

    async fn fill(&mut self, sink: Option<&mut EventSink>) -> DbResult<()> {
        let filled = match sink.as_ref().and_then(|s| s.flush_deadline()) {
            Some(deadline) => {
                match tokio::time::timeout_at(deadline.into(), self.rbuf.fill(&mut self.stream))
                    .await
                {
                    Ok(r) => r,
                    Err(_) => {
                        if let Some(s) = sink {
                            s.flush().await;
                        }
                        return Ok(());
                    }
                }
            }
            None => self.rbuf.fill(&mut self.stream).await,
        };
        if filled.is_err() {
            self.broken = true;
        }
        filled
    }

    async fn read_packet(&mut self, mut sink: Option<&mut EventSink>) -> DbResult<Packet> {
        loop {
            if let Some(frame) = self.rbuf.next_frame()? {
                self.expect_seq(frame.seq)?;
                if frame.len() < MAX_PACKET {
                    return Ok(Packet::Frame(frame));
                }
                // A payload of 16 MB or more continues in the following packets.
                let mut big = self.rbuf.body(&frame).to_vec();
                self.rbuf.consume(&frame);
                loop {
                    let next = loop {
                        if let Some(f) = self.rbuf.next_frame()? {
                            break f;
                        }
                        self.fill(None).await?;
                    };
                    self.expect_seq(next.seq)?;
                    if big.len() + next.len() > MAX_PAYLOAD {
                        self.broken = true;
                        return Err(protocol_error("a packet larger than 1 GB"));
                    }
                    big.extend_from_slice(self.rbuf.body(&next));
                    self.rbuf.consume(&next);
                    if next.len() < MAX_PACKET {
                        return Ok(Packet::Big(big));
                    }
                }
            }
            self.fill(sink.as_deref_mut()).await?;
        }
    }

    /// Packets are numbered; a gap means the conversation is lost.
    fn expect_seq(&mut self, seq: u8) -> DbResult<()> {
        if seq != self.seq {
            self.broken = true;
            return Err(protocol_error(&format!(
                "packet {seq} arrived where {} was expected",
                self.seq
            )));
        }
        self.seq = seq.wrapping_add(1);
        Ok(())
    }

    fn payload<'a>(&'a self, p: &'a Packet) -> &'a [u8] {
        match p {
            Packet::Frame(f) => self.rbuf.body(f),
            Packet::Big(v) => v,
        }
    }

    fn release(&mut self, p: Packet) {
        if let Packet::Frame(f) = p {
            self.rbuf.consume(&f);
        }
    }

    pub(super) async fn read_payload(&mut self) -> DbResult<Vec<u8>> {
        let p = self.read_packet(None).await?;
        let v = self.payload(&p).to_vec();
        self.release(p);
        Ok(v)
    }

    fn finish(&mut self, status: u16) {
        self.in_transaction = status & SERVER_STATUS_IN_TRANS != 0;
        self.busy = false;
        self.last_used = Instant::now();
    }

    /// Reads column definitions (and the EOF after them, on old servers).
    async fn read_columns(&mut self, count: usize) -> DbResult<Vec<ColumnDef>> {
        let mut columns = Vec::with_capacity(count.min(1024));
        for _ in 0..count {
            let p = self.read_packet(None).await?;
            let c = parse_column(self.payload(&p));
            self.release(p);
            columns.push(c?);
        }
        if self.caps & CLIENT_DEPRECATE_EOF == 0 {
            let p = self.read_packet(None).await?;
            self.release(p);
        }
        Ok(columns)
    }

    /// Runs `sql` (any number of statements) and streams every result into `sink`.
    /// Warnings become notices: counts per statement, and the list for the last one.
    pub async fn query(&mut self, sql: &str, sink: &mut EventSink) -> DbResult<()> {
        self.send_command(0x03, sql.as_bytes()).await?;
        let mut warnings_total: u32 = 0;
        let mut last_warnings: u16 = 0;
        let mut statements_with_warnings = 0;
        loop {
            let first = self.read_packet(Some(sink)).await?;
            let head = self.payload(&first).first().copied();
            match head {
                Some(0x00) => {
                    let ok = parse_ok(self.payload(&first))?;
                    self.release(first);
                    let command = if ok.info.is_empty() {
                        format!(
                            "Query OK, {} {} affected",
                            ok.affected_rows,
                            plural(ok.affected_rows)
                        )
                    } else {
                        format!(
                            "Query OK, {} {} affected ({})",
                            ok.affected_rows,
                            plural(ok.affected_rows),
                            ok.info
                        )
                    };
                    let last_id = (ok.last_insert_id != 0).then_some(ok.last_insert_id);
                    sink.end_result(Some(command), Some(ok.affected_rows), last_id)
                        .await;
                    note_warnings(
                        ok.warnings,
                        &mut warnings_total,
                        &mut last_warnings,
                        &mut statements_with_warnings,
                    );
                    if ok.status & SERVER_MORE_RESULTS_EXISTS == 0 {
                        self.finish(ok.status);
                        break;
                    }
                }
                Some(0xff) => {
                    let e = parse_err(self.payload(&first))?;
                    self.release(first);
                    self.finish(0);
                    return Err(to_error(&e, Some(sql)));
                }
                Some(0xfb) => {
                    // LOAD DATA LOCAL INFILE: refuse by sending an empty file.
                    self.release(first);
                    self.send_packet(&[]).await?;
                }
                Some(_) => {
                    let count = column_count(self.payload(&first))?;
                    self.release(first);
                    let defs = self.read_columns(count).await?;
                    let decoders: Vec<Decoder> = defs.iter().map(types::decoder).collect();
                    sink.start_result(defs.iter().map(column).collect()).await;
                    let status = self.stream_rows(&decoders, sink, sql).await?;
                    sink.end_result(None, None, None).await;
                    note_warnings(
                        status.0,
                        &mut warnings_total,
                        &mut last_warnings,
                        &mut statements_with_warnings,
                    );
                    if status.1 & SERVER_MORE_RESULTS_EXISTS == 0 {
                        self.finish(status.1);
                        break;
                    }
                }
                None => {
                    self.release(first);
                    self.broken = true;
                    return Err(protocol_error("empty packet"));
                }
            }
        }
        if warnings_total > 0 {
            self.report_warnings(
                sink,
                warnings_total,
                last_warnings,
                statements_with_warnings,
            )
            .await?;
        }
        Ok(())
    }

    /// Rows until the end of the result set; returns (warnings, status).
    async fn stream_rows(
        &mut self,
        decoders: &[Decoder],
        sink: &mut EventSink,
        sql: &str,
    ) -> DbResult<(u16, u16)> {
        loop {
            let p = self.read_packet(Some(sink)).await?;
            let payload = self.payload(&p);
            match payload.first().copied() {
                Some(0xfe) if is_end(payload, self.caps) => {
                    let end = if self.caps & CLIENT_DEPRECATE_EOF != 0 {
                        let ok = parse_ok(payload)?;
                        (ok.warnings, ok.status)
                    } else {
                        parse_eof(payload)?
                    };
                    self.release(p);
                    return Ok(end);
                }
                Some(0xff) => {
                    let e = parse_err(payload)?;
                    self.release(p);
                    self.finish(0);
                    return Err(to_error(&e, Some(sql)));
                }
                _ => {
                    if !sink.is_cancelled() {
                        let mut r = Reader::new(payload);
                        for d in decoders {
                            sink.push(match r.lenenc_bytes()? {
                                None => Value::Null,
                                Some(raw) => types::decode(d, raw),
                            });
                        }
                    }
                    self.release(p);
                    if sink.end_row() == RowOutcome::Flush {
                        sink.flush().await;
                    }
                }
            }
        }
    }

    async fn report_warnings(
        &mut self,
        sink: &mut EventSink,
        total: u32,
        last: u16,
        statements: u32,
    ) -> DbResult<()> {
        if statements > 1 {
            sink.notice(Notice::new(
                "WARNING",
                format!(
                    "{statements} statements produced {total} warnings; the last one's are listed"
                ),
            ))
            .await;
        }
        if last == 0 {
            return Ok(());
        }
        let rows = self.text_query("SHOW WARNINGS").await?;
        for row in rows.rows {
            let level = row
                .first()
                .cloned()
                .flatten()
                .unwrap_or_else(|| "Warning".into());
            let mut n = Notice::new(
                level.to_uppercase(),
                row.get(2).cloned().flatten().unwrap_or_default(),
            );
            n.code = row.get(1).cloned().flatten();
            sink.notice(n).await;
        }
        Ok(())
    }

    /// A text-protocol query whose rows are collected as strings (SHOW, KILL, SET...).
    pub async fn text_query(&mut self, sql: &str) -> DbResult<TextRows> {
        match tokio::time::timeout(CATALOG_TIMEOUT, self.text_query_now(sql)).await {
            Ok(result) => result,
            Err(_) => Err(self.gave_up("a catalog query", CATALOG_TIMEOUT)),
        }
    }

    async fn text_query_now(&mut self, sql: &str) -> DbResult<TextRows> {
        self.send_command(0x03, sql.as_bytes()).await?;
        let mut out = TextRows { rows: Vec::new() };
        loop {
            let payload = self.read_payload().await?;
            match payload.first().copied() {
                Some(0x00) => {
                    let ok = parse_ok(&payload)?;
                    if ok.status & SERVER_MORE_RESULTS_EXISTS == 0 {
                        self.finish(ok.status);
                        return Ok(out);
                    }
                }
                Some(0xff) => {
                    self.finish(0);
                    return Err(to_error(&parse_err(&payload)?, Some(sql)));
                }
                Some(0xfb) => {
                    // LOAD DATA LOCAL INFILE from a SHOW or a catalog query: never.
                    self.broken = true;
                    return Err(protocol_error("the server asked for a local file"));
                }
                _ => {
                    let count = column_count(&payload)?;
                    self.read_columns(count).await?;
                    loop {
                        let row = self.read_payload().await?;
                        if row.first() == Some(&0xfe) && is_end(&row, self.caps) {
                            let status = if self.caps & CLIENT_DEPRECATE_EOF != 0 {
                                parse_ok(&row)?.status
                            } else {
                                parse_eof(&row)?.1
                            };
                            if status & SERVER_MORE_RESULTS_EXISTS == 0 {
                                self.finish(status);
                                return Ok(out);
                            }
                            break;
                        }
                        if row.first() == Some(&0xff) {
                            self.finish(0);
                            return Err(to_error(&parse_err(&row)?, Some(sql)));
                        }
                        let mut r = Reader::new(&row);
                        let mut values = Vec::with_capacity(count.min(1024));
                        for _ in 0..count {
                            values.push(
                                r.lenenc_bytes()?
                                    .map(|b| String::from_utf8_lossy(b).into_owned()),
                            );
                        }
                        out.rows.push(values);
                    }
                }
            }
        }
    }

    /// A parameterised query (server-side prepared statement, text parameters); every
    /// result value comes back as text.
    pub async fn query_params(&mut self, sql: &str, params: &[Option<&str>]) -> DbResult<TextRows> {
        match tokio::time::timeout(CATALOG_TIMEOUT, self.query_params_now(sql, params)).await {
            Ok(result) => result,
            Err(_) => Err(self.gave_up("a catalog query", CATALOG_TIMEOUT)),
        }
    }

    async fn query_params_now(&mut self, sql: &str, params: &[Option<&str>]) -> DbResult<TextRows> {
        self.send_command(0x16, sql.as_bytes()).await?;
        let payload = self.read_payload().await?;
        if payload.first() == Some(&0xff) {
            self.finish(0);
            return Err(to_error(&parse_err(&payload)?, Some(sql)));
        }
        let mut r = Reader::new(&payload);
        r.u8()?;
        let stmt = r.u32()?;
        let num_columns = r.u16()? as usize;
        let num_params = r.u16()? as usize;
        if num_params > 0 {
            self.read_columns(num_params).await?;
        }
        if num_columns > 0 {
            self.read_columns(num_columns).await?;
        }
        if num_params != params.len() {
            self.close_statement(stmt).await?;
            self.finish(0);
            return Err(DbError::internal(format!(
                "catalog query takes {num_params} parameters, {} given",
                params.len()
            )));
        }
        let mut exec = Vec::with_capacity(64);
        exec.extend_from_slice(&stmt.to_le_bytes());
        exec.push(0);
        exec.extend_from_slice(&1u32.to_le_bytes());
        if num_params > 0 {
            let mut nulls = vec![0u8; num_params.div_ceil(8)];
            for (i, p) in params.iter().enumerate() {
                if p.is_none() {
                    nulls[i / 8] |= 1 << (i % 8);
                }
            }
            exec.extend_from_slice(&nulls);
            exec.push(1);
            for _ in 0..num_params {
                exec.extend_from_slice(&[0xfd, 0]);
            }
            for p in params.iter().flatten() {
                put_lenenc(&mut exec, p.len() as u64);
                exec.extend_from_slice(p.as_bytes());
            }
        }
        self.send_command(0x17, &exec).await?;
        let result = self.read_binary_result(sql).await;
        if matches!(&result, Err(e) if e.code.is_none()) {
            // Not the server's error but a broken read: what is left of the result would
            // be read as the answer to the next query.
            self.broken = true;
        }
        self.close_statement(stmt).await?;
        result
    }

    async fn close_statement(&mut self, stmt: u32) -> DbResult<()> {
        // COM_STMT_CLOSE has no answer.
        self.send_command(0x19, &stmt.to_le_bytes()).await?;
        self.busy = false;
        Ok(())
    }

    async fn read_binary_result(&mut self, sql: &str) -> DbResult<TextRows> {
        let mut out = TextRows { rows: Vec::new() };
        let payload = self.read_payload().await?;
        match payload.first().copied() {
            Some(0x00) => {
                self.finish(parse_ok(&payload)?.status);
                return Ok(out);
            }
            Some(0xff) => {
                self.finish(0);
                return Err(to_error(&parse_err(&payload)?, Some(sql)));
            }
            _ => {}
        }
        if payload.first() == Some(&0xfb) {
            self.broken = true;
            return Err(protocol_error("the server asked for a local file"));
        }
        let count = column_count(&payload)?;
        let defs = self.read_columns(count).await?;
        loop {
            let row = self.read_payload().await?;
            match row.first().copied() {
                Some(0xfe) if is_end(&row, self.caps) => {
                    let status = if self.caps & CLIENT_DEPRECATE_EOF != 0 {
                        parse_ok(&row)?.status
                    } else {
                        parse_eof(&row)?.1
                    };
                    self.finish(status);
                    if status & SERVER_MORE_RESULTS_EXISTS != 0 {
                        // Catalog statements return one result; a connection with more
                        // waiting is not handed out again.
                        self.broken = true;
                    }
                    return Ok(out);
                }
                Some(0xff) => {
                    self.finish(0);
                    return Err(to_error(&parse_err(&row)?, Some(sql)));
                }
                _ => out.rows.push(binary_row(&row, &defs)?),
            }
        }
    }

    /// One round trip, answered within the connect timeout.
    pub async fn ping(&mut self) -> DbResult<()> {
        let limit = self.timeout;
        match tokio::time::timeout(limit, self.ping_now()).await {
            Ok(result) => result,
            Err(_) => Err(self.gave_up("a ping", limit)),
        }
    }

    async fn ping_now(&mut self) -> DbResult<()> {
        self.send_command(0x0e, &[]).await?;
        let payload = self.read_payload().await?;
        if payload.first() == Some(&0xff) {
            self.finish(0);
            return Err(to_error(&parse_err(&payload)?, None));
        }
        self.finish(parse_ok(&payload).map(|o| o.status).unwrap_or(0));
        Ok(())
    }

    pub async fn terminate(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(1), self.send_command(0x01, &[])).await;
        let _ = self.stream.shutdown().await;
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "row" } else { "rows" }
}

fn note_warnings(count: u16, total: &mut u32, last: &mut u16, statements: &mut u32) {
    *last = count;
    if count > 0 {
        *total += count as u32;
        *statements += 1;
    }
}

/// The end-of-rows packet: 0xfe and short (EOF), or, with CLIENT_DEPRECATE_EOF, an OK
/// packet with the 0xfe header. A row can start with 0xfe too (an 8-byte length), but then
/// it holds at least 16 MB and arrives as a reassembled payload, never a short one.
fn is_end(payload: &[u8], caps: u32) -> bool {
    if caps & CLIENT_DEPRECATE_EOF != 0 {
        payload.first() == Some(&0xfe) && payload.len() < MAX_PACKET
    } else {
        is_eof(payload)
    }
}

/// The name, type and origin of a result column.
fn column(d: &ColumnDef) -> Column {
    let mut c = Column::new(d.name.clone(), types::type_name(d));
    if !d.org_table.is_empty() && !d.org_name.is_empty() {
        c.origin = Some(ColumnOrigin {
            schema: (!d.schema.is_empty()).then(|| d.schema.clone()),
            table: d.org_table.clone(),
            column: d.org_name.clone(),
        });
    }
    c
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
        self.in_transaction
    }

    fn ping(&mut self) -> impl std::future::Future<Output = DbResult<()>> + Send {
        RawConn::ping(self)
    }
}
