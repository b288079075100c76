//! Connecting to SQL Server: TLS modes and what each lets the password do, pinning, and
//! the errors of a wrong password, a closed port and a missing database.

mod common;

use common::*;
use dbhive_core::{ConnectionConfig, ErrorKind, Secret, TlsMode};

/// The test server's config without its root certificate or TLS settings.
fn bare() -> (ConnectionConfig, Option<Secret>) {
    let (mut config, secret) = mssql_config();
    config.tls_root_cert = None;
    config.tls_pin = None;
    config.allow_unverified_password = false;
    (config, secret)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verified_server_gets_the_login() {
    // Babelfish's URL verifies its certificate; a real server's may trust it instead
    // (TrustServerCertificate=true): then it is pinned, not verified.
    let (config, secret) = mssql_config();
    let verifies = dbhive_core::TlsPolicy::of(&config).verifies();
    let conn = connect(&config, secret).await;
    let info = conn.server_info().await.expect("server info");
    let tls = info.tls.expect("TLS");
    assert_eq!(tls.verified, verifies);
    assert!(!info.version.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_refused_with_what_to_do() {
    let (mut config, secret) = bare();
    config.tls = TlsMode::VerifyFull;
    let e = connect_err(&config, secret).await;
    assert_eq!(e.kind, ErrorKind::Tls, "{e}");
    let hint = e.hint.unwrap_or_default();
    assert!(hint.contains("TrustServerCertificate"), "{hint}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unverified_server_gets_no_password_unless_allowed() {
    for tls in [TlsMode::Require, TlsMode::Disable] {
        let (mut config, secret) = bare();
        config.tls = tls;
        let e = connect_err(&config, secret.clone()).await;
        assert_eq!(e.kind, ErrorKind::Auth, "{tls:?}: {e}");
        assert_eq!(e.code.as_deref(), Some("unverified_server"), "{tls:?}");
        // Allowed for this connection: it logs in (and pins what it saw).
        config.allow_unverified_password = true;
        let conn = connect(&config, secret).await;
        let info = conn.server_info().await.expect("info");
        assert_eq!(info.tls.is_some(), tls == TlsMode::Require, "{tls:?}");
        if let Some(peer) = info.tls {
            assert!(!peer.verified);
            // Another certificate than the pinned one is refused, showing both.
            config.tls_pin = Some("00:11".into());
            let e = connect_err(&config, None).await;
            assert_eq!(e.code.as_deref(), Some("certificate_changed"), "{e}");
            let change = e.certificate.expect("both fingerprints");
            assert_eq!(change.presented, peer.fingerprint);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_closed_port_and_missing_database() {
    let (config, _) = mssql_config();
    let e = connect_err(&config, Some(Secret::new("not-the-password"))).await;
    assert_eq!(e.kind, ErrorKind::Auth, "{e}");
    assert!(e.hint.unwrap_or_default().contains("password"));

    let (mut closed, secret) = mssql_config();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    closed.port = Some(listener.local_addr().expect("addr").port());
    drop(listener);
    let e = connect_err(&closed, secret.clone()).await;
    assert_eq!(e.kind, ErrorKind::Connection, "{e}");

    let (mut missing, _) = mssql_config();
    missing.database = Some("dbhive_no_such_db".into());
    let e = connect_err(&missing, secret).await;
    assert_eq!(e.kind, ErrorKind::NotFound, "{e}");
    assert!(e.message.contains("dbhive_no_such_db"), "{e}");
}
