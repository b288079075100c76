//! How to reach a database: [`ConnectionConfig`], parsed from and rendered to connection URLs.
//!
//! A config never holds a password: secrets travel beside it as [`Secret`], which has no
//! `Serialize`, no `Display`, and a redacted `Debug`, so a saved config or a log line cannot
//! carry one by accident.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::error::{DbError, DbResult, ErrorKind};

pub mod ado;

/// The database engines DB-Hive speaks to. The core names them only as tags; everything
/// engine-specific lives in the drivers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Postgres,
    Mysql,
    Sqlite,
    Mongodb,
    Mssql,
}

impl Engine {
    pub const ALL: [Engine; 5] = [
        Engine::Postgres,
        Engine::Mysql,
        Engine::Sqlite,
        Engine::Mongodb,
        Engine::Mssql,
    ];

    pub fn default_port(self) -> Option<u16> {
        match self {
            Engine::Postgres => Some(5432),
            Engine::Mysql => Some(3306),
            Engine::Sqlite => None,
            Engine::Mongodb => Some(27017),
            Engine::Mssql => Some(1433),
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Engine::Postgres => "PostgreSQL",
            Engine::Mysql => "MySQL / MariaDB",
            Engine::Sqlite => "SQLite",
            Engine::Mongodb => "MongoDB",
            Engine::Mssql => "SQL Server",
        }
    }

    /// The scheme used when rendering a URL.
    pub fn scheme(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
            Engine::Sqlite => "sqlite",
            Engine::Mongodb => "mongodb",
            Engine::Mssql => "sqlserver",
        }
    }

    fn from_scheme(scheme: &str) -> Option<(Engine, bool)> {
        Some(match scheme.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => (Engine::Postgres, false),
            "mysql" | "mariadb" => (Engine::Mysql, false),
            "sqlite" | "sqlite3" | "file" => (Engine::Sqlite, false),
            "mongodb" => (Engine::Mongodb, false),
            "mongodb+srv" => (Engine::Mongodb, true),
            "sqlserver" | "mssql" => (Engine::Mssql, false),
            _ => return None,
        })
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

/// Transport encryption, with libpq's vocabulary (the other engines' spellings are accepted
/// when parsing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    /// Plain TCP.
    Disable,
    /// TLS when the server offers it, plain otherwise.
    Prefer,
    /// TLS or fail; the certificate is not checked.
    Require,
    /// TLS with a certificate chained to a trusted root; the host name is not checked.
    VerifyCa,
    /// TLS with a trusted certificate issued for this host name.
    VerifyFull,
}

impl TlsMode {
    pub fn default_for(engine: Engine) -> TlsMode {
        match engine {
            Engine::Postgres | Engine::Mysql => TlsMode::Prefer,
            // SQL Server's own drivers encrypt and verify by default (Encrypt=True), and
            // its login carries the password: verified TLS is the only default that can send it.
            Engine::Mssql => TlsMode::VerifyFull,
            Engine::Sqlite | Engine::Mongodb => TlsMode::Disable,
        }
    }

    pub fn parse(text: &str) -> Option<TlsMode> {
        Some(match text.to_ascii_lowercase().replace('_', "-").as_str() {
            "disable" | "disabled" | "false" | "off" | "no" | "0" => TlsMode::Disable,
            "allow" | "prefer" | "preferred" => TlsMode::Prefer,
            "require" | "required" | "true" | "on" | "yes" | "1" | "mandatory" => TlsMode::Require,
            "verify-ca" => TlsMode::VerifyCa,
            "verify-full" | "verify-identity" | "strict" => TlsMode::VerifyFull,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::Disable => "disable",
            TlsMode::Prefer => "prefer",
            TlsMode::Require => "require",
            TlsMode::VerifyCa => "verify-ca",
            TlsMode::VerifyFull => "verify-full",
        }
    }
}

/// Everything needed to open a connection, except the secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConnectionConfig {
    pub engine: Engine,
    /// Host name or address; a Unix socket directory for PostgreSQL when it starts with `/`;
    /// a comma-separated seed list for MongoDB. Unused for SQLite.
    pub host: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    /// The database to open. For SQLite: the file path, or `:memory:`.
    pub database: Option<String>,
    pub tls: TlsMode,
    /// PEM file with the root certificate(s) to trust instead of the system's. With one,
    /// `prefer` and `require` verify the chain too (libpq's rule).
    pub tls_root_cert: Option<PathBuf>,
    /// SHA-256 fingerprint of the certificate the server presented when TLS is not verified
    /// against a root, recorded on first use: another certificate is refused until the user
    /// accepts it, as ssh does with host keys.
    pub tls_pin: Option<String>,
    /// Send the password in a form a listener could reuse (clear text, MD5,
    /// caching_sha2_password's full authentication) to a server whose identity was not
    /// verified. Off unless the user opts in for this connection.
    pub allow_unverified_password: bool,
    /// Writes refused by the server's own session settings: PostgreSQL's
    /// default_transaction_read_only, MySQL's SET SESSION TRANSACTION READ ONLY, SQLite's
    /// query_only. Engines that cannot enforce it refuse to connect with it set.
    pub read_only: bool,
    pub connect_timeout_secs: u64,
    /// Client-side limit for one query; the statement is cancelled on the server when it
    /// passes. None: no limit.
    pub query_timeout_secs: Option<u64>,
    /// Upper bound of pooled connections used for metadata and one-off queries.
    pub pool_size: u32,
    /// Engine-specific settings that have no field of their own (application_name,
    /// authSource, attach...), kept in URL query order-independent form.
    pub options: BTreeMap<String, String>,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig::new(Engine::Postgres)
    }
}

/// URL query keys that map onto fields rather than `options`.
const TLS_KEYS: [&str; 6] = ["sslmode", "ssl-mode", "ssl_mode", "tls", "ssl", "encrypt"];
const ROOT_CERT_KEYS: [&str; 4] = [
    "sslrootcert",
    "ssl-ca",
    "tlscafile",
    "trustservercertificateca",
];

impl ConnectionConfig {
    pub fn new(engine: Engine) -> Self {
        ConnectionConfig {
            engine,
            host: None,
            port: None,
            user: None,
            database: None,
            tls: TlsMode::default_for(engine),
            tls_root_cert: None,
            tls_pin: None,
            allow_unverified_password: false,
            read_only: false,
            connect_timeout_secs: 10,
            query_timeout_secs: None,
            pool_size: 4,
            options: BTreeMap::new(),
        }
    }

    pub fn sqlite(path: impl Into<String>) -> Self {
        ConnectionConfig {
            database: Some(path.into()),
            ..ConnectionConfig::new(Engine::Sqlite)
        }
    }

    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs.max(1))
    }

    pub fn query_timeout(&self) -> Option<Duration> {
        self.query_timeout_secs
            .filter(|s| *s > 0)
            .map(Duration::from_secs)
    }

    pub fn host_or_default(&self) -> &str {
        self.host.as_deref().unwrap_or("localhost")
    }

    pub fn port_or_default(&self) -> u16 {
        self.port.or(self.engine.default_port()).unwrap_or(0)
    }

    pub fn option(&self, key: &str) -> Option<&str> {
        self.options.get(key).map(String::as_str)
    }

    /// A short human label: `user@host:port/db` or the SQLite file. Never holds a secret.
    pub fn label(&self) -> String {
        if self.engine == Engine::Sqlite {
            return self.database.clone().unwrap_or_else(|| ":memory:".into());
        }
        let mut s = String::new();
        if let Some(user) = &self.user {
            s.push_str(user);
            s.push('@');
        }
        s.push_str(self.host_or_default());
        if let Some(port) = self.port {
            s.push(':');
            s.push_str(&port.to_string());
        }
        if let Some(db) = &self.database {
            s.push('/');
            s.push_str(db);
        }
        s
    }

    /// Parses a connection URL (or, for SQLite, a plain file path). A password in the URL
    /// is returned separately and never stored in the config.
    pub fn from_url(input: &str) -> DbResult<(ConnectionConfig, Option<Secret>)> {
        let input = input.trim();
        if ado::looks_like_ado(input) {
            return ado::parse(input);
        }
        let Some((scheme, rest)) = split_scheme(input) else {
            if looks_like_sqlite_path(input) {
                return Ok((ConnectionConfig::sqlite(input), None));
            }
            return Err(url_error(
                "expected a URL such as postgres://user@host/db, mysql://…, mongodb://…, \
                 sqlserver://…, sqlite:///path/file.db, or a path to a SQLite file",
            ));
        };
        let (engine, srv) = Engine::from_scheme(scheme)
            .ok_or_else(|| url_error(&format!("unknown URL scheme '{scheme}'")))?;
        if engine == Engine::Sqlite {
            return parse_sqlite(rest);
        }
        let rest = rest.strip_prefix("//").ok_or_else(|| {
            url_error(&format!(
                "expected '{scheme}://' followed by the server address"
            ))
        })?;
        let (before_query, query) = match rest.split_once('?') {
            Some((a, q)) => (a, Some(q)),
            None => (rest, None),
        };
        let (authority, path) = match before_query.find('/') {
            Some(i) => (&before_query[..i], Some(&before_query[i + 1..])),
            None => (before_query, None),
        };
        // The last '@' separates credentials: a password may itself contain an unescaped '@'.
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        let mut config = ConnectionConfig::new(engine);
        let mut secret = None;
        if let Some(userinfo) = userinfo {
            let (user, password) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            if !user.is_empty() {
                config.user = Some(decode(user, "user name")?);
            }
            if let Some(p) = password {
                secret = Some(Secret::new(decode(p, "password")?));
            }
        }
        parse_hosts(&mut config, hostport)?;
        if let Some(path) = path {
            let path = path.trim_end_matches('/');
            if !path.is_empty() {
                config.database = Some(decode(path, "database name")?);
            }
        }
        if srv {
            config.options.insert("srv".into(), "true".into());
        }
        if let Some(query) = query {
            apply_query(&mut config, query)?;
        }
        Ok((config, secret))
    }

    /// SQL Server's ADO.NET connection string for the config, without the password.
    pub fn to_connection_string(&self) -> Option<String> {
        (self.engine == Engine::Mssql).then(|| ado::render(self))
    }

    /// Renders the config as a URL, without any secret. `from_url(to_url())` gives the same
    /// config back.
    pub fn to_url(&self) -> String {
        let mut url = String::new();
        if self.engine == Engine::Sqlite {
            let db = self.database.as_deref().unwrap_or(":memory:");
            url.push_str("sqlite:");
            if db == ":memory:" {
                url.push_str(":memory:");
            } else if db.starts_with('/') {
                url.push_str("//");
                url.push_str(&encode_path(db));
            } else {
                url.push_str(&encode_path(db));
            }
        } else {
            let srv = self.option("srv") == Some("true") && self.engine == Engine::Mongodb;
            url.push_str(if srv {
                "mongodb+srv"
            } else {
                self.engine.scheme()
            });
            url.push_str("://");
            if let Some(user) = &self.user {
                url.push_str(&utf8_percent_encode(user, USERINFO).to_string());
                url.push('@');
            }
            if let Some(host) = &self.host {
                url.push_str(&self.authority_host(host));
            }
            if let Some(port) = self.port {
                url.push(':');
                url.push_str(&port.to_string());
            }
            if let Some(db) = &self.database {
                url.push('/');
                url.push_str(&utf8_percent_encode(db, COMPONENT).to_string());
            }
        }
        let mut params: Vec<(String, String)> = Vec::new();
        if let Some(host) = &self.host
            && self.host_in_query(host)
        {
            params.push(("host".into(), host.clone()));
        }
        if self.engine != Engine::Sqlite && self.tls != TlsMode::default_for(self.engine) {
            // MongoDB's own spelling, which its tools read: `tls=true`.
            let value = match (self.engine, self.tls) {
                (Engine::Mongodb, TlsMode::Require) => "true",
                (_, mode) => mode.as_str(),
            };
            params.push((tls_key(self.engine).into(), value.into()));
        }
        if let Some(root) = &self.tls_root_cert {
            let key = if self.engine == Engine::Mongodb {
                "tlsCAFile"
            } else {
                "sslrootcert"
            };
            params.push((key.into(), root.display().to_string()));
        }
        if let Some(pin) = &self.tls_pin {
            params.push(("tls_pin".into(), pin.clone()));
        }
        if self.allow_unverified_password {
            params.push(("allow_unverified_password".into(), "true".into()));
        }
        if self.read_only {
            params.push(("read_only".into(), "true".into()));
        }
        if self.connect_timeout_secs != 10 {
            params.push((
                "connect_timeout".into(),
                self.connect_timeout_secs.to_string(),
            ));
        }
        if let Some(t) = self.query_timeout_secs {
            params.push(("query_timeout".into(), t.to_string()));
        }
        if self.pool_size != 4 {
            params.push(("pool_size".into(), self.pool_size.to_string()));
        }
        for (k, v) in &self.options {
            // The scheme already says srv=true; any other value stays a parameter.
            if k == "srv" && v == "true" && self.engine == Engine::Mongodb {
                continue;
            }
            params.push((k.clone(), v.clone()));
        }
        for (i, (k, v)) in params.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&utf8_percent_encode(k, COMPONENT).to_string());
            url.push('=');
            url.push_str(&utf8_percent_encode(v, COMPONENT).to_string());
        }
        url
    }
}

impl ConnectionConfig {
    /// A PostgreSQL socket directory goes in the query (libpq's form), the authority empty.
    fn host_in_query(&self, host: &str) -> bool {
        self.engine == Engine::Postgres && host.starts_with('/')
    }

    /// The host as the URL's authority spells it, escaped so that it parses back to itself:
    /// an IPv6 address in brackets, a MongoDB seed list with its commas and ports (only
    /// without a port of its own), anything else percent-encoded.
    fn authority_host(&self, host: &str) -> String {
        if self.host_in_query(host) {
            String::new()
        } else if host.contains(',') && self.port.is_none() {
            utf8_percent_encode(host, SEED_LIST).to_string()
        } else if host.contains(':') {
            format!("[{}]", utf8_percent_encode(host, BRACKETED_HOST))
        } else {
            utf8_percent_encode(host, COMPONENT).to_string()
        }
    }
}

fn tls_key(engine: Engine) -> &'static str {
    match engine {
        Engine::Mysql => "ssl-mode",
        Engine::Mongodb => "tls",
        Engine::Mssql => "encrypt",
        Engine::Postgres | Engine::Sqlite => "sslmode",
    }
}

/// Characters escaped inside user names, database names and query values.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
const USERINFO: &AsciiSet = COMPONENT;
const BRACKETED_HOST: &AsciiSet = &COMPONENT.remove(b':');
const SEED_LIST: &AsciiSet = &BRACKETED_HOST.remove(b',');
const PATH: &AsciiSet = &COMPONENT.remove(b'/').remove(b':').remove(b'\\');

fn encode_path(path: &str) -> String {
    utf8_percent_encode(path, PATH).to_string()
}

fn url_error(message: &str) -> DbError {
    DbError::new(
        ErrorKind::Connection,
        format!("invalid connection URL: {message}"),
    )
}

fn decode(text: &str, what: &str) -> DbResult<String> {
    percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| {
            url_error(&format!(
                "the {what} is not valid UTF-8 after percent-decoding"
            ))
        })
}

fn split_scheme(input: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = input.split_once(':')?;
    // "C:\dir\x.db" is a Windows path, not a URL with scheme "C".
    if scheme.len() < 2
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.')
    {
        return None;
    }
    Some((scheme, rest))
}

fn looks_like_sqlite_path(input: &str) -> bool {
    let lower = input.to_ascii_lowercase();
    [".sqlite", ".sqlite3", ".db", ".db3", ".s3db", ".sl3"]
        .iter()
        .any(|ext| lower.ends_with(ext))
        || input == ":memory:"
        || std::path::Path::new(input).is_file()
}

fn parse_sqlite(rest: &str) -> DbResult<(ConnectionConfig, Option<Secret>)> {
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    // sqlite:///abs, sqlite://rel (sqlx's form), sqlite:rel, sqlite::memory:
    let path = if let Some(p) = path.strip_prefix("//") {
        p
    } else {
        path
    };
    let path = decode(path, "file path")?;
    let path = if path.is_empty() || path == ":memory:" || path == "memory:" {
        ":memory:".to_string()
    } else {
        path
    };
    let mut config = ConnectionConfig::sqlite(path);
    if let Some(q) = query {
        apply_query(&mut config, q)?;
    }
    Ok((config, None))
}

fn parse_hosts(config: &mut ConnectionConfig, hostport: &str) -> DbResult<()> {
    if hostport.is_empty() {
        return Ok(());
    }
    if hostport.contains(',') {
        // A MongoDB seed list: kept as written, each entry with its own port.
        config.host = Some(decode(hostport, "host list")?);
        return Ok(());
    }
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let end = rest
            .find(']')
            .ok_or_else(|| url_error("an IPv6 address opened with '[' has no closing ']'"))?;
        let after = &rest[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(url_error("unexpected text after the IPv6 address")),
        };
        (&rest[..end], port)
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if !host.is_empty() {
        config.host = Some(decode(host, "host name")?);
    }
    if let Some(port) = port.filter(|p| !p.is_empty()) {
        config.port = Some(
            port.parse::<u16>()
                .map_err(|_| url_error("the port must be a number between 1 and 65535"))?,
        );
    }
    Ok(())
}

fn apply_query(config: &mut ConnectionConfig, query: &str) -> DbResult<()> {
    let mut trust_server_certificate = false;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(k, "parameter name")?;
        let value = decode(&v.replace('+', "%20"), "parameter value")?;
        let lower = key.to_ascii_lowercase();
        if value.is_empty() && ["host", "dbname", "database", "user"].contains(&lower.as_str()) {
            // Empty, as an empty path or user name in the URL: not given.
            continue;
        }
        if config.engine == Engine::Sqlite
            && (TLS_KEYS.contains(&lower.as_str()) || lower == "user")
        {
            return Err(url_error(&format!("{key} does not apply to a SQLite file")));
        } else if config.engine == Engine::Mssql && lower == "encrypt" {
            ado::apply_encrypt(config, &value).ok_or_else(|| {
                url_error(&format!(
                    "unknown Encrypt value '{value}' (use mandatory, optional or strict, or a TLS mode)"
                ))
            })?;
        } else if config.engine == Engine::Mssql && lower == "trustservercertificate" {
            trust_server_certificate = parse_bool(&value)
                .ok_or_else(|| url_error("TrustServerCertificate must be true or false"))?;
        } else if TLS_KEYS.contains(&lower.as_str()) {
            config.tls = TlsMode::parse(&value).ok_or_else(|| {
                url_error(&format!(
                    "unknown TLS mode '{value}' (use disable, prefer, require, verify-ca or verify-full)"
                ))
            })?;
        } else if ROOT_CERT_KEYS.contains(&lower.as_str()) {
            config.tls_root_cert = Some(PathBuf::from(value));
        } else if lower == "tls_pin" {
            config.tls_pin = Some(normalize_fingerprint(&value).ok_or_else(|| {
                url_error("tls_pin must be a SHA-256 fingerprint (64 hex digits, colons allowed)")
            })?);
        } else if lower == "read_only" {
            config.read_only =
                parse_bool(&value).ok_or_else(|| url_error("read_only must be true or false"))?;
        } else if lower == "allow_unverified_password" {
            config.allow_unverified_password = parse_bool(&value)
                .ok_or_else(|| url_error("allow_unverified_password must be true or false"))?;
        } else if lower == "connect_timeout" || lower == "connecttimeoutms" {
            let n: u64 = value
                .parse()
                .map_err(|_| url_error(&format!("{key} must be a whole number")))?;
            config.connect_timeout_secs = if lower == "connecttimeoutms" {
                n.div_ceil(1000)
            } else {
                n
            };
        } else if lower == "query_timeout" || lower == "statement_timeout" {
            let n: u64 = value
                .parse()
                .map_err(|_| url_error(&format!("{key} must be a whole number of seconds")))?;
            config.query_timeout_secs = (n > 0).then_some(n);
        } else if lower == "pool_size" || lower == "pool_max" || lower == "maxpoolsize" {
            let n: u32 = value
                .parse()
                .map_err(|_| url_error(&format!("{key} must be a whole number")))?;
            config.pool_size = n.clamp(1, 256);
        } else if lower == "host" && config.engine == Engine::Postgres {
            config.host = Some(value);
        } else if (lower == "dbname" || lower == "database") && config.database.is_none() {
            config.database = Some(value);
        } else if lower == "user" && config.user.is_none() {
            config.user = Some(value);
        } else if lower == "password" || lower == "pwd" {
            return Err(url_error(
                "put the password in the URL's user info (user:password@host) or in the keychain, not in a query parameter",
            ));
        } else {
            config.options.insert(key, value);
        }
    }
    if trust_server_certificate {
        ado::trust_server_certificate(config);
    }
    Ok(())
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" | "" => Some(false),
        _ => None,
    }
}

/// A SHA-256 fingerprint as `openssl x509 -fingerprint -sha256` prints it (upper-case hex
/// pairs joined by ':'), from any spelling of its 32 bytes; None when it is not one.
pub fn normalize_fingerprint(text: &str) -> Option<String> {
    let hex: String = text
        .trim()
        .trim_start_matches("sha256:")
        .trim_start_matches("SHA256:")
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect();
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let upper = hex.to_ascii_uppercase();
    let pairs: Vec<&str> = (0..32).map(|i| &upper[i * 2..i * 2 + 2]).collect();
    Some(pairs.join(":"))
}

/// A password or passphrase held only in memory. Zeroed when dropped, never printed; it can
/// be read from JSON (a password typed in the app) but never written to it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> (ConnectionConfig, Option<Secret>) {
        match ConnectionConfig::from_url(url) {
            Ok(v) => v,
            Err(e) => panic!("{url}: {e}"),
        }
    }

    #[test]
    fn postgres_url_with_everything() {
        let (c, s) = parse(
            "postgresql://al%40ice:p%40ss:w@db.example.com:6543/my%20db?sslmode=verify-full&connect_timeout=3&application_name=hive",
        );
        assert_eq!(c.engine, Engine::Postgres);
        assert_eq!(c.user.as_deref(), Some("al@ice"));
        assert_eq!(s.as_ref().map(Secret::expose), Some("p@ss:w"));
        assert_eq!(c.host.as_deref(), Some("db.example.com"));
        assert_eq!(c.port, Some(6543));
        assert_eq!(c.database.as_deref(), Some("my db"));
        assert_eq!(c.tls, TlsMode::VerifyFull);
        assert_eq!(c.connect_timeout_secs, 3);
        assert_eq!(c.option("application_name"), Some("hive"));
        let back = c.to_url();
        assert!(!back.contains("p%40ss"), "password rendered: {back}");
        assert_eq!(parse(&back).0, c);
    }

    #[test]
    fn unescaped_at_in_password() {
        let (c, s) = parse("mysql://root:a@b@127.0.0.1/app");
        assert_eq!(s.as_ref().map(Secret::expose), Some("a@b"));
        assert_eq!(c.host.as_deref(), Some("127.0.0.1"));
        assert_eq!(c.engine, Engine::Mysql);
    }

    #[test]
    fn ipv6_and_socket_hosts() {
        let (c, _) = parse("postgres://u@[::1]:5433/d");
        assert_eq!(c.host.as_deref(), Some("::1"));
        assert_eq!(c.port, Some(5433));
        assert_eq!(parse(&c.to_url()).0, c);
        let (c, _) = parse("postgres:///d?host=/var/run/postgresql");
        assert_eq!(c.host.as_deref(), Some("/var/run/postgresql"));
        assert_eq!(parse(&c.to_url()).0, c);
        // Empty field values are not given, as empty URL parts are (found by fuzzing).
        let (c, _) = parse("postgres://u@h?dbname&user=&host=");
        assert_eq!(
            (c.database.as_deref(), c.user.as_deref(), c.host.as_deref()),
            (None, Some("u"), Some("h"))
        );
        assert_eq!(parse(&c.to_url()).0, c);
    }

    #[test]
    fn sqlite_forms() {
        assert_eq!(
            parse("sqlite:///tmp/a b.db").0.database.as_deref(),
            Some("/tmp/a b.db")
        );
        assert_eq!(
            parse("sqlite://rel/x.db").0.database.as_deref(),
            Some("rel/x.db")
        );
        assert_eq!(parse("sqlite:x.db").0.database.as_deref(), Some("x.db"));
        assert_eq!(
            parse("sqlite::memory:").0.database.as_deref(),
            Some(":memory:")
        );
        assert_eq!(parse("/tmp/data.sqlite3").0.engine, Engine::Sqlite);
        assert_eq!(
            parse("C:\\data\\x.db").0.database.as_deref(),
            Some("C:\\data\\x.db")
        );
        for url in ["sqlite:///tmp/a b.db", "sqlite:rel/x.db", "sqlite::memory:"] {
            let c = parse(url).0;
            assert_eq!(parse(&c.to_url()).0, c, "{url} -> {}", c.to_url());
        }
        let c = parse("sqlite:///tmp/m.db?attach=other%3D%2Ftmp%2Fo.db").0;
        assert_eq!(c.option("attach"), Some("other=/tmp/o.db"));
        // What a file has no use for is refused, not kept where its URL cannot say it.
        for url in [
            "sqlite:///tmp/m.db?sslmode=require",
            "sqlite:///tmp/m.db?user=me",
        ] {
            assert!(ConnectionConfig::from_url(url).is_err(), "{url}");
        }
    }

    #[test]
    fn mongodb_seed_list_and_srv() {
        let (c, s) =
            parse("mongodb+srv://u:p@cluster0.example.net/app?authSource=admin&retryWrites=true");
        assert_eq!(c.engine, Engine::Mongodb);
        assert_eq!(c.option("srv"), Some("true"));
        assert_eq!(c.option("authSource"), Some("admin"));
        assert!(s.is_some());
        assert_eq!(parse(&c.to_url()).0, c);
        let (c, _) = parse("mongodb://h/?tls=true&tlsCAFile=/ca.pem");
        assert_eq!(c.tls, TlsMode::Require);
        assert_eq!(c.to_url(), "mongodb://h?tls=true&tlsCAFile=%2Fca.pem");
        let (c, _) = parse("mongodb://h1:27017,h2:27018/?replicaSet=rs0");
        assert_eq!(c.host.as_deref(), Some("h1:27017,h2:27018"));
        assert_eq!(c.port, None);
    }

    #[test]
    fn errors_do_not_echo_the_url() {
        for bad in [
            "postgres://u:topsecret@host:notaport/db",
            "postgres://u:topsecret@host/db?sslmode=bogus",
            "oracle://u:topsecret@host/db",
        ] {
            let err = ConnectionConfig::from_url(bad).expect_err(bad);
            assert!(!err.to_string().contains("topsecret"), "{err}");
        }
    }

    #[test]
    fn secret_is_redacted() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        let c = parse("postgres://u:hunter2@h/d").0;
        assert!(
            !serde_json::to_string(&c)
                .unwrap_or_default()
                .contains("hunter2")
        );
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    mod round_trip {
        use super::super::*;
        use proptest::prelude::*;

        fn text() -> impl Strategy<Value = String> {
            // Every character class a URL treats specially, and some that need UTF-8.
            "[a-zA-Z0-9 @:/?#&=%+._~,;'\"\\[\\]é€😀-]{1,12}"
        }

        fn fingerprint() -> impl Strategy<Value = String> {
            proptest::collection::vec(any::<u8>(), 32).prop_map(|b| {
                b.iter()
                    .map(|x| format!("{x:02X}"))
                    .collect::<Vec<_>>()
                    .join(":")
            })
        }

        /// Option keys a URL maps onto fields, which cannot also be free options.
        fn is_field_key(k: &str) -> bool {
            let k = k.to_ascii_lowercase();
            TLS_KEYS.contains(&k.as_str())
                || ROOT_CERT_KEYS.contains(&k.as_str())
                || [
                    "connect_timeout",
                    "connecttimeoutms",
                    "query_timeout",
                    "statement_timeout",
                    "pool_size",
                    "pool_max",
                    "maxpoolsize",
                    "host",
                    "dbname",
                    "database",
                    "user",
                    "password",
                    "pwd",
                    "tls_pin",
                    "allow_unverified_password",
                    "read_only",
                    "srv",
                ]
                .contains(&k.as_str())
        }

        fn network_config() -> impl Strategy<Value = ConnectionConfig> {
            let engine = prop_oneof![
                Just(Engine::Postgres),
                Just(Engine::Mysql),
                Just(Engine::Mongodb),
                Just(Engine::Mssql)
            ];
            let host = prop_oneof![
                "[a-z][a-z0-9.-]{0,15}",
                Just("::1".to_string()),
                Just("fe80::1:2%eth0".to_string()),
                Just("[::1]".to_string()),
                Just("h1:27017,h2:27018".to_string()),
                Just("/var/run/postgresql".to_string()),
                text(),
            ];
            let tls = prop_oneof![
                Just(TlsMode::Disable),
                Just(TlsMode::Prefer),
                Just(TlsMode::Require),
                Just(TlsMode::VerifyCa),
                Just(TlsMode::VerifyFull)
            ];
            (
                engine,
                proptest::option::of(host),
                proptest::option::of(1..=65535u16),
                proptest::option::of(text()),
                proptest::option::of(text()),
                tls,
                proptest::option::of("/[a-z0-9 ._-]{1,12}\\.pem"),
                proptest::option::of(fingerprint()),
                any::<bool>(),
                (1..=600u64, proptest::option::of(1..=86_400u64), 1..=256u32),
                proptest::collection::btree_map("[a-zA-Z_][a-zA-Z0-9_]{0,8}", text(), 0..3),
            )
                .prop_map(
                    |(
                        engine,
                        host,
                        port,
                        user,
                        database,
                        tls,
                        root,
                        pin,
                        allow,
                        limits,
                        options,
                    )| {
                        let (connect, query, pool) = limits;
                        ConnectionConfig {
                            engine,
                            host,
                            port,
                            user,
                            database,
                            tls,
                            tls_root_cert: root.map(PathBuf::from),
                            tls_pin: pin,
                            allow_unverified_password: allow,
                            // Both values, without widening the strategy's tuple.
                            read_only: pool % 2 == 1,
                            connect_timeout_secs: connect,
                            query_timeout_secs: query,
                            pool_size: pool,
                            options: options
                                .into_iter()
                                .filter(|(k, _)| !is_field_key(k))
                                .collect(),
                        }
                    },
                )
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(1000))]

            #[test]
            fn a_config_survives_its_url(config in network_config()) {
                let url = config.to_url();
                match ConnectionConfig::from_url(&url) {
                    Ok((back, secret)) => {
                        prop_assert_eq!(&back, &config, "{}", url);
                        prop_assert!(secret.is_none());
                    }
                    Err(e) => prop_assert!(false, "{} does not parse: {}", url, e),
                }
            }

            #[test]
            fn a_sqlite_config_survives_its_url(path in "(/|[a-z])[a-zA-Z0-9 ._/%é-]{0,20}\\.db", mode in proptest::option::of(prop_oneof![Just("ro"), Just("rw"), Just("rwc")])) {
                let mut config = ConnectionConfig::sqlite(path);
                if let Some(mode) = mode {
                    config.options.insert("mode".into(), mode.into());
                }
                let url = config.to_url();
                let back = ConnectionConfig::from_url(&url).map(|(c, _)| c);
                prop_assert_eq!(back.as_ref().ok(), Some(&config), "{}", url);
            }

            /// The password a URL holds is never in the config's URL, nor in any error
            /// about the URL.
            #[test]
            fn the_password_stays_out(config in network_config(), secret in "S3cr3t[a-zA-Z0-9]{8}", junk in "[:/?#@\\[\\]a-z0-9%]{0,8}") {
                let url = config.to_url();
                let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", ""));
                let user = config.user.clone().unwrap_or_default();
                let with_secret = format!(
                    "{scheme}://{}:{secret}@{}",
                    utf8_percent_encode(&user, USERINFO),
                    rest.split_once('@').map(|(_, r)| r).unwrap_or(rest)
                );
                match ConnectionConfig::from_url(&with_secret) {
                    Ok((parsed, _)) => prop_assert!(!parsed.to_url().contains(&secret)),
                    Err(e) => prop_assert!(!e.to_string().contains(&secret)),
                }
                let broken = format!("{with_secret}{junk}");
                if let Err(e) = ConnectionConfig::from_url(&broken) {
                    prop_assert!(!format!("{e} {e:?}").contains(&secret), "{}", e);
                }
            }
        }
    }
}
