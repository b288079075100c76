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
