//! Fields inferred from a `$sample` of a collection's documents: every dotted path with
//! its types and how often it occurs, as Compass's schema view shows them. Bounded in paths
//! and depth whatever the documents hold.

use std::collections::BTreeMap;

use dbhive_core::{ColumnInfo, DbResult};
use mongodb::Database;
use mongodb::bson::{RawBsonRef, RawDocument, doc};

use super::catalog::bounded;
use super::cells::type_name;

/// Documents `$sample` reads to infer fields.
pub const FIELD_SAMPLE: i64 = 1000;
/// Bounds of field inference, whatever the documents hold.
const MAX_FIELD_PATHS: usize = 5000;
const MAX_FIELD_DEPTH: usize = 20;

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
                choices: None,
            }
        })
        .collect()
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
}
