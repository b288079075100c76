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
    assert_eq!(
        choices_of(&f, "types", "m").await,
        Some((vec!["sad".into(), "ok".into(), "happy".into()], false)),
        "an enum's labels, in their order"
    );
    assert_eq!(choices_of(&f, "types", "tx").await, None);
    keys_conflicts_and_rollback(&f).await;
    keyless(&f).await;
    a_large_value(&f).await;
    a_session_says_when_a_transaction_is_open(&f).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_edits() {
    let f = mysql_fixture().await;
    types_round_trip(&f, "edit_types").await;
    assert_eq!(
        choices_of(&f, "edit_types", "e").await,
        Some((vec!["x".into(), "y".into()], false))
    );
    assert_eq!(
        choices_of(&f, "edit_types", "s").await,
        Some((vec!["a".into(), "b".into(), "c".into()], true)),
        "a SET takes several"
    );
    keys_conflicts_and_rollback(&f).await;
    keyless(&f).await;
    a_large_value(&f).await;
    a_session_says_when_a_transaction_is_open(&f).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_edits() {
    let dir = tempfile::tempdir().expect("dir");
    let f = sqlite_fixture(&dir).await;
    types_round_trip(&f, "types").await;
    keys_conflicts_and_rollback(&f).await;
    keyless(&f).await;
    a_large_value(&f).await;
    a_session_says_when_a_transaction_is_open(&f).await;
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

/// The connection's read-only switch is the server's: a write fails there, with the
/// server's own error, in the pool and in a tab's session alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_connection_refuses_writes_on_the_server() {
    let dir = tempfile::tempdir().expect("dir");
    let sqlite_url = format!("sqlite://{}?mode=rwc", dir.path().join("ro.db").display());
    let (sqlite_config, _) =
        dbhive_core::ConnectionConfig::from_url(&sqlite_url).expect("sqlite url");
    run(
        &connect(&sqlite_config, None).await,
        "CREATE TABLE t (x int)",
    )
    .await
    .ok();
    for (mut config, secret) in [pg_config(), mysql_config(), (sqlite_config, None)] {
        config.read_only = true;
        let conn = connect(&config, secret).await;
        let write = match config.engine {
            Engine::Sqlite => "INSERT INTO t VALUES (1)",
            _ => "CREATE TABLE dbhive_ro_probe (x int)",
        };
        let e = run(&conn, write).await.err();
        assert!(
            e.message.contains("read-only")
                || e.message.contains("READ ONLY")
                || e.message.contains("readonly"),
            "{:?}: {e}",
            config.engine
        );
        let s = conn.open_session(None).await.expect("session");
        assert!(
            run_on(&s, write).await.error.is_some(),
            "{:?} session",
            config.engine
        );
        assert_eq!(
            *run(&conn, "SELECT 1").await.ok().scalar(),
            dbhive_core::Value::Int(1)
        );
        // The flag round-trips through the URL.
        let (back, _) = dbhive_core::ConnectionConfig::from_url(&config.to_url()).expect("url");
        assert!(back.read_only);
    }
}
