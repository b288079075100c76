//! The output formats of `dbhive query`. Each receives the events of a query in order and
//! writes as it goes, so the first rows reach the terminal before the query ends.

mod csv;
mod json;
mod table;

use std::io;

use dbhive_core::{Column, Notice, RowBatch, Value};
use dbhive_drivers::mongo::{JsonMode, document_json};

pub use csv::CsvOutput;
pub use json::{JsonOutput, JsonlOutput};
pub use table::TableOutput;

/// The end of one statement.
pub struct ResultSummary<'a> {
    pub command: Option<&'a str>,
    pub rows: u64,
    pub rows_affected: Option<u64>,
    pub has_columns: bool,
}

/// How many leading columns hold the row as a document (MongoDB) rather than a field: grids
/// and CSV leave them out, JSON writes the document.
pub fn document_columns(columns: &[Column]) -> usize {
    columns.iter().take_while(|c| c.document).count()
}

/// A document cell as relaxed Extended JSON, one line, as mongoexport writes it.
pub fn document_text(v: &Value) -> Option<String> {
    match v {
        Value::Bytes(b) => document_json(b, JsonMode::Relaxed).ok(),
        _ => None,
    }
}

pub trait Output {
    fn columns(&mut self, columns: &[Column]) -> io::Result<()>;
    /// An open result gained columns (a document with fields not seen before).
    fn columns_added(&mut self, columns: &[Column]) -> io::Result<()>;
    fn rows(&mut self, batch: &RowBatch) -> io::Result<()>;
    fn result_end(&mut self, summary: &ResultSummary) -> io::Result<()>;
    fn notice(&mut self, _notice: &Notice) -> io::Result<()> {
        Ok(())
    }
    /// Called once at the end, with the error that ended the query if any.
    fn finish(
        &mut self,
        error: Option<&dbhive_core::DbError>,
        elapsed_ms: u64,
        cancelled: bool,
    ) -> io::Result<()>;
}

/// Prints nothing; the rows are still fetched and decoded.
pub struct NullOutput;

impl Output for NullOutput {
    fn columns(&mut self, _: &[Column]) -> io::Result<()> {
        Ok(())
    }
    fn columns_added(&mut self, _: &[Column]) -> io::Result<()> {
        Ok(())
    }
    fn rows(&mut self, _: &RowBatch) -> io::Result<()> {
        Ok(())
    }
    fn result_end(&mut self, _: &ResultSummary) -> io::Result<()> {
        Ok(())
    }
    fn finish(&mut self, _: Option<&dbhive_core::DbError>, _: u64, _: bool) -> io::Result<()> {
        Ok(())
    }
}

/// Standard output, buffered, flushed after every batch.
pub type Sink = io::BufWriter<io::StdoutLock<'static>>;

pub fn stdout() -> Sink {
    io::BufWriter::with_capacity(256 * 1024, io::stdout().lock())
}
