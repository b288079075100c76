//! A collection's "DDL": the shell calls that recreate it (createCollection with its
//! options, createIndex for each index), in the syntax DB-Hive's shell reads back.

use dbhive_core::{DbError, DbResult};
use mongodb::Database;
use mongodb::bson::Bson;

use super::catalog::{collections, indexes};
use super::ejson;

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

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::doc;

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
