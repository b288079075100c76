//! Saved connections, the keychain, connect / test / disconnect.

use dbhive_core::security::SecuritySummary;
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
    password: Option<Secret>,
    save_password: bool,
    #[serde(default)]
    production: bool,
    #[serde(default)]
    manual_commit: bool,
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
        validate::text(p.expose(), "password", 4096)?;
    }
    let id = input.id.clone().unwrap_or_else(new_id);
    let previous = state.saved.get(&id).ok();
    // A saved password and a pinned certificate belong to the server they were saved for:
    // pointed elsewhere, the connection keeps neither unless given them again.
    let moved = previous
        .as_ref()
        .is_some_and(|p| !same_destination(&p.config, &input.config));
    let mut config = input.config;
    if moved && previous.as_ref().map(|p| &p.config.tls_pin) == Some(&config.tls_pin) {
        config.tls_pin = None;
    }

    let keychain = state.keychain.clone();
    let key = id.clone();
    let password = input.password.clone().filter(|p| !p.expose().is_empty());
    let save = input.save_password;
    blocking(move || match (save, password) {
        (true, Some(p)) => keychain.set(&key, p.expose()),
        (true, None) if moved => keychain.delete(&key),
        (true, None) => Ok(()),
        (false, _) => keychain.delete(&key),
    })
    .await?;
    let saved = SavedConnection {
        id: id.clone(),
        name: input.name.trim().to_string(),
        color: input.color,
        config,
        save_password: save,
        production: input.production,
        manual_commit: input.manual_commit,
    };
    {
        // The address and the typed password change together: a connect finishing now
        // sees both old or both new (see `connect`).
        let mut typed = state
            .typed_passwords
            .lock()
            .map_err(|_| DbError::internal("password table lock poisoned"))?;
        state.saved.upsert(saved.clone())?;
        match input.password.filter(|p| !p.expose().is_empty()) {
            // Typed but not saved: kept until the connection is closed.
            Some(p) if !save => {
                typed.insert(id.clone(), p);
            }
            _ => {
                typed.remove(&id);
            }
        }
    }
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
    // Its tabs go with it: so do their stored results.
    state.drop_queries(&format!("{id}/"));
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

/// SQL Server's ADO.NET connection string for the config (without the password); None for
/// the other engines.
#[tauri::command]
pub fn render_connection_string(config: ConnectionConfig) -> Result<Option<String>, DbError> {
    validate::config(&config)?;
    Ok(config.to_connection_string())
}

/// Whether two configs reach the same server as the same user: what a saved password and a
/// pinned certificate are tied to.
fn same_destination(a: &ConnectionConfig, b: &ConnectionConfig) -> bool {
    a.engine == b.engine
        && a.host_or_default() == b.host_or_default()
        && a.port_or_default() == b.port_or_default()
        && a.user == b.user
        && a.option("socket") == b.option("socket")
        && (a.engine != Engine::Sqlite || a.database == b.database)
}

/// The password for connecting `config`: the one typed now; else, when `config` still
/// points where the saved connection `id` does, the one typed earlier this run or the
/// keychain's. The second value says where a withheld saved password belongs.
async fn password_for(
    state: &AppState,
    id: Option<&str>,
    config: &ConnectionConfig,
    typed: Option<Secret>,
) -> DbResult<(Option<Secret>, Option<String>)> {
    if let Some(p) = typed.filter(|p| !p.expose().is_empty()) {
        validate::text(p.expose(), "password", 4096)?;
        return Ok((Some(p), None));
    }
    let Some(saved) = id.and_then(|id| state.saved.get(id).ok()) else {
        return Ok((None, None));
    };
    if !same_destination(&saved.config, config) {
        return Ok((None, Some(saved.config.label())));
    }
    if let Some(p) = state
        .typed_passwords
        .lock()
        .ok()
        .and_then(|t| t.get(&saved.id).cloned())
    {
        return Ok((Some(p), None));
    }
    let keychain = state.keychain.clone();
    let key = saved.id.clone();
    Ok((blocking(move || keychain.get(&key)).await?, None))
}

/// An error of a connection made without the saved password says why it was left out.
fn explain_withheld(mut e: DbError, withheld: Option<String>) -> DbError {
    if let (ErrorKind::Auth, Some(owner)) = (e.kind, withheld) {
        e.hint = Some(format!(
            "The saved password was not sent: it belongs to {owner}. Type it to use it with this address."
        ));
    }
    e
}

#[derive(Deserialize)]
pub struct TestInput {
    config: ConnectionConfig,
    password: Option<Secret>,
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
    let mut config = input.config;
    let (secret, withheld) =
        password_for(&state, input.id.as_deref(), &config, input.password).await?;
    if withheld.is_some() {
        // The pin belongs to the saved address too.
        config.tls_pin = None;
    }
    state
        .registry
        .test(&config, secret)
        .await
        .map_err(|e| explain_withheld(e, withheld))
}

#[tauri::command]
pub async fn connect(
    state: State<'_, AppState>,
    id: String,
    password: Option<Secret>,
    create_file: Option<bool>,
) -> Result<ServerInfo, DbError> {
    validate::id(&id, "connection")?;
    let saved = state.saved.get(&id)?;
    let mut config = saved.config.clone();
    if id == sample::SAMPLE_ID
        && config.database.as_deref().map(std::path::Path::new) == Some(state.sample_path.as_path())
    {
        // Normally created at startup; recreated here if the file was removed since. Only
        // there: a sample entry pointed elsewhere is opened like any other file.
        let path = state.sample_path.clone();
        blocking(move || sample::ensure_database(&path)).await?;
    }
    if create_file == Some(true) && config.engine == Engine::Sqlite {
        // The user said yes to "create a new database at this path".
        config.options.insert("mode".into(), "rwc".into());
    }
    let typed = password.is_some();
    let (secret, _) = password_for(&state, Some(&id), &config, password).await?;
    let conn = state.registry.open(&id, &config, secret.clone()).await?;
    let info = conn.server_info().await;
    {
        // The connection may have been edited while this one was being made: then it
        // reached the old address, and neither it nor its password may stand for the new.
        let mut typed_passwords = state
            .typed_passwords
            .lock()
            .map_err(|_| DbError::internal("password table lock poisoned"))?;
        let current = state.saved.get(&id);
        if !current.is_ok_and(|c| same_destination(&c.config, &config)) {
            drop(typed_passwords);
            close_connection(&state, &id).await;
            return Err(DbError::new(
                ErrorKind::Connection,
                "the connection was edited while it was connecting; connect again",
            )
            .with_code("edited_while_connecting"));
        }
        if let (Some(secret), true) = (secret, typed) {
            typed_passwords.insert(id.clone(), secret);
        }
    }
    if let Ok(mut h) = state.health.lock() {
        h.insert(id.clone(), true);
    }
    let info = info?;
    // First use of an unverified TLS server: its certificate is pinned from now on.
    if let Some(peer) = info.tls.as_ref().filter(|t| !t.verified) {
        state.saved.update(&id, |c| {
            let first_use = c.config.tls_pin.is_none() && same_destination(&c.config, &config);
            if first_use {
                c.config.tls_pin = Some(peer.fingerprint.clone());
            }
            first_use
        })?;
    }
    Ok(info)
}

/// The user accepted the certificate a server presented instead of the pinned one.
#[tauri::command]
pub async fn trust_certificate(
    state: State<'_, AppState>,
    id: String,
    fingerprint: String,
) -> Result<(), DbError> {
    validate::id(&id, "connection")?;
    let fingerprint =
        dbhive_core::config::normalize_fingerprint(&fingerprint).ok_or_else(|| {
            DbError::new(ErrorKind::Unsupported, "not a SHA-256 fingerprint")
                .with_code("invalid_input")
        })?;
    close_connection(&state, &id).await;
    state.saved.update(&id, |c| {
        c.config.tls_pin = Some(fingerprint);
        true
    })
}

/// What a config's TLS settings mean, for the connection dialog.
#[tauri::command]
pub fn connection_security(config: ConnectionConfig) -> Result<SecuritySummary, DbError> {
    validate::config(&config)?;
    Ok(dbhive_core::security::summary(&config))
}

#[tauri::command]
pub async fn disconnect(state: State<'_, AppState>, id: String) -> Result<(), DbError> {
    validate::id(&id, "connection")?;
    close_connection(&state, &id).await;
    // A password typed for this connection is not kept past it.
    if let Ok(mut typed) = state.typed_passwords.lock() {
        typed.remove(&id);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_password_belongs_to_engine_host_port_and_user() {
        let (saved, _) =
            ConnectionConfig::from_url("postgres://me@db.example.com/app").expect("url");
        let same = |url: &str| {
            let (other, _) = ConnectionConfig::from_url(url).expect("url");
            same_destination(&saved, &other)
        };
        assert!(same(
            "postgres://me@db.example.com:5432/other?sslmode=require"
        ));
        assert!(!same("postgres://me@evil.example.com/app"));
        assert!(!same("postgres://me@db.example.com:6432/app"));
        assert!(!same("postgres://you@db.example.com/app"));
        assert!(!same("mysql://me@db.example.com/app"));
        let (a, _) = ConnectionConfig::from_url("sqlite:///a.db").expect("url");
        let (b, _) = ConnectionConfig::from_url("sqlite:///b.db").expect("url");
        assert!(!same_destination(&a, &b));
    }
}
