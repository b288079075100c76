//! One connection to SQL Server: PRELOGIN, TLS (tls.rs: inside PRELOGIN packets, or first
//! under TDS 8 "strict"), LOGIN7, then SQL batches whose replies stream into the sink in
//! server order: result sets, row counts, PRINT and RAISERROR messages and errors, as SSMS
//! shows them.

use std::time::{Duration, Instant};

use dbhive_core::security::{self, Channel, TlsUse};
use dbhive_core::{
    Column, DbError, DbResult, ErrorKind, EventSink, Notice, RowOutcome, Secret, TlsPeer, Value,
};
use tokio::io::AsyncWriteExt;

use super::errors;
use super::login::{self, Login};
use super::packet::kind;
use super::prelogin::{self, Encrypt, PreloginFraming};
use super::tls::{TdsStream, secure};
use super::tokens::{self, ColumnMeta, EnvChange, Token, token};
use super::wire::{Wire, protocol_error, utf16_bytes};
use crate::net::{self, Endpoint};

pub struct ConnectParams<'a> {
    pub endpoint: &'a Endpoint,
    pub user: &'a str,
    pub password: Option<&'a Secret>,
    pub database: Option<&'a str>,
    pub allow_unverified_password: bool,
    pub read_only_intent: bool,
    /// TDS 8 (`Encrypt=Strict`): TLS first, as HTTPS does, then PRELOGIN inside it.
    pub strict: bool,
    /// The named instance the server must be (checked in PRELOGIN).
    pub instance: Option<&'a str>,
    /// The bound of each catalog or internal query.
    pub timeout: Duration,
}

/// What a reply's tokens go to: the query's sink, or rows collected for DB-Hive's own use.
enum Out<'a> {
    Sink {
        sink: &'a mut EventSink,
        /// The whole script and the line its batch starts on, for error positions.
        script: &'a str,
        first_line: i32,
        first_error: &'a mut Option<DbError>,
    },
    Collect {
        rows: &'a mut Vec<Vec<Value>>,
        error: &'a mut Option<DbError>,
    },
}

pub struct RawConn {
    wire: Wire<TdsStream>,
    pub spid: u16,
    pub database: Option<String>,
    transaction: [u8; 8],
    pub in_transaction: bool,
    /// The server's name for itself and its version, from LOGINACK.
    pub server: String,
    tls: Option<TlsPeer>,
    broken: bool,
    last_used: Instant,
    timeout: Duration,
}

const UNVERIFIED_HINT: &str = "Verify the server: give its certificate (or the CA that signed it) as the root certificate, with encryption Mandatory. Or, if you trust this server's certificate as it is, turn on Trust server certificate (TrustServerCertificate=true): the password then goes to the server presenting the certificate pinned at the first connection.";

impl RawConn {
    pub async fn connect(p: &ConnectParams<'_>) -> DbResult<RawConn> {
        let e = p.endpoint;
        let want_tls = e.policy.tls != TlsUse::Off;
        if p.strict && !want_tls {
            return Err(DbError::new(
                ErrorKind::Tls,
                "Encrypt=Strict (TDS 8) is TLS from the first byte: it cannot be combined with encryption turned off",
            )
            .with_code("tls_required"));
        }
        let stream = net::connect(e).await?;
        let mut tls_peer = None;
        let mut wire = if p.strict {
            let (tls, peer) = secure(e, PreloginFraming::bare(stream), true).await?;
            tls_peer = peer;
            Wire::new(TdsStream::Tls(Box::new(tls)))
        } else {
            Wire::new(TdsStream::Plain(stream))
        };
        // Under strict, TLS is already there: nothing more to negotiate (SqlClient's value).
        let ask = if want_tls && !p.strict {
            Encrypt::On
        } else {
            Encrypt::NotSupported
        };
        let answer = e
            .step("PRELOGIN", async {
                wire.send(kind::PRELOGIN, &prelogin::request(ask, p.instance))
                    .await?;
                let ty = wire.next_message().await?;
                if ty != kind::REPLY {
                    return Err(protocol_error(format!(
                        "the server answered PRELOGIN with a packet of type {ty:#04x}; is this a SQL Server port?"
                    )));
                }
                let mut reply = Vec::new();
                while !wire.rx.message_done() {
                    let n = wire.rx.available(&mut wire.io).await?.len();
                    if reply.len() + n > 64 * 1024 {
                        return Err(protocol_error("the server's PRELOGIN answer is too long"));
                    }
                    wire.bytes_into(n, &mut reply).await?;
                }
                prelogin::parse(&reply)
            })
            .await?;
        let use_tls = match (want_tls, answer.encrypt) {
            _ if p.strict => false,
            (true, Encrypt::NotSupported) => match net::tls_declined(e) {
                Some(err) => return Err(err),
                None => false,
            },
            (true, _) => true,
            (false, Encrypt::Required) => {
                return Err(DbError::new(
                    ErrorKind::Tls,
                    format!(
                        "the server at {} requires encryption, and this connection has it turned off",
                        e.describe()
                    ),
                )
                .with_code("tls_required")
                .with_hint(Some("Turn encryption on for this connection.".into())));
            }
            (false, _) => false,
        };
        if use_tls {
            let TdsStream::Plain(inner) = wire.io else {
                return Err(DbError::internal("TLS started twice"));
            };
            let (tls, peer) = secure(e, PreloginFraming::new(inner), false).await?;
            tls_peer = peer;
            wire = Wire::new(TdsStream::Tls(Box::new(tls)));
        }
        let channel = if use_tls || p.strict {
            e.policy.tls_channel()
        } else {
            Channel::Plain
        };
        // A SQL login carries the password in LOGIN7, only scrambled.
        if !security::reusable_password_allowed(channel, p.allow_unverified_password) {
            return Err(security::unverified_password_refusal(
                &e.describe(),
                "the password (a SQL Server login carries it merely scrambled: whoever receives it can read it)",
                channel,
            )
            .with_hint(Some(UNVERIFIED_HINT.into())));
        }
        let host = hostname();
        let password = p.password.map(Secret::expose).unwrap_or("");
        let payload = login::payload(&Login {
            host_name: &host,
            user: p.user,
            password,
            app_name: "DB-Hive",
            server_name: &e.host,
            database: p.database,
            read_only_intent: p.read_only_intent,
        });
        let mut conn = RawConn {
            spid: 0,
            database: None,
            transaction: [0; 8],
            in_transaction: false,
            server: String::new(),
            tls: tls_peer,
            broken: false,
            last_used: Instant::now(),
            timeout: p.timeout,
            wire,
        };
        e.step("logging in", conn.login(&payload, p)).await?;
        // SQL Server puts the session id in every packet header; Babelfish sends 0 there.
        if conn.spid == 0 {
            let rows = conn.collect("SELECT @@SPID").await?;
            if let Some(Value::Int(n)) = rows.first().and_then(|r| r.first()) {
                conn.spid = u16::try_from(*n).unwrap_or(0);
            }
        }
        Ok(conn)
    }

    async fn login(&mut self, payload: &[u8], p: &ConnectParams<'_>) -> DbResult<()> {
        self.wire.send(kind::LOGIN7, payload).await?;
        let mut errors = Vec::new();
        let mut ack = None;
        let mut packet_size = None;
        let mut finished = false;
        while !finished {
            self.wire.next_message().await?;
            self.spid = self.wire.rx.spid;
            while !self.wire.rx.message_done() {
                let t = self.wire.u8().await?;
                match tokens::read(&mut self.wire, t).await? {
                    Token::LoginAck(a) => ack = Some(a),
                    Token::Error(m) => errors.push(m),
                    Token::Env(EnvChange::PacketSize(n)) => packet_size = Some(n),
                    Token::Env(env) => self.env(env),
                    Token::Done(d) if !d.more() => finished = true,
                    _ => {}
                }
            }
        }
        let Some(ack) = ack else {
            let Some(m) = errors.first() else {
                return Err(protocol_error(
                    "the server ended the login without accepting or refusing it",
                ));
            };
            let mut err = errors::to_error(m, None);
            err.kind = match m.number {
                4060 => ErrorKind::NotFound,
                _ if err.kind == ErrorKind::Query => ErrorKind::Auth,
                other => errors::kind_for(other, &m.message),
            };
            if m.number == 18456 {
                err.hint = Some(format!(
                    "Check the user name ({}) and the password; the server must also allow SQL Server logins (mixed mode authentication).",
                    p.user
                ));
            }
            return Err(err);
        };
        if let Some(n) = packet_size {
            self.wire.packet_size = n;
        }
        let (major, minor, build) = ack.version;
        self.server = format!("{} {major}.{minor}.{build}", ack.program.trim());
        Ok(())
    }

    fn env(&mut self, env: EnvChange) {
        match env {
            EnvChange::Database(d) => self.database = Some(d),
            EnvChange::PacketSize(n) => self.wire.packet_size = n,
            EnvChange::Transaction(t) => {
                self.in_transaction = t.is_some();
                self.transaction = t.unwrap_or([0; 8]);
            }
            EnvChange::Collation(_) | EnvChange::Other(_) => {}
        }
    }

    pub fn tls_peer(&self) -> Option<&TlsPeer> {
        self.tls.as_ref()
    }

    pub fn is_usable(&self) -> bool {
        !self.broken
    }

    /// False when the server closed (or wrote to) the connection while it sat idle.
    pub fn check_idle(&mut self) -> bool {
        if self.broken || !self.wire.rx.idle_and_quiet(&mut self.wire.io) {
            self.broken = true;
            return false;
        }
        true
    }

    fn batch_payload(&self, sql: &str) -> Vec<u8> {
        // ALL_HEADERS with the transaction descriptor, as TDS 7.2+ requires.
        let mut p = Vec::with_capacity(22 + sql.len() * 2);
        p.extend_from_slice(&22u32.to_le_bytes());
        p.extend_from_slice(&18u32.to_le_bytes());
        p.extend_from_slice(&2u16.to_le_bytes());
        p.extend_from_slice(&self.transaction);
        p.extend_from_slice(&1u32.to_le_bytes());
        p.extend(utf16_bytes(sql));
        p
    }

    /// Runs one batch and streams its reply into `sink`. Errors the server reports become
    /// notices in their place (the batch goes on as SQL Server decides) and the first one is
    /// kept in `first_error`; an Err return means the connection failed or was cancelled.
    pub async fn batch(
        &mut self,
        sql: &str,
        script: &str,
        first_line: i32,
        sink: &mut EventSink,
        first_error: &mut Option<DbError>,
    ) -> DbResult<()> {
        self.wire.rx.cancel = Some(sink.token());
        self.wire.rx.attention_sent = false;
        let out = Out::Sink {
            sink,
            script,
            first_line,
            first_error,
        };
        let result = self.exchange(sql, out).await;
        self.wire.rx.cancel = None;
        result
    }

    /// Runs `sql` and collects the rows of every result set; the first error the server
    /// reports is the result. Bounded by the connection's timeout.
    pub async fn collect(&mut self, sql: &str) -> DbResult<Vec<Vec<Value>>> {
        let mut rows = Vec::new();
        let mut error = None;
        let out = Out::Collect {
            rows: &mut rows,
            error: &mut error,
        };
        match tokio::time::timeout(self.timeout, self.exchange(sql, out)).await {
            Ok(r) => r?,
            Err(_) => {
                self.broken = true;
                return Err(DbError::timeout(format!(
                    "the server did not answer an internal query within {} s",
                    self.timeout.as_secs()
                )));
            }
        }
        match error {
            Some(e) => Err(e),
            None => Ok(rows),
        }
    }

    pub async fn ping(&mut self) -> DbResult<()> {
        self.collect("SELECT 1").await.map(|_| ())
    }

    async fn exchange(&mut self, sql: &str, out: Out<'_>) -> DbResult<()> {
        self.last_used = Instant::now();
        if self.broken {
            return Err(DbError::connection("the connection to the server was lost"));
        }
        let payload = self.batch_payload(sql);
        let sent = self.wire.send(kind::SQL_BATCH, &payload).await;
        let result = match sent {
            Ok(()) => self.reply(out).await,
            Err(e) => Err(e),
        };
        self.last_used = Instant::now();
        if let Err(e) = &result
            && e.kind != ErrorKind::Cancelled
        {
            self.broken = true;
        }
        result
    }

    async fn reply(&mut self, mut out: Out<'_>) -> DbResult<()> {
        let mut columns: Option<Vec<ColumnMeta>> = None;
        let mut finished = false;
        let mut acknowledged = false;
        loop {
            let ty = self.wire.next_message().await?;
            if ty != kind::REPLY {
                return Err(protocol_error(format!(
                    "the server answered with a packet of type {ty:#04x}"
                )));
            }
            while !self.wire.rx.message_done() {
                // Rows that arrived go out before the reader waits on the socket: a slow
                // server's rows show as they come, a fast one's in big batches.
                if !self.wire.rx.has_unread()
                    && let Out::Sink { sink, .. } = &mut out
                    && sink.flush_deadline().is_some()
                {
                    sink.flush().await;
                }
                let t = self.wire.u8().await?;
                if t == token::ROW || t == token::NBCROW {
                    let cols = columns.as_deref().ok_or_else(|| {
                        protocol_error("the server sent a row before its columns")
                    })?;
                    self.row(t == token::NBCROW, cols, &mut out).await?;
                    continue;
                }
                match tokens::read(&mut self.wire, t).await? {
                    Token::Columns(c) if c.is_empty() => {}
                    Token::Columns(c) => {
                        if let Out::Sink { sink, .. } = &mut out {
                            if columns.is_some() {
                                sink.end_result(None, None, None).await;
                            }
                            sink.start_result(c.iter().map(column).collect()).await;
                        }
                        columns = Some(c);
                    }
                    Token::Done(d) => {
                        if d.attention() {
                            acknowledged = true;
                            finished = true;
                        } else if let Out::Sink { sink, .. } = &mut out {
                            if columns.take().is_some() {
                                // SSMS's Messages pane has a line for each result too.
                                let n = sink.rows_in_result();
                                let s = if n == 1 { "" } else { "s" };
                                sink.end_result(Some(format!("({n} row{s} affected)")), None, None)
                                    .await;
                            } else if d.has_count() && d.token != token::DONEPROC {
                                let s = if d.rows == 1 { "" } else { "s" };
                                sink.end_result(
                                    Some(format!("({} row{s} affected)", d.rows)),
                                    Some(d.rows),
                                    None,
                                )
                                .await;
                            }
                        } else {
                            columns = None;
                        }
                        if d.token == token::DONE && !d.more() {
                            finished = true;
                        }
                    }
                    Token::Error(m) => match &mut out {
                        Out::Sink {
                            sink,
                            script,
                            first_line,
                            first_error,
                        } => {
                            sink.notice(errors::to_notice(&m, *first_line)).await;
                            if first_error.is_none() {
                                **first_error = Some(
                                    errors::to_error(&m, Some((script, *first_line))).in_messages(),
                                );
                            }
                        }
                        Out::Collect { error, .. } => {
                            if error.is_none() {
                                **error = Some(errors::to_error(&m, None));
                            }
                        }
                    },
                    Token::Info(m) => {
                        if let Out::Sink {
                            sink, first_line, ..
                        } = &mut out
                        {
                            sink.notice(errors::to_notice(&m, *first_line)).await;
                        }
                    }
                    Token::Env(env) => self.env(env),
                    Token::ReturnStatus(n) => {
                        if let Out::Sink { sink, .. } = &mut out {
                            let mut notice = Notice::new("INFO", format!("Return value: {n}"));
                            notice.code = Some("RETURN".into());
                            sink.notice(notice).await;
                        }
                    }
                    Token::ReturnValue { name, value, ty } => {
                        if let Out::Sink { sink, .. } = &mut out {
                            let mut text = Vec::new();
                            super::types::MSSQL_TEXT_STYLE.write(&value, &mut text);
                            let shown = if value.is_null() {
                                "NULL".to_string()
                            } else {
                                String::from_utf8_lossy(&text).into_owned()
                            };
                            sink.notice(Notice::new("INFO", format!("{name} ({ty}) = {shown}")))
                                .await;
                        }
                    }
                    Token::LoginAck(_) | Token::Skipped => {}
                }
            }
            // After an attention the server ends the reply and acknowledges it, maybe in a
            // message of its own.
            if finished && (acknowledged || !self.wire.rx.attention_sent) {
                break;
            }
        }
        if acknowledged {
            return Err(DbError::cancelled());
        }
        Ok(())
    }

    async fn row(&mut self, nbc: bool, cols: &[ColumnMeta], out: &mut Out<'_>) -> DbResult<()> {
        let bitmap = if nbc {
            self.wire.bytes(cols.len().div_ceil(8)).await?
        } else {
            Vec::new()
        };
        let mut collected = Vec::new();
        for (i, c) in cols.iter().enumerate() {
            let null = nbc && bitmap[i / 8] & (1 << (i % 8)) != 0;
            let v = if null {
                Value::Null
            } else {
                tokens::value(&mut self.wire, &c.ty).await?
            };
            match out {
                Out::Sink { sink, .. } => sink.push(v),
                Out::Collect { .. } => collected.push(v),
            }
        }
        match out {
            Out::Sink { sink, .. } => {
                if sink.end_row() == RowOutcome::Flush {
                    sink.flush().await;
                }
            }
            Out::Collect { rows, .. } => rows.push(collected),
        }
        Ok(())
    }

    pub async fn terminate(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(1), self.wire.io.shutdown()).await;
    }
}

fn column(c: &ColumnMeta) -> Column {
    let mut col = Column::new(c.name.clone(), c.ty.name());
    col.nullable = Some(c.nullable);
    col
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "db-hive".into())
}

impl crate::session_slot::SessionConn for RawConn {
    fn check_idle(&mut self) -> bool {
        RawConn::check_idle(self)
    }

    fn is_usable(&self) -> bool {
        RawConn::is_usable(self)
    }

    fn last_used(&self) -> Instant {
        self.last_used
    }

    fn in_transaction(&self) -> bool {
        self.in_transaction
    }

    fn ping(&mut self) -> impl std::future::Future<Output = DbResult<()>> + Send {
        RawConn::ping(self)
    }
}
