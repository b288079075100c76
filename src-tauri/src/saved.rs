//! Saved connections: a JSON file in the app's config folder, private to its owner and
//! replaced atomically (files.rs), holding no secret (passwords live in the keychain, keyed
//! by connection id).

use std::path::PathBuf;
use std::sync::Mutex;

use dbhive_core::{ConnectionConfig, DbError, DbResult};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SavedConnection {
    pub id: String,
    pub name: String,
    /// "#rrggbb", shown beside the name (production in red, say).
    pub color: Option<String>,
    pub config: ConnectionConfig,
    /// The password is in the keychain.
    pub save_password: bool,
    /// A production server: tagged in its tabs and the window title, and an UPDATE or
    /// DELETE without WHERE asks first.
    #[serde(default)]
    pub production: bool,
    /// Its query tabs start in manual-commit mode.
    #[serde(default)]
    pub manual_commit: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Contents {
    version: u32,
    connections: Vec<SavedConnection>,
    /// The sample connection was offered once; deleting it keeps it deleted.
    #[serde(default)]
    sample_offered: bool,
}

pub struct SavedStore {
    path: PathBuf,
    contents: Mutex<Contents>,
}

impl SavedStore {
    /// Reads the file; a missing file is an empty list, an unreadable one is kept aside
    /// (renamed with a .broken suffix) so nothing the user had is overwritten.
    pub fn load(path: PathBuf) -> SavedStore {
        crate::files::tighten(&path);
        let contents = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                let aside = path.with_extension("json.broken");
                tracing::warn!(error = %e, "saved connections unreadable; kept at {}", aside.display());
                let _ = std::fs::rename(&path, &aside);
                Contents::default()
            }),
            Err(_) => Contents::default(),
        };
        SavedStore {
            path,
            contents: Mutex::new(contents),
        }
    }

    fn lock(&self) -> DbResult<std::sync::MutexGuard<'_, Contents>> {
        self.contents
            .lock()
            .map_err(|_| DbError::internal("saved connections lock poisoned"))
    }

    fn persist(&self, contents: &Contents) -> DbResult<()> {
        let json =
            serde_json::to_vec_pretty(contents).map_err(|e| DbError::internal(e.to_string()))?;
        crate::files::write_private(&self.path, &json)
    }

    pub fn list(&self) -> DbResult<Vec<SavedConnection>> {
        Ok(self.lock()?.connections.clone())
    }

    pub fn get(&self, id: &str) -> DbResult<SavedConnection> {
        self.lock()?
            .connections
            .iter()
            .find(|c| c.id == id)
            .cloned()
            .ok_or_else(|| DbError::not_found(format!("no saved connection '{id}'")))
    }

    /// Adds or replaces (by id).
    pub fn upsert(&self, connection: SavedConnection) -> DbResult<()> {
        let mut contents = self.lock()?;
        contents.version = 1;
        match contents
            .connections
            .iter_mut()
            .find(|c| c.id == connection.id)
        {
            Some(existing) => *existing = connection,
            None => contents.connections.push(connection),
        }
        self.persist(&contents)
    }

    /// Changes one saved connection in place, under the lock, so a change made meanwhile
    /// (an edit saved while this connection was connecting) is never overwritten by an
    /// older copy. `change` says whether it changed anything.
    pub fn update(
        &self,
        id: &str,
        change: impl FnOnce(&mut SavedConnection) -> bool,
    ) -> DbResult<()> {
        let mut contents = self.lock()?;
        let Some(found) = contents.connections.iter_mut().find(|c| c.id == id) else {
            return Err(DbError::not_found(format!("no saved connection '{id}'")));
        };
        if change(found) {
            self.persist(&contents)?;
        }
        Ok(())
    }

    pub fn remove(&self, id: &str) -> DbResult<()> {
        let mut contents = self.lock()?;
        contents.connections.retain(|c| c.id != id);
        self.persist(&contents)
    }

    /// Adds the sample connection the first time only.
    pub fn offer_sample(&self, sample: SavedConnection) -> DbResult<()> {
        let mut contents = self.lock()?;
        if contents.sample_offered {
            return Ok(());
        }
        contents.sample_offered = true;
        contents.version = 1;
        if !contents.connections.iter().any(|c| c.id == sample.id) {
            contents.connections.insert(0, sample);
        }
        self.persist(&contents)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_broken_file_kept_aside() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("connections.json");
        let store = SavedStore::load(path.clone());
        let (config, secret) =
            ConnectionConfig::from_url("postgres://me:hunter2@db/app").expect("url");
        assert!(secret.is_some());
        store
            .upsert(SavedConnection {
                id: "a".into(),
                name: "App".into(),
                color: None,
                config,
                save_password: true,
                production: false,
                manual_commit: false,
            })
            .expect("save");
        let text = std::fs::read_to_string(&path).expect("file");
        assert!(!text.contains("hunter2"));
        assert_eq!(
            SavedStore::load(path.clone()).list().expect("list").len(),
            1
        );

        std::fs::write(&path, "{ not json").expect("write");
        let store = SavedStore::load(path.clone());
        assert!(store.list().expect("list").is_empty());
        assert!(path.with_extension("json.broken").exists());
    }
}
