//! From a URL on the command line to an open connection.

use std::sync::Arc;

use dbhive_core::{Connection, ConnectionConfig, DbResult, Secret};

/// Opens the connection the URL names. The password comes from the URL or from
/// DBHIVE_PASSWORD; it is never printed.
pub async fn open(url: &str) -> DbResult<Arc<dyn Connection>> {
    let (config, secret) = ConnectionConfig::from_url(url)?;
    let secret = secret.or_else(|| std::env::var("DBHIVE_PASSWORD").ok().map(Secret::new));
    let registry = dbhive_drivers::registry();
    registry
        .driver(config.engine)?
        .connect(&config, secret)
        .await
}
