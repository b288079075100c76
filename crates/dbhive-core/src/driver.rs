//! The traits each engine implements: a [`Driver`] opens [`Connection`]s (a pool plus
//! metadata), a connection opens [`Session`]s (one server session each, for an editor tab).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::config::{ConnectionConfig, Engine, Secret};
use crate::error::DbResult;
use crate::query::{QueryStream, RunOptions};
use crate::result::QueryOptions;
use crate::schema::{
    ColumnInfo, DatabaseInfo, ForeignKeyInfo, IndexInfo, SchemaInfo, SchemaNode, TableDescription,
    TableInfo, TableRef,
};
use crate::value::TextStyle;

/// What a server says about itself once connected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    pub engine: Engine,
    /// The server's own version string.
    pub version: String,
    pub database: Option<String>,
    pub user: Option<String>,
    /// The certificate of a TLS connection (None without TLS).
    pub tls: Option<crate::security::TlsPeer>,
}

/// One engine. Stateless: everything lives in the connections it opens.
#[async_trait]
pub trait Driver: Send + Sync {
    fn engine(&self) -> Engine;

    /// Connects, authenticates and returns a pooled connection. Fails with Connection, Auth,
    /// Tls, NotFound (no such database) or Timeout.
    async fn connect(
        &self,
        config: &ConnectionConfig,
        secret: Option<Secret>,
    ) -> DbResult<Arc<dyn Connection>>;
}

/// An open connection to one server: a small pool for metadata and one-off queries, and
/// the factory for sessions. Reconnects by itself after the server went away.
#[async_trait]
pub trait Connection: Send + Sync {
    fn config(&self) -> &ConnectionConfig;

    /// How this engine's own tools spell values as text.
    fn text_style(&self) -> &'static TextStyle;

    /// One round trip to the server.
    async fn ping(&self) -> DbResult<Duration>;

    async fn server_info(&self) -> DbResult<ServerInfo>;

    /// A dedicated server session (its own connection): `SET`, temporary tables and
    /// transactions persist across the queries run on it, as in psql. `database` picks
    /// another database of the same server where the engine binds a connection to one
    /// (PostgreSQL); None is the connection's own.
    async fn open_session(&self, database: Option<&str>) -> DbResult<Arc<dyn Session>>;

    /// Runs `sql` on a fresh session that closes when the stream ends.
    async fn execute(&self, sql: &str, options: QueryOptions) -> QueryStream {
        match self.open_session(None).await {
            Ok(session) => session.execute(sql.to_string(), options),
            Err(e) => QueryStream::failed(e),
        }
    }

    async fn databases(&self) -> DbResult<Vec<DatabaseInfo>>;

    /// Schemas of `database` (None: the connection's). Engines without schemas return one
    /// entry per attached database (SQLite) or the databases (MySQL).
    async fn schemas(&self, database: Option<&str>) -> DbResult<Vec<SchemaInfo>>;

    /// Tables, views and materialized views of one schema.
    async fn tables(
        &self,
        database: Option<&str>,
        schema: Option<&str>,
    ) -> DbResult<Vec<TableInfo>>;

    async fn columns(&self, table: &TableRef) -> DbResult<Vec<ColumnInfo>>;

    async fn indexes(&self, table: &TableRef) -> DbResult<Vec<IndexInfo>>;

    async fn foreign_keys(&self, table: &TableRef) -> DbResult<Vec<ForeignKeyInfo>>;

    /// Columns, primary key, indexes, foreign keys both ways, and triggers.
    async fn describe_table(&self, table: &TableRef) -> DbResult<TableDescription>;

    /// The statements that create the table (or view) with its indexes and comments.
    async fn ddl(&self, table: &TableRef) -> DbResult<String>;

    /// A query showing the first `limit` rows of a table, with its name quoted as the
    /// engine needs ("open data" in the tree).
    fn select_rows_sql(&self, table: &TableRef, limit: u64) -> String;

    /// One level of the schema tree below `path` (empty: the top level).
    async fn list_children(&self, path: &[String]) -> DbResult<Vec<SchemaNode>>;

    /// Closes every pooled connection. Sessions already handed out close when dropped.
    async fn close(&self);
}

/// One server session. Queries on it run one at a time, in order.
#[async_trait]
pub trait Session: Send + Sync {
    /// Starts `sql` (one statement or a script) and streams its events. Rows start to flow
    /// as soon as the server sends them; the stream's handle cancels on the server.
    fn execute(self: Arc<Self>, sql: String, options: QueryOptions) -> QueryStream;

    async fn ping(&self) -> DbResult<Duration>;

    /// A transaction is open on the session, as the server said after the last query (a
    /// manual-commit tab shows it, and asks before it is closed).
    fn in_transaction(&self) -> bool {
        false
    }

    async fn close(&self);
}

/// The timeout a query gets: its own, else the connection's.
pub fn run_options(options: &QueryOptions, config: &ConnectionConfig) -> RunOptions {
    RunOptions {
        timeout: options.timeout().or(config.query_timeout()),
    }
}
