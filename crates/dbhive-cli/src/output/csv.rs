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
}

impl CsvOutput {
    pub fn new(out: Sink, style: &'static TextStyle) -> Self {
        CsvOutput {
            out,
            style,
            line: Vec::with_capacity(4096),
            scratch: Vec::new(),
        }
    }
}

impl Output for CsvOutput {
    fn columns(&mut self, columns: &[Column]) -> io::Result<()> {
        // Several result sets follow each other, each with its header (as sqlite3 does).
        self.line.clear();
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        write_header(&mut self.line, &names, self.style.csv, b',');
        self.out.write_all(&self.line)?;
        self.out.flush()
    }

    fn rows(&mut self, batch: &RowBatch) -> io::Result<()> {
        for row in batch.rows() {
            self.line.clear();
            write_record(&mut self.line, row, self.style, b',', &mut self.scratch);
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
