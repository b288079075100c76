//! The PostgreSQL driver against hostile endpoints: a machine in the middle that declines TLS
//! or presents its own certificate and then asks for the password, a server that ends SCRAM
//! without proving itself, lengths of gigabytes, arrays 20,000 levels deep, a result without
//! columns. Each case checks what the fake server received (never the password, unless the
//! connection allowed it), that the error says what happened, and how much memory it cost.

mod common;
mod hostile;

use std::time::Duration;

use dbhive_core::{ConnectionConfig, Engine, ErrorKind, QueryOptions, TlsMode, Value};
use hostile::pg::{self, Tls};
use hostile::{FEW_MB, PASSWORD, Peer, config, fake_server, measured, refused, secret};

#[global_allocator]
static ALLOC: hostile::Counting = hostile::Counting;

fn pg_config(port: u16) -> ConnectionConfig {
    config(Engine::Postgres, port)
}

/// A server that answers the startup with `request` and records what comes back.
async fn asks(tls: Tls, request: Vec<u8>) -> (u16, hostile::Received) {
    fake_server(move |_, peer| {
        let request = request.clone();
        async move {
            let mut peer = pg::accept(peer, tls).await;
            peer.write(&request).await.expect("auth request");
            peer.drain(Duration::from_secs(2)).await;
        }
    })
    .await
}

#[tokio::test]
async fn a_server_that_declines_tls_and_asks_for_the_password_in_clear_gets_nothing() {
    let (port, received) = asks(Tls::Decline, pg::auth(3, &[])).await;
    let e = refused(&pg_config(port)).await;
    received.assert_no_password("declined TLS, clear text");
    assert_eq!(e.kind, ErrorKind::Auth, "{e:?}");
    assert_eq!(e.code.as_deref(), Some("unverified_server"), "{e:?}");
    assert!(e.message.contains("clear text"), "{e}");
    assert!(e.message.contains("without TLS"), "{e}");
    assert!(
        e.hint
            .as_deref()
            .is_some_and(|h| h.contains("allow_unverified_password")),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_self_signed_impostor_asking_for_the_password_in_clear_gets_nothing() {
    let (port, received) = asks(Tls::Impostor, pg::auth(3, &[])).await;
    let e = refused(&pg_config(port)).await;
    received.assert_no_password("impostor certificate, clear text");
    assert_eq!(e.code.as_deref(), Some("unverified_server"), "{e:?}");
    assert!(e.message.contains("not verified"), "{e}");
    // `require` encrypts but verifies nothing either.
    let (port, received) = asks(Tls::Impostor, pg::auth(3, &[])).await;
    let mut c = pg_config(port);
    c.tls = TlsMode::Require;
    let e = refused(&c).await;
    received.assert_no_password("require, clear text");
    assert_eq!(e.code.as_deref(), Some("unverified_server"), "{e:?}");
}

#[tokio::test]
async fn an_md5_request_without_a_verified_server_gets_no_md5_answer() {
    let (port, received) = asks(Tls::Decline, pg::auth(5, &[1, 2, 3, 4])).await;
    let e = refused(&pg_config(port)).await;
    received.assert_no_password("declined TLS, MD5");
    assert_eq!(e.code.as_deref(), Some("unverified_server"), "{e:?}");
    assert!(e.message.contains("MD5"), "{e}");
}

#[tokio::test]
async fn the_opt_in_sends_the_password_to_an_unverified_server() {
    let (port, received) = fake_server(|_, peer| async move {
        let mut peer = pg::accept(peer, Tls::Impostor).await;
        peer.write(&pg::auth(3, &[])).await.expect("ask");
        let (tag, body) = pg::read(&mut peer).await.expect("password message");
        assert_eq!(tag, b'p');
        assert_eq!(body, format!("{PASSWORD}\0").as_bytes());
        peer.write(&pg::trusted_login()).await.expect("login");
        peer.drain(Duration::from_secs(5)).await;
    })
    .await;
    let mut c = pg_config(port);
    c.allow_unverified_password = true;
    let _conn = common::connect(&c, secret()).await;
    assert!(
        received.contains(PASSWORD.as_bytes()),
        "the opt-in did not send it"
    );
}

/// A server-first-message extending the client's nonce, read from its client-first.
fn server_first(client_first: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(client_first);
    let nonce = text
        .split(',')
        .find_map(|p| p.strip_prefix("r="))
        .expect("client nonce");
    format!("r={nonce}fakeserver,s=c2FsdHNhbHQ=,i=4096").into_bytes()
}

#[tokio::test]
async fn scram_ended_without_the_servers_signature_is_refused_at_once() {
    let (port, _) = fake_server(|_, peer| async move {
        let mut peer = pg::accept(peer, Tls::Decline).await;
        let mut mechs = b"SCRAM-SHA-256\0\0".to_vec();
        peer.write(&pg::auth(10, &mechs)).await.expect("sasl");
        mechs.clear();
        let (_, body) = pg::read(&mut peer).await.expect("initial response");
        // mechanism\0, i32 length, client-first-message
        let at = body.iter().position(|b| *b == 0).expect("mechanism") + 5;
        peer.write(&pg::auth(11, &server_first(&body[at..])))
            .await
            .expect("continue");
        pg::read(&mut peer).await.expect("client-final");
        // AuthenticationOk without AuthenticationSASLFinal, then silence.
        peer.write(&pg::auth(0, &[])).await.expect("ok");
        peer.drain(Duration::from_secs(20)).await;
    })
    .await;
    let mut c = pg_config(port);
    c.connect_timeout_secs = 30;
    let e = common::within("a refusal, not the 30 s connect timeout", refused(&c)).await;
    assert_eq!(e.kind, ErrorKind::Auth, "{e:?}");
    assert_eq!(e.code.as_deref(), Some("scram_incomplete"), "{e:?}");
}

#[tokio::test]
async fn a_header_claiming_two_gigabytes_is_refused_without_allocating_them() {
    // refused() holds the client to a few MB.
    let (port, _) = asks(Tls::Decline, vec![b'R', 0x7f, 0xff, 0xff, 0xff]).await;
    let e = refused(&pg_config(port)).await;
    assert_eq!(e.kind, ErrorKind::Connection, "{e:?}");
    assert!(e.message.contains("claims"), "{e}");
}

/// A server that logs the pool's connection in and keeps it, and answers the session's
/// first query with `reply` (then stays silent).
async fn answers_query(reply: Vec<u8>) -> u16 {
    let (port, _) = fake_server(move |n, peer| {
        let reply = reply.clone();
        async move {
            if n > 1 {
                // A cancel request: read and drop.
                let mut peer = peer;
                peer.drain(Duration::from_secs(2)).await;
                return;
            }
            let mut peer = pg::accept(peer, Tls::Decline).await;
            peer.write(&pg::trusted_login()).await.expect("login");
            if n == 1 {
                let (tag, _) = pg::read(&mut peer).await.expect("query");
                assert_eq!(tag, b'Q');
                peer.write(&reply).await.expect("reply");
            }
            peer.drain(Duration::from_secs(20)).await;
        }
    })
    .await;
    port
}

async fn query(port: u16, sql: &str, timeout_ms: Option<u64>) -> common::Outcome {
    let conn = common::connect(&pg_config(port), secret()).await;
    let stream = conn.execute(sql, QueryOptions { timeout_ms }).await;
    common::within("the hostile query to end", common::collect(stream)).await
}

#[tokio::test]
async fn a_row_that_claims_a_gigabyte_costs_only_the_bytes_that_came() {
    let mut reply = pg::row_description(&[("big", 25)]);
    reply.extend_from_slice(&[b'D', 0x3f, 0xff, 0xff, 0xff]);
    reply.extend_from_slice(&[0, 1, 0x3f, 0xff, 0xff, 0xf5]);
    reply.extend(vec![b'x'; 1 << 20]);
    let (out, peak) = measured(async {
        let port = answers_query(reply).await;
        query(port, "SELECT big", Some(1000)).await
    })
    .await;
    assert!(out.cancelled || out.error.is_some(), "{out:?}");
    assert!(
        peak < FEW_MB,
        "{peak} bytes for 1 MB of a row claiming 1 GB"
    );
}

#[tokio::test]
async fn an_array_twenty_thousand_levels_deep_stays_text() {
    let deep = format!("{}1{}", "{".repeat(20_000), "}".repeat(20_000));
    let mut reply = pg::row_description(&[("a", 1007)]);
    reply.extend(pg::data_row(&[deep.as_bytes()]));
    reply.extend(pg::msg(b'C', b"SELECT 1\0"));
    reply.extend(pg::msg(b'Z', b"I"));
    let port = answers_query(reply).await;
    let (out, peak) = measured(query(port, "SELECT a", None)).await;
    assert!(peak < FEW_MB, "{peak} bytes for a 40 kB array");
    let out = out.ok();
    match &out.results[0].rows[0][0] {
        Value::Other { text, .. } => assert_eq!(text, &deep),
        other => panic!("expected the server's text, got {other:?}"),
    }
}

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(usage.ru_utime) + t(usage.ru_stime)
}

#[tokio::test]
async fn a_result_without_columns_waits_without_spinning() {
    let (port, _) = fake_server(|n, peer| async move {
        if n > 1 {
            return;
        }
        let mut peer = pg::accept(peer, Tls::Decline).await;
        peer.write(&pg::trusted_login()).await.expect("login");
        if n == 1 {
            pg::read(&mut peer).await.expect("query");
            let mut head = pg::row_description(&[]);
            head.extend(pg::data_row(&[]));
            peer.write(&head).await.expect("row");
            // The next row is slow to come: the client should sleep, not poll.
            tokio::time::sleep(Duration::from_secs(3)).await;
            let mut tail = pg::data_row(&[]);
            tail.extend(pg::msg(b'C', b"SELECT 2\0"));
            tail.extend(pg::msg(b'Z', b"I"));
            peer.write(&tail).await.expect("end");
        }
        let mut peer = peer;
        peer.drain(Duration::from_secs(10)).await;
    })
    .await;
    let (out, _) = measured(async {
        let before = cpu_seconds();
        let out = query(port, "SELECT FROM t", None).await;
        (out, cpu_seconds() - before)
    })
    .await;
    let (out, cpu) = out;
    let out = out.ok();
    assert_eq!(out.results[0].reported_rows, 2, "{out:?}");
    // Measured: 0.002 s now; 0.21 s before the fix, which polled the socket once per timer
    // tick for as long as the row took to come.
    assert!(cpu < 0.05, "{cpu:.3} s of CPU while waiting 3 s for a row");
}

#[tokio::test]
async fn a_changed_certificate_is_refused_showing_both_fingerprints() {
    let (port, received) = asks(Tls::Impostor, pg::auth(10, b"SCRAM-SHA-256\0\0")).await;
    let mut c = pg_config(port);
    let pinned = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";
    c.tls_pin = Some(pinned.into());
    let e = refused(&c).await;
    assert_eq!(e.code.as_deref(), Some("certificate_changed"), "{e:?}");
    let presented = hostile::impostor_fingerprint();
    assert!(
        e.message.contains(pinned) && e.message.contains(&presented),
        "{e}"
    );
    let change = e.certificate.expect("both fingerprints");
    assert_eq!(change.presented, presented);
    assert!(
        !received.contains(b"victim"),
        "the startup went to the impostor"
    );
}

#[tokio::test]
async fn a_pinned_server_that_now_declines_tls_is_refused() {
    let (port, received) = asks(Tls::Decline, pg::auth(3, &[])).await;
    let mut c = pg_config(port);
    c.tls_pin = Some(hostile::impostor_fingerprint());
    let e = refused(&c).await;
    assert_eq!(e.code.as_deref(), Some("tls_declined"), "{e:?}");
    assert!(
        !received.contains(b"victim"),
        "the startup went out in plain text"
    );
}

#[tokio::test]
async fn a_failed_handshake_is_not_retried_in_plain_text_when_pinned() {
    let (port, received) = fake_server(|_, mut peer: Peer| async move {
        if peer.read_exact(8).await.is_ok() {
            let _ = peer.write(b"Sgarbage, not TLS").await;
        }
        peer.drain(Duration::from_secs(2)).await;
    })
    .await;
    let mut c = pg_config(port);
    c.tls_pin = Some(hostile::impostor_fingerprint());
    let e = refused(&c).await;
    assert_eq!(e.kind, ErrorKind::Tls, "{e:?}");
    assert!(!received.contains(b"victim"), "retried without TLS");
}

#[tokio::test]
async fn a_root_certificate_makes_require_verify() {
    let (port, received) = asks(Tls::Impostor, pg::auth(3, &[])).await;
    let mut c = pg_config(port);
    c.tls = TlsMode::Require;
    c.tls_root_cert = Some(common::env("DBHIVE_TEST_PG_CA").into());
    let e = refused(&c).await;
    assert_eq!(e.kind, ErrorKind::Tls, "{e:?}");
    received.assert_no_password("require with a root certificate");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_binding_stops_a_relaying_man_in_the_middle() {
    let (real, password) = common::pg_config();
    // Straight to the server, over TLS: SCRAM-SHA-256-PLUS succeeds.
    let direct = common::connect(&real, password.clone()).await;
    assert!(direct.server_info().await.is_ok());
    direct.close().await;
    // Through a relay that shows its own certificate: the server sees another certificate
    // in the client's proof and refuses, so the relay learns nothing it can use.
    let relay = hostile::pg_relay(real.port_or_default()).await;
    let mut via = real.clone();
    via.port = Some(relay);
    let e = common::connect_err(&via, password).await;
    assert!(e.message.contains("channel binding"), "{e:?}");
}

/// A fake PostgreSQL socket opened by `nobody` in a world-writable folder, as another user
/// could have done in /tmp before the real server started: it asks for the password in
/// clear text and records what it gets.
const SQUATTER: &str = r#"
import os, socket, struct, sys
path, record = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX); s.bind(path); s.listen(1)
open(path + ".ready", "w").close()
c, _ = s.accept(); c.settimeout(3)
n = struct.unpack(">i", c.recv(4))[0]; c.recv(n - 4)
c.sendall(b"R" + struct.pack(">ii", 8, 3))
got = b""
try:
    while True:
        b = c.recv(4096)
        if not b: break
        got += b
except Exception:
    pass
open(record, "wb").write(got)
"#;

#[tokio::test]
async fn a_socket_another_user_opened_gets_no_password() {
    // SAFETY: geteuid cannot fail.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "this test runs a fake server as another user: run it as root, as scripts/test.sh does"
    );
    let dir = tempfile::Builder::new()
        .prefix("dbhive-squat-")
        .tempdir_in("/tmp")
        .expect("tempdir");
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o1777),
    )
    .expect("world-writable, like /tmp");
    let socket = dir.path().join(".s.PGSQL.5432");
    let record = dir.path().join("received");
    let mut squatter = std::process::Command::new("runuser")
        .args(["-u", "nobody", "--", "python3", "-c", SQUATTER])
        .arg(&socket)
        .arg(&record)
        .spawn()
        .expect("runuser and python3");
    let ready = socket.with_extension("5432.ready");
    common::within("the squatter's socket", async {
        while !ready.exists() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let mut c = pg_config(5432);
    c.host = Some(dir.path().display().to_string());
    let e = refused(&c).await;
    let _ = squatter.wait();
    assert_eq!(e.code.as_deref(), Some("unverified_server"), "{e:?}");
    assert!(e.message.contains("another user"), "{e}");
    let got = std::fs::read(&record).unwrap_or_default();
    assert!(
        !got.windows(PASSWORD.len())
            .any(|w| w == PASSWORD.as_bytes()),
        "the squatter got the password"
    );
}

#[tokio::test]
async fn a_certificate_chained_to_the_given_root_but_not_checked_for_the_host_gets_no_password() {
    // The impostor's certificate is its own root: given as the root, its chain verifies.
    // Under `require` the host name is not checked, so any certificate that root issued
    // would do: not enough for a password in clear text.
    let (port, received) = asks(Tls::Impostor, pg::auth(3, &[])).await;
    let mut c = pg_config(port);
    c.tls = TlsMode::Require;
    c.tls_root_cert =
        Some(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/impostor.crt").into());
    let e = refused(&c).await;
    received.assert_no_password("a chain to the given root, the host unchecked");
    assert_eq!(e.code.as_deref(), Some("unverified_server"), "{e:?}");
    assert!(e.message.contains("host name"), "{e}");
}
