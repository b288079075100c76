//! The MySQL / MariaDB client/server protocol: packet framing (with the 16 MB continuation
//! rule), length-encoded values, and the structured packets (handshake, OK, ERR, EOF,
//! column definitions).

use dbhive_core::{DbError, DbResult};
use tokio::io::AsyncRead;

use crate::recv::RecvBuffer;

/// A payload of this length continues in the next packet.
pub const MAX_PACKET: usize = 0xff_ffff;

// Capability flags.
pub const CLIENT_LONG_PASSWORD: u32 = 1;
pub const CLIENT_FOUND_ROWS: u32 = 2;
pub const CLIENT_LONG_FLAG: u32 = 4;
pub const CLIENT_CONNECT_WITH_DB: u32 = 8;
pub const CLIENT_PROTOCOL_41: u32 = 0x200;
pub const CLIENT_SSL: u32 = 0x800;
pub const CLIENT_TRANSACTIONS: u32 = 0x2000;
pub const CLIENT_SECURE_CONNECTION: u32 = 0x8000;
pub const CLIENT_MULTI_STATEMENTS: u32 = 0x1_0000;
pub const CLIENT_MULTI_RESULTS: u32 = 0x2_0000;
pub const CLIENT_PS_MULTI_RESULTS: u32 = 0x4_0000;
pub const CLIENT_PLUGIN_AUTH: u32 = 0x8_0000;
pub const CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA: u32 = 0x20_0000;
pub const CLIENT_DEPRECATE_EOF: u32 = 0x100_0000;

// Status flags.
pub const SERVER_STATUS_IN_TRANS: u16 = 1;
pub const SERVER_MORE_RESULTS_EXISTS: u16 = 8;

// Column flags.
pub const UNSIGNED_FLAG: u16 = 32;
pub const BINARY_CHARSET: u16 = 63;

fn truncated() -> DbError {
    DbError::connection("protocol error: packet shorter than its contents")
}

/// The largest packet before the login is done: a greeting, an auth switch or an RSA key
/// takes a few hundred bytes, and a server still authenticating has nothing big to say.
const LOGIN_PACKET: usize = 64 * 1024;

/// Received bytes, framed into packets.
pub struct ReadBuffer {
    recv: RecvBuffer,
    /// Logging in: packets are held to [`LOGIN_PACKET`].
    logging_in: bool,
}

/// One physical packet: its sequence id and where its payload lies.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    pub seq: u8,
    body_start: usize,
    body_end: usize,
}

impl Frame {
    pub fn len(&self) -> usize {
        self.body_end - self.body_start
    }
}

/// MySQL allows at most 4096 columns in a table; a result's column count far beyond that
/// is a broken stream, not a result to allocate for.
const MAX_COLUMNS: u64 = 65_535;

/// The column count that starts a result set.
pub fn column_count(payload: &[u8]) -> DbResult<usize> {
    match Reader::new(payload).lenenc()? {
        Some(n) if n <= MAX_COLUMNS => Ok(n as usize),
        _ => Err(DbError::connection(
            "protocol error: a result set header with an impossible column count",
        )),
    }
}

impl ReadBuffer {
    /// Whether bytes are waiting that no one has read yet.
    pub fn has_data(&self) -> bool {
        self.recv.has_data()
    }

    pub fn new() -> Self {
        ReadBuffer {
            recv: RecvBuffer::new(),
            logging_in: true,
        }
    }

    /// The login is done: packets may take their full 16 MB.
    pub fn started(&mut self) {
        self.logging_in = false;
    }

    /// The next complete packet, if the buffer holds one.
    pub fn next_frame(&self) -> DbResult<Option<Frame>> {
        let (at, avail) = self.recv.unread();
        if avail.len() < 4 {
            return Ok(None);
        }
        let len = u32::from_le_bytes([avail[0], avail[1], avail[2], 0]) as usize;
        if self.logging_in && len > LOGIN_PACKET {
            return Err(DbError::connection(format!(
                "protocol error: a packet of {len} bytes before the login is done"
            )));
        }
        if avail.len() < 4 + len {
            return Ok(None);
        }
        Ok(Some(Frame {
            seq: avail[3],
            body_start: at + 4,
            body_end: at + 4 + len,
        }))
    }

    pub fn body(&self, frame: &Frame) -> &[u8] {
        self.recv.bytes(frame.body_start, frame.body_end)
    }

    pub fn consume(&mut self, frame: &Frame) {
        self.recv.consume_to(frame.body_end);
    }

    fn wanted(&self) -> usize {
        let (_, avail) = self.recv.unread();
        if avail.len() >= 4 {
            4 + u32::from_le_bytes([avail[0], avail[1], avail[2], 0]) as usize
        } else {
            4
        }
    }

    /// See [`RecvBuffer::fill_now`].
    pub fn fill_now<S: AsyncRead + Unpin>(
        &mut self,
        stream: &mut S,
    ) -> Option<std::io::Result<usize>> {
        self.recv.fill_now(stream)
    }

    pub async fn fill<S: AsyncRead + Unpin>(&mut self, stream: &mut S) -> DbResult<()> {
        let wanted = self.wanted();
        self.recv.fill(stream, wanted).await
    }
}

/// Appends a packet (split into 16 MB pieces when longer) with sequence ids from `seq`.
/// Returns the next sequence id.
pub fn write_packet(out: &mut Vec<u8>, mut seq: u8, payload: &[u8]) -> u8 {
    let mut rest = payload;
    loop {
        let n = rest.len().min(MAX_PACKET);
        out.extend_from_slice(&(n as u32).to_le_bytes()[..3]);
        out.push(seq);
        out.extend_from_slice(&rest[..n]);
        seq = seq.wrapping_add(1);
        rest = &rest[n..];
        // A payload of exactly a multiple of 16 MB ends with an empty packet.
        if n < MAX_PACKET {
            return seq;
        }
    }
}

/// A cursor over a payload.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    pub fn u8(&mut self) -> DbResult<u8> {
        let b = *self.data.get(self.pos).ok_or_else(truncated)?;
        self.pos += 1;
        Ok(b)
    }

    pub fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    pub fn u16(&mut self) -> DbResult<u16> {
        let b = self.bytes(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub fn u32(&mut self) -> DbResult<u32> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn u64(&mut self) -> DbResult<u64> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    pub fn bytes(&mut self, n: usize) -> DbResult<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or_else(truncated)?;
        let b = self.data.get(self.pos..end).ok_or_else(truncated)?;
        self.pos += n;
        Ok(b)
    }

    pub fn skip(&mut self, n: usize) -> DbResult<()> {
        self.bytes(n).map(|_| ())
    }

    pub fn rest(&mut self) -> &'a [u8] {
        let b = &self.data[self.pos.min(self.data.len())..];
        self.pos = self.data.len();
        b
    }

    /// A NUL-terminated string (the rest when there is no NUL).
    pub fn cstr(&mut self) -> &'a [u8] {
        let rest = &self.data[self.pos.min(self.data.len())..];
        match memchr::memchr(0, rest) {
            Some(n) => {
                self.pos += n + 1;
                &rest[..n]
            }
            None => {
                self.pos = self.data.len();
                rest
            }
        }
    }

    /// A length-encoded integer; None for the NULL marker (0xfb).
    #[inline]
    pub fn lenenc(&mut self) -> DbResult<Option<u64>> {
        let first = self.u8()?;
        Ok(Some(match first {
            0..=0xfa => first as u64,
            0xfb => return Ok(None),
            0xfc => self.u16()? as u64,
            0xfd => {
                let b = self.bytes(3)?;
                u32::from_le_bytes([b[0], b[1], b[2], 0]) as u64
            }
            0xfe => self.u64()?,
            0xff => {
                return Err(DbError::connection(
                    "protocol error: 0xff where a length was expected",
                ));
            }
        }))
    }

    /// A length-encoded string; None for NULL.
    #[inline]
    pub fn lenenc_bytes(&mut self) -> DbResult<Option<&'a [u8]>> {
        match self.lenenc()? {
            None => Ok(None),
            Some(n) => self
                .bytes(usize::try_from(n).map_err(|_| truncated())?)
                .map(Some),
        }
    }

    pub fn lenenc_string(&mut self) -> DbResult<String> {
        Ok(String::from_utf8_lossy(self.lenenc_bytes()?.unwrap_or_default()).into_owned())
    }
}

pub fn put_lenenc(out: &mut Vec<u8>, n: u64) {
    match n {
        0..=0xfa => out.push(n as u8),
        0xfb..=0xffff => {
            out.push(0xfc);
            out.extend_from_slice(&(n as u16).to_le_bytes());
        }
        0x1_0000..=0xff_ffff => {
            out.push(0xfd);
            out.extend_from_slice(&(n as u32).to_le_bytes()[..3]);
        }
        _ => {
            out.push(0xfe);
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
}

/// The server's greeting.
#[derive(Debug)]
pub struct Handshake {
    pub server_version: String,
    pub connection_id: u32,
    pub capabilities: u32,
    pub scramble: Vec<u8>,
    pub auth_plugin: String,
}

pub fn parse_handshake(payload: &[u8]) -> DbResult<Handshake> {
    let mut r = Reader::new(payload);
    let protocol = r.u8()?;
    if protocol == 0xff {
        let e = parse_err(payload)?;
        return Err(DbError::connection(e.message));
    }
    if protocol != 10 {
        return Err(DbError::connection(format!(
            "unsupported protocol version {protocol}: is this a MySQL or MariaDB server?"
        )));
    }
    let server_version = String::from_utf8_lossy(r.cstr()).into_owned();
    let connection_id = r.u32()?;
    let mut scramble = r.bytes(8)?.to_vec();
    r.skip(1)?;
    let mut capabilities = r.u16()? as u32;
    let mut auth_plugin = String::from("mysql_native_password");
    if r.remaining() > 0 {
        let _charset = r.u8()?;
        let _status = r.u16()?;
        capabilities |= (r.u16()? as u32) << 16;
        let auth_len = r.u8()? as usize;
        r.skip(10)?;
        if capabilities & CLIENT_SECURE_CONNECTION != 0 {
            let n = auth_len.saturating_sub(8).max(13).min(r.remaining());
            let part = r.bytes(n)?;
            // The second part ends with a NUL that is not part of the scramble.
            scramble.extend_from_slice(part.strip_suffix(&[0]).unwrap_or(part));
        }
        if capabilities & CLIENT_PLUGIN_AUTH != 0 {
            auth_plugin = String::from_utf8_lossy(r.cstr()).into_owned();
        }
    }
    Ok(Handshake {
        server_version,
        connection_id,
        capabilities,
        scramble,
        auth_plugin,
    })
}

/// OK packet (also the EOF-replacing OK when CLIENT_DEPRECATE_EOF is on).
#[derive(Debug, Default, Clone)]
pub struct OkPacket {
    pub affected_rows: u64,
    pub last_insert_id: u64,
    pub status: u16,
    pub warnings: u16,
    pub info: String,
}

pub fn parse_ok(payload: &[u8]) -> DbResult<OkPacket> {
    let mut r = Reader::new(payload);
    r.u8()?;
    let affected_rows = r.lenenc()?.unwrap_or(0);
    let last_insert_id = r.lenenc()?.unwrap_or(0);
    let status = if r.remaining() >= 2 { r.u16()? } else { 0 };
    let warnings = if r.remaining() >= 2 { r.u16()? } else { 0 };
    let info = String::from_utf8_lossy(r.rest())
        .trim_matches('\0')
        .to_string();
    Ok(OkPacket {
        affected_rows,
        last_insert_id,
        status,
        warnings,
        info,
    })
}

/// The old-style EOF packet: warnings and status.
pub fn parse_eof(payload: &[u8]) -> DbResult<(u16, u16)> {
    let mut r = Reader::new(payload);
    r.u8()?;
    if r.remaining() < 4 {
        return Ok((0, 0));
    }
    let warnings = r.u16()?;
    let status = r.u16()?;
    Ok((warnings, status))
}

/// True for an EOF packet (0xfe with a short payload), as opposed to a row starting 0xfe.
pub fn is_eof(payload: &[u8]) -> bool {
    payload.first() == Some(&0xfe) && payload.len() < 9
}

#[derive(Debug, Clone)]
pub struct ErrPacket {
    pub code: u16,
    pub sqlstate: String,
    pub message: String,
}

pub fn parse_err(payload: &[u8]) -> DbResult<ErrPacket> {
    let mut r = Reader::new(payload);
    r.u8()?;
    let code = r.u16()?;
    let mut sqlstate = String::new();
    if r.peek() == Some(b'#') {
        r.skip(1)?;
        sqlstate = String::from_utf8_lossy(r.bytes(5)?).into_owned();
    }
    let message = String::from_utf8_lossy(r.rest()).into_owned();
    Ok(ErrPacket {
        code,
        sqlstate,
        message,
    })
}

/// A result column as the server describes it.
#[derive(Debug, Clone)]
pub struct ColumnDef {
    pub schema: String,
    pub table: String,
    pub org_table: String,
    pub name: String,
    pub org_name: String,
    pub charset: u16,
    pub length: u32,
    pub column_type: u8,
    pub flags: u16,
    pub decimals: u8,
}

pub fn parse_column(payload: &[u8]) -> DbResult<ColumnDef> {
    let mut r = Reader::new(payload);
    let _catalog = r.lenenc_bytes()?;
    let schema = r.lenenc_string()?;
    let table = r.lenenc_string()?;
    let org_table = r.lenenc_string()?;
    let name = r.lenenc_string()?;
    let org_name = r.lenenc_string()?;
    let _fixed = r.lenenc()?;
    let charset = r.u16()?;
    let length = r.u32()?;
    let column_type = r.u8()?;
    let flags = r.u16()?;
    let decimals = r.u8()?;
    Ok(ColumnDef {
        schema,
        table,
        org_table,
        name,
        org_name,
        charset,
        length,
        column_type,
        flags,
        decimals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenenc_round_trip() {
        for n in [
            0u64,
            250,
            251,
            65535,
            65536,
            0xff_ffff,
            0x100_0000,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            put_lenenc(&mut out, n);
            assert_eq!(Reader::new(&out).lenenc().expect("read"), Some(n), "{n}");
        }
        assert_eq!(Reader::new(&[0xfb]).lenenc().expect("null"), None);
    }

    #[tokio::test]
    async fn packets_split_at_16_mb_and_frame_back() {
        let payload = vec![7u8; MAX_PACKET + 10];
        let mut wire = Vec::new();
        let next = write_packet(&mut wire, 3, &payload);
        assert_eq!(next, 5);
        let mut buf = ReadBuffer::new();
        buf.started();
        let mut src: &[u8] = &wire;
        let mut sizes = Vec::new();
        while sizes.len() < 2 {
            while let Some(f) = buf.next_frame().expect("frame") {
                sizes.push((f.seq, f.len()));
                buf.consume(&f);
            }
            if src.is_empty() {
                break;
            }
            buf.fill(&mut src).await.expect("fill");
        }
        assert_eq!(sizes, vec![(3, MAX_PACKET), (4, 10)]);
    }

    #[test]
    fn impossible_lengths_are_errors_not_panics() {
        // A column count of 2^64 - 1, and one past MySQL's limits.
        let huge = [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert!(column_count(&huge).is_err());
        let mut past = Vec::new();
        put_lenenc(&mut past, 70_000);
        assert!(column_count(&past).is_err());
        let mut fine = Vec::new();
        put_lenenc(&mut fine, 4096);
        assert_eq!(column_count(&fine).expect("4096 columns"), 4096);
        // A string that claims to be 2^64 - 1 bytes long.
        assert!(Reader::new(&huge).lenenc_bytes().is_err());
        assert!(Reader::new(&[1, 2]).bytes(usize::MAX).is_err());
    }
}
