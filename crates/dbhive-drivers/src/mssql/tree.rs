//! The SQL Server schema tree: database > schema > folder > object > part, each level one
//! catalog batch (the folders under a table cost nothing).

use dbhive_core::schema::{table_folders, unknown_path};
use dbhive_core::{DbResult, FolderKind, NodeKind, SchemaNode, TableRef};

use super::catalog::Catalog;

impl Catalog {
    pub async fn list_children(&mut self, path: &[String]) -> DbResult<Vec<SchemaNode>> {
        match path {
            [] => Ok(self
                .databases()
                .await?
                .into_iter()
                .map(|d| {
                    let mut n = SchemaNode::new(NodeKind::Database, d.name, path);
                    n.size_bytes = d.size_bytes;
                    n.detail = if d.is_current {
                        Some("current".into())
                    } else {
                        d.comment
                    };
                    n
                })
                .collect()),
            [_db] => Ok(self
                .schemas()
                .await?
                .into_iter()
                .map(|s| {
                    let mut n = SchemaNode::new(NodeKind::Schema, s.name, path);
                    n.detail = if s.is_system {
                        Some("system".into())
                    } else {
                        s.owner
                    };
                    n
                })
                .collect()),
            [_db, schema] => {
                let c = self.counts(schema).await?;
                Ok(vec![
                    SchemaNode::folder(FolderKind::Tables, path, Some(c.tables)),
                    SchemaNode::folder(FolderKind::Views, path, Some(c.views)),
                    SchemaNode::folder(FolderKind::Procedures, path, Some(c.procedures)),
                    SchemaNode::folder(FolderKind::Functions, path, Some(c.functions)),
                ])
            }
            [db, schema, folder] => match FolderKind::from_key(folder) {
                Some(f @ (FolderKind::Tables | FolderKind::Views)) => Ok(self
                    .tables(schema, Some(f == FolderKind::Views))
                    .await?
                    .iter()
                    .map(|t| SchemaNode::for_table(t, path, Some(db)))
                    .collect()),
                Some(f @ (FolderKind::Procedures | FolderKind::Functions)) => {
                    let procedures = f == FolderKind::Procedures;
                    Ok(self
                        .routines(schema, procedures)
                        .await?
                        .into_iter()
                        .map(|r| {
                            let node = if procedures {
                                NodeKind::Procedure
                            } else {
                                NodeKind::Function
                            };
                            let mut n = SchemaNode::new(node, r.signature(), path);
                            n.detail = Some(match &r.returns {
                                Some(t) => format!("→ {t}"),
                                None => r.kind.clone(),
                            });
                            n.table = Some(TableRef {
                                database: Some(db.clone()),
                                schema: Some(schema.clone()),
                                name: r.name,
                            });
                            n
                        })
                        .collect())
                }
                _ => Err(unknown_path(path)),
            },
            [db, schema, folder, name] => {
                let table = TableRef {
                    database: Some(db.clone()),
                    schema: Some(schema.clone()),
                    name: name.clone(),
                };
                let folders = match FolderKind::from_key(folder) {
                    Some(FolderKind::Tables) => table_folders(path),
                    Some(FolderKind::Views) => Vec::new(),
                    _ => return Err(unknown_path(path)),
                };
                let mut out: Vec<SchemaNode> = self
                    .columns(&table)
                    .await?
                    .iter()
                    .map(|c| SchemaNode::for_column(c, path))
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
                match FolderKind::from_key(part) {
                    Some(FolderKind::Indexes) => Ok(self
                        .indexes(&table)
                        .await?
                        .iter()
                        .map(|i| {
                            let mut n = SchemaNode::for_index(i, path);
                            if let (Some(d), Some(m)) = (&mut n.detail, &i.method) {
                                d.push_str(&format!(" {}", m.to_lowercase()));
                            }
                            n
                        })
                        .collect()),
                    Some(FolderKind::ForeignKeys) => Ok(self
                        .foreign_keys(&table, false)
                        .await?
                        .iter()
                        .map(|f| SchemaNode::for_foreign_key(f, path))
                        .collect()),
                    Some(FolderKind::Triggers) => Ok(self
                        .triggers(&table)
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
}
