//! PostgreSQL types: how each OID's text form becomes a [`Value`], the names shown for them,
//! and the array literal parser. Unknown OIDs (extensions, enums, domains, composites) are
//! described by a catalog lookup and cached per database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use dbhive_core::csv::CsvQuoting;
use dbhive_core::value::{float32_postgres, float64_postgres};
use dbhive_core::{ArrayStyle, BytesStyle, TextStyle, Value};

/// PostgreSQL's text conventions (what COPY and psql print).
pub static PG_TEXT_STYLE: TextStyle = TextStyle {
    bool_true: "t",
    bool_false: "f",
    float64: float64_postgres,
    float32: float32_postgres,
    bytes: BytesStyle::BackslashHex,
    array: ArrayStyle::Braces,
    csv: CsvQuoting::PostgresCopy,
};

/// How to turn one column's text into a Value.
#[derive(Clone, Debug, PartialEq)]
pub enum Decoder {
    Bool,
    Int,
    Float4,
    Float8,
    Numeric,
    Text,
    Bytea,
    Json,
    Date,
    Time,
    Timestamp,
    TimestampTz,
    Uuid,
    /// An array with ',' between elements.
    Array(Box<Decoder>),
    /// Kept as text, labelled with the type's name.
    Other(Arc<str>),
}

/// A type as DB-Hive needs it: a display name and a decoder.
#[derive(Clone, Debug)]
pub struct PgType {
    pub name: Arc<str>,
    pub decoder: Decoder,
}

fn other(name: &str) -> Decoder {
    Decoder::Other(Arc::from(name))
}

/// Built-in types, by OID (stable across PostgreSQL versions: they are in pg_type.dat).
pub fn builtin(oid: u32) -> Option<PgType> {
    let (name, decoder) = match oid {
        16 => ("bool", Decoder::Bool),
        17 => ("bytea", Decoder::Bytea),
        18 => ("char", Decoder::Text),
        19 => ("name", Decoder::Text),
        20 => ("int8", Decoder::Int),
        21 => ("int2", Decoder::Int),
        23 => ("int4", Decoder::Int),
        24 => ("regproc", Decoder::Text),
        25 => ("text", Decoder::Text),
        26 => ("oid", Decoder::Int),
        28 => ("xid", Decoder::Int),
        29 => ("cid", Decoder::Int),
        114 => ("json", Decoder::Json),
        142 => ("xml", other("xml")),
        194 => ("pg_node_tree", Decoder::Text),
        600 => ("point", other("point")),
        601 => ("lseg", other("lseg")),
        602 => ("path", other("path")),
        603 => ("box", other("box")),
        604 => ("polygon", other("polygon")),
        628 => ("line", other("line")),
        650 => ("cidr", other("cidr")),
        700 => ("float4", Decoder::Float4),
        701 => ("float8", Decoder::Float8),
        705 => ("unknown", Decoder::Text),
        718 => ("circle", other("circle")),
        774 => ("macaddr8", other("macaddr8")),
        790 => ("money", other("money")),
        829 => ("macaddr", other("macaddr")),
        869 => ("inet", other("inet")),
        1033 => ("aclitem", other("aclitem")),
        1042 => ("bpchar", Decoder::Text),
        1043 => ("varchar", Decoder::Text),
        1082 => ("date", Decoder::Date),
        1083 => ("time", Decoder::Time),
        1114 => ("timestamp", Decoder::Timestamp),
        1184 => ("timestamptz", Decoder::TimestampTz),
        1186 => ("interval", other("interval")),
        1266 => ("timetz", Decoder::Time),
        1560 => ("bit", other("bit")),
        1562 => ("varbit", other("varbit")),
        1700 => ("numeric", Decoder::Numeric),
        1790 => ("refcursor", Decoder::Text),
        2202 => ("regprocedure", Decoder::Text),
        2203 => ("regoper", Decoder::Text),
        2204 => ("regoperator", Decoder::Text),
        2205 => ("regclass", Decoder::Text),
        2206 => ("regtype", Decoder::Text),
        2249 => ("record", other("record")),
        2275 => ("cstring", Decoder::Text),
        2278 => ("void", other("void")),
        2950 => ("uuid", Decoder::Uuid),
        3220 => ("pg_lsn", other("pg_lsn")),
        3614 => ("tsvector", other("tsvector")),
        3615 => ("tsquery", other("tsquery")),
        3734 => ("regconfig", Decoder::Text),
        3802 => ("jsonb", Decoder::Json),
        3904 => ("int4range", other("int4range")),
        3906 => ("numrange", other("numrange")),
        3908 => ("tsrange", other("tsrange")),
        3910 => ("tstzrange", other("tstzrange")),
        3912 => ("daterange", other("daterange")),
        3926 => ("int8range", other("int8range")),
        4072 => ("jsonpath", other("jsonpath")),
        4089 => ("regnamespace", Decoder::Text),
        4096 => ("regrole", Decoder::Text),
        4451 => ("int4multirange", other("int4multirange")),
        4532 => ("nummultirange", other("nummultirange")),
        4533 => ("tsmultirange", other("tsmultirange")),
        4534 => ("tstzmultirange", other("tstzmultirange")),
        4535 => ("datemultirange", other("datemultirange")),
        4536 => ("int8multirange", other("int8multirange")),
        5038 => ("pg_snapshot", other("pg_snapshot")),
        _ => return builtin_array(oid),
    };
    Some(PgType {
        name: Arc::from(name),
        decoder,
    })
}

fn builtin_array(oid: u32) -> Option<PgType> {
    let element = match oid {
        1000 => 16,
        1001 => 17,
        1002 => 18,
        1003 => 19,
        1016 => 20,
        1005 => 21,
        1007 => 23,
        1009 => 25,
        1028 => 26,
        199 => 114,
        143 => 142,
        1017 => 600,
        1018 => 601,
        1019 => 602,
        1020 => 603,
        1027 => 604,
        629 => 628,
        651 => 650,
        1021 => 700,
        1022 => 701,
        719 => 718,
        775 => 774,
        791 => 790,
        1040 => 829,
        1041 => 869,
        1014 => 1042,
        1015 => 1043,
        1182 => 1082,
        1183 => 1083,
        1115 => 1114,
        1185 => 1184,
        1187 => 1186,
        1270 => 1266,
        1561 => 1560,
        1563 => 1562,
        1231 => 1700,
        2951 => 2950,
        3643 => 3614,
        3645 => 3615,
        3807 => 3802,
        3905 => 3904,
        3907 => 3906,
        3909 => 3908,
        3911 => 3910,
        3913 => 3912,
        3927 => 3926,
        _ => return None,
    };
    let elem = builtin(element)?;
    // box is the one built-in type whose array delimiter is ';'.
    let delimiter = if element == 603 { b';' } else { b',' };
    Some(array_of(&elem, delimiter))
}

pub fn array_of(element: &PgType, delimiter: u8) -> PgType {
    let name: Arc<str> = Arc::from(format!("{}[]", element.name));
    // Arrays are rendered back with ',' between elements; the rare other delimiter (box
    // uses ';') keeps the server's text instead.
    let decoder = if delimiter == b',' {
        Decoder::Array(Box::new(element.decoder.clone()))
    } else {
        Decoder::Other(name.clone())
    };
    PgType { name, decoder }
}

/// Types looked up in one database's catalog, by OID.
#[derive(Default)]
pub struct TypeCache {
    types: Mutex<HashMap<u32, PgType>>,
}

impl TypeCache {
    pub fn get(&self, oid: u32) -> Option<PgType> {
        builtin(oid).or_else(|| self.types.lock().ok()?.get(&oid).cloned())
    }

    pub fn insert(&self, oid: u32, ty: PgType) {
        if let Ok(mut m) = self.types.lock() {
            m.insert(oid, ty);
        }
    }
}

/// The Value for one non-NULL field, given as the server's text.
#[inline]
pub fn decode(decoder: &Decoder, raw: &[u8]) -> Value {
    match decoder {
        Decoder::Int => match parse_i64(raw) {
            Some(i) => Value::Int(i),
            None => text_or_bytes(raw, Value::Decimal),
        },
        Decoder::Text => text_or_bytes(raw, Value::Text),
        Decoder::Bool => match raw {
            b"t" => Value::Bool(true),
            b"f" => Value::Bool(false),
            _ => text_or_bytes(raw, Value::Text),
        },
        Decoder::Float8 => match std::str::from_utf8(raw)
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
        {
            Some(f) => Value::Float(f),
            None => text_or_bytes(raw, Value::Decimal),
        },
        Decoder::Float4 => match std::str::from_utf8(raw)
            .ok()
            .and_then(|s| s.parse::<f32>().ok())
        {
            Some(f) => Value::Float32(f),
            None => text_or_bytes(raw, Value::Decimal),
        },
        Decoder::Numeric => text_or_bytes(raw, Value::Decimal),
        Decoder::Bytea => match decode_bytea(raw) {
            Some(b) => Value::Bytes(b),
            None => text_or_bytes(raw, |text| Value::Other {
                type_name: Arc::from("bytea"),
                text,
            }),
        },
        Decoder::Json => text_or_bytes(raw, Value::Json),
        Decoder::Date => text_or_bytes(raw, Value::Date),
        Decoder::Time => text_or_bytes(raw, Value::Time),
        Decoder::Timestamp => text_or_bytes(raw, Value::Timestamp),
        Decoder::TimestampTz => text_or_bytes(raw, Value::TimestampTz),
        Decoder::Uuid => text_or_bytes(raw, Value::Uuid),
        Decoder::Array(element) => match parse_array(raw, b',', element) {
            Some(items) => Value::Array(items),
            // Non-default bounds ("[2:3]={...}") or anything odd: keep the server's text.
            None => text_or_bytes(raw, |text| Value::Other {
                type_name: Arc::from("array"),
                text,
            }),
        },
        Decoder::Other(name) => text_or_bytes(raw, |text| Value::Other {
            type_name: name.clone(),
            text,
        }),
    }
}

/// The server sends UTF-8 (we ask for it); anything else is kept as bytes, never replaced.
#[inline]
fn text_or_bytes(raw: &[u8], make: impl FnOnce(String) -> Value) -> Value {
    match std::str::from_utf8(raw) {
        Ok(s) => make(s.to_owned()),
        Err(_) => Value::Bytes(raw.to_vec()),
    }
}

#[inline]
fn parse_i64(raw: &[u8]) -> Option<i64> {
    let (neg, digits) = match raw.first()? {
        b'-' => (true, &raw[1..]),
        _ => (false, raw),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut n: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        let d = (c - b'0') as i64;
        n = if neg {
            n.checked_mul(10)?.checked_sub(d)?
        } else {
            n.checked_mul(10)?.checked_add(d)?
        };
    }
    Some(n)
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// bytea in hex (`\x0aff`) or the old escape format (`a\\b\000`).
pub fn decode_bytea(raw: &[u8]) -> Option<Vec<u8>> {
    if let Some(hex) = raw.strip_prefix(b"\\x") {
        if hex.len() % 2 != 0 {
            return None;
        }
        let mut out = Vec::with_capacity(hex.len() / 2);
        for pair in hex.chunks_exact(2) {
            out.push(hex_val(pair[0])? << 4 | hex_val(pair[1])?);
        }
        return Some(out);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] != b'\\' {
            out.push(raw[i]);
            i += 1;
        } else if raw.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else {
            let oct = raw.get(i + 1..i + 4)?;
            let mut v: u32 = 0;
            for &c in oct {
                if !(b'0'..=b'7').contains(&c) {
                    return None;
                }
                v = v * 8 + (c - b'0') as u32;
            }
            out.push(u8::try_from(v).ok()?);
            i += 4;
        }
    }
    Some(out)
}

/// PostgreSQL's MAXDIM: no array of its has more dimensions. A literal nested deeper did
/// not come from a real server and is kept as text, so no input can exhaust the stack.
const MAX_DIMENSIONS: usize = 6;

/// Parses an array literal (`{1,2,NULL}`, `{{"a b",c},{d,e}}`) into nested Values.
/// None for forms kept as text: explicit bounds, malformed input, more than six dimensions.
pub fn parse_array(raw: &[u8], delimiter: u8, element: &Decoder) -> Option<Vec<Value>> {
    let mut pos = 0;
    let items = parse_level(raw, &mut pos, delimiter, element, 1)?;
    (pos == raw.len()).then_some(items)
}

fn parse_level(
    raw: &[u8],
    pos: &mut usize,
    delim: u8,
    element: &Decoder,
    depth: usize,
) -> Option<Vec<Value>> {
    if raw.get(*pos) != Some(&b'{') || depth > MAX_DIMENSIONS {
        return None;
    }
    *pos += 1;
    let mut items = Vec::new();
    if raw.get(*pos) == Some(&b'}') {
        *pos += 1;
        return Some(items);
    }
    loop {
        match raw.get(*pos)? {
            b'{' => items.push(Value::Array(parse_level(
                raw,
                pos,
                delim,
                element,
                depth + 1,
            )?)),
            b'"' => {
                *pos += 1;
                let mut text = Vec::new();
                loop {
                    match *raw.get(*pos)? {
                        b'\\' => {
                            text.push(*raw.get(*pos + 1)?);
                            *pos += 2;
                        }
                        b'"' => {
                            *pos += 1;
                            break;
                        }
                        c => {
                            text.push(c);
                            *pos += 1;
                        }
                    }
                }
                items.push(decode(element, &text));
            }
            _ => {
                let start = *pos;
                while let Some(&c) = raw.get(*pos) {
                    if c == delim || c == b'}' {
                        break;
                    }
                    *pos += 1;
                }
                let text = &raw[start..*pos];
                if text.eq_ignore_ascii_case(b"NULL") {
                    items.push(Value::Null);
                } else {
                    items.push(decode(element, text));
                }
            }
        }
        match *raw.get(*pos)? {
            b'}' => {
                *pos += 1;
                return Some(items);
            }
            c if c == delim => *pos += 1,
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: &Value) -> String {
        v.to_text(&PG_TEXT_STYLE).unwrap_or_else(|| "<null>".into())
    }

    #[test]
    fn arrays_round_trip_to_the_server_text() {
        for (oid, literal) in [
            (1007u32, r#"{1,2,NULL}"#),
            (1009, r#"{"a b","","NULL","q\"","b\\s","x,y"}"#),
            (1007, "{{1,2},{3,4}}"),
            (1001, r#"{"\\x01"}"#),
            (1022, "{0.1,1e+100}"),
            (1000, "{t,f}"),
            (1009, "{}"),
        ] {
            let ty = builtin(oid).expect("builtin");
            let v = decode(&ty.decoder, literal.as_bytes());
            assert!(matches!(v, Value::Array(_)), "{literal} -> {v:?}");
            assert_eq!(text(&v), literal);
        }
        let ty = builtin(1007).expect("int4[]");
        assert!(matches!(
            decode(&ty.decoder, b"[2:3]={5,6}"),
            Value::Other { .. }
        ));
        assert_eq!(text(&decode(&ty.decoder, b"[2:3]={5,6}")), "[2:3]={5,6}");
    }

    #[test]
    fn arrays_deeper_than_postgres_allows_stay_text() {
        let ty = builtin(1007).expect("int4[]");
        let six = format!("{}1{}", "{".repeat(6), "}".repeat(6));
        assert!(matches!(
            decode(&ty.decoder, six.as_bytes()),
            Value::Array(_)
        ));
        // 20,000 levels: kept as the server's text, without recursing 20,000 times.
        let deep = format!("{}1{}", "{".repeat(20_000), "}".repeat(20_000));
        assert_eq!(text(&decode(&ty.decoder, deep.as_bytes())), deep);
    }

    #[test]
    fn scalars() {
        assert_eq!(
            decode(&Decoder::Int, b"-9223372036854775808"),
            Value::Int(i64::MIN)
        );
        assert_eq!(
            decode(&Decoder::Float8, b"-Infinity"),
            Value::Float(f64::NEG_INFINITY)
        );
        assert!(matches!(decode(&Decoder::Float8, b"NaN"), Value::Float(f) if f.is_nan()));
        assert_eq!(
            decode(&Decoder::Bytea, b"\\x00ff"),
            Value::Bytes(vec![0, 255])
        );
        assert_eq!(
            decode(&Decoder::Bytea, b"a\\\\\\000"),
            Value::Bytes(vec![b'a', b'\\', 0])
        );
        assert_eq!(
            decode(&Decoder::Text, &[0xff, 0xfe]),
            Value::Bytes(vec![0xff, 0xfe])
        );
    }
}
