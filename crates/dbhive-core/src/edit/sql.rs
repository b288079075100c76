//! Each engine's spelling of names and values in the statements an edit runs. Values are
//! literals the server reads with its own rules, so a plan can be shown, copied and run as
//! it is; nothing here concatenates text the user typed without quoting it.

use crate::config::Engine;
use crate::schema::{ColumnInfo, TableRef};
use crate::value::{TextStyle, Value};

use super::NewValue;

pub fn quote_ident(engine: Engine, name: &str) -> String {
    match engine {
        Engine::Mysql => format!("`{}`", name.replace('`', "``")),
        Engine::Mssql => format!("[{}]", name.replace(']', "]]")),
        Engine::Postgres | Engine::Sqlite | Engine::Mongodb => {
            format!("\"{}\"", name.replace('"', "\"\""))
        }
    }
}

/// The table's name as a statement on the session's connection spells it: PostgreSQL's
/// schema (a session is in one database), MySQL's database, SQLite's attached database,
/// SQL Server's database and schema.
pub fn qualified(engine: Engine, t: &TableRef) -> String {
    let q = |n: &str| quote_ident(engine, n);
    match engine {
        Engine::Mysql => match t.schema.as_deref().or(t.database.as_deref()) {
            Some(db) => format!("{}.{}", q(db), q(&t.name)),
            None => q(&t.name),
        },
        Engine::Mssql => match (&t.database, &t.schema) {
            (Some(db), Some(s)) => format!("{}.{}.{}", q(db), q(s), q(&t.name)),
            (None, Some(s)) => format!("{}.{}", q(s), q(&t.name)),
            (Some(db), None) => format!("{}..{}", q(db), q(&t.name)),
            (None, None) => q(&t.name),
        },
        Engine::Postgres | Engine::Sqlite | Engine::Mongodb => match &t.schema {
            Some(s) => format!("{}.{}", q(s), q(&t.name)),
            None => q(&t.name),
        },
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// A string literal. MySQL reads backslashes as escapes unless NO_BACKSLASH_ESCAPES is set,
/// so text with one (or a NUL) goes as hex with its character set, right in either mode.
pub fn text_literal(engine: Engine, s: &str) -> String {
    match engine {
        Engine::Mysql if s.contains(['\\', '\0']) => format!("_utf8mb4 X'{}'", hex(s.as_bytes())),
        Engine::Mssql => format!("N'{}'", s.replace('\'', "''")),
        _ => format!("'{}'", s.replace('\'', "''")),
    }
}

fn bytes_literal(engine: Engine, b: &[u8]) -> String {
    match engine {
        // bytea's hex input, read as the column's type.
        Engine::Postgres => format!("'\\x{}'", hex(b)),
        Engine::Mssql => format!("0x{}", hex(b)),
        _ => format!("X'{}'", hex(b)),
    }
}

fn is_binary_type(engine: Engine, c: &ColumnInfo) -> bool {
    let t = c.data_type.to_ascii_lowercase();
    match engine {
        Engine::Postgres => t == "bytea",
        Engine::Mysql => t.contains("binary") || t.contains("blob"),
        Engine::Mssql => t.contains("binary") || t == "image" || t == "rowversion",
        Engine::Sqlite => t.contains("blob"),
        Engine::Mongodb => false,
    }
}

/// A value as it was read, written so the server reads back the same value.
pub fn value_literal(engine: Engine, v: &Value, style: &TextStyle) -> String {
    let text = |v: &Value| {
        let mut out = Vec::new();
        style.write(v, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    };
    match v {
        Value::Null | Value::Missing => "NULL".into(),
        Value::Bool(b) => match engine {
            Engine::Postgres => if *b { "true" } else { "false" }.into(),
            _ => if *b { "1" } else { "0" }.into(),
        },
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        // PostgreSQL reads a bare 1.1 as numeric and compares real with it as double
        // precision: quoted, it is read as the column's own type.
        Value::Float(_) | Value::Float32(_) if engine == Engine::Postgres => {
            text_literal(engine, &text(v))
        }
        Value::Float(f) if f.is_finite() => text(v),
        Value::Float32(f) if f.is_finite() => text(v),
        Value::Decimal(d) if d.parse::<f64>().is_ok_and(f64::is_finite) => d.clone(),
        Value::Bytes(b) => bytes_literal(engine, b),
        _ => text_literal(engine, &text(v)),
    }
}

/// SQL Server types whose text is cast to the column's type: Babelfish converts no string
/// to them implicitly, and a cast to them cannot truncate as one to varchar(n) would.
fn mssql_cast_type(c: &ColumnInfo) -> Option<&str> {
    let t = c.data_type.as_str();
    let base = t.split('(').next().unwrap_or(t).trim().to_ascii_lowercase();
    matches!(
        base.as_str(),
        "date"
            | "time"
            | "datetime"
            | "datetime2"
            | "smalldatetime"
            | "datetimeoffset"
            | "uniqueidentifier"
    )
    .then_some(t)
}

/// Text for a cell of column `c`, in the type the server must read it as.
fn typed_text(engine: Engine, c: &ColumnInfo, text: &str) -> String {
    let lit = text_literal(engine, text);
    match mssql_cast_type(c).filter(|_| engine == Engine::Mssql) {
        Some(ty) => format!("CAST({lit} AS {ty})"),
        None => lit,
    }
}

/// A value as read, for a cell of column `c`. MySQL's BIT reads as bytes but compares and
/// assigns as a number (a bytes literal there is a string, refused in strict mode).
fn cell_literal(engine: Engine, c: &ColumnInfo, v: &Value, style: &TextStyle) -> String {
    if engine == Engine::Mssql && mssql_cast_type(c).is_some() && !v.is_null() {
        let mut out = Vec::new();
        style.write(v, &mut out);
        return typed_text(engine, c, &String::from_utf8_lossy(&out));
    }
    match v {
        Value::Bytes(b)
            if engine == Engine::Mysql
                && c.data_type.to_ascii_lowercase().starts_with("bit")
                && b.len() <= 8 =>
        {
            b.iter()
                .fold(0u64, |n, byte| (n << 8) | u64::from(*byte))
                .to_string()
        }
        _ => value_literal(engine, v, style),
    }
}

/// The literal for a cell's new value. Text the user typed into a binary column is its
/// bytes (the editor offers files and hex for those).
pub fn new_value(engine: Engine, c: &ColumnInfo, v: &NewValue, style: &TextStyle) -> String {
    match v {
        NewValue::Null => "NULL".into(),
        NewValue::Default => "DEFAULT".into(),
        NewValue::Text(s) if is_binary_type(engine, c) => bytes_literal(engine, s.as_bytes()),
        NewValue::Text(s) => typed_text(engine, c, s),
        NewValue::Value(v) => cell_literal(engine, c, v, style),
    }
}

/// `column` holds `v`, as read. Types without an equality operator compare as text (for
/// PostgreSQL's json, xml and geometric types) or as the widest type of their kind (SQL
/// Server's xml, text, ntext, image); MySQL's single-precision floats compare as floats.
pub fn equals(engine: Engine, c: &ColumnInfo, v: &Value, style: &TextStyle) -> String {
    let col = quote_ident(engine, &c.name);
    if matches!(v, Value::Null | Value::Missing) {
        return format!("{col} IS NULL");
    }
    let lit = cell_literal(engine, c, v, style);
    let t = c.data_type.to_ascii_lowercase();
    match engine {
        Engine::Postgres
            if matches!(
                t.as_str(),
                "json" | "xml" | "point" | "line" | "lseg" | "box" | "path" | "polygon" | "circle"
            ) || t.ends_with("[]") && (t.starts_with("json") || t.starts_with("xml")) =>
        {
            format!("{col}::text = {lit}::text")
        }
        Engine::Mssql if matches!(t.as_str(), "xml" | "ntext" | "text") => {
            format!("CAST({col} AS nvarchar(max)) = {lit}")
        }
        Engine::Mssql if t == "image" => format!("CAST({col} AS varbinary(max)) = {lit}"),
        Engine::Mysql if t.starts_with("float") => format!("{col} = CAST({lit} AS FLOAT)"),
        // MySQL's JSON type compares with JSON only (MariaDB's JSON is text).
        Engine::Mysql if t == "json" => format!("{col} = CAST({lit} AS JSON)"),
        _ => format!("{col} = {lit}"),
    }
}

pub fn row_id_equals(engine: Engine, column: &str, v: &Value, style: &TextStyle) -> String {
    let lit = value_literal(engine, v, style);
    match engine {
        // ctid compares with ctid only: a text literal is read as one.
        Engine::Postgres => format!("ctid = {lit}::tid"),
        _ => format!("{column} = {lit}"),
    }
}

/// How this engine opens, ends and undoes a transaction.
pub fn begin(engine: Engine) -> &'static str {
    match engine {
        Engine::Mysql => "START TRANSACTION",
        Engine::Mssql => "BEGIN TRANSACTION",
        _ => "BEGIN",
    }
}

pub fn commit(engine: Engine) -> &'static str {
    match engine {
        Engine::Mssql => "COMMIT TRANSACTION",
        _ => "COMMIT",
    }
}

pub fn rollback(engine: Engine) -> &'static str {
    match engine {
        // An error SQL Server counts as batch-aborting has already rolled it back.
        Engine::Mssql => "IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION",
        _ => "ROLLBACK",
    }
}
