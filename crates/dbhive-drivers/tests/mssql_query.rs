//! SQL Server queries against the real test server (Babelfish from scripts/mssql-server.sh,
//! or the SQL Server DBHIVE_TEST_MSSQL_URL names): results and messages in server order,
//! GO batches, row counts, errors with their lines, return values, cancel, sessions.

mod common;

use std::sync::Arc;

use common::*;
use dbhive_core::{Connection, QueryEvent, QueryOptions, Session, Value};

/// What a run produced, in the order it came: `R:<columns>` for a result with its rows as
/// `r:<cells>`, `N:<message>` for a notice, `C:<rows affected>` for a count, `E:` for the
/// final error.
async fn sequence(session: &Arc<dyn Session>, sql: &str) -> Vec<String> {
    let mut stream = session
        .clone()
        .execute(sql.to_string(), QueryOptions::default());
    let mut out = Vec::new();
    while let Some(event) = within("the batch", stream.next()).await {
        match event {
            QueryEvent::Columns { columns, .. } => out.push(format!(
                "R:{}",
                columns
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            )),
            QueryEvent::Rows(batch) => {
                for row in batch.rows() {
                    let cells: Vec<String> = row.iter().map(cell).collect();
                    out.push(format!("r:{}", cells.join(",")));
                }
            }
            QueryEvent::ResultEnd {
                rows_affected: Some(n),
                has_columns: false,
                ..
            } => out.push(format!("C:{n}")),
            QueryEvent::Notice(n) => out.push(format!("N:{}", n.message)),
            QueryEvent::Error(e) => out.push(format!("E:{}", e.code.unwrap_or_default())),
            _ => {}
        }
    }
    out
}

fn cell(v: &Value) -> String {
    let mut out = Vec::new();
    dbhive_drivers::mssql::types::MSSQL_TEXT_STYLE.write(v, &mut out);
    if v.is_null() {
        "NULL".into()
    } else {
        String::from_utf8_lossy(&out).into_owned()
    }
}

async fn session(conn: &Arc<dyn Connection>) -> Arc<dyn Session> {
    within("a session", conn.open_session(None))
        .await
        .expect("session")
}

async fn is_babelfish(session: &Arc<dyn Session>) -> bool {
    let out = run_on(
        session,
        "SELECT CASE WHEN @@VERSION LIKE 'Babelfish%' THEN 1 ELSE 0 END",
    )
    .await
    .ok();
    *out.scalar() == Value::Int(1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_and_messages_come_in_server_order() {
    let conn = mssql().await;
    let s = session(&conn).await;
    let got = sequence(
        &s,
        "SELECT 1 AS a\nPRINT 'between'\nSELECT 2 AS b, N'two' AS c\nRAISERROR('low severity', 10, 1)\nSELECT TOP 0 1 AS empty",
    )
    .await;
    assert_eq!(
        got,
        [
            "R:a",
            "r:1",
            "N:between",
            "R:b,c",
            "r:2,two",
            "N:low severity",
            "R:empty"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_splits_batches_and_counts_each_statement() {
    let conn = mssql().await;
    let s = session(&conn).await;
    let got = sequence(
        &s,
        "CREATE TABLE #c (id int IDENTITY(1,1), v nvarchar(10))\nINSERT INTO #c (v) VALUES (N'a'), (N'b')\nGO\nINSERT INTO #c (v) VALUES (N'x')\nGO 3\nUPDATE #c SET v = N'y' WHERE v = N'x'\nSELECT COUNT(*) AS n FROM #c",
    )
    .await;
    assert_eq!(got, ["C:2", "C:1", "C:1", "C:1", "C:3", "R:n", "r:5"]);
    // The temporary table lives in the session: the next run sees it.
    let again = run_on(&s, "SELECT COUNT(*) FROM #c").await.ok();
    assert_eq!(*again.scalar(), Value::Int(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_keep_their_place_and_line_and_the_session_goes_on() {
    let conn = mssql().await;
    let s = session(&conn).await;
    let script = "SELECT 1 AS a\nGO\nPRINT 'second batch'\nSELECT 1/0 AS boom\nPRINT 'after the error'\nGO\nSELECT 3 AS c";
    let got = sequence(&s, script).await;
    // SQL Server sends the result's columns before the error, Babelfish does not: both are
    // right about where the error sits.
    let got: Vec<String> = got.into_iter().filter(|e| e != "R:boom").collect();
    // Babelfish words the message as PostgreSQL does; the number is SQL Server's.
    let divide = if is_babelfish(&s).await {
        "division by zero"
    } else {
        "Divide by zero error encountered."
    };
    assert_eq!(
        got,
        [
            "R:a".to_string(),
            "r:1".into(),
            "N:second batch".into(),
            format!("N:{divide}"),
            "N:after the error".into(),
            "R:c".into(),
            "r:3".into(),
            "E:8134".into(),
        ]
    );
    let out = run_on(&s, script).await;
    let e = out.err();
    assert_eq!(e.code.as_deref(), Some("8134"));
    assert_eq!(
        e.line_column(script),
        Some((4, 1)),
        "line 2 of the second batch"
    );
    assert_eq!(
        e.detail.as_deref(),
        Some("Msg 8134, Level 16, State 1, Line 4")
    );
    let out = run_on(&s, "SELECT 42").await.ok();
    assert_eq!(*out.scalar(), Value::Int(42));
}
