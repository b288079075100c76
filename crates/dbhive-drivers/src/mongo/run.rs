//! Running parsed statements: each becomes the server command mongosh would send (find,
//! aggregate, insert, update, findAndModify...), carrying the query's comment tag so Cancel
//! can find it, and the tab's timeout as maxTimeMS. Every result is a stream of documents;
//! write commands answer with one document of counts, as mongosh prints them.

use std::time::Duration;

use dbhive_core::query::{EventSink, RowOutcome};
use dbhive_core::{DbError, DbResult, ErrorKind, Notice};
use mongodb::bson::{self, Bson, Document, RawDocumentBuf, doc, oid::ObjectId};
use mongodb::{Client, Cursor, Database};

use super::cells::DocumentWriter;
use super::errors;
use super::shell::{Action, CollOp, DbOp, FindEnd, FindOneAndKind, Statement};

/// Inserts are sent in batches of at most this many documents or bytes (the server's limits
/// are 100,000 documents and 48 MB per message).
const INSERT_BATCH_DOCS: usize = 1000;
const INSERT_BATCH_BYTES: usize = 8 << 20;
/// Documents per getMore when the user set no batchSize. The server's own default is up to
/// 16 MB per batch; on a million documents from the test server (BENCHMARKS.md), batches of
/// this size took the CLI from 31 s to 21 s and its peak RSS from 72 MB to 21 MB. The first
/// batch stays the server's (101 documents), so the first rows come at once.
const GET_MORE_BATCH: u32 = 10_000;

/// What a statement runs with.
pub(crate) struct Ctx<'a> {
    pub client: &'a Client,
    /// The session's current database (`use x` changes it).
    pub db: &'a mut String,
    /// The comment every command of this query carries.
    pub tag: &'a str,
    pub max_time: Option<Duration>,
}

impl Ctx<'_> {
    fn database(&self, name: &Option<String>) -> Database {
        self.client
            .database(name.as_deref().unwrap_or(self.db.as_str()))
    }

    /// The tag as the command's comment, beside the user's own comment if they gave one.
    fn comment(&self, user: Option<Bson>) -> Bson {
        match user {
            Some(u) => Bson::Document(doc! { "dbhive": self.tag, "comment": u }),
            None => Bson::String(self.tag.to_string()),
        }
    }

    fn tagged(
        &self,
        mut command: Document,
        user_comment: Option<Bson>,
        with_time: bool,
    ) -> Document {
        command.insert("comment", self.comment(user_comment));
        if with_time
            && !command.contains_key("maxTimeMS")
            && let Some(t) = self.max_time
        {
            command.insert("maxTimeMS", t.as_millis().min(i64::MAX as u128) as i64);
        }
        command
    }
}

fn to_raw(doc: &Document) -> DbResult<RawDocumentBuf> {
    RawDocumentBuf::from_document(doc)
        .map_err(|e| DbError::internal(format!("cannot encode a document: {e}")))
}

async fn one_document(
    sink: &mut EventSink,
    command: &str,
    doc: &Document,
    affected: Option<u64>,
) -> DbResult<()> {
    let raw = to_raw(doc)?;
    let mut writer = DocumentWriter::new();
    writer.push(sink, &raw).await;
    writer.finish(sink, command, affected).await;
    Ok(())
}

async fn documents(
    sink: &mut EventSink,
    command: &str,
    docs: impl IntoIterator<Item = Document>,
) -> DbResult<()> {
    let mut writer = DocumentWriter::new();
    for d in docs {
        let raw = to_raw(&d)?;
        if writer.push(sink, &raw).await == RowOutcome::Flush {
            sink.flush().await;
        }
    }
    writer.finish(sink, command, None).await;
    Ok(())
}

/// Streams a cursor's documents as they arrive, batch by batch; stops at a cancel (the
/// cursor's drop kills it on the server).
async fn stream(sink: &mut EventSink, command: &str, mut cursor: Cursor<Document>) -> DbResult<()> {
    let mut writer = DocumentWriter::new();
    loop {
        let more = tokio::select! {
            more = cursor.advance() => more.map_err(errors::map)?,
            _ = sink.cancelled() => return Err(DbError::cancelled()),
        };
        if !more {
            break;
        }
        if writer.push(sink, cursor.current()).await == RowOutcome::Flush {
            sink.flush().await;
        }
        if sink.is_cancelled() {
            return Err(DbError::cancelled());
        }
    }
    writer.finish(sink, command, None).await;
    Ok(())
}

async fn command(db: &Database, cmd: Document) -> DbResult<Document> {
    db.run_command(cmd).await.map_err(errors::map)
}

/// A write command's reply: its write errors become the error.
async fn write_command(db: &Database, cmd: Document) -> DbResult<Document> {
    let reply = command(db, cmd).await?;
    match errors::write_errors(&reply) {
        Some(e) => Err(e),
        None => Ok(reply),
    }
}

fn count_of(reply: &Document, key: &str) -> i64 {
    match reply.get(key) {
        Some(Bson::Int32(n)) => i64::from(*n),
        Some(Bson::Int64(n)) => *n,
        Some(Bson::Double(f)) => *f as i64,
        _ => 0,
    }
}

/// Moves the listed keys of `options` into `target`.
fn take_keys(options: &mut Document, target: &mut Document, keys: &[&str]) {
    for k in keys {
        if let Some(v) = options.remove(*k) {
            target.insert(*k, v);
        }
    }
}

/// The name mongosh gives an index: `a_1_b_-1`.
pub(crate) fn index_name(keys: &Document) -> String {
    keys.iter()
        .map(|(k, v)| {
            let v = match v {
                Bson::Int32(n) => n.to_string(),
                Bson::Int64(n) => n.to_string(),
                Bson::Double(f) if f.fract() == 0.0 => format!("{}", *f as i64),
                Bson::Double(f) => f.to_string(),
                Bson::String(s) => s.clone(),
                other => other.to_string(),
            };
            format!("{k}_{v}")
        })
        .collect::<Vec<_>>()
        .join("_")
}

pub(crate) async fn run(
    ctx: &mut Ctx<'_>,
    sink: &mut EventSink,
    statement: Statement,
) -> DbResult<()> {
    match statement.action {
        Action::Use(name) => {
            *ctx.db = name.clone();
            sink.notice(Notice::new("INFO", format!("switched to db {name}")))
                .await;
            sink.end_result(Some("use".into()), None, None).await;
            Ok(())
        }
        Action::ShowDatabases => {
            let admin = ctx.client.database("admin");
            let reply =
                command(&admin, ctx.tagged(doc! { "listDatabases": 1 }, None, false)).await?;
            let dbs = reply.get_array("databases").cloned().unwrap_or_default();
            documents(
                sink,
                "show dbs",
                dbs.into_iter().filter_map(|d| match d {
                    Bson::Document(d) => Some(d),
                    _ => None,
                }),
            )
            .await
        }
        Action::ShowCollections => {
            let db = ctx.client.database(ctx.db.as_str());
            list_collection_names(ctx, sink, &db, "show collections").await
        }
        Action::Db { db, op } => {
            let database = ctx.database(&db);
            match op {
                DbOp::GetCollectionNames => {
                    list_collection_names(ctx, sink, &database, "getCollectionNames").await
                }
                DbOp::CreateCollection { name, options } => {
                    let mut cmd = doc! { "create": name };
                    cmd.extend(options);
                    let reply = command(&database, ctx.tagged(cmd, None, false)).await?;
                    one_document(sink, "createCollection", &reply, None).await
                }
                DbOp::RunCommand { command: cmd } => {
                    let reply = command(&database, cmd).await?;
                    one_document(sink, "runCommand", &reply, None).await
                }
                DbOp::AdminCommand { command: cmd } => {
                    let reply = command(&ctx.client.database("admin"), cmd).await?;
                    one_document(sink, "adminCommand", &reply, None).await
                }
                DbOp::DropDatabase => {
                    let reply = command(
                        &database,
                        ctx.tagged(doc! { "dropDatabase": 1 }, None, false),
                    )
                    .await?;
                    one_document(sink, "dropDatabase", &reply, None).await
                }
                DbOp::Stats => {
                    let reply =
                        command(&database, ctx.tagged(doc! { "dbStats": 1 }, None, true)).await?;
                    one_document(sink, "stats", &reply, None).await
                }
                DbOp::Collection { name, op } => collection(ctx, sink, &database, &name, op).await,
            }
        }
    }
}

async fn list_collection_names(
    ctx: &Ctx<'_>,
    sink: &mut EventSink,
    db: &Database,
    label: &str,
) -> DbResult<()> {
    let cmd = ctx.tagged(
        doc! { "listCollections": 1, "nameOnly": true, "authorizedCollections": true },
        None,
        false,
    );
    let cursor = db.run_cursor_command(cmd).await.map_err(errors::map)?;
    stream(sink, label, cursor).await
}

async fn collection(
    ctx: &mut Ctx<'_>,
    sink: &mut EventSink,
    db: &Database,
    coll: &str,
    op: CollOp,
) -> DbResult<()> {
    match op {
        CollOp::Find(find) => {
            let mut options = find.options;
            let user_comment = options.remove("userComment");
            let mut cmd = doc! { "find": coll, "filter": find.filter };
            match find.end {
                FindEnd::Documents => {
                    let batch = options
                        .get("batchSize")
                        .and_then(super::shell_int)
                        .and_then(|n| u32::try_from(n).ok());
                    // limit(-n) is mongosh's "one batch of n".
                    if let Some(limit) = options.get("limit").and_then(super::shell_int)
                        && limit < 0
                    {
                        options.insert("limit", -limit);
                        options.insert("singleBatch", true);
                    }
                    cmd.extend(options);
                    let cmd = ctx.tagged(cmd, user_comment.clone(), true);
                    let mut run = db
                        .run_cursor_command(cmd)
                        .comment(ctx.comment(user_comment));
                    run = run.batch_size(batch.unwrap_or(GET_MORE_BATCH));
                    let cursor = run.await.map_err(errors::map)?;
                    stream(sink, "find", cursor).await
                }
                FindEnd::Count => {
                    let mut count = doc! { "count": coll, "query": cmd.get_document("filter").cloned().unwrap_or_default() };
                    take_keys(
                        &mut options,
                        &mut count,
                        &["skip", "limit", "hint", "collation", "maxTimeMS"],
                    );
                    let reply = command(db, ctx.tagged(count, user_comment, true)).await?;
                    one_document(
                        sink,
                        "count",
                        &doc! { "count": count_of(&reply, "n") },
                        None,
                    )
                    .await
                }
                FindEnd::Explain(verbosity) => {
                    cmd.extend(options);
                    let explain = doc! { "explain": cmd, "verbosity": verbosity };
                    let reply = command(db, ctx.tagged(explain, user_comment, false)).await?;
                    one_document(sink, "explain", &reply, None).await
                }
            }
        }
        CollOp::FindOne {
            filter,
            mut options,
        } => {
            let user_comment = options.remove("comment");
            let mut cmd = doc! { "find": coll, "filter": filter, "limit": 1, "singleBatch": true };
            cmd.extend(options);
            let cursor = db
                .run_cursor_command(ctx.tagged(cmd, user_comment, true))
                .await
                .map_err(errors::map)?;
            stream(sink, "findOne", cursor).await
        }
        CollOp::Aggregate {
            pipeline,
            mut options,
            explain,
        } => {
            let user_comment = options.remove("comment");
            let batch = options
                .remove("batchSize")
                .as_ref()
                .and_then(super::shell_int)
                .and_then(|n| u32::try_from(n).ok());
            let mut cursor_doc = Document::new();
            if let Some(b) = batch {
                cursor_doc.insert("batchSize", b as i64);
            }
            let mut cmd = doc! { "aggregate": coll, "pipeline": pipeline, "cursor": cursor_doc };
            cmd.extend(options);
            if let Some(verbosity) = explain {
                cmd.remove("cursor");
                let explain = doc! { "explain": cmd, "verbosity": verbosity };
                let reply = command(db, ctx.tagged(explain, user_comment, false)).await?;
                return one_document(sink, "explain", &reply, None).await;
            }
            let cmd = ctx.tagged(cmd, user_comment.clone(), true);
            let mut run = db
                .run_cursor_command(cmd)
                .comment(ctx.comment(user_comment));
            run = run.batch_size(batch.unwrap_or(GET_MORE_BATCH));
            let cursor = run.await.map_err(errors::map)?;
            stream(sink, "aggregate", cursor).await
        }
        CollOp::CountDocuments {
            filter,
            mut options,
        } => {
            let mut pipeline = vec![doc! { "$match": filter }];
            if let Some(skip) = options.remove("skip") {
                pipeline.push(doc! { "$skip": skip });
            }
            if let Some(limit) = options.remove("limit") {
                pipeline.push(doc! { "$limit": limit });
            }
            pipeline.push(doc! { "$group": { "_id": 1, "n": { "$sum": 1 } } });
            let mut cmd = doc! { "aggregate": coll, "pipeline": pipeline, "cursor": {} };
            take_keys(&mut options, &mut cmd, &["hint", "collation", "maxTimeMS"]);
            let mut cursor = db
                .run_cursor_command(ctx.tagged(cmd, None, true))
                .await
                .map_err(errors::map)?;
            let n = if cursor.advance().await.map_err(errors::map)? {
                let d: Document = cursor.deserialize_current().map_err(errors::map)?;
                count_of(&d, "n")
            } else {
                0
            };
            one_document(sink, "countDocuments", &doc! { "count": n }, None).await
        }
        CollOp::EstimatedDocumentCount { mut options } => {
            let mut cmd = doc! { "count": coll };
            take_keys(&mut options, &mut cmd, &["maxTimeMS"]);
            let reply = command(db, ctx.tagged(cmd, None, true)).await?;
            one_document(
                sink,
                "estimatedDocumentCount",
                &doc! { "count": count_of(&reply, "n") },
                None,
            )
            .await
        }
        CollOp::Distinct {
            field,
            filter,
            mut options,
        } => {
            let mut cmd = doc! { "distinct": coll, "key": field, "query": filter };
            take_keys(&mut options, &mut cmd, &["collation", "maxTimeMS", "hint"]);
            let reply = command(db, ctx.tagged(cmd, None, true)).await?;
            let values = reply.get_array("values").cloned().unwrap_or_default();
            documents(
                sink,
                "distinct",
                values.into_iter().map(|v| doc! { "value": v }),
            )
            .await
        }
        CollOp::InsertOne { document } => {
            let (n, ids) = insert(ctx, db, coll, vec![document], true).await?;
            let id = ids.into_iter().next().unwrap_or(Bson::Null);
            one_document(
                sink,
                "insertOne",
                &doc! { "acknowledged": true, "insertedId": id },
                Some(n),
            )
            .await
        }
        CollOp::InsertMany { documents, options } => {
            let ordered = !matches!(options.get("ordered"), Some(Bson::Boolean(false)));
            let (n, ids) = insert(ctx, db, coll, documents, ordered).await?;
            let mut inserted = Document::new();
            for (i, id) in ids.into_iter().enumerate() {
                inserted.insert(i.to_string(), id);
            }
            one_document(
                sink,
                "insertMany",
                &doc! { "acknowledged": true, "insertedCount": n as i64, "insertedIds": inserted },
                Some(n),
            )
            .await
        }
        CollOp::Update {
            filter,
            update,
            options,
            multi,
        } => {
            let reply = update_one_statement(ctx, db, coll, filter, update, options, multi).await?;
            let summary = update_summary(&reply);
            let affected =
                count_of(&summary, "modifiedCount") + count_of(&summary, "upsertedCount");
            one_document(
                sink,
                if multi { "updateMany" } else { "updateOne" },
                &summary,
                Some(affected as u64),
            )
            .await
        }
        CollOp::ReplaceOne {
            filter,
            replacement,
            options,
        } => {
            let reply = update_one_statement(
                ctx,
                db,
                coll,
                filter,
                Bson::Document(replacement),
                options,
                false,
            )
            .await?;
            let summary = update_summary(&reply);
            let affected =
                count_of(&summary, "modifiedCount") + count_of(&summary, "upsertedCount");
            one_document(sink, "replaceOne", &summary, Some(affected as u64)).await
        }
        CollOp::Delete {
            filter,
            options,
            multi,
        } => {
            let n = delete(ctx, db, coll, filter, options, multi).await?;
            one_document(
                sink,
                if multi { "deleteMany" } else { "deleteOne" },
                &doc! { "acknowledged": true, "deletedCount": n },
                Some(n as u64),
            )
            .await
        }
        CollOp::FindOneAnd {
            kind,
            filter,
            mut options,
        } => {
            let label = match kind {
                FindOneAndKind::Update(_) => "findOneAndUpdate",
                FindOneAndKind::Replace(_) => "findOneAndReplace",
                FindOneAndKind::Delete => "findOneAndDelete",
            };
            let mut cmd = doc! { "findAndModify": coll, "query": filter };
            match kind {
                FindOneAndKind::Update(u) => {
                    cmd.insert("update", u);
                }
                FindOneAndKind::Replace(r) => {
                    cmd.insert("update", r);
                }
                FindOneAndKind::Delete => {
                    cmd.insert("remove", true);
                }
            }
            let new = matches!(
                options.remove("returnNewDocument"),
                Some(Bson::Boolean(true))
            ) || matches!(options.remove("returnDocument"), Some(Bson::String(s)) if s == "after");
            if new {
                cmd.insert("new", true);
            }
            if let Some(p) = options.remove("projection") {
                cmd.insert("fields", p);
            }
            take_keys(
                &mut options,
                &mut cmd,
                &[
                    "sort",
                    "upsert",
                    "arrayFilters",
                    "collation",
                    "hint",
                    "maxTimeMS",
                    "let",
                    "bypassDocumentValidation",
                    "writeConcern",
                ],
            );
            let reply = write_command(db, ctx.tagged(cmd, None, true)).await?;
            match reply.get("value") {
                Some(Bson::Document(d)) => one_document(sink, label, d, Some(1)).await,
                _ => {
                    sink.notice(Notice::new("INFO", "no document matched the filter"))
                        .await;
                    documents(sink, label, std::iter::empty()).await
                }
            }
        }
        CollOp::BulkWrite {
            operations,
            options,
        } => {
            let ordered = !matches!(options.get("ordered"), Some(Bson::Boolean(false)));
            let summary = bulk_write(ctx, db, coll, operations, ordered).await?;
            let affected = [
                "insertedCount",
                "modifiedCount",
                "deletedCount",
                "upsertedCount",
            ]
            .iter()
            .map(|k| count_of(&summary, k))
            .sum::<i64>();
            one_document(sink, "bulkWrite", &summary, Some(affected as u64)).await
        }
        CollOp::CreateIndex { keys, mut options } => {
            let name = match options.remove("name") {
                Some(Bson::String(n)) => n,
                _ => index_name(&keys),
            };
            let mut index = doc! { "key": keys, "name": name.clone() };
            index.extend(options);
            let reply = command(
                db,
                ctx.tagged(
                    doc! { "createIndexes": coll, "indexes": [index] },
                    None,
                    false,
                ),
            )
            .await?;
            let mut result = doc! { "name": name };
            result.extend(reply);
            one_document(sink, "createIndex", &result, None).await
        }
        CollOp::DropIndex { index } => {
            let reply = command(
                db,
                ctx.tagged(doc! { "dropIndexes": coll, "index": index }, None, false),
            )
            .await?;
            one_document(sink, "dropIndex", &reply, None).await
        }
        CollOp::GetIndexes => {
            let cursor = db
                .run_cursor_command(ctx.tagged(doc! { "listIndexes": coll }, None, false))
                .await
                .map_err(errors::map)?;
            stream(sink, "getIndexes", cursor).await
        }
        CollOp::Drop => {
            let reply = match command(db, ctx.tagged(doc! { "drop": coll }, None, false)).await {
                Ok(r) => doc! { "dropped": true, "reply": r },
                Err(e) if e.code.as_deref() == Some("26") => {
                    doc! { "dropped": false, "reason": "no such collection" }
                }
                Err(e) => return Err(e),
            };
            one_document(sink, "drop", &reply, None).await
        }
    }
}

/// Inserts in batches; every document gets an `_id` first (as mongosh does) so the ids
/// can be reported. Returns the count and the ids of the documents inserted.
async fn insert(
    ctx: &Ctx<'_>,
    db: &Database,
    coll: &str,
    documents: Vec<Document>,
    ordered: bool,
) -> DbResult<(u64, Vec<Bson>)> {
    let mut ids = Vec::with_capacity(documents.len());
    let mut prepared = Vec::with_capacity(documents.len());
    for d in documents {
        let d = if d.contains_key("_id") {
            d
        } else {
            let mut with_id = doc! { "_id": ObjectId::new() };
            with_id.extend(d);
            with_id
        };
        ids.push(d.get("_id").cloned().unwrap_or(Bson::Null));
        prepared.push(d);
    }
    let mut inserted = 0u64;
    let mut batch: Vec<Document> = Vec::new();
    let mut bytes = 0usize;
    let total = prepared.len();
    for (i, d) in prepared.into_iter().enumerate() {
        bytes += bson::to_vec(&d).map(|v| v.len()).unwrap_or(0);
        batch.push(d);
        if batch.len() >= INSERT_BATCH_DOCS || bytes >= INSERT_BATCH_BYTES || i + 1 == total {
            let docs = std::mem::take(&mut batch);
            bytes = 0;
            let cmd = ctx.tagged(
                doc! { "insert": coll, "documents": docs, "ordered": ordered },
                None,
                false,
            );
            let reply = command(db, cmd).await?;
            inserted += count_of(&reply, "n") as u64;
            if let Some(mut e) = errors::write_errors(&reply) {
                e.message = format!(
                    "{} ({inserted} documents inserted before this error)",
                    e.message
                );
                return Err(e);
            }
        }
    }
    Ok((inserted, ids))
}

fn update_entry(
    filter: Document,
    update: Bson,
    mut options: Document,
    multi: bool,
) -> (Document, Document) {
    let mut entry = doc! { "q": filter, "u": update, "multi": multi };
    take_keys(
        &mut options,
        &mut entry,
        &["upsert", "arrayFilters", "collation", "hint"],
    );
    (entry, options)
}

async fn update_one_statement(
    ctx: &Ctx<'_>,
    db: &Database,
    coll: &str,
    filter: Document,
    update: Bson,
    options: Document,
    multi: bool,
) -> DbResult<Document> {
    let (entry, mut rest) = update_entry(filter, update, options, multi);
    let mut cmd = doc! { "update": coll, "updates": [entry] };
    take_keys(
        &mut rest,
        &mut cmd,
        &["let", "writeConcern", "bypassDocumentValidation"],
    );
    write_command(db, ctx.tagged(cmd, None, false)).await
}

fn update_summary(reply: &Document) -> Document {
    let upserted = reply.get_array("upserted").cloned().unwrap_or_default();
    let n = count_of(reply, "n");
    let upserted_id = upserted.iter().find_map(|u| match u {
        Bson::Document(d) => d.get("_id").cloned(),
        _ => None,
    });
    doc! {
        "acknowledged": true,
        "matchedCount": n - upserted.len() as i64,
        "modifiedCount": count_of(reply, "nModified"),
        "upsertedCount": upserted.len() as i64,
        "upsertedId": upserted_id.unwrap_or(Bson::Null),
    }
}

async fn delete(
    ctx: &Ctx<'_>,
    db: &Database,
    coll: &str,
    filter: Document,
    mut options: Document,
    multi: bool,
) -> DbResult<i64> {
    let mut entry = doc! { "q": filter, "limit": if multi { 0 } else { 1 } };
    take_keys(&mut options, &mut entry, &["collation", "hint"]);
    let mut cmd = doc! { "delete": coll, "deletes": [entry] };
    take_keys(&mut options, &mut cmd, &["let", "writeConcern"]);
    let reply = write_command(db, ctx.tagged(cmd, None, false)).await?;
    Ok(count_of(&reply, "n"))
}

/// bulkWrite as mongosh's legacy helper does it: each operation in order, as its own
/// command (the server's bulkWrite command needs MongoDB 8.0); `ordered: false` goes on
/// after an error and reports it at the end.
async fn bulk_write(
    ctx: &Ctx<'_>,
    db: &Database,
    coll: &str,
    operations: Vec<Document>,
    ordered: bool,
) -> DbResult<Document> {
    let (mut inserted, mut matched, mut modified, mut deleted, mut upserted) =
        (0i64, 0i64, 0i64, 0i64, 0i64);
    let mut inserted_ids = Document::new();
    let mut upserted_ids = Document::new();
    let mut first_error: Option<DbError> = None;
    for (i, op) in operations.into_iter().enumerate() {
        let Some((kind, Bson::Document(body))) = op.into_iter().next() else {
            continue;
        };
        let field = |name: &str| -> DbResult<Document> {
            match body.get(name) {
                Some(Bson::Document(d)) => Ok(d.clone()),
                None if name == "filter" => Ok(Document::new()),
                _ => Err(DbError::new(
                    ErrorKind::Syntax,
                    format!("operation {i} ({kind}) needs '{name}' as a document"),
                )),
            }
        };
        let outcome: DbResult<()> = async {
            match kind.as_str() {
                "insertOne" => {
                    let (n, ids) = insert(ctx, db, coll, vec![field("document")?], true).await?;
                    inserted += n as i64;
                    if let Some(id) = ids.into_iter().next() {
                        inserted_ids.insert(i.to_string(), id);
                    }
                }
                "updateOne" | "updateMany" | "replaceOne" => {
                    let update = if kind == "replaceOne" {
                        Bson::Document(field("replacement")?)
                    } else {
                        body.get("update").cloned().ok_or_else(|| {
                            DbError::new(
                                ErrorKind::Syntax,
                                format!("operation {i} ({kind}) needs 'update'"),
                            )
                        })?
                    };
                    let mut options = body.clone();
                    options.remove("filter");
                    options.remove("update");
                    options.remove("replacement");
                    let reply = update_one_statement(
                        ctx,
                        db,
                        coll,
                        field("filter")?,
                        update,
                        options,
                        kind == "updateMany",
                    )
                    .await?;
                    let s = update_summary(&reply);
                    matched += count_of(&s, "matchedCount");
                    modified += count_of(&s, "modifiedCount");
                    upserted += count_of(&s, "upsertedCount");
                    if let Some(id) = s.get("upsertedId").filter(|v| !matches!(v, Bson::Null)) {
                        upserted_ids.insert(i.to_string(), id.clone());
                    }
                }
                _ => {
                    let mut options = body.clone();
                    options.remove("filter");
                    deleted += delete(
                        ctx,
                        db,
                        coll,
                        field("filter")?,
                        options,
                        kind == "deleteMany",
                    )
                    .await?;
                }
            }
            Ok(())
        }
        .await;
        if let Err(mut e) = outcome {
            e.message = format!("bulkWrite operation {i} ({kind}): {}", e.message);
            if ordered {
                e.detail = Some(format!(
                    "{inserted} inserted, {modified} modified, {deleted} deleted, {upserted} upserted before it; later operations were not run"
                ));
                return Err(e);
            }
            first_error.get_or_insert(e);
        }
    }
    if let Some(e) = first_error {
        return Err(e.with_detail(Some(format!("{inserted} inserted, {modified} modified, {deleted} deleted, {upserted} upserted in all"))));
    }
    Ok(doc! {
        "acknowledged": true,
        "insertedCount": inserted,
        "insertedIds": inserted_ids,
        "matchedCount": matched,
        "modifiedCount": modified,
        "deletedCount": deleted,
        "upsertedCount": upserted,
        "upsertedIds": upserted_ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn commands_carry_the_tag_and_the_tabs_timeout() {
        let client = Client::with_uri_str("mongodb://127.0.0.1:1/")
            .await
            .expect("client");
        let mut db = String::from("test");
        let ctx = Ctx {
            client: &client,
            db: &mut db,
            tag: "dbhive:t",
            max_time: Some(Duration::from_millis(1500)),
        };
        let cmd = ctx.tagged(doc! { "find": "c" }, None, true);
        assert_eq!(
            cmd,
            doc! { "find": "c", "comment": "dbhive:t", "maxTimeMS": 1500_i64 }
        );
        let cmd = ctx.tagged(
            doc! { "insert": "c" },
            Some(Bson::String("mine".into())),
            false,
        );
        assert_eq!(
            cmd,
            doc! { "insert": "c", "comment": { "dbhive": "dbhive:t", "comment": "mine" } }
        );
        let cmd = ctx.tagged(doc! { "find": "c", "maxTimeMS": 5 }, None, true);
        assert_eq!(
            cmd.get("maxTimeMS"),
            Some(&Bson::Int32(5)),
            "the user's own maxTimeMS wins"
        );
        assert_eq!(
            index_name(&doc! { "a": 1, "b": -1, "t": "text" }),
            "a_1_b_-1_t_text"
        );
    }
}
