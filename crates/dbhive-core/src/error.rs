//! [`DbError`]: what went wrong, in a form a person understands and a program can branch on.

use std::fmt;

use serde::{Deserialize, Serialize};

pub type DbResult<T> = Result<T, DbError>;

/// What kind of failure this is; the UI and the CLI's exit code branch on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The server could not be reached, or the connection broke.
    Connection,
    /// The server refused the credentials.
    Auth,
    /// TLS negotiation or certificate verification failed.
    Tls,
    /// The statement does not parse; `position` says where.
    Syntax,
    /// A database, table, column or other object does not exist.
    NotFound,
    /// The user may not do this.
    Permission,
    /// The query or connection ran past its time limit.
    Timeout,
    /// Stopped at the user's request.
    Cancelled,
    /// A constraint (unique, foreign key, not null, check) rejected the change.
    Constraint,
    /// The engine or DB-Hive does not support this.
    Unsupported,
    /// The server ran the statement and it failed for another reason (division by zero,
    /// invalid input, deadlock...).
    Query,
    /// A limit DB-Hive sets was reached (memory or disk for stored results).
    Limit,
    /// A bug or an unexpected answer: the message says what.
    Internal,
}

impl ErrorKind {
    pub fn label(self) -> &'static str {
        match self {
            ErrorKind::Connection => "connection error",
            ErrorKind::Auth => "authentication failed",
            ErrorKind::Tls => "TLS error",
            ErrorKind::Syntax => "syntax error",
            ErrorKind::NotFound => "not found",
            ErrorKind::Permission => "permission denied",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Constraint => "constraint violation",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Query => "query error",
            ErrorKind::Limit => "limit reached",
            ErrorKind::Internal => "internal error",
        }
    }
}

/// An error from a driver or the core. Secrets never appear in any of its fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub struct DbError {
    pub kind: ErrorKind,
    /// The engine's own code: SQLSTATE, MySQL error number, SQLite extended result code...
    pub code: Option<String>,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// 1-based character (not byte) offset into the SQL text that was sent, where the
    /// engine reports one.
    pub position: Option<u32>,
    /// The certificates of a refused pin, so the user can compare them and accept the new
    /// one. Boxed: errors travel in every `Result`, and this is rarely set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<Box<CertificateChange>>,
    /// The error already reached the user as a notice in its place among the messages (SQL
    /// Server reports every error of a batch in order and goes on); it ends the run but is
    /// not to be shown a second time.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_messages: bool,
}

/// A server's certificate differs from the one pinned for the connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateChange {
    /// SHA-256 fingerprints, as `openssl x509 -fingerprint -sha256` prints them.
    pub pinned: String,
    pub presented: String,
}

impl DbError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        DbError {
            kind,
            code: None,
            message: message.into(),
            detail: None,
            hint: None,
            position: None,
            certificate: None,
            in_messages: false,
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        DbError::new(ErrorKind::Internal, message)
    }

    pub fn connection(message: impl Into<String>) -> Self {
        DbError::new(ErrorKind::Connection, message)
    }

    pub fn cancelled() -> Self {
        DbError::new(ErrorKind::Cancelled, "query cancelled")
    }

    pub fn timeout(message: impl Into<String>) -> Self {
        DbError::new(ErrorKind::Timeout, message)
    }

    pub fn unsupported(message: impl Into<String>) -> Self {
        DbError::new(ErrorKind::Unsupported, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        DbError::new(ErrorKind::NotFound, message)
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Marks an error that was already sent as a notice in its place.
    pub fn in_messages(mut self) -> Self {
        self.in_messages = true;
        self
    }

    pub fn with_position(mut self, position: Option<u32>) -> Self {
        self.position = position;
        self
    }

    pub fn with_detail(mut self, detail: Option<String>) -> Self {
        self.detail = detail;
        self
    }

    pub fn with_hint(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    pub fn is_connection_loss(&self) -> bool {
        self.kind == ErrorKind::Connection
    }

    /// Line and column (both 1-based) of `position` within `sql`.
    pub fn line_column(&self, sql: &str) -> Option<(usize, usize)> {
        let pos = self.position? as usize;
        line_column_of(sql, pos)
    }

    /// The psql-style excerpt: `LINE n: <text>` and a caret under the position.
    pub fn excerpt(&self, sql: &str) -> Option<String> {
        let (line_no, col) = self.line_column(sql)?;
        let line = sql.lines().nth(line_no - 1).unwrap_or("");
        let prefix = format!("LINE {line_no}: ");
        // Tabs are kept under the caret so it lines up however the terminal expands them.
        let pad: String = prefix
            .chars()
            .map(|_| ' ')
            .chain(
                line.chars()
                    .take(col.saturating_sub(1))
                    .map(|c| if c == '\t' { '\t' } else { ' ' }),
            )
            .collect();
        Some(format!("{prefix}{line}\n{pad}^"))
    }
}

/// 1-based (line, column) of the 1-based character offset `pos` in `text`.
pub fn line_column_of(text: &str, pos: usize) -> Option<(usize, usize)> {
    if pos == 0 {
        return None;
    }
    let mut line = 1;
    let mut col = 1;
    for (i, c) in text.chars().enumerate() {
        if i + 1 == pos {
            return Some((line, col));
        }
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    // PostgreSQL points one past the end for "syntax error at end of input".
    Some((line, col))
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(code) = &self.code {
            write!(f, " ({code})")?;
        }
        Ok(())
    }
}

impl From<std::io::Error> for DbError {
    fn from(e: std::io::Error) -> Self {
        use std::io::ErrorKind as Io;
        let kind = match e.kind() {
            Io::TimedOut => ErrorKind::Timeout,
            Io::PermissionDenied => ErrorKind::Permission,
            Io::NotFound => ErrorKind::NotFound,
            _ => ErrorKind::Connection,
        };
        DbError::new(kind, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_caret() {
        let sql = "SELECT 1;\nSELECT * FORM t";
        let e = DbError::new(ErrorKind::Syntax, "syntax error").with_position(Some(20));
        assert_eq!(e.line_column(sql), Some((2, 10)));
        assert_eq!(
            e.excerpt(sql).as_deref(),
            Some("LINE 2: SELECT * FORM t\n                 ^")
        );
    }

    #[test]
    fn position_past_end() {
        assert_eq!(line_column_of("SELECT (", 9), Some((1, 9)));
        assert_eq!(line_column_of("é x", 3), Some((1, 3)));
    }
}
