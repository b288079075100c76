//! Errors and notices on standard error, in the shape psql users know.

use std::io::Write;

use dbhive_core::{DbError, Notice};

pub fn error(e: &DbError, sql: Option<&str>) {
    let mut err = std::io::stderr().lock();
    let code = e
        .code
        .as_deref()
        .map(|c| format!(" ({c})"))
        .unwrap_or_default();
    let _ = writeln!(err, "ERROR:  {}{code}", e.message);
    if let Some(excerpt) = sql.and_then(|s| e.excerpt(s)) {
        let _ = writeln!(err, "{excerpt}");
    }
    if let Some(d) = &e.detail {
        let _ = writeln!(err, "DETAIL:  {d}");
    }
    if let Some(h) = &e.hint {
        let _ = writeln!(err, "HINT:  {h}");
    }
}

pub fn notice(n: &Notice) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}:  {}", n.severity, n.message);
    if let Some(d) = &n.detail {
        let _ = writeln!(err, "DETAIL:  {d}");
    }
    if let Some(h) = &n.hint {
        let _ = writeln!(err, "HINT:  {h}");
    }
}
