//! MySQL / MariaDB metadata from information_schema (prepared statements, so every name
//! is a parameter) and SHOW CREATE for DDL (names quoted with backticks).

use dbhive_core::{
    ColumnInfo, DatabaseInfo, DbError, DbResult, ForeignKeyInfo, IndexInfo, PrimaryKey,
    TableDescription, TableInfo, TableKind, TableRef, TriggerInfo,
};

use super::column_type::choices;
use super::conn::{RawConn, TextRows};

/// A name as a backtick-quoted identifier.
pub fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

pub(super) struct Row<'a>(&'a [Option<String>]);

impl<'a> Row<'a> {
    pub(super) fn opt(&self, i: usize) -> Option<&'a str> {
        self.0.get(i).and_then(|v| v.as_deref())
    }
    pub(super) fn text(&self, i: usize) -> String {
        self.opt(i).unwrap_or_default().to_string()
    }
    pub(super) fn owned(&self, i: usize) -> Option<String> {
        self.opt(i).filter(|s| !s.is_empty()).map(str::to_string)
    }
    pub(super) fn i64(&self, i: usize) -> Option<i64> {
        self.opt(i)
            .and_then(|s| s.split('.').next())
            .and_then(|s| s.parse().ok())
    }
    pub(super) fn flag(&self, i: usize) -> bool {
        matches!(self.opt(i), Some("1") | Some("YES"))
    }
}

pub(super) fn rows(r: &TextRows) -> impl Iterator<Item = Row<'_>> {
    r.rows.iter().map(|v| Row(v))
}

pub fn not_found(table: &TableRef) -> DbError {
    DbError::not_found(format!("table '{table}' doesn't exist")).with_code("1146")
}

/// The database a table lives in: its own, or the connection's.
pub fn schema_of<'a>(table: &'a TableRef, default: Option<&'a str>) -> DbResult<&'a str> {
    table
        .schema
        .as_deref()
        .or(table.database.as_deref())
        .or(default)
        .ok_or_else(|| {
            DbError::new(
                dbhive_core::ErrorKind::NotFound,
                format!(
                    "no database chosen for '{}': write it as database.table",
                    table.name
                ),
            )
        })
}

/// Above this many tables in one database, the tree leaves out its size and its tables' row
/// estimates and sizes. MariaDB opens every table to compute them: with 20,000 tables the
/// listing took 5.5 s instead of 0.5 s, and the database list 5 s instead of 0.3 s.
const STATS_TABLE_LIMIT: i64 = 2_000;

pub async fn databases(conn: &mut RawConn) -> DbResult<Vec<DatabaseInfo>> {
    // Counting needs no table opened; summing sizes does, so only small databases get one.
    let counts = conn
        .query_params(
            "SELECT TABLE_SCHEMA, COUNT(*) FROM information_schema.TABLES GROUP BY TABLE_SCHEMA",
            &[],
        )
        .await?;
    let small: Vec<String> = rows(&counts)
        .filter(|row| row.i64(1).is_some_and(|n| n <= STATS_TABLE_LIMIT))
        .map(|row| row.text(0))
        .collect();
    let mut sizes = std::collections::HashMap::new();
    if !small.is_empty() {
        let marks = vec!["?"; small.len()].join(", ");
        let sql = format!(
            "SELECT TABLE_SCHEMA, SUM(DATA_LENGTH + INDEX_LENGTH) FROM information_schema.TABLES
              WHERE TABLE_SCHEMA IN ({marks}) GROUP BY TABLE_SCHEMA"
        );
        let params: Vec<Option<&str>> = small.iter().map(|s| Some(s.as_str())).collect();
        let r = conn.query_params(&sql, &params).await?;
        sizes.extend(rows(&r).filter_map(|row| Some((row.text(0), row.i64(1)?))));
    }
    let r = conn
        .query_params(
            "SELECT SCHEMA_NAME, SCHEMA_NAME = DATABASE() FROM information_schema.SCHEMATA
              ORDER BY SCHEMA_NAME",
            &[],
        )
        .await?;
    Ok(rows(&r)
        .map(|row| {
            let name = row.text(0);
            DatabaseInfo {
                size_bytes: sizes.get(&name).copied(),
                name,
                is_current: row.flag(1),
                comment: None,
            }
        })
        .collect())
}

/// What the Tables folder holds; `folder_counts` matches the same three names.
const TABLE_TYPES: &str = "('BASE TABLE', 'SYSTEM VERSIONED', 'SYSTEM VIEW')";

fn table_info(row: &Row, schema: &str) -> TableInfo {
    let view = row.opt(1) == Some("VIEW");
    TableInfo {
        schema: Some(schema.to_string()),
        name: row.text(0),
        kind: if view {
            TableKind::View
        } else {
            TableKind::Table
        },
        engine: row.owned(2),
        row_estimate: if view { None } else { row.i64(3) },
        size_bytes: if view { None } else { row.i64(4) },
        comment: if view { None } else { row.owned(5) },
    }
}

const TABLE_COLUMNS: &str =
    "TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_ROWS, DATA_LENGTH + INDEX_LENGTH, TABLE_COMMENT";
/// The same columns, with no row estimate or size: see `STATS_TABLE_LIMIT`.
const TABLE_COLUMNS_WITHOUT_STATS: &str =
    "TABLE_NAME, TABLE_TYPE, ENGINE, NULL, NULL, TABLE_COMMENT";

pub async fn tables(
    conn: &mut RawConn,
    schema: &str,
    views: Option<bool>,
) -> DbResult<Vec<TableInfo>> {
    let filter = match views {
        Some(true) => "AND TABLE_TYPE = 'VIEW'".to_string(),
        Some(false) => format!("AND TABLE_TYPE IN {TABLE_TYPES}"),
        None => String::new(),
    };
    let count = conn
        .query_params(
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?",
            &[Some(schema)],
        )
        .await?;
    let many = rows(&count)
        .next()
        .and_then(|row| row.i64(0))
        .is_some_and(|n| n > STATS_TABLE_LIMIT);
    let columns = if many {
        TABLE_COLUMNS_WITHOUT_STATS
    } else {
        TABLE_COLUMNS
    };
    let sql = format!(
        "SELECT {columns} FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? {filter} ORDER BY TABLE_NAME"
    );
    let r = conn.query_params(&sql, &[Some(schema)]).await?;
    Ok(rows(&r).map(|row| table_info(&row, schema)).collect())
}

pub async fn table(conn: &mut RawConn, schema: &str, table: &TableRef) -> DbResult<TableInfo> {
    Ok(table_and_type(conn, schema, table).await?.0)
}

/// The table with its TABLE_TYPE, which is what tells a sequence (TableKind has none).
async fn table_and_type(
    conn: &mut RawConn,
    schema: &str,
    table: &TableRef,
) -> DbResult<(TableInfo, String)> {
    let sql = format!(
        "SELECT {TABLE_COLUMNS} FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?"
    );
    let r = conn
        .query_params(&sql, &[Some(schema), Some(&table.name)])
        .await?;
    rows(&r)
        .next()
        .map(|row| (table_info(&row, schema), row.text(1)))
        .ok_or_else(|| not_found(table))
}

pub async fn columns(conn: &mut RawConn, schema: &str, table: &str) -> DbResult<Vec<ColumnInfo>> {
    let r = conn
        .query_params(
            "SELECT c.COLUMN_NAME, c.ORDINAL_POSITION, c.COLUMN_TYPE, c.IS_NULLABLE, c.COLUMN_DEFAULT,
                    c.COLUMN_KEY, c.EXTRA, c.GENERATION_EXPRESSION, c.CHARACTER_SET_NAME,
                    c.COLLATION_NAME, c.COLUMN_COMMENT,
                    EXISTS (SELECT 1 FROM information_schema.STATISTICS s
                             WHERE s.TABLE_SCHEMA = ? AND s.TABLE_NAME = ?
                               AND s.COLUMN_NAME = c.COLUMN_NAME AND s.NON_UNIQUE = 0
                               AND (SELECT COUNT(*) FROM information_schema.STATISTICS s2
                                     WHERE s2.TABLE_SCHEMA = ? AND s2.TABLE_NAME = ?
                                       AND s2.INDEX_NAME = s.INDEX_NAME) = 1)
               FROM information_schema.COLUMNS c
              WHERE c.TABLE_SCHEMA = ? AND c.TABLE_NAME = ?
              ORDER BY c.ORDINAL_POSITION",
            // Constants, not c.TABLE_SCHEMA: information_schema only opens the one table
            // when the schema and table are given as values. Correlated, MariaDB read the
            // statistics of every table on the server (4.6 s with 20,000 tables elsewhere).
            &[Some(schema), Some(table)].repeat(3),
        )
        .await?;
    Ok(rows(&r)
        .map(|row| {
            let extra_word = row.text(6);
            let mut extra = Vec::new();
            match row.owned(7) {
                Some(expr)
                    if extra_word.to_ascii_uppercase().contains("GENERATED")
                        && !extra_word.eq_ignore_ascii_case("DEFAULT_GENERATED") =>
                {
                    let kind = if extra_word.to_ascii_uppercase().contains("STORED")
                        || extra_word.to_ascii_uppercase().contains("PERSISTENT")
                    {
                        "STORED"
                    } else {
                        "VIRTUAL"
                    };
                    extra.push(format!("GENERATED ALWAYS AS ({expr}) {kind}"));
                }
                _ if !extra_word.is_empty()
                    && !extra_word.eq_ignore_ascii_case("DEFAULT_GENERATED") =>
                {
                    extra.push(extra_word)
                }
                _ => {}
            }
            if let Some(charset) = row.owned(8) {
                let collation = row
                    .owned(9)
                    .map(|c| format!(" COLLATE {c}"))
                    .unwrap_or_default();
                extra.push(format!("CHARACTER SET {charset}{collation}"));
            }
            // MariaDB writes a NULL default as the word NULL.
            let default = row.owned(4).filter(|d| d != "NULL");
            ColumnInfo {
                name: row.text(0),
                ordinal: row.i64(1).unwrap_or(0) as u32,
                data_type: row.text(2),
                nullable: row.opt(3) == Some("YES"),
                default,
                is_primary_key: row.opt(5) == Some("PRI"),
                is_unique: row.flag(11),
                extra: (!extra.is_empty()).then(|| extra.join("; ")),
                comment: row.owned(10),
                choices: choices(&row.text(2)),
            }
        })
        .collect())
}

pub async fn indexes(conn: &mut RawConn, schema: &str, table: &str) -> DbResult<Vec<IndexInfo>> {
    let r = conn
        .query_params(
            "SELECT INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART, INDEX_TYPE, COLLATION
               FROM information_schema.STATISTICS
              WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
              ORDER BY INDEX_NAME <> 'PRIMARY', INDEX_NAME, SEQ_IN_INDEX",
            &[Some(schema), Some(table)],
        )
        .await?;
    let mut out: Vec<IndexInfo> = Vec::new();
    // The same parts quoted for the DDL, where a bare `order` or `123` would not parse.
    let mut in_ddl: Vec<Vec<String>> = Vec::new();
    for row in rows(&r) {
        let name = row.text(0);
        let mut suffix = String::new();
        // A spatial key reports an internal SUB_PART that no one wrote.
        if let Some(len) = row.i64(3).filter(|_| row.opt(4) != Some("SPATIAL")) {
            suffix.push_str(&format!("({len})"));
        }
        if row.opt(5) == Some("D") {
            suffix.push_str(" DESC");
        }
        let (shown, quoted) = match row.owned(2) {
            Some(c) => (
                format!("{}{suffix}", quote_plain(&c)),
                format!("{}{suffix}", quote(&c)),
            ),
            None => ("<expression>".to_string(), "<expression>".to_string()),
        };
        match (out.last_mut(), in_ddl.last_mut()) {
            (Some(last), Some(parts)) if last.name == name => {
                last.columns.push(shown);
                parts.push(quoted);
            }
            _ => {
                in_ddl.push(vec![quoted]);
                out.push(IndexInfo {
                    is_primary: name == "PRIMARY",
                    is_unique: row.opt(1) == Some("0"),
                    method: row.owned(4),
                    predicate: None,
                    definition: None,
                    columns: vec![shown],
                    name,
                });
            }
        }
    }
    for (index, parts) in out.iter_mut().zip(&in_ddl) {
        let kind = match index.method.as_deref() {
            Some("FULLTEXT") => "FULLTEXT ",
            Some("SPATIAL") => "SPATIAL ",
            _ if index.is_unique => "UNIQUE ",
            _ => "",
        };
        index.definition = Some(if index.is_primary {
            format!(
                "ALTER TABLE {}.{} ADD PRIMARY KEY ({})",
                quote(schema),
                quote(table),
                parts.join(", ")
            )
        } else {
            format!(
                "CREATE {kind}INDEX {} ON {}.{} ({})",
                quote(&index.name),
                quote(schema),
                quote(table),
                parts.join(", ")
            )
        });
    }
    Ok(out)
}

/// Column names in index listings (for reading; the definitions quote every name) stay
/// bare unless they hold characters that would make the list ambiguous.
fn quote_plain(name: &str) -> String {
    if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
    {
        name.to_string()
    } else {
        quote(name)
    }
}

/// Foreign keys of the table (`incoming` false) or pointing at it from tables of the same
/// database (`incoming` true). Incoming keys are looked for in the table's own database
/// only: information_schema can only find them by opening every table it searches, and
/// searching the whole server took 9.6 s with 20,000 tables in another database.
pub async fn foreign_keys(
    conn: &mut RawConn,
    schema: &str,
    table: &str,
    incoming: bool,
) -> DbResult<Vec<ForeignKeyInfo>> {
    // Two queries, not a join: joined, MariaDB scanned REFERENTIAL_CONSTRAINTS over every
    // database whatever the constants; alone, each opens only the tables it names.
    let (keys_filter, rules_filter) = if incoming {
        (
            "TABLE_SCHEMA = ? AND REFERENCED_TABLE_SCHEMA = TABLE_SCHEMA AND REFERENCED_TABLE_NAME = ?",
            "CONSTRAINT_SCHEMA = ? AND REFERENCED_TABLE_NAME = ?",
        )
    } else {
        (
            "TABLE_SCHEMA = ? AND TABLE_NAME = ? AND REFERENCED_TABLE_NAME IS NOT NULL",
            "CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?",
        )
    };
    let params = [Some(schema), Some(table)];
    let rules = conn
        .query_params(
            &format!(
                "SELECT TABLE_NAME, CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE
                   FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE {rules_filter}"
            ),
            &params,
        )
        .await?;
    let rules: std::collections::HashMap<(String, String), (String, String)> = rows(&rules)
        .map(|row| ((row.text(0), row.text(1)), (row.text(2), row.text(3))))
        .collect();
    let r = conn
        .query_params(
            &format!(
                "SELECT CONSTRAINT_NAME, TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME,
                        REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME
                   FROM information_schema.KEY_COLUMN_USAGE
                  WHERE {keys_filter}
                  ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION"
            ),
            &params,
        )
        .await?;
    let mut out: Vec<ForeignKeyInfo> = Vec::new();
    for row in rows(&r) {
        let (name, owner) = (row.text(0), row.text(2));
        match out.last_mut() {
            Some(last) if last.name == name && last.table == owner => {
                last.columns.push(row.text(3));
                last.referenced_columns.push(row.text(6));
            }
            _ => {
                // A key column without a constraint row is not a foreign key.
                let Some((on_update, on_delete)) = rules.get(&(owner.clone(), name.clone())) else {
                    continue;
                };
                out.push(ForeignKeyInfo {
                    on_update: on_update.clone(),
                    on_delete: on_delete.clone(),
                    name,
                    schema: row.owned(1),
                    table: owner,
                    columns: vec![row.text(3)],
                    referenced_schema: row.owned(4),
                    referenced_table: row.text(5),
                    referenced_columns: vec![row.text(6)],
                })
            }
        }
    }
    Ok(out)
}

pub async fn primary_key(
    conn: &mut RawConn,
    schema: &str,
    table: &str,
) -> DbResult<Option<PrimaryKey>> {
    Ok(indexes(conn, schema, table)
        .await?
        .into_iter()
        .find(|i| i.is_primary)
        .map(|i| PrimaryKey {
            name: Some(i.name),
            columns: i.columns,
        }))
}

pub async fn triggers(conn: &mut RawConn, schema: &str, table: &str) -> DbResult<Vec<TriggerInfo>> {
    let r = conn
        .query_params(
            "SELECT TRIGGER_NAME, ACTION_TIMING, EVENT_MANIPULATION, ACTION_STATEMENT
               FROM information_schema.TRIGGERS
              WHERE EVENT_OBJECT_SCHEMA = ? AND EVENT_OBJECT_TABLE = ?
              ORDER BY TRIGGER_NAME",
            &[Some(schema), Some(table)],
        )
        .await?;
    Ok(rows(&r)
        .map(|row| TriggerInfo {
            name: row.text(0),
            timing: Some(format!("{} {} FOR EACH ROW", row.text(1), row.text(2))),
            definition: row.owned(3),
        })
        .collect())
}

pub async fn describe(
    conn: &mut RawConn,
    schema: &str,
    table: &TableRef,
) -> DbResult<TableDescription> {
    let info = self::table(conn, schema, table).await?;
    let name = info.name.clone();
    Ok(TableDescription {
        row_id: None,
        columns: columns(conn, schema, &name).await?,
        primary_key: primary_key(conn, schema, &name).await?,
        indexes: indexes(conn, schema, &name).await?,
        foreign_keys: foreign_keys(conn, schema, &name, false).await?,
        referenced_by: foreign_keys(conn, schema, &name, true).await?,
        triggers: triggers(conn, schema, &name).await?,
        table: info,
    })
}

/// SHOW CREATE TABLE (or VIEW), followed by the table's triggers.
pub async fn ddl(conn: &mut RawConn, schema: &str, table: &TableRef) -> DbResult<String> {
    let (info, table_type) = table_and_type(conn, schema, table).await?;
    let qualified = format!("{}.{}", quote(schema), quote(&info.name));
    let view = info.kind == TableKind::View;
    // SHOW CREATE TABLE on a sequence gives the table that stores it, not the statement
    // that made it.
    let sequence = table_type == "SEQUENCE";
    let sql = if view {
        format!("SHOW CREATE VIEW {qualified}")
    } else if sequence {
        format!("SHOW CREATE SEQUENCE {qualified}")
    } else {
        format!("SHOW CREATE TABLE {qualified}")
    };
    let r = conn.text_query(&sql).await?;
    let mut out = r
        .rows
        .first()
        .and_then(|row| row.get(1).cloned().flatten())
        .ok_or_else(|| not_found(table))?;
    out.push_str(";\n");
    if !view && !sequence {
        for trigger in triggers(conn, schema, &info.name).await? {
            let r = conn
                .text_query(&format!(
                    "SHOW CREATE TRIGGER {}.{}",
                    quote(schema),
                    quote(&trigger.name)
                ))
                .await?;
            if let Some(text) = r.rows.first().and_then(|row| row.get(2).cloned().flatten()) {
                out.push('\n');
                out.push_str(text.trim_end().trim_end_matches(';'));
                out.push_str(";\n");
            }
        }
    }
    Ok(out)
}
