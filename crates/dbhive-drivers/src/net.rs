//! The byte stream under a server connection, shared by the network drivers: TCP, a Unix
//! socket, or TLS over TCP (native-tls, so the system's OpenSSL / Secure Transport / SChannel
//! and its trust store), and the errors people get when a server cannot be reached.

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Mutex, OnceLock};
use std::task::{Context, Poll};

use dbhive_core::{DbError, DbResult, ErrorKind, TlsMode};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

pub enum Stream {
    /// Left behind while the TCP stream is moved into the TLS layer.
    Taken,
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
    Tls(Box<tokio_native_tls::TlsStream<TcpStream>>),
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
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Taken => Poll::Ready(Err(taken())),
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            #[cfg(unix)]
            Stream::Unix(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Taken => Poll::Ready(Ok(())),
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(unix)]
            Stream::Unix(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Where the server listens: enough to open a second connection for a cancel request.
/// Where a server listens, and how to secure the connection.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    /// A Unix socket to use instead of TCP.
    pub socket: Option<String>,
    pub tls: TlsMode,
    pub root_cert: Option<PathBuf>,
}

impl Endpoint {
    pub fn describe(&self) -> String {
        match &self.socket {
            Some(path) => format!("socket \"{path}\""),
            None => format!("{}:{}", self.host, self.port),
        }
    }
}

/// Opens TCP (no delay) or the Unix socket.
pub async fn connect(endpoint: &Endpoint) -> DbResult<Stream> {
    if let Some(path) = &endpoint.socket {
        #[cfg(unix)]
        {
            let s = tokio::net::UnixStream::connect(path)
                .await
                .map_err(|e| connect_error(endpoint, &e))?;
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
    let tcp = TcpStream::connect((endpoint.host.as_str(), endpoint.port))
        .await
        .map_err(|e| connect_error(endpoint, &e))?;
    let _ = tcp.set_nodelay(true);
    Ok(Stream::Tcp(tcp))
}

/// Runs the TLS handshake on a TCP stream, checking the certificate as the mode says.
pub async fn upgrade(endpoint: &Endpoint, stream: Stream) -> DbResult<Stream> {
    let Stream::Tcp(tcp) = stream else {
        return Err(DbError::new(
            ErrorKind::Tls,
            "TLS is only used over TCP, not over a Unix socket",
        ));
    };
    let connector = tls_connector(endpoint)?;
    let tls = connector.connect(&endpoint.host, tcp).await.map_err(|e| {
        DbError::new(
            ErrorKind::Tls,
            format!("TLS handshake with {} failed: {e}", endpoint.describe()),
        )
    })?;
    Ok(Stream::Tls(Box::new(tls)))
}

/// TLS settings by (verify chain, verify host name, extra root certificate).
type ConnectorKey = (bool, bool, Option<std::path::PathBuf>);

/// Building a connector loads the system's trust store, which takes about 100 ms; every
/// connection with the same settings shares one.
pub fn tls_connector(endpoint: &Endpoint) -> DbResult<tokio_native_tls::TlsConnector> {
    static CONNECTORS: OnceLock<Mutex<HashMap<ConnectorKey, tokio_native_tls::TlsConnector>>> =
        OnceLock::new();
    let verify_chain = matches!(endpoint.tls, TlsMode::VerifyCa | TlsMode::VerifyFull);
    let verify_host = endpoint.tls == TlsMode::VerifyFull;
    let key = (verify_chain, verify_host, endpoint.root_cert.clone());
    let cache = CONNECTORS.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(c) = cache.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Ok(c);
    }
    let mut builder = native_tls::TlsConnector::builder();
    builder
        .danger_accept_invalid_certs(!verify_chain)
        .danger_accept_invalid_hostnames(!verify_host);
    if let Some(path) = &endpoint.root_cert {
        let pem = std::fs::read(path).map_err(|e| {
            DbError::new(
                ErrorKind::Tls,
                format!("cannot read the root certificate {}: {e}", path.display()),
            )
        })?;
        let cert = native_tls::Certificate::from_pem(&pem).map_err(|e| {
            DbError::new(
                ErrorKind::Tls,
                format!(
                    "the root certificate {} is not valid PEM: {e}",
                    path.display()
                ),
            )
        })?;
        builder.add_root_certificate(cert);
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
