//! What a connection's TLS settings mean in effect, and where a password may go. Every
//! network driver follows these rules and the connection dialog shows them, so they are
//! written once, here.
//!
//! Certificates (libpq's rules): a root certificate, when given, is the only one trusted,
//! and it makes `prefer` and `require` verify the chain too. `verify-ca` without one falls
//! back to the system's roots and then also checks the host name: any public CA can vouch
//! for any server, so a chain to "some trusted root" says nothing about which server it is.
//! TLS that is not verified is pinned instead: the certificate seen first is recorded and
//! a different one is refused until the user accepts it, as ssh does with host keys.
//!
//! Passwords: a challenge-response that proves knowledge of the password without handing
//! over anything reusable (SCRAM, mysql_native_password, caching_sha2_password's fast path)
//! may go to any server. Anything a listener could replay or use to log in (the password in
//! clear text, PostgreSQL's MD5 hash, caching_sha2_password's full authentication) goes
//! only to a server whose identity was verified (a trusted certificate issued for its host
//! name: a chain to a root alone is not enough, that root may vouch for anyone's server),
//! over a local socket whose server runs as root, as the user, or as the owner of the
//! socket's folder, or where the user opted in for that connection.

use serde::{Deserialize, Serialize};

use crate::config::{ConnectionConfig, Engine, TlsMode};
use crate::error::{CertificateChange, DbError, ErrorKind};

/// Whether TLS is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsUse {
    Off,
    /// TLS when the server offers it, plain TCP when it declines.
    IfOffered,
    Required,
}

/// What a server certificate must prove.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verify {
    /// Nothing: any certificate encrypts, and it is pinned on first use.
    Pinned,
    /// A chain to the given root certificate, and only that one; the host name is not checked.
    GivenRoot,
    /// A chain to a trusted root (the given one, else the system's), issued for the host name.
    Full,
}

/// A connection's TLS settings as the drivers apply them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsPolicy {
    pub tls: TlsUse,
    pub verify: Verify,
    /// The given root certificate replaces the system's trust store.
    pub only_given_root: bool,
}

impl TlsPolicy {
    pub fn of(config: &ConnectionConfig) -> TlsPolicy {
        let root = config.tls_root_cert.is_some();
        let given_or = |otherwise| if root { Verify::GivenRoot } else { otherwise };
        let (tls, verify) = match config.tls {
            _ if config.engine == Engine::Sqlite => (TlsUse::Off, Verify::Pinned),
            TlsMode::Disable => (TlsUse::Off, Verify::Pinned),
            TlsMode::Prefer => (TlsUse::IfOffered, given_or(Verify::Pinned)),
            TlsMode::Require => (TlsUse::Required, given_or(Verify::Pinned)),
            TlsMode::VerifyCa => (TlsUse::Required, given_or(Verify::Full)),
            TlsMode::VerifyFull => (TlsUse::Required, Verify::Full),
        };
        TlsPolicy {
            tls,
            verify,
            only_given_root: root,
        }
    }

    /// Whether a TLS connection under this policy has its certificate checked against a root
    /// (so it is not pinned).
    pub fn verifies(&self) -> bool {
        self.verify != Verify::Pinned
    }

    /// The channel a TLS connection under this policy makes.
    pub fn tls_channel(&self) -> Channel {
        match self.verify {
            Verify::Pinned => Channel::Unverified,
            Verify::GivenRoot => Channel::ChainVerified,
            Verify::Full => Channel::Verified,
        }
    }
}

/// How a connection reached its server, as far as the server's identity goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// TCP without TLS.
    Plain,
    /// TLS whose certificate was not verified (it may be pinned).
    Unverified,
    /// TLS with a certificate chained to the given root, the host name not checked: the
    /// traffic goes to someone that root vouched for, not necessarily to this server (a
    /// public CA vouches for everyone's servers).
    ChainVerified,
    /// TLS with a verified certificate issued for the host.
    Verified,
    /// A Unix socket on this machine whose server runs as root, as this user, or as the
    /// owner of the socket's folder: the operating system says who listens.
    LocalSocket,
    /// A Unix socket whose server runs as some other user (one who could have put it in a
    /// shared folder such as /tmp before the real server started).
    ForeignSocket,
}

impl Channel {
    pub fn identity_verified(self) -> bool {
        matches!(self, Channel::Verified | Channel::LocalSocket)
    }

    pub fn describe(self) -> &'static str {
        match self {
            Channel::Plain => "a connection without TLS",
            Channel::Unverified => "a TLS connection whose certificate was not verified",
            Channel::ChainVerified => {
                "a TLS connection whose certificate chains to the given root but was not checked for this host name"
            }
            Channel::Verified => "a TLS connection to a verified server",
            Channel::LocalSocket => "the local socket",
            Channel::ForeignSocket => {
                "a Unix socket opened by another user (not root, you, or the owner of its folder)"
            }
        }
    }
}

/// Whether the config reaches its server through a Unix socket (PostgreSQL's socket
/// directory as the host, MySQL's socket file as the host or the `socket` option).
pub fn uses_socket(config: &ConnectionConfig) -> bool {
    match config.engine {
        Engine::Postgres => config.host.as_deref().is_some_and(|h| h.starts_with('/')),
        Engine::Mysql => {
            config.option("socket").is_some()
                || config.host.as_deref().is_some_and(|h| h.starts_with('/'))
        }
        _ => false,
    }
}

/// Whether a password may be sent in a form a listener could reuse.
pub fn reusable_password_allowed(channel: Channel, config_allows: bool) -> bool {
    channel.identity_verified() || config_allows
}

/// The refusal when a server asks for the password in a form that would hand it over
/// (`asked`: "the password in clear text", "an MD5 hash of the password"...).
pub fn unverified_password_refusal(server: &str, asked: &str, channel: Channel) -> DbError {
    let mut e = DbError::new(
        ErrorKind::Auth,
        format!(
            "the server at {server} asked for {asked}, and DB-Hive does not send that over {}: \
             whoever answered could read it and log in as you",
            channel.describe()
        ),
    )
    .with_code("unverified_server");
    e.hint = Some(
        "Verify the server (TLS mode verify-full, which checks its certificate and host name), or, if \
         you trust every network between you and it, turn on \"Allow password over an unverified \
         connection\" for this connection (allow_unverified_password=true)."
            .into(),
    );
    e
}

/// The refusal when an unverified server presents another certificate than the pinned one.
pub fn certificate_changed(server: &str, pinned: &str, presented: &str) -> DbError {
    let mut e = DbError::new(
        ErrorKind::Tls,
        format!(
            "the server at {server} presented a different TLS certificate than the one pinned for \
             this connection.\n  pinned:    SHA-256 {pinned}\n  presented: SHA-256 {presented}"
        ),
    )
    .with_code("certificate_changed");
    e.hint = Some(
        "If the server's certificate was renewed, accept the new one; if you did not expect a \
         change, someone may be intercepting the connection."
            .into(),
    );
    e.certificate = Some(Box::new(CertificateChange {
        pinned: pinned.to_string(),
        presented: presented.to_string(),
    }));
    e
}

/// The certificate a connection's server presented.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsPeer {
    /// SHA-256 of the certificate (DER), as `openssl x509 -fingerprint -sha256` prints it.
    pub fingerprint: String,
    /// The certificate was verified against a root (not just pinned).
    pub verified: bool,
}

/// What the connection dialog says about a connection's security.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecuritySummary {
    pub policy: TlsPolicy,
    /// How the traffic is protected and what identifies the server.
    pub identity: String,
    /// Where the password may go.
    pub password: String,
}

pub fn summary(config: &ConnectionConfig) -> SecuritySummary {
    let policy = TlsPolicy::of(config);
    let host = config.host_or_default();
    let root = config
        .tls_root_cert
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let pinned = match &config.tls_pin {
        Some(pin) => format!("pinned to the certificate with SHA-256 {pin}"),
        None => "pinned on first connect".to_string(),
    };
    let socket = uses_socket(config);
    let identity = match (policy.tls, policy.verify) {
        _ if config.engine == Engine::Sqlite => "A local file: no network.".to_string(),
        _ if socket => "A Unix socket on this machine: no network, no TLS; the server must run as root, as you, or as the owner of the socket's folder.".to_string(),
        (TlsUse::Off, _) => {
            "Not encrypted: the traffic can be read on the way, and the server's identity is not checked."
                .to_string()
        }
        (TlsUse::IfOffered, Verify::Pinned) => format!(
            "Encrypted when the server offers TLS, plain if it declines; the certificate is not verified but {pinned}."
        ),
        (TlsUse::Required, Verify::Pinned) => {
            format!("Encrypted; the certificate is not verified but {pinned}.")
        }
        (_, Verify::GivenRoot) => format!(
            "Encrypted{}; the certificate must chain to {root} (only that root); the host name is not checked.",
            if policy.tls == TlsUse::IfOffered {
                " when the server offers TLS"
            } else {
                ""
            }
        ),
        (_, Verify::Full) if policy.only_given_root => {
            format!("Encrypted; the certificate must chain to {root} and be issued for {host}.")
        }
        (_, Verify::Full) => format!(
            "Encrypted; the certificate must chain to a root this system trusts and be issued for {host}."
        ),
    };
    let password = if config.engine == Engine::Sqlite {
        String::new()
    } else if config.engine == Engine::Mssql {
        // A SQL login carries the password itself, only scrambled: no challenge-response.
        if policy.verify == Verify::Full && policy.tls != TlsUse::Off {
            "The password goes only to this verified server, inside TLS (a SQL Server login carries it merely scrambled).".to_string()
        } else if config.allow_unverified_password {
            "The password goes to this server although it is not verified (you allowed it for this connection, as TrustServerCertificate does); a SQL Server login carries it merely scrambled.".to_string()
        } else {
            "The login is refused before it is sent: a SQL Server login carries the password merely scrambled, and this server is not verified. Give its certificate as the root certificate, or allow it for this connection.".to_string()
        }
    } else if config.allow_unverified_password {
        "The password may be sent in clear text or as MD5 even when the server is not verified (you allowed it for this connection).".to_string()
    } else if socket {
        "The password may be sent in any form the server asks for: the socket is local, and its owner is checked.".to_string()
    } else if policy.verify == Verify::Full {
        "The password goes only to this verified server; challenge-response methods (SCRAM) are always used when offered.".to_string()
    } else if policy.verify == Verify::GivenRoot {
        "Only challenge-response methods (SCRAM, mysql_native_password) are used: a request for the password in clear text or as MD5 is refused, because the host name is not checked (verify-full checks it).".to_string()
    } else {
        "Only challenge-response methods (SCRAM, mysql_native_password) are used: a request for the password in clear text or as MD5 is refused, because the server is not verified.".to_string()
    };
    SecuritySummary {
        policy,
        identity,
        password,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(url: &str) -> TlsPolicy {
        let (config, _) = ConnectionConfig::from_url(url).expect("url");
        TlsPolicy::of(&config)
    }

    #[test]
    fn sql_server_logins_are_described_as_they_are_sent() {
        let text = |url: &str| {
            let (config, _) = ConnectionConfig::from_url(url).expect("url");
            summary(&config).password
        };
        assert!(text("sqlserver://h/d").starts_with("The password goes only to this verified"));
        assert!(text("sqlserver://h/d?TrustServerCertificate=true").contains("you allowed it"));
        assert!(text("sqlserver://h/d?encrypt=optional").starts_with("The login is refused"));
        assert!(!text("sqlserver://h/d").contains("SCRAM"));
    }

    #[test]
    fn libpq_rules_for_roots() {
        let p = policy("postgres://h/d?sslmode=require&sslrootcert=/ca.pem");
        assert_eq!((p.tls, p.verify), (TlsUse::Required, Verify::GivenRoot));
        assert!(p.only_given_root);
        let p = policy("postgres://h/d?sslmode=verify-ca");
        assert_eq!(
            p.verify,
            Verify::Full,
            "verify-ca without a root checks the host"
        );
        let p = policy("postgres://h/d?sslmode=verify-ca&sslrootcert=/ca.pem");
        assert_eq!(p.verify, Verify::GivenRoot);
        let p = policy("postgres://h/d");
        assert_eq!((p.tls, p.verify), (TlsUse::IfOffered, Verify::Pinned));
        assert!(!p.verifies());
        let p = policy("postgres://h/d?sslmode=prefer&sslrootcert=/ca.pem");
        assert_eq!((p.tls, p.verify), (TlsUse::IfOffered, Verify::GivenRoot));
        assert_eq!(policy("sqlite:///x.db").tls, TlsUse::Off);
    }

    #[test]
    fn refusals_say_what_was_asked_and_how_to_allow_it() {
        let e = unverified_password_refusal(
            "db:5432",
            "the password in clear text",
            Channel::Unverified,
        );
        assert_eq!(e.kind, ErrorKind::Auth);
        assert!(e.message.contains("clear text"), "{e}");
        assert!(
            e.hint
                .as_deref()
                .is_some_and(|h| h.contains("allow_unverified_password"))
        );
        let e = certificate_changed("db:5432", "AA", "BB");
        assert!(e.message.contains("AA") && e.message.contains("BB"));
        assert_eq!(
            e.certificate.map(|c| (c.pinned, c.presented)),
            Some(("AA".into(), "BB".into()))
        );
    }
}
