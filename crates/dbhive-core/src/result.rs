//! What a running query produces: [`QueryEvent`]s carrying [`Column`]s and [`RowBatch`]es.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::DbError;
use crate::value::Value;

/// A result column as the engine describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// The engine's type name (`int4`, `varchar`, `DATETIME`, `TEXT`...).
    pub type_name: String,
    pub nullable: Option<bool>,
    /// The table column this value was read from, when the engine says; needed for editing.
    pub origin: Option<ColumnOrigin>,
    /// The cell holds the whole row as a document (MongoDB's raw BSON), for the JSON view
    /// and JSON exports; grids and CSV leave this column out.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub document: bool,
}

impl Column {
    pub fn new(name: impl Into<String>, type_name: impl Into<String>) -> Self {
        Column {
            name: name.into(),
            type_name: type_name.into(),
            nullable: None,
            origin: None,
            document: false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnOrigin {
    pub schema: Option<String>,
    pub table: String,
    pub column: String,
}

/// Consecutive rows of one result set, stored row-major in one vector so a batch of
/// thousands of rows costs one allocation for its cells.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RowBatch {
    /// Which result set of the script (0-based).
    pub result: usize,
    pub width: usize,
    pub values: Vec<Value>,
}

impl RowBatch {
    pub fn new(result: usize, width: usize) -> Self {
        RowBatch {
            result,
            width,
            values: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.values.len().checked_div(self.width).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn row(&self, i: usize) -> &[Value] {
        &self.values[i * self.width..(i + 1) * self.width]
    }

    pub fn rows(&self) -> impl ExactSizeIterator<Item = &[Value]> {
        // A zero-width result (`SELECT` with no columns) still has rows; chunks(0) would panic.
        self.values.chunks(self.width.max(1))
    }
}

/// A message the server sent beside the results (PostgreSQL NOTICE, MySQL warning...).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// NOTICE, WARNING, INFO, DEBUG, LOG... as the engine names it.
    pub severity: String,
    pub code: Option<String>,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

impl Notice {
    pub fn new(severity: impl Into<String>, message: impl Into<String>) -> Self {
        Notice {
            severity: severity.into(),
            code: None,
            message: message.into(),
            detail: None,
            hint: None,
        }
    }
}

/// One step of a running query, in order. A script yields, per statement, either
/// `Columns` + `Rows`* + `ResultEnd`, or just `ResultEnd` with the rows affected; `Notice`s
/// may come at any point. `Done` always comes last, right after an `Error` when the query
/// failed or was stopped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum QueryEvent {
    /// A result set starts.
    Columns {
        result: usize,
        columns: Arc<[Column]>,
    },
    /// More columns for an open result set (a document result met fields it had not seen):
    /// rows from here on are wider by these; earlier rows lack them (`Value::Missing`).
    ColumnsAdded {
        result: usize,
        columns: Arc<[Column]>,
    },
    Rows(RowBatch),
    Notice(Notice),
    /// A statement finished: its command tag (`INSERT`, `SELECT`...), the rows it returned
    /// and, for data changes, the rows it affected.
    ResultEnd {
        result: usize,
        command: Option<String>,
        rows: u64,
        rows_affected: Option<u64>,
        last_insert_id: Option<u64>,
        has_columns: bool,
    },
    /// Everything finished. `cancelled` is true when the user (or a timeout) stopped it.
    Done {
        elapsed_ms: u64,
        results: usize,
        cancelled: bool,
    },
    Error(DbError),
}

/// How to run one query.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueryOptions {
    /// Stop the query (on the server) when it runs longer than this many milliseconds.
    /// None falls back to the connection's `query_timeout_secs`.
    pub timeout_ms: Option<u64>,
}

impl QueryOptions {
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout_ms
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis)
    }
}
