//! Tokens of the mongosh subset: JavaScript's identifiers, strings, numbers, regular
//! expression literals, punctuation and comments. Offsets are byte offsets into the script.

use super::ParseError;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    Str(String),
    /// The literal as written (digits, '.', exponent, hex prefix, `n` suffix), validated.
    Num(String),
    Regex {
        pattern: String,
        flags: String,
    },
    Punct(char),
    Eof,
}

#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
    /// A line break separates this token from the previous one (JavaScript's automatic
    /// semicolon insertion ends a statement there).
    pub newline_before: bool,
}

impl Tok {
    /// How an error message names what it found.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(name) => format!("'{name}'"),
            Tok::Str(_) => "a string".into(),
            Tok::Num(n) => format!("the number {n}"),
            Tok::Regex { .. } => "a regular expression".into(),
            Tok::Punct(c) => format!("'{c}'"),
            Tok::Eof => "the end of the script".into(),
        }
    }
}

pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

const PUNCT: &str = "{}[](),:;.-+";

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Self {
        Lexer { src, pos: 0 }
    }

    pub fn seek(&mut self, pos: usize) {
        self.pos = pos.min(self.src.len());
    }

    fn peek_char(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.src[self.pos..].chars().nth(ahead)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek_char()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// Skips white space and comments; says whether a line break was among them.
    fn skip_trivia(&mut self) -> Result<bool, ParseError> {
        let mut newline = false;
        loop {
            match self.peek_char() {
                Some('\n' | '\r' | '\u{2028}' | '\u{2029}') => {
                    newline = true;
                    self.bump();
                }
                Some(c) if c.is_whitespace() || c == '\u{feff}' => {
                    self.bump();
                }
                Some('/') if self.peek_at(1) == Some('/') => {
                    while let Some(c) = self.peek_char() {
                        if c == '\n' || c == '\r' {
                            break;
                        }
                        self.bump();
                    }
                }
                Some('/') if self.peek_at(1) == Some('*') => {
                    let start = self.pos;
                    self.pos += 2;
                    match self.src[self.pos..].find("*/") {
                        Some(end) => {
                            if self.src[self.pos..self.pos + end].contains(['\n', '\r']) {
                                newline = true;
                            }
                            self.pos += end + 2;
                        }
                        None => {
                            return Err(ParseError::new(
                                start,
                                "this comment is not closed: expected '*/'",
                            ));
                        }
                    }
                }
                _ => return Ok(newline),
            }
        }
    }

    pub fn next_token(&mut self) -> Result<Token, ParseError> {
        let newline_before = self.skip_trivia()?;
        let start = self.pos;
        let Some(c) = self.peek_char() else {
            return Ok(Token {
                tok: Tok::Eof,
                start,
                end: start,
                newline_before,
            });
        };
        let tok = if is_ident_start(c) {
            self.ident()
        } else if c.is_ascii_digit()
            || (c == '.' && self.peek_at(1).is_some_and(|d| d.is_ascii_digit()))
        {
            self.number()?
        } else if c == '"' || c == '\'' || c == '`' {
            self.string(c)?
        } else if c == '/' {
            self.regex()?
        } else if PUNCT.contains(c) {
            self.bump();
            Tok::Punct(c)
        } else {
            return Err(ParseError::new(
                start,
                format!("unexpected character '{}'", c.escape_debug()),
            ));
        };
        Ok(Token {
            tok,
            start,
            end: self.pos,
            newline_before,
        })
    }

    /// The rest of the current line, trimmed (the argument of `use` and `show`).
    pub fn rest_of_line(&mut self) -> (usize, &'a str) {
        while matches!(self.peek_char(), Some(c) if c == ' ' || c == '\t') {
            self.bump();
        }
        let start = self.pos;
        let end = self.src[start..]
            .find(['\n', '\r', ';'])
            .map_or(self.src.len(), |i| start + i);
        self.pos = end;
        (start, self.src[start..end].trim_end())
    }

    fn ident(&mut self) -> Tok {
        let start = self.pos;
        while matches!(self.peek_char(), Some(c) if is_ident_part(c)) {
            self.bump();
        }
        Tok::Ident(self.src[start..self.pos].to_string())
    }

    fn number(&mut self) -> Result<Tok, ParseError> {
        let start = self.pos;
        let rest = &self.src[start..];
        if rest.starts_with("0x") || rest.starts_with("0X") {
            self.pos += 2;
            let digits = self.pos;
            while matches!(self.peek_char(), Some(c) if c.is_ascii_hexdigit() || c == '_') {
                self.bump();
            }
            if self.pos == digits {
                return Err(ParseError::new(
                    start,
                    "expected hexadecimal digits after 0x",
                ));
            }
        } else {
            let mut seen_dot = false;
            let mut seen_exp = false;
            while let Some(c) = self.peek_char() {
                if c.is_ascii_digit() || c == '_' {
                    self.bump();
                } else if c == '.' && !seen_dot && !seen_exp {
                    seen_dot = true;
                    self.bump();
                } else if (c == 'e' || c == 'E') && !seen_exp {
                    seen_exp = true;
                    self.bump();
                    if matches!(self.peek_char(), Some('+' | '-')) {
                        self.bump();
                    }
                    if !self.peek_char().is_some_and(|d| d.is_ascii_digit()) {
                        return Err(ParseError::new(
                            self.pos,
                            "expected the digits of an exponent",
                        ));
                    }
                } else {
                    break;
                }
            }
        }
        if self.peek_char() == Some('n') {
            self.bump();
        }
        if self.peek_char().is_some_and(is_ident_part) {
            return Err(ParseError::new(
                self.pos,
                "a number must not be followed directly by a letter",
            ));
        }
        Ok(Tok::Num(self.src[start..self.pos].to_string()))
    }

    fn string(&mut self, quote: char) -> Result<Tok, ParseError> {
        let start = self.pos;
        self.bump();
        let mut out = String::new();
        loop {
            let at = self.pos;
            match self.bump() {
                None => {
                    return Err(ParseError::new(
                        start,
                        format!("this string is not closed: expected {quote}"),
                    ));
                }
                Some(c) if c == quote => break,
                Some('\n' | '\r') if quote != '`' => {
                    return Err(ParseError::new(
                        start,
                        format!(
                            "this string is not closed before the end of the line: expected {quote}"
                        ),
                    ));
                }
                Some('$') if quote == '`' && self.peek_char() == Some('{') => {
                    return Err(ParseError::new(
                        at,
                        "template literals with ${...} are not supported: write the value itself",
                    ));
                }
                Some('\\') => self.escape(at, &mut out)?,
                Some(c) => out.push(c),
            }
        }
        Ok(Tok::Str(out))
    }

    fn escape(&mut self, at: usize, out: &mut String) -> Result<(), ParseError> {
        let Some(c) = self.bump() else {
            return Err(ParseError::new(
                at,
                "the string ends inside an escape sequence",
            ));
        };
        match c {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'v' => out.push('\u{b}'),
            '0' if !self.peek_char().is_some_and(|d| d.is_ascii_digit()) => out.push('\0'),
            'x' => {
                let code = self.hex_digits(at, 2)?;
                out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            }
            'u' => {
                let code = if self.peek_char() == Some('{') {
                    self.bump();
                    let begin = self.pos;
                    while matches!(self.peek_char(), Some(c) if c.is_ascii_hexdigit()) {
                        self.bump();
                    }
                    let digits = &self.src[begin..self.pos];
                    if self.bump() != Some('}') || digits.is_empty() || digits.len() > 6 {
                        return Err(ParseError::new(at, "expected \\u{hex digits}"));
                    }
                    u32::from_str_radix(digits, 16)
                        .map_err(|_| ParseError::new(at, "expected \\u{hex digits}"))?
                } else {
                    let high = self.hex_digits(at, 4)?;
                    // A surrogate pair, as JavaScript writes characters past U+FFFF.
                    if (0xD800..0xDC00).contains(&high) && self.src[self.pos..].starts_with("\\u") {
                        let save = self.pos;
                        self.pos += 2;
                        match self.hex_digits(at, 4) {
                            Ok(low) if (0xDC00..0xE000).contains(&low) => {
                                0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                            }
                            _ => {
                                self.pos = save;
                                high
                            }
                        }
                    } else {
                        high
                    }
                };
                // A lone surrogate cannot be held in UTF-8, as BSON strings are.
                out.push(char::from_u32(code).ok_or_else(|| {
                    ParseError::new(
                        at,
                        "this escape is not a Unicode character (a lone surrogate?)",
                    )
                })?);
            }
            '\r' => {
                if self.peek_char() == Some('\n') {
                    self.bump();
                }
            }
            '\n' | '\u{2028}' | '\u{2029}' => {}
            other => out.push(other),
        }
        Ok(())
    }

    fn hex_digits(&mut self, at: usize, n: usize) -> Result<u32, ParseError> {
        let begin = self.pos;
        for _ in 0..n {
            match self.peek_char() {
                Some(c) if c.is_ascii_hexdigit() => {
                    self.bump();
                }
                _ => {
                    return Err(ParseError::new(
                        at,
                        format!("expected {n} hexadecimal digits in this escape"),
                    ));
                }
            }
        }
        u32::from_str_radix(&self.src[begin..self.pos], 16)
            .map_err(|_| ParseError::new(at, "invalid escape"))
    }

    fn regex(&mut self) -> Result<Tok, ParseError> {
        let start = self.pos;
        self.bump();
        let mut pattern = String::new();
        let mut in_class = false;
        loop {
            match self.bump() {
                None | Some('\n' | '\r') => {
                    return Err(ParseError::new(
                        start,
                        "this regular expression is not closed: expected '/'",
                    ));
                }
                Some('\\') => {
                    pattern.push('\\');
                    match self.bump() {
                        Some('\n' | '\r') | None => {
                            return Err(ParseError::new(
                                start,
                                "this regular expression is not closed: expected '/'",
                            ));
                        }
                        Some(c) => pattern.push(c),
                    }
                }
                Some('[') => {
                    in_class = true;
                    pattern.push('[');
                }
                Some(']') => {
                    in_class = false;
                    pattern.push(']');
                }
                Some('/') if !in_class => break,
                Some(c) => pattern.push(c),
            }
        }
        if pattern.is_empty() {
            return Err(ParseError::new(start, "empty regular expression"));
        }
        let flags_at = self.pos;
        let mut flags: Vec<char> = Vec::new();
        while matches!(self.peek_char(), Some(c) if is_ident_part(c)) {
            let Some(c) = self.bump() else { break };
            if !"imsxlugdyv".contains(c) || flags.contains(&c) {
                return Err(ParseError::new(
                    flags_at,
                    format!(
                        "unknown or repeated regular expression flag '{c}' (MongoDB knows i, m, s, x, l, u)"
                    ),
                ));
            }
            flags.push(c);
        }
        // JavaScript-only flags have no meaning on the server.
        flags.retain(|c| "imsxlu".contains(*c));
        flags.sort_unstable();
        Ok(Tok::Regex {
            pattern,
            flags: flags.into_iter().collect(),
        })
    }
}

fn is_ident_start(c: char) -> bool {
    c == '$' || c == '_' || c.is_alphabetic()
}

fn is_ident_part(c: char) -> bool {
    is_ident_start(c) || c.is_alphanumeric() || c == '\u{200c}' || c == '\u{200d}'
}
