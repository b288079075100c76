//! Entry points of the fuzz targets (`fuzz/`, cargo-fuzz): each plays a server, or a script,
//! from arbitrary bytes against the real code, which must end with a result or an error: no
//! panic, no hang, no allocation beyond what the bytes justify. The normal tests replay the
//! committed corpus through them, so they cannot rot.
#![doc(hidden)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use dbhive_core::query::NoServerCancel;
use dbhive_core::{ConnectionConfig, RunOptions, Secret, Value, spawn_query};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

use crate::net::{Endpoint, Stream};

/// The longest any one input may take: a hang is a bug.
const DEADLINE: Duration = Duration::from_secs(10);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime")
}

fn endpoint() -> Endpoint {
    let mut config = ConnectionConfig::new(dbhive_core::Engine::Postgres);
    config.tls = dbhive_core::TlsMode::Disable;
    config.connect_timeout_secs = 5;
    Endpoint::new(&config, "fuzz".into(), 1, None)
}

/// A client stream whose peer sends `bytes` and then closes; what the client writes is read
/// and dropped.
fn server_sending(bytes: &[u8]) -> Stream {
    let (client, server) = tokio::io::duplex(64 * 1024);
    let bytes = bytes.to_vec();
    tokio::spawn(play(server, bytes));
    Stream::Memory(client)
}

async fn play(server: DuplexStream, bytes: Vec<u8>) {
    let (mut from_client, mut to_client) = tokio::io::split(server);
    tokio::spawn(async move {
        let mut sink = [0u8; 4096];
        while matches!(from_client.read(&mut sink).await, Ok(n) if n > 0) {}
    });
    let _ = to_client.write_all(&bytes).await;
    let _ = to_client.shutdown().await;
}

/// Runs `session` (a connection to a fake server and its queries) on a runtime of its own;
/// a session that outlives [`DEADLINE`] is a hang, reported as a crash.
fn against_server<F: std::future::Future<Output = ()>>(engine: &str, session: F) {
    runtime().block_on(async {
        tokio::time::timeout(DEADLINE, session)
            .await
            .unwrap_or_else(|_| panic!("the {engine} driver hung on this input"));
    });
}

/// Runs `run` as a query, the way the app does (a sink, batches, the final events), and
/// reads its events to the end.
async fn as_query<F, Fut>(run: F)
where
    F: FnOnce(dbhive_core::EventSink) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = (Option<dbhive_core::EventSink>, dbhive_core::DbResult<()>)>
        + Send
        + 'static,
{
    let mut stream = spawn_query(RunOptions::default(), Arc::new(NoServerCancel), run);
    while stream.next().await.is_some() {}
}

/// Types looked up in no catalog: unknown OIDs stay text.
struct NoCatalog;

#[async_trait]
impl crate::postgres::conn::ResolveTypes for NoCatalog {
    fn cached(&self, oid: u32) -> Option<crate::postgres::types::PgType> {
        crate::postgres::types::builtin(oid)
    }

    async fn resolve(&self, _: &[u32]) -> HashMap<u32, crate::postgres::types::PgType> {
        HashMap::new()
    }
}

/// `data` is everything a PostgreSQL server sends: the answers to startup and
/// authentication (any method, the password allowed), then to a simple query and to an
/// extended one.
pub fn pg_backend(data: &[u8]) {
    use crate::postgres::conn::{ConnectParams, RawConn};
    let endpoint = endpoint();
    let password = Secret::new("fuzz-password");
    let params = ConnectParams {
        endpoint: &endpoint,
        user: "fuzz",
        database: "fuzz",
        password: Some(&password),
        application_name: "fuzz",
        options: None,
        timeout: Duration::from_secs(5),
        allow_unverified_password: true,
    };
    against_server("PostgreSQL", async {
        let Ok(mut conn) = RawConn::over(server_sending(data), &params).await else {
            return;
        };
        as_query(|mut sink| async move {
            let result = conn.simple_query("SELECT 1", &mut sink, &NoCatalog).await;
            if result.is_ok() {
                let _ = conn.query("SELECT $1", &[Some("x"), None]).await;
            }
            (Some(sink), result)
        })
        .await;
    });
}

/// Renders a value every way the app and the CLI do.
fn render(value: &Value, style: &'static dbhive_core::TextStyle) {
    let _ = value.to_text(style);
    let mut out = Vec::new();
    let mut scratch = Vec::new();
    dbhive_core::json::write_value(&mut out, value, style, &mut scratch);
    dbhive_core::csv::write_record(
        &mut out,
        std::slice::from_ref(value),
        style,
        b',',
        &mut scratch,
    );
}

/// `data[0]` picks a PostgreSQL type, the rest is its text as a server sends it; also the
/// structured messages' parsers on the same bytes.
pub fn pg_text(data: &[u8]) {
    use crate::postgres::protocol::{ErrorFields, parse_command_tag, parse_row_description};
    use crate::postgres::types::{self, Decoder, PG_TEXT_STYLE};
    let Some((&pick, raw)) = data.split_first() else {
        return;
    };
    let decoders = [
        Decoder::Bool,
        Decoder::Int,
        Decoder::Float4,
        Decoder::Float8,
        Decoder::Numeric,
        Decoder::Text,
        Decoder::Bytea,
        Decoder::Json,
        Decoder::Date,
        Decoder::Timestamp,
        Decoder::TimestampTz,
        Decoder::Uuid,
        Decoder::Array(Box::new(Decoder::Int)),
        Decoder::Array(Box::new(Decoder::Text)),
        Decoder::Array(Box::new(Decoder::Bytea)),
        Decoder::Array(Box::new(Decoder::Float8)),
        Decoder::Other("interval".into()),
    ];
    let value = types::decode(&decoders[pick as usize % decoders.len()], raw);
    render(&value, &PG_TEXT_STYLE);
    let _ = types::parse_array(raw, b';', &Decoder::Text);
    let _ = ErrorFields::parse(raw);
    let _ = parse_row_description(raw);
    let _ = parse_command_tag(&String::from_utf8_lossy(raw));
}

/// `data` is everything a MySQL server sends: a greeting, the login (any plugin, the
/// password allowed), then the answers to a text query and to a prepared one.
pub fn mysql_server(data: &[u8]) {
    use crate::mysql::conn::{ConnectParams, RawConn};
    let endpoint = endpoint();
    let password = Secret::new("fuzz-password");
    let params = ConnectParams {
        endpoint: &endpoint,
        user: "fuzz",
        database: Some("fuzz"),
        password: Some(&password),
        timeout: Duration::from_secs(5),
        allow_unverified_password: true,
        server_public_key: None,
        read_only: false,
    };
    against_server("MySQL", async {
        let Ok(mut conn) = RawConn::login(server_sending(data), &params).await else {
            return;
        };
        as_query(|mut sink| async move {
            let result = conn.query("SELECT 1", &mut sink).await;
            if result.is_ok() {
                let _ = conn.query_params("SELECT ?", &[Some("x")]).await;
            }
            (Some(sink), result)
        })
        .await;
    });
}

/// MySQL's row decoders and packet parsers: `data[0]` columns whose types and flags come
/// from the next bytes, then a binary-protocol row and a text-protocol row from the rest.
pub fn mysql_rows(data: &[u8]) {
    use crate::mysql::binary::binary_row;
    use crate::mysql::protocol::{
        ColumnDef, Reader, column_count, parse_column, parse_err, parse_handshake, parse_ok,
    };
    use crate::mysql::types::{self, MYSQL_TEXT_STYLE};
    let _ = parse_handshake(data);
    let _ = parse_ok(data);
    let _ = parse_err(data);
    let _ = parse_column(data);
    let _ = column_count(data);
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = (n % 8) as usize + 1;
    if rest.len() < 2 * n {
        return;
    }
    let (spec, row) = rest.split_at(2 * n);
    let defs: Vec<ColumnDef> = spec
        .chunks(2)
        .map(|c| ColumnDef {
            schema: String::new(),
            table: String::new(),
            org_table: String::new(),
            name: "c".into(),
            org_name: String::new(),
            charset: if c[1] & 1 == 0 { 45 } else { 63 },
            length: 0,
            column_type: c[0],
            flags: u16::from(c[1]) << 4,
            decimals: 0,
        })
        .collect();
    let _ = binary_row(row, &defs);
    let mut r = Reader::new(row);
    for d in &defs {
        match r.lenenc_bytes() {
            Ok(Some(raw)) => render(&types::decode(&types::decoder(d), raw), &MYSQL_TEXT_STYLE),
            Ok(None) => {}
            Err(_) => break,
        }
    }
}

/// A script as the SQLite driver splits it: ranges in order, on character boundaries,
/// covering every statement, and for short scripts exactly sqlite3_complete()'s split.
pub fn sqlite_split(data: &[u8]) {
    use crate::sqlite::script::{split_by_sqlite3_complete, split_statements};
    let Ok(sql) = std::str::from_utf8(data) else {
        return;
    };
    let parts = split_statements(sql);
    let mut at = 0;
    for &(start, end) in &parts {
        assert!(start == at && start < end && end <= sql.len(), "{parts:?}");
        assert!(sql.is_char_boundary(start) && sql.is_char_boundary(end));
        at = end;
    }
    if sql.len() <= 4096 && !sql.contains('\0') {
        assert_eq!(parts, split_by_sqlite3_complete(sql), "{sql:?}");
    }
}

/// A connection URL: parsed, it renders to a URL that parses to the same config and never
/// holds the password.
pub fn url(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((config, _)) = ConnectionConfig::from_url(text) else {
        return;
    };
    let rendered = config.to_url();
    match ConnectionConfig::from_url(&rendered) {
        Ok((again, secret)) => {
            assert_eq!(again, config, "{text:?} -> {rendered:?}");
            assert!(secret.is_none(), "{rendered:?} holds a password");
        }
        Err(e) => panic!("{text:?} rendered as {rendered:?}, which does not parse: {e}"),
    }
}

#[cfg(test)]
mod tests {
    /// The committed corpus of every target, replayed: what once passed keeps passing.
    #[test]
    fn the_fuzz_corpus_replays() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
        type Target = fn(&[u8]);
        let targets: [(&str, Target); 6] = [
            ("pg_backend", super::pg_backend),
            ("pg_text", super::pg_text),
            ("mysql_server", super::mysql_server),
            ("mysql_rows", super::mysql_rows),
            ("sqlite_split", super::sqlite_split),
            ("url", super::url),
        ];
        for (name, target) in targets {
            let dir = root.join(name);
            let entries =
                std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            let mut count = 0;
            for entry in entries.flatten() {
                let bytes = std::fs::read(entry.path()).expect("corpus file");
                target(&bytes);
                count += 1;
            }
            assert!(count > 0, "{name}: the corpus is empty");
        }
    }
}
