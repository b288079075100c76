//! [`ResultStore`]: the rows of one query, kept for a grid that pages through them.
//!
//! Rows stay in memory up to a budget; later batches are encoded to an anonymous temporary
//! file and read back on demand, so a 10-million-row result costs disk, not RAM, and is
//! never truncated. The first rows, the ones people look at, stay in memory.
//!
//! Every store of the app also draws on shared [`StoreLimits`]: memory across all stores
//! (past it, new rows spill) and disk across all spill files (past it, the query stops with
//! a clear error and the rows so far stay). A store gives back what it took when dropped.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex};

use crate::error::{DbError, DbResult, ErrorKind};
pub use crate::limits::{DEFAULT_DISK_LIMIT, DEFAULT_MEMORY_LIMIT, LimitsUsage, StoreLimits};
use crate::result::{Column, RowBatch};
use crate::value::Value;

/// Default in-memory budget of one store.
pub const DEFAULT_BUDGET: usize = 64 << 20;
fn gigabytes(bytes: u64) -> String {
    let gb = bytes as f64 / (1u64 << 30) as f64;
    if gb >= 10.0 {
        format!("{gb:.0} GB")
    } else {
        format!("{gb:.1} GB")
    }
}

enum Segment {
    Memory {
        first_row: u64,
        batch: RowBatch,
    },
    Disk {
        first_row: u64,
        rows: usize,
        width: usize,
        offset: u64,
        len: u64,
    },
}

impl Segment {
    fn first_row(&self) -> u64 {
        match self {
            Segment::Memory { first_row, .. } | Segment::Disk { first_row, .. } => *first_row,
        }
    }

    fn rows(&self) -> usize {
        match self {
            Segment::Memory { batch, .. } => batch.len(),
            Segment::Disk { rows, .. } => *rows,
        }
    }
}

/// One result set as stored.
#[derive(Default)]
struct Stored {
    columns: Option<Arc<[Column]>>,
    segments: Vec<Segment>,
    rows: u64,
    complete: bool,
}

#[derive(Default)]
struct Inner {
    results: Vec<Stored>,
    memory_bytes: usize,
    spill: Option<(File, u64)>,
}

pub struct ResultStore {
    budget: usize,
    limits: Arc<StoreLimits>,
    inner: Mutex<Inner>,
}

/// What a store holds, for status bars and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreStats {
    pub results: usize,
    pub rows: u64,
    pub memory_bytes: usize,
    pub spilled_bytes: u64,
}

fn poisoned() -> DbError {
    DbError::internal("result store lock poisoned")
}

impl ResultStore {
    /// A store with its own memory budget and no shared limits.
    pub fn new(budget: usize) -> Self {
        ResultStore::with_limits(budget, StoreLimits::unlimited())
    }

    /// A store that also draws on `limits`, shared with the app's other stores.
    pub fn with_limits(budget: usize, limits: Arc<StoreLimits>) -> Self {
        ResultStore {
            budget,
            limits,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn slot(inner: &mut Inner, result: usize) -> &mut Stored {
        if inner.results.len() <= result {
            inner.results.resize_with(result + 1, Stored::default);
        }
        &mut inner.results[result]
    }

    /// A result set starts.
    pub fn begin(&self, result: usize, columns: Arc<[Column]>) -> DbResult<()> {
        let mut inner = self.inner.lock().map_err(|_| poisoned())?;
        Self::slot(&mut inner, result).columns = Some(columns);
        Ok(())
    }

    /// More columns for a result set; rows stored before them read back with
    /// `Value::Missing` there.
    pub fn extend_columns(&self, result: usize, extra: &[Column]) -> DbResult<()> {
        let mut inner = self.inner.lock().map_err(|_| poisoned())?;
        let stored = Self::slot(&mut inner, result);
        let mut columns: Vec<Column> = stored.columns.as_deref().unwrap_or_default().to_vec();
        columns.extend_from_slice(extra);
        stored.columns = Some(columns.into());
        Ok(())
    }

    /// Adds a batch; returns the rows its result set holds now.
    pub fn append(&self, batch: RowBatch) -> DbResult<u64> {
        let mut inner = self.inner.lock().map_err(|_| poisoned())?;
        let bytes: usize = batch.values.iter().map(Value::approx_size).sum();
        let rows = batch.len();
        let result = batch.result;
        let first_row = Self::slot(&mut inner, result).rows;
        let segment = if inner.memory_bytes + bytes <= self.budget
            && self.limits.memory.take(bytes as u64)
        {
            inner.memory_bytes += bytes;
            Segment::Memory { first_row, batch }
        } else {
            let mut encoded = Vec::with_capacity(bytes);
            for v in &batch.values {
                encode(v, &mut encoded);
            }
            if inner.spill.is_none() {
                let file = tempfile::tempfile().map_err(|e| {
                    DbError::new(
                        ErrorKind::Limit,
                        format!("cannot create a temporary file for large results: {e}"),
                    )
                    .with_code("result_disk_full")
                })?;
                inner.spill = Some((file, 0));
            }
            if !self.limits.disk.take(encoded.len() as u64) {
                let usage = self.limits.usage();
                return Err(DbError::new(
                    ErrorKind::Limit,
                    format!(
                        "stored results reached their disk limit ({} in use of {}); the query was stopped after {} rows, which stay available",
                        gigabytes(usage.disk_used),
                        gigabytes(usage.disk_limit),
                        Self::slot(&mut inner, result).rows
                    ),
                )
                .with_code("result_disk_limit")
                .with_hint(Some(
                    "Close result tabs you no longer need, or raise the limit in Settings (Stored results)."
                        .into(),
                )));
            }
            let (file, end) = inner
                .spill
                .as_mut()
                .ok_or_else(|| DbError::internal("spill file missing"))?;
            if let Err(e) = file
                .seek(SeekFrom::Start(*end))
                .and_then(|_| file.write_all(&encoded))
            {
                self.limits.disk.give_back(encoded.len() as u64);
                // Whatever part was written stays in the file but is past `end`: the next
                // batch overwrites it.
                return Err(DbError::new(
                    ErrorKind::Limit,
                    format!("cannot write large results to disk: {e}"),
                )
                .with_code("result_disk_full"));
            }
            let offset = *end;
            *end += encoded.len() as u64;
            Segment::Disk {
                first_row,
                rows,
                width: batch.width,
                offset,
                len: encoded.len() as u64,
            }
        };
        let stored = Self::slot(&mut inner, result);
        stored.segments.push(segment);
        stored.rows += rows as u64;
        Ok(stored.rows)
    }

    /// The result set has all its rows.
    pub fn finish(&self, result: usize) -> DbResult<()> {
        let mut inner = self.inner.lock().map_err(|_| poisoned())?;
        Self::slot(&mut inner, result).complete = true;
        Ok(())
    }

    pub fn columns(&self, result: usize) -> Option<Arc<[Column]>> {
        let inner = self.inner.lock().ok()?;
        inner.results.get(result)?.columns.clone()
    }

    pub fn row_count(&self, result: usize) -> u64 {
        self.inner
            .lock()
            .ok()
            .and_then(|i| i.results.get(result).map(|r| r.rows))
            .unwrap_or(0)
    }

    pub fn stats(&self) -> StoreStats {
        match self.inner.lock() {
            Ok(i) => StoreStats {
                results: i.results.len(),
                rows: i.results.iter().map(|r| r.rows).sum(),
                memory_bytes: i.memory_bytes,
                spilled_bytes: i.spill.as_ref().map(|(_, len)| *len).unwrap_or(0),
            },
            Err(_) => StoreStats {
                results: 0,
                rows: 0,
                memory_bytes: 0,
                spilled_bytes: 0,
            },
        }
    }

    /// Rows `offset..offset + limit` of a result set (fewer at its end).
    pub fn fetch(&self, result: usize, offset: u64, limit: usize) -> DbResult<Vec<Vec<Value>>> {
        let mut inner = self.inner.lock().map_err(|_| poisoned())?;
        let Inner { results, spill, .. } = &mut *inner;
        let Some(stored) = results.get(result) else {
            return Ok(Vec::new());
        };
        let width = stored.columns.as_ref().map_or(0, |c| c.len());
        let end = offset.saturating_add(limit as u64).min(stored.rows);
        let mut out = Vec::with_capacity(end.saturating_sub(offset) as usize);
        // Segments are in row order: find the first that reaches `offset`.
        let start = stored
            .segments
            .partition_point(|s| s.first_row() + s.rows() as u64 <= offset);
        for segment in &stored.segments[start..] {
            let first = segment.first_row();
            if first >= end {
                break;
            }
            let from = offset.saturating_sub(first) as usize;
            let to = ((end - first) as usize).min(segment.rows());
            match segment {
                Segment::Memory { batch, .. } => {
                    for i in from..to {
                        out.push(batch.row(i).to_vec());
                    }
                }
                Segment::Disk {
                    width,
                    offset: at,
                    len,
                    ..
                } => {
                    let (file, _) = spill
                        .as_mut()
                        .ok_or_else(|| DbError::internal("spill file missing"))?;
                    let mut bytes = vec![0u8; *len as usize];
                    file.seek(SeekFrom::Start(*at))
                        .and_then(|_| file.read_exact(&mut bytes))
                        .map_err(|e| {
                            DbError::internal(format!(
                                "cannot read large results back from disk: {e}"
                            ))
                        })?;
                    let mut cursor: &[u8] = &bytes;
                    for i in 0..to {
                        let mut row = Vec::with_capacity(*width);
                        for _ in 0..*width {
                            row.push(
                                decode(&mut cursor)
                                    .ok_or_else(|| DbError::internal("corrupt spilled row"))?,
                            );
                        }
                        if i >= from {
                            out.push(row);
                        }
                    }
                }
            }
        }
        // Rows stored before their result set gained columns lack those cells.
        for row in &mut out {
            if row.len() < width {
                row.resize(width, Value::Missing);
            }
        }
        Ok(out)
    }
}

impl Drop for ResultStore {
    fn drop(&mut self) {
        let inner = match self.inner.get_mut() {
            Ok(i) => i,
            Err(poisoned) => poisoned.into_inner(),
        };
        self.limits.memory.give_back(inner.memory_bytes as u64);
        if let Some((_, spilled)) = &inner.spill {
            self.limits.disk.give_back(*spilled);
        }
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u64).to_le_bytes());
    out.extend_from_slice(b);
}

/// A compact, exact binary form of a value, for the spill file only.
fn encode(v: &Value, out: &mut Vec<u8>) {
    let (tag, text): (u8, Option<&str>) = match v {
        Value::Null => (0, None),
        Value::Bool(false) => (1, None),
        Value::Bool(true) => (2, None),
        Value::Int(i) => {
            out.push(3);
            out.extend_from_slice(&i.to_le_bytes());
            return;
        }
        Value::UInt(u) => {
            out.push(4);
            out.extend_from_slice(&u.to_le_bytes());
            return;
        }
        Value::Float(f) => {
            out.push(5);
            out.extend_from_slice(&f.to_le_bytes());
            return;
        }
        Value::Float32(f) => {
            out.push(6);
            out.extend_from_slice(&f.to_le_bytes());
            return;
        }
        Value::Decimal(s) => (7, Some(s)),
        Value::Text(s) => (8, Some(s)),
        Value::Bytes(b) => {
            out.push(9);
            put_bytes(out, b);
            return;
        }
        Value::Json(s) => (10, Some(s)),
        Value::Date(s) => (11, Some(s)),
        Value::Time(s) => (12, Some(s)),
        Value::Timestamp(s) => (13, Some(s)),
        Value::TimestampTz(s) => (14, Some(s)),
        Value::Uuid(s) => (15, Some(s)),
        Value::Array(items) => {
            out.push(16);
            out.extend_from_slice(&(items.len() as u64).to_le_bytes());
            for item in items {
                encode(item, out);
            }
            return;
        }
        Value::Missing => {
            out.push(18);
            return;
        }
        Value::Other { type_name, text } => {
            out.push(17);
            put_bytes(out, type_name.as_bytes());
            put_bytes(out, text.as_bytes());
            return;
        }
    };
    out.push(tag);
    if let Some(s) = text {
        put_bytes(out, s.as_bytes());
    }
}

fn take<'a>(cursor: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if cursor.len() < n {
        return None;
    }
    let (head, rest) = cursor.split_at(n);
    *cursor = rest;
    Some(head)
}

fn take_u64(cursor: &mut &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(take(cursor, 8)?.try_into().ok()?))
}

fn take_string(cursor: &mut &[u8]) -> Option<String> {
    let n = take_u64(cursor)? as usize;
    String::from_utf8(take(cursor, n)?.to_vec()).ok()
}

fn decode(cursor: &mut &[u8]) -> Option<Value> {
    let tag = take(cursor, 1)?[0];
    Some(match tag {
        0 => Value::Null,
        1 => Value::Bool(false),
        2 => Value::Bool(true),
        3 => Value::Int(i64::from_le_bytes(take(cursor, 8)?.try_into().ok()?)),
        4 => Value::UInt(take_u64(cursor)?),
        5 => Value::Float(f64::from_le_bytes(take(cursor, 8)?.try_into().ok()?)),
        6 => Value::Float32(f32::from_le_bytes(take(cursor, 4)?.try_into().ok()?)),
        7 => Value::Decimal(take_string(cursor)?),
        8 => Value::Text(take_string(cursor)?),
        9 => {
            let n = take_u64(cursor)? as usize;
            Value::Bytes(take(cursor, n)?.to_vec())
        }
        10 => Value::Json(take_string(cursor)?),
        11 => Value::Date(take_string(cursor)?),
        12 => Value::Time(take_string(cursor)?),
        13 => Value::Timestamp(take_string(cursor)?),
        14 => Value::TimestampTz(take_string(cursor)?),
        15 => Value::Uuid(take_string(cursor)?),
        16 => {
            let n = take_u64(cursor)? as usize;
            let mut items = Vec::with_capacity(n.min(1 << 16));
            for _ in 0..n {
                items.push(decode(cursor)?);
            }
            Value::Array(items)
        }
        17 => {
            let name = take_string(cursor)?;
            Value::Other {
                type_name: Arc::from(name),
                text: take_string(cursor)?,
            }
        }
        18 => Value::Missing,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(i: i64) -> Vec<Value> {
        vec![
            Value::Int(i),
            if i % 3 == 0 {
                Value::Null
            } else {
                Value::Text(format!("row {i}"))
            },
            Value::Float(i as f64 / 3.0),
            Value::Bytes(vec![i as u8, 0, 255]),
            Value::Array(vec![Value::Bool(i % 2 == 0), Value::Decimal("1.5".into())]),
            Value::Other {
                type_name: Arc::from("interval"),
                text: format!("{i} days"),
            },
        ]
    }

    #[test]
    fn spills_past_the_budget_and_reads_back_exactly() {
        let store = ResultStore::new(64 * 1024);
        store
            .begin(0, Arc::from(vec![Column::new("n", "int")]))
            .expect("begin");
        let mut next = 0i64;
        for _ in 0..50 {
            let mut batch = RowBatch::new(0, 6);
            for _ in 0..100 {
                batch.values.extend(sample(next));
                next += 1;
            }
            store.append(batch).expect("append");
        }
        store.finish(0).expect("finish");
        let stats = store.stats();
        assert_eq!(stats.rows, 5000);
        assert!(stats.memory_bytes <= 64 * 1024);
        assert!(stats.spilled_bytes > 0, "{stats:?}");
        // A window across the memory/disk boundary and one deep in the spill file.
        for (offset, limit) in [(0u64, 10usize), (150, 300), (4990, 50), (2345, 1)] {
            let rows = store.fetch(0, offset, limit).expect("fetch");
            let expected_len = limit.min(5000 - offset as usize);
            assert_eq!(rows.len(), expected_len);
            for (k, row) in rows.iter().enumerate() {
                assert_eq!(*row, sample(offset as i64 + k as i64));
            }
        }
        assert!(store.fetch(0, 6000, 10).expect("past end").is_empty());
        assert!(store.fetch(3, 0, 10).expect("no such result").is_empty());
    }

    mod model {
        use super::super::*;
        use proptest::prelude::*;

        fn value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(Value::Int),
                any::<u64>().prop_map(Value::UInt),
                (-1e300f64..1e300).prop_map(Value::Float),
                "[a-z\\u{e9}\\u{1f600}]{0,12}".prop_map(Value::Text),
                proptest::collection::vec(any::<u8>(), 0..16).prop_map(Value::Bytes),
                "[0-9.]{1,8}".prop_map(Value::Decimal),
                "[a-z ]{0,8}".prop_map(|text| Value::Other {
                    type_name: Arc::from("interval"),
                    text,
                }),
            ];
            leaf.prop_recursive(2, 8, 4, |inner| {
                proptest::collection::vec(inner, 0..4).prop_map(Value::Array)
            })
        }

        #[derive(Debug, Clone)]
        enum Op {
            Append {
                result: usize,
                rows: Vec<Vec<Value>>,
            },
            Fetch {
                result: usize,
                offset: u64,
                limit: usize,
            },
        }

        const WIDTH: usize = 2;

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                (
                    0..2usize,
                    proptest::collection::vec(proptest::collection::vec(value(), WIDTH), 0..6)
                )
                    .prop_map(|(result, rows)| Op::Append { result, rows }),
                (0..3usize, 0..40u64, 0..20usize).prop_map(|(result, offset, limit)| Op::Fetch {
                    result,
                    offset,
                    limit
                }),
                (0..2usize).prop_map(|result| Op::Fetch {
                    result,
                    offset: u64::MAX - 3,
                    limit: usize::MAX
                }),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(300))]
            /// With budgets so small that rows spill at once and the disk limit is hit, the
            /// store answers every fetch as a plain list would, and gives back what it took.
            #[test]
            fn the_store_behaves_like_a_list(ops in proptest::collection::vec(op(), 0..30),
                                             budget in 0..600usize,
                                             memory in 0..2000u64,
                                             disk in 0..4000u64) {
                let limits = StoreLimits::new(memory, disk);
                let store = ResultStore::with_limits(budget, limits.clone());
                let mut model: Vec<Vec<Vec<Value>>> = vec![Vec::new(), Vec::new()];
                for op in ops {
                    match op {
                        Op::Append { result, rows } => {
                            let mut batch = RowBatch::new(result, WIDTH);
                            for r in &rows {
                                batch.values.extend(r.iter().cloned());
                            }
                            match store.append(batch) {
                                Ok(total) => {
                                    model[result].extend(rows);
                                    prop_assert_eq!(total, model[result].len() as u64);
                                }
                                Err(e) => prop_assert_eq!(e.kind, ErrorKind::Limit),
                            }
                        }
                        Op::Fetch { result, offset, limit } => {
                            let got = store.fetch(result, offset, limit).expect("fetch");
                            let rows = model.get(result).map(Vec::as_slice).unwrap_or(&[]);
                            let from = (offset as usize).min(rows.len());
                            let to = from.saturating_add(limit).min(rows.len());
                            prop_assert_eq!(got, rows[from..to].to_vec());
                        }
                    }
                    let usage = limits.usage();
                    prop_assert!(usage.memory_used <= memory && usage.disk_used <= disk);
                }
                drop(store);
                let usage = limits.usage();
                prop_assert_eq!((usage.memory_used, usage.disk_used), (0, 0));
            }
        }
    }
}
