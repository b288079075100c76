//! Saved connections, the keychain, connect / test / disconnect.

use dbhive_core::{ConnectionConfig, DbError, DbResult, Engine, ErrorKind, Secret, ServerInfo};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, State};

use super::blocking;
use crate::keychain::KeychainStatus;
use crate::sample;
use crate::saved::SavedConnection;
use crate::state::{AppState, new_id};
use crate::validate;

#[derive(Serialize)]
pub struct EngineInfo {
    engine: Engine,
    name: &'static str,
    default_port: Option<u16>,
    /// This build has its driver.
    available: bool,
}

#[derive(Serialize)]
pub struct AppInfo {
    version: &'static str,
    engines: Vec<EngineInfo>,
    keychain: KeychainStatus,
    connections_file: String,
}

#[tauri::command]
pub async fn app_info(app: AppHandle, state: State<'_, AppState>) -> Result<AppInfo, DbError> {
    let keychain = state.keychain.clone();
    let keychain = blocking(move || Ok(keychain.status())).await?;
    let available = state.registry.engines();
    let connections_file = app
        .path()
        .app_config_dir()
        .map(|d| d.join("connections.json").display().to_string())
        .unwrap_or_default();
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        engines: Engine::ALL
            .into_iter()
            .map(|e| EngineInfo {
                engine: e,
                name: e.display_name(),
                default_port: e.default_port(),
                available: available.contains(&e),
            })
            .collect(),
        keychain,
        connections_file,
    })
}

#[derive(Serialize)]
pub struct ConnectionView {
    #[serde(flatten)]
    saved: SavedConnection,
    connected: bool,
}

#[tauri::command]
pub async fn list_connections(state: State<'_, AppState>) -> Result<Vec<ConnectionView>, DbError> {
    let open = state.registry.ids();
    Ok(state
        .saved
        .list()?
        .into_iter()
        .map(|saved| ConnectionView {
            connected: open.contains(&saved.id),
            saved,
        })
        .collect())
}

#[derive(Deserialize)]
pub struct SaveInput {
    id: Option<String>,
    name: String,
    color: Option<String>,
    config: ConnectionConfig,
    password: Option<String>,
    save_password: bool,
}

#[tauri::command]
pub async fn save_connection(
    state: State<'_, AppState>,
    input: SaveInput,
) -> Result<ConnectionView, DbError> {
    if let Some(id) = &input.id {
        validate::id(id, "connection")?;
    }
    validate::text(&input.name, "name", 200)?;
    if input.name.trim().is_empty() {
        return Err(
            DbError::new(ErrorKind::Unsupported, "give the connection a name")
                .with_code("invalid_input"),
        );
    }
    validate::color(input.color.as_deref())?;
    validate::config(&input.config)?;
    if let Some(p) = &input.password {
        validate::text(p, "password", 4096)?;
    }
    let id = input.id.clone().unwrap_or_else(new_id);
    let previous = state.saved.get(&id).ok();

    let keychain = state.keychain.clone();
    let key = id.clone();
    let password = input.password.clone().filter(|p| !p.is_empty());
    let save = input.save_password;
    blocking(move || match (save, password) {
        (true, Some(p)) => keychain.set(&key, &p),
        (true, None) => Ok(()),
        (false, _) => keychain.delete(&key),
    })
    .await?;
    if let Ok(mut typed) = state.typed_passwords.lock() {
        match input.password.filter(|p| !p.is_empty()) {
            // Typed but not saved: kept for this run only.
            Some(p) if !save => {
                typed.insert(id.clone(), Secret::new(p));
            }
            _ => {
                typed.remove(&id);
            }
        }
    }

    let saved = SavedConnection {
        id: id.clone(),
        name: input.name.trim().to_string(),
        color: input.color,
        config: input.config,
        save_password: save,
    };
    state.saved.upsert(saved.clone())?;
    // A changed address takes effect at the next connect.
    if previous.is_some_and(|p| p.config != saved.config) {
        close_connection(&state, &id).await;
    }
    Ok(ConnectionView {
        connected: state.registry.ids().contains(&id),
        saved,
    })
}

#[tauri::command]
pub async fn delete_connection(state: State<'_, AppState>, id: String) -> Result<(), DbError> {
    validate::id(&id, "connection")?;
    close_connection(&state, &id).await;
    let keychain = state.keychain.clone();
    let key = id.clone();
    blocking(move || keychain.delete(&key)).await?;
    if let Ok(mut typed) = state.typed_passwords.lock() {
        typed.remove(&id);
    }
    state.saved.remove(&id)
}

#[derive(Serialize)]
pub struct ParsedUrl {
    config: ConnectionConfig,
    /// The password the URL held, handed back to the form it was pasted into.
    password: Option<String>,
}

#[tauri::command]
pub fn parse_url(url: String) -> Result<ParsedUrl, DbError> {
    validate::text(&url, "URL", 8192)?;
    let (config, secret) = ConnectionConfig::from_url(&url)?;
    Ok(ParsedUrl {
        config,
        password: secret.map(|s| s.expose().to_string()),
    })
}

#[tauri::command]
pub fn render_url(config: ConnectionConfig) -> Result<String, DbError> {
    validate::config(&config)?;
    Ok(config.to_url())
}

/// The password to use: typed now, typed earlier this run, or from the keychain.
async fn password_for(
    state: &AppState,
    id: Option<&str>,
    typed: Option<String>,
) -> DbResult<Option<Secret>> {
    if let Some(p) = typed.filter(|p| !p.is_empty()) {
        validate::text(&p, "password", 4096)?;
        return Ok(Some(Secret::new(p)));
    }
    let Some(id) = id else {
        return Ok(None);
    };
    if let Some(p) = state
        .typed_passwords
        .lock()
        .ok()
        .and_then(|t| t.get(id).cloned())
    {
        return Ok(Some(p));
    }
    let keychain = state.keychain.clone();
    let key = id.to_string();
    blocking(move || keychain.get(&key)).await
}

#[derive(Deserialize)]
pub struct TestInput {
    config: ConnectionConfig,
    password: Option<String>,
    id: Option<String>,
}

#[tauri::command]
pub async fn test_connection(
    state: State<'_, AppState>,
    input: TestInput,
) -> Result<ServerInfo, DbError> {
    validate::config(&input.config)?;
    if let Some(id) = &input.id {
        validate::id(id, "connection")?;
    }
    let secret = password_for(&state, input.id.as_deref(), input.password).await?;
    state.registry.test(&input.config, secret).await
}

#[tauri::command]
pub async fn connect(
    state: State<'_, AppState>,
    id: String,
    password: Option<String>,
) -> Result<ServerInfo, DbError> {
    validate::id(&id, "connection")?;
    let saved = state.saved.get(&id)?;
    if id == sample::SAMPLE_ID {
        // Normally created at startup; recreated here if the file was removed since.
        if let Some(path) = saved.config.database.clone() {
            blocking(move || sample::ensure_database(std::path::Path::new(&path))).await?;
        }
    }
    let typed = password.clone();
    let secret = password_for(&state, Some(&id), password).await?;
    let conn = state
        .registry
        .open(&id, &saved.config, secret.clone())
        .await?;
    if let (Some(secret), Some(_)) = (secret, typed) {
        if let Ok(mut t) = state.typed_passwords.lock() {
            t.insert(id.clone(), secret);
        }
    }
    if let Ok(mut h) = state.health.lock() {
        h.insert(id.clone(), true);
    }
    conn.server_info().await
}

#[tauri::command]
pub async fn disconnect(state: State<'_, AppState>, id: String) -> Result<(), DbError> {
    validate::id(&id, "connection")?;
    close_connection(&state, &id).await;
    Ok(())
}

/// Closes a connection, its sessions and its health record.
async fn close_connection(state: &AppState, id: &str) {
    let prefix = format!("{id}/");
    let sessions: Vec<_> = {
        let mut all = state.sessions.lock().await;
        let keys: Vec<String> = all
            .keys()
            .filter(|k| k.starts_with(&prefix))
            .cloned()
            .collect();
        keys.into_iter().filter_map(|k| all.remove(&k)).collect()
    };
    for s in sessions {
        s.close().await;
    }
    state.registry.close(id).await;
    if let Ok(mut h) = state.health.lock() {
        h.remove(id);
    }
}
