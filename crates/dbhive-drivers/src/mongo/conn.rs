//! From a ConnectionConfig to the official driver's ClientOptions: the seed list (or
//! `mongodb+srv`), the URI options the user gave, SCRAM credentials from the keychain,
//! TLS, timeouts and the app name.
//!
//! TLS with MongoDB always verifies the server's certificate (against `tlsCAFile` or the
//! system's roots) and its host name: the driver gives no access to the peer certificate, so
//! the pin-on-first-use that PostgreSQL and MySQL connections have cannot be done here, and
//! accepting any certificate is an explicit per-connection opt-in
//! (`tlsAllowInvalidCertificates=true`).

use std::str::FromStr;
use std::time::Duration;

use dbhive_core::config::TlsMode;
use dbhive_core::{ConnectionConfig, DbError, DbResult, ErrorKind, Secret};
use mongodb::options::{AuthMechanism, ClientOptions, Credential, Tls, TlsOptions};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::errors;

/// URI options DB-Hive sets itself rather than passing through.
const OWN_KEYS: [&str; 11] = [
    "srv",
    "authsource",
    "authmechanism",
    "authmechanismproperties",
    "tlsallowinvalidcertificates",
    "tlsallowinvalidhostnames",
    "tlsinsecure",
    "appname",
    "servicename",
    "serverselectiontimeoutms",
    "sockettimeoutms",
];

fn truthy(config: &ConnectionConfig, key: &str) -> bool {
    config.options.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case(key)
            && matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes")
    })
}

pub(crate) fn option<'a>(config: &'a ConnectionConfig, key: &str) -> Option<&'a str> {
    config
        .options
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

/// The URI the driver parses: hosts and pass-through options, never a credential.
fn uri(config: &ConnectionConfig) -> String {
    let srv = option(config, "srv") == Some("true");
    let mut uri = String::from(if srv { "mongodb+srv://" } else { "mongodb://" });
    let host = config.host_or_default();
    let hosts: Vec<String> = host
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(|h| {
            let has_port = h
                .rsplit_once(':')
                .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
                && (!h.contains('[') || h.contains("]:"));
            let h = if h.contains(':') && !h.starts_with('[') && h.matches(':').count() > 1 {
                format!("[{h}]")
            } else {
                h.to_string()
            };
            match config.port {
                Some(port) if !has_port && !srv => format!("{h}:{port}"),
                _ => h,
            }
        })
        .collect();
    uri.push_str(&hosts.join(","));
    uri.push('/');
    let mut first = true;
    for (k, v) in &config.options {
        if OWN_KEYS.contains(&k.to_ascii_lowercase().as_str()) {
            continue;
        }
        uri.push(if first { '?' } else { '&' });
        first = false;
        uri.push_str(&utf8_percent_encode(k, NON_ALPHANUMERIC).to_string());
        uri.push('=');
        uri.push_str(&utf8_percent_encode(v, NON_ALPHANUMERIC).to_string());
    }
    uri
}

/// The database SCRAM authenticates against: authSource, else the connection's database,
/// else admin (the URI rule).
pub(crate) fn auth_source(config: &ConnectionConfig) -> String {
    option(config, "authSource")
        .map(str::to_string)
        .or_else(|| config.database.clone())
        .unwrap_or_else(|| "admin".into())
}

pub(crate) async fn client_options(
    config: &ConnectionConfig,
    secret: Option<&Secret>,
) -> DbResult<ClientOptions> {
    let timeout = config.connect_timeout();
    let uri = uri(config);
    // A mongodb+srv lookup is a DNS query: bounded like every other step of connecting.
    let mut options = tokio::time::timeout(timeout, ClientOptions::parse(&uri))
        .await
        .map_err(|_| {
            DbError::new(
                ErrorKind::Timeout,
                format!(
                    "looking up the servers of {} took longer than {}s",
                    config.host_or_default(),
                    timeout.as_secs()
                ),
            )
        })?
        .map_err(|e| {
            let mut error = errors::map(e);
            error.message = format!("invalid MongoDB connection settings: {}", error.message);
            error
        })?;
    options.app_name = Some("DB-Hive".into());
    options.connect_timeout = Some(timeout);
    options.server_selection_timeout = Some(
        match option(config, "serverSelectionTimeoutMS").and_then(|v| v.parse::<u64>().ok()) {
            Some(ms) => Duration::from_millis(ms.max(1)),
            None => timeout,
        },
    );
    options.max_pool_size = Some(config.pool_size.max(4));
    options.default_database = config.database.clone();

    let mechanism = match option(config, "authMechanism") {
        None => None,
        Some(name) => {
            let m = AuthMechanism::from_str(name).map_err(|_| {
                DbError::new(
                    ErrorKind::Unsupported,
                    format!("unknown authMechanism '{name}' (use SCRAM-SHA-256 or SCRAM-SHA-1)"),
                )
            })?;
            match m {
                AuthMechanism::ScramSha1 | AuthMechanism::ScramSha256 => Some(m),
                AuthMechanism::Plain => {
                    // PLAIN sends the password itself: only to a verified server (the same
                    // rule as the other engines' clear-text passwords).
                    if !verifies(config) && !config.allow_unverified_password {
                        return Err(DbError::new(
                            ErrorKind::Tls,
                            "authMechanism PLAIN sends the password in clear text, and this connection does not verify the server's certificate",
                        )
                        .with_code("unverified_server")
                        .with_hint(Some("Turn TLS on with certificate checks, or allow the password over an unverified connection for this connection.".into())));
                    }
                    Some(m)
                }
                _ => {
                    return Err(DbError::new(
                        ErrorKind::Unsupported,
                        format!(
                            "authMechanism {name} is not supported yet (SCRAM-SHA-256, SCRAM-SHA-1 and PLAIN are)"
                        ),
                    ));
                }
            }
        }
    };
    if let Some(user) = config.user.as_deref().filter(|u| !u.is_empty()) {
        let password = secret.map(|s| s.expose().to_string()).ok_or_else(|| {
            DbError::new(ErrorKind::Auth, format!("a password is needed for {user}"))
                .with_code("password_required")
        })?;
        options.credential = Some(
            Credential::builder()
                .username(user.to_string())
                .password(password)
                .source(auth_source(config))
                .mechanism(mechanism)
                .build(),
        );
    }

    options.tls = Some(if config.tls == TlsMode::Disable {
        Tls::Disabled
    } else {
        let invalid_certs =
            truthy(config, "tlsAllowInvalidCertificates") || truthy(config, "tlsInsecure");
        let invalid_hosts = invalid_certs
            || truthy(config, "tlsAllowInvalidHostnames")
            || config.tls == TlsMode::VerifyCa;
        Tls::Enabled(
            TlsOptions::builder()
                .ca_file_path(config.tls_root_cert.clone())
                .allow_invalid_certificates(invalid_certs.then_some(true))
                .allow_invalid_hostnames(invalid_hosts.then_some(true))
                .build(),
        )
    });
    Ok(options)
}

/// Whether TLS is on with both the certificate and the host name checked.
pub(crate) fn verifies(config: &ConnectionConfig) -> bool {
    config.tls != TlsMode::Disable
        && config.tls != TlsMode::VerifyCa
        && !truthy(config, "tlsAllowInvalidCertificates")
        && !truthy(config, "tlsInsecure")
        && !truthy(config, "tlsAllowInvalidHostnames")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> ConnectionConfig {
        ConnectionConfig::from_url(url)
            .map(|(c, _)| c)
            .unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    #[test]
    fn the_uri_keeps_hosts_and_options_but_never_credentials() {
        let c = config(
            "mongodb://ann:secret@h1:27017,h2:27018/app?replicaSet=rs0&authSource=admin&directConnection=false",
        );
        let u = uri(&c);
        assert_eq!(
            u,
            "mongodb://h1:27017,h2:27018/?directConnection=false&replicaSet=rs0"
        );
        assert!(!u.contains("secret") && !u.contains("ann"));
        let c = config("mongodb://localhost:27999");
        assert_eq!(uri(&c), "mongodb://localhost:27999/");
        assert_eq!(auth_source(&config("mongodb://u@h/app")), "app");
        assert_eq!(auth_source(&config("mongodb://u@h")), "admin");
    }

    #[tokio::test]
    async fn plain_needs_a_verified_server_and_tls_checks_by_default() {
        let secret = Secret::new("pw");
        let c = config("mongodb://u@h/?authMechanism=PLAIN");
        let e = client_options(&c, Some(&secret))
            .await
            .expect_err("refused");
        assert_eq!(e.code.as_deref(), Some("unverified_server"));
        let c = config("mongodb://u@h/?authMechanism=PLAIN&tls=true");
        assert!(verifies(&c));
        assert!(client_options(&c, Some(&secret)).await.is_ok());
        let c = config("mongodb://u@h/?tls=true&tlsAllowInvalidCertificates=true");
        assert!(!verifies(&c));
        let e = client_options(
            &config("mongodb://u@h/?authMechanism=GSSAPI"),
            Some(&secret),
        )
        .await
        .expect_err("unsupported");
        assert_eq!(e.kind, ErrorKind::Unsupported);
    }
}
