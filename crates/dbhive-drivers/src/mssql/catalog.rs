//! The catalog from `sys.*`: databases, schemas, tables (rows and sizes from
//! sys.dm_db_partition_stats, else sys.partitions), columns with identity, computed and
//! default definitions, keys, indexes, foreign keys, triggers and routines with their
//! parameters (the tree built on them is tree.rs, the DDL scripted from them ddl.rs). Each
//! expansion is one batch, run in the database it is about (`USE` first: a pooled
//! connection may have been elsewhere).

use dbhive_core::pool::Pooled;
use dbhive_core::{
    ColumnInfo, DatabaseInfo, DbError, DbResult, ForeignKeyInfo, IndexInfo, PrimaryKey, SchemaInfo,
    TableDescription, TableInfo, TableKind, TableRef, TriggerInfo, Value,
};

use super::MssqlManager;
use super::ddl::index_ddl;

/// `[name]`, with `]` doubled.
pub fn quote(name: &str) -> String {
    format!("[{}]", name.replace(']', "]]"))
}

/// `N'text'`, with `'` doubled.
pub fn literal(text: &str) -> String {
    format!("N'{}'", text.replace('\'', "''"))
}

/// `[schema].[name]` (dbo when no schema is given).
pub fn qualified(t: &TableRef) -> String {
    let schema = quote(t.schema.as_deref().unwrap_or("dbo"));
    match &t.database {
        Some(db) => format!("{}.{schema}.{}", quote(db), quote(&t.name)),
        None => format!("{schema}.{}", quote(&t.name)),
    }
}

/// `N'[schema].[name]'`, as OBJECT_ID and IDENT_SEED take a name.
pub(super) fn name_literal(t: &TableRef) -> String {
    literal(&format!(
        "{}.{}",
        quote(t.schema.as_deref().unwrap_or("dbo")),
        quote(&t.name)
    ))
}

pub(super) fn object_id(t: &TableRef) -> String {
    format!("OBJECT_ID({})", name_literal(t))
}

pub(super) fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Text(s) => Some(s.clone()),
        Value::Int(n) => Some(n.to_string()),
        Value::Decimal(d) => Some(d.clone()),
        _ => None,
    }
}

pub(super) fn int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Int(n) => Some(*n),
        Value::Decimal(d) => d.split('.').next()?.parse().ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

pub(super) fn flag(v: Option<&Value>) -> bool {
    int(v).unwrap_or(0) != 0
}

/// SQL Server's own spelling of a column type: `nvarchar(50)`, `decimal(10,2)`, `time(3)`.
pub fn type_text(name: &str, max_length: i64, precision: i64, scale: i64) -> String {
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "varchar" | "char" | "varbinary" | "binary" => {
            if max_length < 0 {
                format!("{name}(max)")
            } else {
                format!("{name}({max_length})")
            }
        }
        "nvarchar" | "nchar" => {
            if max_length < 0 {
                format!("{name}(max)")
            } else {
                format!("{name}({})", max_length / 2)
            }
        }
        "decimal" | "numeric" => format!("{name}({precision},{scale})"),
        "time" | "datetime2" | "datetimeoffset" => format!("{name}({scale})"),
        _ => name.to_string(),
    }
}

pub struct Catalog {
    pub(super) conn: Pooled<MssqlManager>,
    database: Option<String>,
}

pub(super) struct Counts {
    pub tables: i64,
    pub views: i64,
    pub procedures: i64,
    pub functions: i64,
}

/// A procedure or function as the tree shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routine {
    pub name: String,
    /// SQL Server's type_desc in lower case: "sql stored procedure", "sql scalar function".
    pub kind: String,
    /// `@name type [OUTPUT]`, in order.
    pub parameters: Vec<String>,
    /// A scalar function's return type (its parameter 0).
    pub returns: Option<String>,
}

impl Routine {
    /// `name(@a int, @b nvarchar(10) OUTPUT)`.
    pub fn signature(&self) -> String {
        format!("{}({})", self.name, self.parameters.join(", "))
    }
}

fn add_parameter(r: &mut Routine, p: &[Value]) {
    let ty = type_text(
        &text(p.get(3)).unwrap_or_default(),
        int(p.get(4)).unwrap_or(0),
        int(p.get(5)).unwrap_or(0),
        int(p.get(6)).unwrap_or(0),
    );
    let name = text(p.get(2)).unwrap_or_default();
    if int(p.get(1)) == Some(0) || name.is_empty() {
        r.returns = Some(ty);
    } else if flag(p.get(7)) {
        r.parameters.push(format!("{name} {ty} OUTPUT"));
    } else {
        r.parameters.push(format!("{name} {ty}"));
    }
}

impl Catalog {
    pub(crate) fn new(conn: Pooled<MssqlManager>, database: Option<String>) -> Catalog {
        Catalog { conn, database }
    }

    pub(super) async fn rows(&mut self, sql: &str) -> DbResult<Vec<Vec<Value>>> {
        let batch = match &self.database {
            Some(db) => format!("USE {};\n{sql}", quote(db)),
            None => sql.to_string(),
        };
        self.conn.collect(&batch).await
    }

    pub async fn databases(&mut self) -> DbResult<Vec<DatabaseInfo>> {
        // Sizes come from sys.master_files (8 kB pages); a server without it lists names.
        let sized = "SELECT d.name, d.state_desc, (SELECT SUM(CAST(f.size AS bigint)) * 8192 FROM sys.master_files f WHERE f.database_id = d.database_id), CASE WHEN d.name = DB_NAME() THEN 1 ELSE 0 END FROM sys.databases d ORDER BY d.name";
        let rows = match self.conn.collect(sized).await {
            Ok(rows) => rows,
            Err(_) => {
                self.conn
                    .collect("SELECT d.name, d.state_desc, NULL, CASE WHEN d.name = DB_NAME() THEN 1 ELSE 0 END FROM sys.databases d ORDER BY d.name")
                    .await?
            }
        };
        Ok(rows
            .iter()
            .map(|r| {
                let state = text(r.get(1)).unwrap_or_default();
                DatabaseInfo {
                    name: text(r.first()).unwrap_or_default(),
                    size_bytes: int(r.get(2)).filter(|&n| n > 0),
                    is_current: flag(r.get(3)),
                    comment: (!state.eq_ignore_ascii_case("ONLINE") && !state.is_empty())
                        .then_some(state),
                }
            })
            .collect())
    }

    pub async fn schemas(&mut self) -> DbResult<Vec<SchemaInfo>> {
        let rows = self
            .rows("SELECT s.name, p.name, CASE WHEN s.name IN ('sys', 'INFORMATION_SCHEMA', 'guest') OR s.name LIKE 'db[_]%' THEN 1 ELSE 0 END FROM sys.schemas s LEFT JOIN sys.database_principals p ON p.principal_id = s.principal_id ORDER BY CASE WHEN s.name = 'dbo' THEN 0 ELSE 1 END, s.name")
            .await?;
        Ok(rows
            .iter()
            .map(|r| SchemaInfo {
                name: text(r.first()).unwrap_or_default(),
                owner: text(r.get(1)),
                is_system: flag(r.get(2)),
                comment: None,
            })
            .collect())
    }

    pub(super) async fn counts(&mut self, schema: &str) -> DbResult<Counts> {
        let s = literal(schema);
        let rows = self
            .rows(&format!(
                "SELECT SUM(CASE WHEN o.type = 'U' THEN 1 ELSE 0 END), SUM(CASE WHEN o.type = 'V' THEN 1 ELSE 0 END), SUM(CASE WHEN o.type IN ('P', 'PC') THEN 1 ELSE 0 END), SUM(CASE WHEN o.type IN ('FN', 'IF', 'TF', 'FS', 'FT') THEN 1 ELSE 0 END) FROM sys.objects o WHERE o.schema_id = SCHEMA_ID({s})"
            ))
            .await?;
        let r = rows.first();
        let at = |i: usize| r.and_then(|r| int(r.get(i))).unwrap_or(0);
        Ok(Counts {
            tables: at(0),
            views: at(1),
            procedures: at(2),
            functions: at(3),
        })
    }

    /// Tables (`Some(false)`), views (`Some(true)`) or both of a schema.
    pub async fn tables(&mut self, schema: &str, views: Option<bool>) -> DbResult<Vec<TableInfo>> {
        // sys.tables and sys.views rather than sys.objects: Babelfish builds sys.objects from
        // every kind of object, twice as slow at 20,000 tables (BENCHMARKS.md).
        let objects = match views {
            Some(true) => "sys.views",
            Some(false) => "sys.tables",
            None => {
                "(SELECT object_id, name, type, schema_id FROM sys.tables UNION ALL SELECT object_id, name, type, schema_id FROM sys.views)"
            }
        };
        let filter = format!(
            "LEFT JOIN sys.extended_properties ep ON ep.class = 1 AND ep.major_id = o.object_id AND ep.minor_id = 0 AND ep.name = 'MS_Description' WHERE o.schema_id = SCHEMA_ID({}) ORDER BY o.name",
            literal(schema)
        );
        // Rows and reserved size (all indexes, 8 kB pages) from one pass over
        // sys.dm_db_partition_stats; it needs VIEW DATABASE STATE and Babelfish has none, so
        // without it the rows come from sys.partitions and the size stays unknown.
        let sized = format!(
            "SELECT o.name, o.type, p.rows, CAST(ep.value AS nvarchar(4000)), p.pages * 8192 FROM {objects} o LEFT JOIN (SELECT object_id, SUM(CASE WHEN index_id IN (0, 1) THEN row_count ELSE 0 END) AS rows, SUM(CAST(reserved_page_count AS bigint)) AS pages FROM sys.dm_db_partition_stats GROUP BY object_id) p ON p.object_id = o.object_id {filter}"
        );
        let rows = match self.rows(&sized).await {
            Ok(rows) => rows,
            Err(_) => {
                self.rows(&format!(
                    "SELECT o.name, o.type, p.rows, CAST(ep.value AS nvarchar(4000)), NULL FROM {objects} o LEFT JOIN (SELECT object_id, SUM(rows) AS rows FROM sys.partitions WHERE index_id IN (0, 1) GROUP BY object_id) p ON p.object_id = o.object_id {filter}"
                ))
                .await?
            }
        };
        Ok(rows
            .iter()
            .map(|r| {
                let view = text(r.get(1)).is_some_and(|t| t.trim() == "V");
                TableInfo {
                    schema: Some(schema.to_string()),
                    name: text(r.first()).unwrap_or_default(),
                    kind: if view {
                        TableKind::View
                    } else {
                        TableKind::Table
                    },
                    // Babelfish counts -1 for tables it has not analysed: unknown, not negative.
                    row_estimate: if view {
                        None
                    } else {
                        int(r.get(2)).filter(|&n| n >= 0)
                    },
                    size_bytes: int(r.get(4)).filter(|&n| n >= 0 && !view),
                    comment: text(r.get(3)),
                    engine: None,
                }
            })
            .collect())
    }

    /// Errors when the table does not exist (a table without columns does not either).
    async fn exists(&mut self, t: &TableRef) -> DbResult<()> {
        let rows = self.rows(&format!("SELECT {}", object_id(t))).await?;
        if rows.first().and_then(|r| int(r.first())).is_none() {
            return Err(DbError::not_found(format!(
                "no table or view {} in database {}",
                qualified(&TableRef {
                    database: None,
                    ..t.clone()
                }),
                self.database.as_deref().unwrap_or("(the login's default)")
            )));
        }
        Ok(())
    }

    pub async fn columns(&mut self, t: &TableRef) -> DbResult<Vec<ColumnInfo>> {
        let rows = self
            .rows(&format!(
                "SELECT c.name, c.column_id, TYPE_NAME(c.user_type_id), c.max_length, c.precision, c.scale, c.is_nullable, c.is_identity, CAST(COALESCE(ic.seed_value, CASE WHEN c.is_identity = 1 THEN IDENT_SEED({name}) END) AS nvarchar(100)), CAST(COALESCE(ic.increment_value, CASE WHEN c.is_identity = 1 THEN IDENT_INCR({name}) END) AS nvarchar(100)), c.is_computed, cc.definition, dc.definition, c.collation_name, CASE WHEN EXISTS (SELECT 1 FROM sys.index_columns x JOIN sys.indexes i ON i.object_id = x.object_id AND i.index_id = x.index_id WHERE i.is_primary_key = 1 AND x.object_id = c.object_id AND x.column_id = c.column_id) THEN 1 ELSE 0 END, CASE WHEN EXISTS (SELECT 1 FROM sys.index_columns x JOIN sys.indexes i ON i.object_id = x.object_id AND i.index_id = x.index_id WHERE i.is_unique = 1 AND x.is_included_column = 0 AND x.object_id = c.object_id AND x.column_id = c.column_id) THEN 1 ELSE 0 END, CAST(ep.value AS nvarchar(4000)) FROM sys.columns c LEFT JOIN sys.identity_columns ic ON ic.object_id = c.object_id AND ic.column_id = c.column_id LEFT JOIN sys.computed_columns cc ON cc.object_id = c.object_id AND cc.column_id = c.column_id LEFT JOIN sys.default_constraints dc ON dc.parent_object_id = c.object_id AND dc.parent_column_id = c.column_id LEFT JOIN sys.extended_properties ep ON ep.class = 1 AND ep.major_id = c.object_id AND ep.minor_id = c.column_id AND ep.name = 'MS_Description' WHERE c.object_id = {id} ORDER BY c.column_id",
                name = name_literal(t),
                id = object_id(t)
            ))
            .await?;
        if rows.is_empty() {
            self.exists(t).await?;
        }
        Ok(rows
            .iter()
            .map(|r| {
                let ty = type_text(
                    &text(r.get(2)).unwrap_or_default(),
                    int(r.get(3)).unwrap_or(0),
                    int(r.get(4)).unwrap_or(0),
                    int(r.get(5)).unwrap_or(0),
                );
                let mut extra = Vec::new();
                if flag(r.get(7)) {
                    extra.push(format!(
                        "IDENTITY({},{})",
                        text(r.get(8)).unwrap_or_else(|| "1".into()),
                        text(r.get(9)).unwrap_or_else(|| "1".into())
                    ));
                }
                if flag(r.get(10)) {
                    extra.push(format!("AS {}", text(r.get(11)).unwrap_or_default()));
                }
                if let Some(c) = text(r.get(13)) {
                    extra.push(format!("COLLATE {c}"));
                }
                ColumnInfo {
                    name: text(r.first()).unwrap_or_default(),
                    ordinal: int(r.get(1)).unwrap_or(0) as u32,
                    data_type: ty,
                    nullable: flag(r.get(6)),
                    default: text(r.get(12)),
                    is_primary_key: flag(r.get(14)),
                    is_unique: flag(r.get(15)),
                    extra: (!extra.is_empty()).then(|| extra.join(" ")),
                    comment: text(r.get(16)),
                    choices: None,
                }
            })
            .collect())
    }

    pub async fn indexes(&mut self, t: &TableRef) -> DbResult<Vec<IndexInfo>> {
        let rows = self
            .rows(&format!(
                "SELECT i.name, i.is_unique, i.is_primary_key, i.type_desc, i.filter_definition, i.index_id, COL_NAME(ic.object_id, ic.column_id), ic.is_descending_key, ic.is_included_column, i.is_unique_constraint FROM sys.indexes i JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id WHERE i.object_id = {} AND i.type > 0 ORDER BY i.index_id, ic.is_included_column, ic.key_ordinal, ic.index_column_id",
                object_id(t)
            ))
            .await?;
        let mut out: Vec<(i64, IndexInfo, Vec<String>, bool)> = Vec::new();
        for r in &rows {
            let id = int(r.get(5)).unwrap_or(0);
            if out.last().is_none_or(|(last, ..)| *last != id) {
                out.push((
                    id,
                    IndexInfo {
                        name: text(r.first()).unwrap_or_default(),
                        columns: Vec::new(),
                        is_unique: flag(r.get(1)),
                        is_primary: flag(r.get(2)),
                        method: text(r.get(3)),
                        predicate: text(r.get(4)),
                        definition: None,
                    },
                    Vec::new(),
                    flag(r.get(9)),
                ));
            }
            let Some((_, ix, included, _)) = out.last_mut() else {
                continue;
            };
            let col = text(r.get(6)).unwrap_or_default();
            if flag(r.get(8)) {
                included.push(quote(&col));
            } else if flag(r.get(7)) {
                ix.columns.push(format!("{col} DESC"));
            } else {
                ix.columns.push(col);
            }
        }
        Ok(out
            .into_iter()
            .map(|(_, mut ix, included, constraint)| {
                ix.definition = Some(index_ddl(t, &ix, &included, constraint));
                ix
            })
            .collect())
    }

    pub async fn foreign_keys(
        &mut self,
        t: &TableRef,
        referencing: bool,
    ) -> DbResult<Vec<ForeignKeyInfo>> {
        let side = if referencing {
            "fk.referenced_object_id"
        } else {
            "fk.parent_object_id"
        };
        let rows = self
            .rows(&format!(
                "SELECT fk.name, OBJECT_SCHEMA_NAME(fk.parent_object_id), OBJECT_NAME(fk.parent_object_id), COL_NAME(fkc.parent_object_id, fkc.parent_column_id), OBJECT_SCHEMA_NAME(fk.referenced_object_id), OBJECT_NAME(fk.referenced_object_id), COL_NAME(fkc.referenced_object_id, fkc.referenced_column_id), fk.update_referential_action_desc, fk.delete_referential_action_desc FROM sys.foreign_keys fk JOIN sys.foreign_key_columns fkc ON fkc.constraint_object_id = fk.object_id WHERE {side} = {} ORDER BY fk.name, fkc.constraint_column_id",
                object_id(t)
            ))
            .await?;
        let mut out: Vec<ForeignKeyInfo> = Vec::new();
        for r in &rows {
            let name = text(r.first()).unwrap_or_default();
            if out.last().is_none_or(|f| f.name != name) {
                let action = |v: Option<&Value>| {
                    text(v)
                        .unwrap_or_else(|| "NO_ACTION".into())
                        .replace('_', " ")
                };
                out.push(ForeignKeyInfo {
                    name,
                    schema: text(r.get(1)),
                    table: text(r.get(2)).unwrap_or_default(),
                    columns: Vec::new(),
                    referenced_schema: text(r.get(4)),
                    referenced_table: text(r.get(5)).unwrap_or_default(),
                    referenced_columns: Vec::new(),
                    on_update: action(r.get(7)),
                    on_delete: action(r.get(8)),
                });
            }
            if let Some(f) = out.last_mut() {
                f.columns.push(text(r.get(3)).unwrap_or_default());
                f.referenced_columns
                    .push(text(r.get(6)).unwrap_or_default());
            }
        }
        Ok(out)
    }

    pub async fn triggers(&mut self, t: &TableRef) -> DbResult<Vec<TriggerInfo>> {
        let rows = self
            .rows(&format!(
                "SELECT tr.name, CASE WHEN tr.is_instead_of_trigger = 1 THEN 'INSTEAD OF' ELSE 'AFTER' END, OBJECT_DEFINITION(tr.object_id), tr.is_disabled FROM sys.triggers tr WHERE tr.parent_id = {} ORDER BY tr.name",
                object_id(t)
            ))
            .await?;
        Ok(rows
            .iter()
            .map(|r| TriggerInfo {
                name: text(r.first()).unwrap_or_default(),
                timing: text(r.get(1)).map(|t| {
                    if flag(r.get(3)) {
                        format!("{t} (disabled)")
                    } else {
                        t
                    }
                }),
                definition: text(r.get(2)),
            })
            .collect())
    }

    /// A schema's procedures or functions with their signatures, in SSMS's words:
    /// `(@id int, @name nvarchar(40) OUTPUT)` and, for scalar functions, the return type.
    pub(super) async fn routines(
        &mut self,
        schema: &str,
        procedures: bool,
    ) -> DbResult<Vec<Routine>> {
        let types = if procedures {
            "'P', 'PC'"
        } else {
            "'FN', 'IF', 'TF', 'FS', 'FT'"
        };
        let of_schema = format!(
            "o.schema_id = SCHEMA_ID({}) AND o.type IN ({types})",
            literal(schema)
        );
        let rows = self
            .rows(&format!(
                "SELECT o.name, o.type_desc, o.object_id FROM sys.objects o WHERE {of_schema} ORDER BY o.name"
            ))
            .await?;
        let mut routines: Vec<(i64, Routine)> = rows
            .iter()
            .map(|r| {
                let kind = text(r.get(1))
                    .unwrap_or_default()
                    .to_lowercase()
                    .replace('_', " ");
                let routine = Routine {
                    name: text(r.first()).unwrap_or_default(),
                    kind,
                    parameters: Vec::new(),
                    returns: None,
                };
                (int(r.get(2)).unwrap_or(0), routine)
            })
            .collect();
        // sys.all_parameters, which Babelfish has (it has no sys.parameters); a server that
        // refuses it still lists the names.
        let Ok(params) = self
            .rows(&format!(
                "SELECT p.object_id, p.parameter_id, p.name, TYPE_NAME(p.user_type_id), p.max_length, p.precision, p.scale, p.is_output FROM sys.all_parameters p JOIN sys.objects o ON o.object_id = p.object_id WHERE {of_schema} ORDER BY p.object_id, p.parameter_id"
            ))
            .await
        else {
            return Ok(routines.into_iter().map(|(_, r)| r).collect());
        };
        let by_id: std::collections::HashMap<i64, usize> = routines
            .iter()
            .enumerate()
            .map(|(at, (id, _))| (*id, at))
            .collect();
        for p in &params {
            if let Some(&at) = int(p.first()).and_then(|id| by_id.get(&id)) {
                add_parameter(&mut routines[at].1, p);
            }
        }
        Ok(routines.into_iter().map(|(_, r)| r).collect())
    }

    pub async fn describe(&mut self, t: &TableRef) -> DbResult<TableDescription> {
        let columns = self.columns(t).await?;
        let schema = t.schema.clone().unwrap_or_else(|| "dbo".into());
        let table = self
            .tables(&schema, None)
            .await?
            .into_iter()
            .find(|x| x.name == t.name)
            .ok_or_else(|| DbError::not_found(format!("no table {}", qualified(t))))?;
        let indexes = self.indexes(t).await?;
        let primary_key = indexes.iter().find(|i| i.is_primary).map(|i| PrimaryKey {
            name: Some(i.name.clone()),
            columns: i.columns.clone(),
        });
        Ok(TableDescription {
            row_id: None,
            table,
            columns,
            primary_key,
            foreign_keys: self.foreign_keys(t, false).await?,
            referenced_by: self.foreign_keys(t, true).await?,
            triggers: self.triggers(t).await?,
            indexes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_for_t_sql() {
        assert_eq!(quote("my]table"), "[my]]table]");
        assert_eq!(literal("it's"), "N'it''s'");
        let t = TableRef {
            database: None,
            schema: Some("s p".into()),
            name: "select".into(),
        };
        assert_eq!(qualified(&t), "[s p].[select]");
        assert_eq!(object_id(&t), "OBJECT_ID(N'[s p].[select]')");
        assert_eq!(type_text("nvarchar", -1, 0, 0), "nvarchar(max)");
        assert_eq!(type_text("nchar", 20, 0, 0), "nchar(10)");
        assert_eq!(type_text("decimal", 9, 10, 2), "decimal(10,2)");
        assert_eq!(type_text("datetime2", 8, 27, 7), "datetime2(7)");
        assert_eq!(type_text("int", 4, 10, 0), "int");
    }
}
