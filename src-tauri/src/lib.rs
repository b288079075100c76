//! DB-Hive's desktop shell: the Tauri app, its managed state and commands. The commands
//! only translate between the webview and `dbhive-core`; drivers do the work.

mod cells;
mod commands;
mod files;
mod keychain;
#[cfg(target_os = "linux")]
mod rendering;
mod sample;
mod saved;
mod settings;
mod state;
mod validate;

use std::time::Duration;

use serde::Serialize;
use tauri::{Emitter, Manager};

use state::AppState;

/// How often open connections are pinged, so a lost server shows in the UI before the
/// user trips over it.
const HEALTH_EVERY: Duration = Duration::from_secs(10);

#[derive(Clone, Serialize)]
struct ConnectionStatus {
    id: String,
    ok: bool,
    message: Option<String>,
}

/// Settles how the webview draws; `main` calls it before anything else.
pub fn prepare_process() {
    #[cfg(target_os = "linux")]
    rendering::choose();
}

pub fn run() {
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_clipboard_manager::init())
        .setup(|app| {
            let config_dir = app.path().app_config_dir()?;
            let data_dir = app.path().app_data_dir()?;
            let saved = saved::SavedStore::load(config_dir.join("connections.json"));
            let settings = settings::SettingsStore::load(config_dir.join("settings.json"));
            let sample_path = data_dir.join("sample.sqlite");
            if let Err(e) = saved.offer_sample(sample::saved_connection(&sample_path)) {
                tracing::warn!(error = %e, "could not add the sample connection");
            }
            let state = AppState::new(saved, settings, sample_path.clone());
            let keychain = state.keychain.clone();
            app.manage(state);
            // Off the startup path: the window shows while these run.
            std::thread::spawn(move || {
                if let Err(e) = sample::ensure_database(&sample_path) {
                    tracing::warn!(error = %e, "could not create the sample database");
                }
                keychain.status();
            });
            commands::window::reveal_when_due(app.handle().clone());
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(watch_health(handle));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::connections::app_info,
            commands::connections::list_connections,
            commands::connections::save_connection,
            commands::connections::delete_connection,
            commands::connections::parse_url,
            commands::connections::render_url,
            commands::connections::render_connection_string,
            commands::connections::test_connection,
            commands::connections::connect,
            commands::connections::disconnect,
            commands::connections::connection_security,
            commands::connections::trust_certificate,
            commands::settings::get_settings,
            commands::settings::save_settings,
            commands::schema::list_children,
            commands::schema::describe_table,
            commands::schema::table_ddl,
            commands::schema::select_rows_sql,
            commands::schema::list_tables,
            commands::schema::table_columns,
            commands::queries::run_query,
            commands::queries::cancel_query,
            commands::queries::fetch_rows,
            commands::queries::cell_value,
            commands::queries::documents_json,
            commands::queries::copy_rows,
            commands::queries::close_query,
            commands::queries::close_tab,
            commands::edits::open_table,
            commands::edits::browse_table,
            commands::edits::plan_edits,
            commands::edits::commit_edits,
            commands::edits::end_transaction,
            commands::edits::open_result_edits,
            commands::guard::unbounded_writes,
            commands::window::window_ready,
        ])
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|handle, event| {
            if let tauri::RunEvent::Exit = event {
                let state = handle.state::<AppState>();
                tauri::async_runtime::block_on(state.registry.close_all());
            }
        }),
        Err(e) => {
            eprintln!("DB-Hive could not start: {e}");
            std::process::exit(1);
        }
    }
}

/// Pings open connections and tells the UI when one is lost or answers again.
async fn watch_health(app: tauri::AppHandle) {
    loop {
        tokio::time::sleep(HEALTH_EVERY).await;
        let state = app.state::<AppState>();
        for report in state.registry.health_check().await {
            let ok = report.error.is_none();
            let changed = state
                .health
                .lock()
                .map(|mut h| h.insert(report.id.clone(), ok) != Some(ok))
                .unwrap_or(false);
            if changed {
                let _ = app.emit(
                    "connection-status",
                    ConnectionStatus {
                        id: report.id,
                        ok,
                        message: report.error.map(|e| e.message),
                    },
                );
            }
        }
    }
}
