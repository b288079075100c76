//! The metadata model: databases, schemas, tables and their parts, and the lazy tree of
//! [`SchemaNode`]s the UI and `dbhive tree` walk one level at a time.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{DbError, DbResult};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseInfo {
    pub name: String,
    pub size_bytes: Option<i64>,
    /// The database this connection is attached to.
    pub is_current: bool,
    pub comment: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaInfo {
    pub name: String,
    pub owner: Option<String>,
    /// pg_catalog, information_schema and the like.
    pub is_system: bool,
    pub comment: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    Table,
    PartitionedTable,
    View,
    MaterializedView,
    ForeignTable,
    Collection,
}

impl TableKind {
    pub fn label(self) -> &'static str {
        match self {
            TableKind::Table => "table",
            TableKind::PartitionedTable => "partitioned table",
            TableKind::View => "view",
            TableKind::MaterializedView => "materialized view",
            TableKind::ForeignTable => "foreign table",
            TableKind::Collection => "collection",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableInfo {
    pub schema: Option<String>,
    pub name: String,
    pub kind: TableKind,
    /// The planner's estimate; None when the engine keeps none.
    pub row_estimate: Option<i64>,
    /// Table plus its indexes and TOAST, in bytes, where the engine says.
    pub size_bytes: Option<i64>,
    pub comment: Option<String>,
    /// Storage engine (MySQL's InnoDB, MyISAM...).
    pub engine: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnInfo {
    pub name: String,
    /// 1-based position in the table.
    pub ordinal: u32,
    /// Full type as the engine spells it in DDL (`character varying(20)`, `int unsigned`).
    pub data_type: String,
    pub nullable: bool,
    /// The default expression as SQL text.
    pub default: Option<String>,
    pub is_primary_key: bool,
    /// Covered alone by a unique constraint or unique index.
    pub is_unique: bool,
    /// Identity / auto-increment / generated column / ON UPDATE, as the engine words it.
    pub extra: Option<String>,
    pub comment: Option<String>,
    /// The values an enum or set column takes, from the catalog: the cell editor offers them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choices: Option<Choices>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choices {
    pub values: Vec<String>,
    /// A MySQL SET: any of them, comma-separated; else exactly one.
    #[serde(default)]
    pub several: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexInfo {
    pub name: String,
    /// Column names, or expressions for expression indexes, in index order.
    pub columns: Vec<String>,
    pub is_unique: bool,
    pub is_primary: bool,
    /// btree, hash, gin, FULLTEXT, SPATIAL...
    pub method: Option<String>,
    /// Partial index condition.
    pub predicate: Option<String>,
    /// The statement that creates it, where the engine gives one.
    pub definition: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKeyInfo {
    pub name: String,
    pub schema: Option<String>,
    pub table: String,
    pub columns: Vec<String>,
    pub referenced_schema: Option<String>,
    pub referenced_table: String,
    pub referenced_columns: Vec<String>,
    /// NO ACTION, RESTRICT, CASCADE, SET NULL, SET DEFAULT.
    pub on_update: String,
    pub on_delete: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrimaryKey {
    pub name: Option<String>,
    pub columns: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerInfo {
    pub name: String,
    /// BEFORE INSERT, AFTER UPDATE...
    pub timing: Option<String>,
    pub definition: Option<String>,
}

/// Everything `describe` shows about one table or view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableDescription {
    pub table: TableInfo,
    pub columns: Vec<ColumnInfo>,
    pub primary_key: Option<PrimaryKey>,
    pub indexes: Vec<IndexInfo>,
    pub foreign_keys: Vec<ForeignKeyInfo>,
    /// Foreign keys of other tables that point at this one.
    pub referenced_by: Vec<ForeignKeyInfo>,
    pub triggers: Vec<TriggerInfo>,
    /// The engine's address of a row, where it names one row well enough for an edit that
    /// also checks the row's values: SQLite's rowid (not in WITHOUT ROWID tables),
    /// PostgreSQL's ctid (ordinary tables).
    #[serde(default)]
    pub row_id: Option<String>,
}

/// A table (or view, collection...) by name. `schema` None means the engine's default
/// (`public` search path, SQLite's `main`, the MySQL connection's database).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TableRef {
    pub database: Option<String>,
    pub schema: Option<String>,
    pub name: String,
}

impl TableRef {
    pub fn new(schema: Option<&str>, name: &str) -> Self {
        TableRef {
            database: None,
            schema: schema.map(str::to_string),
            name: name.to_string(),
        }
    }

    /// Parses `name`, `schema.name` or `database.schema.name`, where each part may be quoted
    /// with double quotes (`"my schema"."a.b"`), backticks or brackets; a doubled quote inside
    /// a quoted part stands for itself.
    pub fn parse(text: &str) -> DbResult<TableRef> {
        let parts = split_qualified(text)?;
        let mut parts = parts.into_iter();
        Ok(
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some(name), None, None, None) => TableRef {
                    database: None,
                    schema: None,
                    name,
                },
                (Some(schema), Some(name), None, None) => TableRef {
                    database: None,
                    schema: Some(schema),
                    name,
                },
                (Some(db), Some(schema), Some(name), None) => TableRef {
                    database: Some(db),
                    schema: Some(schema),
                    name,
                },
                _ => {
                    return Err(DbError::new(
                        crate::error::ErrorKind::Syntax,
                        format!(
                            "expected TABLE, SCHEMA.TABLE or DATABASE.SCHEMA.TABLE, got '{text}'"
                        ),
                    ));
                }
            },
        )
    }
}

impl fmt::Display for TableRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in [&self.database, &self.schema].into_iter().flatten() {
            write!(f, "{part}.")?;
        }
        f.write_str(&self.name)
    }
}

fn split_qualified(text: &str) -> DbResult<Vec<String>> {
    let bad = |why: &str| {
        DbError::new(
            crate::error::ErrorKind::Syntax,
            format!("cannot read the name '{text}': {why}"),
        )
    };
    let mut parts = Vec::new();
    let mut chars = text.trim().chars().peekable();
    loop {
        let mut part = String::new();
        match chars.peek().copied() {
            Some(open @ ('"' | '`' | '[')) => {
                let close = if open == '[' { ']' } else { open };
                chars.next();
                loop {
                    match chars.next() {
                        Some(c) if c == close => {
                            if chars.peek() == Some(&close) {
                                chars.next();
                                part.push(close);
                            } else {
                                break;
                            }
                        }
                        Some(c) => part.push(c),
                        None => return Err(bad("a quoted part is not closed")),
                    }
                }
            }
            _ => {
                while let Some(&c) = chars.peek() {
                    if c == '.' {
                        break;
                    }
                    part.push(c);
                    chars.next();
                }
                part = part.trim().to_string();
            }
        }
        if part.is_empty() {
            return Err(bad("empty name part"));
        }
        parts.push(part);
        match chars.next() {
            None => return Ok(parts),
            Some('.') => continue,
            Some(_) => return Err(bad("unexpected text after a quoted part")),
        }
    }
}

/// What a tree node stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Database,
    Schema,
    /// A grouping such as "Tables" or "Indexes"; `folder` says which.
    Folder,
    Table,
    View,
    MaterializedView,
    ForeignTable,
    Collection,
    Function,
    Procedure,
    Sequence,
    Column,
    Index,
    ForeignKey,
    Trigger,
}

/// The groupings under a schema or a table. Their `key` is the path segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FolderKind {
    Tables,
    Views,
    MaterializedViews,
    ForeignTables,
    Collections,
    Functions,
    Procedures,
    Sequences,
    Columns,
    /// A collection's fields, inferred from a sample of its documents.
    Fields,
    Indexes,
    ForeignKeys,
    Triggers,
}

impl FolderKind {
    pub const ALL: [FolderKind; 13] = [
        FolderKind::Tables,
        FolderKind::Views,
        FolderKind::MaterializedViews,
        FolderKind::ForeignTables,
        FolderKind::Collections,
        FolderKind::Functions,
        FolderKind::Procedures,
        FolderKind::Sequences,
        FolderKind::Columns,
        FolderKind::Fields,
        FolderKind::Indexes,
        FolderKind::ForeignKeys,
        FolderKind::Triggers,
    ];

    pub fn key(self) -> &'static str {
        match self {
            FolderKind::Tables => "tables",
            FolderKind::Views => "views",
            FolderKind::MaterializedViews => "materialized_views",
            FolderKind::ForeignTables => "foreign_tables",
            FolderKind::Collections => "collections",
            FolderKind::Functions => "functions",
            FolderKind::Procedures => "procedures",
            FolderKind::Sequences => "sequences",
            FolderKind::Columns => "columns",
            FolderKind::Fields => "fields",
            FolderKind::Indexes => "indexes",
            FolderKind::ForeignKeys => "foreign_keys",
            FolderKind::Triggers => "triggers",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            FolderKind::Tables => "Tables",
            FolderKind::Views => "Views",
            FolderKind::MaterializedViews => "Materialized views",
            FolderKind::ForeignTables => "Foreign tables",
            FolderKind::Collections => "Collections",
            FolderKind::Functions => "Functions",
            FolderKind::Procedures => "Procedures",
            FolderKind::Sequences => "Sequences",
            FolderKind::Columns => "Columns",
            FolderKind::Fields => "Fields",
            FolderKind::Indexes => "Indexes",
            FolderKind::ForeignKeys => "Foreign keys",
            FolderKind::Triggers => "Triggers",
        }
    }

    pub fn from_key(key: &str) -> Option<FolderKind> {
        FolderKind::ALL.into_iter().find(|f| f.key() == key)
    }
}

/// One node of the lazy schema tree. Absent fields are left out of the JSON: a schema
/// with 20,000 tables is 20,000 nodes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaNode {
    pub kind: NodeKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<FolderKind>,
    /// Display name.
    pub name: String,
    /// The path to pass to `list_children` to expand this node: the names of its ancestors
    /// and itself, folders spelled by their key. Opaque to callers.
    pub path: Vec<String>,
    pub expandable: bool,
    /// A short description shown beside the name: a column's type, an index's columns, a
    /// function's arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The table, view or collection a node stands for, to open, describe or query it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<TableRef>,
    /// Number of children, where known without another round trip (folders).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_estimate: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl SchemaNode {
    pub fn new(kind: NodeKind, name: impl Into<String>, parent: &[String]) -> Self {
        let name = name.into();
        let mut path = parent.to_vec();
        path.push(name.clone());
        SchemaNode {
            kind,
            folder: None,
            expandable: !matches!(
                kind,
                NodeKind::Column
                    | NodeKind::Index
                    | NodeKind::ForeignKey
                    | NodeKind::Trigger
                    | NodeKind::Function
                    | NodeKind::Procedure
                    | NodeKind::Sequence
            ),
            name,
            path,
            detail: None,
            table: None,
            count: None,
            row_estimate: None,
            size_bytes: None,
            comment: None,
        }
    }

    pub fn folder(folder: FolderKind, parent: &[String], count: Option<i64>) -> Self {
        let mut path = parent.to_vec();
        path.push(folder.key().to_string());
        SchemaNode {
            kind: NodeKind::Folder,
            folder: Some(folder),
            name: folder.title().to_string(),
            path,
            expandable: count != Some(0),
            detail: None,
            table: None,
            count,
            row_estimate: None,
            size_bytes: None,
            comment: None,
        }
    }

    /// A table-like node; `database` is the database it lives in, where that differs from
    /// its schema (PostgreSQL).
    pub fn for_table(table: &TableInfo, parent: &[String], database: Option<&str>) -> Self {
        let kind = match table.kind {
            TableKind::Table | TableKind::PartitionedTable => NodeKind::Table,
            TableKind::View => NodeKind::View,
            TableKind::MaterializedView => NodeKind::MaterializedView,
            TableKind::ForeignTable => NodeKind::ForeignTable,
            TableKind::Collection => NodeKind::Collection,
        };
        let mut node = SchemaNode::new(kind, table.name.clone(), parent);
        node.row_estimate = table.row_estimate;
        node.size_bytes = table.size_bytes;
        node.table = Some(TableRef {
            database: database.map(str::to_string),
            schema: table.schema.clone(),
            name: table.name.clone(),
        });
        node.comment = table.comment.clone();
        if table.kind == TableKind::PartitionedTable {
            node.detail = Some("partitioned".into());
        }
        node
    }

    pub fn for_column(column: &ColumnInfo, parent: &[String]) -> Self {
        let mut node = SchemaNode::new(NodeKind::Column, column.name.clone(), parent);
        let mut detail = column.data_type.clone();
        if column.is_primary_key {
            detail.push_str(" PK");
        }
        if !column.nullable {
            detail.push_str(" NOT NULL");
        }
        node.detail = Some(detail);
        node.comment = column.comment.clone();
        node
    }

    pub fn for_index(index: &IndexInfo, parent: &[String]) -> Self {
        let mut node = SchemaNode::new(NodeKind::Index, index.name.clone(), parent);
        let mut detail = String::new();
        if index.is_primary {
            detail.push_str("PRIMARY ");
        } else if let Some(m @ ("FULLTEXT" | "SPATIAL")) = index.method.as_deref() {
            // MySQL's kinds of index that are not B-trees and change what queries can use them.
            detail.push_str(m);
            detail.push(' ');
        } else if index.is_unique {
            detail.push_str("UNIQUE ");
        }
        detail.push('(');
        detail.push_str(&index.columns.join(", "));
        detail.push(')');
        node.detail = Some(detail);
        node
    }

    pub fn for_foreign_key(fk: &ForeignKeyInfo, parent: &[String]) -> Self {
        let mut node = SchemaNode::new(NodeKind::ForeignKey, fk.name.clone(), parent);
        let target = match &fk.referenced_schema {
            Some(s) => format!("{s}.{}", fk.referenced_table),
            None => fk.referenced_table.clone(),
        };
        node.detail = Some(format!(
            "({}) → {target}({})",
            fk.columns.join(", "),
            fk.referenced_columns.join(", ")
        ));
        node
    }

    pub fn for_trigger(trigger: &TriggerInfo, parent: &[String]) -> Self {
        let mut node = SchemaNode::new(NodeKind::Trigger, trigger.name.clone(), parent);
        node.detail = trigger.timing.clone();
        node
    }
}

/// The folders a table-like node always offers under it.
pub fn table_folders(parent: &[String]) -> Vec<SchemaNode> {
    [
        FolderKind::Indexes,
        FolderKind::ForeignKeys,
        FolderKind::Triggers,
    ]
    .into_iter()
    .map(|f| SchemaNode::folder(f, parent, None))
    .collect()
}

/// An error for a tree path a driver does not know how to expand.
pub fn unknown_path(path: &[String]) -> DbError {
    DbError::not_found(format!(
        "no such node in the schema tree: {}",
        path.join(" / ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names() {
        let t = TableRef::parse(r#""my schema"."a.""b""""#).expect("parse");
        assert_eq!(t.schema.as_deref(), Some("my schema"));
        assert_eq!(t.name, "a.\"b\"");
        let t = TableRef::parse("public.users").expect("parse");
        assert_eq!(
            (t.schema.as_deref(), t.name.as_str()),
            (Some("public"), "users")
        );
        let t = TableRef::parse("`db`.`t`").expect("parse");
        assert_eq!((t.schema.as_deref(), t.name.as_str()), (Some("db"), "t"));
        let t = TableRef::parse("d.s.t").expect("parse");
        assert_eq!(t.database.as_deref(), Some("d"));
        let t = TableRef::parse("Ünïcödé").expect("parse");
        assert_eq!(t.name, "Ünïcödé");
        assert!(TableRef::parse(r#""open"#).is_err());
        assert!(TableRef::parse("a..b").is_err());
        assert!(TableRef::parse("a.b.c.d").is_err());
    }
}
