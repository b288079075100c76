//! `dbhive query`: runs SQL and streams the results to standard output.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dbhive_core::{Connection, DbError, QueryEvent, QueryOptions};

use crate::cli::Format;
use crate::exit::{self, Failure};
use crate::output::{
    self, CsvOutput, JsonOutput, JsonlOutput, NullOutput, Output, ResultSummary, TableOutput,
};
use crate::report;

pub struct QueryArgs {
    pub format: Format,
    pub file: Option<String>,
    pub sql: Option<String>,
    pub timeout: Option<f64>,
    pub stats: bool,
}

fn read_sql(args: &QueryArgs) -> Result<String, Failure> {
    let from_stdin = || {
        let mut s = String::new();
        io::stdin()
            .read_to_string(&mut s)
            .map(|_| s)
            .map_err(|e| Failure::usage(format!("cannot read SQL from standard input: {e}")))
    };
    match (&args.sql, &args.file) {
        (Some(sql), _) if sql != "-" => Ok(sql.clone()),
        (_, Some(path)) if path != "-" => std::fs::read_to_string(path)
            .map_err(|e| Failure::usage(format!("cannot read {path}: {e}"))),
        _ => from_stdin(),
    }
}

pub async fn run(conn: Arc<dyn Connection>, args: QueryArgs) -> Result<(), Failure> {
    let sql = read_sql(&args)?;
    let style = conn.text_style();
    let out = output::stdout();
    let mut output: Box<dyn Output> = match args.format {
        Format::Table => Box::new(TableOutput::new(out, style)),
        Format::Csv => Box::new(CsvOutput::new(out, style)),
        Format::Json => Box::new(JsonOutput::new(out, style).map_err(io_failure)?),
        Format::Jsonl => Box::new(JsonlOutput::new(out, style)),
        Format::Null => Box::new(NullOutput),
    };
    let options = QueryOptions {
        timeout_ms: args.timeout.map(|s| (s * 1000.0).round().max(1.0) as u64),
    };
    let started = Instant::now();
    let mut stream = conn.execute(&sql, options).await;
    let handle = stream.handle();

    // Ctrl-C stops the statement on the server; a second one leaves at once.
    let interrupted = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = interrupted.clone();
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            eprintln!("Cancel request sent");
            handle.cancel();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(exit::CANCELLED);
            }
        }
    });

    let mut stats = Stats::default();
    let mut error: Option<DbError> = None;
    let mut pipe_closed = false;
    while let Some(event) = stream.next().await {
        let written = match &event {
            QueryEvent::Columns { columns, .. } => output.columns(columns),
            QueryEvent::ColumnsAdded { columns, .. } => output.columns_added(columns),
            QueryEvent::Rows(batch) => {
                if stats.first_row.is_none() && !batch.is_empty() {
                    stats.first_row = Some(started.elapsed());
                }
                stats.rows += batch.len() as u64;
                stats.batches += 1;
                output.rows(batch)
            }
            QueryEvent::ResultEnd {
                command,
                rows,
                rows_affected,
                has_columns,
                ..
            } => output.result_end(&ResultSummary {
                command: command.as_deref(),
                rows: *rows,
                rows_affected: *rows_affected,
                has_columns: *has_columns,
            }),
            QueryEvent::Notice(n) => {
                report::notice(n);
                output.notice(n)
            }
            QueryEvent::Error(e) => {
                error = Some(e.clone());
                Ok(())
            }
            QueryEvent::Done {
                elapsed_ms,
                results,
                cancelled,
            } => {
                stats.results = *results;
                stats.elapsed = Duration::from_millis(*elapsed_ms);
                output.finish(error.as_ref(), *elapsed_ms, *cancelled)
            }
        };
        if let Err(e) = written {
            if e.kind() == io::ErrorKind::BrokenPipe {
                // The reader (`| head`) has what it wanted: stop the query, leave quietly.
                pipe_closed = true;
                break;
            }
            return Err(io_failure(e));
        }
    }
    ctrl_c.abort();
    drop(stream);
    if pipe_closed {
        return Ok(());
    }
    if args.stats {
        stats.print();
    }
    match error {
        None => Ok(()),
        Some(e) => {
            // SQL Server's errors were printed in their place among the messages.
            if !e.in_messages {
                report::error(&e, Some(&sql));
            }
            let code = if interrupted.load(std::sync::atomic::Ordering::SeqCst) {
                exit::CANCELLED
            } else {
                exit::for_query_error(&e)
            };
            Err(Failure::reported(code))
        }
    }
}

fn io_failure(e: io::Error) -> Failure {
    Failure::new(exit::QUERY_FAILED, format!("cannot write the output: {e}"))
}

#[derive(Default)]
struct Stats {
    rows: u64,
    batches: u64,
    results: usize,
    first_row: Option<Duration>,
    elapsed: Duration,
}

impl Stats {
    fn print(&self) {
        let secs = self.elapsed.as_secs_f64();
        let rate = if secs > 0.0 {
            self.rows as f64 / secs
        } else {
            0.0
        };
        let first = self
            .first_row
            .map(|d| format!("{:.1} ms", d.as_secs_f64() * 1000.0))
            .unwrap_or_else(|| "-".into());
        let mut err = io::stderr().lock();
        let _ = writeln!(
            err,
            "rows: {}  results: {}  batches: {}  elapsed: {:.3} s  first row: {first}  rate: {:.0} rows/s",
            self.rows, self.results, self.batches, secs, rate
        );
    }
}
