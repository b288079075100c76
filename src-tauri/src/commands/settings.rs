//! The app's settings and what the stored results use of their limits.

use dbhive_core::DbError;
use serde::Serialize;
use tauri::State;

use crate::settings::Settings;
use crate::state::AppState;

#[derive(Serialize)]
pub struct SettingsView {
    settings: Settings,
    /// Bytes the stored results hold now: in memory, and spilled to disk.
    memory_used: u64,
    disk_used: u64,
}

#[tauri::command]
pub fn get_settings(state: State<'_, AppState>) -> SettingsView {
    let usage = state.settings.limits.usage();
    SettingsView {
        settings: state.settings.get(),
        memory_used: usage.memory_used,
        disk_used: usage.disk_used,
    }
}

#[tauri::command]
pub async fn save_settings(
    state: State<'_, AppState>,
    settings: Settings,
) -> Result<SettingsView, DbError> {
    state.settings.set(settings)?;
    Ok(get_settings(state))
}
