//! What the tree shows: databases (size), collections, views and time-series collections
//! (estimated count, size), indexes (keys and options), and the fields of `fields.rs`.
//! Every call is one command (plus collection stats, which are fetched concurrently and
//! only for databases of a few hundred collections).

use std::time::Duration;

use dbhive_core::{
    DatabaseInfo, DbError, DbResult, ErrorKind, FolderKind, IndexInfo, NodeKind, SchemaNode,
    TableInfo, TableKind, TableRef,
};
use futures_util::StreamExt;
use mongodb::bson::{Bson, Document, doc};
use mongodb::{Client, Database};

use super::errors;
use super::fields::{FIELD_SAMPLE, sample};

/// Collection stats are fetched for databases with at most this many collections; beyond
/// it the tree stays fast and the counts are left out (a stats command per collection).
const STATS_LIMIT: usize = 300;
/// Each catalog command may take this long.
pub const CATALOG_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) async fn bounded<T>(
    what: &str,
    f: impl std::future::IntoFuture<Output = Result<T, mongodb::error::Error>>,
) -> DbResult<T> {
    match tokio::time::timeout(CATALOG_TIMEOUT, f.into_future()).await {
        Ok(r) => r.map_err(errors::map),
        Err(_) => Err(DbError::timeout(format!(
            "{what} took longer than {} s",
            CATALOG_TIMEOUT.as_secs()
        ))),
    }
}

fn int(v: Option<&Bson>) -> Option<i64> {
    match v? {
        Bson::Int32(n) => Some(i64::from(*n)),
        Bson::Int64(n) => Some(*n),
        Bson::Double(f) => Some(*f as i64),
        _ => None,
    }
}

/// How long the databases' sizes may take before the tree shows the names alone.
const SIZES_WAIT: Duration = Duration::from_secs(5);

/// The databases with their sizes. Measuring them is cheap in mongod, but a server may
/// have to scan for it (the test server takes 15 s for a database of a million documents,
/// 20 ms by name): past SIZES_WAIT the list is asked for again by name only, so opening
/// the tree never waits on the data's weight.
pub(crate) async fn databases(
    client: &Client,
    current: Option<&str>,
) -> DbResult<Vec<DatabaseInfo>> {
    let admin = client.database("admin");
    let sized = tokio::time::timeout(
        SIZES_WAIT,
        admin.run_command(doc! { "listDatabases": 1, "authorizedDatabases": true }),
    )
    .await;
    let reply = match sized {
        Ok(r) => r.map_err(errors::map)?,
        Err(_) => {
            bounded(
                "listing databases",
                admin.run_command(
                    doc! { "listDatabases": 1, "nameOnly": true, "authorizedDatabases": true },
                ),
            )
            .await?
        }
    };
    let mut out: Vec<DatabaseInfo> = reply
        .get_array("databases")
        .map(|a| a.iter().filter_map(|d| d.as_document()).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|d| {
            let name = d.get_str("name").unwrap_or_default().to_string();
            DatabaseInfo {
                is_current: current == Some(name.as_str()),
                size_bytes: int(d.get("sizeOnDisk")),
                name,
                comment: None,
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// A collection as listCollections describes it.
#[derive(Clone, Debug)]
pub(crate) struct CollectionEntry {
    pub name: String,
    /// collection, view or timeseries.
    pub kind: String,
    pub options: Document,
}

pub(crate) async fn collections(db: &Database) -> DbResult<Vec<CollectionEntry>> {
    let mut cursor = bounded(
        "listing collections",
        db.run_cursor_command(
            doc! { "listCollections": 1, "authorizedCollections": true, "nameOnly": false },
        ),
    )
    .await?;
    let mut out = Vec::new();
    while bounded("listing collections", cursor.advance()).await? {
        let d: Document = cursor.deserialize_current().map_err(errors::map)?;
        out.push(CollectionEntry {
            name: d.get_str("name").unwrap_or_default().to_string(),
            kind: d.get_str("type").unwrap_or("collection").to_string(),
            options: d.get_document("options").cloned().unwrap_or_default(),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

async fn stats(db: &Database, name: &str) -> (Option<i64>, Option<i64>) {
    match tokio::time::timeout(
        Duration::from_secs(10),
        db.run_command(doc! { "collStats": name }),
    )
    .await
    {
        Ok(Ok(d)) => (
            int(d.get("count")),
            int(d.get("storageSize")).or(int(d.get("size"))),
        ),
        _ => (None, None),
    }
}

/// Collections (or views, or both) of `db`. `measured` adds each one's count and size,
/// which the tree shows; completion asks without, since a server that scans for collStats
/// (the test server takes seconds on 60,000 documents) would hold the popup back.
pub(crate) async fn tables(
    db: &Database,
    views: Option<bool>,
    measured: bool,
) -> DbResult<Vec<TableInfo>> {
    let entries: Vec<CollectionEntry> = collections(db)
        .await?
        .into_iter()
        .filter(|c| match views {
            Some(true) => c.kind == "view",
            Some(false) => c.kind != "view",
            None => true,
        })
        .collect();
    let with_stats = measured && entries.len() <= STATS_LIMIT;
    let infos = futures_util::stream::iter(entries.into_iter().map(|c| async move {
        let (count, size) = if with_stats && c.kind != "view" {
            stats(db, &c.name).await
        } else {
            (None, None)
        };
        TableInfo {
            schema: None,
            kind: if c.kind == "view" {
                TableKind::View
            } else {
                TableKind::Collection
            },
            row_estimate: count,
            size_bytes: size,
            comment: match c.kind.as_str() {
                "timeseries" => Some("time-series".into()),
                "view" => c
                    .options
                    .get_str("viewOn")
                    .ok()
                    .map(|on| format!("on {on}")),
                _ if c.options.get_bool("capped").unwrap_or(false) => Some("capped".into()),
                _ => None,
            },
            engine: None,
            name: c.name,
        }
    }))
    .buffered(8)
    .collect::<Vec<_>>()
    .await;
    Ok(infos)
}

pub(crate) async fn indexes(db: &Database, coll: &str) -> DbResult<Vec<Document>> {
    let mut cursor = bounded(
        "listing indexes",
        db.run_cursor_command(doc! { "listIndexes": coll }),
    )
    .await?;
    let mut out = Vec::new();
    while bounded("listing indexes", cursor.advance()).await? {
        out.push(cursor.deserialize_current().map_err(errors::map)?);
    }
    Ok(out)
}

fn key_text(keys: &Document) -> Vec<String> {
    keys.iter()
        .map(|(k, v)| match v {
            Bson::Int32(1) | Bson::Int64(1) => k.clone(),
            Bson::Double(f) if *f == 1.0 => k.clone(),
            Bson::Int32(-1) | Bson::Int64(-1) => format!("{k} desc"),
            Bson::Double(f) if *f == -1.0 => format!("{k} desc"),
            Bson::String(s) => format!("{k} {s}"),
            other => format!("{k} {other}"),
        })
        .collect()
}

pub(crate) fn index_info(ix: &Document) -> IndexInfo {
    let keys = ix.get_document("key").cloned().unwrap_or_default();
    let method = keys.values().find_map(|v| match v {
        Bson::String(s) => Some(s.clone()),
        _ => None,
    });
    let mut flags = Vec::new();
    if ix.get_bool("sparse").unwrap_or(false) {
        flags.push("sparse".to_string());
    }
    if let Some(ttl) = int(ix.get("expireAfterSeconds")) {
        flags.push(format!("TTL {ttl} s"));
    }
    if ix.get_bool("hidden").unwrap_or(false) {
        flags.push("hidden".into());
    }
    let predicate = ix
        .get_document("partialFilterExpression")
        .ok()
        .map(|p| Bson::Document(p.clone()).into_relaxed_extjson().to_string());
    let name = ix.get_str("name").unwrap_or_default().to_string();
    IndexInfo {
        is_primary: name == "_id_",
        is_unique: ix.get_bool("unique").unwrap_or(false) || name == "_id_",
        columns: key_text(&keys),
        method: match (method, flags.is_empty()) {
            (Some(m), true) => Some(m),
            (Some(m), false) => Some(format!("{m}, {}", flags.join(", "))),
            (None, false) => Some(flags.join(", ")),
            (None, true) => None,
        },
        predicate,
        definition: Some(
            Bson::Document(ix.clone())
                .into_relaxed_extjson()
                .to_string(),
        ),
        name,
    }
}

fn table_ref(db: &str, name: &str) -> TableRef {
    TableRef {
        database: Some(db.to_string()),
        schema: None,
        name: name.to_string(),
    }
}
/// One level of the tree. Paths: [db], [db, folder], [db, folder, coll],
/// [db, folder, coll, "fields" | "indexes", field path parts...].
pub(crate) async fn list_children(
    client: &Client,
    current: Option<&str>,
    path: &[String],
) -> DbResult<Vec<SchemaNode>> {
    match path {
        [] => Ok(databases(client, current)
            .await?
            .into_iter()
            .map(|d| {
                let mut n = SchemaNode::new(NodeKind::Database, d.name, path);
                n.size_bytes = d.size_bytes;
                if d.is_current {
                    n.detail = Some("current".into());
                }
                n
            })
            .collect()),
        [db] => {
            let entries = collections(&client.database(db)).await?;
            let views = entries.iter().filter(|c| c.kind == "view").count() as i64;
            Ok(vec![
                SchemaNode::folder(
                    FolderKind::Collections,
                    path,
                    Some(entries.len() as i64 - views),
                ),
                SchemaNode::folder(FolderKind::Views, path, Some(views)),
            ])
        }
        [db, folder] => {
            let views = match FolderKind::from_key(folder) {
                Some(FolderKind::Collections) => false,
                Some(FolderKind::Views) => true,
                _ => return Err(unknown_path(path)),
            };
            Ok(tables(&client.database(db), Some(views), true)
                .await?
                .iter()
                .map(|t| {
                    let mut n = SchemaNode::for_table(t, path, Some(db));
                    n.table = Some(table_ref(db, &t.name));
                    n.detail = t.comment.clone();
                    n.comment = None;
                    n
                })
                .collect())
        }
        [_, folder, _] => {
            let mut out = vec![SchemaNode::folder(FolderKind::Fields, path, None)];
            if FolderKind::from_key(folder) == Some(FolderKind::Collections) {
                out.push(SchemaNode::folder(FolderKind::Indexes, path, None));
            }
            Ok(out)
        }
        [db, _, coll, kind, rest @ ..] => match FolderKind::from_key(kind) {
            Some(FolderKind::Indexes) if rest.is_empty() => Ok(indexes(&client.database(db), coll)
                .await?
                .iter()
                .map(|ix| {
                    let info = index_info(ix);
                    let mut n = SchemaNode::for_index(&info, path);
                    // Sparse, TTL, hidden, text/hashed/2dsphere: what changes how it is used.
                    if let (Some(d), Some(m)) = (n.detail.as_mut(), info.method.as_deref()) {
                        d.push(' ');
                        d.push_str(m);
                    }
                    n.comment = info.predicate.map(|p| format!("partial: {p}"));
                    n
                })
                .collect()),
            Some(FolderKind::Fields) => {
                let sample = sample(&client.database(db), coll, FIELD_SAMPLE).await?;
                let parent = rest.join(".");
                Ok(sample
                    .children(&parent)
                    .into_iter()
                    .map(|p| {
                        let name = p.rsplit('.').next().unwrap_or(p);
                        let mut n = SchemaNode::new(NodeKind::Column, name, path);
                        let (types, share) = sample.describe(p).unwrap_or_default();
                        n.detail = Some(types);
                        n.comment = Some(share);
                        n.expandable = sample.has_children(p);
                        n
                    })
                    .collect())
            }
            _ => Err(unknown_path(path)),
        },
    }
}

fn unknown_path(path: &[String]) -> DbError {
    DbError::new(
        ErrorKind::NotFound,
        format!("no such tree node: {}", path.join(" / ")),
    )
}
