//! The SQL Server catalog against the real test server: the tree down to columns, indexes,
//! foreign keys and triggers on awkward names, and DDL that recreates what it describes.

mod common;

use std::sync::Arc;

use common::*;
use dbhive_core::{Connection, NodeKind, Session, TableRef};

const FIXTURE: &str = include_str!("../../../tests/fixtures/mssql_catalog.sql");

/// Babelfish fails concurrent CREATE DATABASE ("tuple concurrently updated"): one at a time.
static CREATING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn fixture(db: &str) -> (Arc<dyn Connection>, Arc<dyn Session>) {
    let _one_at_a_time = CREATING.lock().await;
    let conn = mssql().await;
    let s = conn.open_session(None).await.expect("session");
    run_on(&s, &FIXTURE.replace("{db}", db)).await.ok();
    (conn, s)
}

fn path(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

async fn names(conn: &Arc<dyn Connection>, parts: &[&str]) -> Vec<(NodeKind, String, String)> {
    conn.list_children(&path(parts))
        .await
        .unwrap_or_else(|e| panic!("{parts:?}: {e}"))
        .into_iter()
        .map(|n| (n.kind, n.name, n.detail.unwrap_or_default()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tree_reaches_columns_indexes_keys_and_triggers() {
    let db = "dbhive_t_cat";
    let (conn, _s) = fixture(db).await;
    let top = names(&conn, &[]).await;
    assert!(
        top.iter()
            .any(|(k, n, _)| *k == NodeKind::Database && n == db),
        "{top:?}"
    );
    let schemas = names(&conn, &[db]).await;
    for s in ["dbo", "sales", "my schema"] {
        assert!(schemas.iter().any(|(_, n, _)| n == s), "{s}: {schemas:?}");
    }
    let folders = conn
        .list_children(&path(&[db, "sales"]))
        .await
        .expect("folders");
    let count = |title: &str| {
        folders
            .iter()
            .find(|f| f.name == title)
            .and_then(|f| f.count)
    };
    assert_eq!(
        (
            count("Tables"),
            count("Views"),
            count("Procedures"),
            count("Functions")
        ),
        (Some(2), Some(1), Some(1), Some(1))
    );
    // Procedures and functions with their parameters (and a scalar function's type).
    let procs = names(&conn, &[db, "sales", "procedures"]).await;
    assert_eq!(
        procs.iter().map(|p| p.1.as_str()).collect::<Vec<_>>(),
        ["p(@a int, @b nvarchar(20) OUTPUT)"]
    );
    let funcs = names(&conn, &[db, "sales", "functions"]).await;
    assert_eq!(
        funcs
            .iter()
            .map(|f| (f.1.as_str(), f.2.as_str()))
            .collect::<Vec<_>>(),
        [("f(@x decimal(10,2), @n nvarchar(20))", "→ int")]
    );
    let tables = names(&conn, &[db, "sales", "tables"]).await;
    assert_eq!(
        tables.iter().map(|t| t.1.as_str()).collect::<Vec<_>>(),
        ["parent", "select"]
    );
    let cols = names(&conn, &[db, "sales", "tables", "select"]).await;
    let col = |name: &str| {
        cols.iter()
            .find(|c| c.0 == NodeKind::Column && c.1 == name)
            .map(|c| c.2.clone())
            .unwrap_or_else(|| panic!("column {name}: {cols:?}"))
    };
    assert_eq!(col("id"), "int PK NOT NULL");
    assert_eq!(col("my col"), "nvarchar(40)");
    assert_eq!(col("price"), "decimal(12,3) NOT NULL");
    assert_eq!(col("ünï"), "nchar(2)");
    let ix = names(&conn, &[db, "sales", "tables", "select", "indexes"]).await;
    assert!(
        ix.iter()
            .any(|i| i.1 == "pk_select" && i.2.starts_with("PRIMARY (id)")),
        "{ix:?}"
    );
    assert!(ix.iter().any(|i| i.2.starts_with("(price DESC)")), "{ix:?}");
    let fks = names(&conn, &[db, "sales", "tables", "select", "foreign_keys"]).await;
    assert_eq!(
        fks,
        [(
            NodeKind::ForeignKey,
            "fk_parent".into(),
            "(parent_id) → sales.parent(id)".into()
        )]
    );
    let triggers = names(&conn, &[db, "sales", "tables", "select", "triggers"]).await;
    assert_eq!(
        triggers,
        [(NodeKind::Trigger, "tr_sel".into(), "AFTER".into())]
    );
    let spaced = names(&conn, &[db, "my schema", "tables", "my table"]).await;
    assert!(spaced.iter().any(|c| c.1 == "ünï côde"), "{spaced:?}");
    let e = conn
        .list_children(&path(&[db, "sales", "tables", "no such table"]))
        .await
        .expect_err("a missing table");
    assert_eq!(e.kind, dbhive_core::ErrorKind::NotFound, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ddl_recreates_the_tables_it_describes() {
    let db = "dbhive_t_ddl";
    let (conn, s) = fixture(db).await;
    let table = |name: &str| TableRef {
        database: Some(db.into()),
        schema: Some("sales".into()),
        name: name.into(),
    };
    let parent = conn.ddl(&table("parent")).await.expect("ddl parent");
    let select = conn.ddl(&table("select")).await.expect("ddl select");
    assert!(select.contains("IDENTITY(10,5)"), "{select}");
    assert!(select.contains("[total] AS (price * 2)"), "{select}");
    assert!(select.contains("ON DELETE CASCADE"), "{select}");
    let view = conn.ddl(&table("v sel")).await.expect("ddl view");
    assert!(view.contains("CREATE VIEW"), "{view}");

    let before_cols = conn.columns(&table("select")).await.expect("columns");
    let before_fks = conn.foreign_keys(&table("select")).await.expect("fks");
    let before_ix = conn.indexes(&table("select")).await.expect("indexes");
    let recreate = format!(
        "USE {db}\nGO\nDROP VIEW sales.[v sel]\nDROP TABLE sales.[select]\nDROP TABLE sales.parent\nGO\n{parent}\nGO\n{select}\nGO\n{view}"
    );
    run_on(&s, &recreate).await.ok();
    assert_eq!(
        conn.columns(&table("select")).await.expect("columns"),
        before_cols
    );
    assert_eq!(
        conn.foreign_keys(&table("select")).await.expect("fks"),
        before_fks
    );
    let shape = |ix: Vec<dbhive_core::IndexInfo>| {
        // Babelfish names an index after its table and a hash; the rest must match.
        ix.into_iter()
            .map(|i| (i.columns, i.is_unique, i.is_primary, i.method))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        shape(conn.indexes(&table("select")).await.expect("indexes")),
        shape(before_ix)
    );
}
