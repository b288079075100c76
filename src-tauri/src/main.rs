// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    dbhive_app::prepare_process();
    dbhive_app::run();
}
