//! Passwords in the operating system's keychain (Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows). Never anywhere else: without a keychain the app asks at
//! connect time and keeps the answer in memory only.

use std::sync::Mutex;

use dbhive_core::{DbError, DbResult, ErrorKind, Secret};
use serde::Serialize;

const SERVICE: &str = "DB-Hive";

#[derive(Clone, Debug, Serialize)]
pub struct KeychainStatus {
    pub available: bool,
    /// What is used, or why there is none.
    pub detail: String,
}

#[derive(Default)]
pub struct Keychain {
    status: Mutex<Option<KeychainStatus>>,
}

fn account(connection_id: &str) -> String {
    format!("connection:{connection_id}")
}

fn platform() -> &'static str {
    if cfg!(target_os = "macos") {
        "macOS Keychain"
    } else if cfg!(windows) {
        "Windows Credential Manager"
    } else {
        "Secret Service (GNOME Keyring, KWallet)"
    }
}

fn keychain_error(e: keyring::Error) -> DbError {
    DbError::new(ErrorKind::Internal, format!("the keychain refused: {e}"))
}

impl Keychain {
    /// Whether a keychain answers here. Probed once; blocking (call off the async threads).
    pub fn status(&self) -> KeychainStatus {
        if let Some(s) = self.status.lock().ok().and_then(|s| s.clone()) {
            return s;
        }
        let status = if std::env::var("DBHIVE_KEYCHAIN").as_deref() == Ok("off") {
            KeychainStatus {
                available: false,
                detail: "disabled by DBHIVE_KEYCHAIN=off".into(),
            }
        } else {
            match keyring::Entry::new(SERVICE, "probe").and_then(|e| e.get_password()) {
                Ok(_) | Err(keyring::Error::NoEntry) => KeychainStatus {
                    available: true,
                    detail: platform().into(),
                },
                Err(e) => KeychainStatus {
                    available: false,
                    detail: format!("no usable {}: {e}", platform()),
                },
            }
        };
        if let Ok(mut s) = self.status.lock() {
            *s = Some(status.clone());
        }
        status
    }

    fn require(&self) -> DbResult<()> {
        let status = self.status();
        if status.available {
            Ok(())
        } else {
            Err(DbError::new(
                ErrorKind::Unsupported,
                format!("passwords cannot be saved: {}", status.detail),
            ))
        }
    }

    pub fn set(&self, connection_id: &str, password: &str) -> DbResult<()> {
        self.require()?;
        keyring::Entry::new(SERVICE, &account(connection_id))
            .and_then(|e| e.set_password(password))
            .map_err(keychain_error)
    }

    pub fn get(&self, connection_id: &str) -> DbResult<Option<Secret>> {
        if !self.status().available {
            return Ok(None);
        }
        match keyring::Entry::new(SERVICE, &account(connection_id)).and_then(|e| e.get_password()) {
            Ok(p) => Ok(Some(Secret::new(p))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keychain_error(e)),
        }
    }

    pub fn delete(&self, connection_id: &str) -> DbResult<()> {
        if !self.status().available {
            return Ok(());
        }
        match keyring::Entry::new(SERVICE, &account(connection_id))
            .and_then(|e| e.delete_credential())
        {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keychain_error(e)),
        }
    }
}
