//! DB-Hive's engine-neutral core. Nothing here names an engine library: drivers implement
//! [`Driver`], [`Connection`] and [`Session`], and everything above them (the CLI, the
//! desktop shell) speaks only these types.

pub mod config;
pub mod csv;
pub mod driver;
pub mod edit;
pub mod error;
pub mod guard;
pub mod json;
pub mod limits;
pub mod pool;
pub mod query;
pub mod registry;
pub mod result;
pub mod schema;
pub mod security;
pub mod store;
pub mod value;

pub use config::{ConnectionConfig, Engine, Secret, TlsMode};
pub use driver::{Connection, Driver, ServerInfo, Session, run_options};
pub use error::{DbError, DbResult, ErrorKind};
pub use query::{
    EventSink, QueryHandle, QueryStream, RowOutcome, RunOptions, ServerCancel, spawn_query,
};
pub use registry::{ConnectionRegistry, Health};
pub use result::{Column, ColumnOrigin, Notice, QueryEvent, QueryOptions, RowBatch};
pub use schema::{
    Choices, ColumnInfo, DatabaseInfo, FolderKind, ForeignKeyInfo, IndexInfo, NodeKind, PrimaryKey,
    SchemaInfo, SchemaNode, TableDescription, TableInfo, TableKind, TableRef, TriggerInfo,
};
pub use security::{Channel, TlsPeer, TlsPolicy};
pub use store::ResultStore;
pub use value::{ArrayStyle, BytesStyle, TextStyle, Value};
