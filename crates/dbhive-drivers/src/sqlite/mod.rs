//! SQLite through rusqlite (bundled SQLite, so every platform runs the same version).
//!
//! Connections run on blocking threads; a session owns one connection and its interrupt
//! handle, which is how Cancel stops a statement mid-step. `:memory:` databases become a
//! named shared-cache database so the metadata pool and every session see the same data.

mod catalog;
mod errors;
pub(crate) mod script;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use dbhive_core::csv::CsvQuoting;
use dbhive_core::pool::{Manage, Pool};
use dbhive_core::value::{float32_sqlite, float64_sqlite};
use dbhive_core::{
    ArrayStyle, BytesStyle, ColumnInfo, Connection as DbConnection, ConnectionConfig, DatabaseInfo,
    DbError, DbResult, Driver, Engine, ErrorKind, ForeignKeyInfo, IndexInfo, QueryOptions,
    QueryStream, SchemaInfo, SchemaNode, Secret, ServerCancel, ServerInfo, Session,
    TableDescription, TableInfo, TableRef, TextStyle, run_options, spawn_query,
};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, InterruptHandle, OpenFlags};

use crate::running::{Running, Ticket};
use script::{guarded, run_script};

/// The sqlite3 shell's text conventions.
pub static SQLITE_TEXT_STYLE: TextStyle = TextStyle {
    bool_true: "1",
    bool_false: "0",
    float64: float64_sqlite,
    float32: float32_sqlite,
    bytes: BytesStyle::Raw,
    array: ArrayStyle::Json,
    csv: CsvQuoting::SqliteShell,
};

/// The code of "no database at that path" (the app offers to create one).
pub const NO_SUCH_FILE: &str = "sqlite_no_such_file";

/// How long a statement waits for another connection's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub struct SqliteDriver;

#[async_trait]
impl Driver for SqliteDriver {
    fn engine(&self) -> Engine {
        Engine::Sqlite
    }

    async fn connect(
        &self,
        config: &ConnectionConfig,
        _secret: Option<Secret>,
    ) -> DbResult<Arc<dyn DbConnection>> {
        Ok(Arc::new(SqliteConnection::open(config).await?))
    }
}

/// How to open each connection to the same database.
struct Opener {
    target: String,
    flags: OpenFlags,
    /// Shown in errors: the path the user gave.
    label: String,
    attach: Vec<(String, String)>,
    read_only: bool,
}

static MEMORY_DBS: AtomicU64 = AtomicU64::new(0);

impl Opener {
    fn from_config(config: &ConnectionConfig) -> DbResult<Opener> {
        let db = config.database.clone().unwrap_or_else(|| ":memory:".into());
        let mut flags = OpenFlags::SQLITE_OPEN_NO_MUTEX;
        // A mistyped path is an error, not a new empty database: creating one is asked for
        // (`mode=rwc`, which the app sets once the user said yes).
        flags |= match config.option("mode") {
            None | Some("rw") => OpenFlags::SQLITE_OPEN_READ_WRITE,
            Some("rwc") => OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
            Some("ro") => OpenFlags::SQLITE_OPEN_READ_ONLY,
            Some(other) => {
                return Err(DbError::new(
                    ErrorKind::Connection,
                    format!("unknown SQLite mode '{other}' (use ro, rw or rwc)"),
                ));
            }
        };
        let target = if db == ":memory:" {
            flags |= OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_CREATE;
            let n = MEMORY_DBS.fetch_add(1, Ordering::SeqCst);
            format!(
                "file:dbhive-memory-{}-{n}?mode=memory&cache=shared",
                std::process::id()
            )
        } else {
            if db.starts_with("file:") {
                flags |= OpenFlags::SQLITE_OPEN_URI;
            }
            db.clone()
        };
        let mut attach = Vec::new();
        if let Some(list) = config.option("attach") {
            for item in list.split(';').filter(|s| !s.trim().is_empty()) {
                let (alias, path) = item.split_once('=').ok_or_else(|| {
                    DbError::new(
                        ErrorKind::Connection,
                        format!("attach entries are ALIAS=PATH separated by ';', got '{item}'"),
                    )
                })?;
                attach.push((alias.trim().to_string(), path.trim().to_string()));
            }
        }
        Ok(Opener {
            target,
            flags,
            label: db,
            attach,
            read_only: config.read_only,
        })
    }

    fn open(&self) -> DbResult<Connection> {
        let open_error = |e: rusqlite::Error| {
            let mut err = errors::to_error(e, "", 0);
            err.kind = ErrorKind::Connection;
            err.message = format!(
                "cannot open the SQLite database {}: {}",
                self.label, err.message
            );
            err
        };
        if !self.flags.contains(OpenFlags::SQLITE_OPEN_CREATE)
            && !self.target.starts_with("file:")
            && !std::path::Path::new(&self.target).exists()
        {
            return Err(DbError::new(
                ErrorKind::NotFound,
                format!("there is no SQLite database at {}", self.label),
            )
            .with_code(NO_SUCH_FILE)
            .with_hint(Some(
                "Check the path; to create a new database there, open it with mode=rwc (the app asks first)."
                    .into(),
            )));
        }
        let conn = Connection::open_with_flags(&self.target, self.flags).map_err(open_error)?;
        // The file may come from anyone: its schema's views and triggers may not call
        // functions with side effects, and SQL may not corrupt the file on purpose.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)
            .and_then(|_| conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true))
            .map_err(open_error)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
        // Reading the schema proves the file is a database (not, say, a text file).
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(open_error)?;
        for (alias, path) in &self.attach {
            conn.execute(
                &format!("ATTACH DATABASE ?1 AS {}", catalog::quote(alias)),
                [path],
            )
            .map_err(open_error)?;
        }
        // After ATTACH: query_only covers every database of the connection.
        if self.read_only {
            conn.pragma_update(None, "query_only", true)
                .map_err(open_error)?;
        }
        Ok(conn)
    }
}

struct SqliteManager {
    opener: Arc<Opener>,
}

#[async_trait]
impl Manage for SqliteManager {
    type Conn = Connection;

    async fn create(&self) -> DbResult<Connection> {
        let opener = self.opener.clone();
        tokio::task::spawn_blocking(move || opener.open())
            .await
            .map_err(|e| DbError::internal(format!("opening thread failed: {e}")))?
    }

    async fn check(&self, conn: &mut Connection) -> DbResult<()> {
        conn.query_row("SELECT 1", [], |_| Ok(()))
            .map_err(|e| errors::to_error(e, "", 0))
    }

    fn is_broken(&self, conn: &mut Connection) -> bool {
        // A metadata connection must not carry a transaction to its next user.
        !conn.is_autocommit()
    }
}

pub struct SqliteConnection {
    config: ConnectionConfig,
    opener: Arc<Opener>,
    pool: Pool<SqliteManager>,
    /// Keeps a `:memory:` database alive while the connection is open.
    _anchor: Option<Mutex<Connection>>,
}

impl SqliteConnection {
    pub async fn open(config: &ConnectionConfig) -> DbResult<SqliteConnection> {
        let opener = Arc::new(Opener::from_config(config)?);
        let manager = SqliteManager {
            opener: opener.clone(),
        };
        let first = manager.create().await?;
        let anchor = if opener.label == ":memory:" {
            Some(Mutex::new(manager.create().await?))
        } else {
            None
        };
        let pool = Pool::new(manager, config.pool_size, Duration::from_secs(30));
        pool.put_idle(first);
        Ok(SqliteConnection {
            config: config.clone(),
            opener,
            pool,
            _anchor: anchor,
        })
    }

    /// Runs `f` with a pooled connection on a blocking thread.
    async fn with_conn<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    ) -> DbResult<T> {
        let conn = self.pool.get().await?;
        tokio::task::spawn_blocking(move || guarded(|| f(&conn)))
            .await
            .map_err(|e| DbError::internal(format!("metadata thread failed: {e}")))?
    }
}

#[async_trait]
impl DbConnection for SqliteConnection {
    fn config(&self) -> &ConnectionConfig {
        &self.config
    }

    fn text_style(&self) -> &'static TextStyle {
        &SQLITE_TEXT_STYLE
    }

    async fn ping(&self) -> DbResult<Duration> {
        let started = Instant::now();
        self.with_conn(|c| {
            c.query_row("SELECT 1", [], |_| Ok(()))
                .map_err(|e| errors::to_error(e, "", 0))
        })
        .await?;
        Ok(started.elapsed())
    }

    async fn server_info(&self) -> DbResult<ServerInfo> {
        let label = self.opener.label.clone();
        let version: String = self
            .with_conn(|c| {
                c.query_row("SELECT sqlite_version()", [], |r| r.get(0))
                    .map_err(|e| errors::to_error(e, "", 0))
            })
            .await?;
        Ok(ServerInfo {
            engine: Engine::Sqlite,
            version: format!("SQLite {version}"),
            database: Some(label),
            user: None,
            tls: None,
        })
    }

    async fn open_session(&self, _database: Option<&str>) -> DbResult<Arc<dyn Session>> {
        let opener = self.opener.clone();
        let conn = tokio::task::spawn_blocking(move || opener.open())
            .await
            .map_err(|e| DbError::internal(format!("opening thread failed: {e}")))??;
        Ok(Arc::new(SqliteSession {
            interrupt: Arc::new(conn.get_interrupt_handle()),
            conn: Arc::new(Mutex::new(conn)),
            config: self.config.clone(),
            running: Arc::new(Running::default()),
        }))
    }

    async fn databases(&self) -> DbResult<Vec<DatabaseInfo>> {
        self.with_conn(catalog::databases).await
    }

    async fn schemas(&self, _database: Option<&str>) -> DbResult<Vec<SchemaInfo>> {
        // SQLite has no schemas: its attached databases play that part.
        Ok(self
            .databases()
            .await?
            .into_iter()
            .map(|d| SchemaInfo {
                is_system: d.name == "temp",
                name: d.name,
                owner: None,
                comment: d.comment,
            })
            .collect())
    }

    async fn tables(
        &self,
        database: Option<&str>,
        schema: Option<&str>,
    ) -> DbResult<Vec<TableInfo>> {
        let db = schema.or(database).unwrap_or("main").to_string();
        self.with_conn(move |c| catalog::tables(c, &db, &["table", "view"]))
            .await
    }

    async fn columns(&self, table: &TableRef) -> DbResult<Vec<ColumnInfo>> {
        let table = table.clone();
        self.with_conn(move |c| catalog::columns(c, &table)).await
    }

    async fn indexes(&self, table: &TableRef) -> DbResult<Vec<IndexInfo>> {
        let table = table.clone();
        self.with_conn(move |c| catalog::indexes(c, &table)).await
    }

    async fn foreign_keys(&self, table: &TableRef) -> DbResult<Vec<ForeignKeyInfo>> {
        let table = table.clone();
        self.with_conn(move |c| catalog::foreign_keys(c, &table))
            .await
    }

    async fn describe_table(&self, table: &TableRef) -> DbResult<TableDescription> {
        let table = table.clone();
        self.with_conn(move |c| catalog::describe(c, &table)).await
    }

    async fn ddl(&self, table: &TableRef) -> DbResult<String> {
        let table = table.clone();
        self.with_conn(move |c| catalog::ddl(c, &table)).await
    }

    fn select_rows_sql(&self, table: &TableRef, limit: u64) -> String {
        let name = match &table.schema {
            Some(db) => format!("{}.{}", catalog::quote(db), catalog::quote(&table.name)),
            None => catalog::quote(&table.name),
        };
        format!("SELECT * FROM {name} LIMIT {limit}")
    }

    async fn list_children(&self, path: &[String]) -> DbResult<Vec<SchemaNode>> {
        let path = path.to_vec();
        self.with_conn(move |c| catalog::list_children(c, &path))
            .await
    }

    async fn close(&self) {
        self.pool.close();
    }
}

pub struct SqliteSession {
    conn: Arc<Mutex<Connection>>,
    interrupt: Arc<InterruptHandle>,
    config: ConnectionConfig,
    /// Which statement an interrupt may stop: one asked for as a statement ends must not
    /// reach the next one on the same connection.
    running: Arc<Running<()>>,
}

#[async_trait]
impl Session for SqliteSession {
    fn execute(self: Arc<Self>, sql: String, options: QueryOptions) -> QueryStream {
        let ticket = self.running.ticket();
        let canceller = Arc::new(SqliteCancel {
            interrupt: self.interrupt.clone(),
            running: self.running.clone(),
            ticket,
        });
        let run = run_options(&options, &self.config);
        spawn_query(run, canceller, move |sink| async move {
            let conn = self.conn.clone();
            let running = self.running.clone();
            let joined = tokio::task::spawn_blocking(move || {
                let mut sink = sink;
                let guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                let _running = running.start(ticket, ());
                let result = guarded(|| run_script(&guard, &sql, &mut sink));
                running.finish_blocking();
                (Some(sink), result)
            })
            .await;
            joined.unwrap_or_else(|e| {
                (
                    None,
                    Err(DbError::internal(format!("query thread failed: {e}"))),
                )
            })
        })
    }

    async fn ping(&self) -> DbResult<Duration> {
        let conn = self.conn.clone();
        let started = Instant::now();
        tokio::task::spawn_blocking(move || {
            let guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            guard
                .query_row("SELECT 1", [], |_| Ok(()))
                .map_err(|e| errors::to_error(e, "", 0))
        })
        .await
        .map_err(|e| DbError::internal(format!("ping thread failed: {e}")))??;
        Ok(started.elapsed())
    }

    fn in_transaction(&self) -> bool {
        // A query holds the lock while it runs; what it left is known once it ends.
        self.conn
            .try_lock()
            .is_ok_and(|guard| !guard.is_autocommit())
    }

    async fn close(&self) {}
}

/// sqlite3_interrupt(): the running step returns SQLITE_INTERRUPT at its next check.
struct SqliteCancel {
    interrupt: Arc<InterruptHandle>,
    running: Arc<Running<()>>,
    ticket: Ticket,
}

#[async_trait]
impl ServerCancel for SqliteCancel {
    async fn cancel(&self) -> DbResult<()> {
        let interrupt = &self.interrupt;
        self.running
            .cancel_with(self.ticket, |()| async move { interrupt.interrupt() })
            .await;
        Ok(())
    }
}
