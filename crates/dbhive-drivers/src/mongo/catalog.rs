//! What the tree shows: databases (size), collections, views and time-series collections
//! (estimated count, size), indexes (keys and options), and fields inferred from a
//! `$sample` of the documents, each with its types and how often it occurs, as Compass's
//! schema view does. Every call is one command (plus collection stats, which are fetched
//! concurrently and only for databases of a few hundred collections).

use std::collections::BTreeMap;
use std::time::Duration;

use dbhive_core::{
    ColumnInfo, DatabaseInfo, DbError, DbResult, ErrorKind, FolderKind, IndexInfo, NodeKind,
    SchemaNode, TableInfo, TableKind, TableRef,
};
use futures_util::StreamExt;
use mongodb::bson::{Bson, Document, RawBsonRef, RawDocument, doc};
use mongodb::{Client, Database};

use super::cells::type_name;
use super::ejson;
use super::errors;

/// Documents `$sample` reads to infer fields.
pub const FIELD_SAMPLE: i64 = 1000;
/// Collection stats are fetched for databases with at most this many collections; beyond
/// it the tree stays fast and the counts are left out (a stats command per collection).
const STATS_LIMIT: usize = 300;
/// Bounds of field inference, whatever the documents hold.
const MAX_FIELD_PATHS: usize = 5000;
const MAX_FIELD_DEPTH: usize = 20;
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

pub(crate) async fn tables(db: &Database, views: Option<bool>) -> DbResult<Vec<TableInfo>> {
    let entries: Vec<CollectionEntry> = collections(db)
        .await?
        .into_iter()
        .filter(|c| match views {
            Some(true) => c.kind == "view",
            Some(false) => c.kind != "view",
            None => true,
        })
        .collect();
    let with_stats = entries.len() <= STATS_LIMIT;
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

/// One field path of a sample: how many documents hold it, and with which types.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldStat {
    pub count: u64,
    pub types: BTreeMap<String, u64>,
}

/// Fields of a sample of documents by dotted path; paths inside arrays of documents go
/// through the array (`items.sku`), as Compass shows them.
#[derive(Clone, Debug, Default)]
pub struct FieldSample {
    pub documents: u64,
    pub fields: BTreeMap<String, FieldStat>,
    /// Paths were left out past the bound.
    pub truncated: bool,
}

impl FieldSample {
    pub fn add(&mut self, doc: &RawDocument) {
        self.documents += 1;
        self.walk(doc, "", 0);
    }

    fn walk(&mut self, doc: &RawDocument, prefix: &str, depth: usize) {
        // A path counts once per document even when an array holds it many times.
        let mut seen_here = std::collections::BTreeSet::new();
        self.walk_inner(doc, prefix, depth, &mut seen_here);
    }

    fn walk_inner(
        &mut self,
        doc: &RawDocument,
        prefix: &str,
        depth: usize,
        seen: &mut std::collections::BTreeSet<String>,
    ) {
        if depth > MAX_FIELD_DEPTH {
            return;
        }
        for (key, value) in doc.into_iter().flatten() {
            let path = if prefix.is_empty() {
                key.to_string()
            } else {
                format!("{prefix}.{key}")
            };
            self.record(&path, &value, seen);
            match value {
                RawBsonRef::Document(sub) => self.walk_inner(sub, &path, depth + 1, seen),
                RawBsonRef::Array(items) => {
                    for item in items.into_iter().flatten() {
                        if let RawBsonRef::Document(sub) = item {
                            self.walk_inner(sub, &path, depth + 1, seen);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn record(
        &mut self,
        path: &str,
        value: &RawBsonRef<'_>,
        seen: &mut std::collections::BTreeSet<String>,
    ) {
        if !self.fields.contains_key(path) && self.fields.len() >= MAX_FIELD_PATHS {
            self.truncated = true;
            return;
        }
        let stat = self.fields.entry(path.to_string()).or_default();
        let kind = type_name(value).to_string();
        if seen.insert(path.to_string()) {
            stat.count += 1;
        }
        *stat.types.entry(kind).or_default() += 1;
    }

    /// "string 98%, null 2%" and "in 80% of documents" for a path.
    pub fn describe(&self, path: &str) -> Option<(String, String)> {
        let stat = self.fields.get(path)?;
        let total: u64 = stat.types.values().sum();
        let mut types: Vec<(&String, &u64)> = stat.types.iter().collect();
        types.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let types = types
            .iter()
            .map(|(t, n)| {
                if types.len() == 1 {
                    (*t).clone()
                } else {
                    format!("{t} {}%", percent(**n, total))
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        Some((
            types,
            format!(
                "in {}% of {} sampled documents",
                percent(stat.count, self.documents),
                self.documents
            ),
        ))
    }

    /// The direct children of `parent` ("" for the top level), in name order.
    pub fn children(&self, parent: &str) -> Vec<&str> {
        self.fields
            .keys()
            .filter(|p| match parent {
                "" => !p.contains('.'),
                _ => p
                    .strip_prefix(parent)
                    .and_then(|r| r.strip_prefix('.'))
                    .is_some_and(|r| !r.contains('.')),
            })
            .map(String::as_str)
            .collect()
    }

    pub fn has_children(&self, path: &str) -> bool {
        let prefix = format!("{path}.");
        self.fields
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&prefix))
    }
}

fn percent(n: u64, total: u64) -> u64 {
    (n * 100 + total / 2).checked_div(total).unwrap_or(0)
}

pub(crate) async fn sample(db: &Database, coll: &str, size: i64) -> DbResult<FieldSample> {
    let cmd =
        doc! { "aggregate": coll, "pipeline": [ { "$sample": { "size": size } } ], "cursor": {} };
    let mut cursor = bounded("sampling documents", db.run_cursor_command(cmd)).await?;
    let mut out = FieldSample::default();
    while bounded("sampling documents", cursor.advance()).await? {
        out.add(cursor.current());
    }
    Ok(out)
}

pub(crate) fn columns_from_sample(sample: &FieldSample) -> Vec<ColumnInfo> {
    sample
        .children("")
        .into_iter()
        .enumerate()
        .map(|(i, path)| {
            let stat = &sample.fields[path];
            let (types, extra) = sample.describe(path).unwrap_or_default();
            ColumnInfo {
                name: path.to_string(),
                ordinal: i as u32 + 1,
                data_type: types,
                nullable: stat.count < sample.documents || stat.types.contains_key("null"),
                default: None,
                is_primary_key: path == "_id",
                is_unique: path == "_id",
                extra: Some(extra),
                comment: None,
            }
        })
        .collect()
}

fn table_ref(db: &str, name: &str) -> TableRef {
    TableRef {
        database: Some(db.to_string()),
        schema: None,
        name: name.to_string(),
    }
}

/// The shell that recreates a collection: createCollection with its options (validator,
/// capped, time-series, collation...) and createIndex for each index but `_id_`.
pub(crate) async fn ddl(db: &Database, coll: &str) -> DbResult<String> {
    let entries = collections(db).await?;
    let entry = entries
        .into_iter()
        .find(|c| c.name == coll)
        .ok_or_else(|| {
            DbError::not_found(format!("no collection {coll} in database {}", db.name()))
        })?;
    let quoted = |s: &str| {
        let mut q = String::new();
        ejson::write_string(s, &mut q);
        q
    };
    let mut options = entry.options.clone();
    options.remove("uuid");
    let mut out = format!(
        "db.getSiblingDB({}).createCollection({}",
        quoted(db.name()),
        quoted(coll)
    );
    if !options.is_empty() {
        out.push_str(", ");
        out.push_str(&shell_literal(&Bson::Document(options)));
    }
    out.push_str(");\n");
    if entry.kind != "view" {
        for ix in indexes(db, coll).await? {
            let name = ix.get_str("name").unwrap_or_default();
            if name == "_id_" {
                continue;
            }
            let keys = ix.get_document("key").cloned().unwrap_or_default();
            let mut opts = ix.clone();
            for k in ["v", "key", "ns"] {
                opts.remove(k);
            }
            out.push_str(&format!(
                "db.getSiblingDB({}).getCollection({}).createIndex({}, {});\n",
                quoted(db.name()),
                quoted(coll),
                shell_literal(&Bson::Document(keys)),
                shell_literal(&Bson::Document(opts))
            ));
        }
    }
    Ok(out)
}

/// A value in the syntax DB-Hive's shell reads back: relaxed JSON with the types spelled by
/// their constructors where JSON would lose them.
pub fn shell_literal(v: &Bson) -> String {
    match v {
        Bson::Document(d) => {
            let fields: Vec<String> = d
                .iter()
                .map(|(k, v)| {
                    let mut key = String::new();
                    ejson::write_string(k, &mut key);
                    format!("{key}: {}", shell_literal(v))
                })
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        Bson::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(shell_literal)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Bson::String(s) => {
            let mut q = String::new();
            ejson::write_string(s, &mut q);
            q
        }
        Bson::Int32(n) => n.to_string(),
        Bson::Int64(n) => format!("NumberLong(\"{n}\")"),
        Bson::Double(f) if f.is_finite() => ejson::python_float(*f),
        Bson::Double(f) if f.is_nan() => "NaN".into(),
        Bson::Double(f) => {
            if *f > 0.0 {
                "Infinity".into()
            } else {
                "-Infinity".into()
            }
        }
        Bson::Decimal128(d) => format!("NumberDecimal(\"{d}\")"),
        Bson::Boolean(b) => b.to_string(),
        Bson::Null => "null".into(),
        Bson::ObjectId(o) => format!("ObjectId(\"{}\")", o.to_hex()),
        Bson::DateTime(d) => format!("new Date({})", d.timestamp_millis()),
        Bson::RegularExpression(r) => format!(
            "RegExp({}, \"{}\")",
            shell_literal(&Bson::String(r.pattern.clone())),
            r.options
        ),
        Bson::Timestamp(t) => format!("Timestamp({}, {})", t.time, t.increment),
        Bson::MinKey => "MinKey".into(),
        Bson::MaxKey => "MaxKey".into(),
        Bson::Binary(b) => {
            use base64::Engine as _;
            format!(
                "BinData({}, \"{}\")",
                u8::from(b.subtype),
                base64::engine::general_purpose::STANDARD.encode(&b.bytes)
            )
        }
        Bson::JavaScriptCode(c) => format!("Code({})", shell_literal(&Bson::String(c.clone()))),
        Bson::Undefined => "undefined".into(),
        other => other.clone().into_relaxed_extjson().to_string(),
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
            Ok(tables(&client.database(db), Some(views))
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

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::RawDocumentBuf;

    #[test]
    fn fields_are_counted_once_per_document_with_their_types() {
        let mut s = FieldSample::default();
        for d in [
            doc! { "_id": 1, "a": { "b": 1, "c": "x" }, "items": [ { "sku": "p" }, { "sku": 2 } ] },
            doc! { "_id": 2, "a": null },
            doc! { "_id": 3, "a": { "b": 2.5 } },
        ] {
            let raw = RawDocumentBuf::from_document(&d).expect("raw");
            s.add(&raw);
        }
        assert_eq!(s.children(""), vec!["_id", "a", "items"]);
        assert_eq!(s.children("a"), vec!["a.b", "a.c"]);
        assert_eq!(s.fields["items.sku"].count, 1);
        assert_eq!(s.fields["items.sku"].types.len(), 2);
        let (types, share) = s.describe("a").expect("a");
        assert_eq!(types, "object 67%, null 33%");
        assert_eq!(share, "in 100% of 3 sampled documents");
        assert_eq!(
            s.describe("a.c").map(|d| d.1),
            Some("in 33% of 3 sampled documents".into())
        );
        assert!(s.has_children("a") && !s.has_children("_id"));
        let cols = columns_from_sample(&s);
        assert!(cols[0].is_primary_key && cols[1].nullable);
    }

    #[test]
    fn literals_read_back() {
        let v = Bson::Document(
            doc! { "capped": true, "size": 1024_i64, "validator": { "$jsonSchema": { "required": ["a"] } } },
        );
        assert_eq!(
            shell_literal(&v),
            r#"{"capped": true, "size": NumberLong("1024"), "validator": {"$jsonSchema": {"required": ["a"]}}}"#
        );
    }
}
