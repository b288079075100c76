//! Running a script on a SQLite connection: statement by statement, each result streamed
//! into the sink. Runs on a blocking thread.

use std::ffi::CString;
use std::time::Instant;

use dbhive_core::{Column, ColumnOrigin, DbError, DbResult, EventSink, Notice, RowOutcome, Value};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, ffi};

use super::errors::to_error;

/// Byte ranges of the statements in `sql`, as SQLite itself would split them: a `;` ends a
/// statement only where sqlite3_complete() agrees (not inside quotes, comments or a
/// trigger's BEGIN...END).
pub fn split_statements(sql: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in sql.bytes().enumerate() {
        if b != b';' || i < start {
            continue;
        }
        let candidate = &sql[start..=i];
        if is_complete(candidate) {
            out.push((start, i + 1));
            start = i + 1;
        }
    }
    if !sql[start..].trim().is_empty() {
        out.push((start, sql.len()));
    }
    out
}

fn is_complete(sql: &str) -> bool {
    match CString::new(sql) {
        // SAFETY: sqlite3_complete reads a NUL-terminated string and keeps no pointer to it.
        Ok(c) => unsafe { ffi::sqlite3_complete(c.as_ptr()) != 0 },
        Err(_) => true,
    }
}

/// The first keyword of a statement, as its command tag.
fn command_of(sql: &str) -> String {
    let mut rest = sql.trim_start();
    loop {
        if let Some(r) = rest.strip_prefix("--") {
            rest = r.split_once('\n').map(|x| x.1).unwrap_or("").trim_start();
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.split_once("*/").map(|x| x.1).unwrap_or("").trim_start();
        } else {
            break;
        }
    }
    rest.split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_uppercase()
}

/// Runs every statement of `sql`, stopping at the first error.
pub fn run_script(conn: &Connection, sql: &str, sink: &mut EventSink) -> DbResult<()> {
    let mut warned_utf8 = false;
    for (start, end) in split_statements(sql) {
        if sink.is_cancelled() {
            return Err(DbError::cancelled());
        }
        let text = &sql[start..end];
        let mut stmt = match conn.prepare(text) {
            Ok(s) => s,
            Err(rusqlite::Error::Empty) => continue,
            Err(e) => return Err(to_error(e, sql, start)),
        };
        let width = stmt.column_count();
        let command = command_of(text);
        let names: Vec<String> = stmt.column_names().map(str::to_string).collect();
        if width > 0 {
            let columns: Vec<Column> = stmt
                .columns_with_metadata()
                .zip(stmt.columns())
                .map(|(meta, col)| {
                    let mut c = Column::new(col.name(), col.decl_type().unwrap_or(""));
                    if let (Some(table), Some(column)) = (meta.table_name(), meta.origin_name()) {
                        c.origin = Some(ColumnOrigin {
                            schema: meta.database_name().map(str::to_string),
                            table: table.to_string(),
                            column: column.to_string(),
                        });
                    }
                    c
                })
                .collect();
            sink.start_result_blocking(columns);
        }
        let mut rows = stmt.raw_query();
        let mut row_no: u64 = 0;
        loop {
            let row = match rows.next() {
                Ok(Some(row)) => row,
                Ok(None) => break,
                Err(e) => return Err(to_error(e, sql, start)),
            };
            if sink.is_cancelled() {
                return Err(DbError::cancelled());
            }
            row_no += 1;
            for i in 0..width {
                let value = match row.get_ref(i) {
                    Ok(ValueRef::Null) => Value::Null,
                    Ok(ValueRef::Integer(n)) => Value::Int(n),
                    Ok(ValueRef::Real(f)) => Value::Float(f),
                    Ok(ValueRef::Text(bytes)) => match std::str::from_utf8(bytes) {
                        Ok(s) => Value::Text(s.to_owned()),
                        Err(_) => {
                            if !warned_utf8 {
                                warned_utf8 = true;
                                let name = names.get(i).map(String::as_str).unwrap_or("?");
                                let mut n = Notice::new(
                                    "WARNING",
                                    format!(
                                        "column \"{name}\" of row {row_no} holds TEXT that is not valid UTF-8; it is shown as bytes, unchanged"
                                    ),
                                );
                                n.hint = Some("Later cells with the same problem are shown as bytes without another warning.".into());
                                sink.notice_blocking(n);
                            }
                            Value::Bytes(bytes.to_vec())
                        }
                    },
                    Ok(ValueRef::Blob(bytes)) => Value::Bytes(bytes.to_vec()),
                    Err(e) => return Err(to_error(e, sql, start)),
                };
                sink.push(value);
            }
            let due = sink.end_row() == RowOutcome::Flush
                || sink.flush_deadline().is_some_and(|d| d <= Instant::now());
            if due {
                sink.flush_blocking();
            }
        }
        drop(rows);
        let readonly = stmt.readonly();
        drop(stmt);
        let (affected, last_id) = if readonly {
            (None, None)
        } else {
            let changes = conn.changes();
            let affected = matches!(
                command.as_str(),
                "INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "WITH"
            )
            .then_some(changes);
            let last = (command == "INSERT" || command == "REPLACE")
                .then(|| conn.last_insert_rowid() as u64);
            (affected, last)
        };
        sink.end_result_blocking(Some(command), affected, last_id);
    }
    Ok(())
}

/// Runs `f` on `conn`, turning a panic (a malformed database file can trip one in the
/// bindings) into an error instead of a crash.
pub fn guarded<T>(f: impl FnOnce() -> DbResult<T>) -> DbResult<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(DbError::internal(
            "the SQLite call panicked; the operation was abandoned",
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_sqlite() {
        let sql = "SELECT ';'; -- a ; comment\nCREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; SELECT 2; END; SELECT 3";
        let parts: Vec<&str> = split_statements(sql)
            .into_iter()
            .map(|(s, e)| sql[s..e].trim())
            .collect();
        assert_eq!(parts.len(), 3, "{parts:?}");
        assert_eq!(parts[0], "SELECT ';';");
        assert!(
            parts[1].starts_with("-- a ; comment\nCREATE TRIGGER") && parts[1].ends_with("END;")
        );
        assert_eq!(parts[2], "SELECT 3");
        assert_eq!(
            command_of("/* x */ -- y\n  insert into t values (1)"),
            "INSERT"
        );
    }
}
