//! The check a production connection's query tab makes before it runs a script.

use dbhive_core::{DbError, Engine};

use crate::validate;

/// The statements of `sql` that would change every row of a table (an UPDATE or DELETE
/// without WHERE), for the user to confirm.
#[tauri::command]
pub fn unbounded_writes(engine: Engine, sql: String) -> Result<Vec<String>, DbError> {
    validate::text(&sql, "query", 64 << 20)?;
    Ok(dbhive_core::guard::unbounded_writes(engine, &sql))
}
