//! Which columns name one row of a table, or why none can.

use serde::{Deserialize, Serialize};

use crate::schema::{ColumnInfo, TableDescription, TableKind};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeySource {
    Primary,
    Unique { index: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RowKey {
    /// The primary key, else the narrowest unique key whose columns are all NOT NULL.
    Columns {
        columns: Vec<String>,
        source: KeySource,
    },
    /// The engine's row address (SQLite's rowid, PostgreSQL's ctid), with every value the
    /// user saw checked too.
    RowId {
        column: String,
    },
    ReadOnly {
        reason: String,
    },
}

/// The key edits of this table use.
pub fn row_key(d: &TableDescription) -> RowKey {
    if !matches!(
        d.table.kind,
        TableKind::Table | TableKind::PartitionedTable | TableKind::Collection
    ) {
        return RowKey::ReadOnly {
            reason: format!(
                "it is a {}; edit the table it reads from",
                d.table.kind.label()
            ),
        };
    }
    if let Some(pk) = d.primary_key.as_ref().filter(|pk| !pk.columns.is_empty()) {
        return RowKey::Columns {
            columns: pk.columns.clone(),
            source: KeySource::Primary,
        };
    }
    let not_null = |name: &String| {
        d.columns
            .iter()
            .any(|c| &c.name == name && !c.nullable && !is_generated(c))
    };
    let unique = d
        .indexes
        .iter()
        .filter(|ix| ix.is_unique && ix.predicate.is_none() && !ix.columns.is_empty())
        .filter(|ix| ix.columns.iter().all(not_null))
        .min_by_key(|ix| ix.columns.len());
    if let Some(ix) = unique {
        return RowKey::Columns {
            columns: ix.columns.clone(),
            source: KeySource::Unique {
                index: ix.name.clone(),
            },
        };
    }
    if let Some(column) = &d.row_id {
        return RowKey::RowId {
            column: column.clone(),
        };
    }
    RowKey::ReadOnly {
        reason: "it has no primary key and no unique key on NOT NULL columns, so a change could not name exactly one row (matching every column would also change its duplicates)".into(),
    }
}

/// A column the server computes: a generated or computed column, or an identity that
/// takes no value (PostgreSQL's ALWAYS, SQL Server's IDENTITY).
pub fn is_generated(c: &ColumnInfo) -> bool {
    c.extra.as_deref().is_some_and(|x| {
        let x = x.to_ascii_uppercase();
        x.contains("GENERATED ALWAYS AS") || x.starts_with("IDENTITY(") || x.starts_with("AS ")
    })
}
