//! Values as JSON, the same way everywhere (the CLI's json/jsonl, the app's "copy as JSON").
//!
//! NULL is null, booleans and integers are JSON's own, floats are numbers (NaN and the
//! infinities as strings), exact decimals are strings (no digit lost), json/jsonb is
//! embedded as JSON, binary is a "\x..." hex string, arrays are arrays, anything else is
//! the engine's text.

use crate::value::{TextStyle, Value};

/// Appends `s` as a JSON string.
pub fn write_string(out: &mut Vec<u8>, s: &str) {
    // serde_json escapes exactly as JSON requires; writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// `\x` followed by lowercase hex, as PostgreSQL writes bytea.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(2 + bytes.len() * 2);
    s.push_str("\\x");
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Appends one value. `scratch` is reused between calls to avoid allocating.
pub fn write_value(out: &mut Vec<u8>, v: &Value, style: &TextStyle, scratch: &mut Vec<u8>) {
    match v {
        Value::Null | Value::Missing => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Int(i) => out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes()),
        Value::UInt(u) => out.extend_from_slice(itoa::Buffer::new().format(*u).as_bytes()),
        Value::Float(f) if f.is_finite() => {
            out.extend_from_slice(ryu::Buffer::new().format_finite(*f).as_bytes())
        }
        Value::Float32(f) if f.is_finite() => {
            out.extend_from_slice(ryu::Buffer::new().format_finite(*f).as_bytes())
        }
        Value::Json(s) if serde_json::from_str::<serde::de::IgnoredAny>(s).is_ok() => {
            out.extend_from_slice(s.as_bytes())
        }
        Value::Bytes(b) => write_string(out, &hex(b)),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item, style, scratch);
            }
            out.push(b']');
        }
        other => {
            scratch.clear();
            style.write(other, scratch);
            write_string(out, &String::from_utf8_lossy(scratch));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        let style = crate::value::POSTGRES_LIKE;
        let mut out = Vec::new();
        let mut scratch = Vec::new();
        let row = [
            Value::Null,
            Value::Bool(true),
            Value::Int(-3),
            Value::Float(f64::NAN),
            Value::Decimal("1.50".into()),
            Value::Json("{\"a\": [1]}".into()),
            Value::Bytes(vec![0, 255]),
            Value::Array(vec![Value::Int(1), Value::Null]),
            Value::Text("q\"".into()),
        ];
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_value(&mut out, v, &style, &mut scratch);
        }
        assert_eq!(
            String::from_utf8_lossy(&out),
            r#"null,true,-3,"NaN","1.50",{"a": [1]},"\\x00ff",[1,null],"q\"""#
        );
    }
}
