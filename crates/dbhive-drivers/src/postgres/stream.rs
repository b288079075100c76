//! How a PostgreSQL connection reaches its server: the endpoint from the config (a host
//! starting with '/' is libpq's socket directory), TLS negotiated with SSLRequest as libpq
//! does (a declined request is refused where the policy or a pin requires TLS), and the
//! cancel request.

use dbhive_core::security::TlsUse;
use dbhive_core::{ConnectionConfig, DbError, DbResult, ErrorKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub use crate::net::{Endpoint, Stream};

pub fn endpoint(config: &ConnectionConfig) -> Endpoint {
    let host = config.host.clone().unwrap_or_else(|| "localhost".into());
    let port = config.port.unwrap_or(5432);
    let socket = host
        .starts_with('/')
        .then(|| format!("{host}/.s.PGSQL.{port}"));
    Endpoint::new(config, host, port, socket)
}

/// Opens the transport and negotiates TLS as the policy says. `try_tls` false skips TLS for
/// a second plain attempt after a failed handshake in `prefer` mode.
pub async fn open(endpoint: &Endpoint, try_tls: bool) -> DbResult<Stream> {
    let stream = crate::net::connect(endpoint).await?;
    if endpoint.socket.is_some() || endpoint.policy.tls == TlsUse::Off || !try_tls {
        return Ok(stream);
    }
    negotiate_tls(endpoint, stream).await
}

async fn negotiate_tls(endpoint: &Endpoint, mut stream: Stream) -> DbResult<Stream> {
    // SSLRequest: length 8, code 80877103.
    let answer = endpoint
        .step("the answer to the TLS request", async {
            stream
                .write_all(&[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])
                .await?;
            let mut answer = [0u8; 1];
            stream.read_exact(&mut answer).await?;
            Ok(answer[0])
        })
        .await?;
    match answer {
        b'S' => crate::net::upgrade(endpoint, stream).await,
        b'N' => match crate::net::tls_declined(endpoint) {
            Some(refusal) => Err(refusal),
            None => Ok(stream),
        },
        other => Err(DbError::new(
            ErrorKind::Connection,
            format!(
                "unexpected answer {other:#x} to the TLS request: is this a PostgreSQL server?"
            ),
        )),
    }
}

/// Sends a cancel request for the backend `pid` / `secret` on a fresh connection, within
/// the endpoint's timeout for each step.
pub async fn send_cancel(endpoint: &Endpoint, pid: i32, secret: i32, tls: bool) -> DbResult<()> {
    let mut stream = open(endpoint, tls).await?;
    let mut msg = Vec::with_capacity(16);
    msg.extend_from_slice(&16i32.to_be_bytes());
    msg.extend_from_slice(&80877102i32.to_be_bytes());
    msg.extend_from_slice(&pid.to_be_bytes());
    msg.extend_from_slice(&secret.to_be_bytes());
    endpoint
        .step("sending the cancel request", async {
            stream.write_all(&msg).await?;
            stream.flush().await?;
            Ok(())
        })
        .await?;
    // The server closes the connection once it has read the request.
    let mut sink = [0u8; 1];
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), stream.read(&mut sink)).await;
    Ok(())
}
