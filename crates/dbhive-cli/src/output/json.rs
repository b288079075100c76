//! JSON: one document with every result (`json`), or one object per row (`jsonl`). Values
//! are written by `dbhive_core::json` (see there for how each type looks).

use std::io::{self, Write};

use dbhive_core::json::{write_string as string, write_value as value};
use dbhive_core::{Column, DbError, Notice, RowBatch, TextStyle};

use super::{Output, ResultSummary, Sink};

fn columns_json(columns: &[Column]) -> Vec<u8> {
    let list: Vec<serde_json::Value> = columns
        .iter()
        .map(|c| serde_json::json!({ "name": c.name, "type": c.type_name }))
        .collect();
    serde_json::to_vec(&list).unwrap_or_default()
}

/// `{"results":[{"columns":[...],"rows":[[...]],"command":...,"row_count":n,"rows_affected":n}],
///   "notices":[...],"error":null|{...},"elapsed_ms":n,"cancelled":false}`
pub struct JsonOutput {
    out: Sink,
    style: &'static TextStyle,
    line: Vec<u8>,
    scratch: Vec<u8>,
    results: usize,
    first_row: bool,
    open_rows: bool,
    notices: Vec<Notice>,
    /// The result's rows are documents (MongoDB): each is written as itself.
    documents: bool,
}

impl JsonOutput {
    pub fn new(mut out: Sink, style: &'static TextStyle) -> io::Result<Self> {
        out.write_all(b"{\"results\":[")?;
        Ok(JsonOutput {
            out,
            style,
            line: Vec::new(),
            scratch: Vec::new(),
            results: 0,
            first_row: true,
            open_rows: false,
            notices: Vec::new(),
            documents: false,
        })
    }

    fn open_result(&mut self, columns: &[Column]) -> io::Result<()> {
        if self.results > 0 {
            self.out.write_all(b",")?;
        }
        self.results += 1;
        let skip = super::document_columns(columns);
        self.documents = skip > 0;
        self.out.write_all(b"{\"columns\":")?;
        self.out.write_all(&columns_json(&columns[skip..]))?;
        self.out.write_all(b",\"rows\":[")?;
        self.first_row = true;
        self.open_rows = true;
        Ok(())
    }
}

impl Output for JsonOutput {
    fn columns(&mut self, columns: &[Column]) -> io::Result<()> {
        self.open_result(columns)
    }

    /// Documents carry their own fields; the columns listed are those known at the start.
    fn columns_added(&mut self, _: &[Column]) -> io::Result<()> {
        Ok(())
    }

    fn rows(&mut self, batch: &RowBatch) -> io::Result<()> {
        for row in batch.rows() {
            self.line.clear();
            if !self.first_row {
                self.line.push(b',');
            }
            self.first_row = false;
            if self.documents
                && let Some(doc) = row.first().and_then(super::document_text)
            {
                self.line.extend_from_slice(doc.as_bytes());
                self.out.write_all(&self.line)?;
                continue;
            }
            self.line.push(b'[');
            for (i, v) in row.iter().enumerate() {
                if i > 0 {
                    self.line.push(b',');
                }
                value(&mut self.line, v, self.style, &mut self.scratch);
            }
            self.line.push(b']');
            self.out.write_all(&self.line)?;
        }
        self.out.flush()
    }

    fn result_end(&mut self, s: &ResultSummary) -> io::Result<()> {
        if !self.open_rows {
            self.open_result(&[])?;
        }
        self.open_rows = false;
        let tail = serde_json::json!({
            "command": s.command,
            "row_count": s.rows,
            "rows_affected": s.rows_affected,
            "has_columns": s.has_columns,
        });
        // Close "rows" and merge the summary fields into the result object.
        let tail = serde_json::to_string(&tail).unwrap_or_else(|_| "{}".into());
        self.out.write_all(b"],")?;
        self.out.write_all(&tail.as_bytes()[1..])
    }

    fn notice(&mut self, notice: &Notice) -> io::Result<()> {
        self.notices.push(notice.clone());
        Ok(())
    }

    fn finish(
        &mut self,
        error: Option<&DbError>,
        elapsed_ms: u64,
        cancelled: bool,
    ) -> io::Result<()> {
        if self.open_rows {
            // The query failed inside a result set: close it without a summary.
            self.out.write_all(b"]}")?;
            self.open_rows = false;
        }
        let tail = serde_json::json!({
            "notices": self.notices,
            "error": error,
            "elapsed_ms": elapsed_ms,
            "cancelled": cancelled,
        });
        let tail = serde_json::to_string(&tail).unwrap_or_else(|_| "{}".into());
        self.out.write_all(b"],")?;
        self.out.write_all(&tail.as_bytes()[1..])?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}

/// One JSON object per row, keyed by column name; a repeated name gets "_2", "_3"...
pub struct JsonlOutput {
    out: Sink,
    style: &'static TextStyle,
    keys: Vec<Vec<u8>>,
    line: Vec<u8>,
    scratch: Vec<u8>,
    documents: bool,
}

fn key_json(name: &str) -> Vec<u8> {
    let mut key = Vec::new();
    string(&mut key, name);
    key.push(b':');
    key
}

impl JsonlOutput {
    pub fn new(out: Sink, style: &'static TextStyle) -> Self {
        JsonlOutput {
            out,
            style,
            keys: Vec::new(),
            line: Vec::new(),
            scratch: Vec::new(),
            documents: false,
        }
    }
}

impl Output for JsonlOutput {
    fn columns(&mut self, columns: &[Column]) -> io::Result<()> {
        let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        self.keys = columns
            .iter()
            .map(|c| {
                let n = seen.entry(c.name.as_str()).or_insert(0);
                *n += 1;
                let name = if *n == 1 {
                    c.name.clone()
                } else {
                    format!("{}_{n}", c.name)
                };
                key_json(&name)
            })
            .collect();
        self.documents = super::document_columns(columns) > 0;
        Ok(())
    }

    fn columns_added(&mut self, columns: &[Column]) -> io::Result<()> {
        self.keys.extend(columns.iter().map(|c| key_json(&c.name)));
        Ok(())
    }

    fn rows(&mut self, batch: &RowBatch) -> io::Result<()> {
        for row in batch.rows() {
            self.line.clear();
            // A document is written as itself, one relaxed Extended JSON line (mongoexport).
            if self.documents
                && let Some(doc) = row.first().and_then(super::document_text)
            {
                self.line.extend_from_slice(doc.as_bytes());
                self.line.push(b'\n');
                self.out.write_all(&self.line)?;
                continue;
            }
            self.line.push(b'{');
            for (i, v) in row.iter().enumerate() {
                if i > 0 {
                    self.line.push(b',');
                }
                if let Some(k) = self.keys.get(i) {
                    self.line.extend_from_slice(k);
                }
                value(&mut self.line, v, self.style, &mut self.scratch);
            }
            self.line.extend_from_slice(b"}\n");
            self.out.write_all(&self.line)?;
        }
        self.out.flush()
    }

    fn result_end(&mut self, _: &ResultSummary) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self, _: Option<&DbError>, _: u64, _: bool) -> io::Result<()> {
        self.out.flush()
    }
}
