//! MySQL / MariaDB queries against the real test server: types, scripts and procedures,
//! sessions, warnings, errors, streaming, cancel.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use dbhive_core::{Connection, ErrorKind, QueryEvent, QueryOptions, Session, Value};
use dbhive_drivers::mysql::types::MYSQL_TEXT_STYLE;

const TYPES_SETUP: &str = include_str!("../../../tests/fixtures/mysql_types.sql");

fn dec(s: &str) -> Value {
    Value::Decimal(s.into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_type_decodes_as_the_server_writes_it() {
    let conn = mysql().await;
    let session = conn.open_session(None).await.expect("session");
    run_on(&session, TYPES_SETUP).await.ok();
    let out = run_on(&session, "SELECT * FROM all_types ORDER BY id")
        .await
        .ok();
    let set = &out.results[0];
    assert_eq!(set.rows.len(), 3);
    let names: Vec<&str> = set.columns.iter().map(|c| c.name.as_str()).collect();
    let index = |name: &str| names.iter().position(|n| *n == name).expect(name);
    let cell = |row: usize, name: &str| &set.rows[row][index(name)];
    let type_of = |name: &str| set.columns[index(name)].type_name.as_str();

    // Integers: every width at both ends, signed and unsigned.
    let ints = [
        ("ti", -128i64),
        ("tiu", 255),
        ("si", -32768),
        ("siu", 65535),
        ("mi", -8388608),
        ("miu", 16777215),
        ("i", -2147483648),
        ("iu", 4294967295),
        ("bi", i64::MIN),
    ];
    for (name, v) in ints {
        assert_eq!(*cell(0, name), Value::Int(v), "{name}");
    }
    assert_eq!(*cell(0, "biu"), Value::UInt(u64::MAX));
    assert_eq!(type_of("biu"), "BIGINT UNSIGNED");
    assert_eq!(type_of("mi"), "MEDIUMINT");
    // ZEROFILL and YEAR keep the server's padding.
    assert_eq!(*cell(0, "zf"), dec("00042"));
    assert_eq!(*cell(1, "zf"), dec("00000"));
    assert_eq!(*cell(0, "y"), dec("2155"));
    assert_eq!(*cell(2, "y"), dec("0000"));

    // Numbers the server formats keep its text: no second rounding.
    assert_eq!(*cell(0, "de"), dec("-12345678901234567890.0123456789"));
    assert_eq!(*cell(1, "de"), dec("0.5000000000"));
    assert_eq!(*cell(0, "f"), dec("3.14159"));
    assert_eq!(*cell(1, "f"), dec("-0.1"));
    assert_eq!(*cell(0, "d"), dec("1.7976931348623157e308"));
    assert_eq!(type_of("de"), "DECIMAL");

    // BIT is bytes, big-endian, as the server sends it.
    assert_eq!(*cell(0, "b"), Value::Bytes(vec![0b10, 0b1010_1010]));
    assert_eq!(*cell(0, "b1"), Value::Bytes(vec![1]));
    assert_eq!(type_of("b"), "BIT");

    // Dates and times, fractional seconds and zero dates.
    assert_eq!(*cell(0, "dt"), Value::Date("9999-12-31".into()));
    assert_eq!(*cell(2, "dt"), Value::Date("0000-00-00".into()));
    assert_eq!(*cell(0, "tm"), Value::Time("-838:59:59.000".into()));
    assert_eq!(*cell(1, "tm"), Value::Time("12:34:56.789".into()));
    assert_eq!(
        *cell(0, "dtm"),
        Value::Timestamp("2024-02-29 23:59:59.999999".into())
    );
    assert_eq!(
        *cell(2, "dtm"),
        Value::Timestamp("0000-00-00 00:00:00.000000".into())
    );
    assert_eq!(
        *cell(0, "ts"),
        Value::Timestamp("2038-01-19 03:14:07.99".into())
    );
    assert_eq!(type_of("ts"), "TIMESTAMP");

    assert_eq!(*cell(0, "e"), Value::Text("large".into()));
    assert_eq!(type_of("e"), "ENUM");
    assert_eq!(*cell(0, "s"), Value::Text("a,c".into()));
    assert_eq!(*cell(1, "s"), Value::Text("".into()));
    assert_eq!(type_of("s"), "SET");
    // MariaDB's JSON is LONGTEXT with a check: its text, untouched.
    assert_eq!(
        *cell(0, "j"),
        Value::Text(r#"{"k": [1, 2.5, "x"], "n": null}"#.into())
    );

    assert_eq!(*cell(0, "bl"), Value::Bytes(vec![0, 0xff, 0x10]));
    assert_eq!(*cell(1, "bl"), Value::Bytes(vec![]), "empty, not NULL");
    assert_eq!(*cell(0, "bn"), Value::Bytes(b"ab\0\0".to_vec()));
    assert_eq!(*cell(0, "vb"), Value::Bytes(vec![0xde, 0xad, 0xbe, 0xef]));
    assert_eq!(type_of("bl"), "BLOB");
    assert_eq!(type_of("vb"), "VARBINARY");
    match cell(0, "g") {
        // SRID 0, then WKB: little-endian point (1 2).
        Value::Bytes(b) => {
            assert_eq!(b.len(), 25);
            assert_eq!(&b[..9], &[0, 0, 0, 0, 1, 1, 0, 0, 0]);
            assert_eq!(b[9..17], 1f64.to_le_bytes());
        }
        other => panic!("geometry: {other:?}"),
    }
    assert_eq!(type_of("g"), "GEOMETRY");

    assert_eq!(*cell(0, "u8"), Value::Text("ünïcödé 😀".into()));
    assert_eq!(
        *cell(0, "l1"),
        Value::Text("café".into()),
        "latin1 arrives as UTF-8"
    );
    assert_eq!(*cell(0, "bc"), Value::Text("Case".into()));
    assert_eq!(*cell(1, "u8"), Value::Text("".into()));
    for name in [
        "ti", "biu", "de", "f", "b", "tm", "ts", "e", "j", "bl", "g", "u8", "tx",
    ] {
        assert_eq!(*cell(2, name), Value::Null, "{name}");
    }

    // Export text: the server's spelling, binary as \x hex.
    let text = |v: &Value| v.to_text(&MYSQL_TEXT_STYLE).unwrap_or_default();
    assert_eq!(text(cell(0, "biu")), "18446744073709551615");
    assert_eq!(text(cell(0, "b")), "\\x02aa");
    assert_eq!(text(cell(0, "bl")), "\\x00ff10");
    assert_eq!(text(cell(0, "d")), "1.7976931348623157e308");

    // Result columns know where they come from.
    let origin = set.columns[index("u8")].origin.as_ref().expect("origin");
    assert_eq!(
        (origin.table.as_str(), origin.column.as_str()),
        ("all_types", "u8")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_in_a_text_column_arrives_as_bytes() {
    let conn = mysql().await;
    let session = conn.open_session(None).await.expect("session");
    // A latin1 column read with the connection charset switched to binary: raw bytes.
    let out = run_on(
        &session,
        "SET NAMES binary; SELECT CAST(x'C328' AS CHAR) AS broken, 'fine' AS ok; SET NAMES utf8mb4;",
    )
    .await
    .ok();
    let set = out.results.iter().find(|r| r.has_columns).expect("rows");
    assert_eq!(set.rows[0][0], Value::Bytes(vec![0xc3, 0x28]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_and_a_procedure_yield_every_result_set_in_order() {
    let conn = mysql().await;
    let session = conn.open_session(None).await.expect("session");
    let out = run_on(
        &session,
        "CREATE TEMPORARY TABLE s(id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(10));
         SELECT * FROM s;
         INSERT INTO s(v) VALUES ('a'), ('b'), ('c');
         UPDATE s SET v = UPPER(v) WHERE id > 1;
         SELECT id, v FROM s ORDER BY id;
         DELETE FROM s WHERE id = 1",
    )
    .await
    .ok();
    let r = &out.results;
    assert_eq!(r.len(), 6, "{r:?}");
    assert!(!r[0].has_columns);
    assert_eq!(r[0].command.as_deref(), Some("Query OK, 0 rows affected"));
    assert!(
        r[1].has_columns && r[1].rows.is_empty(),
        "an empty result still has its columns"
    );
    assert_eq!(
        r[1].columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["id", "v"]
    );
    assert_eq!(r[2].rows_affected, Some(3));
    assert_eq!(
        r[2].last_insert_id,
        Some(1),
        "MySQL reports the first id of a multi-row insert"
    );
    assert_eq!(r[3].rows_affected, Some(2));
    assert!(
        r[3].command
            .as_deref()
            .unwrap_or_default()
            .contains("Rows matched: 2"),
        "{:?}",
        r[3].command
    );
    assert_eq!(r[4].rows[2], vec![Value::Int(3), Value::Text("C".into())]);
    assert_eq!(r[5].rows_affected, Some(1));

    // A procedure returning two result sets, then its own status.
    run_on(
        &session,
        "DROP PROCEDURE IF EXISTS two_results;
         CREATE PROCEDURE two_results(IN n INT)
         BEGIN
           SELECT n AS first;
           SELECT n * 2 AS second, 'x' AS label UNION ALL SELECT n * 3, 'y';
         END",
    )
    .await
    .ok();
    let out = run_on(&session, "CALL two_results(7)").await.ok();
    let sets: Vec<&ResultSet> = out.results.iter().filter(|r| r.has_columns).collect();
    assert_eq!(sets.len(), 2, "{:?}", out.results);
    assert_eq!(sets[0].rows, vec![vec![Value::Int(7)]]);
    assert_eq!(sets[1].columns[1].name, "label");
    assert_eq!(sets[1].rows.len(), 2);
    assert_eq!(
        *run_on(&session, "SELECT 'after the call'")
            .await
            .ok()
            .scalar(),
        Value::Text("after the call".into()),
        "the session is in sync after a CALL"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warnings_become_notices_and_session_state_is_kept() {
    let conn = mysql().await;
    let session = conn.open_session(None).await.expect("session");
    let out = run_on(
        &session,
        "SET SESSION sql_mode = '';
         CREATE TEMPORARY TABLE w(x TINYINT, s VARCHAR(3));
         INSERT INTO w VALUES (1000, 'toolong')",
    )
    .await
    .ok();
    let codes: Vec<&str> = out
        .notices
        .iter()
        .filter_map(|n| n.code.as_deref())
        .collect();
    assert!(codes.contains(&"1264"), "out of range: {:?}", out.notices);
    assert!(codes.contains(&"1265"), "truncated: {:?}", out.notices);
    assert!(out.notices.iter().all(|n| n.severity == "WARNING"));

    // User variables, settings and temporary tables survive between queries of a session.
    run_on(
        &session,
        "SET @answer = 42; SET SESSION time_zone = '+05:30'",
    )
    .await
    .ok();
    let again = run_on(
        &session,
        "SELECT @answer, @@session.time_zone, (SELECT COUNT(*) FROM w)",
    )
    .await
    .ok();
    assert_eq!(
        again.results[0].rows[0],
        vec![Value::Int(42), Value::Text("+05:30".into()), Value::Int(1)]
    );
    let other = conn.open_session(None).await.expect("second session");
    let e = run_on(&other, "SELECT * FROM w").await.err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_eq!(
        *run_on(&other, "SELECT @answer").await.ok().scalar(),
        Value::Null
    );

    // A transaction stays open across queries of the session.
    run_on(&session, "START TRANSACTION; INSERT INTO w VALUES (2, 'b')")
        .await
        .ok();
    run_on(&session, "ROLLBACK").await.ok();
    assert_eq!(
        *run_on(&session, "SELECT COUNT(*) FROM w")
            .await
            .ok()
            .scalar(),
        Value::Int(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_carry_kind_code_and_position_and_leave_the_session_usable() {
    let conn = mysql().await;
    let session = conn.open_session(None).await.expect("session");

    let sql = "SELECT 1;\nSELECT * FORM nowhere";
    let e = run_on(&session, sql).await.err();
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert_eq!(e.code.as_deref(), Some("1064"));
    assert_eq!(e.line_column(sql), Some((2, 10)), "{e:?}");

    let sql = "SELECT 1 +";
    let e = run_on(&session, sql).await.err();
    assert_eq!(e.kind, ErrorKind::Syntax);
    // Just past the last character, as PostgreSQL reports an early end of input.
    assert_eq!(
        e.position,
        Some(11),
        "an early end points at the end: {e:?}"
    );

    run_on(
        &session,
        "CREATE TABLE gone_soon(x INT); DROP TABLE gone_soon;",
    )
    .await
    .ok();
    let e = run_on(&session, "SELECT x FROM gone_soon").await.err();
    assert_eq!(
        (e.kind, e.code.as_deref()),
        (ErrorKind::NotFound, Some("1146"))
    );
    assert!(e.message.contains("gone_soon"), "{e}");

    let e = run_on(&session, "SELECT nope FROM (SELECT 1 AS x) t")
        .await
        .err();
    assert_eq!(
        (e.kind, e.code.as_deref()),
        (ErrorKind::NotFound, Some("1054"))
    );

    run_on(&session, "CREATE TEMPORARY TABLE u(x INT UNIQUE)")
        .await
        .ok();
    let e = run_on(&session, "INSERT INTO u VALUES (1), (1)")
        .await
        .err();
    assert_eq!(
        (e.kind, e.code.as_deref()),
        (ErrorKind::Constraint, Some("1062"))
    );

    // An error in the middle of a script: the results before it arrive, then the error.
    let out = run_on(
        &session,
        "SELECT 'before'; SELECT * FROM missing_x; SELECT 'after'",
    )
    .await;
    assert_eq!(out.results.len(), 1);
    assert_eq!(
        out.error.as_ref().map(|e| e.kind),
        Some(ErrorKind::NotFound)
    );

    assert_eq!(
        *run_on(&session, "SELECT 41 + 1").await.ok().scalar(),
        Value::Int(42)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_megabyte_value_round_trips() {
    let conn = mysql().await;
    let session = conn.open_session(None).await.expect("session");
    let out = run_on(
        &session,
        "SELECT REPEAT('x', 50 * 1024 * 1024) AS big, LENGTH('yyy') AS small",
    )
    .await
    .ok();
    match &out.results[0].rows[0][0] {
        Value::Text(s) => assert_eq!(s.len(), 50 * 1024 * 1024),
        other => panic!("{other:?}"),
    }
    assert_eq!(out.results[0].rows[0][1], Value::Int(3));
    let out = run_on(
        &session,
        "SELECT UNHEX(REPEAT('00FF', 25 * 1024 * 1024)) AS b",
    )
    .await
    .ok();
    match &out.results[0].rows[0][0] {
        Value::Bytes(b) => {
            assert_eq!(b.len(), 50 * 1024 * 1024);
            assert_eq!(&b[..4], &[0, 255, 0, 255]);
        }
        other => panic!("{other:?}"),
    }
    // A statement longer than one 16 MB packet goes out in several.
    let literal = "z".repeat(20 * 1024 * 1024);
    let out = run_on(&session, &format!("SELECT LENGTH('{literal}')"))
        .await
        .ok();
    assert_eq!(*out.scalar(), Value::Int(20 * 1024 * 1024));
    assert_eq!(
        *run_on(&session, "SELECT 1").await.ok().scalar(),
        Value::Int(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_rows_stream_in_bounded_batches() {
    let conn = mysql().await;
    let mut stream = conn
        .execute(
            "SELECT seq, seq * 2 AS twice, CONCAT('row ', seq) AS label, seq % 7 = 0 AS lucky, NOW() AS at
               FROM seq_1_to_1000000",
            QueryOptions::default(),
        )
        .await;
    let started = Instant::now();
    let mut rows = 0usize;
    let mut batches = 0usize;
    let mut biggest = 0usize;
    let mut first_batch = None;
    let mut last_value = Value::Null;
    while let Some(event) = stream.next().await {
        match event {
            QueryEvent::Rows(b) => {
                first_batch.get_or_insert_with(|| started.elapsed());
                rows += b.len();
                batches += 1;
                biggest = biggest.max(b.len());
                last_value = b.row(b.len() - 1)[0].clone();
            }
            QueryEvent::Error(e) => panic!("{e:?}"),
            _ => {}
        }
    }
    let total = started.elapsed();
    assert_eq!(rows, 1_000_000);
    assert_eq!(last_value, Value::Int(1_000_000));
    assert!(batches >= 20, "rows arrive in many batches, got {batches}");
    assert!(biggest < 100_000, "largest batch {biggest} rows");
    let first = first_batch.expect("a first batch");
    assert!(
        first * 4 < total,
        "the first rows arrive long before the end: {first:?} of {total:?}"
    );
}

async fn connection_id(session: &Arc<dyn Session>) -> i64 {
    match run_on(session, "SELECT CONNECTION_ID()")
        .await
        .ok()
        .scalar()
    {
        Value::Int(id) => *id,
        other => panic!("{other:?}"),
    }
}

/// Whether connection `id` is still running a statement containing `needle`.
async fn still_running(conn: &Arc<dyn Connection>, id: i64, needle: &str) -> bool {
    let out = run(
        conn,
        &format!(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST
              WHERE ID = {id} AND COMMAND = 'Query' AND INFO LIKE '%{needle}%'"
        ),
    )
    .await
    .ok();
    *out.scalar() != Value::Int(0)
}

async fn wait_until_running(conn: &Arc<dyn Connection>, id: i64, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !still_running(conn, id, needle).await {
        assert!(Instant::now() < deadline, "the statement never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The client has the server's "query interrupted" error before the server thread has
/// finished its cleanup and left the statement (a clean-clone run once saw the killed scan
/// still listed right after the error), so this polls. An unkilled scan of 10^8 rows would
/// still be listed after five seconds.
async fn gone_within(conn: &Arc<dyn Connection>, id: i64, needle: &str, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while still_running(conn, id, needle).await {
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_kills_the_query_on_the_server_and_the_session_goes_on() {
    let conn = mysql().await;
    let session = conn.open_session(None).await.expect("session");
    run_on(&session, "SET @kept = 'yes'").await.ok();
    let id = connection_id(&session).await;

    let stream = session.clone().execute(
        "SELECT SLEEP(600) /* cancel-me */".into(),
        QueryOptions::default(),
    );
    let handle = stream.handle();
    let waiting = tokio::spawn(collect(stream));
    wait_until_running(&conn, id, "cancel-me").await;
    handle.cancel();
    let out = within("the cancelled sleep", waiting)
        .await
        .expect("collector");
    assert!(out.cancelled);
    assert_eq!(
        out.error.as_ref().map(|e| e.kind),
        Some(ErrorKind::Cancelled)
    );
    assert!(
        gone_within(&conn, id, "cancel-me", Duration::from_secs(5)).await,
        "the processlist still shows it"
    );
    assert_eq!(
        *run_on(&session, "SELECT @kept").await.ok().scalar(),
        Value::Text("yes".into()),
        "same server session: its variables are still there"
    );
    assert_eq!(connection_id(&session).await, id, "not a reconnect");

    // A long scan, not a sleep: KILL QUERY stops it mid-stream too.
    let stream = session.clone().execute(
        "SELECT a.seq, REPEAT('x', 100) FROM seq_1_to_100000 a, seq_1_to_1000 b /* big-scan */"
            .into(),
        QueryOptions::default(),
    );
    let handle = stream.handle();
    let waiting = tokio::spawn(collect(stream));
    wait_until_running(&conn, id, "big-scan").await;
    handle.cancel();
    let out = within("the cancelled scan", waiting)
        .await
        .expect("collector");
    assert!(out.cancelled);
    assert!(
        gone_within(&conn, id, "big-scan", Duration::from_secs(5)).await,
        "the processlist still shows the scan"
    );
    assert_eq!(
        *run_on(&session, "SELECT 2").await.ok().scalar(),
        Value::Int(2)
    );
}

/// KILL QUERY names a connection, not a statement: a cancel that arrives as a statement
/// ends must not stop the session's next one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_cancel_never_reaches_the_next_statement() {
    let conn = mysql().await;
    let session = conn.open_session(None).await.expect("session");
    // Long enough that a KILL sent late would land in it: SLEEP then returns 1.
    assert_late_cancels_spare_the_next_statement(
        &session,
        "SELECT SLEEP(0.02)",
        |i| Duration::from_micros(17_000 + u64::from(i % 7) * 1_000),
        |i| {
            (
                format!("SELECT SLEEP(0.05) AS slept, {i} AS next"),
                vec![vec![Value::Int(0), Value::Int(i.into())]],
            )
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_cancels_on_the_server() {
    let conn = mysql().await;
    let session = conn.open_session(None).await.expect("session");
    let id = connection_id(&session).await;
    let out = within(
        "a 300 ms timeout on a 10-minute sleep",
        collect(session.clone().execute(
            "SELECT SLEEP(600) /* timed-out */".into(),
            QueryOptions {
                timeout_ms: Some(300),
            },
        )),
    )
    .await;
    assert_eq!(out.error.expect("timeout error").kind, ErrorKind::Timeout);
    assert!(
        gone_within(&conn, id, "timed-out", Duration::from_secs(5)).await,
        "the processlist still shows it"
    );
    assert_eq!(
        *run_on(&session, "SELECT 1").await.ok().scalar(),
        Value::Int(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_stream_stops_the_query() {
    let conn = mysql().await;
    let session = conn.open_session(None).await.expect("session");
    let id = connection_id(&session).await;
    let stream = session.clone().execute(
        "SELECT SLEEP(600) /* dropped */".into(),
        QueryOptions::default(),
    );
    wait_until_running(&conn, id, "dropped").await;
    drop(stream);
    assert!(
        gone_within(&conn, id, "dropped", Duration::from_secs(5)).await,
        "the server kept running it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_whose_connection_is_killed_reports_it_and_reconnects() {
    let conn = mysql().await;
    let session = conn.open_session(None).await.expect("session");
    let id = connection_id(&session).await;
    let stream = session.clone().execute(
        "SELECT SLEEP(600) /* doomed */".into(),
        QueryOptions::default(),
    );
    let waiting = tokio::spawn(collect(stream));
    wait_until_running(&conn, id, "doomed").await;
    run(&conn, &format!("KILL CONNECTION {id}")).await.ok();
    let out = within("the statement on a killed connection", waiting)
        .await
        .expect("collector");
    let e = out.error.expect("an error");
    assert_eq!(e.kind, ErrorKind::Connection, "{e:?}");

    let out = run_on(&session, "SELECT CONNECTION_ID() <> 0").await.ok();
    assert_eq!(*out.scalar(), Value::Int(1));
    assert!(
        out.notices
            .iter()
            .any(|n| n.message.contains("reconnected")),
        "the user is told that session state was reset: {:?}",
        out.notices
    );
    assert_ne!(connection_id(&session).await, id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_killed_by_the_server_are_replaced() {
    // Its own database, so the victims are told apart from other tests' connections.
    let killer = mysql().await;
    run(&killer, "CREATE DATABASE IF NOT EXISTS dbhive_idle_kill")
        .await
        .ok();
    let (mut config, secret) = mysql_config();
    config.database = Some("dbhive_idle_kill".into());
    let conn = connect(&config, secret).await;
    let session = conn.open_session(None).await.expect("session");
    conn.list_children(&[]).await.expect("tree");
    let victims = run(
        &killer,
        "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = 'dbhive_idle_kill' AND ID <> CONNECTION_ID()",
    )
    .await
    .ok();
    assert!(
        victims.results[0].rows.len() >= 2,
        "the pool and the session"
    );
    for row in &victims.results[0].rows {
        run(
            &killer,
            &format!("KILL CONNECTION {}", text_or_int(&row[0])),
        )
        .await
        .ok();
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = run(
            &killer,
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = 'dbhive_idle_kill'",
        )
        .await
        .ok();
        if *left.scalar() == Value::Int(0) {
            break;
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let dbs = conn
        .list_children(&[])
        .await
        .expect("the pool replaced the dead connection");
    assert!(!dbs.is_empty());
    let out = run_on(&session, "SELECT DATABASE()").await.ok();
    assert_eq!(*out.scalar(), Value::Text("dbhive_idle_kill".into()));
    assert!(
        out.notices
            .iter()
            .any(|n| n.message.contains("reconnected"))
    );
}

fn text_or_int(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::UInt(i) => i.to_string(),
        other => panic!("{other:?}"),
    }
}
