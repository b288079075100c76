//! TDS packets: the 8-byte header that frames every message, and a reader that hands the
//! token parser the payload of one message as a byte stream across packet boundaries.
//!
//! Packet lengths are 16-bit, so no header can make the client allocate more than 64 kB;
//! what grows with the data is only the value being read (a 50 MB nvarchar(max) cell),
//! and that is bounded by the caller.

use dbhive_core::{DbError, DbResult};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

pub const HEADER: usize = 8;
/// The packet size asked for at login; the server may answer with another (ENVCHANGE 4).
pub const DEFAULT_PACKET_SIZE: usize = 4096;
/// TDS allows 512..32767; a server naming something else is refused.
pub const MIN_PACKET_SIZE: usize = 512;
pub const MAX_PACKET_SIZE: usize = 32767;

/// Packet types (MS-TDS 2.2.3.1.1).
pub mod kind {
    pub const SQL_BATCH: u8 = 0x01;
    pub const REPLY: u8 = 0x04;
    pub const ATTENTION: u8 = 0x06;
    pub const LOGIN7: u8 = 0x10;
    pub const PRELOGIN: u8 = 0x12;
}

const STATUS_EOM: u8 = 0x01;

fn protocol(message: impl Into<String>) -> DbError {
    super::wire::protocol_error(message)
}

/// Writes `payload` as one message of `ty`, cut into packets of `packet_size`.
pub async fn write_message<W: AsyncWrite + Unpin>(
    io: &mut W,
    ty: u8,
    payload: &[u8],
    packet_size: usize,
) -> DbResult<()> {
    let body = packet_size.clamp(MIN_PACKET_SIZE, MAX_PACKET_SIZE) - HEADER;
    let mut out = Vec::with_capacity(payload.len() + HEADER * (payload.len() / body + 1));
    let chunks: Vec<&[u8]> = if payload.is_empty() {
        vec![&[][..]]
    } else {
        payload.chunks(body).collect()
    };
    let last = chunks.len() - 1;
    for (i, chunk) in chunks.iter().enumerate() {
        let len = (chunk.len() + HEADER) as u16;
        out.push(ty);
        out.push(if i == last { STATUS_EOM } else { 0 });
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&[0, 0]); // SPID: the client sends 0
        out.push((i + 1) as u8); // packet id, wrapping as the spec allows
        out.push(0);
        out.extend_from_slice(chunk);
    }
    io.write_all(&out).await?;
    io.flush().await?;
    Ok(())
}

/// Reads raw bytes and strips packet headers: `read_*` take payload bytes of the message
/// in progress; at its end they fail, and `next_message` starts the next one.
pub struct PacketReader {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Payload bytes of the current packet not yet taken (some may not have arrived).
    left: usize,
    /// The current packet is the message's last.
    last: bool,
    /// The type of the message being read.
    pub message_type: u8,
    /// The server's session id, from the first header it sent.
    pub spid: u16,
    /// While set, a cancel of this token sends an attention (once) and reading goes on.
    pub cancel: Option<CancellationToken>,
    pub attention_sent: bool,
}

const READ_CHUNK: usize = 64 * 1024;

impl Default for PacketReader {
    fn default() -> Self {
        Self::new()
    }
}

impl PacketReader {
    pub fn new() -> Self {
        PacketReader {
            buf: vec![0; READ_CHUNK],
            start: 0,
            end: 0,
            left: 0,
            last: true,
            message_type: 0,
            spid: 0,
            cancel: None,
            attention_sent: false,
        }
    }

    /// Whether the message in progress has been read to its end.
    pub fn message_done(&self) -> bool {
        self.left == 0 && self.last
    }

    /// Whether bytes have arrived that nobody has read (between messages: the server sent
    /// something unasked, or closed the connection).
    pub fn has_unread(&self) -> bool {
        self.end > self.start
    }

    async fn fill<S: AsyncRead + AsyncWrite + Unpin>(&mut self, io: &mut S) -> DbResult<()> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.buf.len() - self.end < 1024 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if !self.attention_sent && self.cancel.as_ref().is_some_and(|t| t.is_cancelled()) {
            write_message(io, kind::ATTENTION, &[], MIN_PACKET_SIZE).await?;
            self.attention_sent = true;
        }
        let n = loop {
            let watch = self.cancel.clone().filter(|_| !self.attention_sent);
            let Some(token) = watch else {
                break io.read(&mut self.buf[self.end..]).await?;
            };
            // A read that has not completed has taken nothing from the stream (TLS keeps
            // what it decrypted), so it can be dropped to write the attention.
            let got = tokio::select! {
                r = io.read(&mut self.buf[self.end..]) => Some(r),
                _ = token.cancelled() => None,
            };
            match got {
                Some(r) => break r?,
                None => {
                    write_message(io, kind::ATTENTION, &[], MIN_PACKET_SIZE).await?;
                    self.attention_sent = true;
                }
            }
        };
        if n == 0 {
            return Err(DbError::connection(
                "the server closed the connection unexpectedly",
            ));
        }
        self.end += n;
        Ok(())
    }

    /// Whether an idle connection is still quiet: a server sends nothing unasked, so bytes
    /// (or the end of the stream) arriving between requests mean it is going away. No
    /// round trip, no blocking.
    pub fn idle_and_quiet<S: AsyncRead + Unpin>(&mut self, io: &mut S) -> bool {
        if self.has_unread() || !self.message_done() {
            return false;
        }
        let mut probe = [0u8; 1];
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let mut rb = tokio::io::ReadBuf::new(&mut probe);
        matches!(
            std::pin::Pin::new(io).poll_read(&mut cx, &mut rb),
            std::task::Poll::Pending
        )
    }

    /// Reads the next packet header of the message in progress.
    async fn next_packet<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        io: &mut S,
        first: bool,
    ) -> DbResult<()> {
        while self.end - self.start < HEADER {
            self.fill(io).await?;
        }
        let h = &self.buf[self.start..self.start + HEADER];
        let ty = h[0];
        let status = h[1];
        let len = u16::from_be_bytes([h[2], h[3]]) as usize;
        let spid = u16::from_be_bytes([h[4], h[5]]);
        if len < HEADER {
            return Err(protocol(format!(
                "the server sent a packet of {len} bytes, shorter than its header"
            )));
        }
        if first {
            self.message_type = ty;
            self.spid = spid;
        } else if ty != self.message_type {
            return Err(protocol(format!(
                "the server switched packet type from {:#04x} to {ty:#04x} within a message",
                self.message_type
            )));
        }
        self.start += HEADER;
        self.left = len - HEADER;
        self.last = status & STATUS_EOM != 0;
        Ok(())
    }

    /// Starts reading the next message; returns its packet type.
    pub async fn next_message<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        io: &mut S,
    ) -> DbResult<u8> {
        if !self.message_done() {
            return Err(protocol("a new message was read before the last one ended"));
        }
        self.next_packet(io, true).await?;
        Ok(self.message_type)
    }

    /// Payload bytes of the message that are in the buffer now (at least one, reading if
    /// needed). Fails at the message's end.
    pub async fn available<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        io: &mut S,
    ) -> DbResult<&[u8]> {
        loop {
            if self.left == 0 {
                if self.last {
                    return Err(protocol(
                        "the server's message ended in the middle of a token",
                    ));
                }
                self.next_packet(io, false).await?;
                continue;
            }
            if self.end > self.start {
                let n = self.left.min(self.end - self.start);
                return Ok(&self.buf[self.start..self.start + n]);
            }
            self.fill(io).await?;
        }
    }

    /// Marks `n` bytes of what `available` returned as read.
    pub fn consume(&mut self, n: usize) {
        self.start += n;
        self.left -= n;
    }

    /// Fills `out` from the message.
    pub async fn read_exact<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        io: &mut S,
        out: &mut [u8],
    ) -> DbResult<()> {
        let mut done = 0;
        while done < out.len() {
            let avail = self.available(io).await?;
            let n = avail.len().min(out.len() - done);
            out[done..done + n].copy_from_slice(&avail[..n]);
            self.consume(n);
            done += n;
        }
        Ok(())
    }

    /// Appends `n` bytes of the message to `out`.
    pub async fn read_into<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        io: &mut S,
        n: usize,
        out: &mut Vec<u8>,
    ) -> DbResult<()> {
        let mut want = n;
        out.reserve(n.min(1 << 20));
        while want > 0 {
            let avail = self.available(io).await?;
            let k = avail.len().min(want);
            out.extend_from_slice(&avail[..k]);
            self.consume(k);
            want -= k;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(ty: u8, last: bool, body: &[u8]) -> Vec<u8> {
        let mut p = vec![ty, u8::from(last)];
        p.extend_from_slice(&((body.len() + HEADER) as u16).to_be_bytes());
        p.extend_from_slice(&[0, 55, 1, 0]);
        p.extend_from_slice(body);
        p
    }

    #[tokio::test]
    async fn payload_flows_across_packets_and_messages() {
        let mut wire = packet(4, false, b"hel");
        wire.extend(packet(4, true, b"lo"));
        wire.extend(packet(4, true, b"!"));
        let mut io = std::io::Cursor::new(wire);
        let mut r = PacketReader::new();
        assert_eq!(r.next_message(&mut io).await.ok(), Some(4));
        assert_eq!(r.spid, 55);
        let mut out = [0u8; 5];
        r.read_exact(&mut io, &mut out).await.expect("read");
        assert_eq!(&out, b"hello");
        assert!(r.message_done());
        assert!(r.read_exact(&mut io, &mut [0u8; 1]).await.is_err());
        r.next_message(&mut io).await.expect("second");
        let mut v = Vec::new();
        r.read_into(&mut io, 1, &mut v).await.expect("read");
        assert_eq!(v, b"!");
    }

    #[tokio::test]
    async fn a_short_or_switched_packet_is_refused() {
        let wire = vec![4u8, 1, 0, 3, 0, 0, 1, 0];
        let mut io = std::io::Cursor::new(wire);
        assert!(PacketReader::new().next_message(&mut io).await.is_err());
        let mut wire = packet(4, false, b"a");
        wire.extend(packet(1, true, b"b"));
        let mut io = std::io::Cursor::new(wire);
        let mut r = PacketReader::new();
        r.next_message(&mut io).await.expect("first");
        assert!(r.read_exact(&mut io, &mut [0u8; 2]).await.is_err());
    }

    #[tokio::test]
    async fn messages_are_cut_at_the_packet_size() {
        let mut out = Vec::new();
        let payload = vec![7u8; 1000];
        write_message(&mut out, kind::SQL_BATCH, &payload, 512)
            .await
            .expect("write");
        assert_eq!(out.len(), 1000 + 2 * HEADER);
        assert_eq!((out[1], out[513]), (0, STATUS_EOM));
        let mut io = std::io::Cursor::new(out.clone());
        let mut r = PacketReader::new();
        r.next_message(&mut io).await.expect("read");
        let mut v = Vec::new();
        r.read_into(&mut io, 1000, &mut v).await.expect("payload");
        assert_eq!(v, payload);
    }
}
