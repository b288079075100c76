//! [`Value`]: one cell of a result, whatever the engine, and [`TextStyle`]: how an engine's
//! own tools spell values as text, so that exports match them byte for byte.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// One cell. NULL and the empty string are different values everywhere.
///
/// Types whose text form is engine-defined (dates, intervals, network addresses...) keep the
/// engine's own text: re-rendering them would risk changing what the user sees.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v", rename_all = "snake_case")]
pub enum Value {
    Null,
    /// The field is absent from this document (MongoDB): a document result's columns are
    /// the union of the fields seen, and a document without one of them is not NULL there.
    Missing,
    Bool(bool),
    Int(i64),
    UInt(u64),
    /// Double precision.
    Float(f64),
    /// Single precision, kept apart so it prints with its own shortest digits.
    Float32(f32),
    /// Exact numeric, as the engine wrote it.
    Decimal(String),
    Text(String),
    /// Binary data; also text that is not valid UTF-8 (kept byte for byte, never replaced).
    Bytes(Vec<u8>),
    /// JSON text as the engine wrote it.
    Json(String),
    Date(String),
    Time(String),
    Timestamp(String),
    TimestampTz(String),
    Uuid(String),
    Array(Vec<Value>),
    /// Any other type: its name and its text form, so nothing is unrenderable. The name is
    /// shared by all cells of a column.
    Other {
        type_name: Arc<str>,
        text: String,
    },
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Rough heap + inline size, for sizing batches and memory budgets.
    pub fn approx_size(&self) -> usize {
        let heap = match self {
            Value::Decimal(s)
            | Value::Text(s)
            | Value::Json(s)
            | Value::Date(s)
            | Value::Time(s)
            | Value::Timestamp(s)
            | Value::TimestampTz(s)
            | Value::Uuid(s) => s.len(),
            Value::Bytes(b) => b.len(),
            Value::Array(items) => items.iter().map(Value::approx_size).sum(),
            Value::Other { text, .. } => text.len(),
            _ => 0,
        };
        std::mem::size_of::<Value>() + heap
    }

    /// The text of a value, in the given engine's spelling. NULL gives None.
    pub fn to_text(&self, style: &TextStyle) -> Option<String> {
        if self.is_null() {
            return None;
        }
        let mut out = Vec::new();
        style.write(self, &mut out);
        Some(String::from_utf8_lossy(&out).into_owned())
    }
}

/// How binary values are spelled as text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BytesStyle {
    /// PostgreSQL's bytea hex output: `\x00ff`.
    BackslashHex,
    /// The bytes themselves (SQLite's shell, MySQL's `--raw`).
    Raw,
    /// `0x00FF` (SQL Server, the MySQL hex literal form).
    ZeroXUpper,
}

/// How arrays are spelled as text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArrayStyle {
    /// PostgreSQL's array literal: `{1,"a b",NULL}`.
    Braces,
    /// JSON array.
    Json,
}

/// An engine's text conventions for the typed variants of [`Value`]. Drivers define one each;
/// the core only applies it.
#[derive(Clone, Copy, Debug)]
pub struct TextStyle {
    pub bool_true: &'static str,
    pub bool_false: &'static str,
    pub float64: fn(f64, &mut Vec<u8>),
    pub float32: fn(f32, &mut Vec<u8>),
    pub bytes: BytesStyle,
    pub array: ArrayStyle,
    /// How the engine's own tools quote CSV fields.
    pub csv: crate::csv::CsvQuoting,
}

impl TextStyle {
    /// Appends the text of `value` to `out`. NULL appends nothing: the caller decides how
    /// NULL looks in its format.
    pub fn write(&self, value: &Value, out: &mut Vec<u8>) {
        match value {
            Value::Null | Value::Missing => {}
            Value::Bool(b) => out.extend_from_slice(if *b {
                self.bool_true.as_bytes()
            } else {
                self.bool_false.as_bytes()
            }),
            Value::Int(i) => out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes()),
            Value::UInt(u) => out.extend_from_slice(itoa::Buffer::new().format(*u).as_bytes()),
            Value::Float(f) => (self.float64)(*f, out),
            Value::Float32(f) => (self.float32)(*f, out),
            Value::Decimal(s)
            | Value::Text(s)
            | Value::Json(s)
            | Value::Date(s)
            | Value::Time(s)
            | Value::Timestamp(s)
            | Value::TimestampTz(s)
            | Value::Uuid(s)
            | Value::Other { text: s, .. } => out.extend_from_slice(s.as_bytes()),
            Value::Bytes(b) => write_bytes(self.bytes, b, out),
            Value::Array(items) => match self.array {
                ArrayStyle::Braces => self.write_braces(items, out),
                ArrayStyle::Json => self.write_json_array(items, out),
            },
        }
    }

    fn write_braces(&self, items: &[Value], out: &mut Vec<u8>) {
        out.push(b'{');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match item {
                Value::Null => out.extend_from_slice(b"NULL"),
                Value::Array(inner) => self.write_braces(inner, out),
                other => {
                    let mut text = Vec::new();
                    self.write(other, &mut text);
                    write_array_element(&text, out);
                }
            }
        }
        out.push(b'}');
    }

    fn write_json_array(&self, items: &[Value], out: &mut Vec<u8>) {
        out.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match item {
                Value::Null => out.extend_from_slice(b"null"),
                Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
                Value::Int(_) | Value::UInt(_) | Value::Decimal(_) => self.write(item, out),
                Value::Float(f) if f.is_finite() => self.write(item, out),
                Value::Json(s) => out.extend_from_slice(s.as_bytes()),
                Value::Array(inner) => self.write_json_array(inner, out),
                other => {
                    let mut text = Vec::new();
                    self.write(other, &mut text);
                    let s = String::from_utf8_lossy(&text);
                    out.extend_from_slice(
                        serde_json::to_string(&*s).unwrap_or_default().as_bytes(),
                    );
                }
            }
        }
        out.push(b']');
    }
}

fn write_bytes(style: BytesStyle, bytes: &[u8], out: &mut Vec<u8>) {
    const LOWER: &[u8; 16] = b"0123456789abcdef";
    const UPPER: &[u8; 16] = b"0123456789ABCDEF";
    match style {
        BytesStyle::Raw => out.extend_from_slice(bytes),
        BytesStyle::BackslashHex | BytesStyle::ZeroXUpper => {
            let (prefix, digits): (&[u8], _) = if style == BytesStyle::BackslashHex {
                (b"\\x", LOWER)
            } else {
                (b"0x", UPPER)
            };
            out.reserve(prefix.len() + bytes.len() * 2);
            out.extend_from_slice(prefix);
            for b in bytes {
                out.push(digits[(b >> 4) as usize]);
                out.push(digits[(b & 15) as usize]);
            }
        }
    }
}

/// PostgreSQL's array_out quoting: an element is quoted when it is empty, spells NULL, or
/// holds a brace, quote, comma, backslash or white space; `"` and `\` are escaped.
fn write_array_element(text: &[u8], out: &mut Vec<u8>) {
    let needs_quotes = text.is_empty()
        || text.eq_ignore_ascii_case(b"NULL")
        || text.iter().any(|&c| {
            matches!(
                c,
                b'{' | b'}' | b',' | b'"' | b'\\' | b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c
            )
        });
    if !needs_quotes {
        out.extend_from_slice(text);
        return;
    }
    out.push(b'"');
    for &c in text {
        if c == b'"' || c == b'\\' {
            out.push(b'\\');
        }
        out.push(c);
    }
    out.push(b'"');
}

/// Decimal digits d1d2d3… and exponent: value = d1.d2d3… × 10^exp. Lives on the stack:
/// formatting millions of floats must not allocate.
struct Digits {
    neg: bool,
    buf: [u8; 40],
    len: usize,
    exp: i32,
}

impl Digits {
    /// From scientific text such as "-1.2345e-7", "5e0" or ryu's "1.5e-7" / "0.0001".
    fn parse(text: &str) -> Digits {
        let mut d = Digits {
            neg: false,
            buf: [0; 40],
            len: 0,
            exp: 0,
        };
        let bytes = text.as_bytes();
        let mut i = 0;
        if bytes.first() == Some(&b'-') {
            d.neg = true;
            i = 1;
        }
        // Digits before the point shift the exponent; leading zeros do not count.
        let mut point_seen = false;
        let mut int_digits: i32 = 0;
        let mut leading_zeros: i32 = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'.' => point_seen = true,
                c @ b'0'..=b'9' => {
                    if d.len == 0 && c == b'0' {
                        if point_seen {
                            leading_zeros += 1;
                        }
                    } else if d.len < d.buf.len() {
                        d.buf[d.len] = c;
                        d.len += 1;
                        if !point_seen {
                            int_digits += 1;
                        }
                    }
                }
                b'e' | b'E' => {
                    d.exp = text[i + 1..].parse().unwrap_or(0);
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        if d.len == 0 {
            d.buf[0] = b'0';
            d.len = 1;
            return d;
        }
        d.exp += if int_digits > 0 {
            int_digits - 1
        } else {
            -leading_zeros - 1
        };
        // Trailing zeros carry no information.
        while d.len > 1 && d.buf[d.len - 1] == b'0' {
            d.len -= 1;
        }
        d
    }

    fn digits(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// A fixed buffer that `write!` can target without allocating.
struct StackText {
    buf: [u8; 64],
    len: usize,
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl StackText {
    fn format(args: std::fmt::Arguments) -> StackText {
        let mut t = StackText {
            buf: [0; 64],
            len: 0,
        };
        let _ = std::fmt::Write::write_fmt(&mut t, args);
        t
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("0")
    }
}

/// Writes digits as %g would: exponential when exp < -4 or exp >= `threshold`, fixed
/// otherwise. `keep_point` adds ".0" to integral output (SQLite's `!` flag).
fn format_g(d: &Digits, threshold: i32, keep_point: bool, out: &mut Vec<u8>) {
    let digits = d.digits();
    let exp = d.exp;
    if d.neg {
        out.push(b'-');
    }
    if exp < -4 || exp >= threshold {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        } else if keep_point {
            out.extend_from_slice(b".0");
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push(b'0');
        }
        out.extend_from_slice(itoa::Buffer::new().format(e).as_bytes());
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.extend_from_slice(digits);
            out.extend(std::iter::repeat_n(b'0', int_len - digits.len()));
            if keep_point {
                out.extend_from_slice(b".0");
            }
        } else {
            out.extend_from_slice(&digits[..int_len]);
            out.push(b'.');
            out.extend_from_slice(&digits[int_len..]);
        }
    } else {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-exp - 1) as usize));
        out.extend_from_slice(digits);
    }
}

/// PostgreSQL's float8out (extra_float_digits >= 1, the default since 12): shortest
/// round-trip digits, exponential below 1e-4 and from 1e15.
pub fn float64_postgres(v: f64, out: &mut Vec<u8>) {
    if let Some(s) = non_finite(v, "NaN", "Infinity", "-Infinity") {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    let mut digits = Digits::parse(ryu::Buffer::new().format_finite(v));
    digits.neg = v.is_sign_negative();
    format_g(&digits, 15, false, out);
}

/// PostgreSQL's float4out: as float8out with single-precision digits, exponential from 1e6.
pub fn float32_postgres(v: f32, out: &mut Vec<u8>) {
    if let Some(s) = non_finite(v as f64, "NaN", "Infinity", "-Infinity") {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    let mut digits = Digits::parse(ryu::Buffer::new().format_finite(v));
    digits.neg = v.is_sign_negative();
    format_g(&digits, 6, false, out);
}

/// SQLite's REAL to text ("%!.15g"): 15 significant digits, always a decimal point.
pub fn float64_sqlite(v: f64, out: &mut Vec<u8>) {
    if let Some(s) = non_finite(v, "NaN", "Inf", "-Inf") {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    // SQLite decides the sign with `v < 0.0`, so -0.0 prints as 0.0.
    let v = if v == 0.0 { 0.0 } else { v };
    let text = StackText::format(format_args!("{v:.14e}"));
    format_g(&Digits::parse(text.as_str()), 15, true, out);
}

pub fn float32_sqlite(v: f32, out: &mut Vec<u8>) {
    float64_sqlite(v as f64, out)
}

/// Shortest round-trip digits, plain notation where short ("0.1", "1e100"): for engines
/// whose floats are kept as the server's text and never rendered from binary.
pub fn float64_shortest(v: f64, out: &mut Vec<u8>) {
    match non_finite(v, "NaN", "Infinity", "-Infinity") {
        Some(s) => out.extend_from_slice(s.as_bytes()),
        None => out.extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes()),
    }
}

pub fn float32_shortest(v: f32, out: &mut Vec<u8>) {
    match non_finite(v as f64, "NaN", "Infinity", "-Infinity") {
        Some(s) => out.extend_from_slice(s.as_bytes()),
        None => out.extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes()),
    }
}

fn non_finite(
    v: f64,
    nan: &'static str,
    inf: &'static str,
    neg_inf: &'static str,
) -> Option<&'static str> {
    if v.is_nan() {
        Some(nan)
    } else if v == f64::INFINITY {
        Some(inf)
    } else if v == f64::NEG_INFINITY {
        Some(neg_inf)
    } else {
        None
    }
}

/// PostgreSQL's text forms, for the core's own tests (the drivers own the real styles).
#[cfg(test)]
pub(crate) static POSTGRES_LIKE: TextStyle = TextStyle {
    bool_true: "t",
    bool_false: "f",
    float64: float64_postgres,
    float32: float32_postgres,
    bytes: BytesStyle::BackslashHex,
    array: ArrayStyle::Braces,
    csv: crate::csv::CsvQuoting::PostgresCopy,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn pg8(v: f64) -> String {
        let mut s = Vec::new();
        float64_postgres(v, &mut s);
        String::from_utf8(s).unwrap_or_default()
    }

    fn pg4(v: f32) -> String {
        let mut s = Vec::new();
        float32_postgres(v, &mut s);
        String::from_utf8(s).unwrap_or_default()
    }

    fn lite(v: f64) -> String {
        let mut s = Vec::new();
        float64_sqlite(v, &mut s);
        String::from_utf8(s).unwrap_or_default()
    }

    #[test]
    fn postgres_float_text_matches_server() {
        // Pairs taken from PostgreSQL 15's COPY output.
        for (v, text) in [
            (0.1, "0.1"),
            (1e100, "1e+100"),
            (1e-5, "1e-05"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (1.5e15, "1.5e+15"),
            (1e15, "1e+15"),
            (123456789012345.6, "123456789012345.6"),
            (1e6, "1000000"),
            (0.0001, "0.0001"),
            (-0.0, "-0"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(pg8(v), text, "{v:e}");
        }
        for (v, text) in [
            (0.1f32, "0.1"),
            (3.4e38, "3.4e+38"),
            (1e-7, "1e-07"),
            (1234567.0, "1.234567e+06"),
            (123456.0, "123456"),
            (999999.9, "999999.9"),
            (0.00001234, "1.234e-05"),
        ] {
            assert_eq!(pg4(v), text, "{v:e}");
        }
    }

    #[test]
    fn sqlite_float_text_matches_shell() {
        // Pairs taken from sqlite3 3.40's -csv output.
        for (v, text) in [
            (0.1, "0.1"),
            (1.0, "1.0"),
            (1e100, "1.0e+100"),
            (1.0 / 3.0, "0.333333333333333"),
            (123_456_789.123_456_79, "123456789.123457"),
            (1e15, "1.0e+15"),
            (1e14, "100000000000000.0"),
            (1e-5, "1.0e-05"),
            (-0.0, "0.0"),
            (5e-324, "4.94065645841247e-324"),
            (1.7976931348623157e308, "1.79769313486232e+308"),
            (2.5, "2.5"),
            (100.0, "100.0"),
            (12345678901234567890.0, "1.23456789012346e+19"),
        ] {
            assert_eq!(lite(v), text, "{v:e}");
        }
    }

    #[test]
    fn array_braces() {
        let style = POSTGRES_LIKE;
        let v = Value::Array(vec![
            Value::Text("a b".into()),
            Value::Text("".into()),
            Value::Text("NULL".into()),
            Value::Text("q\"".into()),
            Value::Text("b\\s".into()),
            Value::Null,
            Value::Bytes(vec![1]),
            Value::Array(vec![Value::Bool(true), Value::Float(1e100)]),
        ]);
        assert_eq!(
            v.to_text(&style).as_deref(),
            Some(r#"{"a b","","NULL","q\"","b\\s",NULL,"\\x01",{t,1e+100}}"#)
        );
    }
}
