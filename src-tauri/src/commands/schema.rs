//! The schema tree, table details and DDL.

use dbhive_core::{ColumnInfo, DbError, SchemaNode, TableDescription, TableInfo, TableRef};
use tauri::State;

use super::open_connection;
use crate::state::AppState;
use crate::validate;

#[tauri::command]
pub async fn list_children(
    state: State<'_, AppState>,
    id: String,
    path: Vec<String>,
) -> Result<Vec<SchemaNode>, DbError> {
    validate::path(&path)?;
    open_connection(&state, &id)?.list_children(&path).await
}

#[tauri::command]
pub async fn describe_table(
    state: State<'_, AppState>,
    id: String,
    table: TableRef,
) -> Result<TableDescription, DbError> {
    validate::table(&table)?;
    open_connection(&state, &id)?.describe_table(&table).await
}

#[tauri::command]
pub async fn table_ddl(
    state: State<'_, AppState>,
    id: String,
    table: TableRef,
) -> Result<String, DbError> {
    validate::table(&table)?;
    open_connection(&state, &id)?.ddl(&table).await
}

#[tauri::command]
pub async fn select_rows_sql(
    state: State<'_, AppState>,
    id: String,
    table: TableRef,
    limit: u64,
) -> Result<String, DbError> {
    validate::table(&table)?;
    Ok(open_connection(&state, &id)?.select_rows_sql(&table, limit.clamp(1, 1_000_000)))
}

/// Tables of one schema, for completion in the editor.
#[tauri::command]
pub async fn list_tables(
    state: State<'_, AppState>,
    id: String,
    database: Option<String>,
    schema: Option<String>,
) -> Result<Vec<TableInfo>, DbError> {
    for part in [&database, &schema].into_iter().flatten() {
        validate::text(part, "name", 4096)?;
    }
    open_connection(&state, &id)?
        .tables(database.as_deref(), schema.as_deref())
        .await
}

#[tauri::command]
pub async fn table_columns(
    state: State<'_, AppState>,
    id: String,
    table: TableRef,
) -> Result<Vec<ColumnInfo>, DbError> {
    validate::table(&table)?;
    open_connection(&state, &id)?.columns(&table).await
}
