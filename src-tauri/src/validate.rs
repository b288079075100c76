//! Checks on everything the webview sends: it is trusted code, but a bug there must not
//! reach a driver as a malformed request.

use dbhive_core::{ConnectionConfig, DbError, DbResult, Engine, ErrorKind, TableRef};

fn invalid(message: impl Into<String>) -> DbError {
    DbError::new(ErrorKind::Unsupported, message).with_code("invalid_input")
}

/// Ids: 1 to 64 of [A-Za-z0-9_-].
pub fn id(value: &str, what: &str) -> DbResult<()> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(invalid(format!("invalid {what} id")))
    }
}

pub fn text(value: &str, what: &str, max: usize) -> DbResult<()> {
    if value.len() > max {
        return Err(invalid(format!("{what} is longer than {max} bytes")));
    }
    if value.contains('\0') {
        return Err(invalid(format!("{what} contains a NUL character")));
    }
    Ok(())
}

pub fn color(value: Option<&str>) -> DbResult<()> {
    match value {
        None => Ok(()),
        Some(c)
            if c.len() == 7
                && c.starts_with('#')
                && c[1..].bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Ok(())
        }
        Some(_) => Err(invalid("colors are written #rrggbb")),
    }
}

pub fn path(path: &[String]) -> DbResult<()> {
    if path.len() > 16 {
        return Err(invalid("tree path too deep"));
    }
    path.iter()
        .try_for_each(|p| text(p, "tree path element", 4096))
}

pub fn table(t: &TableRef) -> DbResult<()> {
    for part in [&t.database, &t.schema].into_iter().flatten() {
        text(part, "name", 4096)?;
    }
    if t.name.is_empty() {
        return Err(invalid("table name is empty"));
    }
    text(&t.name, "table name", 4096)
}

/// A config the user filled in: the fields its engine needs, sane limits.
pub fn config(c: &ConnectionConfig) -> DbResult<()> {
    for (value, what) in [
        (&c.host, "host"),
        (&c.user, "user"),
        (&c.database, "database"),
    ] {
        if let Some(v) = value {
            text(v, what, 4096)?;
        }
    }
    match c.engine {
        Engine::Sqlite => {
            if c.database.as_deref().is_none_or(|d| d.trim().is_empty()) {
                return Err(invalid("choose a SQLite database file (or :memory:)"));
            }
        }
        _ => {
            if c.host.as_deref().is_none_or(|h| h.trim().is_empty()) {
                return Err(invalid("the host is required"));
            }
        }
    }
    if c.pool_size == 0 || c.pool_size > 64 {
        return Err(invalid("pool size must be between 1 and 64"));
    }
    if c.connect_timeout_secs == 0 || c.connect_timeout_secs > 600 {
        return Err(invalid("connect timeout must be between 1 and 600 seconds"));
    }
    if c.query_timeout_secs.is_some_and(|t| t > 86_400) {
        return Err(invalid("query timeout must be at most a day"));
    }
    if let Some(pin) = &c.tls_pin
        && dbhive_core::config::normalize_fingerprint(pin).as_deref() != Some(pin.as_str())
    {
        return Err(invalid(
            "a pinned certificate is a SHA-256 fingerprint: 32 hex pairs joined by ':'",
        ));
    }
    for (k, v) in &c.options {
        text(k, "option name", 256)?;
        text(v, "option value", 4096)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_it_should() {
        assert!(id("abc-1_2", "tab").is_ok());
        assert!(id("../etc", "tab").is_err());
        assert!(id("", "tab").is_err());
        assert!(color(Some("#aabbcc")).is_ok());
        assert!(color(Some("red")).is_err());
        let mut c = ConnectionConfig::new(Engine::Postgres);
        assert!(config(&c).is_err(), "no host");
        c.host = Some("db".into());
        assert!(config(&c).is_ok());
        c.pool_size = 1000;
        assert!(config(&c).is_err());
        assert!(config(&ConnectionConfig::sqlite("")).is_err());
    }
}
