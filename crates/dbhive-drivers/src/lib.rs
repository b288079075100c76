//! DB-Hive's engine drivers. Each engine is a cargo feature and a module implementing the
//! traits of `dbhive-core`; [`registry`] builds a registry with every compiled-in driver.

use std::sync::Arc;

use dbhive_core::ConnectionRegistry;

#[cfg(all(feature = "postgres", feature = "mysql", feature = "sqlite"))]
pub mod fuzzing;
#[cfg(feature = "mongo")]
pub mod mongo;
#[cfg(feature = "mssql")]
pub mod mssql;
#[cfg(feature = "mysql")]
pub mod mysql;
#[cfg(any(feature = "postgres", feature = "mysql", feature = "mssql"))]
mod net;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(any(feature = "postgres", feature = "mysql"))]
mod recv;
#[cfg(any(feature = "postgres", feature = "mysql", feature = "mssql"))]
mod running;
#[cfg(any(feature = "postgres", feature = "mysql", feature = "mssql"))]
mod session_slot;
#[cfg(feature = "sqlite")]
pub mod sqlite;

/// A registry that knows every driver this build was compiled with.
pub fn registry() -> ConnectionRegistry {
    let mut registry = ConnectionRegistry::new();
    #[cfg(feature = "postgres")]
    registry.register(Arc::new(postgres::PgDriver));
    #[cfg(feature = "sqlite")]
    registry.register(Arc::new(sqlite::SqliteDriver));
    #[cfg(feature = "mysql")]
    registry.register(Arc::new(mysql::MysqlDriver));
    #[cfg(feature = "mongo")]
    registry.register(Arc::new(mongo::MongoDriver));
    #[cfg(feature = "mssql")]
    registry.register(Arc::new(mssql::MssqlDriver));
    let _ = &mut registry;
    registry
}
