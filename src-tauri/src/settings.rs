//! The app's settings: limits for stored results (memory across all result tabs, disk for
//! the rows spilled past it). A JSON file in the config folder, private like the saved
//! connections; missing or unreadable, the defaults apply.

use std::path::PathBuf;
use std::sync::Mutex;

use dbhive_core::store::{DEFAULT_DISK_LIMIT, DEFAULT_MEMORY_LIMIT, StoreLimits};
use dbhive_core::{DbError, DbResult, ErrorKind};
use serde::{Deserialize, Serialize};

const MB: u64 = 1 << 20;
const GB: u64 = 1 << 30;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Rows kept in memory across every result, in MB; past it, new rows go to disk.
    pub result_memory_mb: u64,
    /// Rows spilled to disk across every result, in GB; past it, a query stops with an error.
    pub result_disk_gb: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            result_memory_mb: DEFAULT_MEMORY_LIMIT / MB,
            result_disk_gb: DEFAULT_DISK_LIMIT / GB,
        }
    }
}

impl Settings {
    pub fn validate(&self) -> DbResult<()> {
        let invalid = |m: &str| {
            Err(DbError::new(ErrorKind::Unsupported, m.to_string()).with_code("invalid_input"))
        };
        if !(64..=1 << 20).contains(&self.result_memory_mb) {
            return invalid("memory for results must be between 64 MB and 1 TB");
        }
        if !(1..=1 << 14).contains(&self.result_disk_gb) {
            return invalid("disk for results must be between 1 GB and 16 TB");
        }
        Ok(())
    }

    fn apply(&self, limits: &StoreLimits) {
        limits.set(self.result_memory_mb * MB, self.result_disk_gb * GB);
    }
}

pub struct SettingsStore {
    path: PathBuf,
    current: Mutex<Settings>,
    pub limits: std::sync::Arc<StoreLimits>,
}

impl SettingsStore {
    pub fn load(path: PathBuf) -> SettingsStore {
        crate::files::tighten(&path);
        let current = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Settings>(&b).ok())
            .filter(|s| s.validate().is_ok())
            .unwrap_or_default();
        let limits = StoreLimits::new(0, 0);
        current.apply(&limits);
        SettingsStore {
            path,
            current: Mutex::new(current),
            limits,
        }
    }

    pub fn get(&self) -> Settings {
        self.current.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn set(&self, settings: Settings) -> DbResult<()> {
        settings.validate()?;
        let json =
            serde_json::to_vec_pretty(&settings).map_err(|e| DbError::internal(e.to_string()))?;
        crate::files::write_private(&self.path, &json)?;
        settings.apply(&self.limits);
        if let Ok(mut current) = self.current.lock() {
            *current = settings;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_settings_set_the_limits() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("settings.json");
        let store = SettingsStore::load(path.clone());
        assert_eq!(store.get(), Settings::default());
        let small = Settings {
            result_memory_mb: 128,
            result_disk_gb: 2,
        };
        store.set(small.clone()).expect("save");
        assert_eq!(store.limits.usage().memory_limit, 128 * MB);
        let again = SettingsStore::load(path);
        assert_eq!(again.get(), small);
        assert_eq!(again.limits.usage().disk_limit, 2 * GB);
        assert!(
            store
                .set(Settings {
                    result_memory_mb: 1,
                    result_disk_gb: 2
                })
                .is_err()
        );
    }
}
