// Typed calls into the Rust side. Every function maps to one #[tauri::command].
import { Channel, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  AppInfo,
  ColumnInfo,
  ConnectionConfig,
  FullValue,
  SavedConnection,
  SchemaNode,
  SecuritySummary,
  ServerInfo,
  Settings,
  SettingsView,
  TableInfo,
  TableRef,
  Cell,
  UiEvent,
  JsonMode,
  Engine,
  Browse,
  CommitReport,
  EditTable,
  GridChange,
  PlannedStatement,
} from "./types";

export interface EditInput {
  connection_id: string;
  tab_id: string;
  query_id: string;
  result: number;
  changes: GridChange[];
}

export const api = {
  appInfo: () => invoke<AppInfo>("app_info"),
  listConnections: () => invoke<SavedConnection[]>("list_connections"),
  windowReady: () => invoke<null>("window_ready"),
  saveConnection: (input: {
    id: string | null;
    name: string;
    color: string | null;
    config: ConnectionConfig;
    password: string | null;
    save_password: boolean;
    production: boolean;
    manual_commit: boolean;
  }) => invoke<SavedConnection>("save_connection", { input }),
  deleteConnection: (id: string) => invoke<null>("delete_connection", { id }),
  parseUrl: (url: string) =>
    invoke<{ config: ConnectionConfig; password: string | null }>("parse_url", { url }),
  renderUrl: (config: ConnectionConfig) => invoke<string>("render_url", { config }),
  renderConnectionString: (config: ConnectionConfig) => invoke<string | null>("render_connection_string", { config }),
  testConnection: (input: { config: ConnectionConfig; password: string | null; id: string | null }) =>
    invoke<ServerInfo>("test_connection", { input }),
  /** createFile: the user agreed to create the missing SQLite file (opens it with mode=rwc once). */
  connect: (id: string, password: string | null, createFile = false) =>
    invoke<ServerInfo>("connect", { id, password, createFile }),
  /** Pins `fingerprint` for the connection: the next connect accepts exactly that certificate. */
  trustCertificate: (id: string, fingerprint: string) => invoke<null>("trust_certificate", { id, fingerprint }),
  connectionSecurity: (config: ConnectionConfig) => invoke<SecuritySummary>("connection_security", { config }),
  disconnect: (id: string) => invoke<null>("disconnect", { id }),
  listChildren: async (id: string, path: string[]) => {
    // The backend leaves absent fields out (20,000 tables are 20,000 nodes); null them here.
    const nodes = await invoke<Partial<SchemaNode>[]>("list_children", { id, path });
    return nodes.map(
      (n): SchemaNode => ({
        kind: n.kind ?? "folder",
        folder: n.folder ?? null,
        name: n.name ?? "",
        path: n.path ?? [],
        expandable: n.expandable ?? false,
        detail: n.detail ?? null,
        table: n.table ?? null,
        count: n.count ?? null,
        row_estimate: n.row_estimate ?? null,
        size_bytes: n.size_bytes ?? null,
        comment: n.comment ?? null,
      }),
    );
  },
  tableDdl: (id: string, table: TableRef) => invoke<string>("table_ddl", { id, table }),
  selectRowsSql: (id: string, table: TableRef, limit: number) =>
    invoke<string>("select_rows_sql", { id, table, limit }),
  listTables: (id: string, database: string | null, schema: string | null) =>
    invoke<TableInfo[]>("list_tables", { id, database, schema }),
  tableColumns: (id: string, table: TableRef) => invoke<ColumnInfo[]>("table_columns", { id, table }),
  runQuery: (
    input: {
      connection_id: string;
      tab_id: string;
      sql: string;
      database: string | null;
      timeout_ms: number | null;
      manual_commit: boolean;
    },
    onEvent: (e: UiEvent) => void,
  ) => {
    const events = new Channel<UiEvent>();
    events.onmessage = onEvent;
    return invoke<string>("run_query", { input, events });
  },
  cancelQuery: (queryId: string) => invoke<null>("cancel_query", { queryId }),
  fetchRows: (queryId: string, result: number, offset: number, limit: number) =>
    invoke<Cell[][]>("fetch_rows", { queryId, result, offset, limit }),
  cellValue: (queryId: string, result: number, row: number, column: number) =>
    invoke<FullValue>("cell_value", { queryId, result, row, column }),
  documentsJson: (queryId: string, result: number, offset: number, limit: number, mode: JsonMode) =>
    invoke<string[]>("documents_json", { queryId, result, offset, limit, mode }),
  copyRows: (input: {
    query_id: string;
    result: number;
    first_row: number;
    end_row: number;
    columns: number[];
    format: "tsv" | "csv" | "json";
    header: boolean;
  }) => invoke<string>("copy_rows", { input }),
  openTable: (connectionId: string, tabId: string, table: TableRef) =>
    invoke<{ table: EditTable; computed: string[]; row_id_column: string | null }>("open_table", { connectionId, tabId, table }),
  browseTable: (input: { connection_id: string; tab_id: string; browse: Browse }, onEvent: (e: UiEvent) => void) => {
    const events = new Channel<UiEvent>();
    events.onmessage = onEvent;
    return invoke<{ query_id: string; sql: string }>("browse_table", { input, events });
  },
  /** Whether a query result's rows can be edited, in which table, and why not. */
  openResultEdits: (connectionId: string, queryId: string, result: number) =>
    invoke<{ table: EditTable | null; computed: string[]; columns: (string | null)[]; reason: string | null }>("open_result_edits", { connectionId, queryId, result }),
  planEdits: (input: EditInput) => invoke<PlannedStatement[]>("plan_edits", { input }),
  commitEdits: (input: EditInput) => invoke<CommitReport>("commit_edits", { input }),
  /** Commit (true) or Rollback of a manual-commit tab; says whether a transaction is still open. */
  endTransaction: (connectionId: string, tabId: string, commit: boolean) =>
    invoke<boolean>("end_transaction", { connectionId, tabId, commit }),
  /** UPDATE and DELETE statements of `sql` without WHERE (a production tab asks first). */
  unboundedWrites: (engine: Engine, sql: string) => invoke<string[]>("unbounded_writes", { engine, sql }),
  closeQuery: (queryId: string) => invoke<null>("close_query", { queryId }),
  closeTab: (connectionId: string, tabId: string) => invoke<null>("close_tab", { connectionId, tabId }),
  getSettings: () => invoke<SettingsView>("get_settings"),
  saveSettings: (settings: Settings) => invoke<SettingsView>("save_settings", { settings }),
};

export function onConnectionStatus(
  handler: (status: { id: string; ok: boolean; message: string | null }) => void,
): Promise<UnlistenFn> {
  return listen<{ id: string; ok: boolean; message: string | null }>("connection-status", (e) => {
    handler(e.payload);
  });
}
