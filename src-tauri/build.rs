fn main() {
    // Every command the UI may call is listed here, so the capability file can allow
    // exactly these and nothing else.
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(
        tauri_build::AppManifest::new().commands(&[
            "app_info",
            "list_connections",
            "save_connection",
            "delete_connection",
            "parse_url",
            "render_url",
            "render_connection_string",
            "test_connection",
            "connect",
            "disconnect",
            "connection_security",
            "trust_certificate",
            "get_settings",
            "save_settings",
            "list_children",
            "describe_table",
            "table_ddl",
            "select_rows_sql",
            "list_tables",
            "table_columns",
            "run_query",
            "cancel_query",
            "fetch_rows",
            "cell_value",
            "documents_json",
            "copy_rows",
            "close_query",
            "close_tab",
            "open_table",
            "browse_table",
            "plan_edits",
            "commit_edits",
            "end_transaction",
            "unbounded_writes",
            "window_ready",
        ]),
    ))
    .expect("tauri build configuration");
}
