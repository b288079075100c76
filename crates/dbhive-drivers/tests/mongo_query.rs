//! MongoDB against the test server (SecantusDB, scripts/mongo-server.sh): connecting and
//! its failures, every BSON type compared with pymongo's Extended JSON, the shell forms
//! run for real, write counts, documents whose fields grow, big documents, and cancel.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use dbhive_core::{
    Connection, ConnectionConfig, ErrorKind, QueryEvent, QueryOptions, Secret, Value,
};
use dbhive_drivers::mongo::{JsonMode, document_json};

/// Each test works in its own database, dropped first.
async fn fresh(conn: &Arc<dyn Connection>, db: &str) -> Arc<dyn dbhive_core::Session> {
    let session = conn.open_session(Some(db)).await.expect("session");
    let out = collect(
        session
            .clone()
            .execute("db.dropDatabase()".into(), QueryOptions::default()),
    )
    .await;
    assert!(out.error.is_none(), "{:?}", out.error);
    session
}

async fn run_on(session: &Arc<dyn dbhive_core::Session>, script: &str) -> Outcome {
    within(
        script,
        collect(
            session
                .clone()
                .execute(script.to_string(), QueryOptions::default()),
        ),
    )
    .await
}

/// The named field of a document result's row.
fn field<'a>(set: &'a ResultSet, row: usize, name: &str) -> &'a Value {
    let i = set
        .columns
        .iter()
        .position(|c| c.name == name)
        .unwrap_or_else(|| panic!("no column {name} in {:?}", set.columns));
    &set.rows[row][i]
}

fn doc_json(set: &ResultSet, row: usize, mode: JsonMode) -> String {
    assert!(
        set.columns[0].document,
        "the first column holds the document"
    );
    match &set.rows[row][0] {
        Value::Bytes(b) => document_json(b, mode).expect("valid BSON"),
        other => panic!("document cell is {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connects_and_reports_the_server() {
    let conn = mongo().await;
    let info = conn.server_info().await.expect("info");
    assert!(!info.version.is_empty());
    conn.ping().await.expect("ping");
    assert!(
        conn.databases()
            .await
            .expect("dbs")
            .iter()
            .any(|d| d.name == "dbhive_test")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_failures_are_clear() {
    let (config, _) = mongo_config();
    let e = connect_err(&config, Some(Secret::new("wrong password"))).await;
    assert_eq!(e.kind, ErrorKind::Auth, "{e:?}");
    assert!(!e.to_string().contains("wrong password"));

    let e = connect_err(&config, None).await;
    assert_eq!(e.code.as_deref(), Some("password_required"), "{e:?}");

    let mut unreachable = ConnectionConfig::from_url(
        "mongodb://127.0.0.1:1/?directConnection=true&serverSelectionTimeoutMS=1500",
    )
    .expect("url")
    .0;
    unreachable.connect_timeout_secs = 2;
    let e = connect_err(&unreachable, None).await;
    assert_eq!(e.kind, ErrorKind::Timeout, "{e:?}");
    assert_eq!(e.code.as_deref(), Some("server_selection_timeout"));
    assert!(e.hint.is_some());

    let (mut missing, secret) = mongo_config();
    missing.database = Some("dbhive_no_such_db".into());
    let e = connect_err(&missing, secret).await;
    assert_eq!(e.kind, ErrorKind::NotFound, "{e:?}");
}

/// What pymongo writes for a document holding every BSON type, in relaxed mode.
const PY_TYPES: &str = r#"
import sys, datetime
import pymongo
from bson import json_util, Int64, Decimal128, Binary, ObjectId, Regex, Code, Timestamp, MinKey, MaxKey, DatetimeMS
from bson.codec_options import CodecOptions, DatetimeConversion
from bson.json_util import JSONOptions, JSONMode
client = pymongo.MongoClient(sys.argv[1])
db = client["dbhive_t_types"]
utc = datetime.timezone.utc
opts = CodecOptions(tz_aware=True, tzinfo=utc, datetime_conversion=DatetimeConversion.DATETIME_AUTO)
coll = db.get_collection("types", codec_options=opts)
if sys.argv[2] == "write":
    coll.drop()
    doc = {
        "_id": 1,
        "double": 1.5, "double_whole": 3.0, "nan": float("nan"), "inf": float("inf"), "ninf": float("-inf"),
        "negzero": -0.0, "huge": 1e300, "tiny": 5e-324, "third": 1 / 3, "e16": 1e16, "small": 0.00012,
        "string": "h\u00e9llo w\u00f6rld \u4f60\u597d \U0001F600 \"q\" \\ \n\t\x01 \u2028",
        "empty": "",
        "object": {"a": 1, "b": {"c": [1, 2]}},
        "array": [1, "two", 3.0, None, {"x": 1}, []],
        "bin0": Binary(b"\x00\x01\x02\xff", 0), "bin3": Binary(bytes(range(16)), 3),
        "bin4": Binary(bytes(range(16)), 4), "bin5": Binary(b"0123456789abcdef", 5),
        "bin128": Binary(b"custom", 128),
        "oid": ObjectId("5f1d7f1e8c9d440000a1b2c3"),
        "yes": True, "no": False,
        "date": datetime.datetime(2024, 1, 31, 12, 0, 0, 123000, tzinfo=utc),
        "epoch": datetime.datetime(1970, 1, 1, tzinfo=utc),
        "before_1970": DatetimeMS(-3155760000000), "after_9999": DatetimeMS(253402300800000 + 86400000),
        "null": None,
        "regex": Regex("^ab.c$", "im"),
        "js": Code("function() { return 1; }"),
        "int32": 42, "int32_min": -2**31, "int32_max": 2**31 - 1,
        "timestamp": Timestamp(1700000000, 7),
        "int64_max": Int64(2**63 - 1), "int64_min": Int64(-2**63), "int64_small": Int64(5),
        "dec": Decimal128("1.50"), "dec_nan": Decimal128("NaN"), "dec_negzero": Decimal128("-0"),
        "dec_huge": Decimal128("1E+6144"), "dec_ninf": Decimal128("-Infinity"), "dec_tiny": Decimal128("1E-6176"),
        "minkey": MinKey(), "maxkey": MaxKey(),
    }
    relaxed = JSONOptions(json_mode=JSONMode.RELAXED, datetime_conversion=DatetimeConversion.DATETIME_AUTO, tz_aware=True, tzinfo=utc)
    dumps = lambda d: json_util.dumps(d, json_options=relaxed, ensure_ascii=False, separators=(",", ":"))
    # Line 1 and 2: the BSON pymongo encodes and its relaxed JSON, every type included.
    import bson
    print(bson.encode(doc).hex())
    print(dumps(bson.decode(bson.encode(doc), codec_options=opts)))
    # The test server (SecantusDB decodes BSON with Python's datetime) refuses dates past
    # year 9999: the stored copy goes without that one. Line 3: the stored copy, read back.
    del doc["after_9999"]
    coll.insert_one(doc)
    print(dumps(coll.find_one({"_id": 1})))
else:
    # The document DB-Hive wrote back from its own shell rendering: byte for byte the same?
    from bson.raw_bson import RawBSONDocument
    raw = CodecOptions(document_class=RawBSONDocument)
    a = db.get_collection("types", codec_options=raw).find_one({"_id": 1}).raw
    b = db.get_collection("types_back", codec_options=raw).find_one({"_id": 1}).raw
    print("same" if a == b else "differ")
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bson_type_displays_as_pymongo_writes_it_and_round_trips() {
    let printed = pymongo(PY_TYPES, &["write"]);
    let lines: Vec<&str> = printed.lines().collect();
    let bytes: Vec<u8> = (0..lines[0].len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&lines[0][i..i + 2], 16).expect("hex"))
        .collect();
    assert_eq!(
        document_json(&bytes, JsonMode::Relaxed).expect("render"),
        lines[1],
        "pymongo's own BSON"
    );

    let conn = mongo().await;
    let session = conn
        .open_session(Some("dbhive_t_types"))
        .await
        .expect("session");
    let out = run_on(&session, "db.types.find({_id: 1})").await.ok();
    let set = &out.results[0];
    assert_eq!(set.rows.len(), 1);
    assert_eq!(
        doc_json(set, 0, JsonMode::Relaxed),
        lines[2],
        "the stored document, as read by DB-Hive and pymongo"
    );

    // The grid's cells: types kept, none garbled into doubles or bytes.
    assert_eq!(field(set, 0, "int64_max"), &Value::Int(i64::MAX));
    assert_eq!(field(set, 0, "int64_min"), &Value::Int(i64::MIN));
    // 1E+6144 is past the largest exponent, so it is stored clamped and spelled in full (as pymongo does).
    assert_eq!(
        field(set, 0, "dec_huge"),
        &Value::Decimal("1.000000000000000000000000000000000E+6144".into())
    );
    assert_eq!(
        field(set, 0, "bin4"),
        &Value::Uuid("00010203-0405-0607-0809-0a0b0c0d0e0f".into())
    );
    assert!(
        matches!(field(set, 0, "oid"), Value::Other { text, .. } if text == "ObjectId('5f1d7f1e8c9d440000a1b2c3')")
    );
    assert_eq!(
        field(set, 0, "date"),
        &Value::TimestampTz("2024-01-31T12:00:00.123Z".into())
    );
    assert_eq!(field(set, 0, "null"), &Value::Null);
    assert_eq!(
        set.columns
            .iter()
            .find(|c| c.name == "int64_max")
            .map(|c| c.type_name.as_str()),
        Some("long")
    );
    // The JSON view keeps Int64 typed where relaxed JSON would not.
    let typed = doc_json(set, 0, JsonMode::Typed);
    assert!(
        typed.contains(r#""int64_small":{"$numberLong":"5"}"#),
        "{typed}"
    );
    assert!(typed.contains(r#""int32":42"#), "{typed}");
    let canonical = doc_json(set, 0, JsonMode::Canonical);
    assert!(
        canonical.contains(r#""int32":{"$numberInt":"42"}"#),
        "{canonical}"
    );
    assert!(
        canonical.contains(r#""epoch":{"$date":{"$numberLong":"0"}}"#),
        "{canonical}"
    );

    // Round trip: the document rendered in DB-Hive's shell syntax and inserted back through
    // DB-Hive is the same BSON, byte for byte.
    let raw = match &set.rows[0][0] {
        Value::Bytes(b) => b.clone(),
        other => panic!("{other:?}"),
    };
    let doc = mongodb::bson::Document::from_reader(&mut raw.as_slice()).expect("document");
    let literal = dbhive_drivers::mongo::ddl::shell_literal(&mongodb::bson::Bson::Document(doc));
    run_on(&session, "db.types_back.drop()").await.ok();
    let out = run_on(&session, &format!("db.types_back.insertOne({literal})"))
        .await
        .ok();
    assert_eq!(out.results[0].rows_affected, Some(1));
    assert_eq!(pymongo(PY_TYPES, &["compare"]).trim(), "same");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_forms_run_against_the_server() {
    let conn = mongo().await;
    let s = fresh(&conn, "dbhive_t_shell").await;
    let out = run_on(&s, "db.people.insertMany([{_id: 1, name: 'ann', age: 31, city: 'oslo'}, {_id: 2, name: 'bob', age: 25, city: 'rome'}, {_id: 3, name: 'cy', age: 40, city: 'oslo'}])").await.ok();
    assert_eq!(out.results[0].rows_affected, Some(3));
    assert_eq!(field(&out.results[0], 0, "insertedCount"), &Value::Int(3));

    let out = run_on(
        &s,
        "db.people.find({age: {$gt: 26}}, {name: 1, _id: 0}).sort({age: -1}).limit(5)",
    )
    .await
    .ok();
    let set = &out.results[0];
    assert_eq!(set.rows.len(), 2);
    assert_eq!(field(set, 0, "name"), &Value::Text("cy".into()));
    assert_eq!(set.columns.len(), 2, "document + name: {:?}", set.columns);

    let out = run_on(&s, "db.people.find().skip(1).batchSize(1)")
        .await
        .ok();
    assert_eq!(out.results[0].rows.len(), 2);
    let out = run_on(&s, "db.people.find({city: 'oslo'}).count()")
        .await
        .ok();
    assert_eq!(field(&out.results[0], 0, "count"), &Value::Int(2));
    let out = run_on(&s, "db.people.find({}).explain()").await.ok();
    assert!(
        out.results[0]
            .columns
            .iter()
            .any(|c| c.name == "queryPlanner")
    );
    let out = run_on(&s, "db.people.findOne({name: /^B/i})").await.ok();
    assert_eq!(field(&out.results[0], 0, "_id"), &Value::Int(2));

    run_on(&s, "db.orders.insertMany([{p: 1, total: 10}, {p: 1, total: 5}, {p: 3, total: 7, tags: ['a', 'b']}])").await.ok();
    let out = run_on(
        &s,
        r#"db.people.aggregate([
        {$lookup: {from: 'orders', localField: '_id', foreignField: 'p', as: 'orders'}},
        {$unwind: '$orders'},
        {$group: {_id: '$name', spent: {$sum: '$orders.total'}, n: {$sum: 1}}},
        {$sort: {_id: 1}},
    ])"#,
    )
    .await
    .ok();
    let set = &out.results[0];
    assert_eq!(set.rows.len(), 2);
    assert_eq!(field(set, 0, "_id"), &Value::Text("ann".into()));
    assert_eq!(field(set, 0, "spent"), &Value::Int(15));

    let out = run_on(&s, "db.people.countDocuments({city: 'oslo'}); db.people.estimatedDocumentCount(); db.people.distinct('city')").await.ok();
    assert_eq!(out.results.len(), 3);
    assert_eq!(field(&out.results[0], 0, "count"), &Value::Int(2));
    assert_eq!(field(&out.results[1], 0, "count"), &Value::Int(3));
    assert_eq!(out.results[2].rows.len(), 2);

    let out = run_on(&s, "db.people.updateOne({_id: 1}, {$inc: {age: 1}})")
        .await
        .ok();
    assert_eq!(field(&out.results[0], 0, "matchedCount"), &Value::Int(1));
    assert_eq!(field(&out.results[0], 0, "modifiedCount"), &Value::Int(1));
    let out = run_on(
        &s,
        "db.people.updateMany({city: 'oslo'}, {$set: {nordic: true}})",
    )
    .await
    .ok();
    assert_eq!(out.results[0].rows_affected, Some(2));
    let out = run_on(
        &s,
        "db.people.updateOne({_id: 9}, {$set: {name: 'new'}}, {upsert: true})",
    )
    .await
    .ok();
    assert_eq!(field(&out.results[0], 0, "upsertedCount"), &Value::Int(1));
    assert_eq!(field(&out.results[0], 0, "upsertedId"), &Value::Int(9));
    let out = run_on(&s, "db.people.replaceOne({_id: 9}, {name: 'replaced'})")
        .await
        .ok();
    assert_eq!(field(&out.results[0], 0, "modifiedCount"), &Value::Int(1));
    let out = run_on(
        &s,
        "db.people.findOneAndUpdate({_id: 2}, {$set: {age: 26}}, {returnNewDocument: true})",
    )
    .await
    .ok();
    assert_eq!(field(&out.results[0], 0, "age"), &Value::Int(26));
    let out = run_on(&s, "db.people.findOneAndReplace({_id: 9}, {name: 'again'})")
        .await
        .ok();
    assert_eq!(
        field(&out.results[0], 0, "name"),
        &Value::Text("replaced".into())
    );
    let out = run_on(&s, "db.people.findOneAndDelete({_id: 9})")
        .await
        .ok();
    assert_eq!(
        field(&out.results[0], 0, "name"),
        &Value::Text("again".into())
    );
    let out = run_on(
        &s,
        "db.people.deleteOne({_id: 3}); db.people.deleteMany({})",
    )
    .await
    .ok();
    assert_eq!(field(&out.results[0], 0, "deletedCount"), &Value::Int(1));
    assert_eq!(field(&out.results[1], 0, "deletedCount"), &Value::Int(2));

    let out = run_on(&s, "db.people.bulkWrite([{insertOne: {document: {_id: 10, n: 1}}}, {insertOne: {document: {_id: 11, n: 2}}}, {updateOne: {filter: {_id: 10}, update: {$set: {n: 5}}}}, {deleteOne: {filter: {_id: 11}}}])").await.ok();
    let set = &out.results[0];
    assert_eq!(field(set, 0, "insertedCount"), &Value::Int(2));
    assert_eq!(field(set, 0, "modifiedCount"), &Value::Int(1));
    assert_eq!(field(set, 0, "deletedCount"), &Value::Int(1));

    let out = run_on(
        &s,
        "db.people.createIndex({n: 1}, {unique: true}); db.people.getIndexes()",
    )
    .await
    .ok();
    assert_eq!(
        field(&out.results[0], 0, "name"),
        &Value::Text("n_1".into())
    );
    assert_eq!(out.results[1].rows.len(), 2);
    run_on(&s, "db.people.dropIndex('n_1')").await.ok();

    let out = run_on(&s, "db.createCollection('capped', {capped: true, size: 65536}); db.getCollectionNames(); show collections").await.ok();
    assert!(out.results[1].rows.len() >= 3);
    let out = run_on(
        &s,
        "db.runCommand({ping: 1}); db.adminCommand({listDatabases: 1, nameOnly: true}); show dbs",
    )
    .await
    .ok();
    assert_eq!(out.results.len(), 3);
    assert!(
        out.results[2]
            .rows
            .iter()
            .any(|r| r.contains(&Value::Text("dbhive_t_shell".into())))
    );

    let out = run_on(&s, "db['odd name'].insertOne({x: 1}); db.getCollection('odd name').find(); db.getSiblingDB('dbhive_t_shell')['odd name'].countDocuments({})").await.ok();
    assert_eq!(out.results[1].rows.len(), 1);
    assert_eq!(field(&out.results[2], 0, "count"), &Value::Int(1));
    // A second drop is not an error: MongoDB 7 and later (and this server) answer ok.
    let out = run_on(&s, "db.people.drop(); db.people.drop()").await.ok();
    assert_eq!(field(&out.results[0], 0, "dropped"), &Value::Bool(true));

    // `use` switches the tab's database for the statements after it, and the next run.
    let out = run_on(&s, "use dbhive_t_shell_other\ndb.c.insertOne({a: 1})")
        .await
        .ok();
    assert_eq!(
        out.notices[0].message,
        "switched to db dbhive_t_shell_other"
    );
    let out = run_on(&s, "db.c.countDocuments({})").await.ok();
    assert_eq!(field(&out.results[0], 0, "count"), &Value::Int(1));
    run_on(&s, "db.dropDatabase()").await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_typed_and_positioned() {
    let conn = mongo().await;
    let s = fresh(&conn, "dbhive_t_errors").await;
    run_on(&s, "db.u.insertOne({_id: 1})").await.ok();
    let e = run_on(&s, "db.u.find()\ndb.u.insertOne({_id: 1})")
        .await
        .err();
    assert_eq!(e.kind, ErrorKind::Constraint, "{e:?}");
    assert_eq!(e.code.as_deref(), Some("11000"));
    assert!(e.message.starts_with("line 2"), "{}", e.message);
    assert_eq!(e.position, Some(13), "the failing statement is marked");

    let e = run_on(&s, "db.u.find({a: 1").await.err();
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert_eq!(e.position, Some(11));

    let e = run_on(&s, "db.u.aggregate([{$frobnicate: {}}])")
        .await
        .err();
    assert_eq!(e.kind, ErrorKind::Query, "{e:?}");
    // The session is still usable.
    run_on(&s, "db.u.find()").await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn columns_grow_as_new_fields_appear() {
    let conn = mongo().await;
    let s = fresh(&conn, "dbhive_t_columns").await;
    let docs: Vec<String> = (0..3000)
        .map(|i| {
            if i == 2500 {
                format!("{{_id: {i}, late: 'here'}}")
            } else {
                format!("{{_id: {i}, a: {i}}}")
            }
        })
        .collect();
    run_on(&s, &format!("db.c.insertMany([{}])", docs.join(",")))
        .await
        .ok();
    let stream = s.clone().execute(
        "db.c.find().sort({_id: 1}).batchSize(100)".into(),
        QueryOptions::default(),
    );
    let mut stream = stream;
    let mut added_at = None;
    let mut rows = 0u64;
    while let Some(event) = stream.next().await {
        match event {
            QueryEvent::Rows(b) => rows += b.len() as u64,
            QueryEvent::ColumnsAdded { columns, .. } => {
                assert_eq!(columns[0].name, "late");
                added_at = Some(rows);
            }
            QueryEvent::Error(e) => panic!("{e:?}"),
            _ => {}
        }
    }
    assert_eq!(
        added_at,
        Some(2500),
        "the column arrives with the document that has it"
    );
    let out = run_on(&s, "db.c.find().sort({_id: 1})").await.ok();
    let set = &out.results[0];
    assert_eq!(
        set.columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["", "_id", "a", "late"]
    );
    assert_eq!(field(set, 0, "late"), &Value::Missing, "absent, not null");
    assert_eq!(field(set, 2500, "a"), &Value::Missing);
    assert_eq!(field(set, 2500, "late"), &Value::Text("here".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_15_mb_document_goes_in_and_comes_back() {
    let conn = mongo().await;
    let s = fresh(&conn, "dbhive_t_big").await;
    let big = "x".repeat(15 << 20);
    let out = run_on(&s, &format!("db.b.insertOne({{_id: 1, blob: '{big}'}})"))
        .await
        .ok();
    assert_eq!(out.results[0].rows_affected, Some(1));
    let out = run_on(&s, "db.b.find()").await.ok();
    assert!(matches!(field(&out.results[0], 0, "blob"), Value::Text(t) if t.len() == big.len()));
}

/// Cancel mid-stream: rows stop, the cursor is killed on the server (its open cursors go
/// back to what they were), and the tab's session runs the next query. SecantusDB answers
/// `$currentOp` and `killOp` without stopping anything, so what the server-side kill of a
/// running operation does is not observable here; the cursor is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_kills_the_cursor_and_the_session_goes_on() {
    let conn = mongo().await;
    let s = fresh(&conn, "dbhive_t_cancel").await;
    let docs: Vec<String> = (0..20_000)
        .map(|i| format!("{{_id: {i}, pad: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'}}"))
        .collect();
    for chunk in docs.chunks(5000) {
        run_on(&s, &format!("db.c.insertMany([{}])", chunk.join(",")))
            .await
            .ok();
    }
    let open_cursors = || async {
        let out = run_on(&s, "db.adminCommand({serverStatus: 1})").await.ok();
        let metrics = match field(&out.results[0], 0, "metrics") {
            Value::Json(j) => j.clone(),
            other => panic!("{other:?}"),
        };
        let v: serde_json::Value = serde_json::from_str(&metrics).expect("json");
        v["cursor"]["open"]["total"].as_i64().expect("open cursors")
    };
    let before = open_cursors().await;
    let mut stream = s
        .clone()
        .execute("db.c.find().batchSize(50)".into(), QueryOptions::default());
    let handle = stream.handle();
    let mut rows = 0;
    let mut cancelled = false;
    while let Some(event) = within("the cancelled stream ends", stream.next()).await {
        match event {
            QueryEvent::Rows(b) => {
                rows += b.len();
                if rows >= 100 {
                    handle.cancel();
                }
            }
            QueryEvent::Done { cancelled: c, .. } => cancelled = c,
            _ => {}
        }
    }
    assert!(cancelled);
    assert!(rows < 20_000, "stopped early, at {rows}");
    let mut after = open_cursors().await;
    for _ in 0..50 {
        if after <= before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = open_cursors().await;
    }
    assert!(
        after <= before,
        "the cursor was killed: {before} open before, {after} after"
    );
    let out = run_on(&s, "db.c.countDocuments({})").await.ok();
    assert_eq!(field(&out.results[0], 0, "count"), &Value::Int(20_000));
}

/// MongoDB has no session setting that refuses writes: until DB-Hive refuses write
/// commands itself, the read-only switch refuses to connect rather than be ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_connection_is_refused_until_it_can_be_enforced() {
    let (mut config, secret) = mongo_config();
    config.read_only = true;
    let e = connect_err(&config, secret).await;
    assert_eq!(e.kind, dbhive_core::ErrorKind::Unsupported, "{e}");
}
