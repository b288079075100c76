// The shapes the Rust side sends and takes (dbhive-core's serde forms).

export type Engine = "postgres" | "mysql" | "sqlite" | "mongodb" | "mssql";
export type TlsMode = "disable" | "prefer" | "require" | "verify-ca" | "verify-full";

export interface ConnectionConfig {
  engine: Engine;
  host: string | null;
  port: number | null;
  user: string | null;
  database: string | null;
  tls: TlsMode;
  tls_root_cert: string | null;
  connect_timeout_secs: number;
  query_timeout_secs: number | null;
  pool_size: number;
  options: Record<string, string>;
}

export interface SavedConnection {
  id: string;
  name: string;
  color: string | null;
  config: ConnectionConfig;
  save_password: boolean;
  connected: boolean;
}

export type ErrorKind =
  | "connection"
  | "auth"
  | "tls"
  | "syntax"
  | "not_found"
  | "permission"
  | "timeout"
  | "cancelled"
  | "constraint"
  | "unsupported"
  | "query"
  | "internal";

export interface DbError {
  kind: ErrorKind;
  code: string | null;
  message: string;
  detail: string | null;
  hint: string | null;
  position: number | null;
}

export interface ServerInfo {
  engine: Engine;
  version: string;
  database: string | null;
  user: string | null;
}

export interface EngineInfo {
  engine: Engine;
  name: string;
  default_port: number | null;
  available: boolean;
}

export interface AppInfo {
  version: string;
  engines: EngineInfo[];
  keychain: { available: boolean; detail: string };
  connections_file: string;
}

export type NodeKind =
  | "database"
  | "schema"
  | "folder"
  | "table"
  | "view"
  | "materialized_view"
  | "foreign_table"
  | "collection"
  | "function"
  | "procedure"
  | "sequence"
  | "column"
  | "index"
  | "foreign_key"
  | "trigger";

export interface TableRef {
  database: string | null;
  schema: string | null;
  name: string;
}

export interface SchemaNode {
  kind: NodeKind;
  folder: string | null;
  name: string;
  path: string[];
  expandable: boolean;
  detail: string | null;
  table: TableRef | null;
  count: number | null;
  row_estimate: number | null;
  size_bytes: number | null;
  comment: string | null;
}

export interface Column {
  name: string;
  type_name: string;
  nullable: boolean | null;
  origin: { schema: string | null; table: string; column: string } | null;
}

export interface ColumnInfo {
  name: string;
  ordinal: number;
  data_type: string;
  nullable: boolean;
  default: string | null;
  is_primary_key: boolean;
  is_unique: boolean;
  extra: string | null;
  comment: string | null;
}

export interface TableInfo {
  schema: string | null;
  name: string;
  kind: string;
  row_estimate: number | null;
  size_bytes: number | null;
  comment: string | null;
}

export interface Notice {
  severity: string;
  code: string | null;
  message: string;
  detail: string | null;
  hint: string | null;
}

/** A grid cell: NULL, text, or the start of a longer text and its full length. */
export type Cell = null | string | { t: string; n: number };

export type UiEvent =
  | { type: "columns"; result: number; columns: Column[] }
  | { type: "rows"; result: number; total: number; append: Cell[][] | null; kinds: string[] | null }
  | { type: "notice"; notice: Notice }
  | {
      type: "result_end";
      result: number;
      rows: number;
      rows_affected: number | null;
      last_insert_id: number | null;
      command: string | null;
      has_columns: boolean;
    }
  | { type: "error"; error: DbError }
  | { type: "done"; elapsed_ms: number; results: number; cancelled: boolean };

export interface FullValue {
  text: string | null;
  kind: string;
  pretty: string | null;
}

export function isDbError(e: unknown): e is DbError {
  return typeof e === "object" && e !== null && "kind" in e && "message" in e;
}

export function errorMessage(e: unknown): string {
  if (isDbError(e)) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
