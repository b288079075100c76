//! The `dbhive` binary as a shell user meets it: byte-exact CSV against the engines' own
//! tools, streaming, exit codes, Ctrl-C, JSON shapes, memory on big results.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_dbhive");

fn pg_url() -> String {
    std::env::var("DBHIVE_TEST_PG_URL").unwrap_or_else(|_| {
        panic!("DBHIVE_TEST_PG_URL is not set: run the README's test command (scripts/test.sh), which starts the test PostgreSQL")
    })
}

/// psql's arguments for the same server, and the password in its environment.
fn psql(sql: &str) -> Vec<u8> {
    let (config, secret) = dbhive_core::ConnectionConfig::from_url(&pg_url()).expect("url");
    let out = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h"])
        .arg(config.host.clone().unwrap_or_default())
        .arg("-p")
        .arg(config.port.unwrap_or(5432).to_string())
        .arg("-U")
        .arg(config.user.clone().unwrap_or_default())
        .arg("-d")
        .arg(config.database.clone().unwrap_or_default())
        .arg("-c")
        .arg(sql)
        .env(
            "PGPASSWORD",
            secret.map(|s| s.expose().to_string()).unwrap_or_default(),
        )
        .output()
        .expect("psql is installed (scripts/setup.sh installs postgresql-client)");
    assert!(
        out.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn dbhive(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run dbhive")
}

fn ok(args: &[&str]) -> Vec<u8> {
    let out = dbhive(args);
    assert!(
        out.status.success(),
        "dbhive {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn setup_types(schema: &str) {
    let sql = include_str!("../../../tests/fixtures/pg_types.sql").replace("t_types", schema);
    ok(&["query", "--url", &pg_url(), "--format", "null", &sql]);
}

#[test]
fn csv_matches_postgres_copy_byte_for_byte() {
    setup_types("cli_types");
    for query in [
        "SELECT * FROM cli_types.every ORDER BY c_bool NULLS LAST",
        // Header quoting, '' against NULL, the lone \. value, line breaks, non-ASCII.
        r#"SELECT '' AS " ", NULL::text AS "a,b", E'x\ny' AS "quo""te", ' lead' AS "ünï", 'a"b' AS c"#,
        r"SELECT '\.' AS only",
        "SELECT g, g * 1.5 AS f, md5(g::text) AS h, timestamptz '2024-03-10 12:00:00+01' - g * interval '1 hour 1 second' AS t FROM generate_series(1, 2000) g",
        "SELECT 1 AS x WHERE false",
    ] {
        let ours = ok(&["query", "--url", &pg_url(), "--format", "csv", query]);
        let theirs = psql(&format!("COPY ({query}) TO STDOUT (FORMAT csv, HEADER)"));
        assert!(
            ours == theirs,
            "{query}\n--- dbhive:\n{}\n--- COPY:\n{}",
            show(&ours),
            show(&theirs)
        );
    }
}

#[test]
fn csv_matches_sqlite3_byte_for_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("types.db");
    // A new file is created only when asked for.
    let url = format!("sqlite://{}?mode=rwc", db.display());
    ok(&[
        "query",
        "--url",
        &url,
        r#"CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, d DATE, n NUMERIC);
           INSERT INTO t VALUES
             (1, 0.1, 'plain', x'414243', '2024-02-29', 12.5),
             (-9223372036854775808, 1e100, 'with space', x'e282ac', NULL, 100),
             (9223372036854775807, -0.0, '', NULL, '', NULL),
             (NULL, 1.0 / 3, 'quote "q" and comma, too', x'', 'x', 1e-7),
             (0, 123456789.123456789, 'line
break', x'0a', 'it''s', 0.5),
             (42, 5e-324, 'ünïcödé', x'7f', 'tab	here', -1),
             (7, 1.7976931348623157e308, 'NULL', x'20', ' ', 3.0);"#,
    ]);
    for query in [
        "SELECT * FROM t",
        "SELECT i AS \"col ümlaut\", r AS \"a,b\", s AS \"\" FROM t ORDER BY i",
        "SELECT 1 AS a; SELECT 'two' AS b, NULL AS c",
        "SELECT typeof(r), r * 2, r / 7 FROM t",
    ] {
        let ours = ok(&["query", "--url", &url, "--format", "csv", query]);
        let theirs = Command::new("sqlite3")
            .args(["-csv", "-header"])
            .arg(&db)
            .arg(query)
            .output()
            .expect("sqlite3 is installed (scripts/setup.sh installs it)");
        assert!(theirs.status.success());
        assert!(
            ours == theirs.stdout,
            "{query}\n--- dbhive:\n{}\n--- sqlite3:\n{}",
            show(&ours),
            show(&theirs.stdout)
        );
    }
}

fn mysql_url() -> String {
    std::env::var("DBHIVE_TEST_MYSQL_URL").unwrap_or_else(|_| {
        panic!("DBHIVE_TEST_MYSQL_URL is not set: run the README's test command (scripts/test.sh), which starts the test MariaDB")
    })
}

/// The `mariadb` client on the test server: `args` before the connection options, `stdin`
/// fed to it, the password in its environment.
fn mariadb(args: &[&str], stdin: Option<&str>) -> Vec<u8> {
    use std::io::Write;
    let (config, secret) = dbhive_core::ConnectionConfig::from_url(&mysql_url()).expect("url");
    let mut child = Command::new("mariadb")
        .args([
            "--no-defaults",
            "--default-character-set=utf8mb4",
            "--protocol=tcp",
        ])
        .args(args)
        .arg(format!(
            "--host={}",
            config.host.clone().unwrap_or_default()
        ))
        .arg(format!("--port={}", config.port.unwrap_or(3306)))
        .arg(format!(
            "--user={}",
            config.user.clone().unwrap_or_default()
        ))
        .arg(config.database.clone().unwrap_or_default())
        .env(
            "MYSQL_PWD",
            secret.map(|s| s.expose().to_string()).unwrap_or_default(),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mariadb is installed (scripts/setup.sh installs mariadb-client)");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.unwrap_or("").as_bytes())
        .expect("write to mariadb");
    drop(input);
    let out = child.wait_with_output().expect("mariadb runs");
    assert!(
        out.status.success(),
        "mariadb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// What `mariadb --batch --raw` would print, field by field, read from `--batch`'s escaped
/// form (raw output cannot tell a newline in a value from the end of a row): every result
/// set as its header and rows, NULL as None. The fixture holds no text 'NULL'.
fn mariadb_results(sql: &str) -> Vec<Vec<Vec<Option<String>>>> {
    let out = String::from_utf8(mariadb(&["--batch", "-e", sql], None)).expect("utf-8");
    let unescape = |field: &str| -> Option<String> {
        if field == "NULL" {
            return None;
        }
        let mut text = String::new();
        let mut chars = field.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                text.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => text.push('\n'),
                Some('t') => text.push('\t'),
                Some('0') => text.push('\0'),
                Some(other) => text.push(other),
                None => text.push('\\'),
            }
        }
        Some(text)
    };
    // A new header starts whenever the field count changes or after the known row count;
    // the queries below keep each result's width distinct from the next one's.
    let mut sets: Vec<Vec<Vec<Option<String>>>> = Vec::new();
    for line in out.lines() {
        let row: Vec<Option<String>> = line.split('\t').map(unescape).collect();
        match sets.last_mut() {
            Some(set) if set[0].len() == row.len() => set.push(row),
            _ => sets.push(vec![row]),
        }
    }
    sets
}

/// RFC 4180 as DB-Hive writes it for MySQL: NULL empty and bare, '' as "", quotes around
/// fields with a comma, a quote, CR or LF.
fn rfc4180(sets: &[Vec<Vec<Option<String>>>]) -> Vec<u8> {
    let mut out = String::new();
    for set in sets {
        for row in set {
            let fields: Vec<String> = row
                .iter()
                .map(|f| match f {
                    None => String::new(),
                    Some(t) if t.is_empty() || t.contains([',', '"', '\r', '\n']) => {
                        format!("\"{}\"", t.replace('"', "\"\""))
                    }
                    Some(t) => t.clone(),
                })
                .collect();
            out.push_str(&fields.join(","));
            out.push('\n');
        }
    }
    out.into_bytes()
}

#[test]
fn csv_matches_mariadb_value_for_value() {
    let url = mysql_url();
    // Loaded by the mariadb client, so that DB-Hive reads data it did not write.
    mariadb(
        &[],
        Some(include_str!("../../../tests/fixtures/mysql_types.sql")),
    );
    let text_columns = "id, ti, tiu, si, siu, mi, miu, i, iu, bi, biu, zf, de, f, d, dt, tm, dtm, ts, \
                        y, e, s, j, u8, l1, bc, tx";
    for query in [
        format!("SELECT {text_columns} FROM all_types ORDER BY id"),
        "SELECT f * 3 AS `a,b`, d / 7 AS `\"q\"`, de * de AS `ümlaut`, -0.0e0 AS z, 1e-300 AS tiny, \
         CAST(1/3 AS DOUBLE) AS third, 'it''s' AS `` FROM all_types WHERE id < 3 ORDER BY id"
            .to_string(),
        "SELECT 1 AS a; SELECT 'two' AS b, NULL AS c".to_string(),
    ] {
        let ours = ok(&["query", "--url", &url, "--format", "csv", &query]);
        let theirs = rfc4180(&mariadb_results(&query));
        assert!(
            ours == theirs,
            "{query}\n--- dbhive:\n{}\n--- mariadb --batch --raw, as CSV:\n{}",
            show(&ours),
            show(&theirs)
        );
    }

    // BIT and binary strings are shown as \x and lowercase hex, as the grid shows them.
    let binary = ["b", "b1", "bl", "bn", "vb", "g"];
    let ours = ok(&[
        "query",
        "--url",
        &url,
        "--format",
        "csv",
        &format!("SELECT {} FROM all_types ORDER BY id", binary.join(", ")),
    ]);
    let hex: Vec<String> = binary
        .iter()
        .map(|c| format!("CONCAT('\\\\x', LOWER(HEX(CONCAT({c})))) AS {c}"))
        .collect();
    let theirs = rfc4180(&mariadb_results(&format!(
        "SELECT {} FROM all_types ORDER BY id",
        hex.join(", ")
    )));
    assert!(
        ours == theirs,
        "--- dbhive:\n{}\n--- mariadb HEX():\n{}",
        show(&ours),
        show(&theirs)
    );
}

#[test]
fn exit_codes_and_messages() {
    let url = pg_url();
    let sql = "SELECT 1;\nSELECT * FORM t";
    let out = dbhive(&["query", "--url", &url, sql]);
    assert_eq!(out.status.code(), Some(1));
    let err = show(&out.stderr);
    assert!(
        err.contains("ERROR:  syntax error at or near \"FORM\" (42601)"),
        "{err}"
    );
    assert!(
        err.contains("LINE 2: SELECT * FORM t\n                 ^"),
        "{err}"
    );

    let out = dbhive(&[
        "query",
        "--url",
        &url,
        "SELECT * FROM no_such_table_anywhere",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(show(&out.stderr).contains("does not exist"));

    let (config, _) = dbhive_core::ConnectionConfig::from_url(&url).expect("url");
    let wrong = format!(
        "postgres://{}:wrong-secret-123@{}:{}/postgres",
        config.user.clone().unwrap_or_default(),
        config.host.clone().unwrap_or_default(),
        config.port.unwrap_or(5432)
    );
    let out = dbhive(&["query", "--url", &wrong, "SELECT 1"]);
    assert_eq!(out.status.code(), Some(3));
    let err = show(&out.stderr);
    assert!(err.contains("password authentication failed"), "{err}");
    assert!(
        !err.contains("wrong-secret-123"),
        "the password is never printed"
    );

    let out = dbhive(&["query", "--url", "postgres://u@127.0.0.1:1/db", "SELECT 1"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(show(&out.stderr).contains("connection refused"));

    let out = dbhive(&[
        "query",
        "--url",
        "postgres://u:pw@host:notaport/db",
        "SELECT 1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!show(&out.stderr).contains("pw@"));

    let out = dbhive(&[
        "query",
        "--url",
        &url,
        "--timeout",
        "0.3",
        "SELECT pg_sleep(10)",
    ]);
    assert_eq!(out.status.code(), Some(4));
    assert!(show(&out.stderr).contains("timeout"));

    let out = dbhive(&["query", "--url", &url, "--bogus-flag", "SELECT 1"]);
    assert_eq!(out.status.code(), Some(2));
}

/// How many backends run a statement whose text ends with `marker */`. The check's own
/// text ends with a quote, so it never counts itself.
fn active_with(marker: &str) -> String {
    let check = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%{marker} */'"
    );
    show(&psql(&format!("COPY ({check}) TO STDOUT")))
        .trim()
        .to_string()
}

/// Polls until `count` backends run the marked statement (10 s at most). After an exit the
/// server marks a backend idle a moment after the client has what it needs, so one look
/// could race; the statements these tests stop would otherwise run for minutes.
fn wait_for_active(marker: &str, count: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while active_with(marker) != count {
        assert!(Instant::now() < deadline, "{what}: {marker}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits for the child, killing it and failing the test if it is still there after 30 s: a
/// bound that tells "it stopped" from "it ran its course" (minutes), not fast from slow.
fn wait_or_fail(child: &mut std::process::Child, what: &str) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: the CLI was still running after 30 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn ctrl_c_cancels_on_the_server() {
    let url = pg_url();
    let mut child = Command::new(BIN)
        .args([
            "query",
            "--url",
            &url,
            "SELECT pg_sleep(600) /* cli-ctrl-c */",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_for_active("cli-ctrl-c", "1", "the statement never started");
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = wait_or_fail(&mut child, "after Ctrl-C");
    assert_eq!(status.code(), Some(130));
    wait_for_active("cli-ctrl-c", "0", "the server still runs the statement");
}

#[test]
fn the_first_row_is_printed_before_the_query_ends() {
    let url = pg_url();
    let mut child = Command::new(BIN)
        .args([
            "query",
            "--url",
            &url,
            "--format",
            "csv",
            // The server flushes its output buffer as it fills, so the first rows leave it
            // while the sleep still runs.
            "SELECT g FROM generate_series(1, 100000) g UNION ALL SELECT 0 FROM pg_sleep(8) /* cli-first-row */",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    assert_eq!(lines.next().and_then(Result::ok).as_deref(), Some("g"));
    assert_eq!(lines.next().and_then(Result::ok).as_deref(), Some("1"));
    // Asked of the server rather than of a clock: the statement is still running.
    assert_eq!(
        active_with("cli-first-row"),
        "1",
        "the first row was printed only after the statement had ended"
    );
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert_eq!(rest.len(), 100_000);
    assert_eq!(rest.last().map(String::as_str), Some("0"));
    assert!(child.wait().expect("wait").success());
}

#[test]
// The child is reaped with wait4 (which also reports its peak RSS), not Child::wait.
#[allow(clippy::zombie_processes)]
fn a_million_rows_in_under_100_mb() {
    let url = pg_url();
    let child = Command::new(BIN)
        .args([
            "query",
            "--url",
            &url,
            "--format",
            "csv",
            "SELECT g, g + 1, g * 2, 'label ' || g, g % 2 = 0, g::float8 / 3, now(), md5(g::text), g::numeric / 7, date '2024-01-01' + g % 365
               FROM generate_series(1, 1000000) g",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id() as i32;
    let mut stdout = child.stdout.expect("stdout");
    let mut lines = 0usize;
    let mut buf = [0u8; 1 << 16];
    loop {
        let n = std::io::Read::read(&mut stdout, &mut buf).expect("read");
        if n == 0 {
            break;
        }
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count();
    }
    let (status, usage) = wait_with_usage(pid);
    assert_eq!(status, 0);
    assert_eq!(lines, 1_000_001, "header and a million rows");
    let peak_mb = usage.ru_maxrss as f64 / 1024.0;
    assert!(peak_mb < 100.0, "peak RSS {peak_mb:.1} MB");
}

/// waitpid with the child's resource usage (peak RSS in kB).
fn wait_with_usage(pid: i32) -> (i32, libc::rusage) {
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4");
    (libc::WEXITSTATUS(status), usage)
}

#[test]
fn a_closed_pipe_stops_the_query() {
    let url = pg_url();
    let mut child = Command::new(BIN)
        .args([
            "query",
            "--url",
            &url,
            "--format",
            "csv",
            // A set-returning function in the select list streams (one in FROM would be
            // materialized first): two billion rows the server produces as they are read.
            "SELECT generate_series(1, 2000000000) AS g /* cli-closed-pipe */",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    assert_eq!(lines.next().and_then(Result::ok).as_deref(), Some("g"));
    assert_eq!(lines.next().and_then(Result::ok).as_deref(), Some("1"));
    drop(lines);
    let status = wait_or_fail(&mut child, "after its reader left");
    assert!(status.success(), "{status:?}");
    wait_for_active(
        "cli-closed-pipe",
        "0",
        "the server still runs the statement",
    );
}

#[test]
fn json_and_jsonl_shapes() {
    let url = pg_url();
    let out = ok(&[
        "query",
        "--url",
        &url,
        "--format",
        "json",
        "SELECT 1 AS n, NULL::text AS missing, ''::text AS empty, '{\"k\": [1]}'::jsonb AS doc, 1.50::numeric AS exact, 'NaN'::float8 AS nan, '\\x00ff'::bytea AS bin, ARRAY[1,2] AS arr; CREATE TEMP TABLE j(x int); INSERT INTO j VALUES (1), (2)",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    let results = doc["results"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    assert_eq!(
        results[0]["columns"][3],
        serde_json::json!({"name": "doc", "type": "jsonb"})
    );
    assert_eq!(
        results[0]["rows"][0],
        serde_json::json!([1, null, "", {"k": [1]}, "1.50", "NaN", "\\x00ff", [1, 2]])
    );
    assert_eq!(results[0]["row_count"], 1);
    assert_eq!(results[2]["command"], "INSERT 0 2");
    assert_eq!(results[2]["rows_affected"], 2);
    assert_eq!(doc["error"], serde_json::Value::Null);

    let out = dbhive(&[
        "query",
        "--url",
        &url,
        "--format",
        "json",
        "SELECT 1 AS a; SELECT nope",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("valid JSON even on error");
    assert_eq!(doc["error"]["kind"], "not_found");
    assert_eq!(doc["error"]["position"], 23);

    let out = ok(&[
        "query",
        "--url",
        &url,
        "--format",
        "jsonl",
        "SELECT 1 AS a, 2 AS a, 'x' AS b UNION ALL SELECT 3, 4, NULL",
    ]);
    let lines: Vec<serde_json::Value> = show(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("line"))
        .collect();
    assert_eq!(
        lines,
        [
            serde_json::json!({"a": 1, "a_2": 2, "b": "x"}),
            serde_json::json!({"a": 3, "a_2": 4, "b": null})
        ]
    );
}

#[test]
fn tree_describe_and_ddl_commands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("meta.db");
    // A new file is created only when asked for.
    let url = format!("sqlite://{}?mode=rwc", db.display());
    ok(&[
        "query",
        "--url",
        &url,
        "CREATE TABLE \"a/b\" (id INTEGER PRIMARY KEY, name TEXT NOT NULL); CREATE INDEX ix ON \"a/b\"(name);",
    ]);
    let top: serde_json::Value =
        serde_json::from_slice(&ok(&["tree", "--url", &url, "--format", "json"])).expect("json");
    assert_eq!(top[0]["name"], "main");
    assert_eq!(top[0]["kind"], "database");
    let tables: serde_json::Value = serde_json::from_slice(&ok(&[
        "tree",
        "--url",
        &url,
        "--path",
        "main/tables",
        "--format",
        "json",
    ]))
    .expect("json");
    assert_eq!(tables[0]["name"], "a/b");
    let cols: serde_json::Value = serde_json::from_slice(&ok(&[
        "tree",
        "--url",
        &url,
        "--path",
        r"main/tables/a\/b",
        "--format",
        "json",
    ]))
    .expect("json");
    assert_eq!(cols[0]["name"], "id");
    assert_eq!(cols[1]["detail"], "TEXT NOT NULL");
    let same: serde_json::Value = serde_json::from_slice(&ok(&[
        "tree",
        "--url",
        &url,
        "--path",
        r#"["main","tables","a/b"]"#,
        "--format",
        "json",
    ]))
    .expect("json");
    assert_eq!(cols, same);

    let d: serde_json::Value = serde_json::from_slice(&ok(&[
        "describe", "--url", &url, "--table", "\"a/b\"", "--format", "json",
    ]))
    .expect("json");
    assert_eq!(d["primary_key"]["columns"], serde_json::json!(["id"]));
    assert_eq!(d["indexes"][0]["name"], "ix");
    let ddl = show(&ok(&["ddl", "--url", &url, "--table", "main.\"a/b\""]));
    assert!(ddl.starts_with("CREATE TABLE \"a/b\""), "{ddl}");

    let out = dbhive(&["describe", "--url", &url, "--table", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(show(&out.stderr).contains("no such table"));

    // A reader that stops early (`| head -c 1`) ends the command quietly, not in a panic.
    let mut child = Command::new(BIN)
        .args(["tree", "--url", &url, "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        show(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "{}", show(&out.stderr));
}

/// `dbhive` with `input` on standard input.
fn dbhive_with_input(args: &[&str], envs: &[(&str, &str)], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("DBHIVE_URL")
        .env_remove("DBHIVE_PASSWORD")
        .envs(envs.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run dbhive");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input).expect("write stdin");
    }
    child.wait_with_output().expect("dbhive output")
}

#[test]
fn a_password_can_stay_out_of_the_process_list() {
    let (config, secret) = dbhive_core::ConnectionConfig::from_url(&pg_url()).expect("url");
    let password = secret.expect("the test URL has a password");
    let bare = config.to_url();
    let warning = "visible to other users";

    let out = dbhive_with_input(
        &[
            "query",
            "--url",
            &bare,
            "--password-stdin",
            "-F",
            "csv",
            "SELECT 1 AS one",
        ],
        &[],
        format!("{}\n", password.expose()).as_bytes(),
    );
    assert!(out.status.success(), "{}", show(&out.stderr));
    assert_eq!(show(&out.stdout), "one\n1\n");
    assert!(!show(&out.stderr).contains(warning));

    // In the URL on the command line: it works, and says where it shows.
    let out = dbhive_with_input(&["query", "--url", &pg_url(), "SELECT 1"], &[], b"");
    assert!(out.status.success(), "{}", show(&out.stderr));
    assert!(show(&out.stderr).contains(warning), "{}", show(&out.stderr));
    assert!(!show(&out.stderr).contains(password.expose()));

    // In the environment: no warning.
    let out = dbhive_with_input(&["query", "SELECT 1"], &[("DBHIVE_URL", &pg_url())], b"");
    assert!(out.status.success(), "{}", show(&out.stderr));
    assert!(!show(&out.stderr).contains(warning));

    // The password and the SQL cannot both come from standard input.
    let out = dbhive_with_input(&["query", "--url", &bare, "--password-stdin"], &[], b"x\n");
    assert_eq!(out.status.code(), Some(2), "{}", show(&out.stderr));
    assert!(show(&out.stderr).contains("--password-stdin"));
}

#[test]
fn server_text_cannot_drive_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    // A column name and an error message carrying an escape that would retitle the
    // terminal window and recolour what follows.
    let out = dbhive(&["query", "--url", &url, "SELECT 1 AS \"a\x1b]0;owned\x07b\""]);
    assert!(out.status.success(), "{}", show(&out.stderr));
    let text = show(&out.stdout);
    assert!(
        !text.contains('\x1b') && text.contains("a\\x1b]0;owned\\x07b"),
        "{text:?}"
    );
    let out = dbhive(&["query", "--url", &url, "SELECT * FROM \"x\x1b[31mred\""]);
    assert_eq!(out.status.code(), Some(1));
    let err = show(&out.stderr);
    assert!(
        !err.contains('\x1b') && err.contains("x\\x1b[31mred"),
        "{err:?}"
    );
    // CSV is data: kept exactly (quoted, as sqlite3 -csv writes it).
    let out = dbhive(&["query", "--url", &url, "-F", "csv", "SELECT 'a\x1bb' AS v"]);
    assert_eq!(out.stdout, b"v\n\"a\x1bb\"\n");
}
