//! A change as the grid states it (a row number of a stored result, new values by column)
//! made into a [`Change`]: the values the user saw are read back from the stored row, so
//! they are the server's own values, never the grid's text.

use serde::{Deserialize, Serialize};

use crate::error::{DbError, DbResult};
use crate::result::Column;
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
            let at = columns
                .iter()
                .rposition(|c| c.name == name)
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
                            let at = columns.iter().rposition(|r| r.name == c.name).ok_or_else(
                                || {
                                    DbError::not_found(format!(
                                        "the result has no column {}",
                                        c.name
                                    ))
                                },
                            )?;
                            let v = row.get(at).cloned().unwrap_or(Value::Null);
                            all.push((c.name.clone(), NewValue::Value(v)));
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
