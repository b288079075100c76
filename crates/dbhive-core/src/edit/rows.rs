//! A change as the grid states it (a row number of a stored result, new values by column)
//! made into a [`Change`]: the values the user saw are read back from the stored row, so
//! they are the server's own values, never the grid's text.

use serde::{Deserialize, Serialize};

use crate::error::{DbError, DbResult};
use crate::result::{Column, ColumnOrigin};
use crate::value::Value;

use super::key::is_generated;
use super::{Change, EditTable, NewValue, RowKey, row_id_column};

/// A column the server numbers itself (identity, auto-increment, a sequence default): a
/// duplicated row gets its own number.
fn server_numbered(c: &crate::schema::ColumnInfo) -> bool {
    let extra = c.extra.as_deref().unwrap_or("").to_ascii_lowercase();
    let default = c.default.as_deref().unwrap_or("").to_ascii_lowercase();
    extra.contains("auto_increment")
        || extra.contains("identity")
        || default.starts_with("nextval(")
}

/// One pending change of a table tab. `row` is the row's number in the tab's stored result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GridChange {
    Update {
        row: u64,
        set: Vec<(String, NewValue)>,
    },
    /// A new row; `copy_of` duplicates a stored row: the columns `values` leaves out take
    /// that row's values, except those the server fills (generated, identity, serial).
    Insert {
        values: Vec<(String, NewValue)>,
        #[serde(default)]
        copy_of: Option<u64>,
    },
    Delete {
        row: u64,
    },
}

impl GridChange {
    /// The stored row this change needs, if any.
    pub fn row(&self) -> Option<u64> {
        match self {
            GridChange::Update { row, .. } | GridChange::Delete { row } => Some(*row),
            GridChange::Insert { copy_of, .. } => *copy_of,
        }
    }
}

/// The values the user saw by column name, and the row's address where it has one.
type Seen = (Vec<(String, Value)>, Option<Value>);

/// The change `grid` describes, with `row` the stored row it names (from a result whose
/// columns are `columns`).
pub fn change_from_row(
    table: &EditTable,
    columns: &[Column],
    row: Option<&[Value]>,
    grid: GridChange,
) -> DbResult<Change> {
    let seen = |edited: &[&str]| -> DbResult<Seen> {
        let row = row.ok_or_else(|| DbError::not_found("the row is no longer in the result"))?;
        let value = |name: &str| -> DbResult<Value> {
            // The row address comes first in the browse query, before a column that might
            // share its name: the first column of that name is the address, later ones data.
            let at = result_column(table, columns, name)
                .ok_or_else(|| DbError::not_found(format!("the result has no column {name}")))?;
            row.get(at)
                .cloned()
                .ok_or_else(|| DbError::internal(format!("the stored row has no cell for {name}")))
        };
        let mut seen = Vec::new();
        let mut row_id = None;
        match &table.key {
            RowKey::Columns { columns: key, .. } => {
                for name in key.iter().map(String::as_str).chain(edited.iter().copied()) {
                    if !seen.iter().any(|(n, _)| n == name) {
                        seen.push((name.to_string(), value(name)?));
                    }
                }
            }
            RowKey::RowId { .. } => {
                let id_name = row_id_column(table).unwrap_or_default();
                row_id = Some(
                    row.first()
                        .filter(|_| columns.first().is_some_and(|c| c.name == id_name))
                        .cloned()
                        .ok_or_else(|| {
                            DbError::internal(format!("the result does not start with {id_name}"))
                        })?,
                );
                for c in &table.columns {
                    seen.push((c.name.clone(), value(&c.name)?));
                }
            }
            RowKey::ReadOnly { reason } => return Err(DbError::unsupported(reason.clone())),
        }
        Ok((seen, row_id))
    };
    Ok(match grid {
        GridChange::Insert { values, copy_of } => {
            match copy_of {
                None => Change::Insert { values },
                Some(_) => {
                    let row = row
                        .ok_or_else(|| DbError::not_found("the row is no longer in the result"))?;
                    let mut all = Vec::new();
                    for c in &table.columns {
                        if let Some((_, v)) = values.iter().find(|(n, _)| *n == c.name) {
                            all.push((c.name.clone(), v.clone()));
                        } else if !is_generated(c) && !server_numbered(c) {
                            // A column the result leaves out takes its default.
                            if let Some(at) = result_column(table, columns, &c.name) {
                                let v = row.get(at).cloned().unwrap_or(Value::Null);
                                all.push((c.name.clone(), NewValue::Value(v)));
                            }
                        }
                    }
                    Change::Insert { values: all }
                }
            }
        }
        GridChange::Update { set, .. } => {
            let edited: Vec<&str> = set.iter().map(|(n, _)| n.as_str()).collect();
            let (seen, row_id) = seen(&edited)?;
            Change::Update { seen, row_id, set }
        }
        GridChange::Delete { .. } => {
            let (seen, row_id) = seen(&[])?;
            Change::Delete { seen, row_id }
        }
    })
}

fn from_table(table: &EditTable, origin: &ColumnOrigin) -> bool {
    origin.table == table.table.name
        && origin.schema.as_ref().is_none_or(|s| {
            Some(s) == table.table.schema.as_ref() || Some(s) == table.table.database.as_ref()
        })
}

/// Where table column `name` is in a result. When the server says where a result's columns
/// come from, only those origins count (an expression named like a column is not that
/// column); else the name does, the last of that name (a row address comes first).
pub fn result_column(table: &EditTable, columns: &[Column], name: &str) -> Option<usize> {
    if columns.iter().any(|c| c.origin.is_some()) {
        columns.iter().rposition(|c| {
            c.origin
                .as_ref()
                .is_some_and(|o| o.column == name && from_table(table, o))
        })
    } else {
        columns.iter().rposition(|c| c.name == name)
    }
}

/// The one table a query result's columns come from, by the origins the server gave.
pub fn origin_table(columns: &[Column]) -> Result<(Option<String>, String), String> {
    let mut tables: Vec<(Option<String>, String)> = Vec::new();
    for o in columns.iter().filter_map(|c| c.origin.as_ref()) {
        let t = (o.schema.clone(), o.table.clone());
        if !tables.contains(&t) {
            tables.push(t);
        }
    }
    match tables.len() {
        0 => Err("the server does not say which table these columns come from".into()),
        1 => Ok(tables.remove(0)),
        _ => Err(format!(
            "its columns come from {} tables ({}): edit one table at a time",
            tables.len(),
            tables
                .iter()
                .map(|(_, t)| t.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// For a query result over `table`: the table column each result column is (None: computed
/// by the query), or why its rows cannot be edited here.
pub fn result_columns(
    table: &EditTable,
    columns: &[Column],
) -> Result<Vec<Option<String>>, String> {
    let key = match &table.key {
        RowKey::Columns { columns, .. } => columns,
        RowKey::RowId { column } => {
            return Err(format!(
                "{} has no key, and a query's rows do not carry its {column}: open the table to edit it",
                table.table.name
            ));
        }
        RowKey::ReadOnly { reason } => return Err(reason.clone()),
    };
    let missing: Vec<&str> = key
        .iter()
        .filter(|k| result_column(table, columns, k).is_none())
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the result does not include the key ({}) that names each row",
            missing.join(", ")
        ));
    }
    Ok(columns
        .iter()
        .map(|c| {
            c.origin
                .as_ref()
                .filter(|o| from_table(table, o))
                .map(|o| o.column.clone())
        })
        .collect())
}
