//! The sample database a new user finds on first start: a small shop in SQLite, created in
//! the app's data folder, so there is something to explore without any server.

use std::path::Path;

use dbhive_core::{ConnectionConfig, DbError, DbResult};

use crate::saved::SavedConnection;

pub const SAMPLE_ID: &str = "sample";
const SCRIPT: &str = include_str!("sample.sql");

/// Creates the database file unless it exists (a half-written one is replaced).
pub fn ensure_database(path: &Path) -> DbResult<()> {
    if path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| DbError::internal(format!("cannot create {}: {e}", dir.display())))?;
    }
    let partial = path.with_extension("creating");
    let _ = std::fs::remove_file(&partial);
    let conn = rusqlite::Connection::open(&partial)
        .map_err(|e| DbError::internal(format!("cannot create the sample database: {e}")))?;
    conn.execute_batch(SCRIPT)
        .map_err(|e| DbError::internal(format!("cannot fill the sample database: {e}")))?;
    drop(conn);
    std::fs::rename(&partial, path)
        .map_err(|e| DbError::internal(format!("cannot move the sample database in place: {e}")))
}

pub fn saved_connection(path: &Path) -> SavedConnection {
    SavedConnection {
        id: SAMPLE_ID.into(),
        name: "Sample (SQLite)".into(),
        color: Some("#f2a900".into()),
        config: ConnectionConfig::sqlite(path.display().to_string()),
        save_password: false,
        production: false,
        manual_commit: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_is_complete_and_consistent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sample.sqlite");
        ensure_database(&path).expect("create");
        let conn = rusqlite::Connection::open(&path).expect("open");
        let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
        assert_eq!(count("SELECT count(*) FROM products"), 240);
        assert_eq!(count("SELECT count(*) FROM customers"), 1500);
        assert_eq!(count("SELECT count(*) FROM orders"), 6000);
        assert!(count("SELECT count(*) FROM order_items") > 10_000);
        assert_eq!(count("SELECT count(*) FROM pragma_foreign_key_check"), 0);
        assert_eq!(count("SELECT count(*) FROM top_customers"), 50);
        assert!(
            count("SELECT count(*) FROM customers WHERE notes = ''") > 0,
            "empty strings beside NULLs"
        );
        // A second call leaves the file alone.
        ensure_database(&path).expect("again");
    }
}
