//! Documents as Extended JSON v2 text, written straight from the raw BSON bytes.
//!
//! `Relaxed` is what pymongo's `bson.json_util` writes with `RELAXED_JSON_OPTIONS` (and
//! mongoexport's default): numbers as JSON numbers, dates from 1970 to 9999 as ISO text.
//! `Typed` is relaxed except where relaxed would lose the type (an Int64 becomes
//! `{"$numberLong": ...}`), for the JSON view. `Canonical` keeps every type. Separators are
//! compact (`,` and `:`), as mongoexport writes them.

use std::fmt::Write as _;

use base64::Engine as _;
use mongodb::bson::{Bson, RawArray, RawBsonRef, RawDocument};

use super::dates;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonMode {
    Relaxed,
    Typed,
    Canonical,
}

impl JsonMode {
    pub fn parse(text: &str) -> Option<JsonMode> {
        Some(match text {
            "relaxed" => JsonMode::Relaxed,
            "typed" => JsonMode::Typed,
            "canonical" => JsonMode::Canonical,
            _ => return None,
        })
    }
}

/// Nesting past this is written as a marker instead of recursing further; servers stop at
/// 100 levels, so only a hostile or broken reply gets there.
const MAX_DEPTH: usize = 150;

/// The document as one line of Extended JSON. Bytes that are not valid BSON end the text
/// with a marker naming the problem, rather than failing the whole result.
pub fn document(doc: &RawDocument, mode: JsonMode) -> String {
    let mut out = String::with_capacity(doc.as_bytes().len() + 16);
    write_document(doc, mode, &mut out, 0);
    out
}

/// One value as Extended JSON (a grid cell holding a sub-document or an array).
pub fn value(value: RawBsonRef<'_>, mode: JsonMode) -> String {
    let mut out = String::new();
    write_value(value, mode, &mut out, 0);
    out
}

fn write_document(doc: &RawDocument, mode: JsonMode, out: &mut String, depth: usize) {
    if depth > MAX_DEPTH {
        out.push_str("{\"$dbhiveError\":\"nested too deep\"}");
        return;
    }
    out.push('{');
    for (i, element) in doc.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match element {
            Ok((key, v)) => {
                write_string(key, out);
                out.push(':');
                write_value(v, mode, out, depth + 1);
            }
            Err(e) => {
                out.push_str("\"$dbhiveError\":");
                write_string(&format!("invalid BSON: {e}"), out);
                break;
            }
        }
    }
    out.push('}');
}

fn write_array(array: &RawArray, mode: JsonMode, out: &mut String, depth: usize) {
    if depth > MAX_DEPTH {
        out.push_str("[\"nested too deep\"]");
        return;
    }
    out.push('[');
    for (i, item) in array.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match item {
            Ok(v) => write_value(v, mode, out, depth + 1),
            Err(e) => {
                out.push_str("{\"$dbhiveError\":");
                write_string(&format!("invalid BSON: {e}"), out);
                out.push('}');
                break;
            }
        }
    }
    out.push(']');
}

fn wrap(out: &mut String, key: &str, inner: impl FnOnce(&mut String)) {
    out.push_str("{\"");
    out.push_str(key);
    out.push_str("\":");
    inner(out);
    out.push('}');
}

fn write_value(v: RawBsonRef<'_>, mode: JsonMode, out: &mut String, depth: usize) {
    let canonical = mode == JsonMode::Canonical;
    match v {
        RawBsonRef::Double(f) => {
            if f.is_finite() && !canonical {
                out.push_str(&python_float(f));
            } else {
                wrap(out, "$numberDouble", |o| write_string(&double_text(f), o));
            }
        }
        RawBsonRef::String(s) => write_string(s, out),
        RawBsonRef::Document(d) => write_document(d, mode, out, depth),
        RawBsonRef::Array(a) => write_array(a, mode, out, depth),
        RawBsonRef::Boolean(b) => out.push_str(if b { "true" } else { "false" }),
        RawBsonRef::Null => out.push_str("null"),
        RawBsonRef::Int32(n) => {
            if canonical {
                wrap(out, "$numberInt", |o| write_string(&n.to_string(), o));
            } else {
                let _ = write!(out, "{n}");
            }
        }
        RawBsonRef::Int64(n) => {
            if mode == JsonMode::Relaxed {
                let _ = write!(out, "{n}");
            } else {
                wrap(out, "$numberLong", |o| write_string(&n.to_string(), o));
            }
        }
        RawBsonRef::DateTime(d) => {
            let ms = d.timestamp_millis();
            if !canonical && dates::relaxed_range(ms) {
                wrap(out, "$date", |o| write_string(&dates::iso(ms, false), o));
            } else {
                wrap(out, "$date", |o| {
                    wrap(o, "$numberLong", |o| write_string(&ms.to_string(), o))
                });
            }
        }
        RawBsonRef::ObjectId(oid) => wrap(out, "$oid", |o| write_string(&oid.to_hex(), o)),
        RawBsonRef::Binary(b) => {
            let subtype = u8::from(b.subtype);
            wrap(out, "$binary", |o| {
                o.push_str("{\"base64\":");
                write_string(
                    &base64::engine::general_purpose::STANDARD.encode(b.bytes),
                    o,
                );
                let _ = write!(o, ",\"subType\":\"{subtype:02x}\"}}");
            });
        }
        RawBsonRef::RegularExpression(r) => wrap(out, "$regularExpression", |o| {
            o.push_str("{\"pattern\":");
            write_string(r.pattern, o);
            o.push_str(",\"options\":");
            write_string(r.options, o);
            o.push('}');
        }),
        RawBsonRef::JavaScriptCode(code) => wrap(out, "$code", |o| write_string(code, o)),
        RawBsonRef::JavaScriptCodeWithScope(c) => {
            out.push_str("{\"$code\":");
            write_string(c.code, out);
            out.push_str(",\"$scope\":");
            write_document(c.scope, mode, out, depth + 1);
            out.push('}');
        }
        RawBsonRef::Timestamp(t) => {
            let _ = write!(
                out,
                "{{\"$timestamp\":{{\"t\":{},\"i\":{}}}}}",
                t.time, t.increment
            );
        }
        RawBsonRef::Decimal128(d) => {
            wrap(out, "$numberDecimal", |o| write_string(&d.to_string(), o))
        }
        RawBsonRef::Symbol(s) => wrap(out, "$symbol", |o| write_string(s, o)),
        RawBsonRef::Undefined => out.push_str("{\"$undefined\":true}"),
        RawBsonRef::MinKey => out.push_str("{\"$minKey\":1}"),
        RawBsonRef::MaxKey => out.push_str("{\"$maxKey\":1}"),
        RawBsonRef::DbPointer(_) => {
            // Its fields are private in the raw API; the owned form renders it.
            let owned = Bson::try_from(v.to_raw_bson());
            match owned {
                Ok(b) => out.push_str(&b.into_canonical_extjson().to_string()),
                Err(_) => out.push_str("{\"$dbPointer\":null}"),
            }
        }
    }
}

/// A double's text inside `{"$numberDouble": ...}`.
fn double_text(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f == f64::INFINITY {
        "Infinity".into()
    } else if f == f64::NEG_INFINITY {
        "-Infinity".into()
    } else {
        python_float(f)
    }
}

/// A finite double as Python's `repr` spells it (what `json_util` writes): the shortest
/// digits that read back to the same double, positional from 1e-4 up to 1e16 (always with
/// a fraction, `1.0`), scientific outside it with a signed two-digit exponent (`1e+16`,
/// `1.5e-05`).
pub fn python_float(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "-1.2345e-7".
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        if exp < 0 {
            out.push_str("0.");
            for _ in 0..(-exp - 1) {
                out.push('0');
            }
            out.push_str(&digits);
        } else {
            let point = exp as usize + 1;
            if digits.len() <= point {
                out.push_str(&digits);
                for _ in digits.len()..point {
                    out.push('0');
                }
                out.push_str(".0");
            } else {
                out.push_str(&digits[..point]);
                out.push('.');
                out.push_str(&digits[point..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
    out
}

/// A JSON string as Python's `json.dumps(..., ensure_ascii=False)` writes it.
pub fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_as_python_repr() {
        for (f, text) in [
            (1.0, "1.0"),
            (-1.5, "-1.5"),
            (0.1, "0.1"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1.5e-5, "1.5e-05"),
            (0.0001, "0.0001"),
            (123_456_789.125, "123456789.125"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (-0.0, "-0.0"),
            (2.5e-4, "0.00025"),
        ] {
            assert_eq!(python_float(f), text, "{f:e}");
        }
    }

    #[test]
    fn strings_escape_as_json_dumps() {
        let mut out = String::new();
        write_string("a\"b\\c\n\u{1}é\u{7f}", &mut out);
        assert_eq!(out, "\"a\\\"b\\\\c\\n\\u0001é\u{7f}\"");
    }
}
