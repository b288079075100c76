//! The table-edit scenarios every engine runs (tests/edit_commit.rs, tests/mssql_edit.rs):
//! every fixture type written back unchanged through the plan's literals, NULL apart from
//! '', a composite key, a keyless table (by row id where the engine has one, else
//! read-only), a concurrent edit (a conflict, everything rolled back), and a failing
//! statement in the middle of a commit (everything rolled back).

// Each test binary uses the fixtures of its own engines.
#![allow(dead_code)]

use std::sync::Arc;

use crate::common::*;
use dbhive_core::edit::{self, Change, EditTable, NewValue, RowKey};
use dbhive_core::{Connection, ConnectionConfig, Engine, Session, TableRef, Value};

/// One engine's fixture: its connection, the schema (or database) its tables live in, and
/// the DDL of a table with every type the edit must write back.
pub struct Fixture {
    pub conn: Arc<dyn Connection>,
    pub engine: Engine,
    schema: Option<String>,
    database: Option<String>,
    types_ddl: &'static str,
    types_rows: &'static str,
}

impl Fixture {
    fn table(&self, name: &str) -> TableRef {
        TableRef {
            database: self.database.clone(),
            schema: self.schema.clone(),
            name: name.into(),
        }
    }

    fn name(&self, name: &str) -> String {
        edit::qualified(self.engine, &self.table(name))
    }

    pub async fn session(&self) -> Arc<dyn Session> {
        within(
            "a session",
            self.conn.open_session(self.database.as_deref()),
        )
        .await
        .expect("session")
    }

    async fn exec(&self, sql: &str) {
        let s = self.session().await;
        for statement in sql.split(";\n").filter(|s| !s.trim().is_empty()) {
            run_on(&s, statement).await.ok();
        }
    }

    async fn rows(&self, sql: &str) -> (Vec<String>, Vec<Vec<Value>>) {
        let out = run(&self.conn, sql).await.ok();
        let set = out.results.into_iter().next().expect("a result");
        (set.columns.into_iter().map(|c| c.name).collect(), set.rows)
    }

    async fn edit_table(&self, name: &str) -> EditTable {
        let d = self
            .conn
            .describe_table(&self.table(name))
            .await
            .expect("describe");
        EditTable::new(self.engine, &d, self.database.clone())
    }

    async fn commit(&self, table: &EditTable, changes: &[Change]) -> edit::CommitReport {
        let plan = edit::plan(table, changes, self.conn.text_style()).expect("plan");
        edit::commit(self.session().await, self.engine, &plan)
            .await
            .expect("commit")
    }
}

fn seen_row(columns: &[String], row: &[Value]) -> Vec<(String, Value)> {
    columns.iter().cloned().zip(row.iter().cloned()).collect()
}

pub async fn pg_fixture() -> Fixture {
    Fixture {
        conn: pg().await,
        engine: Engine::Postgres,
        schema: Some("edit_t".into()),
        database: None,
        types_ddl: "DROP SCHEMA IF EXISTS edit_t CASCADE;\nCREATE SCHEMA edit_t;\nCREATE TYPE edit_t.mood AS ENUM ('sad', 'ok', 'happy');\nCREATE TABLE edit_t.types (id int PRIMARY KEY, n numeric(40,20), f8 float8, f4 real, ts timestamptz, tsn timestamp(3), d date, iv interval, b bytea, j json, jb jsonb, arr int[], tarr text[], tx text, flag bool, u uuid, m edit_t.mood, bits bit varying(8), pt point)",
        types_rows: "INSERT INTO edit_t.types VALUES (1, 12345678901234567890.12345678901234567890, 0.1, 1.1, '2024-02-29 23:59:59.999999+05:30', '1999-12-31 23:59:59.123', '0001-01-01', '1 year 2 mons 3 days 04:05:06.789', '\\x00ff10', '{\"b\": [1, 2],  \"a\": null}', '{\"b\": [1, 2]}', '{1,NULL,3}', '{\"a b\",\"\",NULL,\"q\\\"\"}', E'line\\nbreak ''quote'' \\\\ back', true, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'happy', B'1010', '(1.5,-2)'), (2, NULL, 'NaN', '-Infinity', NULL, NULL, NULL, NULL, '', NULL, NULL, '{}', NULL, '', false, NULL, NULL, NULL, NULL)",
    }
}

pub async fn mysql_fixture() -> Fixture {
    let conn = mysql().await;
    let db = conn
        .config()
        .database
        .clone()
        .expect("the test URL names a database");
    Fixture {
        conn,
        engine: Engine::Mysql,
        schema: None,
        database: Some(db),
        types_ddl: "DROP TABLE IF EXISTS edit_types;\nCREATE TABLE edit_types (id int PRIMARY KEY, n decimal(40,20), dbl double, f float, dt datetime(6), ts timestamp(3) NULL, d date, tm time(6), b blob, vb varbinary(20), j json, s set('a','b','c'), e enum('x','y'), bt bit(5), tx text, vc varchar(40), y year, u bigint unsigned)",
        types_rows: "INSERT INTO edit_types VALUES (1, 12345678901234567890.12345678901234567890, 0.1, 1.1, '2024-02-29 23:59:59.999999', '2020-01-01 00:00:00.123', '1000-01-01', '-838:59:59.000000', X'00ff10', X'5c27', '{\"b\": [1, 2],  \"a\": null}', 'a,c', 'y', b'10101', 'line\\nbreak ''quote'' \\\\ back', 'Ünïcödé 😀', 2024, 18446744073709551615), (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '', NULL, NULL, '', NULL, NULL, '', NULL, NULL, NULL)",
    }
}

pub async fn sqlite_fixture(dir: &tempfile::TempDir) -> Fixture {
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("edit.db").display());
    let (config, _) = ConnectionConfig::from_url(&url).expect("url");
    Fixture {
        conn: connect(&config, None).await,
        engine: Engine::Sqlite,
        schema: None,
        database: None,
        types_ddl: "DROP TABLE IF EXISTS types;\nCREATE TABLE types (id INTEGER PRIMARY KEY, r REAL, n NUMERIC, b BLOB, t TEXT, anything, flag BOOLEAN, dt DATETIME)",
        types_rows: "INSERT INTO types VALUES (1, 0.1, 12.5, X'00ff10', 'line\nbreak ''quote'' \\ back', X'6869', 1, '2024-02-29 23:59:59'), (2, NULL, NULL, X'', '', 42, 0, NULL), (3, -1e308, 'text in numeric', NULL, NULL, 1.5, NULL, NULL)",
    }
}

pub async fn mssql_fixture() -> Fixture {
    Fixture {
        conn: mssql().await,
        engine: Engine::Mssql,
        schema: Some("dbo".into()),
        database: None,
        types_ddl: "IF OBJECT_ID('dbo.edit_types') IS NOT NULL DROP TABLE dbo.edit_types;\nCREATE TABLE dbo.edit_types (id int PRIMARY KEY, n decimal(38,18), m money, f float, r real, dt2 datetime2(6), dt datetime, dto datetimeoffset(6), d date, tm time(6), b varbinary(max), u uniqueidentifier, nv nvarchar(max), v varchar(40), bt bit, ti tinyint, bi bigint)",
        types_rows: "INSERT INTO dbo.edit_types VALUES (1, 12345678901234567890.123456789012345678, 922337203685477.5807, 0.1, 1.1, '2024-02-29 23:59:59.999999', '2024-02-29 23:59:59.997', '2024-02-29 23:59:59.999999 +05:30', '0001-01-01', '23:59:59.999999', 0x00FF10, 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', N'line break ''quote'' Ünï 😀', 'plain', 1, 255, -9223372036854775808), (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0x, NULL, N'', '', 0, 0, 0)",
    }
}

/// Every non-key column set to the value it was read as: the row reads back the same.
pub async fn types_round_trip(f: &Fixture, table: &str) {
    f.exec(f.types_ddl).await;
    f.exec(f.types_rows).await;
    let select = format!("SELECT * FROM {} ORDER BY 1", f.name(table));
    let (columns, before) = f.rows(&select).await;
    let t = f.edit_table(table).await;
    let RowKey::Columns { columns: key, .. } = &t.key else {
        panic!(
            "{:?}: the types table has a primary key: {:?}",
            f.engine, t.key
        )
    };
    let changes: Vec<Change> = before
        .iter()
        .map(|row| Change::Update {
            seen: seen_row(&columns, row),
            row_id: None,
            set: columns
                .iter()
                .zip(row)
                .filter(|(c, _)| !key.contains(c))
                .map(|(c, v)| (c.clone(), NewValue::Value(v.clone())))
                .collect(),
        })
        .collect();
    let report = f.commit(&t, &changes).await;
    assert!(report.committed, "{:?}: {report:#?}", f.engine);
    assert!(
        report.statements.iter().all(|s| s.rows_affected == Some(1)),
        "{report:#?}"
    );
    let (_, after) = f.rows(&select).await;
    // Debug text, not ==: NaN is a value here, and equal to itself.
    assert_eq!(
        format!("{after:?}"),
        format!("{before:?}"),
        "{:?}: written back unchanged",
        f.engine
    );

    // NULL and '' are two different edits.
    let changes = [
        Change::Update {
            seen: seen_row(&columns, &before[0]),
            row_id: None,
            set: vec![(columns[columns.len() - 1].clone(), NewValue::Null)],
        },
        Change::Update {
            seen: seen_row(&columns, &before[1]),
            row_id: None,
            set: vec![(text_column(f).into(), NewValue::Text(String::new()))],
        },
    ];
    assert!(f.commit(&t, &changes).await.committed);
    let (_, after) = f.rows(&select).await;
    assert!(after[0].last().expect("cell").is_null());
    let at = columns
        .iter()
        .position(|c| c == text_column(f))
        .expect("text column");
    assert_eq!(after[1][at], Value::Text(String::new()), "{:?}", f.engine);
}

fn text_column(f: &Fixture) -> &'static str {
    match f.engine {
        Engine::Postgres | Engine::Mysql => "tx",
        Engine::Sqlite => "t",
        _ => "nv",
    }
}

/// A composite key, a conflict, and a failure in the middle of a commit.
pub async fn keys_conflicts_and_rollback(f: &Fixture) {
    let name = f.name("edit_pairs");
    let (int, text) = match f.engine {
        Engine::Mssql => ("int", "nvarchar(40)"),
        Engine::Mysql => ("int", "varchar(40)"),
        _ => ("integer", "text"),
    };
    let drop = match f.engine {
        Engine::Mssql => format!("IF OBJECT_ID('dbo.edit_pairs') IS NOT NULL DROP TABLE {name}"),
        _ => format!("DROP TABLE IF EXISTS {name}"),
    };
    f.exec(&format!(
        "{drop};\nCREATE TABLE {name} (a {int} NOT NULL, b {int} NOT NULL, v {text} NULL, PRIMARY KEY (a, b));\nINSERT INTO {name} VALUES (1, 1, 'one'), (1, 2, 'two'), (2, 1, 'three')"
    ))
    .await;
    let t = f.edit_table("edit_pairs").await;
    assert!(
        matches!(&t.key, RowKey::Columns { columns, .. } if columns == &["a", "b"]),
        "{:?}",
        t.key
    );
    let select = format!("SELECT a, b, v FROM {name} ORDER BY a, b");
    let (columns, before) = f.rows(&select).await;
    let set = |row: usize, v: &str| Change::Update {
        seen: seen_row(&columns, &before[row]),
        row_id: None,
        set: vec![("v".into(), NewValue::Text(v.into()))],
    };
    // The table tab's query: a condition, two sort keys, a page.
    let browse = edit::Browse {
        sort: vec![
            ("a".into(), edit::Direction::Desc),
            ("b".into(), edit::Direction::Asc),
        ],
        conditions: vec![edit::Condition {
            column: "v".into(),
            op: edit::Op::Like,
            value: "t%".into(),
        }],
        raw_where: Some("b >= 1".into()),
        offset: 1,
        limit: Some(1),
    };
    let (_, page) = f.rows(&edit::select(&t, &browse).expect("select")).await;
    assert_eq!(page.len(), 1, "{page:?}");
    assert_eq!(
        page[0][2],
        Value::Text("two".into()),
        "{:?}: second of three, two",
        f.engine
    );
    // Someone else changes row (1, 2) after it was read: our edit of it touches no row,
    // and the edit before it in the same commit is undone too.
    f.exec(&format!(
        "UPDATE {name} SET v = 'theirs' WHERE a = 1 AND b = 2"
    ))
    .await;
    let report = f.commit(&t, &[set(0, "mine 1"), set(1, "mine 2")]).await;
    assert!(!report.committed && report.conflict, "{report:#?}");
    assert_eq!(report.stopped_at, Some(1));
    assert_eq!(report.statements[1].rows_affected, Some(0));
    let (_, now) = f.rows(&select).await;
    assert_eq!(now[0][2], Value::Text("one".into()), "rolled back");
    assert_eq!(now[1][2], Value::Text("theirs".into()), "theirs kept");

    // A statement that fails (a duplicate key) rolls back the ones before it.
    let duplicate = Change::Insert {
        values: vec![
            ("a".into(), NewValue::Text("2".into())),
            ("b".into(), NewValue::Text("1".into())),
        ],
    };
    let report = f.commit(&t, &[set(0, "mine"), duplicate]).await;
    assert!(!report.committed && !report.conflict, "{report:#?}");
    assert!(report.statements[1].error.is_some());
    let (_, now) = f.rows(&select).await;
    assert_eq!(now[0][2], Value::Text("one".into()), "rolled back");
    // The session is usable after a rollback: a clean commit goes through.
    let report = f
        .commit(
            &t,
            &[
                set(0, "mine"),
                Change::Delete {
                    seen: seen_row(&columns, &before[2]),
                    row_id: None,
                },
            ],
        )
        .await;
    assert!(report.committed, "{report:#?}");
    let (_, now) = f.rows(&select).await;
    assert_eq!(now.len(), 2);
    assert_eq!(now[0][2], Value::Text("mine".into()));
}

/// A table without a key: by row id where the engine has a stable enough one, else
/// read-only with the reason.
pub async fn keyless(f: &Fixture) {
    let name = f.name("edit_keyless");
    let drop = match f.engine {
        Engine::Mssql => format!("IF OBJECT_ID('dbo.edit_keyless') IS NOT NULL DROP TABLE {name}"),
        _ => format!("DROP TABLE IF EXISTS {name}"),
    };
    let text = if f.engine == Engine::Mssql {
        "nvarchar(20)"
    } else {
        "varchar(20)"
    };
    f.exec(&format!(
        "{drop};\nCREATE TABLE {name} (v {text} NULL);\nINSERT INTO {name} VALUES ('dup'), ('dup')"
    ))
    .await;
    let t = f.edit_table("edit_keyless").await;
    match &t.key {
        RowKey::RowId { column } => {
            // The table tab's own query: the row address first, then the columns.
            let browse = edit::select(&t, &edit::Browse::default()).expect("select");
            let (columns, rows) = f.rows(&browse).await;
            assert_eq!(columns.len(), 2, "{columns:?}");
            assert_eq!(edit::row_id_column(&t), Some(column.as_str()));
            let change = Change::Update {
                seen: seen_row(&columns[1..], &rows[0][1..]),
                row_id: Some(rows[0][0].clone()),
                set: vec![("v".into(), NewValue::Text("one of two".into()))],
            };
            assert!(f.commit(&t, &[change]).await.committed);
            let (_, rows) = f.rows(&format!("SELECT v FROM {name} ORDER BY v")).await;
            assert_eq!(
                rows,
                [
                    vec![Value::Text("dup".into())],
                    vec![Value::Text("one of two".into())]
                ],
                "exactly one of the duplicates"
            );
        }
        RowKey::ReadOnly { reason } => {
            assert!(
                matches!(f.engine, Engine::Mysql | Engine::Mssql),
                "{:?} has a row id",
                f.engine
            );
            assert!(reason.contains("no primary key"), "{reason}");
            let e = edit::plan(&t, &[], f.conn.text_style()).expect_err("read-only");
            assert!(e.message.contains("read-only"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

/// A 50 MB value written through a plan and read back whole.
pub async fn a_large_value(f: &Fixture) {
    let name = f.name("edit_big");
    let (drop, text) = match f.engine {
        Engine::Mssql => (
            format!("IF OBJECT_ID('dbo.edit_big') IS NOT NULL DROP TABLE {name}"),
            "nvarchar(max)",
        ),
        Engine::Mysql => (format!("DROP TABLE IF EXISTS {name}"), "longtext"),
        _ => (format!("DROP TABLE IF EXISTS {name}"), "text"),
    };
    f.exec(&format!(
        "{drop};\nCREATE TABLE {name} (id int PRIMARY KEY, v {text})"
    ))
    .await;
    let t = f.edit_table("edit_big").await;
    // Quotes and backslashes throughout: the literal must escape all of them.
    let big: String = "0123456789abcdef'\\\n".repeat(50 * (1 << 20) / 19);
    let insert = Change::Insert {
        values: vec![
            ("id".into(), NewValue::Text("1".into())),
            ("v".into(), NewValue::Text(big.clone())),
        ],
    };
    let report = f.commit(&t, &[insert]).await;
    assert!(report.committed, "{report:?}");
    let (_, rows) = f.rows(&format!("SELECT v FROM {name} WHERE id = 1")).await;
    match &rows[0][0] {
        Value::Text(v) => assert!(*v == big, "the value read back differs ({} bytes)", v.len()),
        other => panic!("{:?}", std::mem::discriminant(other)),
    }
}

/// A manual-commit tab's transaction: open after BEGIN, gone after ROLLBACK, and what ran
/// inside it gone too.
pub async fn a_session_says_when_a_transaction_is_open(f: &Fixture) {
    let name = f.name("edit_tx");
    f.exec(&format!(
        "DROP TABLE IF EXISTS {name};\nCREATE TABLE {name} (id int PRIMARY KEY)"
    ))
    .await;
    let s = f.session().await;
    assert!(!s.in_transaction());
    edit::transaction(&s, f.engine, edit::TxAction::Begin)
        .await
        .expect("begin");
    run_on(&s, &format!("INSERT INTO {name} VALUES (1)"))
        .await
        .ok();
    assert!(s.in_transaction(), "{:?}: open after BEGIN", f.engine);
    edit::transaction(&s, f.engine, edit::TxAction::Rollback)
        .await
        .expect("rollback");
    assert!(!s.in_transaction(), "{:?}: closed after ROLLBACK", f.engine);
    let (_, rows) = f.rows(&format!("SELECT count(*) FROM {name}")).await;
    assert!(
        matches!(rows[0][0], Value::Int(0) | Value::UInt(0)),
        "{:?}",
        rows[0][0]
    );
    // A statement the user types counts too.
    run_on(&s, "BEGIN").await.ok();
    assert!(s.in_transaction());
    run_on(&s, "COMMIT").await.ok();
    assert!(!s.in_transaction());
}

/// The labels the catalog gives the cell editor for `column` of `table`.
pub async fn choices_of(f: &Fixture, table: &str, column: &str) -> Option<(Vec<String>, bool)> {
    let t = f.edit_table(table).await;
    t.columns
        .into_iter()
        .find(|c| c.name == column)
        .and_then(|c| c.choices)
        .map(|c| (c.values, c.several))
}
