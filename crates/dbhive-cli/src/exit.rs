//! Exit codes, and the failure a command ends with.

use dbhive_core::{DbError, ErrorKind};

use crate::report;

/// The statement failed (syntax, constraint, missing object...).
pub const QUERY_FAILED: i32 = 1;
/// Bad arguments or an invalid URL.
pub const USAGE: i32 = 2;
/// Could not connect: unreachable, refused, wrong password, TLS, unknown database.
pub const CONNECT_FAILED: i32 = 3;
/// The query ran past --timeout and was cancelled on the server.
pub const TIMEOUT: i32 = 4;
/// Stopped with Ctrl-C (128 + SIGINT, as shells expect).
pub const CANCELLED: i32 = 130;

pub struct Failure {
    pub code: i32,
    /// Already printed when None.
    pub message: Option<String>,
}

impl Failure {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: Some(message.into()),
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Failure::new(USAGE, message)
    }

    pub fn reported(code: i32) -> Self {
        Failure {
            code,
            message: None,
        }
    }

    /// A failure to connect.
    pub fn connect(e: DbError) -> Self {
        report::error(&e, None);
        let code = if e.message.starts_with("invalid connection URL") {
            USAGE
        } else {
            CONNECT_FAILED
        };
        Failure::reported(code)
    }

    /// A failure of a metadata call on an open connection.
    pub fn query(e: DbError) -> Self {
        report::error(&e, None);
        Failure::reported(for_query_error(&e))
    }
}

pub fn for_query_error(e: &DbError) -> i32 {
    match e.kind {
        ErrorKind::Timeout => TIMEOUT,
        ErrorKind::Cancelled => CANCELLED,
        ErrorKind::Connection | ErrorKind::Auth | ErrorKind::Tls => CONNECT_FAILED,
        _ => QUERY_FAILED,
    }
}
