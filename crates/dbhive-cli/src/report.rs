//! Errors and notices on standard error, in the shape psql users know; server text made
//! safe for a terminal first.

use std::io::Write;

use dbhive_core::{DbError, Notice};

use crate::terminal::safe;

pub fn error(e: &DbError, sql: Option<&str>) {
    let mut err = std::io::stderr().lock();
    let code = e
        .code
        .as_deref()
        .map(|c| format!(" ({c})"))
        .unwrap_or_default();
    let _ = writeln!(err, "ERROR:  {}", safe(&format!("{}{code}", e.message)));
    if let Some(excerpt) = sql.and_then(|s| e.excerpt(s)) {
        let _ = writeln!(err, "{}", safe(&excerpt));
    }
    if let Some(d) = &e.detail {
        let _ = writeln!(err, "DETAIL:  {}", safe(d));
    }
    if let Some(h) = &e.hint {
        let _ = writeln!(err, "HINT:  {}", safe(h));
    }
}

pub fn notice(n: &Notice) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}:  {}", safe(&n.severity), safe(&n.message));
    if let Some(d) = &n.detail {
        let _ = writeln!(err, "DETAIL:  {}", safe(d));
    }
    if let Some(h) = &n.hint {
        let _ = writeln!(err, "HINT:  {}", safe(h));
    }
}

/// A warning of DB-Hive's own.
pub fn warning(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "dbhive: warning: {text}");
}
