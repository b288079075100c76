//! PostgreSQL frontend/backend protocol 3.0: the read buffer that frames backend messages,
//! frontend message encoding, and parsers for the messages with structure.

use dbhive_core::{DbError, DbResult};
use tokio::io::AsyncRead;

use crate::recv::RecvBuffer;

/// Messages of these types may be long (rows, COPY data, row descriptions, function
/// results, errors, notices, notifications); every other type is a few bytes.
const LONG_TYPES: &[u8] = b"TDdVENA";
/// The longest short message, and the longest message of any type before the connection is
/// ready (libpq's 30,000 bytes): a server still authenticating has nothing big to say.
const SHORT_MESSAGE: usize = 30_000;
/// The longest long message: PostgreSQL cannot build a value over 1 GB.
const LONG_MESSAGE: usize = 1 << 30;

/// Backend bytes received but not yet consumed, framed into messages.
pub struct ReadBuffer {
    recv: RecvBuffer,
    /// Startup: every message is held to the short limit.
    starting: bool,
}

/// A framed backend message: its type byte and where its body lies in the buffer.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    pub tag: u8,
    body_start: usize,
    body_end: usize,
}

impl ReadBuffer {
    pub fn new() -> Self {
        ReadBuffer {
            recv: RecvBuffer::new(),
            starting: true,
        }
    }

    /// The connection is ready: long messages may now be long.
    pub fn started(&mut self) {
        self.starting = false;
    }

    fn limit(&self, tag: u8) -> usize {
        if self.starting || !LONG_TYPES.contains(&tag) {
            SHORT_MESSAGE
        } else {
            LONG_MESSAGE
        }
    }

    /// The next complete message, if the buffer holds one. A length the protocol cannot
    /// have is an error at once, before any of it is awaited.
    pub fn next_frame(&self) -> DbResult<Option<Frame>> {
        let (at, avail) = self.recv.unread();
        if avail.len() < 5 {
            return Ok(None);
        }
        let tag = avail[0];
        let len = i32::from_be_bytes([avail[1], avail[2], avail[3], avail[4]]);
        if len < 4 || len as usize - 4 > self.limit(tag) {
            return Err(DbError::connection(format!(
                "protocol error: a message of type {:?} claims {len} bytes{}",
                char::from(tag).escape_default(),
                if self.starting {
                    " before the connection is ready"
                } else {
                    ""
                }
            )));
        }
        let total = 1 + len as usize;
        if avail.len() < total {
            return Ok(None);
        }
        Ok(Some(Frame {
            tag: avail[0],
            body_start: at + 5,
            body_end: at + total,
        }))
    }

    pub fn body(&self, frame: &Frame) -> &[u8] {
        self.recv.bytes(frame.body_start, frame.body_end)
    }

    /// Marks a frame as handled.
    pub fn consume(&mut self, frame: &Frame) {
        self.recv.consume_to(frame.body_end);
    }

    /// Bytes the next (incomplete) message still needs, when its header has arrived.
    fn wanted(&self) -> usize {
        let (_, avail) = self.recv.unread();
        if avail.len() >= 5 {
            let len = i32::from_be_bytes([avail[1], avail[2], avail[3], avail[4]]).max(4) as usize;
            1 + len
        } else {
            5
        }
    }

    /// See [`RecvBuffer::fill_now`].
    pub fn fill_now<S: AsyncRead + Unpin>(
        &mut self,
        stream: &mut S,
    ) -> Option<std::io::Result<usize>> {
        self.recv.fill_now(stream)
    }

    /// Reads more bytes from `stream`. Errors with a connection error at end of stream.
    pub async fn fill<S: AsyncRead + Unpin>(&mut self, stream: &mut S) -> DbResult<()> {
        let wanted = self.wanted();
        self.recv.fill(stream, wanted).await
    }
}

/// Frontend messages, appended to an output buffer.
pub mod frontend {
    fn with_length(out: &mut Vec<u8>, tag: Option<u8>, body: impl FnOnce(&mut Vec<u8>)) {
        if let Some(tag) = tag {
            out.push(tag);
        }
        let at = out.len();
        out.extend_from_slice(&[0; 4]);
        body(out);
        let len = (out.len() - at) as i32;
        out[at..at + 4].copy_from_slice(&len.to_be_bytes());
    }

    fn cstr(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(s.as_bytes());
        out.push(0);
    }

    pub fn startup(out: &mut Vec<u8>, params: &[(&str, &str)]) {
        with_length(out, None, |b| {
            b.extend_from_slice(&196608i32.to_be_bytes());
            for (k, v) in params {
                cstr(b, k);
                cstr(b, v);
            }
            b.push(0);
        });
    }

    pub fn password(out: &mut Vec<u8>, password: &str) {
        with_length(out, Some(b'p'), |b| cstr(b, password));
    }

    pub fn sasl_initial(out: &mut Vec<u8>, mechanism: &str, data: &[u8]) {
        with_length(out, Some(b'p'), |b| {
            cstr(b, mechanism);
            b.extend_from_slice(&(data.len() as i32).to_be_bytes());
            b.extend_from_slice(data);
        });
    }

    pub fn sasl_response(out: &mut Vec<u8>, data: &[u8]) {
        with_length(out, Some(b'p'), |b| b.extend_from_slice(data));
    }

    pub fn query(out: &mut Vec<u8>, sql: &str) {
        with_length(out, Some(b'Q'), |b| cstr(b, sql));
    }

    /// Parse + Bind + Describe(portal) + Execute + Sync for an unnamed statement with text
    /// parameters and text results.
    pub fn extended(out: &mut Vec<u8>, sql: &str, params: &[Option<&str>]) {
        with_length(out, Some(b'P'), |b| {
            cstr(b, "");
            cstr(b, sql);
            b.extend_from_slice(&0i16.to_be_bytes());
        });
        with_length(out, Some(b'B'), |b| {
            cstr(b, "");
            cstr(b, "");
            b.extend_from_slice(&0i16.to_be_bytes());
            b.extend_from_slice(&(params.len() as i16).to_be_bytes());
            for p in params {
                match p {
                    Some(v) => {
                        b.extend_from_slice(&(v.len() as i32).to_be_bytes());
                        b.extend_from_slice(v.as_bytes());
                    }
                    None => b.extend_from_slice(&(-1i32).to_be_bytes()),
                }
            }
            b.extend_from_slice(&0i16.to_be_bytes());
        });
        with_length(out, Some(b'D'), |b| {
            b.push(b'P');
            cstr(b, "");
        });
        with_length(out, Some(b'E'), |b| {
            cstr(b, "");
            b.extend_from_slice(&0i32.to_be_bytes());
        });
        with_length(out, Some(b'S'), |_| {});
    }

    pub fn copy_fail(out: &mut Vec<u8>, message: &str) {
        with_length(out, Some(b'f'), |b| cstr(b, message));
    }

    pub fn terminate(out: &mut Vec<u8>) {
        with_length(out, Some(b'X'), |_| {});
    }
}

/// A cursor over a message body.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

fn truncated() -> DbError {
    DbError::connection("protocol error: message shorter than its contents")
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    pub fn i16(&mut self) -> DbResult<i16> {
        let b = self
            .data
            .get(self.pos..self.pos + 2)
            .ok_or_else(truncated)?;
        self.pos += 2;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }

    pub fn i32(&mut self) -> DbResult<i32> {
        let b = self
            .data
            .get(self.pos..self.pos + 4)
            .ok_or_else(truncated)?;
        self.pos += 4;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn u8(&mut self) -> DbResult<u8> {
        let b = *self.data.get(self.pos).ok_or_else(truncated)?;
        self.pos += 1;
        Ok(b)
    }

    pub fn bytes(&mut self, n: usize) -> DbResult<&'a [u8]> {
        let b = self
            .data
            .get(self.pos..self.pos + n)
            .ok_or_else(truncated)?;
        self.pos += n;
        Ok(b)
    }

    pub fn rest(&mut self) -> &'a [u8] {
        let b = &self.data[self.pos.min(self.data.len())..];
        self.pos = self.data.len();
        b
    }

    /// A NUL-terminated string (lossy: names and messages, not data).
    pub fn cstr(&mut self) -> DbResult<String> {
        let rest = &self.data[self.pos.min(self.data.len())..];
        let n = memchr::memchr(0, rest).ok_or_else(truncated)?;
        self.pos += n + 1;
        Ok(String::from_utf8_lossy(&rest[..n]).into_owned())
    }

    /// The next length-prefixed value of a DataRow: None for NULL.
    #[inline]
    pub fn value(&mut self) -> DbResult<Option<&'a [u8]>> {
        let len = self.i32()?;
        if len < 0 {
            return Ok(None);
        }
        self.bytes(len as usize).map(Some)
    }
}

/// The fields of ErrorResponse / NoticeResponse, by their one-letter codes.
#[derive(Debug, Default, Clone)]
pub struct ErrorFields {
    pub severity: String,
    pub code: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    pub position: Option<u32>,
    pub internal_position: Option<u32>,
    pub internal_query: Option<String>,
    pub context: Option<String>,
    pub constraint: Option<String>,
}

impl ErrorFields {
    pub fn parse(body: &[u8]) -> ErrorFields {
        let mut f = ErrorFields::default();
        let mut r = Reader::new(body);
        while let Ok(kind) = r.u8() {
            if kind == 0 {
                break;
            }
            let Ok(value) = r.cstr() else { break };
            match kind {
                // 'V' is the untranslated severity; prefer it over 'S'.
                b'V' => f.severity = value,
                b'S' if f.severity.is_empty() => f.severity = value,
                b'C' => f.code = value,
                b'M' => f.message = value,
                b'D' => f.detail = Some(value),
                b'H' => f.hint = Some(value),
                b'P' => f.position = value.parse().ok(),
                b'p' => f.internal_position = value.parse().ok(),
                b'q' => f.internal_query = Some(value),
                b'W' => f.context = Some(value),
                b'n' => f.constraint = Some(value),
                _ => {}
            }
        }
        f
    }
}

/// One column of a RowDescription.
#[derive(Clone, Debug)]
pub struct FieldDescription {
    pub name: String,
    pub type_oid: u32,
    pub type_modifier: i32,
}

pub fn parse_row_description(body: &[u8]) -> DbResult<Vec<FieldDescription>> {
    let mut r = Reader::new(body);
    let n = r.i16()?.max(0) as usize;
    let mut fields = Vec::with_capacity(n);
    for _ in 0..n {
        let name = r.cstr()?;
        let _table_oid = r.i32()?;
        let _column = r.i16()?;
        let type_oid = r.i32()? as u32;
        let _type_len = r.i16()?;
        let type_modifier = r.i32()?;
        let _format = r.i16()?;
        fields.push(FieldDescription {
            name,
            type_oid,
            type_modifier,
        });
    }
    Ok(fields)
}

/// Rows affected, from a CommandComplete tag such as "INSERT 0 5", "UPDATE 3", "SELECT 7".
pub fn parse_command_tag(tag: &str) -> (String, Option<u64>) {
    let mut parts = tag.split_whitespace();
    let command = parts.next().unwrap_or("").to_string();
    let count = tag.rsplit(' ').next().and_then(|n| n.parse::<u64>().ok());
    let count = if tag.contains(' ') { count } else { None };
    (command, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_tags() {
        assert_eq!(parse_command_tag("INSERT 0 5"), ("INSERT".into(), Some(5)));
        assert_eq!(parse_command_tag("UPDATE 3"), ("UPDATE".into(), Some(3)));
        assert_eq!(parse_command_tag("CREATE TABLE"), ("CREATE".into(), None));
        assert_eq!(parse_command_tag("BEGIN"), ("BEGIN".into(), None));
    }

    #[test]
    fn impossible_lengths_are_refused_before_they_are_read() {
        let mut buf = ReadBuffer::new();
        let mut wire: &[u8] = &[b'R', 0x7f, 0xff, 0xff, 0xff];
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        rt.block_on(buf.fill(&mut wire)).expect("fill");
        assert!(buf.next_frame().is_err(), "2 GiB during startup");
        let mut buf = ReadBuffer::new();
        buf.started();
        let mut wire: &[u8] = &[b'D', 0x20, 0, 0, 0];
        rt.block_on(buf.fill(&mut wire)).expect("fill");
        assert!(buf.next_frame().expect("512 MB row: fine").is_none());
        let mut buf = ReadBuffer::new();
        buf.started();
        let mut wire: &[u8] = &[b'C', 0, 1, 0, 0];
        rt.block_on(buf.fill(&mut wire)).expect("fill");
        assert!(buf.next_frame().is_err(), "a 64 KiB command tag");
    }

    #[tokio::test]
    async fn frames_split_across_reads() {
        // Two CopyData messages, as the backend sends them.
        let mut wire = Vec::new();
        for body in [b"SELECT 1\0".to_vec(), vec![b'x'; 200_001]] {
            wire.push(b'd');
            wire.extend_from_slice(&(body.len() as i32 + 4).to_be_bytes());
            wire.extend_from_slice(&body);
        }
        let mut buf = ReadBuffer::new();
        buf.started();
        let mut src: &[u8] = &wire;
        let mut sizes = Vec::new();
        loop {
            while let Some(frame) = buf.next_frame().expect("frame") {
                sizes.push(buf.body(&frame).len());
                buf.consume(&frame);
            }
            if src.is_empty() {
                break;
            }
            buf.fill(&mut src).await.expect("fill");
        }
        assert_eq!(sizes, vec![9, 200_001]);
    }
}
