//! Opening a PostgreSQL connection: the transport (stream.rs), the startup message, and
//! authentication held to `dbhive_core::security`'s rules: clear text and MD5 only to a
//! verified server, over a trusted socket, or where the connection opted in; SCRAM (with
//! channel binding over TLS) completed by the server's signature or refused; libpq's
//! `prefer` retry without TLS only where nothing is pinned or verified.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use dbhive_core::security::{TlsUse, reusable_password_allowed, unverified_password_refusal};
use dbhive_core::{DbError, DbResult, ErrorKind, Secret};

use super::auth::{ChannelBinding, MIN_UNVERIFIED_ITERATIONS, Scram, md5_password};
use super::conn::RawConn;
use super::errors::to_error;
use super::protocol::{ErrorFields, ReadBuffer, Reader, frontend};
use super::stream::{Endpoint, Stream, open};

/// Everything needed to open one connection.
pub struct ConnectParams<'a> {
    pub endpoint: &'a Endpoint,
    pub user: &'a str,
    pub database: &'a str,
    pub password: Option<&'a Secret>,
    pub application_name: &'a str,
    /// libpq's `options` (e.g. `-c search_path=app`), passed through.
    pub options: Option<&'a str>,
    pub timeout: Duration,
    /// The user allowed clear-text and MD5 passwords to an unverified server.
    pub allow_unverified_password: bool,
}

impl RawConn {
    pub async fn connect(p: &ConnectParams<'_>) -> DbResult<RawConn> {
        let attempt = async {
            match Self::connect_once(p, true).await {
                // libpq's `prefer`: a failed handshake is tried again without TLS. Not when
                // the policy verifies certificates or one is pinned: plain TCP would then
                // be the downgrade those exist to stop.
                Err(e)
                    if e.code.as_deref() == Some(crate::net::HANDSHAKE_FAILED)
                        && p.endpoint.policy.tls == TlsUse::IfOffered
                        && !p.endpoint.policy.verifies()
                        && p.endpoint.pin.is_none() =>
                {
                    Self::connect_once(p, false).await
                }
                other => other,
            }
        };
        tokio::time::timeout(p.timeout, attempt)
            .await
            .unwrap_or_else(|_| Err(p.endpoint.timed_out("the login")))
    }

    async fn connect_once(p: &ConnectParams<'_>, try_tls: bool) -> DbResult<RawConn> {
        let stream = open(p.endpoint, try_tls).await?;
        Self::over(stream, p).await
    }

    /// Startup and authentication over an open stream.
    pub(crate) async fn over(stream: Stream, p: &ConnectParams<'_>) -> DbResult<RawConn> {
        let mut conn = RawConn {
            channel: stream.channel(p.endpoint),
            tls_peer: stream.tls_peer(p.endpoint),
            stream,
            rbuf: ReadBuffer::new(),
            wbuf: Vec::with_capacity(1024),
            endpoint: p.endpoint.clone(),
            pid: 0,
            secret_key: 0,
            params: HashMap::new(),
            tx_status: b'I',
            busy: false,
            broken: false,
            last_used: Instant::now(),
        };
        conn.startup(p).await?;
        Ok(conn)
    }

    /// Refuses to answer with the password in a form a listener could reuse unless the
    /// server's identity is verified or the user allowed it for this connection.
    fn allow_reusable(&self, p: &ConnectParams<'_>, asked: &str) -> DbResult<()> {
        if reusable_password_allowed(self.channel, p.allow_unverified_password) {
            Ok(())
        } else {
            Err(unverified_password_refusal(
                &p.endpoint.describe(),
                asked,
                self.channel,
            ))
        }
    }

    async fn startup(&mut self, p: &ConnectParams<'_>) -> DbResult<()> {
        let mut params = vec![
            ("user", p.user),
            ("database", p.database),
            ("application_name", p.application_name),
            ("client_encoding", "UTF8"),
        ];
        if let Some(options) = p.options {
            params.push(("options", options));
        }
        frontend::startup(&mut self.wbuf, &params);
        self.send().await?;
        let mut scram: Option<Scram> = None;
        loop {
            let frame = self.read_frame().await?;
            let body = self.rbuf.body(&frame).to_vec();
            self.rbuf.consume(&frame);
            match frame.tag {
                b'R' => {
                    let mut r = Reader::new(&body);
                    match r.i32()? {
                        0 => {
                            // Once SCRAM has begun, only the server's proof ends it.
                            if scram.as_ref().is_some_and(|s| !s.is_verified()) {
                                return Err(DbError::new(
                                    ErrorKind::Auth,
                                    format!(
                                        "the server at {} accepted the login without proving it knows the password \
                                         (SCRAM ended before the server's signature): it may not be the server you meant",
                                        p.endpoint.describe()
                                    ),
                                )
                                .with_code("scram_incomplete"));
                            }
                        }
                        3 => {
                            let pw = require_password(p, "a clear-text password")?;
                            self.allow_reusable(p, "the password in clear text")?;
                            frontend::password(&mut self.wbuf, pw.expose());
                            self.send_secret().await?;
                        }
                        5 => {
                            let pw = require_password(p, "an MD5 password")?;
                            self.allow_reusable(
                                p,
                                "an MD5 hash of the password (which logs in as well as the password)",
                            )?;
                            let salt: [u8; 4] = r
                                .bytes(4)?
                                .try_into()
                                .map_err(|_| DbError::connection("bad MD5 salt"))?;
                            frontend::password(
                                &mut self.wbuf,
                                &md5_password(p.user, pw.expose(), &salt),
                            );
                            self.send_secret().await?;
                        }
                        10 => {
                            if scram.is_some() {
                                return Err(DbError::connection(
                                    "protocol error: the server started SASL twice",
                                ));
                            }
                            let mut mechanisms = Vec::new();
                            loop {
                                let m = r.cstr()?;
                                if m.is_empty() {
                                    break;
                                }
                                mechanisms.push(m);
                            }
                            let binding = self.channel_binding(&mechanisms)?;
                            let pw = require_password(p, "a SCRAM-SHA-256 password")?;
                            let s = Scram::new(pw.expose(), binding)?;
                            frontend::sasl_initial(
                                &mut self.wbuf,
                                s.mechanism(),
                                s.client_first().as_bytes(),
                            );
                            scram = Some(s);
                            self.send().await?;
                        }
                        11 => {
                            let s = scram.as_mut().ok_or_else(|| {
                                DbError::connection("SASL continue without a SASL start")
                            })?;
                            let least = if self.channel.identity_verified() {
                                1
                            } else {
                                MIN_UNVERIFIED_ITERATIONS
                            };
                            let answer = s.client_final(r.rest(), least).await?;
                            frontend::sasl_response(&mut self.wbuf, answer.as_bytes());
                            self.send_secret().await?;
                        }
                        12 => {
                            let s = scram.as_mut().ok_or_else(|| {
                                DbError::connection("SASL final without a SASL start")
                            })?;
                            s.verify_final(r.rest())?;
                        }
                        code => {
                            return Err(DbError::new(
                                ErrorKind::Auth,
                                format!(
                                    "the server asks for an authentication method DB-Hive does not support (code {code}: Kerberos, GSSAPI or SSPI)"
                                ),
                            ));
                        }
                    }
                }
                b'K' => {
                    let mut r = Reader::new(&body);
                    self.pid = r.i32()?;
                    self.secret_key = r.i32()?;
                }
                b'S' => self.parameter_status(&body),
                b'E' => {
                    let mut e = to_error(ErrorFields::parse(&body));
                    if e.kind == ErrorKind::Query {
                        e.kind = ErrorKind::Connection;
                    }
                    return Err(e);
                }
                b'N' => {}
                b'Z' => {
                    if scram.as_ref().is_some_and(|s| !s.is_verified()) {
                        return Err(DbError::connection(
                            "protocol error: the server said it was ready before authentication ended",
                        ));
                    }
                    self.tx_status = body.first().copied().unwrap_or(b'I');
                    self.rbuf.started();
                    return Ok(());
                }
                other => {
                    return Err(DbError::connection(format!(
                        "protocol error: unexpected message {:?} during startup",
                        char::from(other).escape_default()
                    )));
                }
            }
        }
    }

    /// Which SCRAM to speak: -PLUS bound to this TLS connection when the server offers it;
    /// plain SCRAM saying whether this client could have bound the channel.
    fn channel_binding(&self, mechanisms: &[String]) -> DbResult<ChannelBinding> {
        let offers = |m: &str| mechanisms.iter().any(|x| x == m);
        let end_point = self.stream.tls_server_end_point();
        if offers("SCRAM-SHA-256-PLUS")
            && let Some(data) = end_point
        {
            return Ok(ChannelBinding::TlsServerEndPoint(data));
        }
        if !offers("SCRAM-SHA-256") {
            return Err(DbError::new(
                ErrorKind::Auth,
                format!(
                    "the server offers only {} authentication, which DB-Hive does not support here",
                    mechanisms.join(", ")
                ),
            ));
        }
        Ok(if end_point.is_some() {
            ChannelBinding::NotOffered
        } else {
            ChannelBinding::Unsupported
        })
    }
}

fn require_password<'a>(p: &'a ConnectParams<'_>, what: &str) -> DbResult<&'a Secret> {
    p.password.ok_or_else(|| {
        DbError::new(
            ErrorKind::Auth,
            format!(
                "the server asks for {what} for user \"{}\", and none was given",
                p.user
            ),
        )
    })
}
