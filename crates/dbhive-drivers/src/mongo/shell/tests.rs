//! The parser on every form docs/mongo.md lists, and on malformed input: each error says
//! where (line, column) and what was expected.

use mongodb::bson::{Bson, doc};

use super::*;

fn one(src: &str) -> Action {
    match parse_script(src) {
        Ok(mut s) if s.len() == 1 => s.remove(0).action,
        Ok(s) => panic!("{src}: {} statements", s.len()),
        Err(e) => panic!("{src}: {} at {:?}", e.message, e.line_column(src)),
    }
}

fn coll(src: &str) -> (String, CollOp) {
    match one(src) {
        Action::Db {
            op: DbOp::Collection { name, op },
            ..
        } => (name, op),
        other => panic!("{src}: {other:?}"),
    }
}

#[test]
fn find_with_every_cursor_method() {
    let (name, op) = coll(
        "db.users.find({age: {$gt: 30}, 'name': \"x\",}, {name: 1}).sort({age: -1}).skip(5).limit(10).batchSize(100).hint('age_1').maxTimeMS(500)",
    );
    assert_eq!(name, "users");
    let CollOp::Find(find) = op else {
        panic!("{op:?}")
    };
    assert_eq!(find.filter, doc! { "age": { "$gt": 30 }, "name": "x" });
    assert_eq!(
        find.options,
        doc! { "projection": { "name": 1 }, "sort": { "age": -1 }, "skip": 5_i64, "limit": 10_i64, "batchSize": 100_i64, "hint": "age_1", "maxTimeMS": 500_i64 }
    );
    assert_eq!(find.end, FindEnd::Documents);
    let (_, op) = coll("db.c.find().count()");
    assert!(matches!(
        op,
        CollOp::Find(FindOp {
            end: FindEnd::Count,
            ..
        })
    ));
    let (_, op) = coll("db.c.find({}).explain('executionStats')");
    assert!(
        matches!(op, CollOp::Find(FindOp { end: FindEnd::Explain(ref v), .. }) if v == "executionStats")
    );
    let (_, op) = coll("db.c.find()\n  .sort({a: 1})\n  .limit(2)");
    assert!(matches!(op, CollOp::Find(ref f) if f.options.contains_key("limit")));
}

#[test]
fn collection_names_in_every_spelling() {
    assert_eq!(coll("db[\"odd name\"].find()").0, "odd name");
    assert_eq!(coll("db.getCollection('x.y').findOne()").0, "x.y");
    assert_eq!(coll("db.system.profile.find()").0, "system.profile");
    match one("db.getSiblingDB('other').c.countDocuments({})") {
        Action::Db {
            db,
            op: DbOp::Collection { name, .. },
        } => {
            assert_eq!(db.as_deref(), Some("other"));
            assert_eq!(name, "c");
        }
        other => panic!("{other:?}"),
    }
    match one("db.getSiblingDB('other')['a b'].drop()") {
        Action::Db {
            db: Some(db),
            op:
                DbOp::Collection {
                    name,
                    op: CollOp::Drop,
                },
        } => assert_eq!((db.as_str(), name.as_str()), ("other", "a b")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_method_parses() {
    for src in [
        "db.c.findOne({a: 1}, {b: 1})",
        "db.c.aggregate([{$match: {a: 1}}, {$group: {_id: '$b', n: {$sum: 1}}}], {allowDiskUse: true})",
        "db.c.aggregate([{$lookup: {from: 'o', localField: 'a', foreignField: 'b', as: 'x'}}, {$unwind: '$x'}]).toArray()",
        "db.c.countDocuments({a: 1}, {limit: 5})",
        "db.c.estimatedDocumentCount()",
        "db.c.distinct('a', {b: 1})",
        "db.c.insertOne({a: 1})",
        "db.c.insertMany([{a: 1}, {a: 2}], {ordered: false})",
        "db.c.updateOne({a: 1}, {$set: {b: 2}}, {upsert: true})",
        "db.c.updateMany({}, [{$set: {b: '$a'}}])",
        "db.c.replaceOne({a: 1}, {a: 2})",
        "db.c.deleteOne({a: 1})",
        "db.c.deleteMany({})",
        "db.c.findOneAndUpdate({a: 1}, {$inc: {n: 1}}, {returnNewDocument: true})",
        "db.c.findOneAndReplace({a: 1}, {a: 3})",
        "db.c.findOneAndDelete({a: 1})",
        "db.c.bulkWrite([{insertOne: {document: {a: 1}}}, {updateOne: {filter: {a: 1}, update: {$set: {b: 1}}}}, {deleteMany: {filter: {}}}])",
        "db.c.createIndex({a: 1, b: -1}, {unique: true, name: 'ab'})",
        "db.c.dropIndex('ab')",
        "db.c.getIndexes()",
        "db.c.drop()",
        "db.getCollectionNames()",
        "db.createCollection('logs', {capped: true, size: 1048576})",
        "db.runCommand({ping: 1})",
        "db.adminCommand({listDatabases: 1})",
        "db.runCommand('ping')",
        "show dbs",
        "show databases",
        "show collections",
        "use analytics",
        "db.c.find().pretty()",
    ] {
        assert!(
            parse_script(src).is_ok_and(|s| s.len() == 1),
            "{src}: {:?}",
            parse_script(src).err()
        );
    }
}

#[test]
fn several_statements_split_on_semicolons_and_lines() {
    let src = "use app\ndb.a.find(); db.b.find()\n\n// a comment\ndb.c.insertOne({\n  x: 1\n})\nshow collections";
    let s = parse_script(src).expect("parses");
    assert_eq!(s.len(), 5);
    assert!(matches!(&s[0].action, Action::Use(n) if n == "app"));
    assert_eq!(&src[s[1].start..s[1].end], "db.a.find()");
    assert_eq!(&src[s[3].start..s[3].end], "db.c.insertOne({\n  x: 1\n})");
    assert!(matches!(s[4].action, Action::ShowCollections));
}

fn literal(src: &str) -> Bson {
    match coll(&format!("db.c.insertOne({{v: {src}}})")) {
        (_, CollOp::InsertOne { document }) => document.get("v").cloned().expect("v"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn literals_and_constructors() {
    use mongodb::bson::{
        Binary, DateTime, Decimal128, Regex, Timestamp, oid::ObjectId, spec::BinarySubtype,
    };
    use std::str::FromStr;
    assert_eq!(literal("1"), Bson::Int32(1));
    assert_eq!(literal("-2147483648"), Bson::Int32(i32::MIN));
    assert_eq!(literal("2147483648"), Bson::Double(2147483648.0));
    assert_eq!(literal("1.5"), Bson::Double(1.5));
    assert!(matches!(literal("-0.0"), Bson::Double(f) if f == 0.0 && f.is_sign_negative()));
    assert_eq!(literal("1e3"), Bson::Double(1000.0));
    assert_eq!(literal("0x1F"), Bson::Int32(31));
    assert_eq!(literal("10n"), Bson::Int64(10));
    assert_eq!(literal("-Infinity"), Bson::Double(f64::NEG_INFINITY));
    assert!(matches!(literal("NaN"), Bson::Double(f) if f.is_nan()));
    assert_eq!(literal("'it\\'s'"), Bson::String("it's".into()));
    assert_eq!(
        literal("\"\\u00e9\\n\\ud83d\\ude00\""),
        Bson::String("é\n😀".into())
    );
    assert_eq!(literal("`tmpl`"), Bson::String("tmpl".into()));
    assert_eq!(literal("NumberInt('7')"), Bson::Int32(7));
    assert_eq!(
        literal("NumberLong('9223372036854775807')"),
        Bson::Int64(i64::MAX)
    );
    assert_eq!(
        literal("NumberLong(-9223372036854775808)"),
        Bson::Int64(i64::MIN)
    );
    assert_eq!(
        literal("NumberDecimal('1.50')"),
        Bson::Decimal128(Decimal128::from_str("1.50").expect("dec"))
    );
    assert_eq!(
        literal("ObjectId('5f1d7f1e8c9d440000a1b2c3')"),
        Bson::ObjectId(ObjectId::parse_str("5f1d7f1e8c9d440000a1b2c3").expect("oid"))
    );
    assert!(matches!(literal("ObjectId()"), Bson::ObjectId(_)));
    assert!(matches!(literal("new ObjectId()"), Bson::ObjectId(_)));
    assert_eq!(
        literal("ISODate('2024-01-31T12:00:00Z')"),
        Bson::DateTime(DateTime::from_millis(1_706_702_400_000))
    );
    assert_eq!(
        literal("new Date('1969-12-31T23:59:59.999Z')"),
        Bson::DateTime(DateTime::from_millis(-1))
    );
    assert_eq!(
        literal("new Date(0)"),
        Bson::DateTime(DateTime::from_millis(0))
    );
    assert!(matches!(literal("new Date()"), Bson::DateTime(_)));
    assert_eq!(
        literal("UUID('0123456789abcdef0123456789abcdef')"),
        Bson::Binary(Binary {
            subtype: BinarySubtype::Uuid,
            bytes: (0..16)
                .map(|i| [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef][i % 8])
                .collect()
        })
    );
    assert_eq!(
        literal("BinData(0, 'AQID')"),
        Bson::Binary(Binary {
            subtype: BinarySubtype::Generic,
            bytes: vec![1, 2, 3]
        })
    );
    assert_eq!(
        literal("BinData(128, 'AA==')"),
        Bson::Binary(Binary {
            subtype: BinarySubtype::UserDefined(128),
            bytes: vec![0]
        })
    );
    assert_eq!(
        literal("Timestamp(1, 2)"),
        Bson::Timestamp(Timestamp {
            time: 1,
            increment: 2
        })
    );
    assert_eq!(
        literal("Timestamp({t: 3, i: 4})"),
        Bson::Timestamp(Timestamp {
            time: 3,
            increment: 4
        })
    );
    assert_eq!(literal("MinKey"), Bson::MinKey);
    assert_eq!(literal("MaxKey()"), Bson::MaxKey);
    assert_eq!(
        literal("/ab[/]c/mi"),
        Bson::RegularExpression(Regex {
            pattern: "ab[/]c".into(),
            options: "im".into()
        })
    );
    assert_eq!(
        literal("[1, 'a', null, true, undefined,]"),
        Bson::Array(vec![
            Bson::Int32(1),
            Bson::String("a".into()),
            Bson::Null,
            Bson::Boolean(true),
            Bson::Undefined
        ])
    );
    assert_eq!(
        literal("{ /* c */ a: 1, // c\n 'b c': 2, 3: 4, $x: 5 }"),
        Bson::Document(doc! { "a": 1, "b c": 2, "3": 4, "$x": 5 })
    );
}

/// Malformed input, each with the line and column of the problem and words the message must
/// hold.
#[test]
fn malformed_input_gives_positioned_errors() {
    let cases: &[(&str, (usize, usize), &str)] = &[
        ("db.c.find({a: 1", (1, 11), "not closed"),
        ("db.c.find({a 1})", (1, 14), "expected ':'"),
        ("db.c.find({a: })", (1, 15), "expected a value"),
        ("db.c.find({a: 1 b: 2})", (1, 17), "',' or '}'"),
        ("db.c.find([1,,2])", (1, 14), "holes"),
        ("db.c.fnd()", (1, 6), "unknown collection method 'fnd()'"),
        (
            "db.c.find().sorted({a: 1})",
            (1, 13),
            "unknown cursor method",
        ),
        ("db.c.find('x')", (1, 11), "filter as a document"),
        ("db.c.insertOne()", (1, 6), "needs the document"),
        ("db.c.insertMany({a: 1})", (1, 17), "documents as an array"),
        (
            "db.c.updateOne({a: 1}, {b: 2})",
            (1, 24),
            "operators such as $set",
        ),
        (
            "db.c.replaceOne({a: 1}, {$set: {b: 2}})",
            (1, 25),
            "cannot hold the operator",
        ),
        ("db.c.find({a: 'open})", (1, 15), "not closed"),
        (
            "db.c.find({a: /x})",
            (1, 15),
            "regular expression is not closed",
        ),
        ("db.c.find({a: ObjectId('123')})", (1, 24), "24 hexadecimal"),
        (
            "db.c.find({a: ISODate('yesterday')})",
            (1, 23),
            "expected a date",
        ),
        ("db.c.find({a: NumberInt(3000000000)})", (1, 24), "32-bit"),
        ("db.c.find({a: foo})", (1, 15), "unknown name 'foo'"),
        (
            "db.c.find({a: Foo(1)})",
            (1, 18),
            "unknown function 'Foo()'",
        ),
        (
            "db.c.find({$where: function() { return 1 }})",
            (1, 20),
            "functions are not supported",
        ),
        ("db.c.find({a: 1})\n  .limit('x')", (2, 10), "whole number"),
        ("var x = 1", (1, 1), "JavaScript"),
        ("select * from t", (1, 1), "db., show or use"),
        ("show tables please", (1, 6), "not supported"),
        ("use", (1, 4), "database name"),
        ("use my db", (1, 5), "not a database name"),
        ("db", (1, 3), "after db"),
        ("db.c", (1, 5), "method call"),
        ("db.c.find() db.d.find()", (1, 13), "';' or a new line"),
        (
            "db.c.find({a: 1}) /* open",
            (1, 19),
            "comment is not closed",
        ),
        ("db.c.find({a: 1e})", (1, 17), "exponent"),
        (
            "db.c.find({a: 12abc})",
            (1, 17),
            "followed directly by a letter",
        ),
        ("db.c.find({a: '\\u12'})", (1, 16), "hexadecimal digits"),
        ("db.c.find({a: UUID('xyz')})", (1, 20), "32 hexadecimal"),
        ("db.c.find({a: BinData(0, '***')})", (1, 26), "base64"),
        ("db.c.find({a: /x/q})", (1, 18), "flag"),
        (
            "db.c.find({a: 1}).count().limit(1)",
            (1, 27),
            "nothing can follow count()",
        ),
        (
            "db.c.aggregate({$match: {}})",
            (1, 16),
            "pipeline as an array",
        ),
        ("db.c.aggregate([1])", (1, 16), "must be a document"),
        (
            "db.c.bulkWrite([{frobnicate: {}}])",
            (1, 16),
            "bulkWrite operation",
        ),
        ("db.c.createIndex({})", (1, 18), "at least one key"),
        ("db.c.find({}, {}, {}, {})", (1, 23), "at most 3"),
        (
            "db.getSiblingDB(1).c.find()",
            (1, 17),
            "database name as a string",
        ),
        ("db.frob()", (1, 4), "unknown database method"),
        (
            "db.c.find({a: 1})\n\ndb.d.find({\n  b: [1, 2\n})",
            (5, 1),
            "',' or ']'",
        ),
        (
            "db.c.find({a: 1}) ; db.c.find({é: ï})",
            (1, 35),
            "unknown name 'ï'",
        ),
        ("db.c.find({a: 1}) #", (1, 19), "unexpected character"),
    ];
    assert!(cases.len() >= 30);
    let mut wrong = Vec::new();
    for (src, (line, column), words) in cases {
        match parse_script(src) {
            Ok(s) => wrong.push(format!("{src:?}: parsed as {s:?}")),
            Err(e) if e.line_column(src) != (*line, *column) || !e.message.contains(words) => wrong
                .push(format!(
                    "{src:?}: at {:?}: {}",
                    e.line_column(src),
                    e.message
                )),
            Err(_) => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    for (src, (line, column), _) in cases {
        let Err(e) = parse_script(src) else { continue };
        let db_error = e.clone().into_db_error(src);
        assert_eq!(db_error.kind, dbhive_core::ErrorKind::Syntax);
        assert!(
            db_error
                .message
                .starts_with(&format!("line {line}, column {column}: ")),
            "{}",
            db_error.message
        );
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!("db.c.find({}{})", "[".repeat(100_000), "]".repeat(100_000));
    let e = parse_script(&deep).expect_err("too deep");
    assert!(e.message.contains("nested more than"), "{}", e.message);
}

mod property {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        /// Whatever the text, the parser returns (no panic), and an error's offset is inside it.
        #[test]
        fn never_panics(src in "\\PC{0,200}") {
            if let Err(e) = parse_script(&src) {
                prop_assert!(e.offset <= src.len());
                let _ = e.into_db_error(&src);
            }
        }

        /// Shell-shaped noise: fragments of the grammar in random order.
        #[test]
        fn never_panics_on_shell_fragments(parts in proptest::collection::vec(prop_oneof![
            Just("db"), Just("."), Just("c"), Just("find"), Just("("), Just(")"), Just("{"), Just("}"),
            Just("["), Just("]"), Just(","), Just(":"), Just("'s'"), Just("1"), Just("-"), Just("/r/"),
            Just("ObjectId"), Just("new"), Just("Date"), Just("\n"), Just(";"), Just("show"), Just("use"),
            Just("$x"), Just("/*"), Just("*/"), Just("//"), Just("NumberLong"), Just("aggregate"), Just("1e"),
        ], 0..40)) {
            let src: String = parts.concat();
            if let Err(e) = parse_script(&src) {
                prop_assert!(e.offset <= src.len());
            }
        }
    }
}
