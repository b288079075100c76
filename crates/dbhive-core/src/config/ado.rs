//! SQL Server's ADO.NET connection strings (`Server=tcp:db,1433;Database=app;User
//! Id=me;Encrypt=True;TrustServerCertificate=False`), read into a config and written back,
//! and the meaning of `Encrypt` and `TrustServerCertificate` wherever they appear.

use super::{ConnectionConfig, Engine, Secret, TlsMode};
use crate::error::{DbError, DbResult, ErrorKind};

fn ado_error(message: &str) -> DbError {
    DbError::new(
        ErrorKind::Connection,
        format!("invalid connection string: {message}"),
    )
}

/// Whether `input` looks like `Key=Value;Key=Value` rather than a URL.
pub fn looks_like_ado(input: &str) -> bool {
    let lower = input.to_ascii_lowercase();
    input.contains('=')
        && !input.contains("://")
        && [
            "server=",
            "data source=",
            "address=",
            "addr=",
            "network address=",
        ]
        .iter()
        .any(|k| {
            lower.starts_with(k)
                || lower.contains(&format!(";{k}"))
                || lower.contains(&format!("; {k}"))
        })
}

/// Splits `a=b;c='d;e'` into pairs: values may be quoted with ' or " (doubled to escape)
/// or with braces ({...}, `}}` for a brace), as SqlClient accepts them.
fn pairs(input: &str) -> DbResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ';' || c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        for c in chars.by_ref() {
            if c == '=' {
                break;
            }
            key.push(c);
        }
        let key = key.trim().to_string();
        if key.is_empty() {
            return Err(ado_error("a key is missing before '='"));
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        match chars.peek().copied() {
            Some(q @ ('\'' | '"' | '{')) => {
                chars.next();
                let close = if q == '{' { '}' } else { q };
                let mut closed = false;
                while let Some(c) = chars.next() {
                    if c == close {
                        if chars.peek() == Some(&close) {
                            chars.next();
                            value.push(c);
                            continue;
                        }
                        closed = true;
                        break;
                    }
                    value.push(c);
                }
                if !closed {
                    return Err(ado_error(&format!("the value of {key} is not closed")));
                }
            }
            _ => {
                while let Some(&c) = chars.peek() {
                    if c == ';' {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
                value = value.trim().to_string();
            }
        }
        out.push((key, value));
    }
    Ok(out)
}

fn truthy(key: &str, value: &str) -> DbResult<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "sspi" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err(ado_error(&format!(
            "{key} must be true or false, not '{value}'"
        ))),
    }
}

/// The option that asks for TDS 8 ("strict"): TLS before the first TDS byte.
pub const STRICT: &str = "strict";

/// Whether the connection speaks TDS 8 (`Encrypt=Strict`).
pub fn is_strict(config: &ConnectionConfig) -> bool {
    config.options.get(STRICT).is_some_and(|v| v == "true")
}

/// `Encrypt`'s values as SqlClient reads them: Mandatory verifies the certificate, Optional
/// does not require TLS, Strict is TDS 8 (TLS before anything else, verified).
pub fn apply_encrypt(config: &mut ConnectionConfig, value: &str) -> Option<()> {
    let lower = value.to_ascii_lowercase();
    config.options.remove(STRICT);
    config.tls = match lower.as_str() {
        "true" | "yes" | "mandatory" | "on" | "1" => TlsMode::VerifyFull,
        "strict" => {
            config.options.insert(STRICT.into(), "true".into());
            TlsMode::VerifyFull
        }
        "false" | "no" | "optional" | "off" | "0" => TlsMode::Prefer,
        other => TlsMode::parse(other)?,
    };
    Some(())
}

/// TrustServerCertificate=true: TLS without verification, the certificate pinned on first
/// use, and the login (which carries the password) sent to that server: the user's
/// per-connection consent, in SQL Server's words.
pub fn trust_server_certificate(config: &mut ConnectionConfig) {
    if matches!(config.tls, TlsMode::VerifyFull | TlsMode::VerifyCa) {
        config.tls = TlsMode::Require;
    }
    config.allow_unverified_password = true;
}

pub fn parse(input: &str) -> DbResult<(ConnectionConfig, Option<Secret>)> {
    let mut config = ConnectionConfig::new(Engine::Mssql);
    let mut secret = None;
    let mut trust = false;
    for (key, value) in pairs(input)? {
        let lower = key.to_ascii_lowercase().replace(' ', "");
        match lower.as_str() {
            "server" | "datasource" | "address" | "addr" | "networkaddress" => {
                let v = value
                    .strip_prefix("tcp:")
                    .or_else(|| value.strip_prefix("TCP:"))
                    .unwrap_or(&value);
                let (host, port) = match v.rsplit_once(',') {
                    Some((h, p)) => (
                        h.trim(),
                        Some(p.trim().parse::<u16>().map_err(|_| {
                            ado_error(&format!("the port in {key}={value} must be a number"))
                        })?),
                    ),
                    None => (v.trim(), None),
                };
                // "." and "(local)" are this machine, as SqlClient has them.
                let (machine, instance) = match host.split_once('\\') {
                    Some((m, i)) => (m, Some(i)),
                    None => (host, None),
                };
                let machine = match machine {
                    "." | "(local)" => "localhost",
                    m => m,
                };
                config.host = Some(match instance {
                    Some(i) => format!("{machine}\\{i}"),
                    None => machine.to_string(),
                });
                config.port = port;
            }
            "database" | "initialcatalog" => config.database = Some(value),
            "userid" | "uid" | "user" | "username" => config.user = Some(value),
            "password" | "pwd" => secret = Some(Secret::new(value)),
            "encrypt" => {
                apply_encrypt(&mut config, &value)
                    .ok_or_else(|| ado_error(&format!("unknown Encrypt value '{value}'")))?;
            }
            "trustservercertificate" => trust = truthy(&key, &value)?,
            "hostnameincertificate" => {
                config
                    .options
                    .insert("host_name_in_certificate".into(), value);
            }
            "servercertificate" => config.tls_root_cert = Some(value.into()),
            "connecttimeout" | "connectiontimeout" | "timeout" => {
                config.connect_timeout_secs = value
                    .parse()
                    .map_err(|_| ado_error(&format!("{key} must be a whole number of seconds")))?;
            }
            "commandtimeout" => {
                let n: u64 = value
                    .parse()
                    .map_err(|_| ado_error(&format!("{key} must be a whole number of seconds")))?;
                config.query_timeout_secs = (n > 0).then_some(n);
            }
            "maxpoolsize" => {
                let n: u32 = value
                    .parse()
                    .map_err(|_| ado_error(&format!("{key} must be a whole number")))?;
                config.pool_size = n.clamp(1, 256);
            }
            "integratedsecurity" | "trustedconnection" if truthy(&key, &value)? => {
                return Err(DbError::unsupported(
                    "Windows (integrated) authentication is not supported yet: use a SQL Server login",
                ));
            }
            "applicationname" | "app" => {
                config.options.insert("application_name".into(), value);
            }
            "applicationintent" => {
                config.options.insert("ApplicationIntent".into(), value);
            }
            _ => {
                config.options.insert(key, value);
            }
        }
    }
    if config.host.is_none() {
        return Err(ado_error("no Server (or Data Source) given"));
    }
    if trust {
        trust_server_certificate(&mut config);
    }
    Ok((config, secret))
}

fn quoted(value: &str) -> String {
    if value.contains([';', '\'', '"', '{', '}', '=']) || value.trim() != value {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// The config as an ADO.NET connection string, without the password.
pub fn render(config: &ConnectionConfig) -> String {
    let mut parts = Vec::new();
    let host = config.host.as_deref().unwrap_or("localhost");
    parts.push(match config.port {
        Some(p) => format!("Server={},{p}", quoted(host)),
        None => format!("Server={}", quoted(host)),
    });
    if let Some(db) = &config.database {
        parts.push(format!("Database={}", quoted(db)));
    }
    if let Some(user) = &config.user {
        parts.push(format!("User Id={}", quoted(user)));
    }
    let trust = config.allow_unverified_password && config.tls == TlsMode::Require;
    parts.push(
        match config.tls {
            _ if is_strict(config) => "Encrypt=Strict",
            TlsMode::Disable | TlsMode::Prefer => "Encrypt=Optional",
            _ => "Encrypt=Mandatory",
        }
        .to_string(),
    );
    parts.push(format!(
        "TrustServerCertificate={}",
        if trust { "True" } else { "False" }
    ));
    if let Some(root) = &config.tls_root_cert {
        parts.push(format!(
            "ServerCertificate={}",
            quoted(&root.display().to_string())
        ));
    }
    parts.push(format!("Connect Timeout={}", config.connect_timeout_secs));
    for (k, v) in &config.options {
        match k.as_str() {
            "application_name" => parts.push(format!("Application Name={}", quoted(v))),
            "host_name_in_certificate" => {
                parts.push(format!("HostNameInCertificate={}", quoted(v)))
            }
            STRICT => {}
            _ => parts.push(format!("{k}={}", quoted(v))),
        }
    }
    parts.join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_strings_read_as_sqlclient_reads_them() {
        let (c, secret) = parse(
            "Server=tcp:db.example.com,14330;Initial Catalog=App DB;User ID=me;Password='p;w''d';Encrypt=True;TrustServerCertificate=False;Connection Timeout=12",
        )
        .expect("parse");
        assert_eq!(c.engine, Engine::Mssql);
        assert_eq!(c.host.as_deref(), Some("db.example.com"));
        assert_eq!(c.port, Some(14330));
        assert_eq!(c.database.as_deref(), Some("App DB"));
        assert_eq!(c.user.as_deref(), Some("me"));
        assert_eq!(
            secret.map(|s| s.expose().to_string()).as_deref(),
            Some("p;w'd")
        );
        assert_eq!(c.tls, TlsMode::VerifyFull);
        assert!(!c.allow_unverified_password);
        assert_eq!(c.connect_timeout_secs, 12);

        let (c, _) =
            parse("Data Source=.\\SQLEXPRESS;Database=x;Encrypt=yes;TrustServerCertificate=yes")
                .expect("parse");
        assert_eq!(c.host.as_deref(), Some("localhost\\SQLEXPRESS"));
        assert_eq!(c.tls, TlsMode::Require, "trusted: encrypted, pinned");
        assert!(
            c.allow_unverified_password,
            "TrustServerCertificate is the opt-in"
        );

        let (c, _) = parse("server={odd;name};database=d;encrypt=optional").expect("braces");
        assert_eq!(c.host.as_deref(), Some("odd;name"));
        assert_eq!(c.tls, TlsMode::Prefer);

        let (c, _) = parse("Server=db;Encrypt=Strict").expect("strict");
        assert!(is_strict(&c), "TDS 8");
        assert_eq!(c.tls, TlsMode::VerifyFull, "strict verifies");
        let (c, _) = parse("Server=db;Encrypt=Strict;Encrypt=Mandatory").expect("last wins");
        assert!(!is_strict(&c));
        let (url, _) =
            ConnectionConfig::from_url("sqlserver://me@db/x?encrypt=strict").expect("url");
        assert!(is_strict(&url));
        assert_eq!(
            ConnectionConfig::from_url(&url.to_url())
                .expect("round trip")
                .0,
            url
        );

        assert!(parse("Database=x").is_err(), "no server");
        assert!(parse("Server=h;Password='open").is_err());
        assert!(parse("Server=h;Integrated Security=SSPI").is_err());
        assert!(looks_like_ado("Server=h;Database=d"));
        assert!(looks_like_ado("Data Source=h"));
        assert!(!looks_like_ado("postgres://u@h/d?x=1"));
        assert!(!looks_like_ado("app.db"));
    }

    #[test]
    fn a_config_renders_back_to_the_same_config() {
        for s in [
            "Server=db,1433;Database=App DB;User Id=me;Encrypt=Mandatory;TrustServerCertificate=False;Connect Timeout=10",
            "Server=db\\INST;Database=x;User Id=u;Encrypt=Mandatory;TrustServerCertificate=True;Connect Timeout=10;Application Name=\"a;b\"",
            "Server=db;Encrypt=Optional;TrustServerCertificate=False;Connect Timeout=10",
            "Server=db;Encrypt=Strict;TrustServerCertificate=False;Connect Timeout=10",
        ] {
            let (c, _) = parse(s).expect(s);
            assert_eq!(render(&c), s);
            assert_eq!(parse(&render(&c)).expect("again").0, c);
        }
    }
}
