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

/// A TLS terminator (socat, as a load balancer or a TDS 8 proxy would be) in front of the
/// test server, with its own certificate: TLS from the first byte, plain TDS behind it.
struct TlsFront {
    port: u16,
    ca: std::path::PathBuf,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tls_front(target_port: u16) -> TlsFront {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = (dir.path().join("front.crt"), dir.path().join("front.key"));
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=localhost", "-addext"])
        .arg("subjectAltName=DNS:localhost,IP:127.0.0.1")
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl (scripts/setup.sh installs it)");
    assert!(made.success(), "openssl req failed");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let child = std::process::Command::new("socat")
        .arg(format!(
            "OPENSSL-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,verify=0,cert={},key={}",
            cert.display(),
            key.display()
        ))
        .arg(format!("TCP:127.0.0.1:{target_port}"))
        .spawn()
        .expect("socat (scripts/setup.sh installs it)");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "socat did not listen");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    TlsFront {
        port,
        ca: cert,
        child,
        _dir: dir,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_encryption_is_tls_before_the_first_tds_byte() {
    let (config, secret) = mssql_config();
    let server_port = config.port.unwrap_or(1433);
    let version = connect(&config, secret.clone())
        .await
        .server_info()
        .await
        .expect("info")
        .version;
    // A server that reads TDS 8 (SQL Server 2022 and later) takes a strict login directly;
    // Babelfish and older servers read a PRELOGIN packet first and close on a TLS hello.
    let mut strict = config.clone();
    strict
        .options
        .insert(dbhive_core::config::ado::STRICT.into(), "true".into());
    let babelfish = version.contains("Babelfish");
    let direct = dbhive_drivers::registry()
        .driver(strict.engine)
        .expect("driver")
        .connect(&strict, secret.clone())
        .await;
    match direct {
        Ok(_) => assert!(!babelfish, "Babelfish has no TDS 8"),
        // Babelfish, or a SQL Server older than 2022: the error says what to use instead.
        Err(e) => assert!(
            e.hint
                .as_deref()
                .unwrap_or_default()
                .contains("Encrypt=Mandatory"),
            "{version}: a server without TDS 8 names the way out: {e} / {:?}",
            e.hint
        ),
    }
    // Behind a TLS terminator that speaks plain TDS to the server, strict connects: the
    // client's TLS is verified against the terminator's certificate, the inner PRELOGIN
    // asks for no second encryption.
    let front = tls_front(server_port);
    let mut through = strict.clone();
    through.port = Some(front.port);
    through.tls = TlsMode::VerifyFull;
    through.tls_root_cert = Some(front.ca.clone());
    through.tls_pin = None;
    through.allow_unverified_password = false;
    if babelfish {
        // Strict TLS that is not verified is no licence for the password either.
        let mut unverified = through.clone();
        unverified.tls = TlsMode::Require;
        unverified.tls_root_cert = None;
        let e = connect_err(&unverified, secret.clone()).await;
        assert_eq!(e.code.as_deref(), Some("unverified_server"), "{e}");
        let conn = connect(&through, secret.clone()).await;
        let info = conn.server_info().await.expect("info");
        let tls = info.tls.expect("TLS");
        assert!(tls.verified, "the terminator's certificate was verified");
        let out = run(&conn, "SELECT 40 + 2 AS answer").await.ok();
        assert_eq!(*out.scalar(), dbhive_core::Value::Int(42));
        // The same proxy without strict: the client asks for TLS inside PRELOGIN, which the
        // terminator's peer never sees; the TLS bytes it sends are not TDS, so it fails.
        let mut plain = through.clone();
        plain.options.remove(dbhive_core::config::ado::STRICT);
        connect_err(&plain, secret.clone()).await;
    }
    // Strict with encryption off is a contradiction, said before any byte is sent.
    let mut off = strict;
    off.tls = TlsMode::Disable;
    let e = connect_err(&off, secret).await;
    assert_eq!(e.code.as_deref(), Some("tls_required"), "{e}");
}
