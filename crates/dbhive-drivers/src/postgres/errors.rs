//! PostgreSQL errors and notices to DB-Hive's model, by SQLSTATE.

use dbhive_core::{DbError, ErrorKind, Notice};

use super::protocol::ErrorFields;

pub fn kind_for(code: &str, message: &str) -> ErrorKind {
    match code {
        "42601" => ErrorKind::Syntax,
        "42501" => ErrorKind::Permission,
        "42P01" | "42703" | "42883" | "42704" | "3F000" | "3D000" | "42P02" | "42P04" => {
            ErrorKind::NotFound
        }
        // statement_timeout and a cancel request share a code; only the text tells them apart.
        "57014" if message.contains("timeout") => ErrorKind::Timeout,
        "57014" => ErrorKind::Cancelled,
        "25P03" | "55P03" => ErrorKind::Timeout,
        "0A000" => ErrorKind::Unsupported,
        "57P01" | "57P02" | "57P03" | "53300" => ErrorKind::Connection,
        "28P01" | "28000" => ErrorKind::Auth,
        _ if code.starts_with("08") => ErrorKind::Connection,
        _ if code.starts_with("28") => ErrorKind::Auth,
        _ if code.starts_with("23") => ErrorKind::Constraint,
        _ => ErrorKind::Query,
    }
}

pub fn to_error(f: ErrorFields) -> DbError {
    let mut kind = kind_for(&f.code, &f.message);
    // Our own CopyFail comes back as 57014 too; it is a refusal, not a cancel.
    if f.message.starts_with("COPY from stdin failed") {
        kind = ErrorKind::Unsupported;
    }
    let mut message = f.message;
    if kind == ErrorKind::Cancelled {
        message = "query cancelled".into();
    }
    let mut detail = f.detail;
    if let Some(ctx) = f.context {
        detail = Some(match detail {
            Some(d) => format!("{d}\n{ctx}"),
            None => ctx,
        });
    }
    DbError {
        kind,
        code: Some(f.code),
        message,
        detail,
        hint: f.hint,
        position: f.position,
        certificate: None,
        in_messages: false,
    }
}

pub fn to_notice(f: ErrorFields) -> Notice {
    Notice {
        severity: f.severity,
        code: Some(f.code),
        message: f.message,
        detail: f.detail,
        hint: f.hint,
    }
}
