//! A TDS connection's byte stream with the reads the token parser is made of: integers
//! little-endian, strings UTF-16LE with an 8- or 16-bit character count.

use dbhive_core::{DbError, DbResult};
use tokio::io::{AsyncRead, AsyncWrite};

use super::packet::{DEFAULT_PACKET_SIZE, PacketReader, write_message};

pub struct Wire<S> {
    pub io: S,
    pub rx: PacketReader,
    /// Negotiated at login (ENVCHANGE 4).
    pub packet_size: usize,
}

/// The server broke the protocol: the connection cannot go on.
pub fn protocol_error(message: impl Into<String>) -> DbError {
    DbError::connection(format!("protocol error: {}", message.into()))
}

impl<S: AsyncRead + AsyncWrite + Unpin> Wire<S> {
    pub fn new(io: S) -> Self {
        Wire {
            io,
            rx: PacketReader::new(),
            packet_size: DEFAULT_PACKET_SIZE,
        }
    }

    pub async fn send(&mut self, ty: u8, payload: &[u8]) -> DbResult<()> {
        write_message(&mut self.io, ty, payload, self.packet_size).await
    }

    pub async fn next_message(&mut self) -> DbResult<u8> {
        self.rx.next_message(&mut self.io).await
    }

    pub async fn array<const N: usize>(&mut self) -> DbResult<[u8; N]> {
        let mut a = [0u8; N];
        // The common case: the bytes are in the buffer already.
        let avail = self.rx.available(&mut self.io).await?;
        if avail.len() >= N {
            a.copy_from_slice(&avail[..N]);
            self.rx.consume(N);
            return Ok(a);
        }
        self.rx.read_exact(&mut self.io, &mut a).await?;
        Ok(a)
    }

    pub async fn u8(&mut self) -> DbResult<u8> {
        let avail = self.rx.available(&mut self.io).await?;
        let b = avail[0];
        self.rx.consume(1);
        Ok(b)
    }

    pub async fn u16(&mut self) -> DbResult<u16> {
        Ok(u16::from_le_bytes(self.array().await?))
    }

    pub async fn u32(&mut self) -> DbResult<u32> {
        Ok(u32::from_le_bytes(self.array().await?))
    }

    pub async fn i32(&mut self) -> DbResult<i32> {
        Ok(i32::from_le_bytes(self.array().await?))
    }

    pub async fn u64(&mut self) -> DbResult<u64> {
        Ok(u64::from_le_bytes(self.array().await?))
    }

    /// `n` bytes of the message, appended to `out`.
    pub async fn bytes_into(&mut self, n: usize, out: &mut Vec<u8>) -> DbResult<()> {
        self.rx.read_into(&mut self.io, n, out).await
    }

    pub async fn bytes(&mut self, n: usize) -> DbResult<Vec<u8>> {
        let mut v = Vec::new();
        self.bytes_into(n, &mut v).await?;
        Ok(v)
    }

    pub async fn skip(&mut self, mut n: usize) -> DbResult<()> {
        while n > 0 {
            let k = self.rx.available(&mut self.io).await?.len().min(n);
            self.rx.consume(k);
            n -= k;
        }
        Ok(())
    }

    /// `chars` UTF-16 code units.
    pub async fn utf16(&mut self, chars: usize) -> DbResult<String> {
        let raw = self.bytes(chars * 2).await?;
        Ok(utf16_lossy(&raw))
    }

    /// B_VARCHAR: an 8-bit character count, then UTF-16LE.
    pub async fn b_varchar(&mut self) -> DbResult<String> {
        let n = self.u8().await? as usize;
        self.utf16(n).await
    }

    /// US_VARCHAR: a 16-bit character count, then UTF-16LE.
    pub async fn us_varchar(&mut self) -> DbResult<String> {
        let n = self.u16().await? as usize;
        self.utf16(n).await
    }
}

/// Names and messages from the server; a lone surrogate there is not worth an error.
pub fn utf16_lossy(raw: &[u8]) -> String {
    let units: Vec<u16> = raw
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

pub fn utf16_bytes(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// A token body already read (its 16-bit length bounds it), parsed field by field; any
/// field running past the end is a protocol error, not a panic.
pub struct Body<'a> {
    data: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Body<'a> {
    pub fn new(data: &'a [u8], what: &'static str) -> Self {
        Body { data, pos: 0, what }
    }

    pub fn take(&mut self, n: usize) -> DbResult<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let Some(end) = end else {
            return Err(protocol_error(format!(
                "the server's {} token is shorter than its fields",
                self.what
            )));
        };
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    pub fn u8(&mut self) -> DbResult<u8> {
        Ok(self.take(1)?[0])
    }

    pub fn u16(&mut self) -> DbResult<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub fn i32(&mut self) -> DbResult<i32> {
        let b = self.take(4)?;
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn u32_be(&mut self) -> DbResult<u32> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn b_varchar(&mut self) -> DbResult<String> {
        let n = self.u8()? as usize;
        Ok(utf16_lossy(self.take(n * 2)?))
    }

    pub fn us_varchar(&mut self) -> DbResult<String> {
        let n = self.u16()? as usize;
        Ok(utf16_lossy(self.take(n * 2)?))
    }

    pub fn b_varbyte(&mut self) -> DbResult<&'a [u8]> {
        let n = self.u8()? as usize;
        self.take(n)
    }
}
