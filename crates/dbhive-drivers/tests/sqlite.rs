//! SQLite, in temporary files and in memory: types, scripts, errors, cancel, metadata.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use dbhive_core::{
    Connection, ConnectionConfig, ErrorKind, FolderKind, NodeKind, QueryOptions, TableKind,
    TableRef, Value,
};

/// Opens (creating) the database at `path`.
async fn open(path: &std::path::Path) -> Arc<dyn Connection> {
    let mut config = ConnectionConfig::sqlite(path.display().to_string());
    config.options.insert("mode".into(), "rwc".into());
    connect(&config, None).await
}

fn temp_db() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("test db.sqlite");
    (dir, path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_classes_and_declared_types() {
    let (_dir, path) = temp_db();
    let conn = open(&path).await;
    let out = run(
        &conn,
        "CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, d DATE, j JSON, n NUMERIC);
         INSERT INTO t VALUES (-9223372036854775808, 0.1, 'héllo', x'00ff', '2024-02-29', '{\"a\":1}', 12.50);
         INSERT INTO t VALUES (NULL, NULL, '', x'', NULL, NULL, NULL);
         SELECT * FROM t;
         SELECT 1 + 1 AS two, typeof(1.5) AS kind;",
    )
    .await
    .ok();
    assert_eq!(out.results.len(), 5);
    assert_eq!(out.results[1].rows_affected, Some(1));
    assert_eq!(out.results[1].last_insert_id, Some(1));
    let set = &out.results[3];
    let types: Vec<&str> = set.columns.iter().map(|c| c.type_name.as_str()).collect();
    assert_eq!(
        types,
        ["INTEGER", "REAL", "TEXT", "BLOB", "DATE", "JSON", "NUMERIC"]
    );
    let origin = set.columns[0].origin.as_ref().expect("column origin");
    assert_eq!((origin.table.as_str(), origin.column.as_str()), ("t", "i"));
    assert_eq!(
        set.rows[0],
        vec![
            Value::Int(i64::MIN),
            Value::Float(0.1),
            Value::Text("héllo".into()),
            Value::Bytes(vec![0, 255]),
            Value::Text("2024-02-29".into()),
            Value::Text("{\"a\":1}".into()),
            Value::Float(12.5),
        ]
    );
    assert_eq!(
        set.rows[1],
        vec![
            Value::Null,
            Value::Null,
            Value::Text(String::new()),
            Value::Bytes(vec![]),
            Value::Null,
            Value::Null,
            Value::Null
        ]
    );
    assert_eq!(
        out.results[4].columns[0].type_name, "",
        "an expression has no declared type"
    );
    assert_eq!(
        out.results[4].rows[0],
        vec![Value::Int(2), Value::Text("real".into())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_is_kept_as_bytes_with_a_warning() {
    let (_dir, path) = temp_db();
    let conn = open(&path).await;
    let out = run(
        &conn,
        "CREATE TABLE t (s TEXT); INSERT INTO t VALUES (CAST(x'66fe6f' AS TEXT)), ('fine'), (CAST(x'ff' AS TEXT));
         SELECT s, typeof(s) FROM t;",
    )
    .await
    .ok();
    let rows = &out.results[2].rows;
    assert_eq!(
        rows[0],
        vec![
            Value::Bytes(vec![0x66, 0xfe, 0x6f]),
            Value::Text("text".into())
        ]
    );
    assert_eq!(rows[1][0], Value::Text("fine".into()));
    assert_eq!(rows[2][0], Value::Bytes(vec![0xff]));
    assert_eq!(
        out.notices.len(),
        1,
        "one warning per query: {:?}",
        out.notices
    );
    assert!(out.notices[0].message.contains("not valid UTF-8"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_point_into_the_script() {
    let (_dir, path) = temp_db();
    let conn = open(&path).await;
    let session = conn.open_session(None).await.expect("session");
    let sql = "CREATE TABLE t(x INTEGER PRIMARY KEY);\nSELECT * FORM t;";
    let out = run_on(&session, sql).await;
    assert_eq!(out.results.len(), 1, "the first statement ran");
    let e = out.err();
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert_eq!(e.line_column(sql), Some((2, 10)));

    let e = run_on(&session, "SELECT missing FROM t").await.err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_eq!(e.position, Some(8));
    let e = run_on(&session, "DROP TABLE t; SELECT * FROM t")
        .await
        .err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(e.message.contains("no such table"), "{e:?}");

    run_on(&session, "CREATE TABLE u(x UNIQUE)").await.ok();
    let e = run_on(&session, "INSERT INTO u VALUES (1), (1)")
        .await
        .err();
    assert_eq!(e.kind, ErrorKind::Constraint);
    assert_eq!(
        *run_on(&session, "SELECT count(*) FROM u")
            .await
            .ok()
            .scalar(),
        Value::Int(0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_bad_files_fails_clearly() {
    let (dir, path) = temp_db();
    let mut config = ConnectionConfig::sqlite(path.display().to_string());
    config.options.insert("mode".into(), "ro".into());
    let e = dbhive_drivers::registry()
        .driver(config.engine)
        .expect("driver")
        .connect(&config, None)
        .await
        .err()
        .expect("missing file");
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(
        e.message.contains("test db.sqlite"),
        "the path is named: {e}"
    );

    // A mistyped path is not silently a new, empty database.
    let config = ConnectionConfig::sqlite(path.display().to_string());
    let e = connect_err(&config, None).await;
    assert_eq!(
        e.code.as_deref(),
        Some(dbhive_drivers::sqlite::NO_SUCH_FILE),
        "{e:?}"
    );
    assert!(!path.exists(), "opening created the file");

    let text_file = dir.path().join("notes.db");
    std::fs::write(
        &text_file,
        "this is not a database, just some text that is long enough to matter",
    )
    .expect("write");
    let config = ConnectionConfig::sqlite(text_file.display().to_string());
    let e = dbhive_drivers::registry()
        .driver(config.engine)
        .expect("driver")
        .connect(&config, None)
        .await
        .err()
        .expect("not a db");
    assert_eq!(e.kind, ErrorKind::Connection);
    assert!(e.message.contains("not a database"), "{e}");
}

/// A database file may come from anyone: its schema is not trusted to call functions with
/// side effects, and SQL cannot corrupt the file on purpose.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_files_are_opened_defensively() {
    let (_dir, path) = temp_db();
    let conn = open(&path).await;
    let out = run(&conn, "PRAGMA trusted_schema").await.ok();
    assert_eq!(out.scalar(), &Value::Int(0));
    run(&conn, "CREATE TABLE t (a)").await.ok();
    let e = run(
        &conn,
        "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = 'garbage' WHERE name = 't'",
    )
    .await
    .err();
    assert!(e.message.contains("may not be modified"), "{e:?}");
    let out = run(&conn, "SELECT count(*) FROM t").await.ok();
    assert_eq!(out.scalar(), &Value::Int(0), "the table is intact");
}

/// sqlite3_interrupt() names a connection, not a statement: an interrupt asked for as a
/// statement ends must not stop the session's next one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_cancel_never_reaches_the_next_statement() {
    let (_dir, path) = temp_db();
    let conn = open(&path).await;
    let session = conn.open_session(None).await.expect("session");
    let count_to = |n: u64| {
        format!(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {n}) SELECT count(*) FROM c"
        )
    };
    let short = count_to(20_000);
    // Cancel from its start to twice its length, whatever this machine's speed: the
    // fastest of three runs.
    let mut took = Duration::MAX;
    for _ in 0..3 {
        let started = std::time::Instant::now();
        run_on(&session, &short).await.ok();
        took = took.min(started.elapsed());
    }
    assert_late_cancels_spare_the_next_statement(
        &session,
        &short,
        |i| took * i / 30,
        |_| (count_to(60_000), vec![vec![Value::Int(60_000)]]),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_interrupts_a_runaway_recursive_query() {
    let (_dir, path) = temp_db();
    let conn = open(&path).await;
    let session = conn.open_session(None).await.expect("session");
    let stream = session.clone().execute(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
            .into(),
        QueryOptions::default(),
    );
    let handle = stream.handle();
    let waiting = tokio::spawn(collect(stream));
    tokio::time::sleep(Duration::from_millis(300)).await;
    handle.cancel();
    // The query never ends by itself: only the cancel can end it.
    let out = within("the cancelled recursive query", waiting)
        .await
        .expect("collector");
    assert_eq!(out.error.map(|e| e.kind), Some(ErrorKind::Cancelled));
    assert_eq!(
        *run_on(&session, "SELECT 'after'").await.ok().scalar(),
        Value::Text("after".into())
    );

    // And a timeout does the same on its own.
    let out = collect(session.clone().execute(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c".into(),
        QueryOptions { timeout_ms: Some(200) },
    ))
    .await;
    assert_eq!(out.error.map(|e| e.kind), Some(ErrorKind::Timeout));
    assert_eq!(
        *run_on(&session, "SELECT 1").await.ok().scalar(),
        Value::Int(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_stream_while_the_query_runs() {
    let conn = connect(&ConnectionConfig::sqlite(":memory:"), None).await;
    let out = run(
        &conn,
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000)
         SELECT x, x * 2, 'row ' || x FROM c",
    )
    .await
    .ok();
    assert_eq!(out.results[0].rows.len(), 1_000_000);
    assert_eq!(out.results[0].rows[999_999][0], Value::Int(1_000_000));
    assert!(out.batches >= 10, "{} batches", out.batches);
    let first = out.first_row_at.expect("rows");
    assert!(
        first * 4 < out.done_at,
        "first rows at {first:?}, done at {:?}",
        out.done_at
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_megabyte_blob_round_trips() {
    let (_dir, path) = temp_db();
    let conn = open(&path).await;
    let out = run(
        &conn,
        "CREATE TABLE b(v BLOB); INSERT INTO b VALUES (zeroblob(50 * 1024 * 1024)); SELECT v, length(v) FROM b;",
    )
    .await
    .ok();
    match &out.results[2].rows[0][0] {
        Value::Bytes(b) => assert_eq!(b.len(), 50 * 1024 * 1024),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_databases_are_shared_and_attachments_are_listed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let other = dir.path().join("other.db");
    {
        let c = open(&other).await;
        run(
            &c,
            "CREATE TABLE archived(id INTEGER PRIMARY KEY, note TEXT)",
        )
        .await
        .ok();
    }
    let mut config = ConnectionConfig::sqlite(":memory:");
    config
        .options
        .insert("attach".into(), format!("arch={}", other.display()));
    let conn = connect(&config, None).await;
    let session = conn.open_session(None).await.expect("session");
    run_on(
        &session,
        "CREATE TABLE live(x); INSERT INTO live VALUES (1);",
    )
    .await
    .ok();
    // The metadata pool sees what the session created in the same in-memory database.
    let dbs = conn.list_children(&[]).await.expect("databases");
    let names: Vec<&str> = dbs.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["main", "arch"]);
    let tables = conn.tables(None, Some("main")).await.expect("tables");
    assert_eq!(
        tables.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["live"]
    );
    let archived = conn
        .describe_table(&TableRef::parse("arch.archived").expect("name"))
        .await
        .expect("attached table");
    assert_eq!(archived.columns.len(), 2);
    // A second session reads the same data.
    let second = conn.open_session(None).await.expect("second session");
    assert_eq!(
        *run_on(&second, "SELECT count(*) FROM live")
            .await
            .ok()
            .scalar(),
        Value::Int(1)
    );
    // ATTACH in a session works too, for that session.
    let third = tempfile::NamedTempFile::new().expect("file");
    run_on(
        &session,
        &format!(
            "ATTACH '{}' AS scratch; CREATE TABLE scratch.s(v);",
            third.path().display()
        ),
    )
    .await
    .ok();
    let listed = run_on(
        &session,
        "SELECT name FROM pragma_database_list ORDER BY seq",
    )
    .await
    .ok();
    assert_eq!(listed.results[0].rows.len(), 3);
}

const AWKWARD: &str = r#"
CREATE TABLE "select" (
  "id" INTEGER PRIMARY KEY,
  "Order" TEXT NOT NULL DEFAULT 'new',
  "ünïcödé" REAL CHECK ("ünïcödé" >= 0),
  "dots.in.name" TEXT UNIQUE,
  "x""y" INTEGER,
  twice INTEGER GENERATED ALWAYS AS ("x""y" * 2) STORED
);
CREATE TABLE "my table" (a INTEGER, b INTEGER, c TEXT, PRIMARY KEY (a, b));
CREATE TABLE "child.table" (
  id INTEGER PRIMARY KEY,
  sel_id INTEGER REFERENCES "select" ON DELETE CASCADE ON UPDATE SET NULL,
  a INTEGER, b INTEGER, note TEXT,
  FOREIGN KEY (a, b) REFERENCES "my table"(a, b) ON DELETE SET DEFAULT
);
CREATE UNIQUE INDEX "idx partial" ON "child.table"(note) WHERE note IS NOT NULL;
CREATE INDEX idx_expr ON "child.table"(lower(note), a DESC);
CREATE TRIGGER "before write" BEFORE INSERT ON "child.table" BEGIN SELECT 1; END;
CREATE VIEW "v: selected" AS SELECT id, "Order" FROM "select" WHERE id > 1;
INSERT INTO "select"("Order") VALUES ('a'), ('b');
ANALYZE;
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_with_awkward_names() {
    let (_dir, path) = temp_db();
    let conn = open(&path).await;
    run(&conn, AWKWARD).await.ok();

    let dbs = conn.list_children(&[]).await.expect("databases");
    assert_eq!(dbs.len(), 1);
    assert_eq!(dbs[0].name, "main");
    assert!(dbs[0].size_bytes.unwrap_or(0) > 0);
    let folders = conn.list_children(&dbs[0].path).await.expect("folders");
    assert_eq!(folders[0].count, Some(3));
    assert_eq!(folders[1].count, Some(1));
    let tables = conn.list_children(&folders[0].path).await.expect("tables");
    assert_eq!(
        tables.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(),
        ["child.table", "my table", "select"]
    );
    assert_eq!(tables[2].row_estimate, Some(2), "from sqlite_stat1");
    let columns = conn.list_children(&tables[2].path).await.expect("columns");
    let names: Vec<&str> = columns
        .iter()
        .filter(|n| n.kind == NodeKind::Column)
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["id", "Order", "ünïcödé", "dots.in.name", "x\"y", "twice"]
    );
    let table = tables[0]
        .table
        .clone()
        .expect("a table node knows its table");
    let preview = run(&conn, &conn.select_rows_sql(&table, 1)).await.ok();
    assert_eq!(preview.results[0].columns.len(), 5);
    let views = conn.list_children(&folders[1].path).await.expect("views");
    assert_eq!(views[0].kind, NodeKind::View);

    let child = conn.list_children(&tables[0].path).await.expect("child");
    let folder = |f: FolderKind| {
        child
            .iter()
            .find(|n| n.folder == Some(f))
            .expect("folder")
            .path
            .clone()
    };
    let indexes = conn
        .list_children(&folder(FolderKind::Indexes))
        .await
        .expect("indexes");
    assert_eq!(
        indexes.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(),
        ["idx partial", "idx_expr"]
    );
    assert_eq!(indexes[1].detail.as_deref(), Some("(<expression>, a)"));
    let triggers = conn
        .list_children(&folder(FolderKind::Triggers))
        .await
        .expect("triggers");
    assert_eq!(triggers[0].detail.as_deref(), Some("BEFORE INSERT"));

    let d = conn
        .describe_table(&TableRef::new(None, "child.table"))
        .await
        .expect("describe");
    assert_eq!(d.table.schema.as_deref(), Some("main"));
    assert_eq!(d.foreign_keys.len(), 2);
    let to_select = d
        .foreign_keys
        .iter()
        .find(|f| f.referenced_table == "select")
        .expect("fk");
    assert_eq!(
        to_select.referenced_columns,
        ["id"],
        "a bare REFERENCES points at the primary key"
    );
    assert_eq!(
        (to_select.on_update.as_str(), to_select.on_delete.as_str()),
        ("SET NULL", "CASCADE")
    );
    let composite = d
        .foreign_keys
        .iter()
        .find(|f| f.referenced_table == "my table")
        .expect("fk");
    assert_eq!(composite.columns, ["a", "b"]);
    let partial = d
        .indexes
        .iter()
        .find(|i| i.name == "idx partial")
        .expect("partial");
    assert!(partial.is_unique);
    assert_eq!(partial.predicate.as_deref(), Some("note IS NOT NULL"));

    let d = conn
        .describe_table(&TableRef::new(Some("main"), "select"))
        .await
        .expect("describe select");
    let col = |n: &str| d.columns.iter().find(|c| c.name == n).expect(n);
    assert!(col("id").is_primary_key && col("id").is_unique);
    assert_eq!(col("Order").default.as_deref(), Some("'new'"));
    assert!(!col("Order").nullable);
    assert!(col("dots.in.name").is_unique);
    assert_eq!(
        col("twice").extra.as_deref(),
        Some("GENERATED ALWAYS AS (...) STORED")
    );
    assert_eq!(d.referenced_by.len(), 1);
    let d = conn
        .describe_table(&TableRef::new(None, "my table"))
        .await
        .expect("pk2");
    assert_eq!(
        d.primary_key.map(|p| p.columns),
        Some(vec!["a".to_string(), "b".to_string()])
    );
    let v = conn
        .describe_table(&TableRef::new(None, "v: selected"))
        .await
        .expect("view");
    assert_eq!(v.table.kind, TableKind::View);

    let ddl = conn
        .ddl(&TableRef::new(None, "child.table"))
        .await
        .expect("ddl");
    assert!(ddl.starts_with("CREATE TABLE \"child.table\""), "{ddl}");
    assert!(ddl.contains("CREATE UNIQUE INDEX \"idx partial\""));
    assert!(ddl.contains("CREATE TRIGGER \"before write\""));

    let e = conn
        .describe_table(&TableRef::new(None, "nope"))
        .await
        .expect_err("missing");
    assert_eq!(e.kind, ErrorKind::NotFound);
}
