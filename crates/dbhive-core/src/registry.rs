//! [`ConnectionRegistry`]: the open connections of a process, by id, and the drivers that
//! open them.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::{ConnectionConfig, Engine, Secret};
use crate::driver::{Connection, Driver, ServerInfo};
use crate::error::{DbError, DbResult, ErrorKind};

/// The outcome of one health check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub id: String,
    pub latency_ms: Option<u64>,
    pub error: Option<DbError>,
}

/// How long a health check waits for a ping.
const PING_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Default)]
pub struct ConnectionRegistry {
    drivers: BTreeMap<Engine, Arc<dyn Driver>>,
    open: RwLock<HashMap<String, Arc<dyn Connection>>>,
}

impl ConnectionRegistry {
    pub fn new() -> Self {
        ConnectionRegistry::default()
    }

    pub fn register(&mut self, driver: Arc<dyn Driver>) {
        self.drivers.insert(driver.engine(), driver);
    }

    /// The engines this build can talk to.
    pub fn engines(&self) -> Vec<Engine> {
        self.drivers.keys().copied().collect()
    }

    pub fn driver(&self, engine: Engine) -> DbResult<Arc<dyn Driver>> {
        self.drivers.get(&engine).cloned().ok_or_else(|| {
            DbError::unsupported(format!(
                "this build of DB-Hive has no {} driver",
                engine.display_name()
            ))
        })
    }

    /// Connects with `config` without keeping the connection: the "Test" button.
    pub async fn test(
        &self,
        config: &ConnectionConfig,
        secret: Option<Secret>,
    ) -> DbResult<ServerInfo> {
        let conn = self.driver(config.engine)?.connect(config, secret).await?;
        let info = conn.server_info().await;
        conn.close().await;
        info
    }

    /// Opens a connection under `id`, replacing (and closing) one already open there.
    pub async fn open(
        &self,
        id: &str,
        config: &ConnectionConfig,
        secret: Option<Secret>,
    ) -> DbResult<Arc<dyn Connection>> {
        let conn = self.driver(config.engine)?.connect(config, secret).await?;
        let previous = self
            .open
            .write()
            .map_err(|_| DbError::internal("connection registry lock poisoned"))?
            .insert(id.to_string(), conn.clone());
        if let Some(previous) = previous {
            previous.close().await;
        }
        Ok(conn)
    }

    pub fn get(&self, id: &str) -> DbResult<Arc<dyn Connection>> {
        self.open
            .read()
            .map_err(|_| DbError::internal("connection registry lock poisoned"))?
            .get(id)
            .cloned()
            .ok_or_else(|| {
                DbError::new(
                    ErrorKind::NotFound,
                    format!("connection '{id}' is not open"),
                )
            })
    }

    pub fn ids(&self) -> Vec<String> {
        self.open
            .read()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Closes the connection under `id`. False when none was open.
    pub async fn close(&self, id: &str) -> bool {
        let conn = self.open.write().ok().and_then(|mut m| m.remove(id));
        match conn {
            Some(conn) => {
                conn.close().await;
                true
            }
            None => false,
        }
    }

    pub async fn close_all(&self) {
        let all: Vec<_> = self
            .open
            .write()
            .map(|mut m| m.drain().map(|(_, c)| c).collect())
            .unwrap_or_default();
        for conn in all {
            conn.close().await;
        }
    }

    /// Pings every open connection at once; each answers within a few seconds or is
    /// reported as failed.
    pub async fn health_check(&self) -> Vec<Health> {
        let all: Vec<(String, Arc<dyn Connection>)> = self
            .open
            .read()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let mut tasks = tokio::task::JoinSet::new();
        for (id, conn) in all {
            tasks.spawn(async move {
                let outcome = tokio::time::timeout(PING_TIMEOUT, conn.ping()).await;
                match outcome {
                    Ok(Ok(latency)) => Health {
                        id,
                        latency_ms: Some(latency.as_millis() as u64),
                        error: None,
                    },
                    Ok(Err(e)) => Health {
                        id,
                        latency_ms: None,
                        error: Some(e),
                    },
                    Err(_) => Health {
                        id,
                        latency_ms: None,
                        error: Some(DbError::timeout(format!(
                            "no answer to a ping within {} s",
                            PING_TIMEOUT.as_secs()
                        ))),
                    },
                }
            });
        }
        let mut out = Vec::new();
        while let Some(done) = tasks.join_next().await {
            if let Ok(h) = done {
                out.push(h);
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }
}
