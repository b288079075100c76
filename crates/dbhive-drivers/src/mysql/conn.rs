//! One MySQL / MariaDB connection: handshake, TLS and authentication, the text protocol
//! (COM_QUERY with multi-statements and multi-results) streaming every result set into an
//! [`EventSink`], and server-side prepared statements for parameterised catalog queries.

use std::time::{Duration, Instant};

use dbhive_core::{
    Column, ColumnOrigin, DbError, DbResult, ErrorKind, EventSink, Notice, RowOutcome, Secret,
    TlsMode, Value,
};
use tokio::io::AsyncWriteExt;

use super::auth;
use super::errors::to_error;
use super::protocol::*;
use super::types::{self, Decoder};
use crate::net::{self, Endpoint, Stream};

/// utf8mb4_general_ci: the connection's character set, so text arrives as UTF-8.
const CHARSET_UTF8MB4: u8 = 45;

pub struct ConnectParams<'a> {
    pub endpoint: &'a Endpoint,
    pub user: &'a str,
    pub database: Option<&'a str>,
    pub password: Option<&'a Secret>,
    pub timeout: Duration,
}

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
    stream: Stream,
    rbuf: ReadBuffer,
    wbuf: Vec<u8>,
    seq: u8,
    caps: u32,
    pub connection_id: u32,
    pub server_version: String,
    pub in_transaction: bool,
    busy: bool,
    broken: bool,
    pub last_used: Instant,
}

/// The largest payload the client accepts, as it tells the server in the handshake.
const MAX_PAYLOAD: usize = 1 << 30;

fn protocol_error(what: &str) -> DbError {
    DbError::connection(format!("protocol error: {what}"))
}

impl RawConn {
    pub async fn connect(p: &ConnectParams<'_>) -> DbResult<RawConn> {
        tokio::time::timeout(p.timeout, Self::connect_inner(p))
            .await
            .unwrap_or_else(|_| {
                Err(DbError::timeout(format!(
                    "no answer from the server at {} within {} s",
                    p.endpoint.describe(),
                    p.timeout.as_secs()
                )))
            })
    }

    async fn connect_inner(p: &ConnectParams<'_>) -> DbResult<RawConn> {
        let stream = net::connect(p.endpoint).await?;
        let mut conn = RawConn {
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
        };
        let greeting = conn.read_payload().await?;
        let hs = parse_handshake(&greeting)?;
        conn.connection_id = hs.connection_id;
        conn.server_version = hs.server_version.clone();

        let mut caps = CLIENT_LONG_PASSWORD
            | CLIENT_LONG_FLAG
            | CLIENT_PROTOCOL_41
            | CLIENT_TRANSACTIONS
            | CLIENT_SECURE_CONNECTION
            | CLIENT_MULTI_STATEMENTS
            | CLIENT_MULTI_RESULTS
            | CLIENT_PS_MULTI_RESULTS
            | CLIENT_PLUGIN_AUTH
            | CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA
            | CLIENT_DEPRECATE_EOF;
        if p.database.is_some() {
            caps |= CLIENT_CONNECT_WITH_DB;
        }
        caps &= hs.capabilities;
        let server_tls = hs.capabilities & CLIENT_SSL != 0;
        let want_tls = p.endpoint.socket.is_none() && p.endpoint.tls != TlsMode::Disable;
        if want_tls && !server_tls && p.endpoint.tls != TlsMode::Prefer {
            return Err(DbError::new(
                ErrorKind::Tls,
                format!(
                    "the server at {} does not support TLS, and the TLS mode is '{}'",
                    p.endpoint.describe(),
                    p.endpoint.tls.as_str()
                ),
            ));
        }
        let tls = want_tls && server_tls;
        if tls {
            caps |= CLIENT_SSL;
        }
        conn.caps = caps;

        let mut head = Vec::with_capacity(64);
        head.extend_from_slice(&caps.to_le_bytes());
        head.extend_from_slice(&(1u32 << 30).to_le_bytes());
        head.push(CHARSET_UTF8MB4);
        head.extend_from_slice(&[0u8; 23]);
        if tls {
            // SSLRequest: the first part of the handshake response, then TLS.
            conn.send_packet(&head).await?;
            let plain = conn.stream.take();
            conn.stream = net::upgrade(p.endpoint, plain).await?;
        }

        let verified = tls && matches!(p.endpoint.tls, TlsMode::VerifyCa | TlsMode::VerifyFull);
        let transport = if p.endpoint.socket.is_some() || verified {
            Transport::Trusted
        } else if tls {
            Transport::Encrypted
        } else {
            Transport::Plain
        };
        let password = p.password.map(Secret::expose).unwrap_or("");
        // A default plugin DB-Hive does not speak (sha256_password, ed25519...) still gets
        // a native answer: the server then switches to the account's own plugin.
        let (plugin, scramble_response) =
            scramble_for(&hs.auth_plugin, password, &hs.scramble, transport).or_else(|_| {
                scramble_for("mysql_native_password", password, &hs.scramble, transport)
            })?;
        let mut response = head;
        response.extend_from_slice(p.user.as_bytes());
        response.push(0);
        put_lenenc(&mut response, scramble_response.len() as u64);
        response.extend_from_slice(&scramble_response);
        if let Some(db) = p.database {
            response.extend_from_slice(db.as_bytes());
            response.push(0);
        }
        response.extend_from_slice(plugin.as_bytes());
        response.push(0);
        conn.send_packet(&response).await?;
        conn.authenticate(p, password, transport).await?;
        conn.busy = false;
        Ok(conn)
    }

    /// Follows the server through auth switches and caching_sha2's extra round trips.
    async fn authenticate(
        &mut self,
        p: &ConnectParams<'_>,
        password: &str,
        transport: Transport,
    ) -> DbResult<()> {
        loop {
            let payload = self.read_payload().await?;
            match payload.first().copied() {
                Some(0x00) => return Ok(()),
                Some(0xff) => {
                    let e = parse_err(&payload)?;
                    let mut err = to_error(&e, None);
                    if err.kind == ErrorKind::Query {
                        err.kind = ErrorKind::Connection;
                    }
                    if err.kind == ErrorKind::Auth && p.password.is_none() {
                        err.hint = Some(format!("no password was given for user \"{}\"", p.user));
                    }
                    return Err(err);
                }
                Some(0xfe) => {
                    // AuthSwitchRequest: another plugin, another scramble.
                    let mut r = Reader::new(&payload[1..]);
                    let plugin = String::from_utf8_lossy(r.cstr()).into_owned();
                    let data = r.rest();
                    let scramble = data.strip_suffix(&[0]).unwrap_or(data);
                    let (_, answer) = scramble_for(&plugin, password, scramble, transport)?;
                    self.send_packet(&answer).await?;
                }
                Some(0x01) => match payload.get(1).copied() {
                    // caching_sha2_password: 3 = the cached fast path worked, 4 = full auth.
                    Some(3) => {}
                    Some(4) if transport != Transport::Plain => {
                        let mut clear = password.as_bytes().to_vec();
                        clear.push(0);
                        self.send_packet(&clear).await?;
                    }
                    Some(4) => {
                        return Err(DbError::new(
                            ErrorKind::Auth,
                            "the server wants the password sent in full (caching_sha2_password without a cached entry), \
                             which DB-Hive only does over TLS or a Unix socket: set the TLS mode to require",
                        ));
                    }
                    _ => return Err(protocol_error("unexpected authentication data")),
                },
                _ => return Err(protocol_error("unexpected packet during authentication")),
            }
        }
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

    async fn send_packet(&mut self, payload: &[u8]) -> DbResult<()> {
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
            if let Some(frame) = self.rbuf.next_frame() {
                self.expect_seq(frame.seq)?;
                if frame.len() < MAX_PACKET {
                    return Ok(Packet::Frame(frame));
                }
                // A payload of 16 MB or more continues in the following packets.
                let mut big = self.rbuf.body(&frame).to_vec();
                self.rbuf.consume(&frame);
                loop {
                    let next = loop {
                        if let Some(f) = self.rbuf.next_frame() {
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

    async fn read_payload(&mut self) -> DbResult<Vec<u8>> {
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

    pub async fn ping(&mut self) -> DbResult<()> {
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

/// A binary-protocol row, every value as text (catalog queries only need text).
fn binary_row(row: &[u8], defs: &[ColumnDef]) -> DbResult<Vec<Option<String>>> {
    let mut r = Reader::new(row);
    r.u8()?;
    let bitmap = r.bytes((defs.len() + 9) / 8)?.to_vec();
    let mut out = Vec::with_capacity(defs.len());
    for (i, d) in defs.iter().enumerate() {
        let bit = i + 2;
        if bitmap[bit / 8] & (1 << (bit % 8)) != 0 {
            out.push(None);
            continue;
        }
        let unsigned = d.flags & UNSIGNED_FLAG != 0;
        let text = match d.column_type {
            1 => {
                let b = r.u8()?;
                if unsigned {
                    b.to_string()
                } else {
                    (b as i8).to_string()
                }
            }
            2 | 13 => {
                let v = r.u16()?;
                if unsigned {
                    v.to_string()
                } else {
                    (v as i16).to_string()
                }
            }
            3 | 9 => {
                let v = r.u32()?;
                if unsigned {
                    v.to_string()
                } else {
                    (v as i32).to_string()
                }
            }
            8 => {
                let v = r.u64()?;
                if unsigned {
                    v.to_string()
                } else {
                    (v as i64).to_string()
                }
            }
            4 => f32::from_le_bytes(
                r.bytes(4)?
                    .try_into()
                    .map_err(|_| protocol_error("float"))?,
            )
            .to_string(),
            5 => f64::from_le_bytes(
                r.bytes(8)?
                    .try_into()
                    .map_err(|_| protocol_error("double"))?,
            )
            .to_string(),
            7 | 10 | 12 | 14 | 17 | 18 => {
                let n = r.u8()? as usize;
                binary_datetime(r.bytes(n)?, d.column_type == 10 || d.column_type == 14)
            }
            11 | 19 => {
                let n = r.u8()? as usize;
                binary_time(r.bytes(n)?)
            }
            _ => String::from_utf8_lossy(r.lenenc_bytes()?.unwrap_or_default()).into_owned(),
        };
        out.push(Some(text));
    }
    Ok(out)
}

/// A little-endian unsigned number of `w` bytes at `i`; 0 past the end.
fn le_at(b: &[u8], i: usize, w: usize) -> u64 {
    b.get(i..i + w)
        .map(|s| s.iter().rev().fold(0u64, |a, x| (a << 8) | *x as u64))
        .unwrap_or(0)
}

/// A binary-protocol DATE / DATETIME / TIMESTAMP as the text protocol writes it. Trailing
/// zero parts are left out on the wire: 0, 4, 7 or 11 bytes.
fn binary_datetime(b: &[u8], date_only: bool) -> String {
    let date = format!(
        "{:04}-{:02}-{:02}",
        le_at(b, 0, 2),
        le_at(b, 2, 1),
        le_at(b, 3, 1)
    );
    if date_only {
        return date;
    }
    let mut text = format!(
        "{date} {:02}:{:02}:{:02}",
        le_at(b, 4, 1),
        le_at(b, 5, 1),
        le_at(b, 6, 1)
    );
    if b.len() >= 11 {
        text.push_str(&format!(".{:06}", le_at(b, 7, 4)));
    }
    text
}

/// A binary-protocol TIME: sign, days, hours, minutes, seconds, microseconds (0, 8 or 12
/// bytes), as `[-]HHH:MM:SS[.ffffff]`.
fn binary_time(b: &[u8]) -> String {
    let sign = if b.first() == Some(&1) { "-" } else { "" };
    let hours = le_at(b, 1, 4)
        .saturating_mul(24)
        .saturating_add(le_at(b, 5, 1));
    let mut text = format!(
        "{sign}{hours:02}:{:02}:{:02}",
        le_at(b, 6, 1),
        le_at(b, 7, 1)
    );
    if b.len() >= 12 {
        text.push_str(&format!(".{:06}", le_at(b, 8, 4)));
    }
    text
}

/// How far the way to the server can be trusted with a password in clear text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Transport {
    Plain,
    /// TLS without a verified certificate: safe from listeners, not from impostors.
    Encrypted,
    /// TLS to a verified server, or the local Unix socket.
    Trusted,
}

/// The authentication plugin to answer with, and the scrambled password.
fn scramble_for(
    plugin: &str,
    password: &str,
    scramble: &[u8],
    secure: Transport,
) -> DbResult<(&'static str, Vec<u8>)> {
    match plugin {
        "mysql_native_password" | "" => Ok((
            "mysql_native_password",
            auth::native_password(password, scramble),
        )),
        "caching_sha2_password" => Ok((
            "caching_sha2_password",
            auth::caching_sha2(password, scramble),
        )),
        "mysql_clear_password" if secure == Transport::Trusted => {
            let mut v = password.as_bytes().to_vec();
            v.push(0);
            Ok(("mysql_clear_password", v))
        }
        "mysql_clear_password" => Err(DbError::new(
            ErrorKind::Auth,
            "the server wants the password in clear text (mysql_clear_password), which DB-Hive only \
             sends over a Unix socket or to a server whose certificate it verified: set the TLS mode \
             to verify-ca or verify-full",
        )),
        other => Err(DbError::new(
            ErrorKind::Auth,
            format!(
                "the server asks for the '{other}' authentication plugin, which DB-Hive does not support"
            ),
        )),
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

    fn ping(&mut self) -> impl std::future::Future<Output = DbResult<()>> + Send {
        RawConn::ping(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_dates_and_times_read_as_the_text_protocol_writes_them() {
        assert_eq!(binary_datetime(&[], true), "0000-00-00");
        assert_eq!(binary_datetime(&[], false), "0000-00-00 00:00:00");
        assert_eq!(binary_datetime(&[0xe8, 0x07, 2, 29], true), "2024-02-29");
        assert_eq!(
            binary_datetime(&[0xe8, 0x07, 2, 29, 23, 59, 58], false),
            "2024-02-29 23:59:58"
        );
        assert_eq!(
            binary_datetime(&[0xe8, 0x07, 2, 29, 23, 59, 58, 0x3f, 0x42, 0x0f, 0], false),
            "2024-02-29 23:59:58.999999"
        );
        assert_eq!(binary_time(&[]), "00:00:00");
        // -838:59:59: 34 days and 22 hours, negative.
        assert_eq!(binary_time(&[1, 34, 0, 0, 0, 22, 59, 59]), "-838:59:59");
        assert_eq!(
            binary_time(&[0, 0, 0, 0, 0, 1, 2, 3, 0x40, 0xe2, 0x01, 0]),
            "01:02:03.123456"
        );
        // Days far past what a server sends do not overflow.
        assert!(binary_time(&[0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0]).starts_with("103079215080:"));
    }
}
