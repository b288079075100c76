//! Command-line arguments.

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "dbhive",
    version,
    about = "DB-Hive from a terminal: query, browse and describe PostgreSQL, MySQL/MariaDB, SQLite, MongoDB and SQL Server."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Args, Debug)]
pub struct Target {
    /// Connection URL (postgres://user@host:port/db?sslmode=require, sqlite:///path/file.db,
    /// or a SQLite file path). A password may be given here, or in DBHIVE_PASSWORD.
    #[arg(long, env = "DBHIVE_URL", hide_env_values = true)]
    pub url: String,
    /// Read the password from standard input (all of it, less a final newline) instead of
    /// the URL or DBHIVE_PASSWORD, so it shows in no process list.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run SQL (one statement or a script) and print every result as it streams in.
    Query {
        #[command(flatten)]
        target: Target,
        #[arg(long, short = 'F', value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Read the SQL from this file ("-" for standard input).
        #[arg(long, short = 'f', conflicts_with = "sql")]
        file: Option<String>,
        /// Cancel the query on the server after this many seconds.
        #[arg(long)]
        timeout: Option<f64>,
        /// Print rows, elapsed time, time to first row and batches to standard error.
        #[arg(long)]
        stats: bool,
        /// The SQL to run. Without it (and without --file), standard input is read.
        #[arg(allow_hyphen_values = true)]
        sql: Option<String>,
    },
    /// List one level of the schema tree.
    Tree {
        #[command(flatten)]
        target: Target,
        /// Path to expand: names joined by "/" (a literal "/" in a name is written "\/"), or
        /// a JSON array of names. Empty: the top level.
        #[arg(long, default_value = "")]
        path: String,
        #[arg(long, short = 'F', value_enum, default_value_t = MetaFormat::Table)]
        format: MetaFormat,
    },
    /// Describe a table: columns, primary key, indexes, foreign keys, triggers.
    Describe {
        #[command(flatten)]
        target: Target,
        /// TABLE, SCHEMA.TABLE or DATABASE.SCHEMA.TABLE; quote parts with "..." when needed.
        #[arg(long)]
        table: String,
        #[arg(long, short = 'F', value_enum, default_value_t = MetaFormat::Table)]
        format: MetaFormat,
    },
    /// Print the CREATE statements of a table or view.
    Ddl {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        table: String,
    },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// CSV as the engine's own tool writes it (COPY ... CSV HEADER, sqlite3 -csv -header).
    Csv,
    /// One JSON document with every result.
    Json,
    /// One JSON object per row.
    Jsonl,
    /// Fetch everything, print nothing (benchmarks).
    Null,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum MetaFormat {
    Table,
    Json,
}
