//! Running a script on a SQLite connection: statement by statement, each result streamed
//! into the sink. Runs on a blocking thread.

use std::time::Instant;

use dbhive_core::{
    Column, ColumnOrigin, DbError, DbResult, ErrorKind, EventSink, Notice, RowOutcome, Value,
};
use rusqlite::Connection;
use rusqlite::types::ValueRef;

use super::errors::to_error;

/// Byte ranges of the statements in `sql`, as SQLite itself would split them: a `;` ends a
/// statement only where sqlite3_complete() would say the text so far is complete (not
/// inside quotes, comments or a trigger's BEGIN...END).
///
/// One pass of the state machine sqlite3_complete() runs (SQLite's complete.c), kept
/// between statements instead of asking sqlite3_complete() about every prefix: that was
/// quadratic on a long script with many `;` inside one statement or after an unclosed
/// quote. The tests compare the two on generated scripts.
pub fn split_statements(sql: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut scan = Completer::default();
    let bytes = sql.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match scan.token(bytes, i) {
            Some((token, next)) => {
                scan.state = TRANSITIONS[scan.state as usize][token as usize];
                if token == Token::Semi && scan.state == START {
                    out.push((start, next));
                    start = next;
                    scan = Completer::default();
                }
                i = next;
            }
            // An unclosed quote or comment runs to the end: the rest is one statement.
            None => break,
        }
    }
    if !sql[start..].trim().is_empty() {
        out.push((start, sql.len()));
    }
    out
}

/// The engine's own answer: a `;` ends a statement where sqlite3_complete() says the
/// text since the last end is complete (quadratic: for tests and
/// fuzzing only).
pub fn split_by_sqlite3_complete(sql: &str) -> Vec<(usize, usize)> {
    let complete = |text: &str| {
        let Ok(c) = std::ffi::CString::new(text) else {
            return true;
        };
        // SAFETY: sqlite3_complete reads a NUL-terminated string and keeps no pointer.
        unsafe { rusqlite::ffi::sqlite3_complete(c.as_ptr()) != 0 }
    };
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in sql.bytes().enumerate() {
        if b == b';' && i >= start && complete(&sql[start..=i]) {
            out.push((start, i + 1));
            start = i + 1;
        }
    }
    if !sql[start..].trim().is_empty() {
        out.push((start, sql.len()));
    }
    out
}

/// sqlite3_complete()'s tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Semi = 0,
    Space = 1,
    Other = 2,
    Explain = 3,
    Create = 4,
    Temp = 5,
    Trigger = 6,
    End = 7,
}

/// sqlite3_complete()'s states: 1 is "a complete statement just ended".
const START: u8 = 1;

/// complete.c's `trans[state][token]`: inside CREATE [TEMP] TRIGGER, a `;` only ends the
/// statement after `END ;`.
const TRANSITIONS: [[u8; 8]; 8] = [
    //  SEMI WS OTHER EXPLAIN CREATE TEMP TRIGGER END
    [1, 0, 2, 3, 4, 2, 2, 2], // 0 INVALID
    [1, 1, 2, 3, 4, 2, 2, 2], // 1 START
    [1, 2, 2, 2, 2, 2, 2, 2], // 2 NORMAL
    [1, 3, 3, 2, 4, 2, 2, 2], // 3 EXPLAIN
    [1, 4, 2, 2, 2, 4, 5, 2], // 4 CREATE
    [6, 5, 5, 5, 5, 5, 5, 5], // 5 TRIGGER
    [6, 6, 5, 5, 5, 5, 5, 7], // 6 SEMI
    [1, 7, 5, 5, 5, 5, 5, 5], // 7 END
];

#[derive(Default)]
struct Completer {
    state: u8,
}

/// SQLite's IdChar(): letters, digits, '_', '$' and every byte of a multi-byte character.
fn id_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

impl Completer {
    /// The token at `i` and where the next one starts; None when a quote or comment is not
    /// closed before the end.
    fn token(&self, b: &[u8], i: usize) -> Option<(Token, usize)> {
        let find =
            |from: usize, what: u8| memchr::memchr(what, &b[from.min(b.len())..]).map(|n| from + n);
        Some(match b[i] {
            b';' => (Token::Semi, i + 1),
            b' ' | b'\r' | b'\t' | b'\n' | b'\x0c' => (Token::Space, i + 1),
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = memchr::memmem::find(&b[i + 2..], b"*/")?;
                (Token::Space, i + 2 + end + 2)
            }
            b'-' if b.get(i + 1) == Some(&b'-') => match find(i, b'\n') {
                Some(nl) => (Token::Space, nl + 1),
                // A comment to the end of the text: nothing more comes.
                None => return None,
            },
            b'[' => (Token::Other, find(i + 1, b']')? + 1),
            q @ (b'`' | b'"' | b'\'') => (Token::Other, find(i + 1, q)? + 1),
            c if id_char(c) => {
                let len = b[i..].iter().take_while(|c| id_char(**c)).count();
                let word = &b[i..i + len];
                let token = match len {
                    3 if word.eq_ignore_ascii_case(b"end") => Token::End,
                    4 if word.eq_ignore_ascii_case(b"temp") => Token::Temp,
                    6 if word.eq_ignore_ascii_case(b"create") => Token::Create,
                    7 if word.eq_ignore_ascii_case(b"trigger") => Token::Trigger,
                    7 if word.eq_ignore_ascii_case(b"explain") => Token::Explain,
                    9 if word.eq_ignore_ascii_case(b"temporary") => Token::Temp,
                    _ => Token::Other,
                };
                (token, i + len)
            }
            _ => (Token::Other, i + 1),
        })
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
    if sql.as_bytes().contains(&0) {
        return Err(DbError::new(
            ErrorKind::Syntax,
            "the query text contains a NUL character, where SQLite would stop reading it",
        ));
    }
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

    /// Pieces scripts are made of: every token kind the state machine knows, in the
    /// spellings that trip splitters.
    const PIECES: &[&str] = &[
        ";",
        " ",
        "\n",
        "\t",
        "SELECT 1",
        "x",
        "é",
        "\u{100}",
        "$v",
        "_a",
        "end",
        "END",
        "End",
        "ending",
        "create",
        "CREATE",
        "temp",
        "TEMPORARY",
        "temps",
        "trigger",
        "TRIGGER",
        "explain",
        "EXPLAIN",
        "begin",
        "case",
        "'a;b'",
        "'it''s;'",
        "\"q;\"",
        "`m;`",
        "[w;]",
        "-- c;\n",
        "--",
        "/* c; */",
        "/*",
        "*/",
        "'",
        "\"",
        "[",
        "-",
        "/",
        "(",
        ")",
        ",",
        "ON t",
        "BEGIN",
        // Whole phrases, so the trigger states are reached often.
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN ",
        "create temp trigger ",
        "CREATE TEMPORARY TRIGGER ",
        "EXPLAIN CREATE TRIGGER ",
        " END",
        " END;",
        "END ;",
        "SELECT 1; ",
        "CASE WHEN 1 THEN 2 END",
        "UPDATE t SET a = 1; ",
        "CREATE TABLE t(a);",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn the_split_is_sqlite3_completes(picks in proptest::collection::vec(0..PIECES.len(), 0..40)) {
            let sql: String = picks.iter().map(|i| PIECES[*i]).collect();
            proptest::prop_assert_eq!(split_statements(&sql), split_by_sqlite3_complete(&sql), "{:?}", sql);
        }

        #[test]
        fn the_split_is_sqlite3_completes_on_any_text(sql in "[ -~\n\té]{0,60}") {
            proptest::prop_assert_eq!(split_statements(&sql), split_by_sqlite3_complete(&sql), "{:?}", sql);
        }
    }

    #[test]
    fn a_long_statement_full_of_semicolons_is_split_in_one_pass() {
        // An unclosed quote followed by 200,000 `;`: each asked sqlite3_complete() about
        // the whole prefix before, a few seconds of work; one pass now.
        let sql = format!("SELECT 'unclosed{}", ";".repeat(200_000));
        assert_eq!(split_statements(&sql), vec![(0, sql.len())]);
    }

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
