//! Table tabs: a table's rows through the core's browse query, pending changes made into
//! the core's plan for review, and that plan committed on the tab's session. Manual-commit
//! tabs end their transaction here too. The statements are the core's; nothing here
//! writes SQL.

use dbhive_core::edit::{
    self, Browse, CommitReport, EditTable, GridChange, NewValue, PlannedStatement, TxAction,
};
use dbhive_core::{DbError, DbResult, Engine, TableRef};
use serde::{Deserialize, Serialize};
use tauri::State;
use tauri::ipc::Channel;

use super::open_connection;
use super::queries::{UiEvent, start_query, tab_session};
use crate::state::AppState;
use crate::validate;

/// Pending changes one review or commit takes at most, and their text in all.
const MAX_CHANGES: usize = 100_000;
const MAX_CHANGE_TEXT: usize = 512 << 20;

/// The session a table tab uses: PostgreSQL binds a session to one database, so a table of
/// another database of the server is read and written on a session there.
fn session_database(engine: Engine, table: &TableRef) -> Option<&str> {
    match engine {
        Engine::Postgres => table.database.as_deref(),
        _ => None,
    }
}

fn tab_key(connection_id: &str, tab_id: &str) -> String {
    format!("{connection_id}/{tab_id}")
}

#[derive(Serialize)]
pub struct OpenedTable {
    table: EditTable,
    /// Columns the server computes: shown, never written.
    computed: Vec<String>,
    /// The row address's column at the start of each browse, for a table edited by row id.
    row_id_column: Option<String>,
}

/// Describes `table` for the tab: its columns, and the key edits will name rows by (or
/// why it is read-only). The tab's later browses and commits use this description.
#[tauri::command]
pub async fn open_table(
    state: State<'_, AppState>,
    connection_id: String,
    tab_id: String,
    table: TableRef,
) -> Result<OpenedTable, DbError> {
    validate::id(&tab_id, "tab")?;
    validate::table(&table)?;
    let conn = open_connection(&state, &connection_id)?;
    let description = conn.describe_table(&table).await?;
    let edit_table = EditTable::new(conn.config().engine, &description, table.database.clone());
    state
        .edit_tables
        .lock()
        .map_err(|_| DbError::internal("edit table lock poisoned"))?
        .insert(tab_key(&connection_id, &tab_id), edit_table.clone());
    Ok(OpenedTable {
        computed: edit_table
            .columns
            .iter()
            .filter(|c| edit::is_generated(c))
            .map(|c| c.name.clone())
            .collect(),
        row_id_column: edit::row_id_column(&edit_table).map(str::to_string),
        table: edit_table,
    })
}

fn edit_table(state: &AppState, connection_id: &str, tab_id: &str) -> DbResult<EditTable> {
    state
        .edit_tables
        .lock()
        .map_err(|_| DbError::internal("edit table lock poisoned"))?
        .get(&tab_key(connection_id, tab_id))
        .cloned()
        .ok_or_else(|| DbError::not_found("this tab has no table open"))
}

#[derive(Deserialize)]
pub struct BrowseInput {
    connection_id: String,
    tab_id: String,
    browse: Browse,
}

#[derive(Serialize)]
pub struct BrowseStarted {
    query_id: String,
    /// The query as it runs, for the user to see and copy.
    sql: String,
}

/// Runs one page of the tab's table on the tab's session; its rows stream like a query's.
#[tauri::command]
pub async fn browse_table(
    state: State<'_, AppState>,
    input: BrowseInput,
    events: Channel<UiEvent>,
) -> Result<BrowseStarted, DbError> {
    let table = edit_table(&state, &input.connection_id, &input.tab_id)?;
    if let Some(raw) = &input.browse.raw_where {
        validate::text(raw, "filter", 1 << 20)?;
    }
    for c in &input.browse.conditions {
        validate::text(&c.value, "filter value", 1 << 20)?;
    }
    let sql = edit::select(&table, &input.browse)?;
    let (conn, session) = tab_session(
        &state,
        &input.connection_id,
        &input.tab_id,
        session_database(table.engine, &table.table),
    )
    .await?;
    let query_id = start_query(
        &state,
        &conn,
        session,
        tab_key(&input.connection_id, &input.tab_id),
        sql.clone(),
        None,
        events,
    )?;
    set_result_table(&state, &query_id, 0, table)?;
    Ok(BrowseStarted { query_id, sql })
}

/// Records that the rows of `result` of query `query_id` are edited in `table`.
fn set_result_table(
    state: &AppState,
    query_id: &str,
    result: usize,
    table: EditTable,
) -> DbResult<()> {
    if let Some(q) = state
        .queries
        .lock()
        .map_err(|_| DbError::internal("query table lock poisoned"))?
        .get_mut(query_id)
    {
        q.edits.insert(result, table);
    }
    Ok(())
}

#[derive(Serialize)]
pub struct ResultEdits {
    table: Option<EditTable>,
    computed: Vec<String>,
    /// The table column each result column is; None: the query computed it.
    columns: Vec<Option<String>>,
    /// Why the rows cannot be edited, when they cannot.
    reason: Option<String>,
}

/// Whether a query result's rows can be edited, and in which table: its columns must come
/// from one table (the origins the server gave) and include that table's key.
#[tauri::command]
pub async fn open_result_edits(
    state: State<'_, AppState>,
    connection_id: String,
    query_id: String,
    result: usize,
) -> Result<ResultEdits, DbError> {
    validate::id(&query_id, "query")?;
    let conn = open_connection(&state, &connection_id)?;
    let (store, _) = state.query(&query_id)?;
    let columns = store
        .columns(result)
        .ok_or_else(|| DbError::not_found("that result has no rows"))?;
    let refused = |reason: String| ResultEdits {
        table: None,
        computed: Vec::new(),
        columns: Vec::new(),
        reason: Some(reason),
    };
    let (schema, name) = match edit::origin_table(&columns) {
        Ok(t) => t,
        Err(reason) => return Ok(refused(reason)),
    };
    let table = TableRef {
        database: None,
        schema,
        name,
    };
    let description = conn.describe_table(&table).await?;
    let edit_table = EditTable::new(conn.config().engine, &description, None);
    let mapped = match edit::result_columns(&edit_table, &columns) {
        Ok(m) => m,
        Err(reason) => return Ok(refused(reason)),
    };
    set_result_table(&state, &query_id, result, edit_table.clone())?;
    Ok(ResultEdits {
        computed: edit_table
            .columns
            .iter()
            .filter(|c| edit::is_generated(c))
            .map(|c| c.name.clone())
            .collect(),
        columns: mapped,
        table: Some(edit_table),
        reason: None,
    })
}

#[derive(Deserialize)]
pub struct EditInput {
    connection_id: String,
    tab_id: String,
    /// The browse whose stored rows the changes' row numbers refer to.
    query_id: String,
    result: usize,
    changes: Vec<GridChange>,
}

/// The statements `input`'s changes make, in order.
fn plan_of(state: &AppState, input: &EditInput) -> DbResult<(EditTable, Vec<PlannedStatement>)> {
    validate::id(&input.query_id, "query")?;
    if input.changes.len() > MAX_CHANGES {
        return Err(DbError::unsupported(format!(
            "{} pending changes: commit at most {MAX_CHANGES} at a time",
            input.changes.len()
        )));
    }
    let text: usize = input
        .changes
        .iter()
        .flat_map(|c| match c {
            GridChange::Update { set, .. } => set.as_slice(),
            GridChange::Insert { values, .. } => values.as_slice(),
            GridChange::Delete { .. } => &[],
        })
        .map(|(name, v)| {
            name.len()
                + match v {
                    NewValue::Text(t) => t.len(),
                    _ => 0,
                }
        })
        .sum();
    if text > MAX_CHANGE_TEXT {
        return Err(DbError::unsupported(
            "the pending values are larger than 512 MB in all: commit them in parts",
        ));
    }
    let table = state
        .queries
        .lock()
        .map_err(|_| DbError::internal("query table lock poisoned"))?
        .get(&input.query_id)
        .and_then(|q| q.edits.get(&input.result).cloned())
        .ok_or_else(|| DbError::unsupported("these rows are not open for editing"))?;
    let (store, style) = state.query(&input.query_id)?;
    let columns = store
        .columns(input.result)
        .ok_or_else(|| DbError::not_found("the rows these changes refer to are gone"))?;
    let changes = input
        .changes
        .iter()
        .map(|change| {
            let row = match change.row() {
                Some(r) => store.fetch(input.result, r, 1)?.into_iter().next(),
                None => None,
            };
            edit::change_from_row(&table, &columns, row.as_deref(), change.clone())
        })
        .collect::<DbResult<Vec<_>>>()?;
    let plan = edit::plan(&table, &changes, style)?;
    Ok((table, plan))
}

/// What Commit would run: shown for review.
#[tauri::command]
pub async fn plan_edits(
    state: State<'_, AppState>,
    input: EditInput,
) -> Result<Vec<PlannedStatement>, DbError> {
    plan_of(&state, &input).map(|(_, plan)| plan)
}

/// Runs the plan in one transaction on the tab's session and reports each statement.
#[tauri::command]
pub async fn commit_edits(
    state: State<'_, AppState>,
    input: EditInput,
) -> Result<CommitReport, DbError> {
    let (table, plan) = plan_of(&state, &input)?;
    let (_, session) = tab_session(
        &state,
        &input.connection_id,
        &input.tab_id,
        session_database(table.engine, &table.table),
    )
    .await?;
    if session.in_transaction() {
        return Err(DbError::unsupported(
            "this tab's session has a transaction open: commit or roll it back first",
        ));
    }
    edit::commit(session, table.engine, &plan).await
}

/// Commit or Rollback of a manual-commit tab; true if a transaction is still open after.
#[tauri::command]
pub async fn end_transaction(
    state: State<'_, AppState>,
    connection_id: String,
    tab_id: String,
    commit: bool,
) -> Result<bool, DbError> {
    let (conn, session) = tab_session(&state, &connection_id, &tab_id, None).await?;
    let action = if commit {
        TxAction::Commit
    } else {
        TxAction::Rollback
    };
    edit::transaction(&session, conn.config().engine, action).await?;
    Ok(session.in_transaction())
}
