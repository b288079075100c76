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
    assert!(
        e.in_messages,
        "the error was a notice in its place: the app and the CLI must not show it twice"
    );
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

/// A statement that runs for half a minute: `WAITFOR DELAY` on SQL Server; Babelfish has no
/// WAITFOR, so PostgreSQL's sleep through it. DBHIVE_TEST_MSSQL_LONG_QUERY overrides both.
async fn long_query(session: &Arc<dyn Session>) -> String {
    if let Ok(q) = std::env::var("DBHIVE_TEST_MSSQL_LONG_QUERY") {
        return q;
    }
    if is_babelfish(session).await {
        "EXEC pg_catalog.pg_sleep 30".into()
    } else {
        "WAITFOR DELAY '00:00:30'".into()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_the_statement_on_the_server_and_the_session_goes_on() {
    let conn = mssql().await;
    let s = session(&conn).await;
    let spid = run_on(&s, "SELECT @@SPID").await.ok().scalar().clone();
    let long = long_query(&s).await;
    let started = std::time::Instant::now();
    let mut stream = s.clone().execute(long, QueryOptions::default());
    let handle = stream.handle();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    handle.cancel();
    let mut cancelled = false;
    while let Some(e) = within("the cancelled statement", stream.next()).await {
        if let QueryEvent::Done { cancelled: c, .. } = e {
            cancelled = c;
        }
    }
    assert!(cancelled, "the run ends as cancelled");
    // Nothing of it runs on the server any more. SQL Server acknowledges the attention and
    // keeps the session; Babelfish reads it only after the statement, so DB-Hive ends the
    // session with KILL after its grace period.
    let Value::Int(spid) = spid else {
        panic!("@@SPID is {spid:?}")
    };
    let check = if is_babelfish(&s).await {
        format!(
            "SELECT COUNT(*) FROM sys.dm_exec_sessions WHERE session_id = {spid} AND status = 'active'"
        )
    } else {
        format!("SELECT COUNT(*) FROM sys.dm_exec_requests WHERE session_id = {spid}")
    };
    let mut left = Value::Int(1);
    for _ in 0..50 {
        left = run(&conn, &check).await.ok().scalar().clone();
        if left == Value::Int(0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        left,
        Value::Int(0),
        "the statement still runs on the server"
    );
    // Not a speed bound: the statement would have run 30 s.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(25),
        "the statement ran to its end instead of being stopped"
    );
    let out = run_on(&s, "SELECT 7").await.ok();
    assert_eq!(
        *out.scalar(),
        Value::Int(7),
        "the session is usable after a cancel"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_type_reads_as_ssms_shows_it() {
    let conn = mssql().await;
    let s = session(&conn).await;
    let bbf = is_babelfish(&s).await;
    let out = run_on(
        &s,
        "CREATE TABLE #ty (
            ti tinyint, si smallint, i int, bi bigint, b bit,
            d decimal(38,10), n numeric(5,0), m money, sm smallmoney, r real, f float,
            dt date, t0 time(0), t7 time(7), dtm datetime, d2 datetime2(3), sdt smalldatetime,
            dto datetimeoffset(7), c char(5), vc varchar(20), nc nchar(3), nv nvarchar(max),
            vb varbinary(max), g uniqueidentifier, x xml, v sql_variant, e varchar(5)
        )
        INSERT INTO #ty VALUES (
            255, -32768, -2147483648, -9223372036854775808, 1,
            -1234567890123456789012345678.0123456789, 99999, -922337203685477.5808, 214748.3647,
            3.5, 1.0E+100,
            '0001-01-01', '23:59:59', '12:34:56.1234567', '1753-01-01 00:00:00.003',
            '2024-02-29 13:14:15.123', '2079-06-06 23:59:00',
            '2024-02-29 13:14:15.1234567 +05:30', 'ab', 'caf' + CHAR(233), N'日本', N'🐝 bee',
            0x00FF10, '6F9619FF-8B86-D011-B42D-00C04FC964FF', '<a b=\"1\">x</a>', CAST(42 AS int), ''
        )
        INSERT INTO #ty (ti) VALUES (NULL)
        SELECT * FROM #ty",
    )
    .await
    .ok();
    let set = out
        .results
        .iter()
        .find(|r| r.has_columns)
        .expect("a result");
    let col = |name: &str| {
        set.columns
            .iter()
            .position(|c| c.name == name)
            .unwrap_or_else(|| panic!("column {name}"))
    };
    let at = |name: &str| cell(&set.rows[0][col(name)]);
    let expect = [
        ("ti", "255"),
        ("si", "-32768"),
        ("i", "-2147483648"),
        ("bi", "-9223372036854775808"),
        ("b", "1"),
        ("d", "-1234567890123456789012345678.0123456789"),
        ("n", "99999"),
        ("m", "-922337203685477.5808"),
        ("sm", "214748.3647"),
        ("r", "3.5"),
        ("f", "1e100"),
        ("dt", "0001-01-01"),
        ("t0", "23:59:59"),
        ("dtm", "1753-01-01 00:00:00.003"),
        ("d2", "2024-02-29 13:14:15.123"),
        ("sdt", "2079-06-06 23:59:00"),
        ("c", "ab   "),
        ("vc", "café"),
        ("nc", "日本 "),
        ("nv", "🐝 bee"),
        ("vb", "0x00FF10"),
        ("g", "6F9619FF-8B86-D011-B42D-00C04FC964FF"),
        ("x", "<a b=\"1\">x</a>"),
        ("v", "42"),
        ("e", ""),
    ];
    for (name, want) in expect {
        assert_eq!(at(name), want, "{name}");
    }
    // Babelfish keeps microseconds where SQL Server keeps 100 ns.
    let (t7, dto) = if bbf {
        ("12:34:56.1234570", "2024-02-29 13:14:15.1234570 +05:30")
    } else {
        ("12:34:56.1234567", "2024-02-29 13:14:15.1234567 +05:30")
    };
    assert_eq!(at("t7"), t7);
    assert_eq!(at("dto"), dto);
    // NULL is not the empty string.
    assert_eq!(set.rows[1][col("e")], Value::Null);
    assert_eq!(set.rows[0][col("e")], Value::Text(String::new()));
    let ty = |name: &str| set.columns[col(name)].type_name.clone();
    // The wire's DECIMALN and NUMERICN are the same type; servers pick either.
    assert!(
        ["decimal(38,10)", "numeric(38,10)"].contains(&ty("d").as_str()),
        "{}",
        ty("d")
    );
    assert_eq!(ty("t7"), "time(7)");
    assert_eq!(ty("nv"), "nvarchar(max)");
    assert_eq!(ty("vc"), "varchar(20)");
    assert_eq!(ty("g"), "uniqueidentifier");
}

/// 1,000,000 rows (n = 1..1000000) from six cross-joined digit lists, on any server.
const MILLION: &str = "WITH d(x) AS (SELECT x FROM (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) AS v(x)) SELECT 1 + a.x + 10 * b.x + 100 * c.x + 1000 * e.x + 10000 * f.x + 100000 * g.x AS n, N'row' AS t FROM d a CROSS JOIN d b CROSS JOIN d c CROSS JOIN d e CROSS JOIN d f CROSS JOIN d g";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_rows_stream_in_batches() {
    let conn = mssql().await;
    let s = session(&conn).await;
    let mut stream = s.clone().execute(MILLION.into(), QueryOptions::default());
    let mut rows = 0u64;
    let mut batches = 0;
    let mut sum: i64 = 0;
    while let Some(e) = within("a million rows", stream.next()).await {
        match e {
            QueryEvent::Rows(b) => {
                batches += 1;
                for r in b.rows() {
                    rows += 1;
                    if let Value::Int(n) = r[0] {
                        sum += n;
                    }
                }
            }
            QueryEvent::Error(e) => panic!("{e}"),
            _ => {}
        }
    }
    assert_eq!(rows, 1_000_000);
    assert_eq!(sum, 500_000_500_000, "every n from 1 to 1,000,000 once");
    assert!(
        batches > 10,
        "rows arrive in many batches, not at the end ({batches})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_procedure_s_messages_return_value_and_output_arrive() {
    let conn = mssql().await;
    let s = session(&conn).await;
    run_on(
        &s,
        "IF OBJECT_ID('dbo.dbhive_ret') IS NOT NULL DROP PROCEDURE dbo.dbhive_ret\nGO\nCREATE PROCEDURE dbo.dbhive_ret @x int, @y int OUTPUT AS BEGIN SET @y = @x * 2; PRINT 'in proc'; RETURN 5 END",
    )
    .await
    .ok();
    let got = sequence(
        &s,
        "DECLARE @out int\nEXEC dbo.dbhive_ret 21, @out OUTPUT\nSELECT @out AS doubled",
    )
    .await;
    // Babelfish counts "0 rows" for a statement of this batch that SQL Server sends no count
    // for; only that is left out.
    let babelfish = is_babelfish(&s).await;
    let got: Vec<String> = got
        .into_iter()
        .filter(|e| !(babelfish && e == "C:0"))
        .collect();
    assert_eq!(got, ["N:in proc", "N:Return value: 5", "R:doubled", "r:42"]);
}
