//! Table edits as statements: the user's pending changes in, one statement per change out,
//! each naming its row by a key and checking that the values the user saw are still there;
//! and the table tab's own query (browse.rs).
//! The shell and the UI hold no SQL text: they send changes, show the plan for review, and
//! ask [`commit`] to run it.

mod browse;
mod commit;
mod key;
mod rows;
mod sql;

pub use browse::{Browse, Condition, Direction, Op, row_id_column, select};
pub use commit::{CommitReport, StatementOutcome, TxAction, commit, transaction};
pub use key::{KeySource, RowKey, is_generated, row_key};
pub use rows::{GridChange, change_from_row, origin_table, result_column, result_columns};
pub use sql::{qualified, quote_ident};

use serde::{Deserialize, Serialize};

use crate::config::Engine;
use crate::error::{DbError, DbResult};
use crate::schema::{ColumnInfo, TableDescription, TableRef};
use crate::value::{TextStyle, Value};

/// What an edit needs to know of its table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EditTable {
    pub engine: Engine,
    pub table: TableRef,
    pub columns: Vec<ColumnInfo>,
    pub key: RowKey,
}

impl EditTable {
    pub fn new(engine: Engine, description: &TableDescription, database: Option<String>) -> Self {
        EditTable {
            engine,
            table: TableRef {
                database,
                schema: description.table.schema.clone(),
                name: description.table.name.clone(),
            },
            columns: description.columns.clone(),
            key: row_key(description),
        }
    }

    fn column(&self, name: &str) -> DbResult<&ColumnInfo> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| DbError::not_found(format!("the table has no column {name}")))
    }
}

/// The value a cell gets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum NewValue {
    Null,
    /// What the user typed: the server reads it as the column's type (a date, an enum label,
    /// JSON, an array literal...), so its own rules and errors apply.
    Text(String),
    /// A value kept exactly (a file's bytes, a cell copied from another row).
    Value(Value),
    /// The column's default (an insert leaves the column out).
    Default,
}

/// One pending change. `seen` holds the values the user saw, by column name: at least the
/// key's and, for an update, the edited columns'; with a row id, every column read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    Update {
        seen: Vec<(String, Value)>,
        #[serde(default)]
        row_id: Option<Value>,
        set: Vec<(String, NewValue)>,
    },
    Insert {
        values: Vec<(String, NewValue)>,
    },
    Delete {
        seen: Vec<(String, Value)>,
        #[serde(default)]
        row_id: Option<Value>,
    },
}

/// A statement of the plan, and the change it carries out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedStatement {
    pub change: usize,
    pub sql: String,
    /// UPDATE and DELETE must touch exactly one row: none means the row changed or went.
    pub expects_one_row: bool,
}

/// The statements that carry out `changes`, in order. Refuses (and says why) a change to a
/// table without a usable key, a write to a generated column, an unknown column, or an
/// update or delete that does not say which row.
pub fn plan(
    table: &EditTable,
    changes: &[Change],
    style: &TextStyle,
) -> DbResult<Vec<PlannedStatement>> {
    let e = table.engine;
    if let RowKey::ReadOnly { reason } = &table.key {
        return Err(DbError::unsupported(format!(
            "{} is read-only here: {reason}",
            table.table.name
        )));
    }
    let target = qualified(e, &table.table);
    changes
        .iter()
        .enumerate()
        .map(|(at, change)| {
            let sql = match change {
                Change::Insert { values } => {
                    let mut names = Vec::new();
                    let mut literals = Vec::new();
                    for (name, v) in values {
                        let c = writable(table, name)?;
                        if *v == NewValue::Default {
                            continue;
                        }
                        names.push(quote_ident(e, &c.name));
                        literals.push(sql::new_value(e, c, v, style));
                    }
                    if names.is_empty() {
                        match e {
                            Engine::Mysql => format!("INSERT INTO {target} () VALUES ()"),
                            _ => format!("INSERT INTO {target} DEFAULT VALUES"),
                        }
                    } else {
                        format!(
                            "INSERT INTO {target} ({}) VALUES ({})",
                            names.join(", "),
                            literals.join(", ")
                        )
                    }
                }
                Change::Update { seen, row_id, set } => {
                    if set.is_empty() {
                        return Err(DbError::internal("an update without a new value"));
                    }
                    let assignments = set
                        .iter()
                        .map(|(name, v)| {
                            let c = writable(table, name)?;
                            Ok(format!(
                                "{} = {}",
                                quote_ident(e, &c.name),
                                sql::new_value(e, c, v, style)
                            ))
                        })
                        .collect::<DbResult<Vec<_>>>()?;
                    let edited: Vec<&str> = set.iter().map(|(n, _)| n.as_str()).collect();
                    format!(
                        "UPDATE {target} SET {} WHERE {}",
                        assignments.join(", "),
                        which_row(table, seen, row_id.as_ref(), &edited, style)?
                    )
                }
                Change::Delete { seen, row_id } => format!(
                    "DELETE FROM {target} WHERE {}",
                    which_row(table, seen, row_id.as_ref(), &[], style)?
                ),
            };
            Ok(PlannedStatement {
                change: at,
                sql,
                expects_one_row: !matches!(change, Change::Insert { .. }),
            })
        })
        .collect()
}

fn writable<'a>(table: &'a EditTable, name: &str) -> DbResult<&'a ColumnInfo> {
    let c = table.column(name)?;
    if key::is_generated(c) {
        return Err(DbError::unsupported(format!(
            "{name} is computed by the server ({}): it cannot be written",
            c.extra.as_deref().unwrap_or("generated")
        )));
    }
    Ok(c)
}

/// The WHERE clause naming one row: its key, the values of the `edited` columns the user
/// saw (someone else may have changed them since), and with a row id every value seen (a
/// row id may be reused once its row is gone).
fn which_row(
    table: &EditTable,
    seen: &[(String, Value)],
    row_id: Option<&Value>,
    edited: &[&str],
    style: &TextStyle,
) -> DbResult<String> {
    let e = table.engine;
    let value_of = |name: &str| {
        seen.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .ok_or_else(|| DbError::internal(format!("the change does not say what {name} held")))
    };
    let mut conditions = Vec::new();
    let mut checked: Vec<&str> = Vec::new();
    match &table.key {
        RowKey::Columns { columns, .. } => {
            for name in columns {
                let c = table.column(name)?;
                conditions.push(sql::equals(e, c, value_of(name)?, style));
                checked.push(name);
            }
        }
        RowKey::RowId { column } => {
            let id = row_id.ok_or_else(|| {
                DbError::internal(format!("the change does not carry the row's {column}"))
            })?;
            conditions.push(sql::row_id_equals(e, column, id, style));
            for (name, v) in seen {
                let c = table.column(name)?;
                conditions.push(sql::equals(e, c, v, style));
                checked.push(name);
            }
        }
        RowKey::ReadOnly { reason } => return Err(DbError::unsupported(reason.clone())),
    }
    for name in edited {
        if !checked.contains(name) {
            let c = table.column(name)?;
            conditions.push(sql::equals(e, c, value_of(name)?, style));
        }
    }
    Ok(conditions.join(" AND "))
}

#[cfg(test)]
mod tests;
