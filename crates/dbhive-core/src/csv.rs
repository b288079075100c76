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
        self.needs_quotes_with(field, single_column, b',')
    }

    /// As `needs_quotes`, for another delimiter (tab for TSV).
    pub fn needs_quotes_with(self, field: &[u8], single_column: bool, delimiter: u8) -> bool {
        if field.is_empty() {
            return true;
        }
        let basic = |c: &u8| *c == delimiter || matches!(c, b'"' | b'\r' | b'\n');
        match self {
            CsvQuoting::PostgresCopy => {
                (single_column && field == b"\\.") || field.iter().any(basic)
            }
            CsvQuoting::Rfc4180 => field.iter().any(basic),
            CsvQuoting::SqliteShell => field
                .iter()
                .any(|&c| c < 0x21 || c == b'"' || c == b'\'' || c == delimiter || c >= 0x7f),
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
    write_field_with(out, field, quoting, single_column, b',')
}

/// Appends one field for a given delimiter.
pub fn write_field_with(
    out: &mut Vec<u8>,
    field: Option<&[u8]>,
    quoting: CsvQuoting,
    single_column: bool,
    delimiter: u8,
) {
    let Some(field) = field else {
        return;
    };
    if !quoting.needs_quotes_with(field, single_column, delimiter) {
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

/// Appends one record: the values in the engine's text, NULL as an empty field, and a
/// newline. `scratch` is reused between calls.
pub fn write_record(
    out: &mut Vec<u8>,
    values: &[crate::Value],
    style: &crate::TextStyle,
    delimiter: u8,
    scratch: &mut Vec<u8>,
) {
    let single = values.len() == 1;
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(delimiter);
        }
        if v.is_null() {
            continue;
        }
        scratch.clear();
        style.write(v, scratch);
        write_field_with(out, Some(scratch), style.csv, single, delimiter);
    }
    out.push(b'\n');
}

/// Appends a header record of column names.
pub fn write_header(out: &mut Vec<u8>, names: &[&str], quoting: CsvQuoting, delimiter: u8) {
    let single = names.len() == 1;
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push(delimiter);
        }
        write_field_with(out, Some(name.as_bytes()), quoting, single, delimiter);
    }
    out.push(b'\n');
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
