//! The commands the webview calls. They translate and validate; the work is in the core
//! and the drivers, and no SQL is written here.

pub mod connections;
pub mod edits;
pub mod guard;
pub mod queries;
pub mod schema;
pub mod settings;
pub mod window;

use std::sync::Arc;

use dbhive_core::{Connection, DbError, DbResult};

use crate::state::AppState;

/// Runs blocking work (keychain, files) off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> DbResult<T> + Send + 'static,
) -> DbResult<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| DbError::internal(format!("background task failed: {e}")))?
}

/// An open connection, or a clear error saying it is not connected.
pub fn open_connection(state: &AppState, id: &str) -> DbResult<Arc<dyn Connection>> {
    crate::validate::id(id, "connection")?;
    state.registry.get(id).map_err(|_| {
        DbError::new(
            dbhive_core::ErrorKind::Connection,
            "not connected: connect first",
        )
        .with_code("not_connected")
    })
}
