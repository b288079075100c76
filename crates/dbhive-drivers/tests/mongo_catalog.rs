//! The MongoDB tree against the test server: databases > collections and views > fields
//! (from a sample, nested, with types and shares) and indexes (unique, sparse, TTL,
//! partial, hidden); the "DDL" script recreates a collection with its options and indexes;
//! a database past the stats limit lists without per-collection stats.

mod common;

use std::sync::Arc;

use common::*;
use dbhive_core::{Connection, FolderKind, NodeKind, QueryOptions, SchemaNode, TableRef};

async fn run_ok(conn: &Arc<dyn Connection>, db: &str, script: &str) -> Outcome {
    let session = conn.open_session(Some(db)).await.expect("session");
    within(
        script,
        collect(session.execute(script.to_string(), QueryOptions::default())),
    )
    .await
    .ok()
}

async fn children(conn: &Arc<dyn Connection>, path: &[&str]) -> Vec<SchemaNode> {
    let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
    within("list_children", conn.list_children(&path))
        .await
        .unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

fn named<'a>(nodes: &'a [SchemaNode], name: &str) -> &'a SchemaNode {
    nodes.iter().find(|n| n.name == name).unwrap_or_else(|| {
        panic!(
            "no node {name} in {:?}",
            nodes.iter().map(|n| &n.name).collect::<Vec<_>>()
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tree_goes_down_to_fields_and_indexes() {
    let conn = mongo().await;
    let db = "dbhive_t_tree";
    run_ok(&conn, db, "db.dropDatabase()").await;
    run_ok(
        &conn,
        db,
        r#"db.items.insertMany([
            {_id: 1, name: 'a', price: 1.5, tags: ['x'], dims: {w: 1, h: 2}, lines: [{sku: 'p1', qty: 1}]},
            {_id: 2, name: 'b', price: null, dims: {w: 3}},
            {_id: 3, name: 'c', price: NumberDecimal('2.50'), created: new Date()},
            {_id: 4, name: 'd', price: 4}
        ])
        db.items.createIndex({name: 1}, {unique: true})
        db.items.createIndex({created: 1}, {expireAfterSeconds: 3600})
        db.items.createIndex({price: -1}, {sparse: true})
        db.items.createIndex({'dims.w': 1}, {partialFilterExpression: {'dims.w': {$gt: 1}}, name: 'wide'})
        db.createCollection('cheap', {viewOn: 'items', pipeline: [{$match: {price: {$lt: 2}}}]})"#,
    )
    .await;

    let dbs = children(&conn, &[]).await;
    assert_eq!(named(&dbs, db).kind, NodeKind::Database);
    assert!(
        named(&dbs, db).size_bytes.is_some_and(|n| n > 0),
        "the database's size"
    );
    let folders = children(&conn, &[db]).await;
    assert_eq!(named(&folders, "Collections").count, Some(1));
    assert_eq!(named(&folders, "Views").count, Some(1));

    let colls = children(&conn, &[db, "collections"]).await;
    let items = named(&colls, "items");
    assert_eq!(items.kind, NodeKind::Collection);
    assert_eq!(items.row_estimate, Some(4));
    assert_eq!(
        items.table.as_ref().and_then(|t| t.database.as_deref()),
        Some(db)
    );
    let views = children(&conn, &[db, "views"]).await;
    assert_eq!(named(&views, "cheap").kind, NodeKind::View);
    assert_eq!(named(&views, "cheap").detail.as_deref(), Some("on items"));

    let parts = children(&conn, &[db, "collections", "items"]).await;
    assert_eq!(
        parts.iter().map(|n| n.folder).collect::<Vec<_>>(),
        [Some(FolderKind::Fields), Some(FolderKind::Indexes)]
    );

    let fields = children(&conn, &[db, "collections", "items", "fields"]).await;
    let names: Vec<&str> = fields.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(
        names,
        ["_id", "created", "dims", "lines", "name", "price", "tags"]
    );
    let price = named(&fields, "price");
    assert_eq!(
        price.detail.as_deref(),
        Some("decimal 25%, double 25%, int 25%, null 25%")
    );
    assert_eq!(
        price.comment.as_deref(),
        Some("in 100% of 4 sampled documents")
    );
    assert_eq!(
        named(&fields, "created").comment.as_deref(),
        Some("in 25% of 4 sampled documents")
    );
    assert!(named(&fields, "dims").expandable && !named(&fields, "name").expandable);
    let dims = children(&conn, &[db, "collections", "items", "fields", "dims"]).await;
    assert_eq!(
        dims.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(),
        ["h", "w"]
    );
    assert_eq!(
        named(&dims, "w").comment.as_deref(),
        Some("in 50% of 4 sampled documents")
    );
    let lines = children(&conn, &[db, "collections", "items", "fields", "lines"]).await;
    assert_eq!(named(&lines, "sku").detail.as_deref(), Some("string"));

    let indexes = children(&conn, &[db, "collections", "items", "indexes"]).await;
    assert_eq!(indexes.len(), 5);
    let detail = |name: &str| named(&indexes, name).detail.clone().unwrap_or_default();
    assert!(
        detail("name_1").contains("name") && detail("name_1").contains("UNIQUE"),
        "{}",
        detail("name_1")
    );
    assert!(
        detail("created_1").contains("TTL 3600 s"),
        "{}",
        detail("created_1")
    );
    assert!(
        detail("price_-1").contains("sparse") && detail("price_-1").contains("price desc"),
        "{}",
        detail("price_-1")
    );
    assert!(
        named(&indexes, "wide")
            .comment
            .as_deref()
            .is_some_and(|c| c.contains("partial"))
    );

    let table = TableRef {
        database: Some(db.into()),
        schema: None,
        name: "items".into(),
    };
    let description = conn.describe_table(&table).await.expect("describe");
    assert_eq!(
        description.primary_key.map(|p| p.columns),
        Some(vec!["_id".to_string()])
    );
    assert!(
        description
            .columns
            .iter()
            .any(|c| c.name == "price" && c.nullable)
    );
}

/// The script recreates the collection: same options, same indexes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ddl_script_recreates_the_collection() {
    let conn = mongo().await;
    let db = "dbhive_t_ddl";
    run_ok(&conn, db, "db.dropDatabase()").await;
    run_ok(
        &conn,
        db,
        r#"db.createCollection('logs', {capped: true, size: 1048576, max: 1000, validator: {$jsonSchema: {required: ['at']}}})
        db.logs.createIndex({at: -1, level: 1}, {name: 'recent'})
        db.logs.createIndex({host: 1}, {sparse: true, unique: true})"#,
    )
    .await;
    let table = TableRef {
        database: Some(db.into()),
        schema: None,
        name: "logs".into(),
    };
    let ddl = conn.ddl(&table).await.expect("ddl");
    assert!(ddl.contains("createCollection(\"logs\""), "{ddl}");
    let snapshot = |out: Outcome| -> Vec<String> {
        let mut v: Vec<String> = out.results[0]
            .rows
            .iter()
            .map(|r| match &r[0] {
                dbhive_core::Value::Bytes(b) => {
                    let mut text = dbhive_drivers::mongo::document_json(
                        b,
                        dbhive_drivers::mongo::JsonMode::Canonical,
                    )
                    .expect("json");
                    // The namespace and version are the server's, not the user's.
                    text = text.replace(",\"ns\":\"dbhive_t_ddl.logs\"", "");
                    text
                }
                other => panic!("{other:?}"),
            })
            .collect();
        v.sort();
        v
    };
    let indexes_before = snapshot(run_ok(&conn, db, "db.logs.getIndexes()").await);
    let options_before = run_ok(
        &conn,
        db,
        "db.runCommand({listCollections: 1, filter: {name: 'logs'}})",
    )
    .await;
    run_ok(&conn, db, "db.logs.drop()").await;
    run_ok(&conn, db, &ddl).await;
    let indexes_after = snapshot(run_ok(&conn, db, "db.logs.getIndexes()").await);
    assert_eq!(indexes_before, indexes_after, "{ddl}");
    let options_after = run_ok(
        &conn,
        db,
        "db.runCommand({listCollections: 1, filter: {name: 'logs'}})",
    )
    .await;
    let options = |out: &Outcome| -> String {
        let cursor = common_field(out, "cursor");
        // The collection's uuid differs after recreating it; everything else must not.
        let start = cursor.find("\"options\"").expect("options");
        let end = cursor[start..]
            .find(",\"info\"")
            .map_or(cursor.len(), |i| start + i);
        cursor[start..end].to_string()
    };
    assert_eq!(options(&options_before), options(&options_after), "{ddl}");
}

fn common_field(out: &Outcome, name: &str) -> String {
    let set = &out.results[0];
    let i = set
        .columns
        .iter()
        .position(|c| c.name == name)
        .expect("column");
    match &set.rows[0][i] {
        dbhive_core::Value::Json(j) => j.clone(),
        other => panic!("{other:?}"),
    }
}

/// Past 300 collections the tree lists names without a stats command per collection, so a
/// database with thousands stays one round trip. (10,000 are not created here: SecantusDB's
/// catalog makes each create slower than the last; see docs/mongo.md.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_collections_list_in_one_round_trip() {
    let conn = mongo().await;
    let db = "dbhive_t_many";
    let existing = children(&conn, &[]).await;
    if !existing.iter().any(|n| n.name == db)
        || children(&conn, &[db, "collections"]).await.len() != 320
    {
        run_ok(&conn, db, "db.dropDatabase()").await;
        let script: Vec<String> = (0..320)
            .map(|i| format!("db.createCollection('c{i:04}')"))
            .collect();
        run_ok(&conn, db, &script.join("\n")).await;
    }
    let started = std::time::Instant::now();
    let colls = children(&conn, &[db, "collections"]).await;
    let elapsed = started.elapsed();
    assert_eq!(colls.len(), 320);
    assert!(
        colls.iter().all(|c| c.row_estimate.is_none()),
        "no per-collection stats past the limit"
    );
    assert_eq!(colls[0].name, "c0000");
    eprintln!("320 collections listed in {elapsed:?}");
}
