//! MySQL / MariaDB column types: display names, and the server's text (text protocol) to
//! [`Value`]. Numbers the server formats (DECIMAL, FLOAT, DOUBLE) keep its text, so nothing
//! is rounded twice; integers become integers; binary strings, BIT and GEOMETRY stay bytes.

use std::sync::Arc;

use dbhive_core::csv::CsvQuoting;
use dbhive_core::value::{float32_shortest, float64_shortest};
use dbhive_core::{ArrayStyle, BytesStyle, TextStyle, Value};

use super::protocol::{BINARY_CHARSET, ColumnDef, UNSIGNED_FLAG};

/// How exports spell MySQL values: the server's text, binary data as \x hex (the UI's
/// spelling; the mariadb client would print the raw bytes), CSV quoted as RFC 4180.
pub static MYSQL_TEXT_STYLE: TextStyle = TextStyle {
    bool_true: "1",
    bool_false: "0",
    float64: float64_shortest,
    float32: float32_shortest,
    bytes: BytesStyle::BackslashHex,
    array: ArrayStyle::Json,
    csv: CsvQuoting::Rfc4180,
};

const ZEROFILL_FLAG: u16 = 64;
const ENUM_FLAG: u16 = 256;
const SET_FLAG: u16 = 2048;

#[derive(Clone, Debug, PartialEq)]
pub enum Decoder {
    Int { unsigned: bool },
    Number,
    Text,
    Bytes,
    Json,
    Date,
    Time,
    Timestamp,
    Null,
    Other(Arc<str>),
}

pub fn decoder(c: &ColumnDef) -> Decoder {
    let binary = c.charset == BINARY_CHARSET;
    match c.column_type {
        // ZEROFILL (and YEAR, which carries the flag) keep their padding: 00042, 0000.
        1 | 2 | 3 | 8 | 9 | 13 if c.flags & ZEROFILL_FLAG != 0 => Decoder::Number,
        1 | 2 | 3 | 8 | 9 | 13 => Decoder::Int {
            unsigned: c.flags & UNSIGNED_FLAG != 0,
        },
        0 | 4 | 5 | 246 => Decoder::Number,
        6 => Decoder::Null,
        10 | 14 => Decoder::Date,
        11 | 19 => Decoder::Time,
        7 | 12 | 17 | 18 => Decoder::Timestamp,
        16 | 255 => Decoder::Bytes,
        245 => Decoder::Json,
        15 | 247 | 248 | 249..=254 => {
            if binary {
                Decoder::Bytes
            } else {
                Decoder::Text
            }
        }
        t => Decoder::Other(Arc::from(format!("type {t}"))),
    }
}

/// The type name shown in the grid, from the column's type code, flags and character set.
pub fn type_name(c: &ColumnDef) -> String {
    let binary = c.charset == BINARY_CHARSET;
    let unsigned = if c.flags & UNSIGNED_FLAG != 0 {
        " UNSIGNED"
    } else {
        ""
    };
    let base = match c.column_type {
        0 | 246 => "DECIMAL",
        1 => "TINYINT",
        2 => "SMALLINT",
        3 => "INT",
        4 => "FLOAT",
        5 => "DOUBLE",
        6 => "NULL",
        7 | 17 => "TIMESTAMP",
        8 => "BIGINT",
        9 => "MEDIUMINT",
        10 | 14 => "DATE",
        11 | 19 => "TIME",
        12 | 18 => "DATETIME",
        13 => "YEAR",
        16 => "BIT",
        245 => "JSON",
        255 => "GEOMETRY",
        247 => "ENUM",
        248 => "SET",
        254 if c.flags & ENUM_FLAG != 0 => "ENUM",
        254 if c.flags & SET_FLAG != 0 => "SET",
        254 => {
            if binary {
                "BINARY"
            } else {
                "CHAR"
            }
        }
        15 | 253 => {
            if binary {
                "VARBINARY"
            } else {
                "VARCHAR"
            }
        }
        249..=252 => {
            if binary {
                "BLOB"
            } else {
                "TEXT"
            }
        }
        _ => "UNKNOWN",
    };
    let numeric = matches!(c.column_type, 1 | 2 | 3 | 8 | 9 | 0 | 246 | 4 | 5);
    if numeric {
        format!("{base}{unsigned}")
    } else {
        base.to_string()
    }
}

#[inline]
fn text_or_bytes(raw: &[u8], make: impl FnOnce(String) -> Value) -> Value {
    match std::str::from_utf8(raw) {
        Ok(s) => make(s.to_owned()),
        Err(_) => Value::Bytes(raw.to_vec()),
    }
}

#[inline]
fn parse_u64(raw: &[u8]) -> Option<u64> {
    if raw.is_empty() || raw.len() > 20 {
        return None;
    }
    let mut n: u64 = 0;
    for &c in raw {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    Some(n)
}

#[inline]
pub fn decode(d: &Decoder, raw: &[u8]) -> Value {
    match d {
        Decoder::Int { unsigned } => {
            let (neg, digits) = match raw.first() {
                Some(b'-') => (true, &raw[1..]),
                _ => (false, raw),
            };
            match parse_u64(digits) {
                Some(n) if neg && n <= i64::MAX as u64 + 1 => {
                    Value::Int((n as i128).wrapping_neg() as i64)
                }
                Some(n) if !neg && n <= i64::MAX as u64 => Value::Int(n as i64),
                Some(n) if !neg && *unsigned => Value::UInt(n),
                _ => text_or_bytes(raw, Value::Decimal),
            }
        }
        Decoder::Number => text_or_bytes(raw, Value::Decimal),
        Decoder::Text => text_or_bytes(raw, Value::Text),
        Decoder::Bytes => Value::Bytes(raw.to_vec()),
        Decoder::Json => text_or_bytes(raw, Value::Json),
        Decoder::Date => text_or_bytes(raw, Value::Date),
        Decoder::Time => text_or_bytes(raw, Value::Time),
        Decoder::Timestamp => text_or_bytes(raw, Value::Timestamp),
        Decoder::Null => Value::Null,
        Decoder::Other(name) => text_or_bytes(raw, |text| Value::Other {
            type_name: name.clone(),
            text,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_of_every_width() {
        let signed = Decoder::Int { unsigned: false };
        let unsigned = Decoder::Int { unsigned: true };
        assert_eq!(
            decode(&signed, b"-9223372036854775808"),
            Value::Int(i64::MIN)
        );
        assert_eq!(
            decode(&signed, b"9223372036854775807"),
            Value::Int(i64::MAX)
        );
        assert_eq!(
            decode(&unsigned, b"18446744073709551615"),
            Value::UInt(u64::MAX)
        );
        assert_eq!(decode(&unsigned, b"7"), Value::Int(7));
        assert_eq!(decode(&Decoder::Text, &[0xff]), Value::Bytes(vec![0xff]));
    }
}
