//! CSV as each engine's own tools write it. The differences matter to anyone diffing an
//! export against `psql`'s or `sqlite3`'s: which fields get quotes, and how NULL looks.

/// When a field is wrapped in double quotes. In every dialect NULL is an empty, unquoted
/// field and the empty string is `""`, so the two stay apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsvQuoting {
    /// PostgreSQL `COPY ... (FORMAT csv)`: quote fields holding the delimiter, a quote, CR
    /// or LF, empty fields, and `\.` alone in a one-column row.
    PostgresCopy,
    /// The sqlite3 shell's `-csv`: also quote fields with a space, an apostrophe, a control
    /// character or any non-ASCII byte.
    SqliteShell,
    /// RFC 4180: quote fields holding the delimiter, a quote, CR or LF, and empty fields.
    Rfc4180,
}

impl CsvQuoting {
    pub fn needs_quotes(self, field: &[u8], single_column: bool) -> bool {
        if field.is_empty() {
            return true;
        }
        let basic = |c: &u8| matches!(c, b',' | b'"' | b'\r' | b'\n');
        match self {
            CsvQuoting::PostgresCopy => {
                (single_column && field == b"\\.") || field.iter().any(basic)
            }
            CsvQuoting::Rfc4180 => field.iter().any(basic),
            CsvQuoting::SqliteShell => field
                .iter()
                .any(|&c| c < 0x21 || c == b'"' || c == b'\'' || c == b',' || c >= 0x7f),
        }
    }
}

/// Appends one field (None: NULL).
pub fn write_field(
    out: &mut Vec<u8>,
    field: Option<&[u8]>,
    quoting: CsvQuoting,
    single_column: bool,
) {
    let Some(field) = field else {
        return;
    };
    if !quoting.needs_quotes(field, single_column) {
        out.extend_from_slice(field);
        return;
    }
    out.push(b'"');
    for &c in field {
        if c == b'"' {
            out.push(b'"');
        }
        out.push(c);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(f: Option<&str>, q: CsvQuoting) -> String {
        let mut out = Vec::new();
        write_field(&mut out, f.map(str::as_bytes), q, false);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn dialects() {
        use CsvQuoting::*;
        assert_eq!(field(None, PostgresCopy), "");
        assert_eq!(field(Some(""), PostgresCopy), "\"\"");
        assert_eq!(field(Some(" sp "), PostgresCopy), " sp ");
        assert_eq!(field(Some(" sp "), SqliteShell), "\" sp \"");
        assert_eq!(field(Some("x\"y"), Rfc4180), "\"x\"\"y\"");
        assert_eq!(field(Some("é"), SqliteShell), "\"é\"");
        assert_eq!(field(Some("é"), PostgresCopy), "é");
        assert_eq!(field(Some("it's"), SqliteShell), "\"it's\"");
        let mut out = Vec::new();
        write_field(&mut out, Some(b"\\."), PostgresCopy, true);
        assert_eq!(out, b"\"\\.\"");
    }
}
