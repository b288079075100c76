//! The driver's and the server's errors as DbErrors: a kind to branch on, the server's code
//! and code name, and a message a person understands. The driver redacts credentials from
//! its own messages; nothing here adds any.

use dbhive_core::{DbError, ErrorKind};
use mongodb::bson::{Bson, Document};
use mongodb::error::{Error, ErrorKind as MongoKind, WriteFailure};

/// The kind DB-Hive gives a server error code.
pub(crate) fn kind_of_code(code: i32) -> ErrorKind {
    match code {
        11000 | 11001 | 12582 | 121 => ErrorKind::Constraint,
        13 | 8000 => ErrorKind::Permission,
        18 | 11 => ErrorKind::Auth,
        26 | 27 => ErrorKind::NotFound,
        50 | 262 => ErrorKind::Timeout,
        11601 | 11602 | 237 => ErrorKind::Cancelled,
        59 | 115 | 238 => ErrorKind::Unsupported,
        9 | 2 | 14 | 17 | 40 | 15974 | 40324 | 40352 | 16410 | 31249 => ErrorKind::Query,
        6 | 7 | 89 | 91 | 189 | 9001 => ErrorKind::Connection,
        _ => ErrorKind::Query,
    }
}

fn server_error(code: i32, code_name: &str, message: &str) -> DbError {
    let mut error =
        DbError::new(kind_of_code(code), message.to_string()).with_code(code.to_string());
    if !code_name.is_empty() {
        error.detail = Some(code_name.to_string());
    }
    if code == 11000 {
        error.hint =
            Some("A unique index already holds this key; change the value or the index.".into());
    }
    error
}

/// A reply's `writeErrors` / `writeConcernError`, which come with `ok: 1`.
pub(crate) fn write_errors(reply: &Document) -> Option<DbError> {
    if let Ok(errors) = reply.get_array("writeErrors") {
        let first = errors.iter().find_map(|e| match e {
            Bson::Document(d) => Some(d),
            _ => None,
        })?;
        let code = first.get_i32("code").unwrap_or(0);
        let message = first.get_str("errmsg").unwrap_or("write error");
        let mut error = server_error(code, first.get_str("codeName").unwrap_or(""), message);
        if errors.len() > 1 {
            error.message = format!(
                "{} (and {} more write errors)",
                error.message,
                errors.len() - 1
            );
        }
        return Some(error);
    }
    if let Ok(e) = reply.get_document("writeConcernError") {
        let code = e.get_i32("code").unwrap_or(0);
        return Some(server_error(
            code,
            e.get_str("codeName").unwrap_or(""),
            &format!(
                "write concern: {}",
                e.get_str("errmsg").unwrap_or("not satisfied")
            ),
        ));
    }
    None
}

pub(crate) fn map(e: Error) -> DbError {
    let text = e.to_string();
    match *e.kind {
        MongoKind::Authentication { message, .. } => {
            DbError::new(ErrorKind::Auth, format!("authentication failed: {message}"))
                .with_hint(Some(
                "Check the user name, the password and the authentication database (authSource)."
                    .into(),
            ))
        }
        MongoKind::Command(c) => server_error(c.code, &c.code_name, &c.message),
        MongoKind::Write(WriteFailure::WriteError(w)) => {
            server_error(w.code, w.code_name.as_deref().unwrap_or(""), &w.message)
        }
        MongoKind::Write(WriteFailure::WriteConcernError(w)) => {
            server_error(w.code, &w.code_name, &w.message)
        }
        MongoKind::ServerSelection { message, .. } => {
            let tls = looks_like_tls(&message);
            let mut error = DbError::new(
                if tls {
                    ErrorKind::Tls
                } else {
                    ErrorKind::Timeout
                },
                format!(
                    "no MongoDB server could be reached in time: {}",
                    first_line(&message)
                ),
            )
            .with_code("server_selection_timeout");
            error.hint = Some(if tls {
                "The server's certificate was refused. Give its CA (tlsCAFile), or, only if you trust this network, allow invalid certificates for this connection.".into()
            } else {
                "Check the host, the port and that the server runs; for a replica set, that its members' names resolve from here (or connect directly with directConnection=true).".into()
            });
            error
        }
        MongoKind::DnsResolve { message, .. } => DbError::new(
            ErrorKind::Connection,
            format!("cannot resolve the server's name: {message}"),
        ),
        MongoKind::Io(io) => DbError::new(ErrorKind::Connection, format!("connection error: {io}")),
        MongoKind::ConnectionPoolCleared { message, .. } => {
            DbError::new(ErrorKind::Connection, message)
        }
        MongoKind::InvalidTlsConfig { message, .. } => {
            DbError::new(ErrorKind::Tls, format!("TLS settings: {message}"))
        }
        MongoKind::InvalidArgument { message, .. } => DbError::new(ErrorKind::Query, message),
        MongoKind::IncompatibleServer { message, .. } => {
            DbError::new(ErrorKind::Unsupported, message)
        }
        MongoKind::InvalidResponse { message, .. } => {
            DbError::internal(format!("the server's reply could not be read: {message}"))
        }
        MongoKind::BulkWrite(_) | MongoKind::InsertMany(_) => DbError::new(ErrorKind::Query, text),
        _ => DbError::new(ErrorKind::Query, text),
    }
}

fn looks_like_tls(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("certificate") || m.contains("tls") || m.contains("ssl")
}

fn first_line(message: &str) -> &str {
    // The driver appends the whole topology description; the first part says what failed.
    message
        .split(", Topology:")
        .next()
        .unwrap_or(message)
        .trim()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::doc;

    #[test]
    fn duplicate_keys_are_constraint_errors() {
        let reply = doc! { "ok": 1, "n": 0, "writeErrors": [ { "index": 0, "code": 11000, "errmsg": "E11000 duplicate key error" } ] };
        let e = write_errors(&reply).expect("error");
        assert_eq!(e.kind, ErrorKind::Constraint);
        assert_eq!(e.code.as_deref(), Some("11000"));
        assert!(write_errors(&doc! { "ok": 1, "n": 1 }).is_none());
    }
}
