//! The hostile-server harness: fake PostgreSQL and MySQL endpoints on 127.0.0.1 that behave
//! as a machine in the middle or a broken server would (decline TLS, present a self-signed
//! certificate, ask for the password in clear text, claim absurd lengths), a record of every
//! byte the client sent them, and a counting allocator that tells how much memory the client
//! took while it dealt with them.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dbhive_core::{ConnectionConfig, DbError, Engine, Secret};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The password every case gives the client; it must never reach a fake server that was
/// not allowed to have it.
pub const PASSWORD: &str = "Pa55-word-under-attack";

// ---------------------------------------------------------------------------------------
// Memory: a counting allocator, and one case at a time so each measures only itself.

pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator and only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let grown = new_size - layout.size();
                let now = LIVE.fetch_add(grown, Ordering::Relaxed) + grown;
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

/// Cases run one at a time: the allocator counts the whole process.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The most a client may allocate beyond what it held before, while dealing with one
/// hostile server: its buffers and a few messages, never what a length field claims.
pub const FEW_MB: usize = 8 << 20;

/// Runs `case` alone and returns its result with the peak of memory it added.
pub async fn measured<T>(case: impl Future<Output = T>) -> (T, usize) {
    let _alone = SERIAL.lock().await;
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let out = case.await;
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
    (out, peak)
}

// ---------------------------------------------------------------------------------------
// A fake server: one scripted connection, every byte the client sent kept.

/// What the client sent a fake server, over every connection it opened to it.
#[derive(Clone, Default)]
pub struct Received(Arc<Mutex<Vec<u8>>>);

impl Received {
    fn push(&self, bytes: &[u8]) {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(bytes);
        }
    }

    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }

    pub fn contains(&self, needle: &[u8]) -> bool {
        self.bytes().windows(needle.len()).any(|w| w == needle)
    }

    /// Fails the test if the password, or an MD5 answer built from it, reached the server.
    pub fn assert_no_password(&self, case: &str) {
        assert!(
            !self.contains(PASSWORD.as_bytes()),
            "{case}: the fake server received the password"
        );
        assert!(
            !self.contains(b"md5"),
            "{case}: the fake server received an MD5 answer (a password equivalent)"
        );
    }
}

/// The fake server's end of a connection: TCP or TLS, recording what it reads.
pub struct Peer {
    stream: Box<dyn Duplex>,
    received: Received,
}

pub trait Duplex: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Duplex for T {}

impl Peer {
    pub async fn read_exact(&mut self, n: usize) -> std::io::Result<Vec<u8>> {
        let mut buf = vec![0u8; n];
        self.stream.read_exact(&mut buf).await?;
        self.received.push(&buf);
        Ok(buf)
    }

    /// Whatever arrives within `wait` (the rest of what the client had to say).
    pub async fn drain(&mut self, wait: Duration) {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(Ok(n)) = tokio::time::timeout(wait, self.stream.read(&mut buf)).await {
            if n == 0 {
                break;
            }
            self.received.push(&buf[..n]);
        }
    }

    pub async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    /// Takes the client's TLS handshake with the impostor certificate (self-signed, so a
    /// client that verifies refuses it; one that does not cannot tell).
    pub async fn start_tls(self) -> Peer {
        let tls = impostor_acceptor()
            .accept(self.stream)
            .await
            .unwrap_or_else(|e| panic!("the fake server's TLS handshake failed: {e}"));
        Peer {
            stream: Box::new(tls),
            received: self.received,
        }
    }
}

pub fn impostor_acceptor() -> tokio_native_tls::TlsAcceptor {
    let identity = native_tls::Identity::from_pkcs8(
        include_bytes!("../fixtures/impostor.crt"),
        include_bytes!("../fixtures/impostor.key"),
    )
    .expect("impostor identity");
    tokio_native_tls::TlsAcceptor::from(
        native_tls::TlsAcceptor::new(identity).expect("TLS acceptor"),
    )
}

/// The SHA-256 fingerprint of the impostor certificate.
pub fn impostor_fingerprint() -> String {
    let pem = include_bytes!("../fixtures/impostor.crt");
    let der = native_tls::Certificate::from_pem(pem)
        .and_then(|c| c.to_der())
        .expect("impostor certificate");
    use sha2::Digest;
    sha2::Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A server on 127.0.0.1 that runs `script` for each connection the client opens (the
/// first is the pool's, the next a session's, later ones cancel requests), with its number.
pub async fn fake_server<F, Fut>(script: F) -> (u16, Received)
where
    F: Fn(usize, Peer) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let received = Received::default();
    let rec = received.clone();
    let script = Arc::new(script);
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((socket, _)) = listener.accept().await {
            let peer = Peer {
                stream: Box::new(socket),
                received: rec.clone(),
            };
            tokio::spawn(script(n, peer));
            n += 1;
        }
    });
    (port, received)
}

pub fn config(engine: Engine, port: u16) -> ConnectionConfig {
    let mut c = ConnectionConfig::new(engine);
    c.host = Some("127.0.0.1".into());
    c.port = Some(port);
    c.user = Some("victim".into());
    c.database = Some("app".into());
    c.connect_timeout_secs = 5;
    c
}

pub fn secret() -> Option<Secret> {
    Some(Secret::new(PASSWORD))
}

/// Connects and expects a refusal that cost the client at most [`FEW_MB`].
pub async fn refused(config: &ConnectionConfig) -> DbError {
    let (outcome, peak) = measured(
        dbhive_drivers::registry()
            .driver(config.engine)
            .expect("driver")
            .connect(config, secret()),
    )
    .await;
    assert!(
        peak < FEW_MB,
        "{peak} bytes to refuse the hostile server at {}",
        config.label()
    );
    match outcome {
        Ok(_) => panic!("connected to a hostile server at {}", config.label()),
        Err(e) => e,
    }
}

// ---------------------------------------------------------------------------------------
// The PostgreSQL side of the wire.

pub mod pg {
    use super::Peer;

    /// A backend message.
    pub fn msg(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        out.extend_from_slice(&(body.len() as i32 + 4).to_be_bytes());
        out.extend_from_slice(body);
        out
    }

    pub fn auth(code: i32, extra: &[u8]) -> Vec<u8> {
        let mut body = code.to_be_bytes().to_vec();
        body.extend_from_slice(extra);
        msg(b'R', &body)
    }

    /// What the server does with the client's SSLRequest.
    #[derive(Clone, Copy, PartialEq, Eq)]
    pub enum Tls {
        Decline,
        Impostor,
    }

    /// Reads the SSLRequest (answering it) and the startup message.
    pub async fn accept(mut peer: Peer, tls: Tls) -> Peer {
        let first = peer.read_exact(8).await.expect("SSLRequest");
        assert_eq!(
            &first[4..],
            &[0x04, 0xd2, 0x16, 0x2f],
            "expected an SSLRequest"
        );
        let mut peer = match tls {
            Tls::Decline => {
                peer.write(b"N").await.expect("N");
                peer
            }
            Tls::Impostor => {
                peer.write(b"S").await.expect("S");
                peer.start_tls().await
            }
        };
        let len = peer.read_exact(4).await.expect("startup length");
        let len = i32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        peer.read_exact(len - 4).await.expect("startup");
        peer
    }

    /// Reads one frontend message: (type, body).
    pub async fn read(peer: &mut Peer) -> std::io::Result<(u8, Vec<u8>)> {
        let head = peer.read_exact(5).await?;
        let len = i32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let body = peer.read_exact(len.saturating_sub(4)).await?;
        Ok((head[0], body))
    }

    /// Login without a password, as a `trust` server does, then ReadyForQuery.
    pub fn trusted_login() -> Vec<u8> {
        let mut out = auth(0, &[]);
        out.extend(msg(b'K', &[0, 0, 0, 1, 0, 0, 0, 2]));
        out.extend(msg(b'S', b"server_version\x0015.0\x00"));
        out.extend(msg(b'Z', b"I"));
        out
    }

    /// A RowDescription with one column of type `oid` per name.
    pub fn row_description(columns: &[(&str, u32)]) -> Vec<u8> {
        let mut body = (columns.len() as i16).to_be_bytes().to_vec();
        for (name, oid) in columns {
            body.extend_from_slice(name.as_bytes());
            body.push(0);
            body.extend_from_slice(&0i32.to_be_bytes());
            body.extend_from_slice(&0i16.to_be_bytes());
            body.extend_from_slice(&oid.to_be_bytes());
            body.extend_from_slice(&(-1i16).to_be_bytes());
            body.extend_from_slice(&(-1i32).to_be_bytes());
            body.extend_from_slice(&0i16.to_be_bytes());
        }
        msg(b'T', &body)
    }

    pub fn data_row(values: &[&[u8]]) -> Vec<u8> {
        let mut body = (values.len() as i16).to_be_bytes().to_vec();
        for v in values {
            body.extend_from_slice(&(v.len() as i32).to_be_bytes());
            body.extend_from_slice(v);
        }
        msg(b'D', &body)
    }
}

// ---------------------------------------------------------------------------------------
// The MySQL side of the wire.

pub mod my {
    use super::Peer;

    pub const CLIENT_SSL: u32 = 0x800;
    /// What a MySQL 8 server offers, without CLIENT_SSL.
    pub const CAPS: u32 = 0x1
        | 0x4
        | 0x8
        | 0x200
        | 0x2000
        | 0x8000
        | 0x1_0000
        | 0x2_0000
        | 0x4_0000
        | 0x8_0000
        | 0x20_0000
        | 0x100_0000;
    pub const SCRAMBLE: [u8; 20] = *b"abcdefghijklmnopqrst";

    pub fn packet(seq: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = (payload.len() as u32).to_le_bytes()[..3].to_vec();
        out.push(seq);
        out.extend_from_slice(payload);
        out
    }

    /// The server's greeting (protocol 10) offering `plugin`.
    pub fn greeting(caps: u32, plugin: &str) -> Vec<u8> {
        let mut p = vec![10];
        p.extend_from_slice(b"8.0.99-hostile\0");
        p.extend_from_slice(&7u32.to_le_bytes());
        p.extend_from_slice(&SCRAMBLE[..8]);
        p.push(0);
        p.extend_from_slice(&(caps as u16).to_le_bytes());
        p.push(45);
        p.extend_from_slice(&2u16.to_le_bytes());
        p.extend_from_slice(&((caps >> 16) as u16).to_le_bytes());
        p.push(21);
        p.extend_from_slice(&[0; 10]);
        p.extend_from_slice(&SCRAMBLE[8..]);
        p.push(0);
        p.extend_from_slice(plugin.as_bytes());
        p.push(0);
        packet(0, &p)
    }

    /// Reads one client packet: (sequence id, payload).
    pub async fn read(peer: &mut Peer) -> std::io::Result<(u8, Vec<u8>)> {
        let head = peer.read_exact(4).await?;
        let len = u32::from_le_bytes([head[0], head[1], head[2], 0]) as usize;
        let payload = peer.read_exact(len).await?;
        Ok((head[3], payload))
    }

    pub fn ok(seq: u8) -> Vec<u8> {
        packet(seq, &[0, 0, 0, 2, 0, 0, 0])
    }

    /// Greets, takes the SSLRequest (with `tls`) and the handshake response; returns the
    /// peer and the sequence id of the next server packet.
    pub async fn accept(mut peer: Peer, tls: bool, plugin: &str) -> (Peer, u8) {
        let caps = if tls { CAPS | CLIENT_SSL } else { CAPS };
        peer.write(&greeting(caps, plugin)).await.expect("greeting");
        let (seq, first) = read(&mut peer).await.expect("handshake response");
        let client_caps = u32::from_le_bytes([first[0], first[1], first[2], first[3]]);
        if client_caps & CLIENT_SSL != 0 {
            assert_eq!(first.len(), 32, "an SSLRequest is the first 32 bytes");
            let mut peer = peer.start_tls().await;
            let (seq, _) = read(&mut peer).await.expect("handshake response over TLS");
            return (peer, seq + 1);
        }
        (peer, seq + 1)
    }
}

// ---------------------------------------------------------------------------------------
// A relay: terminates the client's TLS with the impostor certificate and forwards to the
// real server over TLS of its own, as a man in the middle would.

pub async fn pg_relay(upstream_port: u16) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut req = [0u8; 8];
                if client.read_exact(&mut req).await.is_err() {
                    return;
                }
                if client.write_all(b"S").await.is_err() {
                    return;
                }
                let Ok(mut client) = impostor_acceptor().accept(client).await else {
                    return;
                };
                let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream_port)).await else {
                    return;
                };
                let mut answer = [0u8; 1];
                if server.write_all(&req).await.is_err()
                    || server.read_exact(&mut answer).await.is_err()
                    || answer[0] != b'S'
                {
                    return;
                }
                let connector = native_tls::TlsConnector::builder()
                    .danger_accept_invalid_certs(true)
                    .danger_accept_invalid_hostnames(true)
                    .build()
                    .expect("connector");
                let Ok(mut server) = tokio_native_tls::TlsConnector::from(connector)
                    .connect("localhost", server)
                    .await
                else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            });
        }
    });
    port
}
