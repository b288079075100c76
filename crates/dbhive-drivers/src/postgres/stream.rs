//! The byte stream under a PostgreSQL connection: TCP, a Unix socket, or TLS over TCP,
//! negotiated with SSLRequest as libpq does.

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::{Mutex, OnceLock};
use std::task::{Context, Poll};

use dbhive_core::{ConnectionConfig, DbError, DbResult, ErrorKind, TlsMode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

pub enum Stream {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
    Tls(Box<tokio_native_tls::TlsStream<TcpStream>>),
}

impl Stream {
    pub fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
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
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(unix)]
            Stream::Unix(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            #[cfg(unix)]
            Stream::Unix(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(unix)]
            Stream::Unix(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Where the server listens: enough to open a second connection for a cancel request.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub root_cert: Option<std::path::PathBuf>,
}

impl Endpoint {
    pub fn from_config(config: &ConnectionConfig) -> Endpoint {
        Endpoint {
            host: config.host.clone().unwrap_or_else(|| "localhost".into()),
            port: config.port.unwrap_or(5432),
            tls: config.tls,
            root_cert: config.tls_root_cert.clone(),
        }
    }

    fn is_socket(&self) -> bool {
        self.host.starts_with('/')
    }

    fn describe(&self) -> String {
        if self.is_socket() {
            format!("socket \"{}/.s.PGSQL.{}\"", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Opens the transport and, unless disabled, negotiates TLS. `tls_first` false skips TLS
/// for a second plain attempt after a failed handshake in `prefer` mode.
pub async fn open(endpoint: &Endpoint, try_tls: bool) -> DbResult<Stream> {
    if endpoint.is_socket() {
        #[cfg(unix)]
        {
            let path = format!("{}/.s.PGSQL.{}", endpoint.host, endpoint.port);
            let s = tokio::net::UnixStream::connect(&path)
                .await
                .map_err(|e| connect_error(endpoint, &e))?;
            return Ok(Stream::Unix(s));
        }
        #[cfg(not(unix))]
        return Err(DbError::unsupported(
            "Unix sockets are not available on this system",
        ));
    }
    let tcp = TcpStream::connect((endpoint.host.as_str(), endpoint.port))
        .await
        .map_err(|e| connect_error(endpoint, &e))?;
    let _ = tcp.set_nodelay(true);
    if endpoint.tls == TlsMode::Disable || !try_tls {
        return Ok(Stream::Tcp(tcp));
    }
    negotiate_tls(endpoint, tcp).await
}

async fn negotiate_tls(endpoint: &Endpoint, mut tcp: TcpStream) -> DbResult<Stream> {
    // SSLRequest: length 8, code 80877103.
    tcp.write_all(&[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]).await?;
    let mut answer = [0u8; 1];
    tcp.read_exact(&mut answer).await?;
    match answer[0] {
        b'S' => {}
        b'N' if endpoint.tls == TlsMode::Prefer => return Ok(Stream::Tcp(tcp)),
        b'N' => {
            return Err(DbError::new(
                ErrorKind::Tls,
                format!(
                    "the server at {} does not support TLS, and the TLS mode is '{}'",
                    endpoint.describe(),
                    endpoint.tls.as_str()
                ),
            ));
        }
        other => {
            return Err(DbError::new(
                ErrorKind::Connection,
                format!(
                    "unexpected answer {other:#x} to the TLS request: is this a PostgreSQL server?"
                ),
            ));
        }
    }
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
fn tls_connector(endpoint: &Endpoint) -> DbResult<tokio_native_tls::TlsConnector> {
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

fn connect_error(endpoint: &Endpoint, e: &io::Error) -> DbError {
    let what = match e.kind() {
        io::ErrorKind::ConnectionRefused => {
            "connection refused. Is the server running and accepting connections on that port?"
                .to_string()
        }
        io::ErrorKind::TimedOut => "timed out".to_string(),
        io::ErrorKind::NotFound if endpoint.is_socket() => {
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

/// Sends a cancel request for the backend `pid` / `secret` on a fresh connection.
pub async fn send_cancel(endpoint: &Endpoint, pid: i32, secret: i32, tls: bool) -> DbResult<()> {
    let mut stream = open(endpoint, tls).await?;
    let mut msg = Vec::with_capacity(16);
    msg.extend_from_slice(&16i32.to_be_bytes());
    msg.extend_from_slice(&80877102i32.to_be_bytes());
    msg.extend_from_slice(&pid.to_be_bytes());
    msg.extend_from_slice(&secret.to_be_bytes());
    stream.write_all(&msg).await?;
    stream.flush().await?;
    // The server closes the connection once it has read the request.
    let mut sink = [0u8; 1];
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), stream.read(&mut sink)).await;
    Ok(())
}
