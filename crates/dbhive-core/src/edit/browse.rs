//! The table tab's query: a table's rows with server-side sort (several keys), per-column
//! conditions and the user's own WHERE, one page at a time, with the row address a keyless
//! edit needs. The text is shown to the user as it runs, so it is plain SQL they can copy.

use serde::{Deserialize, Serialize};

use crate::config::Engine;
use crate::error::{DbError, DbResult};
use crate::schema::ColumnInfo;

use super::sql::{quote_ident, text_literal};
use super::{EditTable, RowKey};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Asc,
    Desc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    /// SQL LIKE with the user's own `%` and `_`.
    Like,
    IsNull,
    IsNotNull,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    pub column: String,
    pub op: Op,
    /// The value as typed; the server reads it as the column's type. Unused for IS NULL.
    #[serde(default)]
    pub value: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Browse {
    pub sort: Vec<(String, Direction)>,
    pub conditions: Vec<Condition>,
    /// The user's own condition, as typed: it runs as they wrote it, in parentheses.
    pub raw_where: Option<String>,
    pub offset: u64,
    /// None: every row (the grid streams them).
    pub limit: Option<u64>,
}

/// The SELECT for one page of `table`. With a row-id key the row address comes first,
/// named `row_id_column`, so the grid can hand it back with an edit.
pub fn select(table: &EditTable, browse: &Browse) -> DbResult<String> {
    let e = table.engine;
    let column = |name: &str| -> DbResult<&ColumnInfo> {
        table
            .columns
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| DbError::not_found(format!("the table has no column {name}")))
    };
    let mut conditions = Vec::new();
    for c in &browse.conditions {
        let col = quote_ident(e, &column(&c.column)?.name);
        let value = text_literal(e, &c.value);
        conditions.push(match c.op {
            Op::Eq => format!("{col} = {value}"),
            Op::NotEq => format!("{col} <> {value}"),
            Op::Lt => format!("{col} < {value}"),
            Op::LtEq => format!("{col} <= {value}"),
            Op::Gt => format!("{col} > {value}"),
            Op::GtEq => format!("{col} >= {value}"),
            Op::Like => match e {
                // LIKE wants text: a number or date column is compared as its text.
                Engine::Postgres => format!("{col}::text LIKE {value}"),
                _ => format!("{col} LIKE {value}"),
            },
            Op::IsNull => format!("{col} IS NULL"),
            Op::IsNotNull => format!("{col} IS NOT NULL"),
        });
    }
    if let Some(raw) = browse
        .raw_where
        .as_deref()
        .map(str::trim)
        .filter(|w| !w.is_empty())
    {
        conditions.push(format!("({raw}\n)"));
    }
    let mut order = Vec::new();
    for (name, dir) in &browse.sort {
        let col = quote_ident(e, &column(name)?.name);
        order.push(match dir {
            Direction::Asc => col,
            Direction::Desc => format!("{col} DESC"),
        });
    }
    let from = super::qualified(e, &table.table);
    let row_id = match &table.key {
        RowKey::RowId { column } => match e {
            Engine::Postgres => "ctid, ".to_string(),
            _ => format!("{column}, "),
        },
        _ => String::new(),
    };
    let mut sql = format!("SELECT {row_id}* FROM {from}");
    if !conditions.is_empty() {
        sql.push_str(&format!(" WHERE {}", conditions.join(" AND ")));
    }
    if !order.is_empty() {
        sql.push_str(&format!(" ORDER BY {}", order.join(", ")));
    }
    match (e, browse.limit) {
        (Engine::Mssql, limit) if browse.offset > 0 || limit.is_some() => {
            // OFFSET ... FETCH needs an ORDER BY; without a chosen one, the key's (or none).
            if order.is_empty() {
                sql.push_str(" ORDER BY (SELECT NULL)");
            }
            sql.push_str(&format!(" OFFSET {} ROWS", browse.offset));
            if let Some(n) = limit {
                sql.push_str(&format!(" FETCH NEXT {n} ROWS ONLY"));
            }
        }
        (Engine::Mssql, _) => {}
        (_, Some(n)) => {
            sql.push_str(&format!(" LIMIT {n}"));
            if browse.offset > 0 {
                sql.push_str(&format!(" OFFSET {}", browse.offset));
            }
        }
        (Engine::Mysql, None) if browse.offset > 0 => {
            // MySQL has OFFSET only after a LIMIT: the largest one stands for "all".
            sql.push_str(&format!(
                " LIMIT 18446744073709551615 OFFSET {}",
                browse.offset
            ));
        }
        (Engine::Sqlite, None) if browse.offset > 0 => {
            sql.push_str(&format!(" LIMIT -1 OFFSET {}", browse.offset));
        }
        (_, None) if browse.offset > 0 => sql.push_str(&format!(" OFFSET {}", browse.offset)),
        (_, None) => {}
    }
    Ok(sql)
}

/// The name the row address has in `select`'s result.
pub fn row_id_column(table: &EditTable) -> Option<&str> {
    match &table.key {
        RowKey::RowId { column } => Some(column),
        _ => None,
    }
}
