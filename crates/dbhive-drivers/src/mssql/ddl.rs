//! SQL Server has no SHOW CREATE: a table's script is written from the catalog (columns,
//! defaults, identity, computed columns, checks, keys, indexes, foreign keys); views,
//! procedures, functions and triggers are their OBJECT_DEFINITION.

use dbhive_core::{ColumnInfo, DbError, DbResult, IndexInfo, TableRef};

use super::catalog::*;

impl Catalog {
    /// The script that recreates a table: CREATE TABLE with its columns, keys and checks,
    /// then its other indexes and foreign keys. Views, procedures, functions and triggers
    /// are their own definition (OBJECT_DEFINITION).
    pub async fn ddl(&mut self, t: &TableRef) -> DbResult<String> {
        let local = TableRef {
            database: None,
            ..t.clone()
        };
        let rows = self
            .rows(&format!(
                "SELECT o.type, OBJECT_DEFINITION(o.object_id) FROM sys.objects o WHERE o.object_id = {}",
                object_id(t)
            ))
            .await?;
        let Some(row) = rows.first() else {
            return Err(DbError::not_found(format!(
                "no object {}",
                qualified(&local)
            )));
        };
        if text(row.first()).is_some_and(|ty| ty.trim() != "U") {
            let def = text(row.get(1)).unwrap_or_default();
            return Ok(format!("{}\nGO\n", def.trim_end()));
        }
        let columns = self.columns(t).await?;
        let indexes = self.indexes(t).await?;
        let fks = self.foreign_keys(t, false).await?;
        let mut out = format!("CREATE TABLE {} (\n", qualified(&local));
        let mut lines: Vec<String> = columns.iter().map(column_ddl).collect();
        for (name, definition) in self.checks(t).await? {
            lines.push(format!(
                "    CONSTRAINT {} CHECK {definition}",
                quote(&name)
            ));
        }
        for ix in indexes.iter().filter(|i| i.is_primary) {
            lines.push(format!(
                "    CONSTRAINT {} PRIMARY KEY {}({})",
                quote(&ix.name),
                ix.method.as_deref().unwrap_or("CLUSTERED"),
                key_list(&ix.columns)
            ));
        }
        out.push_str(&lines.join(",\n"));
        out.push_str("\n);\n");
        for ix in indexes.iter().filter(|i| !i.is_primary) {
            if let Some(d) = &ix.definition {
                out.push_str(d);
                out.push_str(";\n");
            }
        }
        for f in &fks {
            out.push_str(&format!(
                "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {}.{} ({}) ON UPDATE {} ON DELETE {};\n",
                qualified(&local),
                quote(&f.name),
                f.columns.iter().map(|c| quote(c)).collect::<Vec<_>>().join(", "),
                quote(f.referenced_schema.as_deref().unwrap_or("dbo")),
                quote(&f.referenced_table),
                f.referenced_columns.iter().map(|c| quote(c)).collect::<Vec<_>>().join(", "),
                f.on_update,
                f.on_delete
            ));
        }
        Ok(out)
    }

    async fn checks(&mut self, t: &TableRef) -> DbResult<Vec<(String, String)>> {
        let rows = self
            .rows(&format!(
                "SELECT name, definition FROM sys.check_constraints WHERE parent_object_id = {} ORDER BY name",
                object_id(t)
            ))
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    text(r.first()).unwrap_or_default(),
                    text(r.get(1)).unwrap_or_default(),
                )
            })
            .collect())
    }
}

/// Key columns as `[a], [b] DESC`.
fn key_list(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| match c.strip_suffix(" DESC") {
            Some(name) => format!("{} DESC", quote(name)),
            None => quote(c),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn index_ddl(
    t: &TableRef,
    ix: &IndexInfo,
    included: &[String],
    constraint: bool,
) -> String {
    let local = TableRef {
        database: None,
        ..t.clone()
    };
    let kind = ix.method.as_deref().unwrap_or("NONCLUSTERED");
    if constraint {
        return format!(
            "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE {kind} ({})",
            qualified(&local),
            quote(&ix.name),
            key_list(&ix.columns)
        );
    }
    let mut s = format!(
        "CREATE {}{kind} INDEX {} ON {} ({})",
        if ix.is_unique { "UNIQUE " } else { "" },
        quote(&ix.name),
        qualified(&local),
        key_list(&ix.columns)
    );
    if !included.is_empty() {
        s.push_str(&format!(" INCLUDE ({})", included.join(", ")));
    }
    if let Some(p) = &ix.predicate {
        s.push_str(&format!(" WHERE {p}"));
    }
    s
}

fn column_ddl(c: &ColumnInfo) -> String {
    let extra = c.extra.as_deref().unwrap_or("");
    // A computed column is its expression alone.
    if let Some(i) = extra.find("AS ") {
        return format!("    {} {}", quote(&c.name), &extra[i..]);
    }
    let mut s = format!("    {} {}", quote(&c.name), c.data_type);
    if let Some(collate) = extra.find("COLLATE ") {
        s.push(' ');
        s.push_str(&extra[collate..]);
    }
    if let Some(i) = extra.find("IDENTITY(") {
        let end = extra[i..]
            .find(')')
            .map(|e| i + e + 1)
            .unwrap_or(extra.len());
        s.push(' ');
        s.push_str(&extra[i..end]);
    }
    s.push_str(if c.nullable { " NULL" } else { " NOT NULL" });
    if let Some(d) = &c.default {
        s.push_str(&format!(" DEFAULT {d}"));
    }
    s
}
