//! Values as mongosh reads them: relaxed JSON (unquoted keys, single quotes, trailing
//! commas, comments) and the shell's constructors (`ObjectId()`, `ISODate()`, `NumberLong()`,
//! `UUID()`, `BinData()`, `Timestamp()`, `MinKey`, `/regex/flags`...).

use std::str::FromStr;

use base64::Engine as _;
use mongodb::bson::{
    self, Binary, Bson, DateTime, Decimal128, Document, Regex, Timestamp, oid::ObjectId,
    spec::BinarySubtype,
};

use super::lexer::{Tok, Token};
use super::{ParseError, Parser};
use crate::mongo::dates;

/// What a value may be, for "expected ..." messages.
pub(crate) const A_VALUE: &str =
    "a value (a number, a string, {...}, [...], true, false, null, ObjectId(...), ISODate(...)...)";

impl Parser<'_> {
    /// One value.
    pub fn value(&mut self) -> Result<Bson, ParseError> {
        self.enter()?;
        let result = self.value_inner();
        self.leave();
        result
    }

    fn value_inner(&mut self) -> Result<Bson, ParseError> {
        let start = self.tok.start;
        match self.tok.tok.clone() {
            Tok::Punct('{') => self.document().map(Bson::Document),
            Tok::Punct('[') => self.array().map(Bson::Array),
            Tok::Str(s) => {
                self.advance()?;
                Ok(Bson::String(s))
            }
            Tok::Num(_) => {
                let token = self.advance()?;
                number(&token, false)
            }
            Tok::Punct(sign @ ('-' | '+')) => {
                self.advance()?;
                let negative = sign == '-';
                match self.tok.tok.clone() {
                    Tok::Num(_) => {
                        let token = self.advance()?;
                        number(&token, negative)
                    }
                    Tok::Ident(name) if name == "Infinity" => {
                        self.advance()?;
                        Ok(Bson::Double(if negative {
                            f64::NEG_INFINITY
                        } else {
                            f64::INFINITY
                        }))
                    }
                    Tok::Ident(name) if name == "NaN" => {
                        self.advance()?;
                        Ok(Bson::Double(f64::NAN))
                    }
                    _ => Err(self.unexpected(&format!("a number after '{sign}'"))),
                }
            }
            Tok::Regex { pattern, flags } => {
                self.advance()?;
                Ok(Bson::RegularExpression(regex(&pattern, &flags)))
            }
            Tok::Ident(name) => {
                self.advance()?;
                self.named(&name, start)
            }
            _ => Err(self.unexpected(A_VALUE)),
        }
    }

    /// `{ key: value, ... }` with the `{` current.
    pub fn document(&mut self) -> Result<Document, ParseError> {
        let open = self.expect_punct('{', "to open a document")?;
        let mut doc = Document::new();
        loop {
            if self.is_punct('}') {
                self.advance()?;
                return Ok(doc);
            }
            let key = match self.tok.tok.clone() {
                Tok::Ident(k) | Tok::Str(k) => k,
                Tok::Num(n) => n,
                Tok::Eof => {
                    return Err(ParseError::new(
                        open.start,
                        "this '{' is not closed: expected '}'",
                    ));
                }
                _ => return Err(self.unexpected("a field name or '}'")),
            };
            let key_token = self.advance()?;
            if !self.is_punct(':') {
                return Err(ParseError::new(
                    self.tok.start,
                    format!(
                        "expected ':' after the field name '{key}', found {}",
                        self.tok.tok.describe()
                    ),
                ));
            }
            self.advance()?;
            if key.contains('\0') {
                return Err(ParseError::new(
                    key_token.start,
                    "a field name cannot hold a NUL character",
                ));
            }
            let value = self.value()?;
            doc.insert(key, value);
            if self.is_punct(',') {
                self.advance()?;
            } else if !self.is_punct('}') {
                if self.tok.tok == Tok::Eof {
                    return Err(ParseError::new(
                        open.start,
                        "this '{' is not closed: expected '}'",
                    ));
                }
                return Err(self.unexpected("',' or '}' after this field's value"));
            }
        }
    }

    /// `[ value, ... ]` with the `[` current.
    pub fn array(&mut self) -> Result<Vec<Bson>, ParseError> {
        let open = self.expect_punct('[', "to open an array")?;
        let mut items = Vec::new();
        loop {
            if self.is_punct(']') {
                self.advance()?;
                return Ok(items);
            }
            if self.tok.tok == Tok::Eof {
                return Err(ParseError::new(
                    open.start,
                    "this '[' is not closed: expected ']'",
                ));
            }
            if self.is_punct(',') {
                return Err(self.unexpected("a value (arrays with holes are not supported)"));
            }
            items.push(self.value()?);
            if self.is_punct(',') {
                self.advance()?;
            } else if !self.is_punct(']') {
                if self.tok.tok == Tok::Eof {
                    return Err(ParseError::new(
                        open.start,
                        "this '[' is not closed: expected ']'",
                    ));
                }
                return Err(self.unexpected("',' or ']' after this array item"));
            }
        }
    }

    /// The arguments of a call, with the `(` current; each with where it starts.
    pub fn call_args(&mut self) -> Result<Vec<(Bson, usize)>, ParseError> {
        let open = self.expect_punct('(', "to start the arguments")?;
        let mut args = Vec::new();
        loop {
            if self.is_punct(')') {
                self.advance()?;
                return Ok(args);
            }
            if self.tok.tok == Tok::Eof {
                return Err(ParseError::new(
                    open.start,
                    "this '(' is not closed: expected ')'",
                ));
            }
            let at = self.tok.start;
            args.push((self.value()?, at));
            if self.is_punct(',') {
                self.advance()?;
            } else if !self.is_punct(')') {
                if self.tok.tok == Tok::Eof {
                    return Err(ParseError::new(
                        open.start,
                        "this '(' is not closed: expected ')'",
                    ));
                }
                return Err(self.unexpected("',' or ')' after this argument"));
            }
        }
    }

    /// A value that starts with a name: a keyword or a constructor.
    fn named(&mut self, name: &str, start: usize) -> Result<Bson, ParseError> {
        let name = if name == "new" {
            match self.tok.tok.clone() {
                Tok::Ident(n) => {
                    self.advance()?;
                    n
                }
                _ => return Err(self.unexpected("a constructor name after 'new'")),
            }
        } else {
            name.to_string()
        };
        // `Binary.createFromBase64(...)`, `ObjectId.createFromHexString(...)`.
        let name = if self.is_punct('.')
            && matches!(name.as_str(), "Binary" | "ObjectId" | "Decimal128" | "Long")
        {
            self.advance()?;
            match self.tok.tok.clone() {
                Tok::Ident(m) => {
                    self.advance()?;
                    format!("{name}.{m}")
                }
                _ => return Err(self.unexpected(&format!("a method of {name}"))),
            }
        } else {
            name
        };
        let simple = match name.as_str() {
            "true" => Some(Bson::Boolean(true)),
            "false" => Some(Bson::Boolean(false)),
            "null" => Some(Bson::Null),
            "undefined" => Some(Bson::Undefined),
            "NaN" => Some(Bson::Double(f64::NAN)),
            "Infinity" => Some(Bson::Double(f64::INFINITY)),
            _ => None,
        };
        if let Some(v) = simple {
            return Ok(v);
        }
        if matches!(name.as_str(), "MinKey" | "MaxKey") {
            if self.is_punct('(') {
                let args = self.call_args()?;
                no_args(&name, &args)?;
            }
            return Ok(if name == "MinKey" {
                Bson::MinKey
            } else {
                Bson::MaxKey
            });
        }
        if name == "function" {
            return Err(ParseError::new(
                start,
                "JavaScript functions are not supported here: pass the code as a string (for $where or $function)",
            ));
        }
        if !self.is_punct('(') {
            return Err(ParseError::new(
                start,
                format!(
                    "unknown name '{name}': only literal values may appear here (variables are not supported)"
                ),
            ));
        }
        let call = self.tok.start;
        match name.as_str() {
            "NumberInt" | "Int32" => {
                let text = self.single_number_arg(&name)?;
                parse_integer(&text)
                    .and_then(|n| i32::try_from(n).ok())
                    .map(Bson::Int32)
                    .ok_or_else(|| {
                        ParseError::new(call, format!("{name}() takes a 32-bit integer"))
                    })
            }
            "NumberLong" | "Long" | "Long.fromString" | "Long.fromNumber" => {
                let text = self.single_number_arg(&name)?;
                parse_integer(&text).map(Bson::Int64).ok_or_else(|| {
                    ParseError::new(call, format!("{name}() takes a 64-bit integer"))
                })
            }
            "NumberDecimal" | "Decimal128" | "Decimal128.fromString" => {
                let text = self.single_number_arg(&name)?;
                Decimal128::from_str(&text)
                    .map(Bson::Decimal128)
                    .map_err(|_| {
                        ParseError::new(
                            call,
                            format!("{name}() takes a decimal number such as \"1.50\""),
                        )
                    })
            }
            "Double" => {
                let text = self.single_number_arg(&name)?;
                text.replace('_', "")
                    .parse::<f64>()
                    .map(Bson::Double)
                    .map_err(|_| ParseError::new(call, "Double() takes a number"))
            }
            _ => {
                let args = self.call_args()?;
                constructor(&name, call, &args)
            }
        }
    }

    /// The one argument of `NumberLong(...)` and its kin as text: a number literal (with its
    /// sign, never rounded through a double) or a string.
    fn single_number_arg(&mut self, name: &str) -> Result<String, ParseError> {
        self.expect_punct('(', &format!("after {name}"))?;
        let mut text = String::new();
        if let Tok::Punct(sign @ ('-' | '+')) = self.tok.tok {
            text.push(sign);
            self.advance()?;
        }
        match self.tok.tok.clone() {
            Tok::Num(n) if !n.ends_with('n') || name.contains("Long") => {
                text.push_str(n.trim_end_matches('n'));
            }
            Tok::Str(s) if text.is_empty() => text = s,
            Tok::Ident(n) if n == "Infinity" || n == "NaN" => text.push_str(&n),
            _ => return Err(self.unexpected(&format!("a number or a string in {name}()"))),
        }
        self.advance()?;
        if self.is_punct(',') {
            self.advance()?;
        }
        self.expect_punct(')', &format!("to close {name}()"))?;
        Ok(text)
    }
}

fn no_args(name: &str, args: &[(Bson, usize)]) -> Result<(), ParseError> {
    match args.first() {
        Some((_, at)) => Err(ParseError::new(*at, format!("{name}() takes no arguments"))),
        None => Ok(()),
    }
}

fn arg_str<'a>(
    name: &str,
    call: usize,
    args: &'a [(Bson, usize)],
    i: usize,
) -> Result<&'a str, ParseError> {
    match args.get(i) {
        Some((Bson::String(s), _)) => Ok(s),
        Some((_, at)) => Err(ParseError::new(
            *at,
            format!("{name}() takes a string here"),
        )),
        None => Err(ParseError::new(
            call,
            format!("{name}() needs a string argument"),
        )),
    }
}

fn arg_u32(name: &str, call: usize, args: &[(Bson, usize)], i: usize) -> Result<u32, ParseError> {
    let bad = |at| {
        ParseError::new(
            at,
            format!("{name}() takes a non-negative whole number here"),
        )
    };
    match args.get(i) {
        Some((v, at)) => as_integer(v)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| bad(*at)),
        None => Err(ParseError::new(
            call,
            format!("{name}() needs a number argument"),
        )),
    }
}

fn max_args(name: &str, args: &[(Bson, usize)], n: usize) -> Result<(), ParseError> {
    match args.get(n) {
        Some((_, at)) => Err(ParseError::new(
            *at,
            format!(
                "{name}() takes at most {n} argument{}",
                if n == 1 { "" } else { "s" }
            ),
        )),
        None => Ok(()),
    }
}

/// A whole number held by a parsed value (Int32, Int64 or an integral Double).
pub(crate) fn as_integer(v: &Bson) -> Option<i64> {
    match v {
        Bson::Int32(n) => Some(i64::from(*n)),
        Bson::Int64(n) => Some(*n),
        Bson::Double(f) if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 => {
            Some(*f as i64)
        }
        _ => None,
    }
}

fn constructor(name: &str, call: usize, args: &[(Bson, usize)]) -> Result<Bson, ParseError> {
    match name {
        "ObjectId" | "ObjectID" | "ObjectId.createFromHexString" => {
            max_args(name, args, 1)?;
            if args.is_empty() {
                return Ok(Bson::ObjectId(ObjectId::new()));
            }
            let hex = arg_str(name, call, args, 0)?;
            ObjectId::parse_str(hex)
                .map(Bson::ObjectId)
                .map_err(|_| ParseError::new(args[0].1, "an ObjectId is 24 hexadecimal digits"))
        }
        "ISODate" | "Date" => {
            max_args(name, args, 1)?;
            match args.first() {
                None => Ok(Bson::DateTime(DateTime::now())),
                Some((Bson::String(s), at)) => dates::parse_iso(s)
                    .map(|ms| Bson::DateTime(DateTime::from_millis(ms)))
                    .ok_or_else(|| {
                        ParseError::new(*at, "expected a date such as \"2024-01-31T12:00:00Z\"")
                    }),
                Some((v, at)) if name == "Date" => as_integer(v)
                    .map(|ms| Bson::DateTime(DateTime::from_millis(ms)))
                    .ok_or_else(|| {
                        ParseError::new(
                            *at,
                            "Date() takes milliseconds since 1970 or a date string",
                        )
                    }),
                Some((_, at)) => Err(ParseError::new(*at, "ISODate() takes a date string")),
            }
        }
        "UUID" => {
            max_args(name, args, 1)?;
            if args.is_empty() {
                return Ok(Bson::Binary(Binary::from_uuid(bson::Uuid::new())));
            }
            let text = arg_str(name, call, args, 0)?;
            let hex: String = text.chars().filter(|c| *c != '-').collect();
            let bytes = decode_hex(&hex)
                .filter(|b| b.len() == 16)
                .ok_or_else(|| ParseError::new(args[0].1, "a UUID is 32 hexadecimal digits"))?;
            Ok(Bson::Binary(Binary {
                subtype: BinarySubtype::Uuid,
                bytes,
            }))
        }
        "BinData" | "Binary.createFromBase64" | "HexData" | "Binary.createFromHexString" => {
            max_args(name, args, 2)?;
            let (subtype, data, data_at) = if name.starts_with("Binary.") {
                let data = arg_str(name, call, args, 0)?;
                let subtype = if args.len() > 1 {
                    arg_u32(name, call, args, 1)?
                } else {
                    0
                };
                (subtype, data, args[0].1)
            } else {
                let subtype = arg_u32(name, call, args, 0)?;
                (subtype, arg_str(name, call, args, 1)?, args[1].1)
            };
            let subtype = u8::try_from(subtype)
                .map_err(|_| ParseError::new(call, "a binary subtype is 0 to 255"))?;
            let bytes = if name.contains("Hex") {
                decode_hex(data)
                    .ok_or_else(|| ParseError::new(data_at, "expected hexadecimal digits"))?
            } else {
                base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .map_err(|_| ParseError::new(data_at, "expected base64 text"))?
            };
            Ok(Bson::Binary(Binary {
                subtype: BinarySubtype::from(subtype),
                bytes,
            }))
        }
        "Timestamp" => {
            max_args(name, args, 2)?;
            let (t, i) = match args.first() {
                Some((Bson::Document(d), at)) => {
                    let get = |k: &str| {
                        d.get(k)
                            .and_then(as_integer)
                            .and_then(|n| u32::try_from(n).ok())
                    };
                    match (get("t"), get("i")) {
                        (Some(t), Some(i)) => (t, i),
                        _ => {
                            return Err(ParseError::new(
                                *at,
                                "Timestamp({ t: seconds, i: increment }) needs both, as whole numbers",
                            ));
                        }
                    }
                }
                Some(_) => (arg_u32(name, call, args, 0)?, arg_u32(name, call, args, 1)?),
                None => (0, 0),
            };
            Ok(Bson::Timestamp(Timestamp {
                time: t,
                increment: i,
            }))
        }
        "RegExp" => {
            max_args(name, args, 2)?;
            let pattern = arg_str(name, call, args, 0)?;
            let flags = if args.len() > 1 {
                arg_str(name, call, args, 1)?
            } else {
                ""
            };
            if let Some(c) = flags.chars().find(|c| !"imsxlu".contains(*c)) {
                return Err(ParseError::new(
                    args[1].1,
                    format!("unknown regular expression flag '{c}'"),
                ));
            }
            Ok(Bson::RegularExpression(regex(pattern, flags)))
        }
        "Code" => {
            max_args(name, args, 1)?;
            Ok(Bson::JavaScriptCode(
                arg_str(name, call, args, 0)?.to_string(),
            ))
        }
        _ => Err(ParseError::new(
            call,
            format!(
                "unknown function '{name}()': DB-Hive reads ObjectId, ISODate, Date, NumberInt, NumberLong, NumberDecimal, UUID, BinData, Timestamp, MinKey, MaxKey, RegExp and Code"
            ),
        )),
    }
}

/// A regular expression with its options in the order BSON requires (alphabetical).
pub(crate) fn regex(pattern: &str, flags: &str) -> Regex {
    let mut options: Vec<char> = flags.chars().collect();
    options.sort_unstable();
    options.dedup();
    Regex {
        pattern: pattern.to_string(),
        options: options.into_iter().collect(),
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// An integer literal's value, exactly: decimal, 0x hex, `_` separators, a sign.
fn parse_integer(text: &str) -> Option<i64> {
    let clean: String = text.chars().filter(|c| *c != '_').collect();
    let (negative, digits) = match clean.strip_prefix('-') {
        Some(d) => (true, d.to_string()),
        None => (false, clean.trim_start_matches('+').to_string()),
    };
    let magnitude: i128 = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        i128::from_str_radix(hex, 16).ok()?
    } else if digits.bytes().all(|b| b.is_ascii_digit()) && !digits.is_empty() {
        digits.parse().ok()?
    } else {
        // "1e3", "5.0": whole numbers written as decimals.
        let f: f64 = digits.parse().ok()?;
        if f.fract() != 0.0 || f.abs() >= 9.223_372_036_854_776e18 {
            return None;
        }
        f as i128
    };
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

/// A number literal as mongosh stores it: a whole number that fits 32 bits is an Int32, a
/// BigInt (`10n`) an Int64, anything else a Double (JavaScript's only number type).
fn number(token: &Token, negative: bool) -> Result<Bson, ParseError> {
    let Tok::Num(text) = &token.tok else {
        return Err(ParseError::new(token.start, "expected a number"));
    };
    let signed = if negative {
        format!("-{text}")
    } else {
        text.clone()
    };
    if let Some(big) = signed.strip_suffix('n') {
        return parse_integer(big)
            .map(Bson::Int64)
            .ok_or_else(|| ParseError::new(token.start, "this BigInt does not fit in 64 bits"));
    }
    let is_hex = text.starts_with("0x") || text.starts_with("0X");
    if (is_hex || !text.contains(['.', 'e', 'E']))
        && let Some(n) = parse_integer(&signed)
    {
        if let Ok(small) = i32::try_from(n) {
            // -0 is a double in JavaScript.
            if !(negative && n == 0) {
                return Ok(Bson::Int32(small));
            }
        } else {
            return Ok(Bson::Double(n as f64));
        }
    }
    let clean: String = signed.chars().filter(|c| *c != '_').collect();
    let value = if is_hex {
        parse_integer(&clean).map(|n| n as f64)
    } else {
        clean.parse::<f64>().ok()
    };
    value
        .map(Bson::Double)
        .ok_or_else(|| ParseError::new(token.start, format!("'{text}' is not a number")))
}
