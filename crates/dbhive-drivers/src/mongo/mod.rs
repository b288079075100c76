//! MongoDB on the official `mongodb` crate, with its own connection pool and topology
//! handling (one `Client` per open connection, shared by the tree and every tab).
//!
//! The editor speaks the mongosh subset in `shell`; statements become the server's own
//! commands (`run`), so options pass through as the server defines them. Results are
//! documents (`cells`): a row per document, a column per top-level field seen so far, and
//! the raw document beside it for the JSON view (`ejson`).

pub mod catalog;
pub mod cells;
mod conn;
pub mod dates;
pub mod ddl;
pub mod ejson;
mod errors;
mod fields;
mod run;
pub mod shell;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use dbhive_core::csv::CsvQuoting;
use dbhive_core::{
    ArrayStyle, BytesStyle, ColumnInfo, Connection, ConnectionConfig, DatabaseInfo, DbError,
    DbResult, Driver, Engine, ErrorKind, ForeignKeyInfo, IndexInfo, PrimaryKey, QueryOptions,
    QueryStream, SchemaInfo, SchemaNode, Secret, ServerCancel, ServerInfo, Session,
    TableDescription, TableInfo, TableKind, TableRef, TextStyle, run_options, spawn_query,
};
use mongodb::Client;
use mongodb::bson::{Bson, RawDocument, doc};

pub use ejson::JsonMode;

fn write_float(f: f64, out: &mut Vec<u8>) {
    let text = if f.is_nan() {
        "NaN".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else {
        ejson::python_float(f)
    };
    out.extend_from_slice(text.as_bytes());
}

fn write_float32(f: f32, out: &mut Vec<u8>) {
    write_float(f64::from(f), out)
}

/// Values as the JSON view and mongoexport spell them.
pub static MONGO_TEXT_STYLE: TextStyle = TextStyle {
    bool_true: "true",
    bool_false: "false",
    float64: write_float,
    float32: write_float32,
    bytes: BytesStyle::ZeroXUpper,
    array: ArrayStyle::Json,
    csv: CsvQuoting::Rfc4180,
};

/// The database a session starts in when the connection names none (mongosh's default).
const DEFAULT_DATABASE: &str = "test";

/// A document cell (the hidden first column of a MongoDB result) as Extended JSON.
pub fn document_json(bytes: &[u8], mode: JsonMode) -> DbResult<String> {
    let doc = RawDocument::from_bytes(bytes)
        .map_err(|e| DbError::internal(format!("not a BSON document: {e}")))?;
    Ok(ejson::document(doc, mode))
}

/// One round trip, timed (the connection's and every tab's ping: they share the client).
async fn ping(client: &Client) -> DbResult<Duration> {
    let started = Instant::now();
    catalog::bounded(
        "ping",
        client.database("admin").run_command(doc! { "ping": 1 }),
    )
    .await?;
    Ok(started.elapsed())
}

pub(crate) fn shell_int(v: &Bson) -> Option<i64> {
    shell::as_integer(v)
}

pub struct MongoDriver;

#[async_trait]
impl Driver for MongoDriver {
    fn engine(&self) -> Engine {
        Engine::Mongodb
    }

    async fn connect(
        &self,
        config: &ConnectionConfig,
        secret: Option<Secret>,
    ) -> DbResult<Arc<dyn Connection>> {
        if config.read_only {
            // Said, not ignored: a user who asked for it must not find writes going through.
            return Err(dbhive_core::DbError::unsupported(
                "read-only connections are not enforced for this engine yet: turn the read-only switch off, or connect as a user with read-only rights",
            ));
        }
        Ok(Arc::new(MongoConnection::open(config, secret).await?))
    }
}

pub struct MongoConnection {
    config: ConnectionConfig,
    client: Client,
    version: String,
}

impl MongoConnection {
    pub async fn open(
        config: &ConnectionConfig,
        secret: Option<Secret>,
    ) -> DbResult<MongoConnection> {
        let options = conn::client_options(config, secret.as_ref()).await?;
        drop(secret);
        let client = Client::with_options(options).map_err(errors::map)?;
        // The first command selects a server, connects and authenticates; each is bounded
        // by the server selection timeout, this by a little more.
        let limit = config.connect_timeout() + Duration::from_secs(5);
        let source = conn::auth_source(config);
        let reply = match tokio::time::timeout(
            limit,
            client
                .database(&source)
                .run_command(doc! { "buildInfo": 1 }),
        )
        .await
        {
            Ok(r) => r.map_err(errors::map)?,
            Err(_) => {
                return Err(DbError::timeout(format!(
                    "no answer from {} within {} s",
                    config.host_or_default(),
                    limit.as_secs()
                )));
            }
        };
        let version = reply.get_str("version").unwrap_or("unknown").to_string();
        if let Some(db) = config.database.as_deref() {
            // MongoDB makes a database when something is first written to it, so a typo
            // would silently open an empty one: say so instead.
            let listed = tokio::time::timeout(
                limit,
                client.database("admin").run_command(doc! { "listDatabases": 1, "nameOnly": true, "authorizedDatabases": true, "filter": { "name": db } }),
            )
            .await;
            if let Ok(Ok(reply)) = listed
                && reply.get_array("databases").is_ok_and(|a| a.is_empty())
            {
                return Err(DbError::new(ErrorKind::NotFound, format!("database \"{db}\" does not exist on this server"))
                        .with_code("no_such_database")
                        .with_hint(Some("MongoDB creates a database when a first collection is written in it: connect without a database and run use, or create a collection there first.".into())));
            }
        }
        Ok(MongoConnection {
            config: config.clone(),
            client,
            version,
        })
    }

    fn db_of(&self, table: &TableRef) -> String {
        table
            .database
            .clone()
            .or_else(|| table.schema.clone())
            .or_else(|| self.config.database.clone())
            .unwrap_or_else(|| DEFAULT_DATABASE.into())
    }

    /// The first top-level fields of a collection, from a sample.
    async fn fields(&self, table: &TableRef) -> DbResult<Vec<ColumnInfo>> {
        let sample = fields::sample(
            &self.client.database(&self.db_of(table)),
            &table.name,
            fields::FIELD_SAMPLE,
        )
        .await?;
        Ok(fields::columns_from_sample(&sample))
    }
}

#[async_trait]
impl Connection for MongoConnection {
    fn config(&self) -> &ConnectionConfig {
        &self.config
    }

    fn text_style(&self) -> &'static TextStyle {
        &MONGO_TEXT_STYLE
    }

    async fn ping(&self) -> DbResult<Duration> {
        ping(&self.client).await
    }

    async fn server_info(&self) -> DbResult<ServerInfo> {
        Ok(ServerInfo {
            engine: Engine::Mongodb,
            version: self.version.clone(),
            database: self.config.database.clone(),
            user: self.config.user.clone(),
            tls: None,
        })
    }

    async fn open_session(&self, database: Option<&str>) -> DbResult<Arc<dyn Session>> {
        let db = database
            .map(str::to_string)
            .or_else(|| self.config.database.clone())
            .unwrap_or_else(|| DEFAULT_DATABASE.into());
        Ok(Arc::new(MongoSession {
            client: self.client.clone(),
            config: self.config.clone(),
            db: tokio::sync::Mutex::new(db),
        }))
    }

    async fn databases(&self) -> DbResult<Vec<DatabaseInfo>> {
        catalog::databases(&self.client, self.config.database.as_deref()).await
    }

    async fn schemas(&self, database: Option<&str>) -> DbResult<Vec<SchemaInfo>> {
        // No schemas: the database is the only level above collections.
        let name = database
            .map(str::to_string)
            .or_else(|| self.config.database.clone())
            .unwrap_or_else(|| DEFAULT_DATABASE.into());
        Ok(vec![SchemaInfo {
            name,
            owner: None,
            is_system: false,
            comment: None,
        }])
    }

    async fn tables(
        &self,
        database: Option<&str>,
        schema: Option<&str>,
    ) -> DbResult<Vec<TableInfo>> {
        let db = database
            .or(schema)
            .map(str::to_string)
            .or_else(|| self.config.database.clone())
            .unwrap_or_else(|| DEFAULT_DATABASE.into());
        catalog::tables(&self.client.database(&db), None, false).await
    }

    async fn columns(&self, table: &TableRef) -> DbResult<Vec<ColumnInfo>> {
        self.fields(table).await
    }

    async fn indexes(&self, table: &TableRef) -> DbResult<Vec<IndexInfo>> {
        Ok(
            catalog::indexes(&self.client.database(&self.db_of(table)), &table.name)
                .await?
                .iter()
                .map(catalog::index_info)
                .collect(),
        )
    }

    async fn foreign_keys(&self, _table: &TableRef) -> DbResult<Vec<ForeignKeyInfo>> {
        Ok(Vec::new())
    }

    async fn describe_table(&self, table: &TableRef) -> DbResult<TableDescription> {
        let db = self.db_of(table);
        let database = self.client.database(&db);
        let entry = catalog::collections(&database)
            .await?
            .into_iter()
            .find(|c| c.name == table.name)
            .ok_or_else(|| {
                DbError::not_found(format!("no collection {} in database {db}", table.name))
            })?;
        let view = entry.kind == "view";
        let info = TableInfo {
            schema: None,
            name: table.name.clone(),
            kind: if view {
                TableKind::View
            } else {
                TableKind::Collection
            },
            row_estimate: None,
            size_bytes: None,
            comment: (entry.kind == "timeseries").then(|| "time-series".to_string()),
            engine: None,
        };
        let indexes = if view {
            Vec::new()
        } else {
            self.indexes(table).await?
        };
        Ok(TableDescription {
            row_id: None,
            table: info,
            columns: self.fields(table).await?,
            primary_key: (!view).then(|| PrimaryKey {
                name: Some("_id_".into()),
                columns: vec!["_id".into()],
            }),
            indexes,
            foreign_keys: Vec::new(),
            referenced_by: Vec::new(),
            triggers: Vec::new(),
        })
    }

    async fn ddl(&self, table: &TableRef) -> DbResult<String> {
        ddl::ddl(&self.client.database(&self.db_of(table)), &table.name).await
    }

    fn select_rows_sql(&self, table: &TableRef, limit: u64) -> String {
        let mut db = String::new();
        ejson::write_string(&self.db_of(table), &mut db);
        let mut name = String::new();
        ejson::write_string(&table.name, &mut name);
        format!("db.getSiblingDB({db}).getCollection({name}).find({{}}).limit({limit})")
    }

    async fn list_children(&self, path: &[String]) -> DbResult<Vec<SchemaNode>> {
        catalog::list_children(&self.client, self.config.database.as_deref(), path).await
    }

    async fn close(&self) {
        // Waits for operations in flight, bounded: sessions still open keep their handle.
        let _ = tokio::time::timeout(Duration::from_secs(2), self.client.clone().shutdown()).await;
    }
}

/// A tab: the shared client and the tab's current database. MongoDB keeps no other
/// per-connection state a tab could rely on (`use` is client-side in mongosh too).
pub struct MongoSession {
    client: Client,
    config: ConnectionConfig,
    /// Held while a query runs, so a tab's queries run one at a time.
    db: tokio::sync::Mutex<String>,
}

/// Finds the operations carrying a query's comment tag in `$currentOp` and kills them.
struct MongoCancel {
    client: Client,
    tag: String,
}

#[async_trait]
impl ServerCancel for MongoCancel {
    async fn cancel(&self) -> DbResult<()> {
        let admin = self.client.database("admin");
        let tag = self.tag.as_str();
        let pipeline = vec![
            doc! { "$currentOp": { "allUsers": false, "idleConnections": false } },
            doc! { "$match": { "$or": [
                { "command.comment": tag }, { "command.comment.dbhive": tag },
                { "cursor.originatingCommand.comment": tag }, { "cursor.originatingCommand.comment.dbhive": tag },
            ] } },
        ];
        let find = async {
            let mut cursor = admin.aggregate(pipeline).await?;
            let mut ops = Vec::new();
            while cursor.advance().await? {
                let op: mongodb::bson::Document = cursor.deserialize_current()?;
                if let Some(id) = op.get("opid") {
                    ops.push(id.clone());
                }
            }
            for op in ops {
                admin.run_command(doc! { "killOp": 1, "op": op }).await?;
            }
            Ok::<(), mongodb::error::Error>(())
        };
        match tokio::time::timeout(Duration::from_secs(5), find).await {
            Ok(r) => r.map_err(errors::map),
            Err(_) => Err(DbError::timeout(
                "finding the operation to stop took longer than 5 s",
            )),
        }
    }
}

fn random_tag() -> String {
    let mut bytes = [0u8; 12];
    if getrandom::fill(&mut bytes).is_err() {
        // Unique enough to find this query's operations among the user's own.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        bytes[..12].copy_from_slice(&nanos.to_le_bytes()[..12]);
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("dbhive:{hex}")
}

#[async_trait]
impl Session for MongoSession {
    fn execute(self: Arc<Self>, sql: String, options: QueryOptions) -> QueryStream {
        let statements = match shell::parse_script(&sql) {
            Ok(s) => s,
            Err(e) => return QueryStream::failed(e.into_db_error(&sql)),
        };
        if statements.is_empty() {
            return QueryStream::failed(DbError::new(
                ErrorKind::Syntax,
                "nothing to run: the script holds no statement",
            ));
        }
        let run_opts = run_options(&options, &self.config);
        let max_time = run_opts.timeout;
        let tag = random_tag();
        let cancel = Arc::new(MongoCancel {
            client: self.client.clone(),
            tag: tag.clone(),
        });
        spawn_query(run_opts, cancel, move |mut sink| async move {
            let mut db = self.db.lock().await;
            let mut ctx = run::Ctx {
                client: &self.client,
                db: &mut db,
                tag: &tag,
                max_time,
            };
            for statement in statements {
                let (start, end) = (statement.start, statement.end);
                if let Err(mut e) = run::run(&mut ctx, &mut sink, statement).await {
                    // Mark the statement that failed in the editor.
                    if e.position.is_none() && e.kind != ErrorKind::Cancelled {
                        let start = start.min(sql.len());
                        e.position = sql.get(..start).map(|s| s.chars().count() as u32 + 1);
                        let (line, _) = shell::ParseError::new(start, "").line_column(&sql);
                        if let Some(text) = sql.get(start..end.min(sql.len()))
                            && (sql.get(..start).is_some_and(|b| !b.trim().is_empty())
                                || sql.get(end..).is_some_and(|a| !a.trim().is_empty()))
                        {
                            e.message = format!(
                                "line {line}, {}: {}",
                                text.chars().take(60).collect::<String>(),
                                e.message
                            );
                        }
                    }
                    return (Some(sink), Err(e));
                }
                if sink.is_cancelled() {
                    break;
                }
            }
            (Some(sink), Ok(()))
        })
    }

    async fn ping(&self) -> DbResult<Duration> {
        ping(&self.client).await
    }

    async fn close(&self) {}
}
