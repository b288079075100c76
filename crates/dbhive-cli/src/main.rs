//! `dbhive`: DB-Hive's drivers from a terminal. See `dbhive --help` and the README.

mod cli;
mod connect;
mod exit;
mod meta;
mod output;
mod query;
mod report;
mod terminal;

use clap::Parser;

use cli::{Cli, Command};
use exit::Failure;

fn main() {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("dbhive: cannot start the async runtime: {e}");
            std::process::exit(exit::QUERY_FAILED);
        }
    };
    let code = match runtime.block_on(run(cli)) {
        Ok(()) => 0,
        Err(failure) => {
            if let Some(message) = failure.message {
                eprintln!("dbhive: {message}");
            }
            failure.code
        }
    };
    // Do not wait for background tasks (a cancel request in flight) beyond a moment.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    std::process::exit(code);
}

async fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Query {
            target,
            format,
            file,
            timeout,
            stats,
            sql,
        } => {
            let sql_from_stdin =
                file.as_deref().is_none_or(|f| f == "-") && sql.as_deref().is_none_or(|s| s == "-");
            if target.password_stdin && sql_from_stdin {
                return Err(Failure::usage(
                    "--password-stdin reads the password from standard input: give the SQL as an argument or with --file FILE",
                ));
            }
            let conn = connect::open(&target).await?;
            let result = query::run(
                conn.clone(),
                query::QueryArgs {
                    format,
                    file,
                    sql,
                    timeout,
                    stats,
                },
            )
            .await;
            conn.close().await;
            result
        }
        Command::Tree {
            target,
            path,
            format,
        } => {
            let conn = connect::open(&target).await?;
            meta::tree(conn, &path, format).await
        }
        Command::Describe {
            target,
            table,
            format,
        } => {
            let conn = connect::open(&target).await?;
            meta::describe(conn, &table, format).await
        }
        Command::Ddl { target, table } => {
            let conn = connect::open(&target).await?;
            meta::ddl(conn, &table).await
        }
    }
}
