//! The tokens of a server reply (MS-TDS 2.2.7): column metadata, rows, DONE counts,
//! messages, environment changes, procedure return values. Every token type the server
//! may send is either read or refused with an error that names it; none is a panic.

use dbhive_core::{DbResult, Value};
use tokio::io::{AsyncRead, AsyncWrite};

use super::types::{Collation, Framing, TypeInfo, decode, framing_of, ty};
use super::wire::{Body, Wire, protocol_error};

pub mod token {
    pub const COLMETADATA: u8 = 0x81;
    pub const ROW: u8 = 0xD1;
    pub const NBCROW: u8 = 0xD2;
    pub const DONE: u8 = 0xFD;
    pub const DONEPROC: u8 = 0xFE;
    pub const DONEINPROC: u8 = 0xFF;
    pub const ERROR: u8 = 0xAA;
    pub const INFO: u8 = 0xAB;
    pub const LOGINACK: u8 = 0xAD;
    pub const ENVCHANGE: u8 = 0xE3;
    pub const RETURNSTATUS: u8 = 0x79;
    pub const RETURNVALUE: u8 = 0xAC;
    pub const ORDER: u8 = 0xA9;
    pub const TABNAME: u8 = 0xA4;
    pub const COLINFO: u8 = 0xA5;
    pub const FEATUREEXTACK: u8 = 0xAE;
    pub const SSPI: u8 = 0xED;
    pub const SESSIONSTATE: u8 = 0xE4;
    pub const FEDAUTHINFO: u8 = 0xEE;
}

/// DONE status bits.
pub mod done {
    pub const MORE: u16 = 0x0001;
    pub const COUNT: u16 = 0x0010;
    pub const ATTN: u16 = 0x0020;
}

/// The largest single value accepted (a varbinary(max) of a gigabyte is already more than
/// a grid can show; past this the server's data is refused, not allocated).
pub const MAX_VALUE: usize = 1 << 30;

#[derive(Clone, Debug)]
pub struct ColumnMeta {
    pub name: String,
    pub ty: TypeInfo,
    pub nullable: bool,
}

/// An ERROR or INFO token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerMessage {
    pub number: i32,
    pub state: u8,
    /// Severity: up to 10 informational, 11 and above an error.
    pub class: u8,
    pub message: String,
    pub server: String,
    pub procedure: String,
    pub line: i32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvChange {
    Database(String),
    PacketSize(usize),
    Collation(Option<Collation>),
    /// A transaction began (its descriptor) or ended (None).
    Transaction(Option<[u8; 8]>),
    Other(u8),
}

#[derive(Clone, Debug)]
pub struct Done {
    pub token: u8,
    pub status: u16,
    pub rows: u64,
}

impl Done {
    pub fn has_count(&self) -> bool {
        self.status & done::COUNT != 0
    }
    pub fn more(&self) -> bool {
        self.status & done::MORE != 0
    }
    pub fn attention(&self) -> bool {
        self.status & done::ATTN != 0
    }
}

#[derive(Clone, Debug)]
pub struct LoginAck {
    pub program: String,
    pub version: (u8, u8, u16),
}

/// A token other than a row.
#[derive(Clone, Debug)]
pub enum Token {
    Columns(Vec<ColumnMeta>),
    Done(Done),
    Error(ServerMessage),
    Info(ServerMessage),
    Env(EnvChange),
    LoginAck(LoginAck),
    ReturnStatus(i32),
    ReturnValue {
        name: String,
        value: Value,
        ty: String,
    },
    /// Read and not needed (ORDER, TABNAME, COLINFO, FEATUREEXTACK, SESSIONSTATE...).
    Skipped,
}

async fn body<S: AsyncRead + AsyncWrite + Unpin>(w: &mut Wire<S>) -> DbResult<Vec<u8>> {
    let n = w.u16().await? as usize;
    w.bytes(n).await
}

pub async fn type_info<S: AsyncRead + AsyncWrite + Unpin>(w: &mut Wire<S>) -> DbResult<TypeInfo> {
    use ty::*;
    let t = w.u8().await?;
    let framing = framing_of(t).ok_or_else(|| {
        protocol_error(format!("the server sent a column of unknown type {t:#04x}"))
    })?;
    let mut info = TypeInfo::simple(t, framing);
    match framing {
        Framing::Fixed(n) => info.max_len = n as u32,
        Framing::Byte => match t {
            DATEN => {}
            TIMEN | DATETIME2N | DATETIMEOFFSETN => {
                info.scale = w.u8().await?;
                if info.scale > 7 {
                    return Err(protocol_error(format!("a time scale of {}", info.scale)));
                }
            }
            DECIMAL | NUMERIC | DECIMALN | NUMERICN => {
                info.max_len = u32::from(w.u8().await?);
                info.precision = w.u8().await?;
                info.scale = w.u8().await?;
                if info.precision > 38 || info.scale > info.precision.max(1) {
                    return Err(protocol_error(format!(
                        "a decimal({},{})",
                        info.precision, info.scale
                    )));
                }
            }
            _ => info.max_len = u32::from(w.u8().await?),
        },
        Framing::UShort => {
            info.max_len = u32::from(w.u16().await?);
            if info.max_len == 0xFFFF {
                info.framing = Framing::Plp;
            }
            if matches!(t, BIGVARCHAR | BIGCHAR | NVARCHAR | NCHAR) {
                info.collation = Some(Collation::parse(w.array().await?));
            }
        }
        Framing::Plp => {
            if t == XML {
                if w.u8().await? == 1 {
                    w.b_varchar().await?;
                    w.b_varchar().await?;
                    w.us_varchar().await?;
                }
            } else {
                // UDT: its size, then database, schema and type names, and the assembly.
                info.max_len = u32::from(w.u16().await?);
                w.b_varchar().await?;
                w.b_varchar().await?;
                info.udt = Some(w.b_varchar().await?);
                w.us_varchar().await?;
                if info.max_len != 0xFFFF {
                    info.framing = Framing::UShort;
                }
            }
        }
        Framing::TextPtr => {
            info.max_len = w.u32().await?;
            if t != IMAGE {
                info.collation = Some(Collation::parse(w.array().await?));
            }
        }
        Framing::Variant => info.max_len = w.u32().await?,
    }
    Ok(info)
}

async fn columns<S: AsyncRead + AsyncWrite + Unpin>(w: &mut Wire<S>) -> DbResult<Vec<ColumnMeta>> {
    let count = w.u16().await?;
    if count == 0xFFFF {
        return Ok(Vec::new());
    }
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let _user_type = w.u32().await?;
        let flags = w.u16().await?;
        let ty = type_info(w).await?;
        if ty.framing == Framing::TextPtr {
            let parts = w.u8().await?;
            for _ in 0..parts {
                w.us_varchar().await?;
            }
        }
        let name = w.b_varchar().await?;
        out.push(ColumnMeta {
            name,
            ty,
            nullable: flags & 0x0001 != 0,
        });
    }
    Ok(out)
}

/// Reads the PLP chunks of one value (None: NULL), refusing more than `limit` bytes.
async fn plp<S: AsyncRead + AsyncWrite + Unpin>(
    w: &mut Wire<S>,
    limit: usize,
) -> DbResult<Option<Vec<u8>>> {
    let total = w.u64().await?;
    if total == u64::MAX {
        return Ok(None);
    }
    let known = total != u64::MAX - 1;
    if known && total > limit as u64 {
        return Err(too_big(total));
    }
    // A declared length is only a hint: reserve what is sure to arrive, grow with the rest.
    let mut out = Vec::with_capacity(if known {
        (total as usize).min(1 << 20)
    } else {
        0
    });
    loop {
        let chunk = w.u32().await? as usize;
        if chunk == 0 {
            break;
        }
        if out.len() + chunk > limit {
            return Err(too_big((out.len() + chunk) as u64));
        }
        w.bytes_into(chunk, &mut out).await?;
    }
    Ok(Some(out))
}

fn too_big(n: u64) -> dbhive_core::DbError {
    protocol_error(format!(
        "the server sent a value of {n} bytes; DB-Hive takes values of up to {} MB",
        MAX_VALUE >> 20
    ))
}

/// One value of type `t`.
pub async fn value<S: AsyncRead + AsyncWrite + Unpin>(
    w: &mut Wire<S>,
    t: &TypeInfo,
) -> DbResult<Value> {
    let raw = match t.framing {
        Framing::Fixed(0) => None,
        Framing::Fixed(n) => Some(w.bytes(n).await?),
        Framing::Byte => match w.u8().await? {
            0 => None,
            n => Some(w.bytes(n as usize).await?),
        },
        Framing::UShort => match w.u16().await? {
            0xFFFF => None,
            n => Some(w.bytes(n as usize).await?),
        },
        Framing::Plp => plp(w, MAX_VALUE).await?,
        Framing::TextPtr => match w.u8().await? {
            0 => None,
            ptr => {
                // The text pointer and its timestamp locate the value for UPDATETEXT; only
                // the data after them is the value.
                w.skip(ptr as usize + 8).await?;
                let n = w.u32().await? as usize;
                if n > MAX_VALUE {
                    return Err(too_big(n as u64));
                }
                Some(w.bytes(n).await?)
            }
        },
        Framing::Variant => match w.u32().await? as usize {
            0 => None,
            n if n > MAX_VALUE => return Err(too_big(n as u64)),
            n => Some(w.bytes(n).await?),
        },
    };
    match raw {
        None => Ok(Value::Null),
        Some(raw) => decode(t, raw),
    }
}

fn message(b: &[u8]) -> DbResult<ServerMessage> {
    let mut b = Body::new(b, "message");
    Ok(ServerMessage {
        number: b.i32()?,
        state: b.u8()?,
        class: b.u8()?,
        message: b.us_varchar()?,
        server: b.b_varchar()?,
        procedure: b.b_varchar()?,
        line: b.i32()?,
    })
}

fn env_change(b: &[u8]) -> DbResult<EnvChange> {
    let mut b = Body::new(b, "ENVCHANGE");
    let kind = b.u8()?;
    Ok(match kind {
        1 => EnvChange::Database(b.b_varchar()?),
        4 => {
            let text = b.b_varchar()?;
            let size: usize = text
                .parse()
                .map_err(|_| protocol_error(format!("a packet size of \"{text}\"")))?;
            if !(super::packet::MIN_PACKET_SIZE..=super::packet::MAX_PACKET_SIZE).contains(&size) {
                return Err(protocol_error(format!("a packet size of {size}")));
            }
            EnvChange::PacketSize(size)
        }
        7 => {
            let c = b.b_varbyte()?;
            EnvChange::Collation(
                (c.len() == 5).then(|| Collation::parse([c[0], c[1], c[2], c[3], c[4]])),
            )
        }
        8 => {
            let d = b.b_varbyte()?;
            let descriptor: [u8; 8] = d.try_into().map_err(|_| {
                protocol_error(format!("a transaction descriptor of {} bytes", d.len()))
            })?;
            EnvChange::Transaction(Some(descriptor))
        }
        9 | 10 | 17 => EnvChange::Transaction(None),
        other => EnvChange::Other(other),
    })
}

fn login_ack(b: &[u8]) -> DbResult<LoginAck> {
    let mut b = Body::new(b, "LOGINACK");
    let _interface = b.u8()?;
    let _tds_version = b.u32_be()?;
    let program = b.b_varchar()?;
    let v = b.take(4)?;
    Ok(LoginAck {
        program,
        version: (v[0], v[1], u16::from_be_bytes([v[2], v[3]])),
    })
}

/// Reads the token `t` (its type byte already read); rows are read by the caller.
pub async fn read<S: AsyncRead + AsyncWrite + Unpin>(w: &mut Wire<S>, t: u8) -> DbResult<Token> {
    use token::*;
    Ok(match t {
        COLMETADATA => Token::Columns(columns(w).await?),
        DONE | DONEPROC | DONEINPROC => {
            let status = w.u16().await?;
            let _cur_cmd = w.u16().await?;
            let rows = w.u64().await?;
            Token::Done(Done {
                token: t,
                status,
                rows,
            })
        }
        ERROR => Token::Error(message(&body(w).await?)?),
        INFO => Token::Info(message(&body(w).await?)?),
        ENVCHANGE => Token::Env(env_change(&body(w).await?)?),
        LOGINACK => Token::LoginAck(login_ack(&body(w).await?)?),
        RETURNSTATUS => Token::ReturnStatus(w.i32().await?),
        RETURNVALUE => {
            let _ordinal = w.u16().await?;
            let name = w.b_varchar().await?;
            let _status = w.u8().await?;
            let _user_type = w.u32().await?;
            let _flags = w.u16().await?;
            let info = type_info(w).await?;
            let value = value(w, &info).await?;
            Token::ReturnValue {
                name,
                value,
                ty: info.name(),
            }
        }
        // Tokens DB-Hive has no use for are read to their declared end (never allocated),
        // so the next token starts where it should.
        ORDER | TABNAME | COLINFO | SSPI => {
            let n = w.u16().await? as usize;
            w.skip(n).await?;
            Token::Skipped
        }
        SESSIONSTATE | FEDAUTHINFO => {
            let n = w.u32().await? as usize;
            w.skip(n).await?;
            Token::Skipped
        }
        FEATUREEXTACK => {
            loop {
                if w.u8().await? == 0xFF {
                    break;
                }
                let n = w.u32().await? as usize;
                w.skip(n).await?;
            }
            Token::Skipped
        }
        other => {
            return Err(protocol_error(format!(
                "the server sent a token this client does not know ({other:#04x}); the connection is closed"
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mssql::packet::HEADER;

    fn reply(body: &[u8]) -> std::io::Cursor<Vec<u8>> {
        let mut p = vec![4u8, 1];
        p.extend_from_slice(&((body.len() + HEADER) as u16).to_be_bytes());
        p.extend_from_slice(&[0, 51, 1, 0]);
        p.extend_from_slice(body);
        std::io::Cursor::new(p)
    }

    async fn tokens(body: &[u8]) -> Vec<DbResult<Token>> {
        let mut w = Wire::new(reply(body));
        let mut out = Vec::new();
        if w.next_message().await.is_err() {
            return out;
        }
        while !w.rx.message_done() {
            let t = match w.u8().await {
                Ok(t) => t,
                Err(e) => {
                    out.push(Err(e));
                    break;
                }
            };
            let r = read(&mut w, t).await;
            let stop = r.is_err();
            out.push(r);
            if stop {
                break;
            }
        }
        out
    }

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    #[tokio::test]
    async fn messages_and_done_counts_are_read() {
        let mut msg = Vec::new();
        msg.extend_from_slice(&50000i32.to_le_bytes());
        msg.extend_from_slice(&[1, 16]);
        msg.extend_from_slice(&5u16.to_le_bytes());
        msg.extend(utf16("oops!"));
        msg.push(2);
        msg.extend(utf16("db"));
        msg.push(0);
        msg.extend_from_slice(&3i32.to_le_bytes());
        let mut body = vec![token::ERROR];
        body.extend_from_slice(&(msg.len() as u16).to_le_bytes());
        body.extend(msg);
        body.push(token::DONE);
        body.extend_from_slice(&(done::COUNT | 0x0002).to_le_bytes());
        body.extend_from_slice(&0xC1u16.to_le_bytes());
        body.extend_from_slice(&7u64.to_le_bytes());
        let got = tokens(&body).await;
        match &got[..] {
            [Ok(Token::Error(m)), Ok(Token::Done(d))] => {
                assert_eq!((m.number, m.class, m.line), (50000, 16, 3));
                assert_eq!((m.message.as_str(), m.server.as_str()), ("oops!", "db"));
                assert!(d.has_count() && !d.more());
                assert_eq!(d.rows, 7);
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn hostile_tokens_are_errors() {
        // A message whose text claims more characters than its token holds.
        let mut bad = vec![token::INFO, 8, 0];
        bad.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0xFF, 0xFF]);
        // COLINFO (FOR BROWSE) is skipped; an unknown token is refused.
        let cases: [(&[u8], bool); 5] = [
            (&bad, false),
            (&[token::COLINFO, 2, 0, 1, 2], true),
            (&[0x42], false),
            (&[token::ENVCHANGE, 3, 0, 4, 1, b'9'], false),
            (&[token::COLMETADATA, 1, 0, 0, 0, 0, 0, 0, 0, 0x99], false),
        ];
        for (body, ok) in cases {
            let got = tokens(body).await;
            assert_eq!(got.last().map(Result::is_ok), Some(ok), "{body:?}: {got:?}");
        }
    }

    #[tokio::test]
    async fn plp_values_arrive_in_chunks_and_are_bounded() {
        let mut body = Vec::new();
        body.extend_from_slice(&u64::MAX.wrapping_sub(1).to_le_bytes());
        for part in ["ab", "c"] {
            body.extend_from_slice(&((part.len() * 2) as u32).to_le_bytes());
            body.extend(utf16(part));
        }
        body.extend_from_slice(&0u32.to_le_bytes());
        let mut w = Wire::new(reply(&body));
        w.next_message().await.expect("message");
        let mut t = TypeInfo::simple(ty::NVARCHAR, Framing::Plp);
        t.max_len = 0xFFFF;
        assert_eq!(
            value(&mut w, &t).await.expect("plp"),
            Value::Text("abc".into())
        );

        let mut body = Vec::new();
        body.extend_from_slice(&(u64::MAX / 2).to_le_bytes());
        let mut w = Wire::new(reply(&body));
        w.next_message().await.expect("message");
        assert!(
            value(&mut w, &t).await.is_err(),
            "an exabyte is refused up front"
        );
    }

    proptest::proptest! {
        /// Whatever a server sends, reading its tokens ends in a value or an error.
        #[test]
        fn any_reply_bytes_are_read_or_refused(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
            rt.block_on(async {
                let _ = tokens(&body).await;
                // Also as the values of a column of each type.
                for t in [ty::NVARCHAR, ty::DECIMALN, ty::DATETIMEOFFSETN, ty::SSVARIANT, ty::XML, ty::TEXT, ty::GUID] {
                    let mut w = Wire::new(reply(&body));
                    if w.next_message().await.is_ok() {
                        let mut info = TypeInfo::simple(t, framing_of(t).expect("known"));
                        info.scale = 7;
                        info.max_len = 0xFFFF;
                        let _ = value(&mut w, &info).await;
                        let _ = type_info(&mut w).await;
                    }
                }
            });
        }
    }
}
