//! SQLite metadata from sqlite_schema and the pragma table-valued functions (parameterised;
//! only the database name, which SQL cannot bind, is quoted into the text).

use std::collections::BTreeMap;

use dbhive_core::schema::{table_folders, unknown_path};
use dbhive_core::{
    ColumnInfo, DatabaseInfo, DbError, DbResult, FolderKind, ForeignKeyInfo, IndexInfo, NodeKind,
    PrimaryKey, SchemaNode, TableDescription, TableInfo, TableKind, TableRef, TriggerInfo,
};
use rusqlite::{Connection, OptionalExtension, params};

use super::errors::to_error;

fn err(e: rusqlite::Error) -> DbError {
    to_error(e, "", 0)
}

/// A database name as a quoted identifier.
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

pub fn databases(conn: &Connection) -> DbResult<Vec<DatabaseInfo>> {
    let mut stmt = conn
        .prepare("SELECT name, file FROM pragma_database_list ORDER BY seq")
        .map_err(err)?;
    let names: Vec<(String, String)> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            ))
        })
        .map_err(err)?
        .collect::<Result<_, _>>()
        .map_err(err)?;
    let mut out = Vec::new();
    for (name, file) in names {
        let q = quote(&name);
        let size: Option<i64> = conn
            .query_row(
                &format!(
                    "SELECT page_count * page_size FROM {q}.pragma_page_count, {q}.pragma_page_size"
                ),
                [],
                |r| r.get(0),
            )
            .ok();
        // The temp database is listed only once something lives in it.
        if name == "temp" {
            let used: i64 = conn
                .query_row("SELECT count(*) FROM temp.sqlite_schema", [], |r| r.get(0))
                .unwrap_or(0);
            if used == 0 {
                continue;
            }
        }
        out.push(DatabaseInfo {
            is_current: name == "main",
            comment: (!file.is_empty()).then_some(file),
            size_bytes: size,
            name,
        });
    }
    Ok(out)
}

/// The database a name belongs to: the given one, or the first that has it.
fn database_of(conn: &Connection, table: &TableRef) -> DbResult<String> {
    if let Some(db) = table.schema.as_ref().or(table.database.as_ref()) {
        return Ok(db.clone());
    }
    for db in databases(conn)? {
        let found: Option<i64> = conn
            .query_row(
                &format!("SELECT 1 FROM {}.sqlite_schema WHERE name = ?1 COLLATE NOCASE AND type IN ('table', 'view')", quote(&db.name)),
                [&table.name],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        if found.is_some() {
            return Ok(db.name);
        }
    }
    Err(not_found(table))
}

fn not_found(table: &TableRef) -> DbError {
    DbError::not_found(format!("no such table: {table}")).with_code("SQLITE_ERROR")
}

/// Row counts recorded by ANALYZE. The first number of a stat row is the rows its table or
/// index covers; a partial index covers fewer, so the largest is the table's.
fn row_estimates(conn: &Connection, db: &str) -> BTreeMap<String, i64> {
    let sql = format!("SELECT tbl, stat FROM {}.sqlite_stat1", quote(db));
    let mut out = BTreeMap::new();
    if let Ok(mut stmt) = conn.prepare(&sql)
        && let Ok(rows) =
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
    {
        for (tbl, stat) in rows.flatten() {
            if let Some(n) = stat.split(' ').next().and_then(|n| n.parse::<i64>().ok()) {
                let best = out.entry(tbl).or_insert(n);
                *best = (*best).max(n);
            }
        }
    }
    out
}

pub fn tables(conn: &Connection, db: &str, kinds: &[&str]) -> DbResult<Vec<TableInfo>> {
    let estimates = row_estimates(conn, db);
    let sql = format!(
        "SELECT name, type FROM {}.sqlite_schema
          WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
          ORDER BY name",
        quote(db)
    );
    let mut stmt = conn.prepare(&sql).map_err(err)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map_err(err)?;
    let mut out = Vec::new();
    for row in rows {
        let (name, kind) = row.map_err(err)?;
        if !kinds.contains(&kind.as_str()) {
            continue;
        }
        out.push(TableInfo {
            schema: Some(db.to_string()),
            row_estimate: estimates.get(&name).copied(),
            kind: if kind == "view" {
                TableKind::View
            } else {
                TableKind::Table
            },
            name,
            size_bytes: None,
            comment: None,
            engine: None,
        });
    }
    Ok(out)
}

fn table_info(conn: &Connection, table: &TableRef) -> DbResult<(String, TableInfo)> {
    let db = database_of(conn, table)?;
    let row: Option<(String, String)> = conn
        .query_row(
            &format!(
                "SELECT name, type FROM {}.sqlite_schema WHERE name = ?1 COLLATE NOCASE AND type IN ('table', 'view')",
                quote(&db)
            ),
            [&table.name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(err)?;
    let (name, kind) = row.ok_or_else(|| not_found(table))?;
    let info = TableInfo {
        schema: Some(db.clone()),
        row_estimate: row_estimates(conn, &db).get(&name).copied(),
        kind: if kind == "view" {
            TableKind::View
        } else {
            TableKind::Table
        },
        name,
        size_bytes: None,
        comment: None,
        engine: None,
    };
    Ok((db, info))
}

fn unique_single_columns(conn: &Connection, db: &str, table: &str) -> DbResult<Vec<String>> {
    let mut stmt = conn
        .prepare(
            "SELECT ii.name FROM pragma_index_list(?1, ?2) il, pragma_index_info(il.name, ?2) ii
              WHERE il.\"unique\" AND il.partial = 0
                AND (SELECT count(*) FROM pragma_index_info(il.name, ?2)) = 1",
        )
        .map_err(err)?;
    let names = stmt
        .query_map(params![table, db], |r| r.get::<_, Option<String>>(0))
        .map_err(err)?
        .filter_map(|r| r.ok().flatten())
        .collect();
    Ok(names)
}

fn columns_in(conn: &Connection, db: &str, table: &str) -> DbResult<Vec<ColumnInfo>> {
    let unique = unique_single_columns(conn, db, table)?;
    let mut stmt = conn
        .prepare("SELECT cid, name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?1, ?2) WHERE hidden <> 1 ORDER BY cid")
        .map_err(err)?;
    let pk_count: i64 = conn
        .query_row(
            "SELECT count(*) FROM pragma_table_info(?1, ?2) WHERE pk > 0",
            params![table, db],
            |r| r.get(0),
        )
        .map_err(err)?;
    let rows = stmt
        .query_map(params![table, db], |r| {
            let name: String = r.get(1)?;
            let data_type: String = r.get(2)?;
            let pk: i64 = r.get(5)?;
            let hidden: i64 = r.get(6)?;
            Ok(ColumnInfo {
                ordinal: r.get::<_, i64>(0)? as u32 + 1,
                nullable: r.get::<_, i64>(3)? == 0 && pk == 0,
                default: r.get(4)?,
                is_primary_key: pk > 0,
                is_unique: unique.contains(&name) || (pk > 0 && pk_count == 1),
                extra: match hidden {
                    2 => Some("GENERATED ALWAYS AS (...) VIRTUAL".into()),
                    3 => Some("GENERATED ALWAYS AS (...) STORED".into()),
                    _ if pk > 0 && pk_count == 1 && data_type.eq_ignore_ascii_case("INTEGER") => {
                        Some("rowid alias".into())
                    }
                    _ => None,
                },
                comment: None,
                choices: None,
                data_type,
                name,
            })
        })
        .map_err(err)?;
    rows.collect::<Result<_, _>>().map_err(err)
}

pub fn columns(conn: &Connection, table: &TableRef) -> DbResult<Vec<ColumnInfo>> {
    let (db, info) = table_info(conn, table)?;
    columns_in(conn, &db, &info.name)
}

fn indexes_in(conn: &Connection, db: &str, table: &str) -> DbResult<Vec<IndexInfo>> {
    let sql = format!(
        "SELECT il.name, il.\"unique\", il.origin, il.partial,
                (SELECT sql FROM {}.sqlite_schema WHERE type = 'index' AND name = il.name)
           FROM pragma_index_list(?1, ?2) il ORDER BY il.origin <> 'pk', il.name",
        quote(db)
    );
    let mut stmt = conn.prepare(&sql).map_err(err)?;
    let list: Vec<(String, bool, String, bool, Option<String>)> = stmt
        .query_map(params![table, db], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .map_err(err)?
        .collect::<Result<_, _>>()
        .map_err(err)?;
    let mut cols = conn
        .prepare("SELECT coalesce(name, '<expression>') FROM pragma_index_xinfo(?1, ?2) WHERE key ORDER BY seqno")
        .map_err(err)?;
    let mut out = Vec::new();
    for (name, unique, origin, partial, sql) in list {
        let columns: Vec<String> = cols
            .query_map(params![name, db], |r| r.get(0))
            .map_err(err)?
            .collect::<Result<_, _>>()
            .map_err(err)?;
        let predicate = if partial {
            sql.as_deref().and_then(|s| {
                s.to_ascii_uppercase()
                    .rfind(" WHERE ")
                    .map(|i| s[i + 7..].trim().to_string())
            })
        } else {
            None
        };
        out.push(IndexInfo {
            is_primary: origin == "pk",
            is_unique: unique,
            method: Some("btree".into()),
            predicate,
            definition: sql,
            columns,
            name,
        });
    }
    Ok(out)
}

pub fn indexes(conn: &Connection, table: &TableRef) -> DbResult<Vec<IndexInfo>> {
    let (db, info) = table_info(conn, table)?;
    indexes_in(conn, &db, &info.name)
}

fn primary_key_in(conn: &Connection, db: &str, table: &str) -> DbResult<Option<PrimaryKey>> {
    let mut stmt = conn
        .prepare("SELECT name FROM pragma_table_info(?1, ?2) WHERE pk > 0 ORDER BY pk")
        .map_err(err)?;
    let columns: Vec<String> = stmt
        .query_map(params![table, db], |r| r.get(0))
        .map_err(err)?
        .collect::<Result<_, _>>()
        .map_err(err)?;
    Ok((!columns.is_empty()).then_some(PrimaryKey {
        name: None,
        columns,
    }))
}

/// Foreign keys of `table` (outgoing), grouped per constraint.
fn foreign_keys_in(conn: &Connection, db: &str, table: &str) -> DbResult<Vec<ForeignKeyInfo>> {
    let mut stmt = conn
        .prepare("SELECT id, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?1, ?2) ORDER BY id, seq")
        .map_err(err)?;
    let rows: Vec<(i64, String, String, Option<String>, String, String)> = stmt
        .query_map(params![table, db], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .map_err(err)?
        .collect::<Result<_, _>>()
        .map_err(err)?;
    let mut out: Vec<ForeignKeyInfo> = Vec::new();
    let mut last_id = None;
    for (id, parent, from, to, on_update, on_delete) in rows {
        if last_id != Some(id) {
            last_id = Some(id);
            out.push(ForeignKeyInfo {
                name: format!("{table}_fk{id}"),
                schema: Some(db.to_string()),
                table: table.to_string(),
                columns: Vec::new(),
                referenced_schema: Some(db.to_string()),
                referenced_table: parent.clone(),
                referenced_columns: Vec::new(),
                on_update,
                on_delete,
            });
        }
        if let Some(fk) = out.last_mut() {
            fk.columns.push(from);
            if let Some(to) = to {
                fk.referenced_columns.push(to);
            }
        }
    }
    // "REFERENCES parent" without columns means the parent's primary key.
    for fk in &mut out {
        if fk.referenced_columns.is_empty()
            && let Some(pk) = primary_key_in(conn, db, &fk.referenced_table)?
        {
            fk.referenced_columns = pk.columns;
        }
    }
    Ok(out)
}

pub fn foreign_keys(conn: &Connection, table: &TableRef) -> DbResult<Vec<ForeignKeyInfo>> {
    let (db, info) = table_info(conn, table)?;
    foreign_keys_in(conn, &db, &info.name)
}

fn referenced_by(conn: &Connection, db: &str, table: &str) -> DbResult<Vec<ForeignKeyInfo>> {
    let sql = format!(
        "SELECT DISTINCT m.name FROM {}.sqlite_schema m, pragma_foreign_key_list(m.name, ?2) f
          WHERE m.type = 'table' AND f.\"table\" = ?1 COLLATE NOCASE ORDER BY m.name",
        quote(db)
    );
    let mut stmt = conn.prepare(&sql).map_err(err)?;
    let children: Vec<String> = stmt
        .query_map(params![table, db], |r| r.get(0))
        .map_err(err)?
        .collect::<Result<_, _>>()
        .map_err(err)?;
    let mut out = Vec::new();
    for child in children {
        out.extend(
            foreign_keys_in(conn, db, &child)?
                .into_iter()
                .filter(|fk| fk.referenced_table.eq_ignore_ascii_case(table)),
        );
    }
    Ok(out)
}

fn trigger_timing(sql: &str) -> Option<String> {
    let upper = sql.to_ascii_uppercase();
    let words: Vec<&str> = upper.split_whitespace().collect();
    let at = words
        .iter()
        .position(|w| matches!(*w, "BEFORE" | "AFTER" | "INSTEAD"))?;
    let timing = if words[at] == "INSTEAD" {
        "INSTEAD OF"
    } else {
        words[at]
    };
    let event = words[at..]
        .iter()
        .find(|w| matches!(**w, "INSERT" | "UPDATE" | "DELETE"))?;
    Some(format!("{timing} {event}"))
}

fn triggers_in(conn: &Connection, db: &str, table: &str) -> DbResult<Vec<TriggerInfo>> {
    let sql = format!(
        "SELECT name, sql FROM {}.sqlite_schema WHERE type = 'trigger' AND tbl_name = ?1 COLLATE NOCASE ORDER BY name",
        quote(db)
    );
    let mut stmt = conn.prepare(&sql).map_err(err)?;
    let rows = stmt
        .query_map([table], |r| {
            let sql: Option<String> = r.get(1)?;
            Ok(TriggerInfo {
                name: r.get(0)?,
                timing: sql.as_deref().and_then(trigger_timing),
                definition: sql,
            })
        })
        .map_err(err)?;
    rows.collect::<Result<_, _>>().map_err(err)
}

/// The name under which the table's rowid can be read: rowid, oid or _rowid_, whichever
/// no column hides; none for views and WITHOUT ROWID tables.
fn row_id_in(conn: &Connection, db: &str, info: &TableInfo) -> DbResult<Option<String>> {
    if info.kind != TableKind::Table {
        return Ok(None);
    }
    let without_rowid: i64 = conn
        .query_row(
            "SELECT wr FROM pragma_table_list WHERE schema = ?1 AND name = ?2",
            [db, info.name.as_str()],
            |r| r.get(0),
        )
        .map_err(err)?;
    if without_rowid != 0 {
        return Ok(None);
    }
    let columns = columns_in(conn, db, &info.name)?;
    Ok(["rowid", "oid", "_rowid_"]
        .into_iter()
        .find(|alias| !columns.iter().any(|c| c.name.eq_ignore_ascii_case(alias)))
        .map(str::to_string))
}

pub fn describe(conn: &Connection, table: &TableRef) -> DbResult<TableDescription> {
    let (db, info) = table_info(conn, table)?;
    let name = info.name.clone();
    Ok(TableDescription {
        columns: columns_in(conn, &db, &name)?,
        primary_key: primary_key_in(conn, &db, &name)?,
        indexes: indexes_in(conn, &db, &name)?,
        foreign_keys: foreign_keys_in(conn, &db, &name)?,
        referenced_by: referenced_by(conn, &db, &name)?,
        triggers: triggers_in(conn, &db, &name)?,
        row_id: row_id_in(conn, &db, &info)?,
        table: info,
    })
}

/// The table's (or view's) CREATE statement followed by its indexes' and triggers'.
pub fn ddl(conn: &Connection, table: &TableRef) -> DbResult<String> {
    let (db, info) = table_info(conn, table)?;
    let sql = format!(
        "SELECT sql FROM {}.sqlite_schema
          WHERE tbl_name = ?1 COLLATE NOCASE AND sql IS NOT NULL
          ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'view' THEN 0 WHEN 'index' THEN 1 ELSE 2 END, name",
        quote(&db)
    );
    let mut stmt = conn.prepare(&sql).map_err(err)?;
    let parts: Vec<String> = stmt
        .query_map([&info.name], |r| r.get(0))
        .map_err(err)?
        .collect::<Result<_, _>>()
        .map_err(err)?;
    let mut out = String::new();
    for p in parts {
        out.push_str(p.trim_end().trim_end_matches(';'));
        out.push_str(";\n");
    }
    Ok(out)
}

/// The SQLite tree: database > Tables / Views > object > columns + folders > parts.
pub fn list_children(conn: &Connection, path: &[String]) -> DbResult<Vec<SchemaNode>> {
    match path {
        [] => Ok(databases(conn)?
            .into_iter()
            .map(|d| {
                let mut n = SchemaNode::new(NodeKind::Database, d.name, path);
                n.size_bytes = d.size_bytes;
                n.detail = d.comment;
                n
            })
            .collect()),
        [db] => {
            let counts: (i64, i64) = conn
                .query_row(
                    &format!(
                        "SELECT count(*) FILTER (WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'),
                                count(*) FILTER (WHERE type = 'view')
                           FROM {}.sqlite_schema",
                        quote(db)
                    ),
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(err)?;
            Ok(vec![
                SchemaNode::folder(FolderKind::Tables, path, Some(counts.0)),
                SchemaNode::folder(FolderKind::Views, path, Some(counts.1)),
            ])
        }
        [db, folder] => {
            let kinds: &[&str] = match FolderKind::from_key(folder) {
                Some(FolderKind::Tables) => &["table"],
                Some(FolderKind::Views) => &["view"],
                _ => return Err(unknown_path(path)),
            };
            Ok(tables(conn, db, kinds)?
                .iter()
                .map(|t| SchemaNode::for_table(t, path, None))
                .collect())
        }
        [db, folder, name] => {
            let table = TableRef::new(Some(db), name);
            let (db, info) = table_info(conn, &table)?;
            let mut out: Vec<SchemaNode> = columns_in(conn, &db, &info.name)?
                .iter()
                .map(|c| SchemaNode::for_column(c, path))
                .collect();
            match FolderKind::from_key(folder) {
                Some(FolderKind::Tables) => out.extend(table_folders(path)),
                Some(FolderKind::Views) => {
                    out.push(SchemaNode::folder(FolderKind::Triggers, path, None))
                }
                _ => return Err(unknown_path(path)),
            }
            Ok(out)
        }
        [db, _, name, part] => {
            let table = TableRef::new(Some(db), name);
            let (db, info) = table_info(conn, &table)?;
            let name = &info.name;
            match FolderKind::from_key(part) {
                Some(FolderKind::Indexes) => Ok(indexes_in(conn, &db, name)?
                    .iter()
                    .map(|i| SchemaNode::for_index(i, path))
                    .collect()),
                Some(FolderKind::ForeignKeys) => Ok(foreign_keys_in(conn, &db, name)?
                    .iter()
                    .map(|f| SchemaNode::for_foreign_key(f, path))
                    .collect()),
                Some(FolderKind::Triggers) => Ok(triggers_in(conn, &db, name)?
                    .iter()
                    .map(|t| SchemaNode::for_trigger(t, path))
                    .collect()),
                _ => Err(unknown_path(path)),
            }
        }
        _ => Err(unknown_path(path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_timing_words() {
        assert_eq!(
            trigger_timing("CREATE TRIGGER x BEFORE UPDATE OF a ON t BEGIN END").as_deref(),
            Some("BEFORE UPDATE")
        );
        assert_eq!(
            trigger_timing("create trigger x instead of insert on v begin end").as_deref(),
            Some("INSTEAD OF INSERT")
        );
    }
}
