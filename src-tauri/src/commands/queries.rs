//! Running queries: rows stream from the driver into a ResultStore; the webview gets the
//! first rows at once, then progress, and pages through the rest with `fetch_rows`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dbhive_core::edit::{self, TxAction};
use dbhive_core::{
    Column, Connection, DbError, DbResult, ErrorKind, Notice, QueryEvent, QueryOptions,
    QueryStream, ResultStore, Session, TextStyle,
};
use serde::{Deserialize, Serialize};
use tauri::State;
use tauri::ipc::Channel;

use super::{blocking, open_connection};
use crate::cells::{self, Cell};
use crate::state::{AppState, QueryEntry, new_id};
use crate::validate;

/// A result's first rows travel with the events (the first batch is often a single row), so
/// the grid paints them before asking for anything.
const FIRST_PAGE: usize = 200;
/// Progress (row counts) goes to the webview at most this often.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);
/// Largest page `fetch_rows` returns, and most rows one copy takes.
const MAX_PAGE: usize = 5_000;
const MAX_COPY_ROWS: u64 = 200_000;

#[derive(Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UiEvent {
    Columns {
        result: usize,
        columns: Arc<[Column]>,
    },
    /// The open result gained columns: later rows are wider.
    ColumnsAdded {
        result: usize,
        columns: Arc<[Column]>,
    },
    /// Rows arrived: the new total; while the first page fills, its new rows (`append`);
    /// with the first batch, how each column should be aligned.
    Rows {
        result: usize,
        total: u64,
        append: Option<Vec<Vec<Cell>>>,
        kinds: Option<Vec<&'static str>>,
    },
    Notice {
        notice: Notice,
    },
    ResultEnd {
        result: usize,
        rows: u64,
        rows_affected: Option<u64>,
        last_insert_id: Option<u64>,
        command: Option<String>,
        has_columns: bool,
    },
    Error {
        error: DbError,
    },
    Done {
        elapsed_ms: u64,
        results: usize,
        cancelled: bool,
        /// The tab's session was left inside a transaction (manual-commit mode, or a BEGIN).
        in_transaction: bool,
    },
}

#[derive(Deserialize)]
pub struct RunInput {
    connection_id: String,
    tab_id: String,
    sql: String,
    /// Another database of the server (PostgreSQL); None: the connection's own.
    database: Option<String>,
    timeout_ms: Option<u64>,
    /// Manual-commit mode: a transaction is opened before the query if none is.
    #[serde(default)]
    manual_commit: bool,
}

#[tauri::command]
pub async fn run_query(
    state: State<'_, AppState>,
    input: RunInput,
    events: Channel<UiEvent>,
) -> Result<String, DbError> {
    validate::id(&input.tab_id, "tab")?;
    validate::text(&input.sql, "query", 64 << 20)?;
    if let Some(db) = &input.database {
        validate::text(db, "database", 4096)?;
    }
    let (conn, session) = tab_session(
        &state,
        &input.connection_id,
        &input.tab_id,
        input.database.as_deref(),
    )
    .await?;
    if input.manual_commit && !session.in_transaction() {
        // Manual-commit mode: the tab's work waits for its Commit or Rollback.
        edit::transaction(&session, conn.config().engine, TxAction::Begin).await?;
    }
    start_query(
        &state,
        &conn,
        session,
        format!("{}/{}", input.connection_id, input.tab_id),
        input.sql,
        input.timeout_ms,
        events,
    )
}

/// The tab's own server session on `database` (None: the connection's), opened on first use.
pub(super) async fn tab_session(
    state: &AppState,
    connection_id: &str,
    tab_id: &str,
    database: Option<&str>,
) -> DbResult<(Arc<dyn Connection>, Arc<dyn Session>)> {
    validate::id(tab_id, "tab")?;
    let conn = open_connection(state, connection_id)?;
    let key = format!("{connection_id}/{tab_id}/{}", database.unwrap_or(""));
    let mut sessions = state.sessions.lock().await;
    let session = match sessions.get(&key) {
        Some(s) => s.clone(),
        None => {
            let s = conn.open_session(database).await?;
            sessions.insert(key, s.clone());
            s
        }
    };
    Ok((conn, session))
}

/// Starts `sql` on `session`, its rows kept in a new store the tab `tab` owns; returns the
/// query's id.
pub(super) fn start_query(
    state: &AppState,
    conn: &Arc<dyn Connection>,
    session: Arc<dyn Session>,
    tab: String,
    sql: String,
    timeout_ms: Option<u64>,
    events: Channel<UiEvent>,
) -> DbResult<String> {
    let stream = session.clone().execute(
        sql,
        QueryOptions {
            timeout_ms: timeout_ms.filter(|t| *t > 0),
        },
    );
    let id = new_id();
    let store = Arc::new(ResultStore::with_limits(
        dbhive_core::store::DEFAULT_BUDGET,
        state.settings.limits.clone(),
    ));
    let style = conn.text_style();
    state
        .queries
        .lock()
        .map_err(|_| DbError::internal("query table lock poisoned"))?
        .insert(
            id.clone(),
            QueryEntry {
                handle: stream.handle(),
                store: store.clone(),
                style,
                tab,
                edits: HashMap::new(),
            },
        );
    tauri::async_runtime::spawn(forward(stream, store, style, session, events));
    Ok(id)
}

/// Moves a query's events into its store and tells the webview what it needs to draw.
async fn forward(
    mut stream: QueryStream,
    store: Arc<ResultStore>,
    style: &'static TextStyle,
    session: Arc<dyn Session>,
    events: Channel<UiEvent>,
) {
    let handle = stream.handle();
    let mut last_progress: HashMap<usize, Instant> = HashMap::new();
    let mut documents: HashMap<usize, usize> = HashMap::new();
    // The store refused rows (a limit reached): the query was stopped for that reason, and
    // the cancel that follows is not news.
    let mut refused = false;
    let send = |e: UiEvent| {
        // A closed window cannot take events: stop the query rather than fill memory.
        if events.send(e).is_err() {
            handle.cancel();
        }
    };
    while let Some(event) = stream.next().await {
        match event {
            QueryEvent::Columns { result, columns } => {
                documents.insert(result, document_columns(&columns));
                if let Err(e) = store.begin(result, columns.clone()) {
                    send(UiEvent::Error { error: e });
                }
                send(UiEvent::Columns { result, columns });
            }
            QueryEvent::ColumnsAdded { result, columns } => {
                if let Err(e) = store.extend_columns(result, &columns) {
                    send(UiEvent::Error { error: e });
                }
                send(UiEvent::ColumnsAdded { result, columns });
            }
            QueryEvent::Rows(_) if refused => {}
            QueryEvent::Rows(batch) => {
                let result = batch.result;
                let before = store.row_count(result) as usize;
                let kinds = (before == 0).then(|| {
                    (0..batch.width)
                        .map(|c| {
                            batch
                                .rows()
                                .map(|r| cells::kind(&r[c]))
                                .find(|k| !k.is_empty())
                                .unwrap_or("text")
                        })
                        .collect::<Vec<_>>()
                });
                let append = (before < FIRST_PAGE).then(|| {
                    batch
                        .rows()
                        .take(FIRST_PAGE - before)
                        .map(|r| grid_row(r, style, documents.get(&result).copied().unwrap_or(0)))
                        .collect::<Vec<_>>()
                });
                let total = match store.append(batch) {
                    Ok(t) => t,
                    Err(e) => {
                        refused = true;
                        send(UiEvent::Error { error: e });
                        handle.cancel();
                        continue;
                    }
                };
                let now = Instant::now();
                let due = last_progress
                    .get(&result)
                    .is_none_or(|t| now.duration_since(*t) >= PROGRESS_EVERY);
                if append.is_some() || due {
                    send(UiEvent::Rows {
                        result,
                        total,
                        append,
                        kinds,
                    });
                    last_progress.insert(result, now);
                }
            }
            QueryEvent::ResultEnd {
                result,
                command,
                rows,
                rows_affected,
                last_insert_id,
                has_columns,
            } => {
                let _ = store.finish(result);
                send(UiEvent::ResultEnd {
                    result,
                    rows,
                    rows_affected,
                    last_insert_id,
                    command,
                    has_columns,
                });
            }
            QueryEvent::Notice(notice) => send(UiEvent::Notice { notice }),
            QueryEvent::Error(error) if refused && error.kind == ErrorKind::Cancelled => {}
            QueryEvent::Error(error) => send(UiEvent::Error { error }),
            QueryEvent::Done {
                elapsed_ms,
                results,
                cancelled,
            } => send(UiEvent::Done {
                elapsed_ms,
                results,
                cancelled: cancelled && !refused,
                in_transaction: session.in_transaction(),
            }),
        }
    }
}

#[tauri::command]
pub fn cancel_query(state: State<'_, AppState>, query_id: String) -> Result<(), DbError> {
    validate::id(&query_id, "query")?;
    if let Some(q) = state
        .queries
        .lock()
        .map_err(|_| DbError::internal("query table lock poisoned"))?
        .get(&query_id)
    {
        q.handle.cancel();
    }
    Ok(())
}

#[tauri::command]
pub async fn fetch_rows(
    state: State<'_, AppState>,
    query_id: String,
    result: usize,
    offset: u64,
    limit: usize,
) -> Result<Vec<Vec<Cell>>, DbError> {
    validate::id(&query_id, "query")?;
    let (store, style) = state.query(&query_id)?;
    let limit = limit.min(MAX_PAGE);
    let documents = store.columns(result).map_or(0, |c| document_columns(&c));
    blocking(move || {
        Ok(store
            .fetch(result, offset, limit)?
            .iter()
            .map(|row| grid_row(row, style, documents))
            .collect())
    })
    .await
}

/// A row as the grid draws it. A MongoDB row's document (raw BSON in its first cell) is
/// not drawn; the JSON view asks for it with `documents_json`.
fn grid_row(row: &[dbhive_core::Value], style: &'static TextStyle, documents: usize) -> Vec<Cell> {
    row.iter()
        .enumerate()
        .map(|(i, v)| {
            if i < documents {
                Cell::Null
            } else {
                cells::cell(v, style)
            }
        })
        .collect()
}

/// How many leading columns of a result hold its rows as documents.
fn document_columns(columns: &[Column]) -> usize {
    columns.iter().take_while(|c| c.document).count()
}

/// Documents `offset..offset + limit` of a MongoDB result as indented Extended JSON:
/// `relaxed` (as mongoexport), `typed` (relaxed, with Int64 kept) or `canonical`.
#[tauri::command]
pub async fn documents_json(
    state: State<'_, AppState>,
    query_id: String,
    result: usize,
    offset: u64,
    limit: usize,
    mode: String,
) -> Result<Vec<String>, DbError> {
    validate::id(&query_id, "query")?;
    let mode = dbhive_drivers::mongo::JsonMode::parse(&mode).ok_or_else(|| {
        DbError::new(ErrorKind::Query, "mode must be relaxed, typed or canonical")
    })?;
    let (store, _) = state.query(&query_id)?;
    let columns = store
        .columns(result)
        .unwrap_or_else(|| Arc::from(Vec::new()));
    if !columns.first().is_some_and(|c| c.document) {
        return Err(DbError::unsupported(
            "this result holds rows, not documents",
        ));
    }
    let limit = limit.min(MAX_PAGE);
    blocking(move || {
        store
            .fetch(result, offset, limit)?
            .iter()
            .map(|row| match row.first() {
                Some(dbhive_core::Value::Bytes(b)) => dbhive_drivers::mongo::document_json(b, mode)
                    .map(|text| pretty_json(&text).unwrap_or(text)),
                _ => Err(DbError::internal("a document row without its document")),
            })
            .collect()
    })
    .await
}

#[derive(Serialize)]
pub struct FullValue {
    /// None for NULL.
    text: Option<String>,
    kind: &'static str,
    /// For JSON values: the same JSON, indented (keys and numbers exactly as stored).
    pretty: Option<String>,
}

#[tauri::command]
pub async fn cell_value(
    state: State<'_, AppState>,
    query_id: String,
    result: usize,
    row: u64,
    column: usize,
) -> Result<FullValue, DbError> {
    validate::id(&query_id, "query")?;
    let (store, style) = state.query(&query_id)?;
    blocking(move || {
        let rows = store.fetch(result, row, 1)?;
        let value = rows
            .first()
            .and_then(|r| r.get(column))
            .ok_or_else(|| DbError::not_found("no such cell"))?;
        let text = cells::full_text(value, style);
        let pretty = match value {
            dbhive_core::Value::Json(s) => pretty_json(s),
            dbhive_core::Value::Text(s) if s.trim_start().starts_with(['{', '[']) => pretty_json(s),
            _ => None,
        };
        Ok(FullValue {
            text,
            kind: cells::kind(value),
            pretty,
        })
    })
    .await
}

/// Re-indents valid JSON without parsing its values, so key order and number spelling
/// stay exactly as the database returned them.
pub fn pretty_json(text: &str) -> Option<String> {
    serde_json::from_str::<serde::de::IgnoredAny>(text).ok()?;
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    };
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                // Keep empty containers on one line.
                while chars.peek().is_some_and(|n| n.is_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('}') | Some(']')) {
                    if let Some(close) = chars.next() {
                        out.push(close);
                    }
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    Some(out)
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CopyFormat {
    Tsv,
    Csv,
    Json,
}

#[derive(Deserialize)]
pub struct CopyInput {
    query_id: String,
    result: usize,
    first_row: u64,
    /// Exclusive.
    end_row: u64,
    columns: Vec<usize>,
    format: CopyFormat,
    header: bool,
}

/// The selected cells as text for the clipboard.
#[tauri::command]
pub async fn copy_rows(state: State<'_, AppState>, input: CopyInput) -> Result<String, DbError> {
    validate::id(&input.query_id, "query")?;
    let count = input.end_row.saturating_sub(input.first_row);
    if count > MAX_COPY_ROWS {
        return Err(DbError::new(
            ErrorKind::Unsupported,
            format!(
                "copy at most {MAX_COPY_ROWS} rows at a time; use the CLI's CSV export for more"
            ),
        ));
    }
    let (store, style) = state.query(&input.query_id)?;
    blocking(move || copy_text(&store, style, &input, count)).await
}

fn copy_text(
    store: &ResultStore,
    style: &'static TextStyle,
    input: &CopyInput,
    count: u64,
) -> DbResult<String> {
    let columns = store
        .columns(input.result)
        .unwrap_or_else(|| Arc::from(Vec::new()));
    let picked: Vec<usize> = input
        .columns
        .iter()
        .copied()
        .filter(|c| *c < columns.len())
        .collect();
    let names: Vec<&str> = picked.iter().map(|c| columns[*c].name.as_str()).collect();
    let mut out = Vec::new();
    let mut scratch = Vec::new();
    // Copy uses the display spelling (true/false, \x hex), with RFC 4180 quoting.
    let mut display = *style;
    display.bool_true = "true";
    display.bool_false = "false";
    display.bytes = dbhive_core::BytesStyle::BackslashHex;
    display.csv = dbhive_core::csv::CsvQuoting::Rfc4180;
    let delimiter = if input.format == CopyFormat::Tsv {
        b'\t'
    } else {
        b','
    };
    if input.header && input.format != CopyFormat::Json {
        dbhive_core::csv::write_header(&mut out, &names, display.csv, delimiter);
    }
    if input.format == CopyFormat::Json {
        out.push(b'[');
    }
    let mut offset = input.first_row;
    let end = input.first_row + count;
    let mut first = true;
    while offset < end {
        let rows = store.fetch(
            input.result,
            offset,
            ((end - offset) as usize).min(MAX_PAGE),
        )?;
        if rows.is_empty() {
            break;
        }
        offset += rows.len() as u64;
        for row in rows {
            let values: Vec<dbhive_core::Value> = picked.iter().map(|c| row[*c].clone()).collect();
            match input.format {
                CopyFormat::Json => {
                    if !first {
                        out.push(b',');
                    }
                    out.extend_from_slice(b"\n  {");
                    for (i, (name, v)) in names.iter().zip(&values).enumerate() {
                        if i > 0 {
                            out.extend_from_slice(b", ");
                        }
                        dbhive_core::json::write_string(&mut out, name);
                        out.extend_from_slice(b": ");
                        dbhive_core::json::write_value(&mut out, v, style, &mut scratch);
                    }
                    out.push(b'}');
                }
                _ => dbhive_core::csv::write_record(
                    &mut out,
                    &values,
                    &display,
                    delimiter,
                    &mut scratch,
                ),
            }
            first = false;
        }
    }
    if input.format == CopyFormat::Json {
        out.extend_from_slice(if first { b"]" } else { b"\n]" });
    } else if out.ends_with(b"\n") {
        out.pop();
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[tauri::command]
pub async fn close_query(state: State<'_, AppState>, query_id: String) -> Result<(), DbError> {
    validate::id(&query_id, "query")?;
    let entry = state
        .queries
        .lock()
        .map_err(|_| DbError::internal("query table lock poisoned"))?
        .remove(&query_id);
    if let Some(q) = entry {
        q.handle.cancel();
        // Freeing a million stored rows takes a moment: not on a thread that serves the UI.
        tauri::async_runtime::spawn_blocking(move || drop(q));
    }
    Ok(())
}

#[tauri::command]
pub async fn close_tab(
    state: State<'_, AppState>,
    connection_id: String,
    tab_id: String,
) -> Result<(), DbError> {
    validate::id(&connection_id, "connection")?;
    validate::id(&tab_id, "tab")?;
    let prefix = format!("{connection_id}/{tab_id}/");
    state.drop_queries(&prefix);
    if let Ok(mut tables) = state.edit_tables.lock() {
        tables.remove(&format!("{connection_id}/{tab_id}"));
    }
    let closing: Vec<_> = {
        let mut sessions = state.sessions.lock().await;
        let keys: Vec<String> = sessions
            .keys()
            .filter(|k| k.starts_with(&prefix))
            .cloned()
            .collect();
        keys.into_iter()
            .filter_map(|k| sessions.remove(&k))
            .collect()
    };
    for s in closing {
        s.close().await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_json_keeps_order_and_numbers() {
        let text = r#"{"b": [1, 2.50, {}], "a": {"x": "q\"}"}, "e": []}"#;
        assert_eq!(
            pretty_json(text).as_deref(),
            Some(
                "{\n  \"b\": [\n    1,\n    2.50,\n    {}\n  ],\n  \"a\": {\n    \"x\": \"q\\\"}\"\n  },\n  \"e\": []\n}"
            )
        );
        assert_eq!(pretty_json("not json"), None);
    }
}
