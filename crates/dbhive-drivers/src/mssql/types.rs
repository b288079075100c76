//! SQL Server's types on the wire (TYPE_INFO) and their values as SSMS shows them:
//! decimal and money at full scale, dates and times at the column's precision,
//! datetimeoffset in its own offset, uniqueidentifier in SQL Server's mixed byte order,
//! varchar in its collation's code page, binary as 0x...

use dbhive_core::csv::CsvQuoting;
use dbhive_core::value::{ArrayStyle, BytesStyle, TextStyle, float32_shortest, float64_shortest};
use dbhive_core::{DbResult, Value};

use super::wire::protocol_error;

pub static MSSQL_TEXT_STYLE: TextStyle = TextStyle {
    bool_true: "1",
    bool_false: "0",
    float64: float64_shortest,
    float32: float32_shortest,
    bytes: BytesStyle::ZeroXUpper,
    array: ArrayStyle::Json,
    csv: CsvQuoting::Rfc4180,
};

/// Type bytes (MS-TDS 2.2.5.4).
pub mod ty {
    pub const NULL: u8 = 0x1F;
    pub const INT1: u8 = 0x30;
    pub const BIT: u8 = 0x32;
    pub const INT2: u8 = 0x34;
    pub const INT4: u8 = 0x38;
    pub const DATETIM4: u8 = 0x3A;
    pub const FLT4: u8 = 0x3B;
    pub const MONEY: u8 = 0x3C;
    pub const DATETIME: u8 = 0x3D;
    pub const FLT8: u8 = 0x3E;
    pub const MONEY4: u8 = 0x7A;
    pub const INT8: u8 = 0x7F;
    pub const GUID: u8 = 0x24;
    pub const INTN: u8 = 0x26;
    pub const DECIMAL: u8 = 0x37;
    pub const NUMERIC: u8 = 0x3F;
    pub const BITN: u8 = 0x68;
    pub const DECIMALN: u8 = 0x6A;
    pub const NUMERICN: u8 = 0x6C;
    pub const FLTN: u8 = 0x6D;
    pub const MONEYN: u8 = 0x6E;
    pub const DATETIMN: u8 = 0x6F;
    pub const DATEN: u8 = 0x28;
    pub const TIMEN: u8 = 0x29;
    pub const DATETIME2N: u8 = 0x2A;
    pub const DATETIMEOFFSETN: u8 = 0x2B;
    pub const CHAR: u8 = 0x2F;
    pub const VARCHAR: u8 = 0x27;
    pub const BINARY: u8 = 0x2D;
    pub const VARBINARY: u8 = 0x25;
    pub const BIGVARBINARY: u8 = 0xA5;
    pub const BIGVARCHAR: u8 = 0xA7;
    pub const BIGBINARY: u8 = 0xAD;
    pub const BIGCHAR: u8 = 0xAF;
    pub const NVARCHAR: u8 = 0xE7;
    pub const NCHAR: u8 = 0xEF;
    pub const XML: u8 = 0xF1;
    pub const UDT: u8 = 0xF0;
    pub const TEXT: u8 = 0x23;
    pub const IMAGE: u8 = 0x22;
    pub const NTEXT: u8 = 0x63;
    pub const SSVARIANT: u8 = 0x62;
}

/// How a value of the type is framed on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// Always this many bytes, never NULL.
    Fixed(usize),
    /// An 8-bit length, 0 for NULL.
    Byte,
    /// A 16-bit length, 0xFFFF for NULL.
    UShort,
    /// Partially length-prefixed: a 64-bit total, then chunks ((max) types, xml, UDT).
    Plp,
    /// text, ntext, image: a text pointer (none for NULL), a timestamp, a 32-bit length.
    TextPtr,
    /// sql_variant: a 32-bit length, 0 for NULL.
    Variant,
}

/// A varchar collation: which code page its bytes are in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Collation {
    pub lcid: u32,
    pub utf8: bool,
    pub sort_id: u8,
}

impl Collation {
    pub fn parse(b: [u8; 5]) -> Collation {
        let info = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        Collation {
            lcid: info & 0x000F_FFFF,
            utf8: info & (1 << 26) != 0,
            sort_id: b[4],
        }
    }

    /// The Windows code page of the collation's non-Unicode data.
    pub fn code_page(&self) -> u16 {
        if self.utf8 {
            return 65001;
        }
        if self.sort_id != 0 {
            return sort_id_code_page(self.sort_id);
        }
        lcid_code_page(self.lcid)
    }
}

/// SQL collations (SQL_Latin1_General_CP1_CI_AS and the like) name a sort order.
fn sort_id_code_page(sort_id: u8) -> u16 {
    match sort_id {
        30..=34 | 40..=44 => 437,
        49..=61 | 71..=75 | 183..=186 => 1252,
        80..=96 => 1250,
        104..=108 => 1251,
        112..=124 => 1253,
        128..=130 => 1254,
        136..=138 => 1255,
        144..=146 => 1256,
        152..=160 => 1257,
        _ => 1252,
    }
}

fn lcid_code_page(lcid: u32) -> u16 {
    match lcid & 0x3FF {
        0x04 => match lcid {
            0x0804 | 0x1004 => 936,
            _ => 950,
        },
        0x11 => 932,
        0x12 => 949,
        0x1E => 874,
        0x2A => 1258,
        0x05 | 0x0E | 0x15 | 0x18 | 0x1B | 0x1C | 0x24 => 1250,
        0x1A => match lcid {
            0x0C1A | 0x1C1A => 1251,
            _ => 1250,
        },
        0x19 | 0x22 | 0x23 | 0x02 | 0x2F | 0x3F | 0x44 | 0x50 => 1251,
        0x08 => 1253,
        0x1F | 0x2C => 1254,
        0x0D => 1255,
        0x01 | 0x20 | 0x29 => 1256,
        0x25..=0x27 => 1257,
        _ => 1252,
    }
}

fn encoding_for(code_page: u16) -> Option<&'static encoding_rs::Encoding> {
    Some(match code_page {
        65001 => encoding_rs::UTF_8,
        437 | 1252 => encoding_rs::WINDOWS_1252,
        874 => encoding_rs::WINDOWS_874,
        932 => encoding_rs::SHIFT_JIS,
        936 => encoding_rs::GBK,
        949 => encoding_rs::EUC_KR,
        950 => encoding_rs::BIG5,
        1250 => encoding_rs::WINDOWS_1250,
        1251 => encoding_rs::WINDOWS_1251,
        1253 => encoding_rs::WINDOWS_1253,
        1254 => encoding_rs::WINDOWS_1254,
        1255 => encoding_rs::WINDOWS_1255,
        1256 => encoding_rs::WINDOWS_1256,
        1257 => encoding_rs::WINDOWS_1257,
        1258 => encoding_rs::WINDOWS_1258,
        _ => return None,
    })
}

/// A column's (or parameter's) type as TYPE_INFO describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeInfo {
    pub ty: u8,
    pub framing: Framing,
    /// Declared length in bytes (0xFFFF for (max)); for INTN/FLTN..., the value size.
    pub max_len: u32,
    pub precision: u8,
    pub scale: u8,
    pub collation: Option<Collation>,
    /// A UDT's name (hierarchyid, geometry...).
    pub udt: Option<String>,
}

impl TypeInfo {
    pub fn simple(ty: u8, framing: Framing) -> TypeInfo {
        TypeInfo {
            ty,
            framing,
            max_len: 0,
            precision: 0,
            scale: 0,
            collation: None,
            udt: None,
        }
    }

    /// The type as SQL Server names it in DDL: `int`, `nvarchar(50)`, `decimal(10,2)`.
    pub fn name(&self) -> String {
        use ty::*;
        let chars = |n: u32, per: u32| {
            if n == 0xFFFF {
                "max".to_string()
            } else {
                (n / per).to_string()
            }
        };
        match self.ty {
            NULL => "null".into(),
            INT1 => "tinyint".into(),
            BIT | BITN => "bit".into(),
            INT2 => "smallint".into(),
            INT4 => "int".into(),
            INT8 => "bigint".into(),
            INTN => match self.max_len {
                1 => "tinyint",
                2 => "smallint",
                8 => "bigint",
                _ => "int",
            }
            .into(),
            DATETIM4 => "smalldatetime".into(),
            DATETIME => "datetime".into(),
            DATETIMN if self.max_len == 4 => "smalldatetime".into(),
            DATETIMN => "datetime".into(),
            FLT4 => "real".into(),
            FLT8 => "float".into(),
            FLTN if self.max_len == 4 => "real".into(),
            FLTN => "float".into(),
            MONEY4 => "smallmoney".into(),
            MONEY => "money".into(),
            MONEYN if self.max_len == 4 => "smallmoney".into(),
            MONEYN => "money".into(),
            GUID => "uniqueidentifier".into(),
            DECIMAL | DECIMALN => format!("decimal({},{})", self.precision, self.scale),
            NUMERIC | NUMERICN => format!("numeric({},{})", self.precision, self.scale),
            DATEN => "date".into(),
            TIMEN => format!("time({})", self.scale),
            DATETIME2N => format!("datetime2({})", self.scale),
            DATETIMEOFFSETN => format!("datetimeoffset({})", self.scale),
            CHAR | BIGCHAR => format!("char({})", chars(self.max_len, 1)),
            VARCHAR | BIGVARCHAR => format!("varchar({})", chars(self.max_len, 1)),
            BINARY | BIGBINARY => format!("binary({})", chars(self.max_len, 1)),
            VARBINARY | BIGVARBINARY => format!("varbinary({})", chars(self.max_len, 1)),
            NCHAR => format!("nchar({})", chars(self.max_len, 2)),
            NVARCHAR => format!("nvarchar({})", chars(self.max_len, 2)),
            XML => "xml".into(),
            TEXT => "text".into(),
            NTEXT => "ntext".into(),
            IMAGE => "image".into(),
            SSVARIANT => "sql_variant".into(),
            UDT => self.udt.clone().unwrap_or_else(|| "udt".into()),
            other => format!("type {other:#04x}"),
        }
    }
}

/// The framing of a type byte, or None for one this client does not know.
pub fn framing_of(t: u8) -> Option<Framing> {
    use ty::*;
    Some(match t {
        NULL => Framing::Fixed(0),
        INT1 | BIT => Framing::Fixed(1),
        INT2 => Framing::Fixed(2),
        INT4 | DATETIM4 | FLT4 | MONEY4 => Framing::Fixed(4),
        MONEY | DATETIME | FLT8 | INT8 => Framing::Fixed(8),
        GUID | INTN | DECIMAL | NUMERIC | BITN | DECIMALN | NUMERICN | FLTN | MONEYN | DATETIMN
        | DATEN | TIMEN | DATETIME2N | DATETIMEOFFSETN | CHAR | VARCHAR | BINARY | VARBINARY => {
            Framing::Byte
        }
        BIGVARBINARY | BIGVARCHAR | BIGBINARY | BIGCHAR | NVARCHAR | NCHAR => Framing::UShort,
        XML | UDT => Framing::Plp,
        TEXT | IMAGE | NTEXT => Framing::TextPtr,
        SSVARIANT => Framing::Variant,
        _ => return None,
    })
}

/// Days from 1970-01-01 to the civil date (proleptic Gregorian), as (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days from 0001-01-01 to 1970-01-01, and from 1900-01-01.
const DAYS_0001: i64 = 719_162;
const DAYS_1900: i64 = 25_567;

fn date_text(days_since_1970: i64) -> String {
    let (y, m, d) = civil_from_days(days_since_1970);
    format!("{y:04}-{m:02}-{d:02}")
}

fn le_uint(b: &[u8]) -> u128 {
    b.iter()
        .rev()
        .fold(0u128, |acc, &x| (acc << 8) | u128::from(x))
}

/// `units` of 10^-scale seconds since midnight as HH:MM:SS[.fffffff].
fn time_text(units: u128, scale: u8) -> String {
    let per_sec = 10u128.pow(u32::from(scale));
    let secs = units / per_sec;
    let frac = units % per_sec;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if scale == 0 {
        format!("{h:02}:{m:02}:{s:02}")
    } else {
        format!(
            "{h:02}:{m:02}:{s:02}.{frac:0width$}",
            width = scale as usize
        )
    }
}

fn decimal_text(sign: u8, magnitude: u128, scale: u8) -> String {
    let digits = magnitude.to_string();
    let scale = scale as usize;
    let mut s = String::with_capacity(digits.len() + 3);
    if sign == 0 && magnitude != 0 {
        s.push('-');
    }
    if scale == 0 {
        s.push_str(&digits);
        return s;
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    s.push_str(int);
    s.push('.');
    s.push_str(frac);
    s
}

fn money_text(units: i64) -> String {
    let sign = if units < 0 { "-" } else { "" };
    let abs = units.unsigned_abs();
    format!("{sign}{}.{:04}", abs / 10_000, abs % 10_000)
}

fn guid_text(b: &[u8]) -> String {
    format!(
        "{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}",
        u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        u16::from_le_bytes([b[4], b[5]]),
        u16::from_le_bytes([b[6], b[7]]),
        b[8],
        b[9],
        b[10],
        b[11],
        b[12],
        b[13],
        b[14],
        b[15]
    )
}

fn datetime_text(days: i32, ticks: u32) -> String {
    // 1/300 s ticks, shown in milliseconds as SQL Server rounds them (.000, .003, .007).
    let ms = (u64::from(ticks) * 10 + 1) / 3;
    let secs = ms / 1000;
    format!(
        "{} {:02}:{:02}:{:02}.{:03}",
        date_text(i64::from(days) - DAYS_1900),
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        ms % 1000
    )
}

/// Text whose bytes are UTF-16LE; with a lone surrogate the bytes are kept as they came.
fn utf16_value(raw: Vec<u8>) -> Value {
    if !raw.len().is_multiple_of(2) {
        return Value::Bytes(raw);
    }
    let units: Vec<u16> = raw
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    match String::from_utf16(&units) {
        Ok(s) => Value::Text(s),
        Err(_) => Value::Bytes(raw),
    }
}

fn code_page_value(raw: Vec<u8>, collation: Option<Collation>) -> Value {
    let code_page = collation.map(|c| c.code_page()).unwrap_or(1252);
    if raw.is_ascii() {
        // Every code page SQL Server uses keeps ASCII as it is.
        return match String::from_utf8(raw) {
            Ok(s) => Value::Text(s),
            Err(e) => Value::Bytes(e.into_bytes()),
        };
    }
    match encoding_for(code_page)
        .and_then(|enc| enc.decode_without_bom_handling_and_without_replacement(&raw))
    {
        Some(text) => Value::Text(text.into_owned()),
        None => Value::Bytes(raw),
    }
}

fn short(t: &TypeInfo, raw: &[u8], want: usize) -> DbResult<()> {
    if raw.len() < want {
        return Err(protocol_error(format!(
            "a {} value of {} bytes, expected {want}",
            t.name(),
            raw.len()
        )));
    }
    Ok(())
}

/// The value of `raw` (its bytes, without length prefix) for type `t`.
pub fn decode(t: &TypeInfo, raw: Vec<u8>) -> DbResult<Value> {
    use ty::*;
    let n = raw.len();
    Ok(match t.ty {
        NULL => Value::Null,
        INT1 | INT2 | INT4 | INT8 | INTN => match n {
            1 => Value::Int(i64::from(raw[0])),
            2 => Value::Int(i64::from(i16::from_le_bytes([raw[0], raw[1]]))),
            4 => Value::Int(i64::from(i32::from_le_bytes([
                raw[0], raw[1], raw[2], raw[3],
            ]))),
            8 => Value::Int(i64::from_le_bytes(raw[..8].try_into().unwrap_or_default())),
            _ => return Err(protocol_error(format!("an integer of {n} bytes"))),
        },
        BIT | BITN => {
            short(t, &raw, 1)?;
            Value::Bool(raw[0] != 0)
        }
        FLT4 | FLT8 | FLTN => match n {
            4 => Value::Float32(f32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]])),
            8 => Value::Float(f64::from_le_bytes(raw[..8].try_into().unwrap_or_default())),
            _ => return Err(protocol_error(format!("a float of {n} bytes"))),
        },
        MONEY4 | MONEY | MONEYN => match n {
            4 => Value::Decimal(money_text(i64::from(i32::from_le_bytes([
                raw[0], raw[1], raw[2], raw[3],
            ])))),
            8 => {
                let hi = i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
                let lo = u32::from_le_bytes([raw[4], raw[5], raw[6], raw[7]]);
                Value::Decimal(money_text((i64::from(hi) << 32) | i64::from(lo)))
            }
            _ => return Err(protocol_error(format!("a money value of {n} bytes"))),
        },
        DATETIM4 | DATETIME | DATETIMN => match n {
            4 => {
                let days = u16::from_le_bytes([raw[0], raw[1]]);
                let mins = u16::from_le_bytes([raw[2], raw[3]]);
                Value::Timestamp(format!(
                    "{} {:02}:{:02}:00",
                    date_text(i64::from(days) - DAYS_1900),
                    mins / 60,
                    mins % 60
                ))
            }
            8 => {
                let days = i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
                let ticks = u32::from_le_bytes([raw[4], raw[5], raw[6], raw[7]]);
                Value::Timestamp(datetime_text(days, ticks))
            }
            _ => return Err(protocol_error(format!("a datetime of {n} bytes"))),
        },
        GUID => {
            short(t, &raw, 16)?;
            Value::Uuid(guid_text(&raw))
        }
        DECIMAL | NUMERIC | DECIMALN | NUMERICN => {
            if !(2..=17).contains(&n) {
                return Err(protocol_error(format!("a decimal of {n} bytes")));
            }
            Value::Decimal(decimal_text(raw[0], le_uint(&raw[1..]), t.scale))
        }
        DATEN => {
            short(t, &raw, 3)?;
            Value::Date(date_text(le_uint(&raw[..3]) as i64 - DAYS_0001))
        }
        TIMEN => {
            if !(3..=5).contains(&n) {
                return Err(protocol_error(format!("a time of {n} bytes")));
            }
            Value::Time(time_text(le_uint(&raw), t.scale.min(7)))
        }
        DATETIME2N | DATETIMEOFFSETN => {
            let offset_len = if t.ty == DATETIMEOFFSETN { 2 } else { 0 };
            if n < 6 + offset_len || n > 8 + offset_len {
                return Err(protocol_error(format!("a {} of {n} bytes", t.name())));
            }
            let time_len = n - 3 - offset_len;
            let scale = t.scale.min(7);
            let time = le_uint(&raw[..time_len]);
            let days = le_uint(&raw[time_len..time_len + 3]) as i64 - DAYS_0001;
            if t.ty == DATETIME2N {
                Value::Timestamp(format!("{} {}", date_text(days), time_text(time, scale)))
            } else {
                // Stored in UTC; shown in its own offset, as SQL Server prints it.
                let offset = i16::from_le_bytes([raw[n - 2], raw[n - 1]]);
                let per_day = 86_400i128 * 10i128.pow(u32::from(scale));
                let per_min = 60i128 * 10i128.pow(u32::from(scale));
                let local =
                    i128::from(days) * per_day + time as i128 + i128::from(offset) * per_min;
                let (ld, lt) = (local.div_euclid(per_day), local.rem_euclid(per_day));
                let sign = if offset < 0 { '-' } else { '+' };
                let off = offset.unsigned_abs();
                Value::TimestampTz(format!(
                    "{} {} {sign}{:02}:{:02}",
                    date_text(ld as i64),
                    time_text(lt as u128, scale),
                    off / 60,
                    off % 60
                ))
            }
        }
        CHAR | VARCHAR | BIGCHAR | BIGVARCHAR | TEXT => code_page_value(raw, t.collation),
        NCHAR | NVARCHAR | NTEXT | XML => utf16_value(raw),
        BINARY | VARBINARY | BIGBINARY | BIGVARBINARY | IMAGE | UDT => Value::Bytes(raw),
        SSVARIANT => decode_variant(raw)?,
        other => {
            return Err(protocol_error(format!(
                "a value of unknown type {other:#04x}"
            )));
        }
    })
}

/// sql_variant: the base type, its properties, then the value.
fn decode_variant(raw: Vec<u8>) -> DbResult<Value> {
    use ty::*;
    let bad = || protocol_error("a malformed sql_variant value");
    let base = *raw.first().ok_or_else(bad)?;
    let props = *raw.get(1).ok_or_else(bad)? as usize;
    let p = raw.get(2..2 + props).ok_or_else(bad)?;
    let data = raw.get(2 + props..).ok_or_else(bad)?.to_vec();
    let mut t = TypeInfo::simple(base, framing_of(base).ok_or_else(bad)?);
    match base {
        DECIMALN | NUMERICN if props >= 2 => {
            t.precision = p[0];
            t.scale = p[1];
        }
        TIMEN | DATETIME2N | DATETIMEOFFSETN if props >= 1 => t.scale = p[0],
        BIGVARCHAR | BIGCHAR if props >= 5 => {
            t.collation = Some(Collation::parse([p[0], p[1], p[2], p[3], p[4]]));
        }
        _ => {}
    }
    t.max_len = data.len() as u32;
    decode(&t, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ty: u8, scale: u8) -> TypeInfo {
        let mut t = TypeInfo::simple(ty, framing_of(ty).expect("known"));
        t.scale = scale;
        t
    }

    fn text(v: Value) -> String {
        let mut out = Vec::new();
        MSSQL_TEXT_STYLE.write(&v, &mut out);
        String::from_utf8(out).expect("utf8")
    }

    #[test]
    fn numbers_print_as_ssms_prints_them() {
        let d = decode(&t(ty::DECIMALN, 2), vec![0, 0x39, 0x30, 0, 0]).expect("decimal");
        assert_eq!(text(d), "-123.45");
        let d = decode(
            &t(ty::DECIMALN, 38),
            [vec![1], vec![1], vec![0; 15]].concat(),
        );
        assert_eq!(
            text(d.expect("tiny")),
            "0.00000000000000000000000000000000000001"
        );
        let max = [vec![1u8], (10u128.pow(38) - 1).to_le_bytes().to_vec()].concat();
        assert_eq!(
            text(decode(&t(ty::DECIMALN, 0), max).expect("max")),
            "99999999999999999999999999999999999999"
        );
        let money = (-1234567i64).to_le_bytes();
        let wire = [&money[4..8], &money[0..4]].concat();
        assert_eq!(
            text(decode(&t(ty::MONEYN, 0), wire).expect("money")),
            "-123.4567"
        );
        assert_eq!(
            text(decode(&t(ty::MONEYN, 0), 5000i32.to_le_bytes().to_vec()).expect("smallmoney")),
            "0.5000"
        );
        assert_eq!(text(decode(&t(ty::BITN, 0), vec![1]).expect("bit")), "1");
    }

    #[test]
    fn dates_and_times_at_their_precision() {
        // 2024-02-29 is day 738944 since 0001-01-01.
        let date = 738_944u32.to_le_bytes();
        assert_eq!(
            text(decode(&t(ty::DATEN, 0), date[..3].to_vec()).expect("date")),
            "2024-02-29"
        );
        assert_eq!(
            text(decode(&t(ty::DATEN, 0), vec![0, 0, 0]).expect("0001")),
            "0001-01-01"
        );
        // 13:14:15.1234567 at scale 7.
        let units: u64 = (13 * 3600 + 14 * 60 + 15) * 10_000_000 + 1_234_567;
        let time = &units.to_le_bytes()[..5];
        assert_eq!(
            text(decode(&t(ty::TIMEN, 7), time.to_vec()).expect("time")),
            "13:14:15.1234567"
        );
        let dt2 = [time, &date[..3]].concat();
        assert_eq!(
            text(decode(&t(ty::DATETIME2N, 7), dt2.clone()).expect("datetime2")),
            "2024-02-29 13:14:15.1234567"
        );
        // The same instant in UTC at +05:30 is 18:44:15.1234567 local.
        let dto = [dt2, 330i16.to_le_bytes().to_vec()].concat();
        assert_eq!(
            text(decode(&t(ty::DATETIMEOFFSETN, 7), dto).expect("dto")),
            "2024-02-29 18:44:15.1234567 +05:30"
        );
        let secs: u32 = 3;
        assert_eq!(
            text(decode(&t(ty::TIMEN, 0), secs.to_le_bytes()[..3].to_vec()).expect("t0")),
            "00:00:03"
        );
        // datetime: 1900-01-01 plus 2 ticks (6.67 ms) shows .007; 1753-01-01 is day -53690.
        let dt = [0i32.to_le_bytes(), 2u32.to_le_bytes()].concat();
        assert_eq!(
            text(decode(&t(ty::DATETIMN, 0), dt).expect("datetime")),
            "1900-01-01 00:00:00.007"
        );
        let dt = [(-53690i32).to_le_bytes(), 25_919_999u32.to_le_bytes()].concat();
        assert_eq!(
            text(decode(&t(ty::DATETIMN, 0), dt).expect("min")),
            "1753-01-01 23:59:59.997"
        );
        let sdt = [1u16.to_le_bytes(), 61u16.to_le_bytes()].concat();
        assert_eq!(
            text(decode(&t(ty::DATETIMN, 0), sdt).expect("smalldatetime")),
            "1900-01-02 01:01:00"
        );
    }

    #[test]
    fn text_binary_and_guids() {
        let guid = [
            0xFF, 0x19, 0x96, 0x6F, 0x86, 0x8B, 0x11, 0xD0, 0xB4, 0x2D, 0x00, 0xC0, 0x4F, 0xC9,
            0x64, 0xFF,
        ];
        assert_eq!(
            text(decode(&t(ty::GUID, 0), guid.to_vec()).expect("guid")),
            "6F9619FF-8B86-D011-B42D-00C04FC964FF"
        );
        assert_eq!(
            text(decode(&t(ty::BIGVARBINARY, 0), vec![0, 0xAB]).expect("bin")),
            "0x00AB"
        );
        let mut latin = t(ty::BIGVARCHAR, 0);
        latin.collation = Some(Collation::parse([0x09, 0x04, 0xD0, 0x00, 0x34]));
        assert_eq!(
            text(decode(&latin, vec![b'c', 0xE9]).expect("cp1252")),
            "cé"
        );
        let mut cyr = t(ty::BIGVARCHAR, 0);
        cyr.collation = Some(Collation::parse([0x19, 0x04, 0xD0, 0x00, 0x00]));
        assert_eq!(text(decode(&cyr, vec![0xC4, 0xE0]).expect("cp1251")), "Да");
        let n = "日本語 🐝"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(
            text(decode(&t(ty::NVARCHAR, 0), n).expect("nvarchar")),
            "日本語 🐝"
        );
        // A lone surrogate is kept as bytes, not replaced.
        assert_eq!(
            decode(&t(ty::NVARCHAR, 0), vec![0x00, 0xD8]).expect("lone"),
            Value::Bytes(vec![0x00, 0xD8])
        );
    }

    #[test]
    fn malformed_values_are_errors_not_panics() {
        for (ty, raw) in [
            (ty::INTN, vec![1, 2, 3]),
            (ty::GUID, vec![1]),
            (ty::DECIMALN, vec![1]),
            (ty::DATEN, vec![1]),
            (ty::TIMEN, vec![1, 2]),
            (ty::DATETIME2N, vec![1, 2, 3]),
            (ty::DATETIMEOFFSETN, vec![1; 12]),
            (ty::MONEYN, vec![1; 3]),
            (ty::SSVARIANT, vec![ty::INTN]),
            (ty::SSVARIANT, vec![0x99, 0]),
        ] {
            assert!(decode(&t(ty, 7), raw).is_err(), "type {ty:#04x}");
        }
        let v = [vec![ty::INTN, 0], 7i32.to_le_bytes().to_vec()].concat();
        assert_eq!(
            decode(&t(ty::SSVARIANT, 0), v).expect("variant"),
            Value::Int(7)
        );
    }
}
