//! MariaDB connections and metadata against the real test server: connection failures,
//! TLS modes, the Unix socket, and the catalog of a database full of awkward names.

mod common;

use std::time::Duration;

use common::*;
use dbhive_core::{
    ConnectionConfig, Engine, ErrorKind, FolderKind, NodeKind, Secret, TableKind, TableRef, TlsMode,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_failures_say_what_happened_and_never_echo_the_password() {
    let (config, secret) = mysql_config();

    let e = connect_err(&config, Some(Secret::new("not-the-password-xyzzy"))).await;
    assert_eq!(
        (e.kind, e.code.as_deref()),
        (ErrorKind::Auth, Some("1045")),
        "{e:?}"
    );
    assert!(e.message.contains("Access denied"), "{e}");
    assert!(!format!("{e:?}").contains("xyzzy"));

    let e = connect_err(&config, None).await;
    assert_eq!(e.kind, ErrorKind::Auth, "{e:?}");
    assert!(
        e.hint
            .as_deref()
            .unwrap_or("")
            .contains("no password was given"),
        "{e:?}"
    );

    let mut refused = config.clone();
    refused.port = Some(1);
    let e = connect_err(&refused, None).await;
    assert_eq!(e.kind, ErrorKind::Connection);
    assert!(e.message.contains("connection refused"), "{e}");

    let mut unknown_db = config.clone();
    unknown_db.database = Some("no_such_database_here".into());
    let e = connect_err(&unknown_db, secret).await;
    assert_eq!(
        (e.kind, e.code.as_deref()),
        (ErrorKind::NotFound, Some("1049")),
        "{e:?}"
    );
}

/// The server greeting of a MySQL 5.7 that was built without TLS.
fn greeting_without_tls() -> Vec<u8> {
    let mut p = vec![10u8];
    p.extend_from_slice(b"5.7.0-no-tls\0");
    p.extend_from_slice(&7u32.to_le_bytes());
    p.extend_from_slice(b"abcdefgh\0");
    // Capabilities without CLIENT_SSL (0x0800), then charset, status, upper capabilities.
    p.extend_from_slice(&0xf7ffu16.to_le_bytes());
    p.push(33);
    p.extend_from_slice(&2u16.to_le_bytes());
    p.extend_from_slice(&0x0008u16.to_le_bytes());
    p.push(21);
    p.extend_from_slice(&[0; 10]);
    p.extend_from_slice(b"ijklmnopqrst\0");
    p.extend_from_slice(b"mysql_native_password\0");
    let mut packet = (p.len() as u32).to_le_bytes()[..3].to_vec();
    packet.push(0);
    packet.extend_from_slice(&p);
    packet
}

/// A TCP server that accepts and then says nothing, or greets like a server without TLS.
async fn fake_server(greet: bool) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        let mut held = Vec::new();
        while let Ok((mut socket, _)) = listener.accept().await {
            if greet {
                let _ = socket.write_all(&greeting_without_tls()).await;
            }
            held.push(socket);
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_times_out_and_one_without_tls_is_refused() {
    let mut config = ConnectionConfig::new(Engine::Mysql);
    config.host = Some("127.0.0.1".into());
    config.port = Some(fake_server(false).await);
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

    config.port = Some(fake_server(true).await);
    config.tls = TlsMode::Require;
    let e = connect_err(&config, None).await;
    assert_eq!(e.kind, ErrorKind::Tls, "{e:?}");
    assert!(e.message.contains("does not offer TLS"), "{e}");
}

/// The TLS cipher of the connection that ran the query, or "" without TLS.
async fn cipher(conn: &std::sync::Arc<dyn dbhive_core::Connection>) -> String {
    let out = run(conn, "SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        .await
        .ok();
    text(&out.results[0].rows[0][1])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_modes_against_a_self_signed_server() {
    let (base, secret) = mysql_config();
    let mut c = base.clone();
    c.tls = TlsMode::Require;
    assert!(
        cipher(&connect(&c, secret.clone()).await)
            .await
            .starts_with("TLS_")
    );

    c.tls = TlsMode::Disable;
    assert_eq!(cipher(&connect(&c, secret.clone()).await).await, "");

    c.tls = TlsMode::VerifyFull;
    c.host = Some("localhost".into());
    let e = connect_err(&c, secret.clone()).await;
    assert_eq!(
        e.kind,
        ErrorKind::Tls,
        "an untrusted certificate is refused: {e:?}"
    );

    c.tls_root_cert = Some(env("DBHIVE_TEST_MYSQL_CA").into());
    assert!(
        cipher(&connect(&c, secret.clone()).await)
            .await
            .starts_with("TLS_")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unix_socket_connections() {
    let socket = env("DBHIVE_TEST_MYSQL_SOCKET");
    let (mut c, secret) = mysql_config();
    c.host = Some(socket.clone());
    let conn = connect(&c, secret.clone()).await;
    let out = run(&conn, "SELECT USER()").await.ok();
    assert_eq!(
        text(out.scalar()),
        "dbhive@localhost",
        "a socket connection comes from localhost, not 127.0.0.1"
    );

    // The same through the URL's socket option.
    let (mut c, secret2) = mysql_config();
    c.host = Some("localhost".into());
    c.options.insert("socket".into(), socket);
    let conn = connect(&c, secret2).await;
    let out = run(&conn, "SELECT USER()").await.ok();
    assert_eq!(text(out.scalar()), "dbhive@localhost");
}

const DB: &str = "Awk `ward`.db ü";

const AWKWARD: &str = r#"
DROP DATABASE IF EXISTS `Awk ``ward``.db ü`;
CREATE DATABASE `Awk ``ward``.db ü` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
USE `Awk ``ward``.db ü`;
CREATE TABLE `select` (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `Order` VARCHAR(20) NOT NULL DEFAULT 'new' COMMENT 'state, it''s "quoted"',
  `ünïcödé` DECIMAL(10,2) CHECK (`ünïcödé` >= 0),
  `dots.in.name` VARCHAR(50) UNIQUE,
  `with space` INT,
  twice INT AS (`with space` * 2) STORED,
  plus_one INT AS (`with space` + 1) VIRTUAL,
  zf INT(5) UNSIGNED ZEROFILL,
  mood ENUM('happy','it''s sad') DEFAULT 'happy',
  flags SET('a','b','c'),
  latin VARCHAR(10) CHARACTER SET latin1 COLLATE latin1_swedish_ci,
  updated TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
) ENGINE=InnoDB COMMENT='a table named like a keyword';
CREATE TABLE `my table` (a INT, b INT, `x``y` TEXT, PRIMARY KEY (a, b)) ENGINE=InnoDB;
CREATE TABLE `child.table` (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  sel_id INT UNSIGNED,
  a INT, b INT,
  note VARCHAR(200),
  body TEXT,
  shape GEOMETRY NOT NULL,
  CONSTRAINT fk_sel FOREIGN KEY (sel_id) REFERENCES `select`(id) ON DELETE CASCADE ON UPDATE SET NULL,
  CONSTRAINT `fk two columns` FOREIGN KEY (a, b) REFERENCES `my table`(a, b) ON DELETE RESTRICT,
  INDEX `idx prefix` (note(10), a DESC),
  FULLTEXT INDEX ft_body (body),
  SPATIAL INDEX sp_shape (shape)
) ENGINE=InnoDB;
CREATE TABLE `log` (msg TEXT) ENGINE=MyISAM;
-- Counted and listed with the tables; a sequence has its own folder.
CREATE TABLE `versioned` (id INT PRIMARY KEY) WITH SYSTEM VERSIONING;
CREATE SEQUENCE `ticket numbers` COMMENT 'one per support ticket';
CREATE TRIGGER `before write` BEFORE INSERT ON `child.table` FOR EACH ROW SET NEW.note = COALESCE(NEW.note, 'x');
CREATE VIEW `v: selected` AS SELECT id, `Order` FROM `select` WHERE id > 1;
CREATE PROCEDURE `two results`(IN n INT, OUT total INT) COMMENT 'runs twice' BEGIN SELECT n; SET total = n; END;
CREATE FUNCTION add_one(x INT) RETURNS INT DETERMINISTIC RETURN x + 1;
INSERT INTO `select`(`Order`, `with space`) SELECT CONCAT('o', seq), seq FROM seq_1_to_500;
ANALYZE TABLE `select`;
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tree_and_describe_handle_awkward_names() {
    let conn = mysql().await;
    let session = conn.open_session(None).await.expect("session");
    run_on(&session, AWKWARD).await.ok();

    // Top level: databases, with sizes; the connection's own marked current.
    let dbs = conn.list_children(&[]).await.expect("databases");
    let awk = dbs
        .iter()
        .find(|n| n.name == DB)
        .expect("awkward database listed");
    assert_eq!(awk.kind, NodeKind::Database);
    assert!(awk.size_bytes.unwrap_or(0) > 0, "{awk:?}");
    let current = dbs
        .iter()
        .find(|n| n.name == "dbhive_test")
        .expect("test db");
    assert_eq!(current.detail.as_deref(), Some("current"));

    let folders = conn.list_children(&awk.path).await.expect("folders");
    let count = |f: FolderKind| {
        folders
            .iter()
            .find(|n| n.folder == Some(f))
            .and_then(|n| n.count)
    };
    assert_eq!(count(FolderKind::Tables), Some(5), "{folders:?}");
    assert_eq!(count(FolderKind::Views), Some(1));
    assert_eq!(count(FolderKind::Procedures), Some(1));
    assert_eq!(count(FolderKind::Functions), Some(1));
    assert_eq!(count(FolderKind::Sequences), Some(1));
    let folder = |f: FolderKind| {
        folders
            .iter()
            .find(|n| n.folder == Some(f))
            .expect("folder")
            .path
            .clone()
    };

    let tables = conn
        .list_children(&folder(FolderKind::Tables))
        .await
        .expect("tables");
    let names: Vec<&str> = tables.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(
        names,
        ["child.table", "log", "my table", "select", "versioned"]
    );
    let select = tables.iter().find(|n| n.name == "select").expect("select");
    let estimate = select.row_estimate.expect("row estimate");
    assert!(
        (400..=600).contains(&estimate),
        "InnoDB's estimate after ANALYZE: {estimate}"
    );
    assert_eq!(
        select.comment.as_deref(),
        Some("a table named like a keyword")
    );

    let procs = conn
        .list_children(&folder(FolderKind::Procedures))
        .await
        .expect("procedures");
    assert_eq!(procs.len(), 1);
    assert_eq!(procs[0].kind, NodeKind::Procedure);
    assert_eq!(procs[0].name, "two results(n int(11), OUT total int(11))");
    assert_eq!(procs[0].comment.as_deref(), Some("runs twice"));
    let funcs = conn
        .list_children(&folder(FolderKind::Functions))
        .await
        .expect("functions");
    assert_eq!(funcs[0].name, "add_one(x int(11))");
    assert_eq!(funcs[0].detail.as_deref(), Some("→ int(11)"));
    let seqs = conn
        .list_children(&folder(FolderKind::Sequences))
        .await
        .expect("sequences");
    assert_eq!(seqs.len(), 1);
    assert_eq!(seqs[0].kind, NodeKind::Sequence);
    assert_eq!(seqs[0].name, "ticket numbers");
    assert_eq!(seqs[0].comment.as_deref(), Some("one per support ticket"));
    let ddl = conn
        .ddl(seqs[0].table.as_ref().expect("the sequence's reference"))
        .await
        .expect("sequence ddl");
    assert!(ddl.starts_with("CREATE SEQUENCE `ticket numbers`"), "{ddl}");
    // Most databases have none, and get no empty folder.
    let plain = conn
        .list_children(&current.path)
        .await
        .expect("folders of the test db");
    assert!(
        plain
            .iter()
            .all(|n| n.folder != Some(FolderKind::Sequences)),
        "{plain:?}"
    );
    let views = conn
        .list_children(&folder(FolderKind::Views))
        .await
        .expect("views");
    assert_eq!(views[0].name, "v: selected");
    let view_columns = conn
        .list_children(&views[0].path)
        .await
        .expect("view columns");
    assert_eq!(
        view_columns
            .iter()
            .map(|n| n.name.as_str())
            .collect::<Vec<_>>(),
        ["id", "Order"],
        "a view has columns and no index folders"
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
            "twice",
            "plus_one",
            "zf",
            "mood",
            "flags",
            "latin",
            "updated"
        ]
    );
    assert_eq!(
        under[0].detail.as_deref(),
        Some("int(10) unsigned PK NOT NULL")
    );

    let child = tables
        .iter()
        .find(|n| n.name == "child.table")
        .expect("child");
    let parts = conn.list_children(&child.path).await.expect("child parts");
    let part = |f: FolderKind| {
        parts
            .iter()
            .find(|n| n.folder == Some(f))
            .expect("folder")
            .path
            .clone()
    };
    let indexes = conn
        .list_children(&part(FolderKind::Indexes))
        .await
        .expect("indexes");
    let shown: Vec<(&str, Option<&str>)> = indexes
        .iter()
        .map(|n| (n.name.as_str(), n.detail.as_deref()))
        .collect();
    assert_eq!(
        shown,
        [
            ("PRIMARY", Some("PRIMARY (id)")),
            ("fk two columns", Some("(a, b)")),
            ("fk_sel", Some("(sel_id)")),
            ("ft_body", Some("FULLTEXT (body)")),
            ("idx prefix", Some("(note(10), a DESC)")),
            ("sp_shape", Some("SPATIAL (shape)")),
        ]
    );
    let fks = conn
        .list_children(&part(FolderKind::ForeignKeys))
        .await
        .expect("fks");
    assert_eq!(fks.len(), 2);
    let triggers = conn
        .list_children(&part(FolderKind::Triggers))
        .await
        .expect("triggers");
    assert_eq!(triggers[0].name, "before write");
    assert_eq!(
        triggers[0].detail.as_deref(),
        Some("BEFORE INSERT FOR EACH ROW")
    );

    // describe: everything about one table.
    let d = conn
        .describe_table(&TableRef::new(Some(DB), "select"))
        .await
        .expect("describe");
    assert_eq!(d.table.kind, TableKind::Table);
    assert_eq!(d.table.engine.as_deref(), Some("InnoDB"));
    let col = |n: &str| d.columns.iter().find(|c| c.name == n).expect(n);
    assert_eq!(col("id").extra.as_deref(), Some("auto_increment"));
    assert!(col("id").is_primary_key && !col("id").nullable && col("id").is_unique);
    assert_eq!(col("Order").default.as_deref(), Some("'new'"));
    assert_eq!(
        col("Order").comment.as_deref(),
        Some("state, it's \"quoted\"")
    );
    assert_eq!(
        col("Order").extra.as_deref(),
        Some("CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    );
    assert_eq!(col("ünïcödé").data_type, "decimal(10,2)");
    assert_eq!(col("ünïcödé").default, None);
    assert!(col("dots.in.name").is_unique && !col("dots.in.name").is_primary_key);
    assert_eq!(
        col("twice").extra.as_deref(),
        Some("GENERATED ALWAYS AS (`with space` * 2) STORED")
    );
    assert_eq!(
        col("plus_one").extra.as_deref(),
        Some("GENERATED ALWAYS AS (`with space` + 1) VIRTUAL")
    );
    assert_eq!(col("zf").data_type, "int(5) unsigned zerofill");
    assert_eq!(col("mood").data_type, "enum('happy','it''s sad')");
    assert_eq!(col("flags").data_type, "set('a','b','c')");
    assert_eq!(
        col("latin").extra.as_deref(),
        Some("CHARACTER SET latin1 COLLATE latin1_swedish_ci")
    );
    assert_eq!(
        col("updated").default.as_deref(),
        Some("current_timestamp()")
    );
    assert_eq!(
        col("updated").extra.as_deref(),
        Some("on update current_timestamp()")
    );
    assert_eq!(
        d.primary_key.as_ref().map(|p| p.columns.clone()),
        Some(vec!["id".to_string()])
    );
    assert_eq!(d.referenced_by.len(), 1);
    assert_eq!(d.referenced_by[0].table, "child.table");

    let d = conn
        .describe_table(&TableRef::new(Some(DB), "child.table"))
        .await
        .expect("describe child");
    let fk = d
        .foreign_keys
        .iter()
        .find(|f| f.name == "fk two columns")
        .expect("composite fk");
    assert_eq!(fk.columns, ["a", "b"]);
    assert_eq!(fk.referenced_columns, ["a", "b"]);
    assert_eq!(fk.referenced_table, "my table");
    assert_eq!(fk.referenced_schema.as_deref(), Some(DB));
    assert_eq!(fk.on_delete, "RESTRICT");
    let fk = d
        .foreign_keys
        .iter()
        .find(|f| f.name == "fk_sel")
        .expect("fk_sel");
    assert_eq!(
        (fk.on_update.as_str(), fk.on_delete.as_str()),
        ("SET NULL", "CASCADE")
    );
    let index = |n: &str| d.indexes.iter().find(|i| i.name == n).expect(n);
    assert_eq!(
        index("idx prefix").definition.as_deref(),
        Some(
            "CREATE INDEX `idx prefix` ON `Awk ``ward``.db ü`.`child.table` (`note`(10), `a` DESC)"
        )
    );
    assert_eq!(index("ft_body").method.as_deref(), Some("FULLTEXT"));
    assert_eq!(index("sp_shape").method.as_deref(), Some("SPATIAL"));
    assert_eq!(d.triggers.len(), 1);
    assert_eq!(
        d.triggers[0].definition.as_deref(),
        Some("SET NEW.note = COALESCE(NEW.note, 'x')")
    );

    let d = conn
        .describe_table(&TableRef::new(Some(DB), "my table"))
        .await
        .expect("describe pk2");
    assert_eq!(
        d.primary_key.map(|p| p.columns),
        Some(vec!["a".to_string(), "b".to_string()])
    );
    assert!(d.columns.iter().any(|c| c.name == "x`y"));
    let d = conn
        .describe_table(&TableRef::new(Some(DB), "log"))
        .await
        .expect("describe a table without a key");
    assert_eq!(d.primary_key, None);
    assert_eq!(d.table.engine.as_deref(), Some("MyISAM"));

    // "Open data" on the table with the worst name.
    let table = select.table.clone().expect("a table node knows its table");
    assert_eq!(table.schema.as_deref(), Some(DB));
    let preview = run(&conn, &conn.select_rows_sql(&table, 7)).await.ok();
    assert_eq!(preview.results[0].rows.len(), 7);
    assert_eq!(preview.results[0].columns.len(), 12);

    let e = conn
        .describe_table(&TableRef::new(Some(DB), "nope"))
        .await
        .expect_err("missing table");
    assert_eq!(e.kind, ErrorKind::NotFound);
    let e = conn
        .list_children(&[DB.to_string(), "tables".into(), "nope".into()])
        .await
        .expect_err("missing table in the tree");
    assert_eq!(e.kind, ErrorKind::NotFound);

    let parsed = TableRef::parse(r#""Awk `ward`.db ü"."v: selected""#).expect("parse");
    let d = conn.describe_table(&parsed).await.expect("view");
    assert_eq!(d.table.kind, TableKind::View);
    let ddl = conn.ddl(&parsed).await.expect("view ddl");
    assert!(
        ddl.contains(" VIEW `Awk ``ward``.db ü`.`v: selected` AS select "),
        "{ddl}"
    );

    // Another database than the connection's, by name.
    let tables = conn
        .tables(Some(DB), None)
        .await
        .expect("tables of another db");
    // Everything a FROM clause can name, for completion: the sequence too.
    assert_eq!(tables.len(), 7, "five tables, a view and a sequence");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ddl_recreates_an_identical_table() {
    let conn = mysql().await;
    let setup = conn.open_session(None).await.expect("session");
    run_on(
        &setup,
        r#"
        DROP DATABASE IF EXISTS `ddl test`;
        CREATE DATABASE `ddl test`;
        USE `ddl test`;
        CREATE TABLE parent (id INT PRIMARY KEY) ENGINE=InnoDB;
        CREATE TABLE `Odd ``Name``` (
          id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
          parent_id INT,
          label VARCHAR(20) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL DEFAULT 'x' COMMENT 'the label',
          price DECIMAL(8,2) CHECK (price > 0),
          doubled DECIMAL(10,2) AS (price * 2) PERSISTENT,
          kind ENUM('a','b') NOT NULL DEFAULT 'a',
          touched DATETIME(3) ON UPDATE CURRENT_TIMESTAMP(3),
          UNIQUE KEY label_parent (label, parent_id),
          KEY `lbl idx` (label(5)),
          CONSTRAINT to_parent FOREIGN KEY (parent_id) REFERENCES parent(id) ON DELETE CASCADE
        ) ENGINE=InnoDB ROW_FORMAT=DYNAMIC COMMENT='it''s odd';
        CREATE TRIGGER t_stamp BEFORE UPDATE ON `Odd ``Name``` FOR EACH ROW SET NEW.label = UPPER(NEW.label);
        "#,
    )
    .await
    .ok();
    let table = TableRef::new(Some("ddl test"), "Odd `Name`");
    let before = conn.describe_table(&table).await.expect("describe");
    let ddl = conn.ddl(&table).await.expect("ddl");
    assert!(ddl.starts_with("CREATE TABLE `Odd ``Name``` (\n"), "{ddl}");
    assert!(ddl.contains("COMMENT='it''s odd'"), "{ddl}");
    assert!(ddl.contains("TRIGGER t_stamp BEFORE UPDATE"), "{ddl}");

    // SHOW CREATE names the table without its database: run it in that database.
    let session = conn
        .open_session(Some("ddl test"))
        .await
        .expect("session in db");
    run_on(&session, "DROP TABLE `Odd ``Name```").await.ok();
    run_on(&session, &ddl).await.ok();
    let after = conn.describe_table(&table).await.expect("describe again");
    assert_eq!(before.columns, after.columns);
    assert_eq!(before.primary_key, after.primary_key);
    assert_eq!(before.indexes, after.indexes);
    assert_eq!(before.foreign_keys, after.foreign_keys);
    assert_eq!(before.triggers, after.triggers);
    assert_eq!(before.table.comment, after.table.comment);
    assert_eq!(
        conn.ddl(&table).await.expect("ddl again"),
        ddl,
        "DDL is stable"
    );

    let view = conn
        .ddl(&TableRef::new(Some("information_schema"), "TABLES"))
        .await;
    // information_schema's tables are system views that SHOW CREATE TABLE describes.
    assert!(
        view.expect("system view ddl")
            .contains("CREATE TEMPORARY TABLE `TABLES`")
    );
}

/// MariaDB opens every table to report its row count and size, which took 5.5 s for 20,000
/// tables. Past 2,000 tables in one database, the tree lists them without those (and the
/// database without a size); other databases keep theirs. MEMORY tables, because 2,001
/// InnoDB tables took over a minute to create while the other tests ran.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_tables_in_one_database_are_listed_without_per_table_stats() {
    let conn = mysql().await;
    run(
        &conn,
        "CREATE DATABASE IF NOT EXISTS many_tables;
         CREATE OR REPLACE PROCEDURE many_tables.make(n INT)
         BEGIN
           DECLARE i INT DEFAULT 1;
           WHILE i <= n DO
             EXECUTE IMMEDIATE CONCAT('CREATE TABLE IF NOT EXISTS many_tables.t', i, ' (id INT PRIMARY KEY) ENGINE=MEMORY');
             SET i = i + 1;
           END WHILE;
         END;
         CALL many_tables.make(2001);",
    )
    .await
    .ok();

    let dbs = conn.list_children(&[]).await.expect("databases");
    let many = dbs
        .iter()
        .find(|n| n.name == "many_tables")
        .expect("listed");
    assert_eq!(many.size_bytes, None, "{many:?}");
    let small = dbs
        .iter()
        .find(|n| n.name == "mysql")
        .expect("mysql listed");
    assert!(small.size_bytes.unwrap_or(0) > 0, "{small:?}");

    let folders = conn.list_children(&many.path).await.expect("folders");
    let tables_folder = folders
        .iter()
        .find(|n| n.folder == Some(FolderKind::Tables))
        .expect("tables folder");
    assert_eq!(tables_folder.count, Some(2001));
    let tables = conn
        .list_children(&tables_folder.path)
        .await
        .expect("tables");
    assert_eq!(tables.len(), 2001);
    assert!(tables.iter().any(|t| t.name == "t2001"));
    assert!(
        tables
            .iter()
            .all(|t| t.row_estimate.is_none() && t.size_bytes.is_none()),
        "no per-table stats past the limit"
    );
}
