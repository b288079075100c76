//! MySQL and MariaDB over their own protocol implementation.
//!
//! Why not sqlx here either: a client needs the column list of an empty result, every
//! result set of a script or a procedure with its warnings, the server's exact text for
//! every value (DECIMAL, FLOAT and DOUBLE are shown as the server wrote them), and the
//! connection id that `KILL QUERY` needs to cancel a statement from a second connection.

mod auth;
pub(crate) mod binary;
pub mod catalog;
mod column_type;
pub(crate) mod conn;
mod errors;
mod handshake;
pub(crate) mod protocol;
mod tree;
pub mod types;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use dbhive_core::pool::{Manage, Pool};
use dbhive_core::{
    ColumnInfo, Connection, ConnectionConfig, DatabaseInfo, DbError, DbResult, Driver, Engine,
    EventSink, ForeignKeyInfo, IndexInfo, QueryOptions, QueryStream, SchemaInfo, SchemaNode,
    Secret, ServerCancel, ServerInfo, Session, TableDescription, TableInfo, TableRef, TextStyle,
    TlsPeer, run_options, spawn_query,
};

use crate::net::Endpoint;
use crate::running::{Running, Ticket};
use crate::session_slot::SessionSlot;
use conn::{ConnectParams, RawConn};

pub struct MysqlDriver;

#[async_trait]
impl Driver for MysqlDriver {
    fn engine(&self) -> Engine {
        Engine::Mysql
    }

    async fn connect(
        &self,
        config: &ConnectionConfig,
        secret: Option<Secret>,
    ) -> DbResult<Arc<dyn Connection>> {
        Ok(Arc::new(MysqlConnection::open(config, secret).await?))
    }
}

/// Where and as whom to connect.
struct Target {
    endpoint: Endpoint,
    user: String,
    database: Option<String>,
    password: Option<Secret>,
    timeout: Duration,
    allow_unverified_password: bool,
    server_public_key: Option<String>,
    read_only: bool,
}

impl Target {
    fn params<'a>(&'a self, database: Option<&'a str>) -> ConnectParams<'a> {
        ConnectParams {
            endpoint: &self.endpoint,
            user: &self.user,
            database: database.or(self.database.as_deref()),
            password: self.password.as_ref(),
            timeout: self.timeout,
            allow_unverified_password: self.allow_unverified_password,
            server_public_key: self.server_public_key.as_deref(),
            read_only: self.read_only,
        }
    }
}

fn endpoint(config: &ConnectionConfig) -> Endpoint {
    let host = config.host.clone().unwrap_or_else(|| "localhost".into());
    // A host starting with '/' is the server's socket file; so is the `socket` option.
    let socket = config
        .option("socket")
        .map(str::to_string)
        .or_else(|| host.starts_with('/').then(|| host.clone()));
    Endpoint::new(config, host, config.port.unwrap_or(3306), socket)
}

struct MysqlManager {
    target: Arc<Target>,
}

#[async_trait]
impl Manage for MysqlManager {
    type Conn = RawConn;

    async fn create(&self) -> DbResult<RawConn> {
        RawConn::connect(&self.target.params(None)).await
    }

    async fn check(&self, conn: &mut RawConn) -> DbResult<()> {
        conn.ping().await
    }

    fn is_broken(&self, conn: &mut RawConn) -> bool {
        !conn.check_idle() || conn.in_transaction
    }
}

pub struct MysqlConnection {
    config: ConnectionConfig,
    target: Arc<Target>,
    /// The certificate the first connection saw; every later one must show the same.
    tls: Option<TlsPeer>,
    pool: Pool<MysqlManager>,
}

impl MysqlConnection {
    pub async fn open(
        config: &ConnectionConfig,
        secret: Option<Secret>,
    ) -> DbResult<MysqlConnection> {
        let mut target = Target {
            endpoint: endpoint(config),
            user: config.user.clone().unwrap_or_else(|| "root".into()),
            database: config.database.clone(),
            password: secret,
            timeout: config.connect_timeout(),
            allow_unverified_password: config.allow_unverified_password,
            server_public_key: config
                .option("server_public_key")
                .or(config.option("server-public-key-path"))
                .map(str::to_string),
            read_only: config.read_only,
        };
        let first = RawConn::connect(&target.params(None)).await?;
        let tls = first.tls_peer().cloned();
        // Pinned for this connection's life even when the saved connection has no pin yet.
        if let Some(peer) = tls.as_ref().filter(|t| !t.verified) {
            target
                .endpoint
                .pin
                .get_or_insert_with(|| peer.fingerprint.clone());
        }
        let target = Arc::new(target);
        let pool = Pool::new(
            MysqlManager {
                target: target.clone(),
            },
            config.pool_size,
            Duration::from_secs(30),
        );
        pool.put_idle(first);
        Ok(MysqlConnection {
            config: config.clone(),
            target,
            tls,
            pool,
        })
    }

    fn default_schema(&self) -> Option<&str> {
        self.config.database.as_deref()
    }
}

#[async_trait]
impl Connection for MysqlConnection {
    fn config(&self) -> &ConnectionConfig {
        &self.config
    }

    fn text_style(&self) -> &'static TextStyle {
        &types::MYSQL_TEXT_STYLE
    }

    async fn ping(&self) -> DbResult<Duration> {
        let mut c = self.pool.get().await?;
        let started = Instant::now();
        c.ping().await?;
        Ok(started.elapsed())
    }

    async fn server_info(&self) -> DbResult<ServerInfo> {
        let mut c = self.pool.get().await?;
        let r = c
            .text_query("SELECT VERSION(), @@version_comment, DATABASE(), CURRENT_USER()")
            .await?;
        let row = r
            .rows
            .first()
            .ok_or_else(|| DbError::internal("VERSION() returned no row"))?;
        let get = |i: usize| row.get(i).cloned().flatten();
        let version = get(0).unwrap_or_default();
        let comment = get(1).unwrap_or_default();
        let name = if version.to_ascii_lowercase().contains("mariadb")
            || comment.to_ascii_lowercase().contains("mariadb")
        {
            "MariaDB"
        } else {
            "MySQL"
        };
        Ok(ServerInfo {
            engine: Engine::Mysql,
            version: format!("{name} {version} ({comment})"),
            database: get(2),
            user: get(3),
            tls: self.tls.clone(),
        })
    }

    async fn open_session(&self, database: Option<&str>) -> DbResult<Arc<dyn Session>> {
        let database = database.map(str::to_string);
        let raw = RawConn::connect(&self.target.params(database.as_deref())).await?;
        Ok(Arc::new(MysqlSession {
            target: self.target.clone(),
            database,
            pool: self.pool.clone(),
            slot: SessionSlot::new(
                raw,
                "user variables, session settings, temporary tables and any open transaction",
            ),
            running: Arc::new(Running::default()),
            config: self.config.clone(),
        }))
    }

    async fn databases(&self) -> DbResult<Vec<DatabaseInfo>> {
        let mut c = self.pool.get().await?;
        catalog::databases(&mut c).await
    }

    async fn schemas(&self, _database: Option<&str>) -> DbResult<Vec<SchemaInfo>> {
        // In MySQL a schema is a database.
        const SYSTEM: [&str; 4] = ["information_schema", "mysql", "performance_schema", "sys"];
        Ok(self
            .databases()
            .await?
            .into_iter()
            .map(|d| SchemaInfo {
                is_system: SYSTEM.contains(&d.name.as_str()),
                name: d.name,
                owner: None,
                comment: None,
            })
            .collect())
    }

    async fn tables(
        &self,
        database: Option<&str>,
        schema: Option<&str>,
    ) -> DbResult<Vec<TableInfo>> {
        let schema = schema
            .or(database)
            .or(self.default_schema())
            .ok_or_else(|| DbError::not_found("no database chosen: pass one, or connect to one"))?;
        let mut c = self.pool.get().await?;
        catalog::tables(&mut c, schema, None).await
    }

    async fn columns(&self, table: &TableRef) -> DbResult<Vec<ColumnInfo>> {
        let schema = catalog::schema_of(table, self.default_schema())?;
        let mut c = self.pool.get().await?;
        let cols = catalog::columns(&mut c, schema, &table.name).await?;
        if cols.is_empty() {
            catalog::table(&mut c, schema, table).await?;
        }
        Ok(cols)
    }

    async fn indexes(&self, table: &TableRef) -> DbResult<Vec<IndexInfo>> {
        let schema = catalog::schema_of(table, self.default_schema())?;
        let mut c = self.pool.get().await?;
        catalog::table(&mut c, schema, table).await?;
        catalog::indexes(&mut c, schema, &table.name).await
    }

    async fn foreign_keys(&self, table: &TableRef) -> DbResult<Vec<ForeignKeyInfo>> {
        let schema = catalog::schema_of(table, self.default_schema())?;
        let mut c = self.pool.get().await?;
        catalog::table(&mut c, schema, table).await?;
        catalog::foreign_keys(&mut c, schema, &table.name, false).await
    }

    async fn describe_table(&self, table: &TableRef) -> DbResult<TableDescription> {
        let schema = catalog::schema_of(table, self.default_schema())?;
        let mut c = self.pool.get().await?;
        catalog::describe(&mut c, schema, table).await
    }

    async fn ddl(&self, table: &TableRef) -> DbResult<String> {
        let schema = catalog::schema_of(table, self.default_schema())?;
        let mut c = self.pool.get().await?;
        catalog::ddl(&mut c, schema, table).await
    }

    fn select_rows_sql(&self, table: &TableRef, limit: u64) -> String {
        let name = match table.schema.as_deref().or(table.database.as_deref()) {
            Some(schema) => format!("{}.{}", catalog::quote(schema), catalog::quote(&table.name)),
            None => catalog::quote(&table.name),
        };
        format!("SELECT * FROM {name} LIMIT {limit}")
    }

    async fn list_children(&self, path: &[String]) -> DbResult<Vec<SchemaNode>> {
        let mut c = self.pool.get().await?;
        tree::list_children(&mut c, path).await
    }

    async fn close(&self) {
        self.pool.close();
    }
}

/// One server session for an editor tab.
pub struct MysqlSession {
    target: Arc<Target>,
    database: Option<String>,
    /// Where KILL QUERY is sent from.
    pool: Pool<MysqlManager>,
    config: ConnectionConfig,
    slot: SessionSlot<RawConn>,
    /// The connection id of the statement running now, for KILL QUERY.
    running: Arc<Running<u32>>,
}

impl MysqlSession {
    async fn connect(&self) -> DbResult<RawConn> {
        RawConn::connect(&self.target.params(self.database.as_deref())).await
    }

    async fn run(&self, sql: &str, ticket: Ticket, sink: &mut EventSink) -> DbResult<()> {
        let mut slot = self.slot.lock().await;
        let conn = self
            .slot
            .ready(&mut slot, || self.connect(), Some(sink))
            .await?;
        let _running = self.running.start(ticket, conn.connection_id);
        // A cancel that came while the connection was being made or checked found no
        // statement to kill: stop here instead.
        if sink.is_cancelled() {
            return Err(DbError::cancelled());
        }
        let result = conn.query(sql, sink).await;
        self.running.finish().await;
        self.slot.release(&mut slot);
        result
    }

    /// The server's id for the session's current connection.
    pub async fn connection_id(&self) -> Option<u32> {
        self.slot.lock().await.as_ref().map(|c| c.connection_id)
    }
}

#[async_trait]
impl Session for MysqlSession {
    fn execute(self: Arc<Self>, sql: String, options: QueryOptions) -> QueryStream {
        let ticket = self.running.ticket();
        let canceller = Arc::new(MysqlCancel {
            running: self.running.clone(),
            ticket,
            pool: self.pool.clone(),
        });
        let run = run_options(&options, &self.config);
        spawn_query(run, canceller, move |mut sink| async move {
            let result = self.run(&sql, ticket, &mut sink).await;
            (Some(sink), result)
        })
    }

    async fn ping(&self) -> DbResult<Duration> {
        self.slot.ping(|| self.connect()).await
    }

    fn in_transaction(&self) -> bool {
        self.slot.in_transaction()
    }

    async fn close(&self) {
        if let Some(conn) = self.slot.lock().await.take() {
            conn.terminate().await;
        }
    }
}

/// `KILL QUERY <id>` from a pooled connection: stops the statement, keeps the session.
struct MysqlCancel {
    running: Arc<Running<u32>>,
    /// The statement this cancel is for; a later one on the same connection is left alone.
    ticket: Ticket,
    pool: Pool<MysqlManager>,
}

#[async_trait]
impl ServerCancel for MysqlCancel {
    async fn cancel(&self) -> DbResult<()> {
        let pool = &self.pool;
        let sent = self
            .running
            .cancel_with(self.ticket, |id| async move {
                let mut c = pool.get().await?;
                match c.text_query(&format!("KILL QUERY {id}")).await {
                    // 1094: the connection is already gone.
                    Err(e) if e.code.as_deref() == Some("1094") => Ok(()),
                    other => other.map(|_| ()),
                }
            })
            .await;
        sent.unwrap_or(Ok(()))
    }
}
