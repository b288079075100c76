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
  /** SHA-256 of the certificate accepted for this connection ("AB:CD:…", 32 pairs), or null. */
  tls_pin: string | null;
  /** Send a reusable password (clear text, MD5) to a server whose identity is not verified. */
  allow_unverified_password: boolean;
  /** The server's session refuses writes (PostgreSQL, MySQL, SQLite). */
  read_only: boolean;
  connect_timeout_secs: number;
  query_timeout_secs: number | null;
  pool_size: number;
  options: Record<string, string>;
}

export interface SavedConnection {
  id: string;
  name: string;
  color: string | null;
  /** Tagged in tabs and the title; UPDATE/DELETE without WHERE asks first. */
  production: boolean;
  /** Query tabs start in manual-commit mode. */
  manual_commit: boolean;
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
  | "limit"
  | "internal";

export interface DbError {
  kind: ErrorKind;
  code: string | null;
  message: string;
  detail: string | null;
  hint: string | null;
  position: number | null;
  /** Only when a server presented another certificate than the pinned one. */
  certificate?: { pinned: string; presented: string };
  /** Already among the messages as a notice in its place (SQL Server): not shown twice. */
  in_messages?: boolean;
}

export interface ServerInfo {
  engine: Engine;
  version: string;
  database: string | null;
  user: string | null;
  /** The certificate of a TLS connection; null over plain TCP or a local file. */
  tls: { fingerprint: string; verified: boolean } | null;
}

/** What a config's TLS settings mean in effect (dbhive-core's security::summary). */
export interface SecuritySummary {
  policy: { tls: "off" | "if_offered" | "required"; verify: "pinned" | "given_root" | "full"; only_given_root: boolean };
  /** How the traffic is protected and what identifies the server. */
  identity: string;
  /** Where the password may go; empty for SQLite. */
  password: string;
}

export interface Settings {
  result_memory_mb: number;
  result_disk_gb: number;
}

/** The settings and what the stored results use now, in bytes. */
export interface SettingsView {
  settings: Settings;
  memory_used: number;
  disk_used: number;
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
  /** The cell holds the whole row as a document (MongoDB): not drawn, shown by the JSON view. */
  document?: boolean;
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
  /** An enum's labels (one of them) or a MySQL SET's (several, comma-separated). */
  choices?: { values: string[]; several: boolean } | null;
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

/** A grid cell: NULL, text, the start of a longer text and its full length, or a field the
 *  document does not have (MongoDB; not NULL). */
export type Cell = null | string | { t: string; n: number } | { m: 1 };

export function isCut(c: Cell | undefined): c is { t: string; n: number } {
  return typeof c === "object" && c !== null && "t" in c;
}

export function isMissing(c: Cell | undefined): c is { m: 1 } {
  return typeof c === "object" && c !== null && "m" in c;
}

/** How the JSON view writes documents. */
export type JsonMode = "relaxed" | "typed" | "canonical";

export type UiEvent =
  | { type: "columns"; result: number; columns: Column[] }
  | { type: "columns_added"; result: number; columns: Column[] }
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
  | { type: "done"; elapsed_ms: number; results: number; cancelled: boolean; in_transaction: boolean };

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

/** How an edit names a row of its table (crates/dbhive-core/src/edit/key.rs). */
export type RowKey =
  | { kind: "columns"; columns: string[]; source: { kind: "primary" } | { kind: "unique"; index: string } }
  | { kind: "row_id"; column: string }
  | { kind: "read_only"; reason: string };

export interface EditTable {
  engine: Engine;
  table: TableRef;
  columns: ColumnInfo[];
  key: RowKey;
}

export type NewValue = { kind: "null" } | { kind: "text"; value: string } | { kind: "default" };

export type GridChange =
  | { kind: "update"; row: number; set: [string, NewValue][] }
  | { kind: "insert"; values: [string, NewValue][]; copy_of: number | null }
  | { kind: "delete"; row: number };

export type SortDirection = "asc" | "desc";
export type ConditionOp = "eq" | "not_eq" | "lt" | "lt_eq" | "gt" | "gt_eq" | "like" | "is_null" | "is_not_null";

export interface Condition {
  column: string;
  op: ConditionOp;
  value: string;
}

export interface Browse {
  sort: [string, SortDirection][];
  conditions: Condition[];
  raw_where: string | null;
  offset: number;
  limit: number | null;
}

export interface PlannedStatement {
  change: number;
  sql: string;
  expects_one_row: boolean;
}

export interface CommitReport {
  committed: boolean;
  statements: { change: number; sql: string; rows_affected: number | null; error: DbError | null }[];
  stopped_at: number | null;
  conflict: boolean;
}
