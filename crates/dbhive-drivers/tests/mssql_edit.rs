//! Table edits against the SQL Server test server: the scenarios in edit_fixture.

mod common;
mod edit_fixture;

use edit_fixture::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mssql_edits() {
    let f = mssql_fixture().await;
    types_round_trip(&f, "edit_types").await;
    keys_conflicts_and_rollback(&f).await;
    keyless(&f).await;
}

/// SQL Server cannot be held to read-only by a session setting (ApplicationIntent only routes
/// to a replica): until DB-Hive refuses writes itself, the switch refuses to connect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_connection_is_refused_until_it_can_be_enforced() {
    let (mut config, secret) = common::mssql_config();
    config.read_only = true;
    let e = common::connect_err(&config, secret).await;
    assert_eq!(e.kind, dbhive_core::ErrorKind::Unsupported, "{e}");
    assert!(e.message.contains("read-only"), "{e}");
}
