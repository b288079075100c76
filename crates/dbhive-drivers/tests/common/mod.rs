//! Helpers shared by the driver tests: reaching the test servers and collecting the events
//! of a query into something easy to assert on.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use dbhive_core::{
    Column, Connection, ConnectionConfig, DbError, Notice, QueryEvent, QueryOptions, QueryStream,
    Secret, Session, Value,
};

/// How long a test waits for something that should take a moment before it calls it a hang.
/// It tells "stopped" from "ran its course" (the statements it guards run for minutes), not
/// fast from slow: these machines are shared, and a timing bound tight enough to measure
/// speed would fail on a busy one. Speed is measured in BENCHMARKS.md.
pub const HANG_GUARD: Duration = Duration::from_secs(30);

/// Awaits `fut`, failing the test with `what` if it is still pending after [`HANG_GUARD`].
pub async fn within<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(HANG_GUARD, fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: still waiting after {HANG_GUARD:?}"),
    }
}

/// The test PostgreSQL's URL. Its absence is a failure, never a skip: the README's test
/// command starts the server and sets it.
pub fn pg_url() -> String {
    std::env::var("DBHIVE_TEST_PG_URL").unwrap_or_else(|_| {
        panic!(
            "DBHIVE_TEST_PG_URL is not set. These tests need the test PostgreSQL: run the README's \
             test command (scripts/test.sh), or `eval \"$(scripts/pg-server.sh start | sed 's/^/export /')\"` first."
        )
    })
}

pub fn pg_config() -> (ConnectionConfig, Option<Secret>) {
    ConnectionConfig::from_url(&pg_url()).expect("DBHIVE_TEST_PG_URL parses")
}

/// The test MariaDB's URL; like PostgreSQL's, required.
pub fn mysql_url() -> String {
    std::env::var("DBHIVE_TEST_MYSQL_URL").unwrap_or_else(|_| {
        panic!(
            "DBHIVE_TEST_MYSQL_URL is not set. These tests need the test MariaDB: run the README's \
             test command (scripts/test.sh), or `eval \"$(scripts/mariadb-server.sh start | sed 's/^/export /')\"` first."
        )
    })
}

pub fn mysql_config() -> (ConnectionConfig, Option<Secret>) {
    ConnectionConfig::from_url(&mysql_url()).expect("DBHIVE_TEST_MYSQL_URL parses")
}

pub async fn mysql() -> Arc<dyn Connection> {
    let (config, secret) = mysql_config();
    connect(&config, secret).await
}

/// The test MongoDB's URL (SecantusDB, started by scripts/mongo-server.sh); required.
pub fn mongo_url() -> String {
    std::env::var("DBHIVE_TEST_MONGO_URL").unwrap_or_else(|_| {
        panic!(
            "DBHIVE_TEST_MONGO_URL is not set. These tests need the test MongoDB server: run the README's \
             test command (scripts/test.sh), or `eval \"$(scripts/mongo-server.sh start | sed 's/^/export /')\"` first."
        )
    })
}

pub fn mongo_config() -> (ConnectionConfig, Option<Secret>) {
    ConnectionConfig::from_url(&mongo_url()).expect("DBHIVE_TEST_MONGO_URL parses")
}

pub async fn mongo() -> Arc<dyn Connection> {
    let (config, secret) = mongo_config();
    connect(&config, secret).await
}

/// The test SQL Server's URL: Babelfish from scripts/mssql-server.sh, or a real SQL Server
/// named by the user; required like the others.
pub fn mssql_url() -> String {
    std::env::var("DBHIVE_TEST_MSSQL_URL").unwrap_or_else(|_| {
        panic!(
            "DBHIVE_TEST_MSSQL_URL is not set. These tests need a TDS server: run the README's \
             test command (scripts/test.sh), or start scripts/mssql-server.sh and export the KEY=VALUE lines it prints \
             (`while IFS== read -r k v; do export \"$k=$v\"; done < <(scripts/mssql-server.sh start)`)."
        )
    })
}

pub fn mssql_config() -> (ConnectionConfig, Option<Secret>) {
    ConnectionConfig::from_url(&mssql_url()).expect("DBHIVE_TEST_MSSQL_URL parses")
}

pub async fn mssql() -> Arc<dyn Connection> {
    let (config, secret) = mssql_config();
    connect(&config, secret).await
}

/// Runs a Python script with the pymongo that scripts/mongo-server.sh installed beside the
/// server; its stdout, or a failure with its stderr.
pub fn pymongo(script: &str, args: &[&str]) -> String {
    let python = env("DBHIVE_TEST_MONGO_PYTHON");
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(mongo_url())
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "pymongo script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// An environment variable the test scripts set, required.
pub fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: run the tests through scripts/test.sh"))
}

pub async fn connect(config: &ConnectionConfig, secret: Option<Secret>) -> Arc<dyn Connection> {
    match dbhive_drivers::registry()
        .driver(config.engine)
        .expect("driver")
        .connect(config, secret)
        .await
    {
        Ok(c) => c,
        Err(e) => panic!("cannot connect to {}: {e}", config.label()),
    }
}

/// The error of a connection attempt that must fail.
pub async fn connect_err(config: &ConnectionConfig, secret: Option<Secret>) -> DbError {
    match dbhive_drivers::registry()
        .driver(config.engine)
        .expect("driver")
        .connect(config, secret)
        .await
    {
        Ok(_) => panic!("connecting to {} should fail", config.label()),
        Err(e) => e,
    }
}

pub async fn pg() -> Arc<dyn Connection> {
    let (config, secret) = pg_config();
    connect(&config, secret).await
}

#[derive(Debug, Default)]
pub struct ResultSet {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
    pub command: Option<String>,
    pub rows_affected: Option<u64>,
    pub last_insert_id: Option<u64>,
    pub has_columns: bool,
    /// The row count the result ended with (the only count a result without columns has).
    pub reported_rows: u64,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub results: Vec<ResultSet>,
    pub notices: Vec<Notice>,
    pub error: Option<DbError>,
    pub cancelled: bool,
    pub batches: usize,
    pub done: bool,
    /// When the first row arrived, and when Done did (from the start of collecting).
    pub first_row_at: Option<Duration>,
    pub done_at: Duration,
}

impl Outcome {
    /// Panics with the error if the query failed.
    #[track_caller]
    pub fn ok(self) -> Outcome {
        if let Some(e) = &self.error {
            panic!("query failed: {e:?}");
        }
        self
    }

    #[track_caller]
    pub fn err(self) -> DbError {
        match self.error {
            Some(e) => e,
            None => panic!("expected an error, got {} results", self.results.len()),
        }
    }

    /// The only value of the only row of the last result.
    #[track_caller]
    pub fn scalar(&self) -> &Value {
        let last = self
            .results
            .iter()
            .rev()
            .find(|r| r.has_columns)
            .expect("a result with rows");
        assert_eq!(last.rows.len(), 1, "expected one row: {:?}", last.rows);
        &last.rows[0][0]
    }
}

pub async fn collect(mut stream: QueryStream) -> Outcome {
    let started = Instant::now();
    let mut out = Outcome::default();
    let mut current: Option<ResultSet> = None;
    while let Some(event) = stream.next().await {
        match event {
            QueryEvent::Columns { columns, .. } => {
                current = Some(ResultSet {
                    columns: columns.to_vec(),
                    has_columns: true,
                    ..ResultSet::default()
                });
            }
            QueryEvent::ColumnsAdded { columns, .. } => {
                let set = current.as_mut().expect("columns added to an open result");
                set.columns.extend(columns.iter().cloned());
            }
            QueryEvent::Rows(batch) => {
                if out.first_row_at.is_none() {
                    out.first_row_at = Some(started.elapsed());
                }
                out.batches += 1;
                let set = current.as_mut().expect("rows after columns");
                for row in batch.rows() {
                    set.rows.push(row.to_vec());
                }
            }
            QueryEvent::ResultEnd {
                command,
                rows_affected,
                last_insert_id,
                rows,
                has_columns,
                ..
            } => {
                let mut set = current.take().unwrap_or_default();
                // Rows sent before their result gained columns lack those cells.
                let width = set.columns.len();
                for row in &mut set.rows {
                    row.resize(width.max(row.len()), Value::Missing);
                }
                if !set.columns.is_empty() {
                    assert_eq!(
                        set.rows.len() as u64,
                        rows,
                        "ResultEnd counts the rows it sent"
                    );
                }
                set.reported_rows = rows;
                set.command = command;
                set.rows_affected = rows_affected;
                set.last_insert_id = last_insert_id;
                set.has_columns = has_columns;
                out.results.push(set);
            }
            QueryEvent::Notice(n) => out.notices.push(n),
            QueryEvent::Error(e) => out.error = Some(e),
            QueryEvent::Done { cancelled, .. } => {
                out.cancelled = cancelled;
                out.done = true;
                out.done_at = started.elapsed();
            }
        }
    }
    assert!(out.done, "every stream ends with Done");
    out
}

pub async fn run(conn: &Arc<dyn Connection>, sql: &str) -> Outcome {
    collect(conn.execute(sql, QueryOptions::default()).await).await
}

pub async fn run_on(session: &Arc<dyn Session>, sql: &str) -> Outcome {
    collect(
        session
            .clone()
            .execute(sql.to_string(), QueryOptions::default()),
    )
    .await
}

pub fn text(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        other => panic!("expected text, got {other:?}"),
    }
}

/// Cancels `short` 60 times, round `i` after `delay(i)` (around the moment it ends: sometimes
/// before, sometimes after), and runs `next(i)` right after each, which must come back whole
/// with the rows it names. A cancel names a connection, not a statement: one that arrives
/// as a statement ends must never stop the session's next one.
pub async fn assert_late_cancels_spare_the_next_statement(
    session: &Arc<dyn Session>,
    short: &str,
    delay: impl Fn(u32) -> Duration,
    next: impl Fn(u32) -> (String, Vec<Vec<Value>>),
) {
    let mut cancelled = 0;
    for i in 0..60u32 {
        let stream = session
            .clone()
            .execute(short.to_string(), QueryOptions::default());
        let handle = stream.handle();
        let waiting = tokio::spawn(collect(stream));
        tokio::time::sleep(delay(i)).await;
        handle.cancel();
        if waiting.await.expect("collector").cancelled {
            cancelled += 1;
        }
        let (sql, rows) = next(i);
        let out = run_on(session, &sql).await;
        assert!(
            out.error.is_none(),
            "round {i}: the statement after a cancel failed: {:?}",
            out.error
        );
        assert_eq!(out.results[0].rows, rows, "round {i}");
    }
    assert!(cancelled > 0, "some cancels landed while the statement ran");
}
