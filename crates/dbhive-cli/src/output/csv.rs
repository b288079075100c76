//! CSV, byte for byte as the engine's own export tool writes it.

use std::io::{self, Write};

use dbhive_core::csv::{write_header, write_record};
use dbhive_core::{Column, DbError, RowBatch, TextStyle};

use super::{Output, ResultSummary, Sink};

pub struct CsvOutput {
    out: Sink,
    style: &'static TextStyle,
    line: Vec<u8>,
    scratch: Vec<u8>,
    /// Leading document columns, left out.
    skip: usize,
    rows: u64,
}

impl CsvOutput {
    pub fn new(out: Sink, style: &'static TextStyle) -> Self {
        CsvOutput {
            out,
            style,
            line: Vec::with_capacity(4096),
            scratch: Vec::new(),
            skip: 0,
            rows: 0,
        }
    }
}

impl Output for CsvOutput {
    fn columns(&mut self, columns: &[Column]) -> io::Result<()> {
        // Several result sets follow each other, each with its header (as sqlite3 does).
        self.line.clear();
        self.skip = super::document_columns(columns);
        self.rows = 0;
        let names: Vec<&str> = columns[self.skip..]
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        write_header(&mut self.line, &names, self.style.csv, b',');
        self.out.write_all(&self.line)?;
        self.out.flush()
    }

    fn columns_added(&mut self, columns: &[Column]) -> io::Result<()> {
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        Err(io::Error::other(format!(
            "document {} has the field {}, which the CSV header written before it lacks; use --format jsonl (one document per line, as mongoexport writes), or project the fields in the query",
            self.rows + 1,
            names.join(", ")
        )))
    }

    fn rows(&mut self, batch: &RowBatch) -> io::Result<()> {
        for row in batch.rows() {
            self.line.clear();
            self.rows += 1;
            write_record(
                &mut self.line,
                &row[self.skip.min(row.len())..],
                self.style,
                b',',
                &mut self.scratch,
            );
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
