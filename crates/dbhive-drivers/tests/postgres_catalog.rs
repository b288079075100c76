//! PostgreSQL connections and metadata against the real test server: connection failures,
//! TLS modes, and the catalog on a schema full of awkward names.

mod common;

use std::time::Duration;

use common::*;
use dbhive_core::{
    ConnectionConfig, ErrorKind, FolderKind, NodeKind, Secret, TableKind, TableRef, TlsMode, Value,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_failures_say_what_happened_and_never_echo_the_password() {
    let (config, _) = pg_config();

    let e = connect_err(&config, Some(Secret::new("not-the-password-xyzzy"))).await;
    assert_eq!(e.kind, ErrorKind::Auth, "{e:?}");
    assert!(e.message.contains("password authentication failed"), "{e}");
    assert!(!format!("{e:?}").contains("xyzzy"));

    let e = connect_err(&config, None).await;
    assert_eq!(e.kind, ErrorKind::Auth);
    assert!(e.message.contains("none was given"), "{e}");

    let mut refused = config.clone();
    refused.port = Some(1);
    let e = connect_err(&refused, None).await;
    assert_eq!(e.kind, ErrorKind::Connection);
    assert!(e.message.contains("connection refused"), "{e}");

    let (_, secret) = pg_config();
    let mut unknown_db = config.clone();
    unknown_db.database = Some("no_such_database_here".into());
    let e = connect_err(&unknown_db, secret).await;
    assert_eq!(
        (e.kind, e.code.as_deref()),
        (ErrorKind::NotFound, Some("3D000"))
    );
}

/// A TCP server that accepts and then says nothing (or answers the TLS request with 'N').
async fn silent_server(answer_tls_with_no: bool) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut held = Vec::new();
        while let Ok((mut socket, _)) = listener.accept().await {
            if answer_tls_with_no {
                let mut request = [0u8; 8];
                let _ = socket.read_exact(&mut request).await;
                let _ = socket.write_all(b"N").await;
            }
            held.push(socket);
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_times_out_and_one_without_tls_is_refused() {
    let mut config = ConnectionConfig::new(dbhive_core::Engine::Postgres);
    config.host = Some("127.0.0.1".into());
    config.port = Some(silent_server(false).await);
    config.connect_timeout_secs = 1;
    let started = std::time::Instant::now();
    let e = connect_err(&config, None).await;
    assert_eq!(e.kind, ErrorKind::Timeout, "{e:?}");
    // Well under the 10 s default: the 1 s setting was the one applied.
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "gave up after {:?}",
        started.elapsed()
    );

    config.port = Some(silent_server(true).await);
    config.tls = TlsMode::Require;
    let e = connect_err(&config, None).await;
    assert_eq!(e.kind, ErrorKind::Tls, "{e:?}");
    assert!(e.message.contains("does not offer TLS"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_modes_against_a_self_signed_server() {
    let (base, secret) = pg_config();
    let uses_tls = |c: std::sync::Arc<dyn dbhive_core::Connection>| async move {
        let out = run(
            &c,
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        )
        .await
        .ok();
        out.scalar().clone()
    };
    let mut c = base.clone();
    c.tls = TlsMode::Require;
    assert_eq!(
        uses_tls(connect(&c, secret.clone()).await).await,
        Value::Bool(true)
    );

    c.tls = TlsMode::Disable;
    assert_eq!(
        uses_tls(connect(&c, secret.clone()).await).await,
        Value::Bool(false)
    );

    c.tls = TlsMode::VerifyFull;
    c.host = Some("localhost".into());
    let e = connect_err(&c, secret.clone()).await;
    assert_eq!(
        e.kind,
        ErrorKind::Tls,
        "an untrusted certificate is refused: {e:?}"
    );

    let ca = std::env::var("DBHIVE_TEST_PG_CA")
        .expect("DBHIVE_TEST_PG_CA is set by scripts/pg-server.sh");
    c.tls_root_cert = Some(ca.into());
    assert_eq!(
        uses_tls(connect(&c, secret.clone()).await).await,
        Value::Bool(true)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unix_socket_connections() {
    let dir = std::env::var("DBHIVE_TEST_PG_SOCKET_DIR")
        .expect("DBHIVE_TEST_PG_SOCKET_DIR is set by scripts/pg-server.sh");
    let (mut c, _) = pg_config();
    c.host = Some(dir);
    let conn = connect(&c, None).await;
    let out = run(&conn, "SELECT inet_client_addr() IS NULL").await.ok();
    assert_eq!(
        *out.scalar(),
        Value::Bool(true),
        "a socket connection has no client address"
    );
}

const AWKWARD: &str = r#"
DROP SCHEMA IF EXISTS "Awk ""ward"".sch" CASCADE;
CREATE SCHEMA "Awk ""ward"".sch";
COMMENT ON SCHEMA "Awk ""ward"".sch" IS 'names that need quoting';
SET search_path = "Awk ""ward"".sch";
CREATE TABLE "select" (
  "id" int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "Order" text NOT NULL DEFAULT 'new',
  "ünïcödé" numeric(10,2) CHECK ("ünïcödé" >= 0),
  "dots.in.name" text UNIQUE,
  "with space" int,
  "twice" int GENERATED ALWAYS AS ("with space" * 2) STORED
);
COMMENT ON TABLE "select" IS 'a table named like a keyword';
COMMENT ON COLUMN "select"."Order" IS 'state, it''s "quoted"';
CREATE TABLE "my table" (
  a int, b int, "x""y" text,
  PRIMARY KEY (a, b)
);
CREATE TABLE "child.table" (
  id bigserial PRIMARY KEY,
  sel_id int REFERENCES "select"(id) ON DELETE CASCADE ON UPDATE SET NULL,
  a int, b int,
  note text,
  CONSTRAINT "fk two columns" FOREIGN KEY (a, b) REFERENCES "my table"(a, b) ON DELETE SET DEFAULT
);
CREATE UNIQUE INDEX "idx partial" ON "child.table" (note) WHERE note IS NOT NULL;
CREATE INDEX idx_expr ON "child.table" (lower(note), a DESC) INCLUDE (b);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.note := coalesce(NEW.note, 'x'); RETURN NEW; END $$;
CREATE TRIGGER "before write" BEFORE INSERT OR UPDATE ON "child.table" FOR EACH ROW EXECUTE FUNCTION touch();
CREATE VIEW "v: selected" AS SELECT id, "Order" FROM "select" WHERE id > 1;
CREATE MATERIALIZED VIEW mv AS SELECT count(*) AS n FROM "select";
CREATE TABLE measurements (at date NOT NULL, v int) PARTITION BY RANGE (at);
CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE SEQUENCE "odd seq";
CREATE PROCEDURE noop(x int) LANGUAGE sql AS $$ SELECT 1 $$;
INSERT INTO "select"("Order", "with space") SELECT 'o' || g, g FROM generate_series(1, 500) g;
ANALYZE "select";
"#;

const SCHEMA: &str = "Awk \"ward\".sch";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tree_and_describe_handle_awkward_names() {
    let conn = pg().await;
    run(&conn, AWKWARD).await.ok();
    let db = match run(&conn, "SELECT current_database()").await.ok().scalar() {
        Value::Text(s) => s.clone(),
        other => panic!("{other:?}"),
    };

    // Top level: databases, with the current one marked.
    let dbs = conn.list_children(&[]).await.expect("databases");
    let here = dbs
        .iter()
        .find(|n| n.name == db)
        .expect("current database listed");
    assert_eq!(here.kind, NodeKind::Database);
    assert!(here.size_bytes.unwrap_or(0) > 0);

    let schemas = conn.list_children(&here.path).await.expect("schemas");
    let schema = schemas
        .iter()
        .find(|n| n.name == SCHEMA)
        .expect("awkward schema listed");
    assert_eq!(schema.comment.as_deref(), Some("names that need quoting"));
    assert!(
        schemas
            .iter()
            .any(|n| n.name == "pg_catalog" && n.detail.as_deref() == Some("system"))
    );

    let folders = conn.list_children(&schema.path).await.expect("folders");
    let count = |f: FolderKind| {
        folders
            .iter()
            .find(|n| n.folder == Some(f))
            .and_then(|n| n.count)
    };
    assert_eq!(count(FolderKind::Tables), Some(5), "{folders:?}");
    assert_eq!(count(FolderKind::Views), Some(1));
    assert_eq!(count(FolderKind::MaterializedViews), Some(1));
    assert_eq!(
        count(FolderKind::Sequences),
        Some(3),
        "the identity, the bigserial and the explicit one"
    );
    assert_eq!(count(FolderKind::Functions), Some(1));
    assert_eq!(count(FolderKind::Procedures), Some(1));
    let sequences_folder = folders
        .iter()
        .find(|n| n.folder == Some(FolderKind::Sequences))
        .expect("sequences");
    let sequences = conn
        .list_children(&sequences_folder.path)
        .await
        .expect("sequences");
    assert!(sequences.iter().all(|n| n.kind == NodeKind::Sequence));
    let ddl = conn
        .ddl(sequences[0].table.as_ref().expect("a sequence's reference"))
        .await
        .expect("sequence ddl from its node");
    assert!(ddl.starts_with("CREATE SEQUENCE "), "{ddl}");

    let tables_folder = folders
        .iter()
        .find(|n| n.folder == Some(FolderKind::Tables))
        .expect("tables");
    let tables = conn
        .list_children(&tables_folder.path)
        .await
        .expect("tables");
    let names: Vec<&str> = tables.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "child.table",
            "measurements",
            "measurements_2024",
            "my table",
            "select"
        ]
    );
    let select = tables.iter().find(|n| n.name == "select").expect("select");
    assert_eq!(select.row_estimate, Some(500));
    assert_eq!(
        select.comment.as_deref(),
        Some("a table named like a keyword")
    );
    assert_eq!(
        tables
            .iter()
            .find(|n| n.name == "measurements")
            .and_then(|n| n.detail.as_deref()),
        Some("partitioned")
    );

    let under = conn.list_children(&select.path).await.expect("columns");
    let columns: Vec<&str> = under
        .iter()
        .filter(|n| n.kind == NodeKind::Column)
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(
        columns,
        [
            "id",
            "Order",
            "ünïcödé",
            "dots.in.name",
            "with space",
            "twice"
        ]
    );
    assert_eq!(under[0].detail.as_deref(), Some("integer PK NOT NULL"));

    let child = tables
        .iter()
        .find(|n| n.name == "child.table")
        .expect("child");
    let parts = conn.list_children(&child.path).await.expect("child parts");
    let folder_path = |f: FolderKind| {
        parts
            .iter()
            .find(|n| n.folder == Some(f))
            .expect("folder")
            .path
            .clone()
    };
    let indexes = conn
        .list_children(&folder_path(FolderKind::Indexes))
        .await
        .expect("indexes");
    assert_eq!(
        indexes.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(),
        ["child.table_pkey", "idx partial", "idx_expr"]
    );
    assert_eq!(indexes[2].detail.as_deref(), Some("(lower(note), a DESC)"));
    let fks = conn
        .list_children(&folder_path(FolderKind::ForeignKeys))
        .await
        .expect("fks");
    assert_eq!(fks.len(), 2);
    let triggers = conn
        .list_children(&folder_path(FolderKind::Triggers))
        .await
        .expect("triggers");
    assert_eq!(triggers[0].name, "before write");
    assert_eq!(
        triggers[0].detail.as_deref(),
        Some("BEFORE INSERT OR UPDATE FOR EACH ROW")
    );

    // describe: everything about one table.
    let d = conn
        .describe_table(&TableRef::new(Some(SCHEMA), "select"))
        .await
        .expect("describe");
    assert_eq!(d.table.kind, TableKind::Table);
    let col = |n: &str| d.columns.iter().find(|c| c.name == n).expect(n);
    assert_eq!(
        col("id").extra.as_deref(),
        Some("GENERATED ALWAYS AS IDENTITY")
    );
    assert!(col("id").is_primary_key && !col("id").nullable);
    assert_eq!(col("Order").default.as_deref(), Some("'new'::text"));
    assert_eq!(
        col("Order").comment.as_deref(),
        Some("state, it's \"quoted\"")
    );
    assert_eq!(col("ünïcödé").data_type, "numeric(10,2)");
    assert!(col("dots.in.name").is_unique);
    assert_eq!(
        col("twice").extra.as_deref(),
        Some("GENERATED ALWAYS AS ((\"with space\" * 2)) STORED")
    );
    assert_eq!(
        d.primary_key.as_ref().map(|p| p.columns.clone()),
        Some(vec!["id".to_string()])
    );
    assert_eq!(d.referenced_by.len(), 1);
    assert_eq!(d.referenced_by[0].table, "child.table");

    let d = conn
        .describe_table(&TableRef::new(Some(SCHEMA), "child.table"))
        .await
        .expect("describe child");
    let fk = d
        .foreign_keys
        .iter()
        .find(|f| f.name == "fk two columns")
        .expect("composite fk");
    assert_eq!(fk.columns, ["a", "b"]);
    assert_eq!(fk.referenced_table, "my table");
    assert_eq!(fk.on_delete, "SET DEFAULT");
    let fk = d
        .foreign_keys
        .iter()
        .find(|f| f.referenced_table == "select")
        .expect("fk to select");
    assert_eq!(
        (fk.on_update.as_str(), fk.on_delete.as_str()),
        ("SET NULL", "CASCADE")
    );
    let partial = d
        .indexes
        .iter()
        .find(|i| i.name == "idx partial")
        .expect("partial");
    assert!(partial.is_unique);
    assert_eq!(partial.predicate.as_deref(), Some("note IS NOT NULL"));

    let d = conn
        .describe_table(&TableRef::new(Some(SCHEMA), "my table"))
        .await
        .expect("describe pk2");
    assert_eq!(
        d.primary_key.map(|p| p.columns),
        Some(vec!["a".to_string(), "b".to_string()])
    );
    assert!(d.columns.iter().any(|c| c.name == "x\"y"));

    // "Open data" on the table with the worst name.
    let table = select.table.clone().expect("a table node knows its table");
    assert_eq!(table.schema.as_deref(), Some(SCHEMA));
    let preview = run(&conn, &conn.select_rows_sql(&table, 7)).await.ok();
    assert_eq!(preview.results[0].rows.len(), 7);

    let e = conn
        .describe_table(&TableRef::new(Some(SCHEMA), "nope"))
        .await
        .expect_err("missing table");
    assert_eq!(e.kind, ErrorKind::NotFound);

    let parsed = TableRef::parse(r#""Awk ""ward"".sch"."v: selected""#).expect("parse");
    let d = conn.describe_table(&parsed).await.expect("view");
    assert_eq!(d.table.kind, TableKind::View);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ddl_recreates_an_identical_table() {
    let conn = pg().await;
    run(
        &conn,
        r#"
        DROP SCHEMA IF EXISTS "ddl test" CASCADE;
        CREATE SCHEMA "ddl test";
        SET search_path = "ddl test";
        CREATE TABLE parent (id int PRIMARY KEY);
        CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE UNLOGGED TABLE "Odd ""Name""" (
          id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
          parent_id int REFERENCES parent(id) ON DELETE CASCADE,
          label varchar(20) COLLATE "C" NOT NULL DEFAULT 'x',
          price numeric(8,2) CHECK (price > 0),
          doubled numeric GENERATED ALWAYS AS (price * 2) STORED,
          tags text[] DEFAULT '{}',
          UNIQUE (label, parent_id)
        ) WITH (fillfactor = 80);
        CREATE INDEX "lbl idx" ON "Odd ""Name""" (lower(label)) WHERE price IS NOT NULL;
        CREATE TRIGGER t_stamp BEFORE UPDATE ON "Odd ""Name""" FOR EACH ROW EXECUTE FUNCTION stamp();
        COMMENT ON TABLE "Odd ""Name""" IS 'it''s odd';
        COMMENT ON COLUMN "Odd ""Name""".label IS 'the label';
        "#,
    )
    .await
    .ok();
    let table = TableRef::new(Some("ddl test"), "Odd \"Name\"");
    let before = conn.describe_table(&table).await.expect("describe");
    let ddl = conn.ddl(&table).await.expect("ddl");
    assert!(
        ddl.starts_with("CREATE UNLOGGED TABLE \"ddl test\".\"Odd \"\"Name\"\"\" ("),
        "{ddl}"
    );
    assert!(ddl.contains("WITH (fillfactor=80)"), "{ddl}");
    assert!(
        ddl.contains("COMMENT ON TABLE \"ddl test\".\"Odd \"\"Name\"\"\" IS 'it''s odd';"),
        "{ddl}"
    );

    run(&conn, "DROP TABLE \"ddl test\".\"Odd \"\"Name\"\"\"")
        .await
        .ok();
    run(&conn, &ddl).await.ok();
    let after = conn.describe_table(&table).await.expect("describe again");
    assert_eq!(before.columns, after.columns);
    assert_eq!(before.primary_key, after.primary_key);
    let defs = |d: &dbhive_core::TableDescription| -> Vec<Option<String>> {
        d.indexes.iter().map(|i| i.definition.clone()).collect()
    };
    assert_eq!(defs(&before), defs(&after));
    assert_eq!(before.foreign_keys, after.foreign_keys);
    assert_eq!(before.triggers, after.triggers);
    assert_eq!(before.table.comment, after.table.comment);
    assert_eq!(
        conn.ddl(&table).await.expect("ddl again"),
        ddl,
        "DDL is stable"
    );

    // Sequences: their definition, comment and owning column, not their state columns.
    run(
        &conn,
        r#"
        CREATE SEQUENCE "ddl test"."Ticket ""no""" AS integer START 100 INCREMENT 5
          MINVALUE 10 MAXVALUE 100000 CACHE 3 CYCLE;
        COMMENT ON SEQUENCE "ddl test"."Ticket ""no""" IS 'one per ticket';
        CREATE SEQUENCE "ddl test".parent_ids OWNED BY "ddl test".parent.id;
        "#,
    )
    .await
    .ok();
    let state = |seq: &str| {
        format!(
            "SELECT (s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
                     s.seqcycle, obj_description(s.seqrelid, 'pg_class'),
                     (SELECT d.refobjid::regclass || '.' || d.refobjsubid FROM pg_depend d
                       WHERE d.objid = s.seqrelid AND d.deptype = 'a'))::text
               FROM pg_sequence s WHERE s.seqrelid = '{seq}'::regclass"
        )
    };
    for (seq, bare) in [
        (r#""ddl test"."Ticket ""no""""#, r#"Ticket "no""#),
        (r#""ddl test".parent_ids"#, "parent_ids"),
    ] {
        let before = run(&conn, &state(seq)).await.ok().scalar().clone();
        let seq_ref = TableRef::new(Some("ddl test"), bare);
        let ddl = conn.ddl(&seq_ref).await.expect("sequence ddl");
        assert!(
            ddl.starts_with(&format!("CREATE SEQUENCE {seq}\n")),
            "{ddl}"
        );
        assert!(!ddl.contains("last_value"), "{ddl}");
        run(&conn, &format!("DROP SEQUENCE {seq}")).await.ok();
        run(&conn, &ddl).await.ok();
        let after = run(&conn, &state(seq)).await.ok().scalar().clone();
        assert_ne!(before, Value::Null);
        assert_eq!(before, after, "{ddl}");
    }

    let view = conn
        .ddl(&TableRef::new(Some("pg_catalog"), "pg_tables"))
        .await
        .expect("view ddl");
    assert!(
        view.starts_with("CREATE OR REPLACE VIEW pg_catalog.pg_tables AS\n"),
        "{view}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_databases_are_browsed_through_their_own_pool() {
    let conn = pg().await;
    let exists = run(
        &conn,
        "SELECT count(*) FROM pg_database WHERE datname = 'db with space'",
    )
    .await
    .ok();
    if *exists.scalar() == Value::Int(0) {
        // CREATE DATABASE may race with another run of this test; "already exists" is fine.
        let out = run(&conn, "CREATE DATABASE \"db with space\"").await;
        if let Some(e) = out.error {
            assert_eq!(e.code.as_deref(), Some("42P04"), "{e:?}");
        }
    }
    let schemas = conn
        .list_children(&["db with space".to_string()])
        .await
        .expect("schemas of another db");
    assert!(schemas.iter().any(|n| n.name == "public"));
    let tables = conn
        .tables(Some("db with space"), Some("information_schema"))
        .await
        .expect("tables of another db");
    assert!(
        tables
            .iter()
            .any(|t| t.name == "tables" && t.kind == TableKind::View)
    );
}
