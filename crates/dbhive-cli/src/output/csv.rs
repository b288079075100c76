//! CSV, byte for byte as the engine's own export tool writes it.

use std::io::{self, Write};

use dbhive_core::csv::write_field;
use dbhive_core::{Column, DbError, RowBatch, TextStyle};

use super::{Output, ResultSummary, Sink};

pub struct CsvOutput {
    out: Sink,
    style: &'static TextStyle,
    line: Vec<u8>,
    scratch: Vec<u8>,
    width: usize,
}

impl CsvOutput {
    pub fn new(out: Sink, style: &'static TextStyle) -> Self {
        CsvOutput {
            out,
            style,
            line: Vec::with_capacity(4096),
            scratch: Vec::new(),
            width: 0,
        }
    }
}

impl Output for CsvOutput {
    fn columns(&mut self, columns: &[Column]) -> io::Result<()> {
        // Several result sets follow each other, each with its header (as sqlite3 does).
        self.width = columns.len();
        self.line.clear();
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                self.line.push(b',');
            }
            write_field(
                &mut self.line,
                Some(c.name.as_bytes()),
                self.style.csv,
                self.width == 1,
            );
        }
        self.line.push(b'\n');
        self.out.write_all(&self.line)?;
        self.out.flush()
    }

    fn rows(&mut self, batch: &RowBatch) -> io::Result<()> {
        let single = self.width == 1;
        for row in batch.rows() {
            self.line.clear();
            for (i, v) in row.iter().enumerate() {
                if i > 0 {
                    self.line.push(b',');
                }
                if v.is_null() {
                    continue;
                }
                self.scratch.clear();
                self.style.write(v, &mut self.scratch);
                write_field(&mut self.line, Some(&self.scratch), self.style.csv, single);
            }
            self.line.push(b'\n');
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
