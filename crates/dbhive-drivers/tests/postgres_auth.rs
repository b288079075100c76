//! Where a password may go, against the real test PostgreSQL: accounts that use the
//! clear-text `password` and the `md5` methods (scripts/pg-server.sh creates them) get their
//! password only over verified TLS or the socket, or when the connection opted in; the
//! server's certificate is pinned and a different pin is refused.

mod common;

use common::*;
use dbhive_core::{ConnectionConfig, ErrorKind, TlsMode};

/// The test server's address with `user` instead of the URL's.
fn as_user(user: &str) -> (ConnectionConfig, Option<dbhive_core::Secret>) {
    let (mut config, secret) = pg_config();
    config.user = Some(user.into());
    (config, secret)
}

fn verified(mut config: ConnectionConfig) -> ConnectionConfig {
    config.tls = TlsMode::VerifyFull;
    config.host = Some("localhost".into());
    config.tls_root_cert = Some(env("DBHIVE_TEST_PG_CA").into());
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clear_text_password_goes_only_to_a_verified_server() {
    let (config, secret) = as_user("dbhive_clear");
    // The default: TLS with a self-signed certificate, so an unverified server.
    let e = connect_err(&config, secret.clone()).await;
    assert_eq!(e.code.as_deref(), Some("unverified_server"), "{e:?}");
    assert!(e.message.contains("clear text"), "{e}");

    let mut plain = config.clone();
    plain.tls = TlsMode::Disable;
    let e = connect_err(&plain, secret.clone()).await;
    assert_eq!(e.code.as_deref(), Some("unverified_server"), "{e:?}");
    assert!(e.message.contains("without TLS"), "{e}");

    // Verified TLS: the server may have it.
    let conn = connect(&verified(config.clone()), secret.clone()).await;
    let info = conn.server_info().await.expect("info");
    assert_eq!(info.user.as_deref(), Some("dbhive_clear"));
    assert!(info.tls.is_some_and(|t| t.verified));

    // The local socket: the operating system says who listens.
    let mut socket = config.clone();
    socket.host = Some(env("DBHIVE_TEST_PG_SOCKET_DIR"));
    let conn = connect(&socket, secret.clone()).await;
    assert!(conn.server_info().await.expect("info").tls.is_none());

    // The opt-in, for this connection only.
    let mut allowed = config;
    allowed.allow_unverified_password = true;
    connect(&allowed, secret).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_md5_answer_goes_only_to_a_verified_server() {
    let (config, secret) = as_user("dbhive_md5");
    let e = connect_err(&config, secret.clone()).await;
    assert_eq!(e.code.as_deref(), Some("unverified_server"), "{e:?}");
    assert!(e.message.contains("MD5"), "{e}");
    connect(&verified(config), secret).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_root_certificate_is_the_only_one_trusted_and_makes_require_verify() {
    let (mut config, secret) = pg_config();
    config.tls = TlsMode::Require;
    config.tls_root_cert = Some(env("DBHIVE_TEST_PG_CA").into());
    let conn = connect(&config, secret.clone()).await;
    let info = conn.server_info().await.expect("info");
    assert!(
        info.tls.is_some_and(|t| t.verified),
        "require + a root verifies"
    );

    // verify-ca without a root: the system's roots, which do not know this server.
    config.tls = TlsMode::VerifyCa;
    config.tls_root_cert = None;
    let e = connect_err(&config, secret).await;
    assert_eq!(e.kind, ErrorKind::Tls, "{e:?}");
}

/// The server certificate's SHA-256 fingerprint, as openssl prints it.
fn server_fingerprint() -> String {
    let out = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(env("DBHIVE_TEST_PG_CA"))
        .output()
        .expect("openssl");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .rsplit('=')
        .next()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unverified_certificate_is_reported_and_held_to_its_pin() {
    let (mut config, secret) = pg_config();
    let conn = connect(&config, secret.clone()).await;
    let tls = conn.server_info().await.expect("info").tls.expect("TLS");
    assert!(!tls.verified);
    assert_eq!(tls.fingerprint, server_fingerprint());

    config.tls_pin = Some(tls.fingerprint.clone());
    connect(&config, secret.clone()).await;

    config.tls_pin = Some(
        "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"
            .into(),
    );
    let e = connect_err(&config, secret).await;
    assert_eq!(e.code.as_deref(), Some("certificate_changed"), "{e:?}");
    assert_eq!(e.certificate.map(|c| c.presented), Some(tls.fingerprint));
}
