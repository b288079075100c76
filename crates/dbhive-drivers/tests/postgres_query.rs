//! PostgreSQL queries against the real test server: types, scripts, sessions, errors,
//! streaming, cancel.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use dbhive_core::{ErrorKind, QueryEvent, QueryOptions, Value};
use dbhive_drivers::postgres::types::PG_TEXT_STYLE;

/// Every built-in type family, plus enum, domain, composite, arrays of them, and an
/// extension type the driver has never heard of.
const TYPES_SETUP: &str = include_str!("../../../tests/fixtures/pg_types.sql");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_type_decodes_and_renders_as_the_server_writes_it() {
    let conn = pg().await;
    run(&conn, TYPES_SETUP).await.ok();
    let out = run(
        &conn,
        "SELECT * FROM t_types.every ORDER BY c_bool NULLS LAST",
    )
    .await
    .ok();
    let set = &out.results[0];
    assert_eq!(set.rows.len(), 2);
    let names: Vec<&str> = set.columns.iter().map(|c| c.name.as_str()).collect();
    let row = &set.rows[0];
    let col = |name: &str| &row[names.iter().position(|n| *n == name).expect(name)];

    assert_eq!(*col("c_bool"), Value::Bool(true));
    assert_eq!(*col("c_int2"), Value::Int(-32768));
    assert_eq!(*col("c_int8"), Value::Int(i64::MIN));
    assert_eq!(
        *col("c_numeric_big"),
        Value::Decimal("123456789012345678901234567890.123456789".into())
    );
    assert_eq!(*col("c_float4"), Value::Float32(0.1));
    assert_eq!(*col("c_float8"), Value::Float(1e-300));
    assert!(matches!(col("c_nan"), Value::Float(f) if f.is_nan()));
    assert_eq!(*col("c_inf"), Value::Float(f64::NEG_INFINITY));
    assert_eq!(*col("c_bytea"), Value::Bytes(vec![0, 255, 16]));
    assert_eq!(*col("c_text"), Value::Text("héllo \"world\"".into()));
    assert!(matches!(col("c_json"), Value::Json(_)));
    assert!(matches!(col("c_jsonb"), Value::Json(_)));
    assert!(matches!(col("c_uuid"), Value::Uuid(_)));
    assert!(matches!(col("c_date"), Value::Date(_)));
    assert!(matches!(col("c_tstz"), Value::TimestampTz(_)));
    assert!(matches!(col("c_ts"), Value::Timestamp(_)));
    assert_eq!(*col("c_enum"), Value::Text("happy".into()));
    assert_eq!(
        *col("c_domain"),
        Value::Int(42),
        "a domain decodes as its base type"
    );
    assert_eq!(
        *col("c_citext"),
        Value::Text("CaseInsensitive".into()),
        "string-category extension type"
    );
    assert_eq!(
        *col("c_int_arr"),
        Value::Array(vec![Value::Int(1), Value::Null, Value::Int(3)])
    );
    assert_eq!(
        *col("c_enum_arr"),
        Value::Array(vec![Value::Text("sad".into()), Value::Text("happy".into())])
    );
    assert!(
        matches!(col("c_hstore"), Value::Other { type_name, .. } if &**type_name == "hstore"),
        "an unknown extension type keeps its name and text: {:?}",
        col("c_hstore")
    );
    for name in [
        "c_interval",
        "c_money",
        "c_inet",
        "c_int4range",
        "c_point",
        "c_bit",
        "c_tsvector",
        "c_xml",
        "c_composite",
    ] {
        assert!(
            matches!(col(name), Value::Other { .. }),
            "{name}: {:?}",
            col(name)
        );
    }
    let types: Vec<&str> = set.columns.iter().map(|c| c.type_name.as_str()).collect();
    assert_eq!(
        types[names.iter().position(|n| *n == "c_varchar").expect("col")],
        "varchar(10)"
    );
    assert_eq!(
        types[names.iter().position(|n| *n == "c_numeric").expect("col")],
        "numeric(20,5)"
    );
    assert_eq!(
        types[names.iter().position(|n| *n == "c_enum").expect("col")],
        "t_types.mood"
    );

    // The server's own text for each column, side by side with ours.
    // format('%s') applies each type's output function (bool::text would say "true").
    let casts: Vec<String> = names
        .iter()
        .map(|n| format!("CASE WHEN {n} IS NOT NULL THEN format('%s', {n}) END"))
        .collect();
    let server = run(
        &conn,
        &format!(
            "SELECT {} FROM t_types.every ORDER BY c_bool NULLS LAST",
            casts.join(", ")
        ),
    )
    .await
    .ok();
    for (r, (ours, theirs)) in set.rows.iter().zip(&server.results[0].rows).enumerate() {
        for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
            let mine = a.to_text(&PG_TEXT_STYLE);
            let server_text = match b {
                Value::Null => None,
                Value::Text(s) => Some(s.clone()),
                other => panic!("format() gave {other:?}"),
            };
            assert_eq!(mine, server_text, "row {r} column {}", names[i]);
        }
    }
    // The all-NULL row stays NULL everywhere, and '' is not NULL.
    assert!(set.rows[1].iter().all(Value::is_null));
    let empty = run(&conn, "SELECT ''::text, NULL::text").await.ok();
    assert_eq!(
        empty.results[0].rows[0],
        vec![Value::Text(String::new()), Value::Null]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_yields_every_result_set_in_order() {
    let conn = pg().await;
    let session = conn.open_session(None).await.expect("session");
    let out = run_on(
        &session,
        "CREATE TEMP TABLE s(id serial PRIMARY KEY, v text);
         SELECT * FROM s;
         INSERT INTO s(v) VALUES ('a'), ('b'), ('c');
         UPDATE s SET v = upper(v) WHERE id > 1;
         SELECT id, v FROM s ORDER BY id;
         DELETE FROM s WHERE id = 1 RETURNING id;",
    )
    .await
    .ok();
    let r = &out.results;
    assert_eq!(r.len(), 6);
    assert!(!r[0].has_columns);
    assert_eq!(r[0].command.as_deref(), Some("CREATE TABLE"));
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
    assert_eq!(r[3].rows_affected, Some(2));
    assert_eq!(r[4].rows.len(), 3);
    assert_eq!(r[4].rows[2], vec![Value::Int(3), Value::Text("C".into())]);
    assert_eq!(r[5].rows, vec![vec![Value::Int(1)]]);
    assert_eq!(r[5].rows_affected, Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_and_session_state() {
    let conn = pg().await;
    let session = conn.open_session(None).await.expect("session");
    let out = run_on(
        &session,
        "DO $$ BEGIN RAISE NOTICE 'hello %', 42; RAISE WARNING 'careful' USING HINT = 'really'; END $$;
         SET application_name = 'notice-test'; CREATE TEMP TABLE mine(x int); INSERT INTO mine VALUES (1);",
    )
    .await
    .ok();
    assert_eq!(out.notices.len(), 2);
    assert_eq!(out.notices[0].severity, "NOTICE");
    assert_eq!(out.notices[0].message, "hello 42");
    assert_eq!(out.notices[1].severity, "WARNING");
    assert_eq!(out.notices[1].hint.as_deref(), Some("really"));

    // The same session keeps its settings and temp tables; another session does not see them.
    let again = run_on(
        &session,
        "SELECT current_setting('application_name'), (SELECT count(*) FROM mine)",
    )
    .await
    .ok();
    assert_eq!(
        again.results[0].rows[0],
        vec![Value::Text("notice-test".into()), Value::Int(1)]
    );
    let other = conn.open_session(None).await.expect("second session");
    let err = run_on(&other, "SELECT * FROM mine").await.err();
    assert_eq!(err.kind, ErrorKind::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_carry_kind_code_and_position_and_leave_the_session_usable() {
    let conn = pg().await;
    let session = conn.open_session(None).await.expect("session");

    let sql = "SELECT 1;\nSELECT * FORM nowhere";
    let e = run_on(&session, sql).await.err();
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert_eq!(e.code.as_deref(), Some("42601"));
    assert_eq!(e.line_column(sql), Some((2, 10)));

    run_on(&session, "CREATE TEMP TABLE gone(x int); DROP TABLE gone;")
        .await
        .ok();
    let e = run_on(&session, "SELECT x FROM gone").await.err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_eq!(e.code.as_deref(), Some("42P01"));
    assert_eq!(e.position, Some(15));

    let e = run_on(&session, "SELECT 1/0").await.err();
    assert_eq!(
        (e.kind, e.code.as_deref()),
        (ErrorKind::Query, Some("22012"))
    );

    // A failed transaction needs a ROLLBACK, as in psql.
    let e = run_on(&session, "BEGIN; SELECT nope;").await.err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    let e = run_on(&session, "SELECT 1").await.err();
    assert_eq!(e.code.as_deref(), Some("25P02"));
    run_on(&session, "ROLLBACK").await.ok();

    run_on(&session, "CREATE TEMP TABLE u(x int UNIQUE)")
        .await
        .ok();
    let e = run_on(&session, "INSERT INTO u VALUES (1), (1)")
        .await
        .err();
    assert_eq!(e.kind, ErrorKind::Constraint);

    let e = run_on(&session, "SELECT 'a\0b'").await.err();
    assert_eq!(e.kind, ErrorKind::Syntax);

    // COPY FROM STDIN cannot be fed from here: a clear error, and the session goes on.
    let e = run_on(&session, "COPY u FROM STDIN").await.err();
    assert!(e.message.contains("not supported"), "{e:?}");
    assert_eq!(
        *run_on(&session, "SELECT 41 + 1").await.ok().scalar(),
        Value::Int(42)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_to_stdout_is_a_result() {
    let conn = pg().await;
    let out = run(
        &conn,
        "COPY (SELECT 1 AS a, 'x y' AS b UNION ALL SELECT 2, NULL) TO STDOUT",
    )
    .await
    .ok();
    assert_eq!(out.results.len(), 1);
    assert_eq!(
        out.results[0].rows,
        vec![
            vec![Value::Text("1\tx y".into())],
            vec![Value::Text("2\t\\N".into())]
        ]
    );
    assert_eq!(out.results[0].command.as_deref(), Some("COPY 2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_megabyte_value_round_trips() {
    let conn = pg().await;
    let session = conn.open_session(None).await.expect("session");
    let out = run_on(
        &session,
        "SELECT repeat('x', 50 * 1024 * 1024) AS big, length(repeat('y', 3)) AS small",
    )
    .await
    .ok();
    match &out.results[0].rows[0][0] {
        Value::Text(s) => assert_eq!(s.len(), 50 * 1024 * 1024),
        other => panic!("{other:?}"),
    }
    let out = run_on(
        &session,
        "CREATE TEMP TABLE blob AS SELECT decode(repeat('00ff', 25 * 1024 * 1024), 'hex') AS b;
         SELECT b, length(b) FROM blob;",
    )
    .await
    .ok();
    let rows = &out.results[1].rows;
    match &rows[0][0] {
        Value::Bytes(b) => {
            assert_eq!(b.len(), 50 * 1024 * 1024);
            assert_eq!(&b[..4], &[0, 255, 0, 255]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(rows[0][1], Value::Int(50 * 1024 * 1024));
    // The buffer that held it is not kept: the next small query still works normally.
    assert_eq!(
        *run_on(&session, "SELECT 1").await.ok().scalar(),
        Value::Int(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_rows_stream_in_bounded_batches() {
    let conn = pg().await;
    let mut stream = conn
        .execute(
            "SELECT g, g * 2 AS twice, 'row ' || g AS label, g % 7 = 0 AS lucky, now() AS at
               FROM generate_series(1, 1000000) g",
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
    // A batch is capped by size (~2 MB), so memory in flight stays bounded.
    assert!(biggest < 100_000, "largest batch {biggest} rows");
    let first = first_batch.expect("a first batch");
    assert!(
        first * 4 < total,
        "the first rows arrive long before the end: {first:?} of {total:?}"
    );
}

/// Whether the backend `pid` is still running `needle`, asked through another connection.
async fn still_running(conn: &Arc<dyn dbhive_core::Connection>, pid: i32, needle: &str) -> bool {
    let out = run(
        conn,
        &format!("SELECT count(*) FROM pg_stat_activity WHERE pid = {pid} AND state = 'active' AND query LIKE '%{needle}%'"),
    )
    .await
    .ok();
    *out.scalar() != Value::Int(0)
}

async fn backend_pid(session: &Arc<dyn dbhive_core::Session>) -> i32 {
    match run_on(session, "SELECT pg_backend_pid()")
        .await
        .ok()
        .scalar()
    {
        Value::Int(p) => *p as i32,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_pg_sleep_on_the_server_and_the_session_goes_on() {
    let conn = pg().await;
    let session = conn.open_session(None).await.expect("session");
    let pid = backend_pid(&session).await;

    let stream = session.clone().execute(
        "SELECT pg_sleep(600) /* cancel-me */".into(),
        QueryOptions::default(),
    );
    let handle = stream.handle();
    let waiting = tokio::spawn(collect(stream));
    // Wait until the server really runs it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !still_running(&conn, pid, "cancel-me").await {
        assert!(Instant::now() < deadline, "the sleep never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    handle.cancel();
    let out = within("the cancelled sleep", waiting)
        .await
        .expect("collector");
    assert!(out.cancelled);
    assert_eq!(
        out.error.as_ref().map(|e| e.kind),
        Some(ErrorKind::Cancelled)
    );
    // The backend reports itself idle just before it says it is ready, which can be a moment
    // after the client has the cancel error; a sleep that was not cancelled stays for minutes.
    let deadline = Instant::now() + Duration::from_secs(5);
    while still_running(&conn, pid, "cancel-me").await {
        assert!(Instant::now() < deadline, "pg_stat_activity still shows it");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        *run_on(&session, "SELECT 'still here'").await.ok().scalar(),
        Value::Text("still here".into())
    );
    assert_eq!(
        backend_pid(&session).await,
        pid,
        "same server session, not a reconnect"
    );
}

/// A cancel request names a backend, not a statement: a cancel asked for as a statement
/// ends must not stop the session's next one. Before cancels carried their statement's
/// ticket (src/running.rs), this failed in 4 of 30 runs on a loaded machine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_cancel_never_reaches_the_next_statement() {
    let conn = pg().await;
    let session = conn.open_session(None).await.expect("session");
    assert_late_cancels_spare_the_next_statement(
        &session,
        "SELECT pg_sleep(0.02)",
        |i| Duration::from_micros(17_000 + u64::from(i % 7) * 1_000),
        |i| {
            (
                format!("SELECT pg_sleep(0.05)::text AS slept, {i} AS next"),
                vec![vec![Value::Text(String::new()), Value::Int(i.into())]],
            )
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_cancels_on_the_server() {
    let conn = pg().await;
    let session = conn.open_session(None).await.expect("session");
    let out = within(
        "a 300 ms timeout on a 10-minute sleep",
        collect(session.clone().execute(
            "SELECT pg_sleep(600)".into(),
            QueryOptions {
                timeout_ms: Some(300),
            },
        )),
    )
    .await;
    let e = out.error.expect("timeout error");
    assert_eq!(e.kind, ErrorKind::Timeout);
    assert_eq!(
        *run_on(&session, "SELECT 1").await.ok().scalar(),
        Value::Int(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_stream_stops_the_query() {
    let conn = pg().await;
    let session = conn.open_session(None).await.expect("session");
    let pid = backend_pid(&session).await;
    let stream = session.clone().execute(
        "SELECT pg_sleep(600) /* dropped */".into(),
        QueryOptions::default(),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !still_running(&conn, pid, "dropped").await {
        assert!(Instant::now() < deadline, "the sleep never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(stream);
    let deadline = Instant::now() + Duration::from_secs(10);
    while still_running(&conn, pid, "dropped").await {
        assert!(Instant::now() < deadline, "the server kept running it");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_whose_server_process_dies_reports_it_and_reconnects() {
    let conn = pg().await;
    let session = conn.open_session(None).await.expect("session");
    let pid = backend_pid(&session).await;
    let stream = session.clone().execute(
        "SELECT pg_sleep(600) /* doomed */".into(),
        QueryOptions::default(),
    );
    let waiting = tokio::spawn(collect(stream));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !still_running(&conn, pid, "doomed").await {
        assert!(Instant::now() < deadline, "the sleep never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    run(&conn, &format!("SELECT pg_terminate_backend({pid})"))
        .await
        .ok();
    let out = within("the statement on a killed backend", waiting)
        .await
        .expect("collector");
    let e = out.error.expect("an error");
    assert_eq!(e.kind, ErrorKind::Connection, "{e:?}");

    let out = run_on(&session, "SELECT pg_backend_pid() <> 0").await.ok();
    assert_eq!(*out.scalar(), Value::Bool(true));
    assert!(
        out.notices
            .iter()
            .any(|n| n.message.contains("reconnected")),
        "the user is told that session state was reset: {:?}",
        out.notices
    );
    assert_ne!(backend_pid(&session).await, pid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_killed_by_the_server_are_replaced_silently_for_metadata() {
    let (mut config, secret) = pg_config();
    config
        .options
        .insert("application_name".into(), "dbhive-idle-kill-test".into());
    let conn = connect(&config, secret).await;
    let session = conn.open_session(None).await.expect("session");
    conn.list_children(&[]).await.expect("tree");
    let killer = pg().await;
    run(&killer, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'dbhive-idle-kill-test'")
        .await
        .ok();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = run(&killer, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dbhive-idle-kill-test'")
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
    let out = run_on(&session, "SELECT 1").await.ok();
    assert!(
        out.notices
            .iter()
            .any(|n| n.message.contains("reconnected"))
    );
}
