//! PRELOGIN, the first exchange: which TLS the two sides agree on. And the framing TDS 7.x
//! imposes on the TLS handshake, whose records travel inside PRELOGIN packets until it
//! completes; after that, TLS records go on the socket as they are.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use dbhive_core::DbResult;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::packet::{DEFAULT_PACKET_SIZE, HEADER, kind};
use super::wire::protocol_error;

/// ENCRYPTION option values (MS-TDS 2.2.6.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encrypt {
    /// Only the login is encrypted.
    Off,
    On,
    NotSupported,
    Required,
}

impl Encrypt {
    fn byte(self) -> u8 {
        match self {
            Encrypt::Off => 0,
            Encrypt::On => 1,
            Encrypt::NotSupported => 2,
            Encrypt::Required => 3,
        }
    }
}

/// What the server answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerPrelogin {
    pub encrypt: Encrypt,
    /// major.minor.build of the server.
    pub version: Option<(u8, u8, u16)>,
}

const VERSION: u8 = 0;
const ENCRYPTION: u8 = 1;
const INSTOPT: u8 = 2;
const THREADID: u8 = 3;
const MARS: u8 = 4;
const TERMINATOR: u8 = 0xFF;

/// The client's PRELOGIN payload. `instance` is checked by the server when given.
pub fn request(encrypt: Encrypt, instance: Option<&str>) -> Vec<u8> {
    let mut inst = instance.unwrap_or("").as_bytes().to_vec();
    inst.push(0);
    let options: [(u8, Vec<u8>); 5] = [
        (VERSION, vec![0x10, 0x00, 0x00, 0x00, 0x00, 0x00]),
        (ENCRYPTION, vec![encrypt.byte()]),
        (INSTOPT, inst),
        (THREADID, std::process::id().to_be_bytes().to_vec()),
        (MARS, vec![0]),
    ];
    let table = options.len() * 5 + 1;
    let mut head = Vec::with_capacity(table);
    let mut data = Vec::new();
    for (token, value) in &options {
        head.push(*token);
        head.extend_from_slice(&((table + data.len()) as u16).to_be_bytes());
        head.extend_from_slice(&(value.len() as u16).to_be_bytes());
        data.extend_from_slice(value);
    }
    head.push(TERMINATOR);
    head.extend(data);
    head
}

/// Reads the server's PRELOGIN answer, every offset checked against the payload.
pub fn parse(payload: &[u8]) -> DbResult<ServerPrelogin> {
    let bad =
        |what: &str| protocol_error(format!("the server's PRELOGIN answer is malformed: {what}"));
    let mut out = ServerPrelogin {
        encrypt: Encrypt::NotSupported,
        version: None,
    };
    let mut seen_encryption = false;
    let mut i = 0;
    loop {
        let token = *payload.get(i).ok_or_else(|| bad("no terminator"))?;
        if token == TERMINATOR {
            break;
        }
        let entry = payload
            .get(i + 1..i + 5)
            .ok_or_else(|| bad("short option table"))?;
        let offset = u16::from_be_bytes([entry[0], entry[1]]) as usize;
        let len = u16::from_be_bytes([entry[2], entry[3]]) as usize;
        let value = payload
            .get(offset..offset + len)
            .ok_or_else(|| bad("an option points past the end"))?;
        match token {
            VERSION if len >= 4 => {
                let build = value
                    .get(2..4)
                    .map(|b| u16::from_be_bytes([b[0], b[1]]))
                    .unwrap_or(0);
                out.version = Some((value[0], value[1], build));
            }
            ENCRYPTION => {
                out.encrypt = match value.first() {
                    Some(0) => Encrypt::Off,
                    Some(1) => Encrypt::On,
                    Some(2) => Encrypt::NotSupported,
                    Some(3) => Encrypt::Required,
                    _ => return Err(bad("unknown ENCRYPTION value")),
                };
                seen_encryption = true;
            }
            _ => {}
        }
        i += 5;
    }
    if !seen_encryption {
        return Err(bad("no ENCRYPTION option"));
    }
    Ok(out)
}

/// The socket under TLS during a TDS 7.x handshake: what TLS writes is sent as PRELOGIN
/// packets when it flushes, and what it reads is the payload of the server's packets. Once
/// `handshake_done` is set, bytes pass through untouched.
pub struct PreloginFraming<S> {
    inner: S,
    handshake: bool,
    /// Handshake bytes TLS wrote and has not flushed yet.
    pending: Vec<u8>,
    /// The framed packets being written, and how much of them is out.
    framed: Vec<u8>,
    written: usize,
    header: [u8; HEADER],
    header_len: usize,
    /// Payload bytes left in the server's current packet.
    left: usize,
}

impl<S> PreloginFraming<S> {
    pub fn new(inner: S) -> Self {
        PreloginFraming {
            inner,
            handshake: true,
            pending: Vec::new(),
            framed: Vec::new(),
            written: 0,
            header: [0; HEADER],
            header_len: 0,
            left: 0,
        }
    }

    /// No framing at all: TDS 8 runs TLS on the bare socket.
    pub fn bare(inner: S) -> Self {
        let mut s = PreloginFraming::new(inner);
        s.handshake = false;
        s
    }

    pub fn handshake_done(&mut self) {
        self.handshake = false;
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for PreloginFraming<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.handshake {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        while this.left == 0 {
            while this.header_len < HEADER {
                let mut rb = ReadBuf::new(&mut this.header[this.header_len..]);
                ready!(Pin::new(&mut this.inner).poll_read(cx, &mut rb))?;
                let n = rb.filled().len();
                if n == 0 {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed the connection during the TLS handshake",
                    )));
                }
                this.header_len += n;
            }
            let len = u16::from_be_bytes([this.header[2], this.header[3]]) as usize;
            if len < HEADER {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the server sent a TDS packet shorter than its header during the TLS handshake",
                )));
            }
            this.left = len - HEADER;
            this.header_len = 0;
        }
        let want = this.left.min(buf.remaining());
        let mut rb = ReadBuf::new(buf.initialize_unfilled_to(want));
        ready!(Pin::new(&mut this.inner).poll_read(cx, &mut rb))?;
        let n = rb.filled().len();
        if n == 0 && want > 0 {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection during the TLS handshake",
            )));
        }
        buf.advance(n);
        this.left -= n;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for PreloginFraming<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if !this.handshake {
            return Pin::new(&mut this.inner).poll_write(cx, data);
        }
        this.pending.extend_from_slice(data);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.framed.is_empty() && !this.pending.is_empty() {
            let chunks: Vec<&[u8]> = this.pending.chunks(DEFAULT_PACKET_SIZE - HEADER).collect();
            let last = chunks.len() - 1;
            for (i, c) in chunks.iter().enumerate() {
                this.framed.push(kind::PRELOGIN);
                this.framed.push(u8::from(i == last));
                this.framed
                    .extend_from_slice(&((c.len() + HEADER) as u16).to_be_bytes());
                this.framed.extend_from_slice(&[0, 0, (i + 1) as u8, 0]);
                this.framed.extend_from_slice(c);
            }
            this.pending.clear();
            this.written = 0;
        }
        while this.written < this.framed.len() {
            let n = ready!(Pin::new(&mut this.inner).poll_write(cx, &this.framed[this.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            this.written += n;
        }
        this.framed.clear();
        this.written = 0;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_reads_back() {
        let r = request(Encrypt::On, Some("SQLEXPRESS"));
        // The same layout serves as a server answer.
        let parsed = parse(&r).expect("parse");
        assert_eq!(parsed.encrypt, Encrypt::On);
        assert_eq!(parsed.version, Some((0x10, 0, 0)));
        assert!(parse(&r[..5]).is_err(), "cut before the terminator");
    }

    #[test]
    fn offsets_past_the_end_are_refused() {
        let bad = [ENCRYPTION, 0x00, 0x40, 0x00, 0x01, TERMINATOR];
        assert!(parse(&bad).is_err());
        assert!(parse(&[]).is_err());
        assert!(parse(&[TERMINATOR]).is_err(), "no ENCRYPTION");
        let ok = [ENCRYPTION, 0x00, 0x06, 0x00, 0x01, TERMINATOR, 3];
        assert_eq!(parse(&ok).map(|p| p.encrypt).ok(), Some(Encrypt::Required));
    }
}
