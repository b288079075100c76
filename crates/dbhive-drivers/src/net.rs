//! The byte stream under a server connection, shared by the network drivers: TCP (with
//! keepalive), a Unix socket, or TLS over TCP (native-tls, so the system's OpenSSL / Secure
//! Transport / SChannel and its trust store) verified or pinned as `dbhive_core::security`
//! says, and the errors people get when a server cannot be reached.

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Mutex, OnceLock};
use std::task::{Context, Poll};

use std::time::Duration;

use dbhive_core::security::{TlsUse, Verify, certificate_changed};
use dbhive_core::{Channel, ConnectionConfig, DbError, DbResult, ErrorKind, TlsPeer, TlsPolicy};
use sha2::Digest;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

pub enum Stream {
    /// Left behind while the TCP stream is moved into the TLS layer.
    Taken,
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
    Tls(Box<tokio_native_tls::TlsStream<TcpStream>>),
    /// An in-process peer (the fuzz targets play the server through it).
    Memory(tokio::io::DuplexStream),
}

impl Stream {
    pub fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }

    pub fn take(&mut self) -> Stream {
        std::mem::replace(self, Stream::Taken)
    }
}

fn taken() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "the stream was moved into TLS")
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Taken => Poll::Ready(Err(taken())),
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(unix)]
            Stream::Unix(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Stream::Memory(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Taken => Poll::Ready(Err(taken())),
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(unix)]
            Stream::Unix(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Stream::Memory(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Taken => Poll::Ready(Err(taken())),
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            #[cfg(unix)]
            Stream::Unix(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Stream::Memory(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Taken => Poll::Ready(Ok(())),
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(unix)]
            Stream::Unix(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Stream::Memory(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// Where a server listens, and how to secure the connection.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    /// A Unix socket to use instead of TCP.
    pub socket: Option<String>,
    pub policy: TlsPolicy,
    pub root_cert: Option<PathBuf>,
    /// The certificate fingerprint an unverified TLS connection must present.
    pub pin: Option<String>,
    /// For each step of opening the connection: TCP, the TLS answer, the handshake.
    pub timeout: Duration,
}

impl Endpoint {
    /// The endpoint of `config`'s server at `host`:`port` (or its Unix `socket`).
    pub fn new(config: &ConnectionConfig, host: String, port: u16, socket: Option<String>) -> Self {
        Endpoint {
            host,
            port,
            socket,
            policy: TlsPolicy::of(config),
            root_cert: config.tls_root_cert.clone(),
            pin: config.tls_pin.clone(),
            timeout: config.connect_timeout(),
        }
    }

    pub fn describe(&self) -> String {
        match &self.socket {
            Some(path) => format!("socket \"{path}\""),
            None => format!("{}:{}", self.host, self.port),
        }
    }

    /// A timeout error for `what` (the step that got no answer).
    pub fn timed_out(&self, what: &str) -> DbError {
        DbError::timeout(format!(
            "no answer from the server at {} within {} s ({what})",
            self.describe(),
            self.timeout.as_secs()
        ))
    }

    /// Runs one step of opening a connection under the endpoint's timeout.
    pub async fn step<T>(
        &self,
        what: &str,
        fut: impl std::future::Future<Output = DbResult<T>>,
    ) -> DbResult<T> {
        tokio::time::timeout(self.timeout, fut)
            .await
            .unwrap_or_else(|_| Err(self.timed_out(what)))
    }
}

/// Idle connections are probed after this long, so one whose peer vanished (a laptop that
/// slept, a NAT that forgot it) is noticed in about a minute instead of never.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
/// Sent data unacknowledged this long means the peer is gone (Linux: TCP_USER_TIMEOUT);
/// without it a write to a dead peer is retried for about 15 minutes.
#[cfg(any(target_os = "linux", target_os = "android"))]
const UNACKED_LIMIT: Duration = Duration::from_secs(60);

fn keep_alive(tcp: &TcpStream) {
    let sock = socket2::SockRef::from(tcp);
    let params = socket2::TcpKeepalive::new()
        .with_time(KEEPALIVE_IDLE)
        .with_interval(KEEPALIVE_INTERVAL);
    #[cfg(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "freebsd"
    ))]
    let params = params.with_retries(3);
    if let Err(e) = sock.set_tcp_keepalive(&params) {
        tracing::debug!(error = %e, "TCP keepalive not set");
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Err(e) = sock.set_tcp_user_timeout(Some(UNACKED_LIMIT)) {
        tracing::debug!(error = %e, "TCP user timeout not set");
    }
}

/// Opens TCP (no delay, keepalive) or the Unix socket, within the endpoint's timeout.
pub async fn connect(endpoint: &Endpoint) -> DbResult<Stream> {
    if let Some(path) = &endpoint.socket {
        #[cfg(unix)]
        {
            let s = endpoint
                .step("opening the socket", async {
                    tokio::net::UnixStream::connect(path)
                        .await
                        .map_err(|e| connect_error(endpoint, &e))
                })
                .await?;
            return Ok(Stream::Unix(s));
        }
        #[cfg(not(unix))]
        {
            let _ = path;
            return Err(DbError::unsupported(
                "Unix sockets are not available on this system",
            ));
        }
    }
    let tcp = endpoint
        .step("opening TCP", async {
            TcpStream::connect((endpoint.host.as_str(), endpoint.port))
                .await
                .map_err(|e| connect_error(endpoint, &e))
        })
        .await?;
    let _ = tcp.set_nodelay(true);
    keep_alive(&tcp);
    Ok(Stream::Tcp(tcp))
}

/// Who listens on a Unix socket: trusted with a password when the server runs as root, as
/// this user, or as the owner of the socket's folder if nobody else may write there. A
/// socket in /tmp opened by another user (there before the real server started) is not.
#[cfg(unix)]
fn socket_channel(stream: &tokio::net::UnixStream, path: Option<&str>) -> Channel {
    use std::os::unix::fs::MetadataExt;
    let Ok(peer) = stream.peer_cred() else {
        return Channel::ForeignSocket;
    };
    // SAFETY: getuid cannot fail and touches no memory.
    let me = unsafe { libc::getuid() };
    let folder_owner = path
        .and_then(|p| std::path::Path::new(p).parent().map(std::fs::metadata))
        .and_then(Result::ok)
        .filter(|m| m.mode() & 0o002 == 0)
        .map(|m| m.uid());
    if peer.uid() == 0 || peer.uid() == me || Some(peer.uid()) == folder_owner {
        Channel::LocalSocket
    } else {
        Channel::ForeignSocket
    }
}

/// SHA-256 of a certificate's DER bytes, as `openssl x509 -fingerprint -sha256` prints it.
pub fn fingerprint(der: &[u8]) -> String {
    let digest = sha2::Sha256::digest(der);
    let hex: Vec<String> = digest.iter().map(|b| format!("{b:02X}")).collect();
    hex.join(":")
}

impl Stream {
    /// How far the server's identity is known on this stream.
    pub fn channel(&self, endpoint: &Endpoint) -> Channel {
        match self {
            Stream::Tls(_) => endpoint.policy.tls_channel(),
            #[cfg(unix)]
            Stream::Unix(s) => socket_channel(s, endpoint.socket.as_deref()),
            Stream::Tcp(_) | Stream::Taken | Stream::Memory(_) => Channel::Plain,
        }
    }

    /// The server certificate of a TLS stream.
    pub fn tls_peer(&self, endpoint: &Endpoint) -> Option<TlsPeer> {
        let Stream::Tls(tls) = self else { return None };
        Some(TlsPeer {
            fingerprint: peer_fingerprint(tls.get_ref())?,
            verified: endpoint.policy.verifies(),
        })
    }

    /// RFC 5929's tls-server-end-point channel binding data of a TLS stream.
    pub fn tls_server_end_point(&self) -> Option<Vec<u8>> {
        let Stream::Tls(tls) = self else { return None };
        tls.get_ref().tls_server_end_point().ok()?
    }
}

/// Runs the TLS handshake on a TCP stream, checks the certificate as the policy says, and
/// holds an unverified certificate to the pin.
pub async fn upgrade(endpoint: &Endpoint, stream: Stream) -> DbResult<Stream> {
    let Stream::Tcp(tcp) = stream else {
        return Err(DbError::new(
            ErrorKind::Tls,
            "TLS is only used over TCP, not over a Unix socket",
        ));
    };
    let connector = tls_connector(endpoint)?;
    let tls = endpoint
        .step("the TLS handshake", async {
            connector
                .connect(&endpoint.host, tcp)
                .await
                .map_err(|e| handshake_error(endpoint, &e))
        })
        .await?;
    hold_to_pin(endpoint, peer_fingerprint(tls.get_ref()))?;
    Ok(Stream::Tls(Box::new(tls)))
}

/// The SHA-256 fingerprint of the certificate a TLS stream's server presented.
pub fn peer_fingerprint<S: std::io::Read + std::io::Write>(
    tls: &native_tls::TlsStream<S>,
) -> Option<String> {
    let der = tls.peer_certificate().ok()??.to_der().ok()?;
    Some(fingerprint(&der))
}

/// An unverified certificate must be the pinned one (when a pin is recorded).
pub fn hold_to_pin(endpoint: &Endpoint, presented: Option<String>) -> DbResult<()> {
    if endpoint.policy.verifies() {
        return Ok(());
    }
    let presented = presented.ok_or_else(|| {
        DbError::new(
            ErrorKind::Tls,
            format!("the server at {} sent no certificate", endpoint.describe()),
        )
    })?;
    match &endpoint.pin {
        Some(pinned) if *pinned != presented => Err(certificate_changed(
            &endpoint.describe(),
            pinned,
            &presented,
        )),
        _ => Ok(()),
    }
}

/// The code of a failed TLS handshake (as opposed to a refused certificate pin).
pub const HANDSHAKE_FAILED: &str = "tls_handshake";

pub fn handshake_error(endpoint: &Endpoint, e: &native_tls::Error) -> DbError {
    let mut err = DbError::new(
        ErrorKind::Tls,
        format!("TLS handshake with {} failed: {e}", endpoint.describe()),
    )
    .with_code(HANDSHAKE_FAILED);
    // Only a refused certificate is about roots; a peer that hung up mid-handshake is not.
    let about_certificate = e.to_string().contains("certificate");
    if endpoint.policy.verifies() && about_certificate {
        err.hint = Some(match endpoint.policy.verify {
            Verify::Full if endpoint.root_cert.is_none() => "The certificate must chain to a root this system trusts and name the host: give the server's root certificate, or use TLS mode require (encrypted, the certificate pinned instead of verified).".into(),
            _ => "The certificate must chain to the given root certificate: check that it is the one that signed the server's certificate.".into(),
        });
    }
    err
}

/// A refusal when the server declines TLS that the connection requires, or that it used
/// before (a pin is recorded: plain TCP now would be a downgrade).
pub fn tls_declined(endpoint: &Endpoint) -> Option<DbError> {
    let refuse = |why: String| {
        Some(
            DbError::new(
                ErrorKind::Tls,
                format!(
                    "the server at {} does not offer TLS, {why}",
                    endpoint.describe()
                ),
            )
            .with_code("tls_declined"),
        )
    };
    match endpoint.policy.tls {
        TlsUse::Required => refuse("and this connection requires it".into()),
        TlsUse::IfOffered if endpoint.pin.is_some() => refuse(
            "although it did when its certificate was pinned; someone may be intercepting the connection"
                .into(),
        ),
        _ => None,
    }
}

/// TLS settings by (verify chain, verify host name, SHA-256 of the root certificate file
/// replacing the system's): a file replaced at the same path takes effect at once.
type ConnectorKey = (bool, bool, Option<[u8; 32]>, Vec<&'static str>);

/// Building a connector loads the system's trust store, which takes about 100 ms; every
/// connection with the same settings shares one.
pub fn tls_connector(endpoint: &Endpoint) -> DbResult<tokio_native_tls::TlsConnector> {
    tls_connector_alpn(endpoint, &[])
}

/// A connector that also names the application protocols it speaks (TLS ALPN).
pub fn tls_connector_alpn(
    endpoint: &Endpoint,
    alpn: &[&'static str],
) -> DbResult<tokio_native_tls::TlsConnector> {
    static CONNECTORS: OnceLock<Mutex<HashMap<ConnectorKey, tokio_native_tls::TlsConnector>>> =
        OnceLock::new();
    let verify_chain = endpoint.policy.verifies();
    let verify_host = endpoint.policy.verify == Verify::Full;
    let root = match &endpoint.root_cert {
        Some(path) if verify_chain => {
            let pem = std::fs::read(path).map_err(|e| {
                DbError::new(
                    ErrorKind::Tls,
                    format!("cannot read the root certificate {}: {e}", path.display()),
                )
            })?;
            Some((path, pem))
        }
        _ => None,
    };
    let key = (
        verify_chain,
        verify_host,
        root.as_ref()
            .map(|(_, pem)| sha2::Sha256::digest(pem).into()),
        alpn.to_vec(),
    );
    let cache = CONNECTORS.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(c) = cache.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Ok(c);
    }
    let mut builder = native_tls::TlsConnector::builder();
    builder
        .danger_accept_invalid_certs(!verify_chain)
        .danger_accept_invalid_hostnames(!verify_host);
    if !alpn.is_empty() {
        builder.request_alpns(alpn);
    }
    if let Some((path, pem)) = &root {
        let certs = native_tls::Certificate::stack_from_pem(pem)
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                DbError::new(
                    ErrorKind::Tls,
                    format!(
                        "the root certificate file {} holds no PEM certificate",
                        path.display()
                    ),
                )
            })?;
        // The given roots are the only ones trusted (libpq's sslrootcert).
        builder.disable_built_in_roots(true);
        for cert in certs {
            builder.add_root_certificate(cert);
        }
    }
    let connector = builder
        .build()
        .map_err(|e| DbError::new(ErrorKind::Tls, format!("cannot set up TLS: {e}")))?;
    let connector = tokio_native_tls::TlsConnector::from(connector);
    if let Ok(mut m) = cache.lock() {
        m.insert(key, connector.clone());
    }
    Ok(connector)
}

pub fn connect_error(endpoint: &Endpoint, e: &io::Error) -> DbError {
    let what = match e.kind() {
        io::ErrorKind::ConnectionRefused => {
            "connection refused. Is the server running and accepting connections on that port?"
                .to_string()
        }
        io::ErrorKind::TimedOut => "timed out".to_string(),
        io::ErrorKind::NotFound if endpoint.socket.is_some() => {
            "no such socket. Is the server running locally?".to_string()
        }
        _ => e.to_string(),
    };
    let kind = if e.kind() == io::ErrorKind::TimedOut {
        ErrorKind::Timeout
    } else {
        ErrorKind::Connection
    };
    DbError::new(
        kind,
        format!(
            "could not connect to the server at {}: {what}",
            endpoint.describe()
        ),
    )
}
