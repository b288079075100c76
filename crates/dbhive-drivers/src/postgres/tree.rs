//! The PostgreSQL schema tree: database > schema > folder > object > folder > part.
//! Each expansion is one catalog query (folders under a table cost nothing).

use dbhive_core::schema::{table_folders, unknown_path};
use dbhive_core::{DbResult, FolderKind, NodeKind, SchemaNode, TableRef};

use super::PgConnection;
use super::catalog;

pub async fn list_children(conn: &PgConnection, path: &[String]) -> DbResult<Vec<SchemaNode>> {
    match path {
        [] => Ok(conn
            .databases_impl()
            .await?
            .into_iter()
            .map(|d| {
                let mut n = SchemaNode::new(NodeKind::Database, d.name, path);
                n.size_bytes = d.size_bytes;
                n.comment = d.comment;
                if d.is_current {
                    n.detail = Some("current".into());
                }
                n
            })
            .collect()),
        [db] => {
            let mut c = conn.catalog(Some(db)).await?;
            Ok(catalog::schemas(&mut c)
                .await?
                .into_iter()
                .map(|s| {
                    let mut n = SchemaNode::new(NodeKind::Schema, s.name, path);
                    n.comment = s.comment;
                    n.detail = if s.is_system {
                        Some("system".into())
                    } else {
                        s.owner
                    };
                    n
                })
                .collect())
        }
        [db, schema] => {
            let mut c = conn.catalog(Some(db)).await?;
            let counts = catalog::schema_counts(&mut c, schema).await?;
            let mut out = vec![
                SchemaNode::folder(FolderKind::Tables, path, Some(counts.tables)),
                SchemaNode::folder(FolderKind::Views, path, Some(counts.views)),
            ];
            for (folder, count) in [
                (FolderKind::MaterializedViews, counts.materialized_views),
                (FolderKind::ForeignTables, counts.foreign_tables),
            ] {
                if count > 0 {
                    out.push(SchemaNode::folder(folder, path, Some(count)));
                }
            }
            out.push(SchemaNode::folder(
                FolderKind::Functions,
                path,
                Some(counts.functions),
            ));
            for (folder, count) in [
                (FolderKind::Procedures, counts.procedures),
                (FolderKind::Sequences, counts.sequences),
            ] {
                if count > 0 {
                    out.push(SchemaNode::folder(folder, path, Some(count)));
                }
            }
            Ok(out)
        }
        [db, schema, folder] => {
            let mut c = conn.catalog(Some(db)).await?;
            let kinds = match FolderKind::from_key(folder) {
                Some(FolderKind::Tables) => "rp",
                Some(FolderKind::Views) => "v",
                Some(FolderKind::MaterializedViews) => "m",
                Some(FolderKind::ForeignTables) => "f",
                Some(f @ (FolderKind::Functions | FolderKind::Procedures)) => {
                    let procedures = f == FolderKind::Procedures;
                    return Ok(catalog::routines(&mut c, schema, procedures)
                        .await?
                        .into_iter()
                        .map(|r| {
                            let kind = if procedures {
                                NodeKind::Procedure
                            } else {
                                NodeKind::Function
                            };
                            let mut n =
                                SchemaNode::new(kind, format!("{}({})", r.name, r.arguments), path);
                            n.detail = r.result.map(|t| format!("→ {t}"));
                            n.comment = r.comment;
                            n
                        })
                        .collect());
                }
                Some(FolderKind::Sequences) => {
                    return Ok(catalog::sequences(&mut c, schema)
                        .await?
                        .into_iter()
                        .map(|(name, comment)| {
                            let mut n = SchemaNode::new(NodeKind::Sequence, name.clone(), path);
                            // A relation like a table: its DDL and `SELECT * FROM` it work.
                            n.table = Some(TableRef {
                                database: Some(db.clone()),
                                schema: Some(schema.clone()),
                                name,
                            });
                            n.comment = comment;
                            n
                        })
                        .collect());
                }
                _ => return Err(unknown_path(path)),
            };
            Ok(catalog::tables(&mut c, schema, kinds)
                .await?
                .iter()
                .map(|t| SchemaNode::for_table(t, path, Some(db)))
                .collect())
        }
        [db, schema, folder, name] => {
            let table = TableRef {
                database: Some(db.clone()),
                schema: Some(schema.clone()),
                name: name.clone(),
            };
            let folders = match FolderKind::from_key(folder) {
                Some(FolderKind::Tables | FolderKind::ForeignTables | FolderKind::Views) => {
                    table_folders(path)
                }
                Some(FolderKind::MaterializedViews) => {
                    vec![SchemaNode::folder(FolderKind::Indexes, path, None)]
                }
                _ => return Err(unknown_path(path)),
            };
            let mut c = conn.catalog(Some(db)).await?;
            let columns = catalog::columns(&mut c, &table).await?;
            if columns.is_empty() {
                // A table without columns exists; a missing one is an error.
                catalog::table(&mut c, &table).await?;
            }
            let mut out: Vec<SchemaNode> = columns
                .iter()
                .map(|col| SchemaNode::for_column(col, path))
                .collect();
            out.extend(folders);
            Ok(out)
        }
        [db, schema, _, name, part] => {
            let table = TableRef {
                database: Some(db.clone()),
                schema: Some(schema.clone()),
                name: name.clone(),
            };
            let mut c = conn.catalog(Some(db)).await?;
            match FolderKind::from_key(part) {
                Some(FolderKind::Indexes) => Ok(catalog::indexes(&mut c, &table)
                    .await?
                    .iter()
                    .map(|i| SchemaNode::for_index(i, path))
                    .collect()),
                Some(FolderKind::ForeignKeys) => Ok(catalog::foreign_keys(&mut c, &table, false)
                    .await?
                    .iter()
                    .map(|f| SchemaNode::for_foreign_key(f, path))
                    .collect()),
                Some(FolderKind::Triggers) => Ok(catalog::triggers(&mut c, &table)
                    .await?
                    .iter()
                    .map(|t| SchemaNode::for_trigger(t, path))
                    .collect()),
                _ => Err(unknown_path(path)),
            }
        }
        _ => Err(unknown_path(path)),
    }
}
