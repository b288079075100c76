//! Documents as rows: the first cell holds the raw document (for the JSON view and JSON
//! output), the others its top-level fields, one column per field name seen so far in the
//! result. A field first met at document 50,000 adds a column there; documents without a
//! field hold `Value::Missing` in its column.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use dbhive_core::query::{EventSink, RowOutcome};
use dbhive_core::{Column, Value};
use mongodb::bson::RawBsonRef;
use mongodb::bson::RawDocument;
use mongodb::bson::spec::BinarySubtype;

use super::dates;
use super::ejson::{self, JsonMode};

/// The name of the document column; no field can have it (BSON keys are C strings, and
/// this one is empty, which the server refuses as a field name in most places).
pub const DOCUMENT_COLUMN: &str = "";

/// The BSON type name mongosh's `$type` uses for a value.
pub fn type_name(v: &RawBsonRef<'_>) -> &'static str {
    match v {
        RawBsonRef::Double(_) => "double",
        RawBsonRef::String(_) => "string",
        RawBsonRef::Document(_) => "object",
        RawBsonRef::Array(_) => "array",
        RawBsonRef::Binary(b) if b.subtype == BinarySubtype::Uuid => "uuid",
        RawBsonRef::Binary(_) => "binData",
        RawBsonRef::Undefined => "undefined",
        RawBsonRef::ObjectId(_) => "objectId",
        RawBsonRef::Boolean(_) => "bool",
        RawBsonRef::DateTime(_) => "date",
        RawBsonRef::Null => "null",
        RawBsonRef::RegularExpression(_) => "regex",
        RawBsonRef::DbPointer(_) => "dbPointer",
        RawBsonRef::JavaScriptCode(_) => "javascript",
        RawBsonRef::Symbol(_) => "symbol",
        RawBsonRef::JavaScriptCodeWithScope(_) => "javascriptWithScope",
        RawBsonRef::Int32(_) => "int",
        RawBsonRef::Timestamp(_) => "timestamp",
        RawBsonRef::Int64(_) => "long",
        RawBsonRef::Decimal128(_) => "decimal",
        RawBsonRef::MinKey => "minKey",
        RawBsonRef::MaxKey => "maxKey",
    }
}

fn other(type_name: &str, text: String) -> Value {
    Value::Other {
        type_name: Arc::from(type_name),
        text,
    }
}

fn uuid_text(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// One field's value as a grid cell, in mongosh's spelling where the type is not plain
/// (`ObjectId('...')`, `Timestamp({ t: 1, i: 2 })`); documents and arrays as compact
/// Extended JSON that keeps their types.
pub fn cell(v: RawBsonRef<'_>) -> Value {
    match v {
        RawBsonRef::Double(f) => Value::Float(f),
        RawBsonRef::String(s) => Value::Text(s.to_string()),
        RawBsonRef::Document(_) | RawBsonRef::Array(_) => {
            Value::Json(ejson::value(v, JsonMode::Typed))
        }
        RawBsonRef::Boolean(b) => Value::Bool(b),
        RawBsonRef::Null => Value::Null,
        RawBsonRef::Int32(n) => Value::Int(i64::from(n)),
        RawBsonRef::Int64(n) => Value::Int(n),
        RawBsonRef::Decimal128(d) => Value::Decimal(d.to_string()),
        RawBsonRef::DateTime(d) => {
            let ms = d.timestamp_millis();
            if dates::relaxed_range(ms) || (-62_167_219_200_000..0).contains(&ms) {
                Value::TimestampTz(dates::iso(ms, true))
            } else {
                other("date", format!("new Date({ms})"))
            }
        }
        RawBsonRef::ObjectId(oid) => other("objectId", format!("ObjectId('{}')", oid.to_hex())),
        RawBsonRef::Binary(b) if b.subtype == BinarySubtype::Uuid && b.bytes.len() == 16 => {
            Value::Uuid(uuid_text(b.bytes))
        }
        RawBsonRef::Binary(b) => other(
            "binData",
            format!(
                "Binary.createFromBase64('{}', {})",
                base64::engine::general_purpose::STANDARD.encode(b.bytes),
                u8::from(b.subtype)
            ),
        ),
        RawBsonRef::RegularExpression(r) => other("regex", format!("/{}/{}", r.pattern, r.options)),
        RawBsonRef::JavaScriptCode(code) => {
            let mut quoted = String::new();
            ejson::write_string(code, &mut quoted);
            other("javascript", format!("Code({quoted})"))
        }
        RawBsonRef::Timestamp(t) => other(
            "timestamp",
            format!("Timestamp({{ t: {}, i: {} }})", t.time, t.increment),
        ),
        RawBsonRef::MinKey => other("minKey", "MinKey()".into()),
        RawBsonRef::MaxKey => other("maxKey", "MaxKey()".into()),
        RawBsonRef::Undefined => other("undefined", "undefined".into()),
        _ => other(type_name(&v), ejson::value(v, JsonMode::Canonical)),
    }
}

/// Writes one document result to a sink, growing its columns as fields appear.
pub struct DocumentWriter {
    index: HashMap<String, usize>,
    width: usize,
    started: bool,
    row: Vec<Value>,
    pub documents: u64,
}

impl Default for DocumentWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl DocumentWriter {
    pub fn new() -> Self {
        DocumentWriter {
            index: HashMap::new(),
            width: 1,
            started: false,
            row: Vec::new(),
            documents: 0,
        }
    }

    fn document_column() -> Column {
        let mut c = Column::new(DOCUMENT_COLUMN, "document");
        c.document = true;
        c
    }

    /// Starts the result, with the fields of `first` (if any) as its first columns, so an
    /// ordinary result opens with all its columns known.
    pub async fn start(&mut self, sink: &mut EventSink, first: Option<&RawDocument>) {
        let mut columns = vec![Self::document_column()];
        if let Some(doc) = first {
            columns.extend(self.new_columns(doc));
        }
        self.width = columns.len();
        self.started = true;
        sink.start_result(columns).await;
    }

    fn new_columns(&mut self, doc: &RawDocument) -> Vec<Column> {
        let mut added = Vec::new();
        for (key, value) in doc.into_iter().flatten() {
            if !self.index.contains_key(key) {
                let at = 1 + self.index.len();
                self.index.insert(key.to_string(), at);
                added.push(Column::new(key, type_name(&value)));
            }
        }
        added
    }

    /// Adds one document as a row; says whether the sink wants a flush.
    pub async fn push(&mut self, sink: &mut EventSink, doc: &RawDocument) -> RowOutcome {
        if !self.started {
            self.start(sink, Some(doc)).await;
        } else {
            let added = self.new_columns(doc);
            if !added.is_empty() {
                self.width += added.len();
                sink.add_columns(added).await;
            }
        }
        self.row.clear();
        self.row.resize(self.width, Value::Missing);
        self.row[0] = Value::Bytes(doc.as_bytes().to_vec());
        for element in doc {
            match element {
                Ok((key, value)) => {
                    if let Some(&i) = self.index.get(key) {
                        self.row[i] = cell(value);
                    }
                }
                Err(_) => break,
            }
        }
        for value in self.row.drain(..) {
            sink.push(value);
        }
        self.documents += 1;
        sink.end_row()
    }

    /// Ends the result (starting it first if no document came).
    pub async fn finish(&mut self, sink: &mut EventSink, command: &str, affected: Option<u64>) {
        if !self.started {
            self.start(sink, None).await;
        }
        sink.end_result(Some(command.to_string()), affected, None)
            .await;
    }
}
