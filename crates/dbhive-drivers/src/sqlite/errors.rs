//! SQLite errors to DB-Hive's model.

use dbhive_core::{DbError, ErrorKind};
use rusqlite::ffi;

fn code_name(primary: ffi::ErrorCode) -> &'static str {
    use ffi::ErrorCode::*;
    match primary {
        InternalMalfunction => "SQLITE_INTERNAL",
        PermissionDenied => "SQLITE_PERM",
        OperationAborted => "SQLITE_ABORT",
        DatabaseBusy => "SQLITE_BUSY",
        DatabaseLocked => "SQLITE_LOCKED",
        OutOfMemory => "SQLITE_NOMEM",
        ReadOnly => "SQLITE_READONLY",
        OperationInterrupted => "SQLITE_INTERRUPT",
        SystemIoFailure => "SQLITE_IOERR",
        DatabaseCorrupt => "SQLITE_CORRUPT",
        NotFound => "SQLITE_NOTFOUND",
        DiskFull => "SQLITE_FULL",
        CannotOpen => "SQLITE_CANTOPEN",
        FileLockingProtocolFailed => "SQLITE_PROTOCOL",
        SchemaChanged => "SQLITE_SCHEMA",
        TooBig => "SQLITE_TOOBIG",
        ConstraintViolation => "SQLITE_CONSTRAINT",
        TypeMismatch => "SQLITE_MISMATCH",
        ApiMisuse => "SQLITE_MISUSE",
        NoLargeFileSupport => "SQLITE_NOLFS",
        AuthorizationForStatementDenied => "SQLITE_AUTH",
        ParameterOutOfRange => "SQLITE_RANGE",
        NotADatabase => "SQLITE_NOTADB",
        _ => "SQLITE_ERROR",
    }
}

fn kind_for(primary: ffi::ErrorCode, message: &str) -> ErrorKind {
    use ffi::ErrorCode::*;
    match primary {
        OperationInterrupted => ErrorKind::Cancelled,
        ConstraintViolation => ErrorKind::Constraint,
        PermissionDenied | ReadOnly | AuthorizationForStatementDenied => ErrorKind::Permission,
        CannotOpen | NotADatabase => ErrorKind::Connection,
        DatabaseBusy | DatabaseLocked => ErrorKind::Timeout,
        _ if message.contains("syntax error")
            || message.contains("incomplete input")
            || message.contains("unrecognized token") =>
        {
            ErrorKind::Syntax
        }
        _ if message.starts_with("no such ") => ErrorKind::NotFound,
        _ => ErrorKind::Query,
    }
}

/// Converts a rusqlite error. `offset` is where the statement starts in the script sent,
/// in bytes, so positions point into the user's text.
pub fn to_error(e: rusqlite::Error, script: &str, offset: usize) -> DbError {
    match e {
        rusqlite::Error::SqlInputError {
            error,
            msg,
            offset: at,
            ..
        } => {
            let byte = offset + at.max(0) as usize;
            let position = script.get(..byte).map(|p| p.chars().count() as u32 + 1);
            DbError::new(kind_for(error.code, &msg), msg)
                .with_code(code_name(error.code))
                .with_position(position)
        }
        rusqlite::Error::SqliteFailure(error, msg) => {
            let message = msg.unwrap_or_else(|| error.to_string());
            let kind = kind_for(error.code, &message);
            let message = if kind == ErrorKind::Cancelled {
                "query cancelled".to_string()
            } else {
                message
            };
            DbError::new(kind, message).with_code(code_name(error.code))
        }
        rusqlite::Error::MultipleStatement => DbError::new(
            ErrorKind::Syntax,
            "more than one statement where one was expected",
        ),
        other => DbError::new(ErrorKind::Query, other.to_string()),
    }
}
