//! What the app keeps between commands: the open connections, one session per editor tab,
//! the running and finished queries with their stored rows, and the saved connections.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use dbhive_core::edit::EditTable;
use dbhive_core::{
    ConnectionRegistry, DbError, DbResult, QueryHandle, ResultStore, Secret, Session, TextStyle,
};

use crate::keychain::Keychain;
use crate::saved::SavedStore;
use crate::settings::SettingsStore;

pub struct QueryEntry {
    pub handle: QueryHandle,
    pub store: Arc<ResultStore>,
    pub style: &'static TextStyle,
    /// "connection/tab": the tab whose closing frees the store.
    pub tab: String,
    /// The table each editable result's rows are edited in, by result.
    pub edits: HashMap<usize, EditTable>,
}

pub struct AppState {
    pub registry: ConnectionRegistry,
    pub saved: SavedStore,
    pub settings: SettingsStore,
    /// The sample database, in the app's data folder: the only file the app creates on
    /// its own.
    pub sample_path: PathBuf,
    pub keychain: Arc<Keychain>,
    /// Sessions by "connection/tab/database".
    pub sessions: tokio::sync::Mutex<HashMap<String, Arc<dyn Session>>>,
    pub queries: Mutex<HashMap<String, QueryEntry>>,
    /// The table each table tab shows, by "connection/tab": what its edits are planned on.
    pub edit_tables: Mutex<HashMap<String, EditTable>>,
    /// Passwords typed at connect time when they are not saved: memory only.
    pub typed_passwords: Mutex<HashMap<String, Secret>>,
    /// Last known health of each open connection (true: answering).
    pub health: Mutex<HashMap<String, bool>>,
}

impl AppState {
    pub fn new(saved: SavedStore, settings: SettingsStore, sample_path: PathBuf) -> Self {
        AppState {
            registry: dbhive_drivers::registry(),
            saved,
            settings,
            sample_path,
            keychain: Arc::new(Keychain::default()),
            sessions: tokio::sync::Mutex::new(HashMap::new()),
            queries: Mutex::new(HashMap::new()),
            edit_tables: Mutex::new(HashMap::new()),
            typed_passwords: Mutex::new(HashMap::new()),
            health: Mutex::new(HashMap::new()),
        }
    }

    /// Forgets the queries of tabs whose key starts with `prefix` ("connection/tab/"),
    /// cancelling them; their stores are freed off the calling thread.
    pub fn drop_queries(&self, prefix: &str) {
        let gone: Vec<QueryEntry> = match self.queries.lock() {
            Ok(mut queries) => {
                let ids: Vec<String> = queries
                    .iter()
                    .filter(|(_, q)| format!("{}/", q.tab).starts_with(prefix))
                    .map(|(id, _)| id.clone())
                    .collect();
                ids.iter().filter_map(|id| queries.remove(id)).collect()
            }
            Err(_) => return,
        };
        for q in &gone {
            q.handle.cancel();
        }
        if !gone.is_empty() {
            // Freeing a million stored rows takes a moment.
            std::thread::spawn(move || drop(gone));
        }
    }

    pub fn query(&self, id: &str) -> DbResult<(Arc<ResultStore>, &'static TextStyle)> {
        let queries = self
            .queries
            .lock()
            .map_err(|_| DbError::internal("query table lock poisoned"))?;
        let q = queries.get(id).ok_or_else(|| {
            DbError::not_found(format!("query '{id}' is gone (its tab was closed)"))
        })?;
        Ok((q.store.clone(), q.style))
    }
}

/// A random identifier for queries and new connections.
pub fn new_id() -> String {
    let mut bytes = [0u8; 12];
    if getrandom::fill(&mut bytes).is_err() {
        // Extremely unlikely; time-based ids are still unique within one process.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        bytes[..12].copy_from_slice(&nanos.to_le_bytes()[..12]);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
