//! Aligned columns, psql-like. Widths come from the first rows of each result (up to
//! PREVIEW_ROWS, held back until then); later rows stream with those widths.

use std::io::{self, Write};

use dbhive_core::{Column, DbError, RowBatch, TextStyle, Value};

use super::{Output, ResultSummary, Sink};

const PREVIEW_ROWS: usize = 1000;
const MAX_WIDTH: usize = 80;

pub struct TableOutput {
    out: Sink,
    style: &'static TextStyle,
    columns: Vec<Column>,
    numeric: Vec<bool>,
    widths: Vec<usize>,
    held: Vec<Vec<String>>,
    header_done: bool,
    scratch: Vec<u8>,
    /// Leading document columns, left out.
    skip: usize,
}

impl TableOutput {
    pub fn new(out: Sink, style: &'static TextStyle) -> Self {
        TableOutput {
            out,
            style,
            columns: Vec::new(),
            numeric: Vec::new(),
            widths: Vec::new(),
            held: Vec::new(),
            header_done: false,
            scratch: Vec::new(),
            skip: 0,
        }
    }

    fn cell(&mut self, v: &Value) -> String {
        if v.is_null() {
            return "NULL".into();
        }
        self.scratch.clear();
        if let Value::Bytes(bytes) = v {
            // Binary is unreadable raw in a terminal, whatever the engine's export does.
            self.scratch.extend_from_slice(b"\\x");
            for b in bytes {
                self.scratch
                    .extend_from_slice(format!("{b:02x}").as_bytes());
            }
        } else {
            self.style.write(v, &mut self.scratch);
        }
        let text = String::from_utf8_lossy(&self.scratch);
        let mut s = String::with_capacity(text.len());
        for c in text.chars() {
            match c {
                '\n' => s.push_str("\\n"),
                '\r' => s.push_str("\\r"),
                '\t' => s.push_str("\\t"),
                c if crate::terminal::acts_on_terminal(c) => s.push('?'),
                c => s.push(c),
            }
        }
        s
    }

    fn write_header(&mut self) -> io::Result<()> {
        for row in &self.held {
            for (w, cell) in self.widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count()).min(MAX_WIDTH);
            }
        }
        let names: Vec<String> = self
            .columns
            .iter()
            .map(|c| crate::terminal::safe(&c.name).into_owned())
            .collect();
        let line = self.format_row(&names, &vec![false; names.len()], true);
        self.out.write_all(line.as_bytes())?;
        let rule: Vec<String> = self.widths.iter().map(|w| "-".repeat(w + 2)).collect();
        writeln!(self.out, "{}", rule.join("+"))?;
        self.header_done = true;
        let held = std::mem::take(&mut self.held);
        for row in &held {
            let line = self.format_row(row, &self.numeric.clone(), false);
            self.out.write_all(line.as_bytes())?;
        }
        Ok(())
    }

    fn format_row(&self, cells: &[String], right: &[bool], center: bool) -> String {
        let mut line = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                line.push('|');
            }
            let w = self.widths.get(i).copied().unwrap_or(0);
            let len = cell.chars().count();
            let pad = w.saturating_sub(len);
            let (left, rightpad) = if center {
                (pad / 2, pad - pad / 2)
            } else if right.get(i).copied().unwrap_or(false) {
                (pad, 0)
            } else {
                (0, pad)
            };
            line.push(' ');
            line.extend(std::iter::repeat_n(' ', left));
            line.push_str(cell);
            if i + 1 < cells.len() {
                line.extend(std::iter::repeat_n(' ', rightpad));
                line.push(' ');
            }
        }
        line.push('\n');
        line
    }
}

fn is_numeric(type_name: &str) -> bool {
    let t = type_name.to_ascii_lowercase();
    [
        "int", "float", "numeric", "decimal", "real", "double", "money", "oid", "serial",
    ]
    .iter()
    .any(|n| t.starts_with(n) || t.contains(n))
        && !t.contains("[]")
        && !t.contains("interval")
        && !t.contains("point")
}

impl Output for TableOutput {
    fn columns(&mut self, columns: &[Column]) -> io::Result<()> {
        self.skip = super::document_columns(columns);
        let columns = &columns[self.skip..];
        self.columns = columns.to_vec();
        self.numeric = columns.iter().map(|c| is_numeric(&c.type_name)).collect();
        self.widths = columns
            .iter()
            .map(|c| crate::terminal::safe(&c.name).chars().count())
            .collect();
        self.header_done = false;
        self.held.clear();
        Ok(())
    }

    fn columns_added(&mut self, columns: &[Column]) -> io::Result<()> {
        self.columns.extend_from_slice(columns);
        self.numeric
            .extend(columns.iter().map(|c| is_numeric(&c.type_name)));
        self.widths.extend(
            columns
                .iter()
                .map(|c| crate::terminal::safe(&c.name).chars().count()),
        );
        if self.header_done {
            // Rows from here on are wider: a new header says with what.
            writeln!(self.out)?;
            self.write_header()?;
        }
        Ok(())
    }

    fn rows(&mut self, batch: &RowBatch) -> io::Result<()> {
        for row in batch.rows() {
            let row = &row[self.skip.min(row.len())..];
            let cells: Vec<String> = row.iter().map(|v| self.cell(v)).collect();
            if self.header_done {
                let line = self.format_row(&cells, &self.numeric, false);
                self.out.write_all(line.as_bytes())?;
            } else {
                self.held.push(cells);
                if self.held.len() >= PREVIEW_ROWS {
                    self.write_header()?;
                }
            }
        }
        self.out.flush()
    }

    fn result_end(&mut self, s: &ResultSummary) -> io::Result<()> {
        if s.has_columns {
            if !self.header_done {
                self.write_header()?;
            }
            let plural = if s.rows == 1 { "row" } else { "rows" };
            writeln!(self.out, "({} {plural})\n", s.rows)?;
        } else if let Some(cmd) = s.command {
            writeln!(self.out, "{}", crate::terminal::safe(cmd))?;
        }
        self.out.flush()
    }

    fn finish(&mut self, _: Option<&DbError>, _: u64, _: bool) -> io::Result<()> {
        if !self.header_done && !self.columns.is_empty() && !self.held.is_empty() {
            self.write_header()?;
        }
        self.out.flush()
    }
}
