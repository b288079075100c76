//! How WebKitGTK draws the window on Linux, decided before anything else starts.
//!
//! WebKitGTK composites through OpenGL by default. Without a GPU that is Mesa's software
//! rasterizer (llvmpipe), and on such a machine the non-composited path idled 65–80 MB
//! lighter in every run and painted the first rows sooner in three runs of four
//! (BENCHMARKS.md). With a GPU, compositing is WebKit's tested default and stays on.

use std::path::Path;

/// WebKitGTK's own switch; the web processes inherit it from this process.
const SWITCH: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// Turns compositing off when the machine has no GPU, unless the user already chose
/// (`WEBKIT_DISABLE_COMPOSITING_MODE=0` keeps it on, `=1` keeps it off).
///
/// Must run before any thread starts: it changes this process's environment.
pub fn choose() {
    if std::env::var_os(SWITCH).is_some() || has_gpu(Path::new("/dev/dri")) {
        return;
    }
    // SAFETY: called first thing in `main`, before Tauri, GTK or any other thread exists,
    // so nothing can read the environment concurrently.
    unsafe { std::env::set_var(SWITCH, "1") };
}

/// Whether WebKit runs without accelerated compositing, by the app's choice or the user's.
pub fn compositing_off() -> bool {
    std::env::var_os(SWITCH).is_some_and(|v| v != "0")
}

/// A DRM render node is what Mesa needs for hardware GL; without one it falls back to
/// software rendering.
fn has_gpu(dri: &Path) -> bool {
    std::fs::read_dir(dri).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

#[cfg(test)]
mod tests {
    use super::has_gpu;

    #[test]
    fn a_render_node_means_a_gpu() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(!has_gpu(&dir.path().join("absent")), "no /dev/dri: no GPU");
        std::fs::write(dir.path().join("card0"), b"").expect("write");
        assert!(
            !has_gpu(dir.path()),
            "a display card alone is no render node"
        );
        std::fs::write(dir.path().join("renderD128"), b"").expect("write");
        assert!(has_gpu(dir.path()));
    }
}
