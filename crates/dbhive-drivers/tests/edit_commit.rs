//! Table edits against PostgreSQL, MariaDB and SQLite: the scenarios in edit_fixture.

mod common;
mod edit_fixture;

use common::*;
use dbhive_core::Engine;
use edit_fixture::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_edits() {
    let f = pg_fixture().await;
    types_round_trip(&f, "types").await;
    keys_conflicts_and_rollback(&f).await;
    keyless(&f).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_edits() {
    let f = mysql_fixture().await;
    types_round_trip(&f, "edit_types").await;
    keys_conflicts_and_rollback(&f).await;
    keyless(&f).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_edits() {
    let dir = tempfile::tempdir().expect("dir");
    let f = sqlite_fixture(&dir).await;
    types_round_trip(&f, "types").await;
    keys_conflicts_and_rollback(&f).await;
    keyless(&f).await;
}

/// A session whose connection died inside a transaction must not reconnect and run the
/// next statement outside it: that query fails and says the transaction is gone; the one
/// after reconnects.
async fn a_lost_transaction_is_said(f: &Fixture, whoami: &str, kill: &str) {
    let s = f.session().await;
    run_on(
        &s,
        if f.engine == Engine::Mysql {
            "START TRANSACTION"
        } else {
            "BEGIN"
        },
    )
    .await
    .ok();
    let id = match run_on(&s, whoami).await.ok().scalar() {
        dbhive_core::Value::Int(n) => n.to_string(),
        dbhive_core::Value::UInt(n) => n.to_string(),
        other => panic!("{other:?}"),
    };
    run(&f.conn, &kill.replace("{id}", &id)).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let e = run_on(&s, "SELECT 1").await.err();
    assert_eq!(e.code.as_deref(), Some("transaction_lost"), "{e}");
    let again = run_on(&s, "SELECT 1").await.ok();
    assert_eq!(*again.scalar(), dbhive_core::Value::Int(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_transaction_is_not_silently_replaced() {
    a_lost_transaction_is_said(
        &pg_fixture().await,
        "SELECT pg_backend_pid()",
        "SELECT pg_terminate_backend({id})",
    )
    .await;
    a_lost_transaction_is_said(
        &mysql_fixture().await,
        "SELECT CONNECTION_ID()",
        "KILL {id}",
    )
    .await;
}
