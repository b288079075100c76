//! Statements: `show dbs`, `use x`, and `db...` chains, checked method by method so that a
//! wrong name or argument is reported where it is, with what was expected.

use mongodb::bson::{Bson, Document};

use super::lexer::Tok;
use super::literal::as_integer;
use super::{ParseError, Parser};

/// One statement of a script, with where it is (byte offsets).
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub start: usize,
    pub end: usize,
    pub action: Action,
}

// A script holds a handful of statements: their size does not matter, boxing would.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    ShowDatabases,
    ShowCollections,
    Use(String),
    /// An operation on a database: the session's, or `getSiblingDB`'s.
    Db {
        db: Option<String>,
        op: DbOp,
    },
}

#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum DbOp {
    GetCollectionNames,
    CreateCollection { name: String, options: Document },
    RunCommand { command: Document },
    AdminCommand { command: Document },
    DropDatabase,
    Stats,
    Collection { name: String, op: CollOp },
}

/// `find` and the cursor methods chained to it.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct FindOp {
    pub filter: Document,
    /// The options of the `find` command: projection, sort, skip, limit, batchSize, hint,
    /// collation, maxTimeMS, comment.
    pub options: Document,
    pub end: FindEnd,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub enum FindEnd {
    #[default]
    Documents,
    Count,
    /// `explain(verbosity)`.
    Explain(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum FindOneAndKind {
    Update(Bson),
    Replace(Document),
    Delete,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CollOp {
    Find(FindOp),
    FindOne {
        filter: Document,
        options: Document,
    },
    Aggregate {
        pipeline: Vec<Document>,
        options: Document,
        explain: Option<String>,
    },
    CountDocuments {
        filter: Document,
        options: Document,
    },
    EstimatedDocumentCount {
        options: Document,
    },
    Distinct {
        field: String,
        filter: Document,
        options: Document,
    },
    InsertOne {
        document: Document,
    },
    InsertMany {
        documents: Vec<Document>,
        options: Document,
    },
    /// updateOne / updateMany: the update is a document or a pipeline.
    Update {
        filter: Document,
        update: Bson,
        options: Document,
        multi: bool,
    },
    ReplaceOne {
        filter: Document,
        replacement: Document,
        options: Document,
    },
    Delete {
        filter: Document,
        options: Document,
        multi: bool,
    },
    FindOneAnd {
        kind: FindOneAndKind,
        filter: Document,
        options: Document,
    },
    BulkWrite {
        operations: Vec<Document>,
        options: Document,
    },
    CreateIndex {
        keys: Document,
        options: Document,
    },
    DropIndex {
        index: Bson,
    },
    GetIndexes,
    Drop,
}

const COLLECTION_METHODS: &str = "find, findOne, aggregate, countDocuments, estimatedDocumentCount, distinct, insertOne, insertMany, updateOne, updateMany, replaceOne, deleteOne, deleteMany, findOneAndUpdate, findOneAndReplace, findOneAndDelete, bulkWrite, createIndex, dropIndex, getIndexes, drop";
const DB_METHODS: &str = "getCollection, getSiblingDB, getCollectionNames, createCollection, runCommand, adminCommand, dropDatabase, stats, or a collection name";
const FIND_METHODS: &str = "sort, skip, limit, batchSize, projection, hint, collation, maxTimeMS, comment, count, explain, toArray, pretty";

/// The arguments of one method call, for checking them.
struct Call {
    method: String,
    at: usize,
    args: Vec<(Bson, usize)>,
}

impl Call {
    fn at_most(&self, n: usize) -> Result<(), ParseError> {
        match self.args.get(n) {
            Some((_, at)) => Err(ParseError::new(
                *at,
                format!(
                    "{}() takes at most {n} argument{}",
                    self.method,
                    if n == 1 { "" } else { "s" }
                ),
            )),
            None => Ok(()),
        }
    }

    fn missing(&self, what: &str) -> ParseError {
        ParseError::new(self.at, format!("{}() needs {what}", self.method))
    }

    /// Argument `i` as a document; `{}` when absent and optional.
    fn doc(&self, i: usize, what: &str, required: bool) -> Result<Document, ParseError> {
        match self.args.get(i) {
            Some((Bson::Document(d), _)) => Ok(d.clone()),
            Some((_, at)) => Err(ParseError::new(
                *at,
                format!("expected {what} as a document {{...}} in {}()", self.method),
            )),
            None if required => Err(self.missing(&format!("{what} (a document)"))),
            None => Ok(Document::new()),
        }
    }

    fn docs(&self, i: usize, what: &str) -> Result<Vec<Document>, ParseError> {
        match self.args.get(i) {
            Some((Bson::Array(items), at)) => items
                .iter()
                .map(|item| match item {
                    Bson::Document(d) => Ok(d.clone()),
                    _ => Err(ParseError::new(
                        *at,
                        format!(
                            "every item of {what} in {}() must be a document",
                            self.method
                        ),
                    )),
                })
                .collect(),
            Some((_, at)) => Err(ParseError::new(
                *at,
                format!("expected {what} as an array [...] in {}()", self.method),
            )),
            None => Err(self.missing(&format!("{what} (an array)"))),
        }
    }

    fn string(&self, i: usize, what: &str) -> Result<String, ParseError> {
        match self.args.get(i) {
            Some((Bson::String(s), _)) => Ok(s.clone()),
            Some((_, at)) => Err(ParseError::new(
                *at,
                format!("expected {what} as a string in {}()", self.method),
            )),
            None => Err(self.missing(&format!("{what} (a string)"))),
        }
    }

    fn whole(&self, i: usize, what: &str) -> Result<i64, ParseError> {
        match self.args.get(i) {
            Some((v, at)) => as_integer(v).ok_or_else(|| {
                ParseError::new(
                    *at,
                    format!("expected {what} as a whole number in {}()", self.method),
                )
            }),
            None => Err(self.missing(&format!("{what} (a number)"))),
        }
    }

    fn value(&self, i: usize, what: &str) -> Result<Bson, ParseError> {
        self.args
            .get(i)
            .map(|(v, _)| v.clone())
            .ok_or_else(|| self.missing(what))
    }
}

impl Parser<'_> {
    pub fn statement(&mut self) -> Result<Statement, ParseError> {
        let start = self.tok.start;
        let action = match self.tok.tok.clone() {
            Tok::Ident(word) if word == "show" => {
                let (at, what) = self.rest_of_line_after_current()?;
                match what.as_str() {
                    "dbs" | "databases" => Action::ShowDatabases,
                    "collections" | "tables" => Action::ShowCollections,
                    "" => {
                        return Err(ParseError::new(
                            at,
                            "expected what to show: dbs or collections",
                        ));
                    }
                    other => {
                        return Err(ParseError::new(
                            at,
                            format!(
                                "'show {other}' is not supported: use show dbs or show collections"
                            ),
                        ));
                    }
                }
            }
            Tok::Ident(word) if word == "use" => {
                let (at, name) = self.rest_of_line_after_current()?;
                if name.is_empty() {
                    return Err(ParseError::new(at, "expected a database name after 'use'"));
                }
                if name.contains([' ', '\t', '/', '\\', '.', '"', '$']) {
                    return Err(ParseError::new(
                        at,
                        format!(
                            "'{name}' is not a database name (no spaces, '.', '/', '\\', '\"' or '$')"
                        ),
                    ));
                }
                Action::Use(name)
            }
            Tok::Ident(word) if word == "db" => {
                self.advance()?;
                self.db_chain()?
            }
            Tok::Ident(word)
                if matches!(
                    word.as_str(),
                    "var"
                        | "let"
                        | "const"
                        | "function"
                        | "for"
                        | "if"
                        | "while"
                        | "print"
                        | "printjson"
                ) =>
            {
                return Err(ParseError::new(
                    start,
                    format!(
                        "'{word}' is JavaScript, which DB-Hive does not run: statements start with db., show or use"
                    ),
                ));
            }
            _ => return Err(self.unexpected("a statement starting with db., show or use")),
        };
        Ok(Statement {
            start,
            end: self.prev_end.max(start),
            action,
        })
    }

    /// A name after `.`, or a string in `[...]`.
    fn member(&mut self) -> Result<Option<(String, usize)>, ParseError> {
        if self.is_punct('.') {
            self.advance()?;
            let at = self.tok.start;
            return match self.tok.tok.clone() {
                Tok::Ident(name) => {
                    self.advance()?;
                    Ok(Some((name, at)))
                }
                _ => Err(self.unexpected("a name after '.'")),
            };
        }
        if self.is_punct('[') {
            self.advance()?;
            let at = self.tok.start;
            let name = match self.tok.tok.clone() {
                Tok::Str(s) => s,
                _ => return Err(self.unexpected("a collection name as a string in [...]")),
            };
            self.advance()?;
            self.expect_punct(']', "to close [...]")?;
            return Ok(Some((name, at)));
        }
        Ok(None)
    }

    fn call(&mut self, method: String, at: usize) -> Result<Call, ParseError> {
        let args = self.call_args()?;
        Ok(Call { method, at, args })
    }

    fn db_chain(&mut self) -> Result<Action, ParseError> {
        let mut db: Option<String> = None;
        // Names read so far that are not calls: a collection name, dots included
        // (`db.system.profile.find()`).
        let mut path: Vec<String> = Vec::new();
        let mut collection: Option<String> = None;
        loop {
            let Some((name, at)) = self.member()? else {
                return Err(match (&collection, path.is_empty()) {
                    (None, true) => {
                        self.unexpected(&format!("'.' and a method after db ({DB_METHODS})"))
                    }
                    _ => self.unexpected(&format!("a method call ({COLLECTION_METHODS})")),
                });
            };
            if !self.is_punct('(') {
                if collection.is_some() {
                    return Err(ParseError::new(
                        at,
                        format!(
                            "expected a method call on the collection ({COLLECTION_METHODS}), found '{name}'"
                        ),
                    ));
                }
                path.push(name);
                continue;
            }
            if collection.is_none() && !path.is_empty() {
                collection = Some(path.join("."));
            }
            let call = self.call(name, at)?;
            if let Some(coll) = collection.take() {
                let op = self.collection_op(call)?;
                return Ok(Action::Db {
                    db,
                    op: DbOp::Collection { name: coll, op },
                });
            }
            match call.method.as_str() {
                "getSiblingDB" | "getDB" => {
                    call.at_most(1)?;
                    db = Some(call.string(0, "the database name")?);
                }
                "getCollection" => {
                    call.at_most(1)?;
                    collection = Some(call.string(0, "the collection name")?);
                    let Some((method, at)) = self.member()? else {
                        return Err(
                            self.unexpected(&format!("a method call ({COLLECTION_METHODS})"))
                        );
                    };
                    if !self.is_punct('(') {
                        return Err(ParseError::new(
                            at,
                            format!(
                                "expected a method call ({COLLECTION_METHODS}), found '{method}'"
                            ),
                        ));
                    }
                    let call = self.call(method, at)?;
                    let op = self.collection_op(call)?;
                    return Ok(Action::Db {
                        db,
                        op: DbOp::Collection {
                            name: collection.take().unwrap_or_default(),
                            op,
                        },
                    });
                }
                _ => {
                    let op = self.db_op(call)?;
                    self.no_chain()?;
                    return Ok(Action::Db { db, op });
                }
            }
        }
    }

    fn db_op(&mut self, call: Call) -> Result<DbOp, ParseError> {
        Ok(match call.method.as_str() {
            "getCollectionNames" => {
                call.at_most(0)?;
                DbOp::GetCollectionNames
            }
            "createCollection" => {
                call.at_most(2)?;
                DbOp::CreateCollection {
                    name: call.string(0, "the collection name")?,
                    options: call.doc(1, "the options", false)?,
                }
            }
            "runCommand" | "adminCommand" => {
                call.at_most(1)?;
                let command = match call.args.first() {
                    // db.runCommand("ping") is { ping: 1 }.
                    Some((Bson::String(name), _)) => {
                        let mut d = Document::new();
                        d.insert(name.clone(), 1);
                        d
                    }
                    _ => call.doc(0, "the command", true)?,
                };
                if command.is_empty() {
                    return Err(ParseError::new(call.at, "the command document is empty"));
                }
                if call.method == "runCommand" {
                    DbOp::RunCommand { command }
                } else {
                    DbOp::AdminCommand { command }
                }
            }
            "dropDatabase" => {
                call.at_most(0)?;
                DbOp::DropDatabase
            }
            "stats" => {
                call.at_most(1)?;
                DbOp::Stats
            }
            other => {
                return Err(ParseError::new(
                    call.at,
                    format!("unknown database method '{other}()': expected {DB_METHODS}"),
                ));
            }
        })
    }

    /// After a statement that yields no cursor, only no-op chains are accepted.
    fn no_chain(&mut self) -> Result<(), ParseError> {
        while self.is_punct('.') {
            let Some((name, at)) = self.member()? else {
                break;
            };
            if !matches!(name.as_str(), "pretty" | "toArray") || !self.is_punct('(') {
                return Err(ParseError::new(
                    at,
                    format!("'{name}' cannot follow this call"),
                ));
            }
            let call = self.call(name, at)?;
            call.at_most(0)?;
        }
        Ok(())
    }

    fn collection_op(&mut self, call: Call) -> Result<CollOp, ParseError> {
        let op = match call.method.as_str() {
            "find" => {
                call.at_most(3)?;
                let mut find = FindOp {
                    filter: call.doc(0, "the filter", false)?,
                    ..FindOp::default()
                };
                let projection = call.doc(1, "the projection", false)?;
                if !projection.is_empty() {
                    find.options.insert("projection", projection);
                }
                find.options.extend(call.doc(2, "the options", false)?);
                self.find_chain(&mut find)?;
                return Ok(CollOp::Find(find));
            }
            "findOne" => {
                call.at_most(3)?;
                let mut options = call.doc(2, "the options", false)?;
                let projection = call.doc(1, "the projection", false)?;
                if !projection.is_empty() {
                    options.insert("projection", projection);
                }
                CollOp::FindOne {
                    filter: call.doc(0, "the filter", false)?,
                    options,
                }
            }
            "aggregate" => {
                call.at_most(2)?;
                let mut options = call.doc(1, "the options", false)?;
                let explain = match options.remove("explain") {
                    Some(Bson::Boolean(true)) => Some("queryPlanner".to_string()),
                    _ => None,
                };
                let pipeline = if call.args.is_empty() {
                    Vec::new()
                } else {
                    call.docs(0, "the pipeline")?
                };
                let mut op = CollOp::Aggregate {
                    pipeline,
                    options,
                    explain,
                };
                while self.is_punct('.') {
                    let Some((name, at)) = self.member()? else {
                        break;
                    };
                    if !self.is_punct('(') {
                        return Err(ParseError::new(
                            at,
                            format!("expected a call, found '{name}'"),
                        ));
                    }
                    let chained = self.call(name, at)?;
                    match chained.method.as_str() {
                        "toArray" | "pretty" => chained.at_most(0)?,
                        "explain" => {
                            chained.at_most(1)?;
                            if let CollOp::Aggregate { explain, .. } = &mut op {
                                *explain = Some(verbosity(&chained)?);
                            }
                        }
                        other => {
                            return Err(ParseError::new(
                                at,
                                format!(
                                    "'{other}()' cannot follow aggregate(): expected toArray, pretty or explain"
                                ),
                            ));
                        }
                    }
                }
                return Ok(op);
            }
            "countDocuments" => {
                call.at_most(2)?;
                CollOp::CountDocuments {
                    filter: call.doc(0, "the filter", false)?,
                    options: call.doc(1, "the options", false)?,
                }
            }
            "estimatedDocumentCount" => {
                call.at_most(1)?;
                CollOp::EstimatedDocumentCount {
                    options: call.doc(0, "the options", false)?,
                }
            }
            "distinct" => {
                call.at_most(3)?;
                CollOp::Distinct {
                    field: call.string(0, "the field name")?,
                    filter: call.doc(1, "the filter", false)?,
                    options: call.doc(2, "the options", false)?,
                }
            }
            "insertOne" => {
                call.at_most(2)?;
                CollOp::InsertOne {
                    document: call.doc(0, "the document", true)?,
                }
            }
            "insert"
                if call
                    .args
                    .first()
                    .is_some_and(|(v, _)| matches!(v, Bson::Document(_))) =>
            {
                call.at_most(2)?;
                CollOp::InsertOne {
                    document: call.doc(0, "the document", true)?,
                }
            }
            "insertMany" | "insert" => {
                call.at_most(2)?;
                CollOp::InsertMany {
                    documents: call.docs(0, "the documents")?,
                    options: call.doc(1, "the options", false)?,
                }
            }
            "updateOne" | "updateMany" => {
                call.at_most(3)?;
                let update = call.value(1, "the update (a document or a pipeline)")?;
                match &update {
                    Bson::Document(d) if d.keys().next().is_some_and(|k| !k.starts_with('$')) => {
                        return Err(ParseError::new(
                            call.args[1].1,
                            format!(
                                "the update of {}() must use operators such as $set (to replace the whole document, use replaceOne)",
                                call.method
                            ),
                        ));
                    }
                    Bson::Document(_) | Bson::Array(_) => {}
                    _ => {
                        return Err(ParseError::new(
                            call.args[1].1,
                            "expected the update as a document {$set: ...} or a pipeline [...]",
                        ));
                    }
                }
                CollOp::Update {
                    filter: call.doc(0, "the filter", true)?,
                    update,
                    options: call.doc(2, "the options", false)?,
                    multi: call.method == "updateMany",
                }
            }
            "replaceOne" => {
                call.at_most(3)?;
                let replacement = call.doc(1, "the replacement", true)?;
                if let Some(k) = replacement.keys().find(|k| k.starts_with('$')) {
                    return Err(ParseError::new(
                        call.args[1].1,
                        format!(
                            "a replacement document cannot hold the operator '{k}' (use updateOne)"
                        ),
                    ));
                }
                CollOp::ReplaceOne {
                    filter: call.doc(0, "the filter", true)?,
                    replacement,
                    options: call.doc(2, "the options", false)?,
                }
            }
            "deleteOne" | "deleteMany" => {
                call.at_most(2)?;
                CollOp::Delete {
                    filter: call.doc(0, "the filter", true)?,
                    options: call.doc(1, "the options", false)?,
                    multi: call.method == "deleteMany",
                }
            }
            "findOneAndUpdate" => {
                call.at_most(3)?;
                let update = call.value(1, "the update (a document or a pipeline)")?;
                if !matches!(update, Bson::Document(_) | Bson::Array(_)) {
                    return Err(ParseError::new(
                        call.args[1].1,
                        "expected the update as a document or a pipeline",
                    ));
                }
                CollOp::FindOneAnd {
                    kind: FindOneAndKind::Update(update),
                    filter: call.doc(0, "the filter", true)?,
                    options: call.doc(2, "the options", false)?,
                }
            }
            "findOneAndReplace" => {
                call.at_most(3)?;
                CollOp::FindOneAnd {
                    kind: FindOneAndKind::Replace(call.doc(1, "the replacement", true)?),
                    filter: call.doc(0, "the filter", true)?,
                    options: call.doc(2, "the options", false)?,
                }
            }
            "findOneAndDelete" => {
                call.at_most(2)?;
                CollOp::FindOneAnd {
                    kind: FindOneAndKind::Delete,
                    filter: call.doc(0, "the filter", true)?,
                    options: call.doc(1, "the options", false)?,
                }
            }
            "bulkWrite" => {
                call.at_most(2)?;
                let operations = call.docs(0, "the operations")?;
                let at = call.args[0].1;
                for op in &operations {
                    let kind = op.keys().next().map(String::as_str).unwrap_or("");
                    if op.len() != 1
                        || !matches!(
                            kind,
                            "insertOne"
                                | "updateOne"
                                | "updateMany"
                                | "replaceOne"
                                | "deleteOne"
                                | "deleteMany"
                        )
                        || !matches!(op.get(kind), Some(Bson::Document(_)))
                    {
                        return Err(ParseError::new(
                            at,
                            "each bulkWrite operation is one of { insertOne: {...} }, { updateOne: {...} }, { updateMany: {...} }, { replaceOne: {...} }, { deleteOne: {...} }, { deleteMany: {...} }",
                        ));
                    }
                }
                CollOp::BulkWrite {
                    operations,
                    options: call.doc(1, "the options", false)?,
                }
            }
            "createIndex" => {
                call.at_most(2)?;
                let keys = call.doc(0, "the index keys", true)?;
                if keys.is_empty() {
                    return Err(ParseError::new(
                        call.args[0].1,
                        "an index needs at least one key",
                    ));
                }
                CollOp::CreateIndex {
                    keys,
                    options: call.doc(1, "the options", false)?,
                }
            }
            "dropIndex" => {
                call.at_most(1)?;
                let index = call.value(0, "the index name or its keys")?;
                if !matches!(index, Bson::String(_) | Bson::Document(_)) {
                    return Err(ParseError::new(
                        call.args[0].1,
                        "expected the index name or its key document",
                    ));
                }
                CollOp::DropIndex { index }
            }
            "getIndexes" | "getIndices" => {
                call.at_most(0)?;
                CollOp::GetIndexes
            }
            "drop" => {
                call.at_most(1)?;
                CollOp::Drop
            }
            other => {
                return Err(ParseError::new(
                    call.at,
                    format!("unknown collection method '{other}()': expected {COLLECTION_METHODS}"),
                ));
            }
        };
        self.no_chain()?;
        Ok(op)
    }

    fn find_chain(&mut self, find: &mut FindOp) -> Result<(), ParseError> {
        while self.is_punct('.') {
            let Some((name, at)) = self.member()? else {
                break;
            };
            if !self.is_punct('(') {
                return Err(ParseError::new(
                    at,
                    format!("expected a cursor method call ({FIND_METHODS}), found '{name}'"),
                ));
            }
            let call = self.call(name, at)?;
            if find.end != FindEnd::Documents {
                return Err(ParseError::new(
                    at,
                    format!(
                        "nothing can follow {}()",
                        match find.end {
                            FindEnd::Count => "count",
                            _ => "explain",
                        }
                    ),
                ));
            }
            match call.method.as_str() {
                "sort" | "projection" | "collation" => {
                    call.at_most(1)?;
                    let doc = call.doc(0, &format!("the {}", call.method), true)?;
                    find.options.insert(call.method.clone(), doc);
                }
                "skip" | "limit" | "batchSize" | "maxTimeMS" => {
                    call.at_most(1)?;
                    let n = call.whole(0, "the count")?;
                    if n < 0 && call.method != "limit" {
                        return Err(ParseError::new(
                            call.args[0].1,
                            format!("{}() takes a number of 0 or more", call.method),
                        ));
                    }
                    find.options.insert(call.method.clone(), n);
                }
                "hint" => {
                    call.at_most(1)?;
                    let hint = call.value(0, "the index name or keys")?;
                    find.options.insert("hint", hint);
                }
                "comment" => {
                    call.at_most(1)?;
                    let comment = call.value(0, "the comment")?;
                    find.options.insert("userComment", comment);
                }
                "count" => {
                    call.at_most(1)?;
                    find.end = FindEnd::Count;
                }
                "explain" => {
                    call.at_most(1)?;
                    find.end = FindEnd::Explain(verbosity(&call)?);
                }
                "toArray" | "pretty" => call.at_most(0)?,
                other => {
                    return Err(ParseError::new(
                        at,
                        format!("unknown cursor method '{other}()': expected {FIND_METHODS}"),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// `explain()`'s argument: a verbosity name, or true for allPlansExecution as mongosh reads it.
fn verbosity(call: &Call) -> Result<String, ParseError> {
    match call.args.first() {
        None => Ok("queryPlanner".into()),
        Some((Bson::Boolean(true), _)) => Ok("allPlansExecution".into()),
        Some((Bson::Boolean(false), _)) => Ok("queryPlanner".into()),
        Some((Bson::String(s), at)) => match s.as_str() {
            "queryPlanner" | "executionStats" | "allPlansExecution" => Ok(s.clone()),
            _ => Err(ParseError::new(
                *at,
                "expected queryPlanner, executionStats or allPlansExecution",
            )),
        },
        Some((_, at)) => Err(ParseError::new(
            *at,
            "expected a verbosity: queryPlanner, executionStats or allPlansExecution",
        )),
    }
}
