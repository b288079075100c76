//! `dbhive tree`, `describe` and `ddl`: the metadata commands.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::sync::Arc;

use dbhive_core::{Connection, SchemaNode, TableDescription, TableRef};

use crate::cli::MetaFormat;
use crate::exit::{self, Failure};
use crate::terminal::safe;

/// Splits a tree path: "a/b" or a JSON array of names. "\/" is a literal slash.
pub fn parse_path(path: &str) -> Result<Vec<String>, Failure> {
    let trimmed = path.trim();
    if trimmed.starts_with('[') {
        return serde_json::from_str(trimmed)
            .map_err(|e| Failure::usage(format!("--path is not a JSON array of strings: {e}")));
    }
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = trimmed.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'/') => {
                current.push('/');
                chars.next();
            }
            '/' => parts.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    parts.push(current);
    Ok(parts)
}

/// Writes to stdout; a reader that went away (`| head`) is not an error, as in `query`.
fn emit(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::new(
            exit::QUERY_FAILED,
            format!("cannot write the output: {e}"),
        )),
        _ => Ok(()),
    }
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<(), Failure> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::new(exit::QUERY_FAILED, e.to_string()))?;
    text.push('\n');
    emit(&text)
}

fn human_size(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

pub async fn tree(
    conn: Arc<dyn Connection>,
    path: &str,
    format: MetaFormat,
) -> Result<(), Failure> {
    let path = parse_path(path)?;
    let nodes: Vec<SchemaNode> = conn.list_children(&path).await.map_err(Failure::query)?;
    match format {
        MetaFormat::Json => print_json(&nodes),
        MetaFormat::Table => {
            let mut out = String::new();
            for n in &nodes {
                let mut line = format!("{:<18} {}", format!("{:?}", n.kind).to_lowercase(), n.name);
                if let Some(d) = &n.detail {
                    line.push_str(&format!("  {d}"));
                }
                if let Some(c) = n.count {
                    line.push_str(&format!("  ({c})"));
                }
                if let Some(r) = n.row_estimate {
                    line.push_str(&format!("  ~{r} rows"));
                }
                if let Some(s) = n.size_bytes {
                    line.push_str(&format!("  {}", human_size(s)));
                }
                let _ = writeln!(out, "{}", safe(&line));
            }
            emit(&out)
        }
    }
}

pub async fn describe(
    conn: Arc<dyn Connection>,
    table: &str,
    format: MetaFormat,
) -> Result<(), Failure> {
    let table = TableRef::parse(table).map_err(|e| Failure::usage(e.message))?;
    let d: TableDescription = conn.describe_table(&table).await.map_err(Failure::query)?;
    match format {
        MetaFormat::Json => print_json(&d),
        MetaFormat::Table => {
            let mut out = String::new();
            let schema = d
                .table
                .schema
                .as_deref()
                .map(|s| format!("{s}."))
                .unwrap_or_default();
            let _ = writeln!(out, "{} {schema}{}", d.table.kind.label(), d.table.name);
            for c in &d.columns {
                let mut line = format!("  {:<24} {}", c.name, c.data_type);
                if !c.nullable {
                    line.push_str(" NOT NULL");
                }
                if let Some(def) = &c.default {
                    line.push_str(&format!(" DEFAULT {def}"));
                }
                if let Some(extra) = &c.extra {
                    line.push_str(&format!(" {extra}"));
                }
                let _ = writeln!(out, "{line}");
            }
            if let Some(pk) = &d.primary_key {
                let _ = writeln!(out, "Primary key: ({})", pk.columns.join(", "));
            }
            for i in &d.indexes {
                let kind = if i.is_primary {
                    "PRIMARY"
                } else if i.is_unique {
                    "UNIQUE"
                } else {
                    "INDEX"
                };
                let _ = writeln!(out, "{kind} {} ({})", i.name, i.columns.join(", "));
            }
            for f in &d.foreign_keys {
                let _ = writeln!(
                    out,
                    "FOREIGN KEY {} ({}) REFERENCES {}({}) ON UPDATE {} ON DELETE {}",
                    f.name,
                    f.columns.join(", "),
                    f.referenced_table,
                    f.referenced_columns.join(", "),
                    f.on_update,
                    f.on_delete
                );
            }
            for f in &d.referenced_by {
                let _ = writeln!(
                    out,
                    "Referenced by {}.{} ({})",
                    f.table,
                    f.name,
                    f.columns.join(", ")
                );
            }
            for t in &d.triggers {
                let _ = writeln!(
                    out,
                    "TRIGGER {} {}",
                    t.name,
                    t.timing.as_deref().unwrap_or("")
                );
            }
            emit(&safe(&out))
        }
    }
}

pub async fn ddl(conn: Arc<dyn Connection>, table: &str) -> Result<(), Failure> {
    let table = TableRef::parse(table).map_err(|e| Failure::usage(e.message))?;
    let text = conn.ddl(&table).await.map_err(Failure::query)?;
    // Exact when redirected (names may hold any character); readable on a terminal.
    if std::io::stdout().is_terminal() {
        emit(&safe(&text))
    } else {
        emit(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(parse_path("").ok(), Some(vec![]));
        assert_eq!(
            parse_path("db/public/tables").ok(),
            Some(vec!["db".into(), "public".into(), "tables".into()])
        );
        assert_eq!(
            parse_path(r"db/a\/b").ok(),
            Some(vec!["db".into(), "a/b".into()])
        );
        assert_eq!(
            parse_path(r#"["a/b", "c"]"#).ok(),
            Some(vec!["a/b".into(), "c".into()])
        );
    }
}
