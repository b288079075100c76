//! The main window starts hidden and is shown once the UI has its first content.
//!
//! Without accelerated compositing (rendering.rs), a draw of the window makes WebKitGTK's
//! UI thread wait up to 500 ms for the web process's first frame. That thread also serves
//! the page's assets and IPC, so a draw during the page load stalled startup by 500 ms in
//! about one launch out of three (BENCHMARKS.md). Hidden, nothing draws until the page is
//! ready; it also spares the user a blank frame. With compositing on (a GPU, or macOS and
//! Windows) there is no such wait, and showing at once was measured faster, so the window
//! shows right away there.

use std::time::Duration;

use tauri::{AppHandle, Manager, Runtime};

/// The window shows after this even if the UI never says it is ready (a broken bundle, a
/// script error): a window with an error in it beats no window.
const REVEAL_AT_LATEST: Duration = Duration::from_secs(3);

/// Called by the UI once its first content is rendered.
#[tauri::command]
pub fn window_ready<R: Runtime>(app: AppHandle<R>) {
    reveal(&app);
}

/// Shows the window now, or, when the UI is to show it, after `REVEAL_AT_LATEST` unless the
/// UI did first.
pub fn reveal_when_due<R: Runtime>(app: AppHandle<R>) {
    if !wait_for_ui() {
        reveal(&app);
        return;
    }
    std::thread::spawn(move || {
        std::thread::sleep(REVEAL_AT_LATEST);
        reveal(&app);
    });
}

fn wait_for_ui() -> bool {
    #[cfg(target_os = "linux")]
    return crate::rendering::compositing_off();
    #[cfg(not(target_os = "linux"))]
    return false;
}

fn reveal<R: Runtime>(app: &AppHandle<R>) {
    let Some(window) = app.get_webview_window("main") else {
        return;
    };
    if window.is_visible().unwrap_or(false) {
        return;
    }
    if let Err(e) = window.show() {
        tracing::warn!(error = %e, "could not show the main window");
    }
}
