//! TLS for SQL Server: inside PRELOGIN packets (TDS 7.x) or on the bare socket before any
//! TDS byte (TDS 8, `Encrypt=Strict`), held to the connection's rules by net.rs.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use dbhive_core::{DbError, DbResult, TlsPeer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_native_tls::TlsStream;

use super::prelogin::PreloginFraming;
use crate::net::{self, Endpoint, Stream};

pub enum TdsStream {
    Plain(Stream),
    Tls(Box<TlsStream<PreloginFraming<Stream>>>),
}

impl AsyncRead for TdsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            TdsStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            TdsStream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for TdsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            TdsStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            TdsStream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            TdsStream::Plain(s) => Pin::new(s).poll_flush(cx),
            TdsStream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            TdsStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            TdsStream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

const NOT_TRUSTED_HINT: &str = "SQL Server presents a self-signed certificate unless it was given one. To verify it, give the server's certificate (or the CA that signed it) as the root certificate. To use it without verification, turn on Trust server certificate (TrustServerCertificate=true): the traffic is encrypted, this certificate is pinned, and the password is sent to the server that presents it.";

const NOT_STRICT_HINT: &str = "Encrypt=Strict (TDS 8) starts TLS before any TDS byte; SQL Server 2022 and Azure SQL accept it, older servers close the connection. For those, use Encrypt=Mandatory.";

fn read_reply_error(e: DbError, endpoint: &Endpoint) -> DbError {
    if e.code.as_deref() == Some(net::HANDSHAKE_FAILED)
        && endpoint.policy.verifies()
        && e.hint.is_some()
    {
        return e.with_hint(Some(NOT_TRUSTED_HINT.into()));
    }
    e
}

/// The protocol name TDS 8 asks for in TLS's ALPN.
const TDS8_ALPN: &str = "tds/8.0";

/// The TLS handshake over `io` (PRELOGIN-framed or, under strict, bare), checked against the
/// connection's rules: verified, or held to its pinned certificate.
pub(super) async fn secure(
    e: &Endpoint,
    io: PreloginFraming<Stream>,
    strict: bool,
) -> DbResult<(TlsStream<PreloginFraming<Stream>>, Option<TlsPeer>)> {
    let connector = if strict {
        net::tls_connector_alpn(e, &[TDS8_ALPN])?
    } else {
        net::tls_connector(e)?
    };
    let mut tls = e
        .step("the TLS handshake", async {
            connector.connect(&e.host, io).await.map_err(|err| {
                let refused = read_reply_error(net::handshake_error(e, &err), e);
                if strict && refused.hint.is_none() {
                    refused.with_hint(Some(NOT_STRICT_HINT.into()))
                } else {
                    refused
                }
            })
        })
        .await?;
    tls.get_mut().get_mut().get_mut().handshake_done();
    let fingerprint = net::peer_fingerprint(tls.get_ref());
    net::hold_to_pin(e, fingerprint.clone())?;
    let peer = fingerprint.map(|fingerprint| TlsPeer {
        fingerprint,
        verified: e.policy.verifies(),
    });
    Ok((tls, peer))
}
