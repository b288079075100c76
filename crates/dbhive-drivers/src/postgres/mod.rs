//! PostgreSQL (and wire-compatible engines) over its own protocol implementation.
//!
//! Why not sqlx here: a database client needs what an application library hides. This
//! driver gets the column list of empty results, every result set of a multi-statement
//! script, NOTICEs as they arrive, the server's exact text for every type (so exports match
//! COPY byte for byte), and a real cancel request with the backend's key.

mod auth;
pub mod catalog;
pub(crate) mod conn;
mod ddl;
mod errors;
pub(crate) mod protocol;
mod startup;
mod stream;
mod tree;
pub mod types;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use dbhive_core::pool::{Manage, Pool, Pooled};
use dbhive_core::{
    ColumnInfo, Connection, ConnectionConfig, DatabaseInfo, DbError, DbResult, Driver, Engine,
    EventSink, ForeignKeyInfo, IndexInfo, QueryOptions, QueryStream, SchemaInfo, SchemaNode,
    Secret, ServerCancel, ServerInfo, Session, TableDescription, TableInfo, TableRef, TextStyle,
    TlsPeer, run_options, spawn_query,
};

use crate::running::{Running, Ticket};
use crate::session_slot::SessionSlot;
use conn::{CancelKey, ConnectParams, RawConn, ResolveTypes};
use stream::Endpoint;
use types::{Decoder, PgType, TypeCache};

pub struct PgDriver;

#[async_trait]
impl Driver for PgDriver {
    fn engine(&self) -> Engine {
        Engine::Postgres
    }

    async fn connect(
        &self,
        config: &ConnectionConfig,
        secret: Option<Secret>,
    ) -> DbResult<Arc<dyn Connection>> {
        Ok(Arc::new(PgConnection::open(config, secret).await?))
    }
}

/// libpq's `options`, with the read-only default added for a read-only connection: every
/// connection of its pools and sessions starts with it.
fn read_only_options(config: &ConnectionConfig) -> Option<String> {
    let given = config.option("options").map(str::to_string);
    if !config.read_only {
        return given;
    }
    let read_only = "-c default_transaction_read_only=on";
    Some(match given {
        Some(o) => format!("{o} {read_only}"),
        None => read_only.to_string(),
    })
}

/// Where and as whom to connect, for one database.
struct Target {
    endpoint: Endpoint,
    user: String,
    database: String,
    password: Option<Secret>,
    application_name: String,
    options: Option<String>,
    timeout: Duration,
    allow_unverified_password: bool,
}

impl Target {
    fn params(&self) -> ConnectParams<'_> {
        ConnectParams {
            endpoint: &self.endpoint,
            user: &self.user,
            database: &self.database,
            password: self.password.as_ref(),
            application_name: &self.application_name,
            options: self.options.as_deref(),
            timeout: self.timeout,
            allow_unverified_password: self.allow_unverified_password,
        }
    }
}

struct PgManager {
    target: Arc<Target>,
}

#[async_trait]
impl Manage for PgManager {
    type Conn = RawConn;

    async fn create(&self) -> DbResult<RawConn> {
        RawConn::connect(&self.target.params()).await
    }

    async fn check(&self, conn: &mut RawConn) -> DbResult<()> {
        conn.ping().await
    }

    fn is_broken(&self, conn: &mut RawConn) -> bool {
        // A metadata connection left inside a transaction would leak it to the next user.
        !conn.check_idle() || conn.tx_status != b'I'
    }
}

/// The pool and type cache of one database (type OIDs are per database).
struct DbPool {
    target: Arc<Target>,
    pool: Pool<PgManager>,
    types: TypeCache,
}

pub struct PgConnection {
    config: ConnectionConfig,
    base: Arc<Target>,
    /// The certificate the first connection saw; every later one must show the same.
    tls: Option<TlsPeer>,
    pools: Mutex<HashMap<String, Arc<DbPool>>>,
}

impl PgConnection {
    pub async fn open(config: &ConnectionConfig, secret: Option<Secret>) -> DbResult<PgConnection> {
        let user = config
            .user
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "postgres".into());
        let mut base = Target {
            endpoint: stream::endpoint(config),
            database: config.database.clone().unwrap_or_else(|| user.clone()),
            user,
            password: secret,
            application_name: config
                .option("application_name")
                .unwrap_or("DB-Hive")
                .to_string(),
            options: read_only_options(config),
            timeout: config.connect_timeout(),
            allow_unverified_password: config.allow_unverified_password,
        };
        let mut first = RawConn::connect(&base.params()).await?;
        let tls = first.tls_peer().cloned();
        // Pinned for this connection's life even when the saved connection has no pin yet:
        // a session opened later, and a cancel request, must meet the same server.
        if let Some(peer) = tls.as_ref().filter(|t| !t.verified) {
            base.endpoint
                .pin
                .get_or_insert_with(|| peer.fingerprint.clone());
            first.pin(&peer.fingerprint);
        }
        let conn = PgConnection {
            config: config.clone(),
            base: Arc::new(base),
            tls,
            pools: Mutex::new(HashMap::new()),
        };
        conn.db_pool(None)?.pool.put_idle(first);
        Ok(conn)
    }

    fn db_pool(&self, database: Option<&str>) -> DbResult<Arc<DbPool>> {
        let name = database.unwrap_or(&self.base.database);
        let mut pools = self
            .pools
            .lock()
            .map_err(|_| DbError::internal("pool map lock poisoned"))?;
        if let Some(p) = pools.get(name) {
            return Ok(p.clone());
        }
        let target = Arc::new(Target {
            endpoint: self.base.endpoint.clone(),
            user: self.base.user.clone(),
            database: name.to_string(),
            password: self.base.password.clone(),
            application_name: self.base.application_name.clone(),
            options: self.base.options.clone(),
            timeout: self.base.timeout,
            allow_unverified_password: self.base.allow_unverified_password,
        });
        let db = Arc::new(DbPool {
            pool: Pool::new(
                PgManager {
                    target: target.clone(),
                },
                self.config.pool_size,
                Duration::from_secs(30),
            ),
            target,
            types: TypeCache::default(),
        });
        pools.insert(name.to_string(), db.clone());
        Ok(db)
    }

    /// A pooled connection to `database` (None: the connection's own) for catalog queries.
    async fn catalog(&self, database: Option<&str>) -> DbResult<Pooled<PgManager>> {
        self.db_pool(database)?.pool.get().await
    }

    async fn databases_impl(&self) -> DbResult<Vec<DatabaseInfo>> {
        let mut c = self.catalog(None).await?;
        catalog::databases(&mut c).await
    }
}

#[async_trait]
impl Connection for PgConnection {
    fn config(&self) -> &ConnectionConfig {
        &self.config
    }

    fn text_style(&self) -> &'static TextStyle {
        &types::PG_TEXT_STYLE
    }

    async fn ping(&self) -> DbResult<Duration> {
        let mut c = self.catalog(None).await?;
        let started = Instant::now();
        c.ping().await?;
        Ok(started.elapsed())
    }

    async fn server_info(&self) -> DbResult<ServerInfo> {
        let mut c = self.catalog(None).await?;
        let r = c
            .query("SELECT version(), current_database(), current_user", &[])
            .await?;
        let row = catalog::rows(&r)
            .next()
            .ok_or_else(|| DbError::internal("version() returned no row"))?;
        Ok(ServerInfo {
            engine: Engine::Postgres,
            version: row.text(0),
            database: row.owned(1),
            user: row.owned(2),
            tls: self.tls.clone(),
        })
    }

    async fn open_session(&self, database: Option<&str>) -> DbResult<Arc<dyn Session>> {
        let db = self.db_pool(database)?;
        let raw = RawConn::connect(&db.target.params()).await?;
        Ok(Arc::new(PgSession {
            db,
            slot: SessionSlot::new(
                raw,
                "SET variables, temporary tables, prepared statements and any open transaction",
            ),
            running: Arc::new(Running::default()),
            config: self.config.clone(),
        }))
    }

    async fn databases(&self) -> DbResult<Vec<DatabaseInfo>> {
        self.databases_impl().await
    }

    async fn schemas(&self, database: Option<&str>) -> DbResult<Vec<SchemaInfo>> {
        let mut c = self.catalog(database).await?;
        catalog::schemas(&mut c).await
    }

    async fn tables(
        &self,
        database: Option<&str>,
        schema: Option<&str>,
    ) -> DbResult<Vec<TableInfo>> {
        let mut c = self.catalog(database).await?;
        catalog::tables(&mut c, schema.unwrap_or("public"), "rpvmf").await
    }

    async fn columns(&self, table: &TableRef) -> DbResult<Vec<ColumnInfo>> {
        let mut c = self.catalog(table.database.as_deref()).await?;
        let cols = catalog::columns(&mut c, table).await?;
        if cols.is_empty() {
            catalog::table(&mut c, table).await?;
        }
        Ok(cols)
    }

    async fn indexes(&self, table: &TableRef) -> DbResult<Vec<IndexInfo>> {
        let mut c = self.catalog(table.database.as_deref()).await?;
        catalog::table(&mut c, table).await?;
        catalog::indexes(&mut c, table).await
    }

    async fn foreign_keys(&self, table: &TableRef) -> DbResult<Vec<ForeignKeyInfo>> {
        let mut c = self.catalog(table.database.as_deref()).await?;
        catalog::table(&mut c, table).await?;
        catalog::foreign_keys(&mut c, table, false).await
    }

    async fn describe_table(&self, table: &TableRef) -> DbResult<TableDescription> {
        let mut c = self.catalog(table.database.as_deref()).await?;
        let info = catalog::table(&mut c, table).await?;
        // Everything below is about this exact relation, even when the name came unqualified.
        let exact = TableRef {
            database: table.database.clone(),
            schema: info.schema.clone(),
            name: info.name.clone(),
        };
        Ok(TableDescription {
            columns: catalog::columns(&mut c, &exact).await?,
            primary_key: catalog::primary_key(&mut c, &exact).await?,
            indexes: catalog::indexes(&mut c, &exact).await?,
            foreign_keys: catalog::foreign_keys(&mut c, &exact, false).await?,
            referenced_by: catalog::foreign_keys(&mut c, &exact, true).await?,
            triggers: catalog::triggers(&mut c, &exact).await?,
            row_id: (info.kind == dbhive_core::TableKind::Table).then(|| "ctid".to_string()),
            table: info,
        })
    }

    async fn ddl(&self, table: &TableRef) -> DbResult<String> {
        let mut c = self.catalog(table.database.as_deref()).await?;
        ddl::ddl(&mut c, table).await
    }

    fn select_rows_sql(&self, table: &TableRef, limit: u64) -> String {
        let name = match &table.schema {
            Some(schema) => format!("{}.{}", quote_ident(schema), quote_ident(&table.name)),
            None => quote_ident(&table.name),
        };
        format!("SELECT * FROM {name} LIMIT {limit}")
    }

    async fn list_children(&self, path: &[String]) -> DbResult<Vec<SchemaNode>> {
        tree::list_children(self, path).await
    }

    async fn close(&self) {
        let pools: Vec<Arc<DbPool>> = self
            .pools
            .lock()
            .map(|mut m| m.drain().map(|(_, p)| p).collect())
            .unwrap_or_default();
        for p in pools {
            p.pool.close();
        }
    }
}

/// An identifier in double quotes, quotes inside doubled: valid for any name.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Looks up non-built-in types in the session's database, through its metadata pool.
struct PoolResolver<'a> {
    db: &'a DbPool,
}

#[async_trait]
impl ResolveTypes for PoolResolver<'_> {
    fn cached(&self, oid: u32) -> Option<PgType> {
        self.db.types.get(oid)
    }

    async fn resolve(&self, oids: &[u32]) -> HashMap<u32, PgType> {
        match self.lookup(oids).await {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(error = %e, "type lookup failed; those columns are shown as text");
                HashMap::new()
            }
        }
    }
}

impl PoolResolver<'_> {
    async fn lookup(&self, oids: &[u32]) -> DbResult<HashMap<u32, PgType>> {
        let mut conn = self.db.pool.get().await?;
        let mut wanted: Vec<u32> = oids.to_vec();
        let mut rows: HashMap<u32, (String, String, String, u32, u32, u8)> = HashMap::new();
        // Arrays need their element, domains their base type: at most a few rounds.
        for _ in 0..4 {
            wanted.retain(|o| !rows.contains_key(o) && self.db.types.get(*o).is_none());
            if wanted.is_empty() {
                break;
            }
            let list = format!(
                "{{{}}}",
                wanted
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            );
            let r = conn
                .query(
                    "SELECT t.oid, format_type(t.oid, NULL), t.typtype, t.typcategory, t.typelem,
                            t.typbasetype, t.typdelim
                       FROM pg_type t WHERE t.oid = ANY($1::oid[])",
                    &[Some(&list)],
                )
                .await?;
            wanted.clear();
            for row in catalog::rows(&r) {
                let oid = row.i64(0).unwrap_or(0) as u32;
                let elem = row.i64(4).unwrap_or(0) as u32;
                let base = row.i64(5).unwrap_or(0) as u32;
                let delim = row.opt(6).and_then(|d| d.bytes().next()).unwrap_or(b',');
                if elem != 0 {
                    wanted.push(elem);
                }
                if base != 0 {
                    wanted.push(base);
                }
                rows.insert(
                    oid,
                    (row.text(1), row.text(2), row.text(3), elem, base, delim),
                );
            }
        }
        fn build(
            oid: u32,
            rows: &HashMap<u32, (String, String, String, u32, u32, u8)>,
            cache: &TypeCache,
            depth: u8,
        ) -> Option<PgType> {
            if let Some(t) = cache.get(oid) {
                return Some(t);
            }
            let (name, typtype, category, elem, base, _) = rows.get(&oid)?;
            let name: Arc<str> = Arc::from(name.as_str());
            let decoder = if depth > 4 {
                Decoder::Other(name.clone())
            } else if typtype == "d" {
                build(*base, rows, cache, depth + 1)
                    .map(|b| b.decoder)
                    .unwrap_or(Decoder::Other(name.clone()))
            } else if category == "A" && *elem != 0 {
                let element = build(*elem, rows, cache, depth + 1)?;
                let delimiter = rows.get(elem).map(|r| r.5).unwrap_or(b',');
                types::array_of(&element, delimiter).decoder
            } else if typtype == "e" || category == "S" {
                Decoder::Text
            } else {
                Decoder::Other(name.clone())
            };
            Some(PgType { name, decoder })
        }
        let mut out = HashMap::new();
        for &oid in oids {
            if let Some(t) = build(oid, &rows, &self.db.types, 0) {
                self.db.types.insert(oid, t.clone());
                out.insert(oid, t);
            }
        }
        Ok(out)
    }
}

/// One server session for an editor tab.
pub struct PgSession {
    db: Arc<DbPool>,
    config: ConnectionConfig,
    slot: SessionSlot<RawConn>,
    /// The cancel key of the statement running now, if any.
    running: Arc<Running<CancelKey>>,
}

impl PgSession {
    async fn connect(&self) -> DbResult<RawConn> {
        RawConn::connect(&self.db.target.params()).await
    }

    async fn run(&self, sql: &str, ticket: Ticket, sink: &mut EventSink) -> DbResult<()> {
        let mut slot = self.slot.lock().await;
        let conn = self
            .slot
            .ready(&mut slot, || self.connect(), Some(sink))
            .await?;
        let _running = self.running.start(ticket, conn.cancel_key());
        // A cancel that came while the connection was being made or checked found no
        // statement to stop: stop here instead.
        if sink.is_cancelled() {
            return Err(DbError::cancelled());
        }
        let resolver = PoolResolver { db: &self.db };
        let result = conn.simple_query(sql, sink, &resolver).await;
        self.running.finish().await;
        self.slot.release(&mut slot);
        result
    }

    /// The backend process id of the session's current connection.
    pub async fn backend_pid(&self) -> Option<i32> {
        self.slot.lock().await.as_ref().map(RawConn::backend_pid)
    }
}

#[async_trait]
impl Session for PgSession {
    fn execute(self: Arc<Self>, sql: String, options: QueryOptions) -> QueryStream {
        let ticket = self.running.ticket();
        let canceller = Arc::new(PgCancel {
            running: self.running.clone(),
            ticket,
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

/// Sends PostgreSQL's cancel request for the statement it was made for, if that one runs.
struct PgCancel {
    running: Arc<Running<CancelKey>>,
    /// The statement this cancel is for; a later one on the same connection is left alone.
    ticket: Ticket,
}

#[async_trait]
impl ServerCancel for PgCancel {
    async fn cancel(&self) -> DbResult<()> {
        // send_cancel returns once the server closed the cancel connection, that is once
        // the postmaster has signalled the backend.
        self.running
            .cancel_with(self.ticket, |k| async move {
                stream::send_cancel(&k.endpoint, k.pid, k.secret, k.tls).await
            })
            .await
            .unwrap_or(Ok(()))
    }
}
