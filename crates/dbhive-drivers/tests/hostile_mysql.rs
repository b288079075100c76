//! The MySQL driver against hostile endpoints: a server without TLS or with its own
//! certificate that asks for the password in clear text (mysql_clear_password) or for
//! caching_sha2_password's full authentication, packets and lengths no server sends. Each
//! case checks what the fake server received, the error, and the memory it cost.

mod common;
mod hostile;

use std::time::Duration;

use dbhive_core::{ConnectionConfig, Engine, ErrorKind, QueryOptions};
use hostile::my;
use hostile::{FEW_MB, PASSWORD, Peer, config, fake_server, measured, refused, secret};

#[global_allocator]
static ALLOC: hostile::Counting = hostile::Counting;

fn my_config(port: u16) -> ConnectionConfig {
    config(Engine::Mysql, port)
}

/// caching_sha2_password's "perform full authentication".
const FULL_AUTH: [u8; 2] = [0x01, 0x04];

/// A server that greets with caching_sha2_password and asks for full authentication.
async fn wants_full_auth(tls: bool) -> (u16, hostile::Received) {
    fake_server(move |_, peer| async move {
        let (mut peer, seq) = my::accept(peer, tls, "caching_sha2_password").await;
        peer.write(&my::packet(seq, &FULL_AUTH))
            .await
            .expect("full auth");
        peer.drain(Duration::from_secs(2)).await;
    })
    .await
}

#[tokio::test]
async fn a_server_without_tls_switching_to_clear_text_gets_no_password() {
    let (port, received) = fake_server(|_, peer| async move {
        let (mut peer, seq) = my::accept(peer, false, "mysql_native_password").await;
        let mut switch = vec![0xfe];
        switch.extend_from_slice(b"mysql_clear_password\0");
        peer.write(&my::packet(seq, &switch)).await.expect("switch");
        peer.drain(Duration::from_secs(2)).await;
    })
    .await;
    let e = refused(&my_config(port)).await;
    received.assert_no_password("no TLS, mysql_clear_password");
    assert_eq!(e.code.as_deref(), Some("unverified_server"), "{e:?}");
    assert!(e.message.contains("mysql_clear_password"), "{e}");
}

#[tokio::test]
async fn an_impostor_certificate_asking_for_full_authentication_gets_no_password() {
    let (port, received) = wants_full_auth(true).await;
    let e = refused(&my_config(port)).await;
    received.assert_no_password("impostor certificate, caching_sha2 full authentication");
    assert_eq!(e.code.as_deref(), Some("unverified_server"), "{e:?}");
    assert!(e.message.contains("not verified"), "{e}");
    assert!(
        e.hint
            .as_deref()
            .is_some_and(|h| h.contains("server_public_key")),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_server_without_tls_asking_for_full_authentication_gets_no_password() {
    let (port, received) = wants_full_auth(false).await;
    let e = refused(&my_config(port)).await;
    received.assert_no_password("no TLS, caching_sha2 full authentication");
    assert_eq!(e.code.as_deref(), Some("unverified_server"), "{e:?}");
}

/// The RSA private key of the fake server, and what the client sealed with its public key.
fn open_sealed(sealed: &[u8]) -> Vec<u8> {
    use rsa::pkcs8::DecodePrivateKey;
    let key = rsa::PrivateKey::from_pkcs8_pem(include_str!("fixtures/rsa_test_key.pem"))
        .expect("test key");
    let mut opened = key
        .oaep_decrypt::<sha1::Sha1>(sealed)
        .expect("sealed password");
    for (i, b) in opened.iter_mut().enumerate() {
        *b ^= my::SCRAMBLE[i % 20];
    }
    opened
}

/// A server that checks the RSA-sealed password it asks for and lets the client in.
/// `sends_key`: the client asks for the server's public key first (0x02).
async fn checks_sealed_password(sends_key: bool) -> (u16, hostile::Received) {
    fake_server(move |n, peer| async move {
        if n > 0 {
            return;
        }
        let (mut peer, seq) = my::accept(peer, false, "caching_sha2_password").await;
        peer.write(&my::packet(seq, &FULL_AUTH))
            .await
            .expect("full auth");
        let (s, mut answer) = my::read(&mut peer).await.expect("answer");
        let mut seq = s + 1;
        if sends_key {
            assert_eq!(answer, [0x02], "expected a request for the public key");
            let mut key = vec![0x01];
            key.extend_from_slice(include_bytes!("fixtures/rsa_test_key.pub.pem"));
            peer.write(&my::packet(seq, &key)).await.expect("key");
            let (s, sealed) = my::read(&mut peer).await.expect("sealed");
            seq = s + 1;
            answer = sealed;
        }
        assert_eq!(open_sealed(&answer), format!("{PASSWORD}\0").as_bytes());
        peer.write(&my::ok(seq)).await.expect("ok");
        peer.drain(Duration::from_secs(5)).await;
    })
    .await
}

#[tokio::test]
async fn full_authentication_seals_the_password_to_a_public_key_the_user_gave() {
    let (port, received) = checks_sealed_password(false).await;
    let mut c = my_config(port);
    let key = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/rsa_test_key.pub.pem"
    );
    c.options.insert("server_public_key".into(), key.into());
    let _conn = common::connect(&c, secret()).await;
    received.assert_no_password("RSA with the user's public key");
}

#[tokio::test]
async fn opted_in_over_plain_tcp_the_password_is_sealed_to_the_servers_key() {
    let (port, received) = checks_sealed_password(true).await;
    let mut c = my_config(port);
    c.allow_unverified_password = true;
    let _conn = common::connect(&c, secret()).await;
    received.assert_no_password("RSA with the key the server sent");
}

#[tokio::test]
async fn a_login_packet_claiming_sixteen_megabytes_is_refused_at_once() {
    let (port, _) = fake_server(|_, mut peer: Peer| async move {
        let _ = peer.write(&[0xff, 0xff, 0xff, 0]).await;
        peer.drain(Duration::from_secs(10)).await;
    })
    .await;
    let e = refused(&my_config(port)).await;
    assert_eq!(e.kind, ErrorKind::Connection, "{e:?}");
    assert!(e.message.contains("before the login"), "{e}");
}

/// A column definition packet's payload for a VARCHAR column `name`.
fn column_def(name: &str) -> Vec<u8> {
    let mut p = Vec::new();
    for s in ["def", "app", "t", "t", name, name] {
        p.push(s.len() as u8);
        p.extend_from_slice(s.as_bytes());
    }
    p.push(0x0c);
    p.extend_from_slice(&45u16.to_le_bytes());
    p.extend_from_slice(&1024u32.to_le_bytes());
    p.push(253);
    p.extend_from_slice(&0u16.to_le_bytes());
    p.push(0);
    p.extend_from_slice(&[0, 0]);
    p
}

/// Logs every connection in; answers the session's first query with `reply(seq)`.
async fn answers_query(reply: fn() -> Vec<Vec<u8>>) -> u16 {
    let (port, _) = fake_server(move |n, peer| async move {
        let (mut peer, seq) = my::accept(peer, false, "mysql_native_password").await;
        peer.write(&my::ok(seq)).await.expect("ok");
        if n == 1 {
            let (_, q) = my::read(&mut peer).await.expect("query");
            assert_eq!(q.first(), Some(&0x03));
            let mut wire = Vec::new();
            for (i, p) in reply().iter().enumerate() {
                wire.extend(my::packet(i as u8 + 1, p));
            }
            peer.write(&wire).await.expect("reply");
        }
        peer.drain(Duration::from_secs(15)).await;
    })
    .await;
    port
}

async fn query(port: u16, timeout_ms: Option<u64>) -> common::Outcome {
    let conn = common::connect(&my_config(port), secret()).await;
    let stream = conn
        .execute("SELECT v FROM t", QueryOptions { timeout_ms })
        .await;
    common::within("the hostile query to end", common::collect(stream)).await
}

#[tokio::test]
async fn a_value_claiming_an_exabyte_is_an_error_not_an_allocation() {
    let (out, peak) = measured(async {
        let port = answers_query(|| {
            let mut row = vec![0xfe];
            row.extend_from_slice(&u64::MAX.to_le_bytes());
            vec![vec![1], column_def("v"), row]
        })
        .await;
        query(port, None).await
    })
    .await;
    let e = out.err();
    assert_eq!(e.kind, ErrorKind::Connection, "{e:?}");
    assert!(peak < FEW_MB, "{peak} bytes");
}

#[tokio::test]
async fn a_sixteen_megabyte_packet_costs_only_the_bytes_that_came() {
    let (port, _) = fake_server(|n, peer| async move {
        let (mut peer, seq) = my::accept(peer, false, "mysql_native_password").await;
        peer.write(&my::ok(seq)).await.expect("ok");
        if n == 1 {
            my::read(&mut peer).await.expect("query");
            let mut wire = my::packet(1, &[1]);
            wire.extend(my::packet(2, &column_def("v")));
            // A row packet of the maximal length, of which 256 KiB arrive.
            wire.extend_from_slice(&[0xff, 0xff, 0xff, 3]);
            wire.extend(vec![b'x'; 256 << 10]);
            peer.write(&wire).await.expect("reply");
        }
        peer.drain(Duration::from_secs(15)).await;
    })
    .await;
    let (out, peak) = measured(query(port, Some(1000))).await;
    assert!(out.cancelled || out.error.is_some(), "{out:?}");
    assert!(peak < FEW_MB, "{peak} bytes for 256 KiB of a 16 MB packet");
}

#[tokio::test]
async fn a_changed_certificate_is_refused_before_the_login() {
    let (port, received) = wants_full_auth(true).await;
    let mut c = my_config(port);
    c.tls_pin = Some(
        "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"
            .into(),
    );
    let e = refused(&c).await;
    assert_eq!(e.code.as_deref(), Some("certificate_changed"), "{e:?}");
    assert!(
        !received.contains(b"victim"),
        "the login went to the impostor"
    );
}

#[tokio::test]
async fn a_pinned_server_that_now_offers_no_tls_is_refused() {
    let (port, received) = wants_full_auth(false).await;
    let mut c = my_config(port);
    c.tls_pin = Some(hostile::impostor_fingerprint());
    let e = refused(&c).await;
    assert_eq!(e.code.as_deref(), Some("tls_declined"), "{e:?}");
    assert!(
        !received.contains(b"victim"),
        "the login went out in plain text"
    );
}
