//! Opening a MySQL / MariaDB connection: the greeting, TLS through SSLRequest, and the
//! authentication plugins, held to `dbhive_core::security`'s password rules:
//! - mysql_native_password and caching_sha2_password's fast path are challenge-responses:
//!   any server may get them;
//! - caching_sha2_password's full authentication and mysql_clear_password hand over the
//!   password: only to a verified server or over the socket, RSA-encrypted to a public key
//!   the user gave (`server_public_key`), or where the user allowed it for this connection
//!   (then over unverified TLS in clear, as the mysql client does, or over plain TCP
//!   encrypted to the key the server sends, as `--get-server-public-key` does).

use std::time::Instant;

use dbhive_core::security::{TlsUse, reusable_password_allowed, unverified_password_refusal};
use dbhive_core::{Channel, DbError, DbResult, ErrorKind, Secret};
use zeroize::Zeroizing;

use super::auth;
use super::conn::{ConnectParams, RawConn};
use super::errors::to_error;
use super::protocol::*;
use crate::net;

/// utf8mb4_general_ci: the connection's character set, so text arrives as UTF-8.
const CHARSET_UTF8MB4: u8 = 45;

fn protocol_error(what: &str) -> DbError {
    DbError::connection(format!("protocol error: {what}"))
}

impl RawConn {
    pub async fn connect(p: &ConnectParams<'_>) -> DbResult<RawConn> {
        tokio::time::timeout(p.timeout, Self::connect_inner(p))
            .await
            .unwrap_or_else(|_| Err(p.endpoint.timed_out("the login")))
    }

    async fn connect_inner(p: &ConnectParams<'_>) -> DbResult<RawConn> {
        let stream = net::connect(p.endpoint).await?;
        let mut conn = Self::login(stream, p).await?;
        if p.read_only {
            conn.query_params("SET SESSION TRANSACTION READ ONLY", &[])
                .await?;
        }
        Ok(conn)
    }

    /// The handshake and login over an open stream.
    pub(crate) async fn login(stream: net::Stream, p: &ConnectParams<'_>) -> DbResult<RawConn> {
        let mut conn = RawConn::new(stream, p.endpoint);
        let greeting = conn.read_payload().await?;
        let hs = parse_handshake(&greeting)?;
        conn.connection_id = hs.connection_id;
        conn.server_version = hs.server_version.clone();

        // FOUND_ROWS: an UPDATE counts the rows it matched, not only those whose values
        // changed (as JDBC has it), so an edit that writes a row's own values back is not
        // mistaken for a conflict.
        let mut caps = CLIENT_LONG_PASSWORD
            | CLIENT_FOUND_ROWS
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
        let want_tls = p.endpoint.socket.is_none() && p.endpoint.policy.tls != TlsUse::Off;
        if want_tls
            && !server_tls
            && let Some(refusal) = net::tls_declined(p.endpoint)
        {
            return Err(refusal);
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
        conn.channel = conn.stream.channel(p.endpoint);
        conn.tls_peer = conn.stream.tls_peer(p.endpoint);

        let login = Login {
            p,
            password: p.password.map(Secret::expose).unwrap_or(""),
            channel: conn.channel,
        };
        // A default plugin DB-Hive does not speak (sha256_password, ed25519...) still gets
        // a native answer: the server then switches to the account's own plugin.
        let (plugin, scramble_response) = login
            .scramble_for(&hs.auth_plugin, &hs.scramble)
            .or_else(|_| login.scramble_for("mysql_native_password", &hs.scramble))?;
        let mut response = Zeroizing::new(head);
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
        conn.send_secret(&response).await?;
        conn.authenticate(&login, hs.scramble).await?;
        conn.rbuf.started();
        conn.busy = false;
        conn.last_used = Instant::now();
        Ok(conn)
    }

    /// Follows the server through auth switches and caching_sha2's extra round trips.
    async fn authenticate(&mut self, login: &Login<'_, '_>, mut scramble: Vec<u8>) -> DbResult<()> {
        let p = login.p;
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
                    scramble = data.strip_suffix(&[0]).unwrap_or(data).to_vec();
                    let (_, answer) = login.scramble_for(&plugin, &scramble)?;
                    self.send_secret(&answer).await?;
                }
                Some(0x01) => match payload.get(1).copied() {
                    // caching_sha2_password: 3 = the cached fast path worked, 4 = full auth.
                    Some(3) => {}
                    Some(4) => self.full_authentication(login, &scramble).await?,
                    _ => return Err(protocol_error("unexpected authentication data")),
                },
                _ => return Err(protocol_error("unexpected packet during authentication")),
            }
        }
    }

    /// caching_sha2_password's full authentication: the server needs the password itself.
    async fn full_authentication(
        &mut self,
        login: &Login<'_, '_>,
        scramble: &[u8],
    ) -> DbResult<()> {
        let p = login.p;
        if login.channel.identity_verified() {
            return self.send_secret(&login.with_nul()).await;
        }
        if let Some(path) = p.server_public_key {
            let pem = std::fs::read(path).map_err(|e| {
                DbError::new(
                    ErrorKind::Auth,
                    format!("cannot read the server's public key {path}: {e}"),
                )
            })?;
            let sealed = auth::rsa_sealed_password(&pem, login.password, scramble)?;
            return self.send_packet(&sealed).await;
        }
        if !reusable_password_allowed(login.channel, p.allow_unverified_password) {
            let mut e = unverified_password_refusal(
                &p.endpoint.describe(),
                "the password itself (caching_sha2_password's full authentication, when the server has no cached login)",
                login.channel,
            );
            e.hint = Some(format!(
                "{} Or give the server's RSA public key (server_public_key=/path/public_key.pem): the password is then encrypted to it.",
                e.hint.unwrap_or_default()
            ));
            return Err(e);
        }
        if login.channel == Channel::Unverified {
            return self.send_secret(&login.with_nul()).await;
        }
        // Plain TCP, allowed by the user: at least keep the password from a listener.
        self.send_packet(&[0x02]).await?;
        let answer = self.read_payload().await?;
        let pem = match answer.split_first() {
            Some((0x01, pem)) => pem,
            _ => return Err(protocol_error("the server sent no public key")),
        };
        let sealed = auth::rsa_sealed_password(pem, login.password, scramble)?;
        self.send_packet(&sealed).await
    }
}

/// What authentication needs through its round trips.
struct Login<'p, 'a> {
    p: &'p ConnectParams<'a>,
    password: &'p str,
    channel: Channel,
}

impl Login<'_, '_> {
    /// The password and a NUL: the clear-text answer.
    fn with_nul(&self) -> Zeroizing<Vec<u8>> {
        let mut clear = Zeroizing::new(self.password.as_bytes().to_vec());
        clear.push(0);
        clear
    }

    /// The authentication plugin to answer with, and the scrambled password.
    fn scramble_for(
        &self,
        plugin: &str,
        scramble: &[u8],
    ) -> DbResult<(&'static str, Zeroizing<Vec<u8>>)> {
        match plugin {
            "mysql_native_password" | "" => Ok((
                "mysql_native_password",
                Zeroizing::new(auth::native_password(self.password, scramble)),
            )),
            "caching_sha2_password" => Ok((
                "caching_sha2_password",
                Zeroizing::new(auth::caching_sha2(self.password, scramble)),
            )),
            "mysql_clear_password"
                if reusable_password_allowed(self.channel, self.p.allow_unverified_password) =>
            {
                Ok(("mysql_clear_password", self.with_nul()))
            }
            "mysql_clear_password" => Err(unverified_password_refusal(
                &self.p.endpoint.describe(),
                "the password in clear text (mysql_clear_password)",
                self.channel,
            )),
            other => Err(DbError::new(
                ErrorKind::Auth,
                format!(
                    "the server asks for the '{other}' authentication plugin, which DB-Hive does not support"
                ),
            )),
        }
    }
}
