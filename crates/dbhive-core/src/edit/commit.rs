//! Running a plan: every statement in one transaction on the tab's session, each checked to
//! have touched exactly the row it names. The first failure or conflict rolls everything
//! back, so a commit is all or nothing and the user's pending edits stay as they were.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::Engine;
use crate::driver::Session;
use crate::error::{DbError, DbResult};
use crate::result::{QueryEvent, QueryOptions};

use super::PlannedStatement;
use super::sql;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatementOutcome {
    pub change: usize,
    pub sql: String,
    pub rows_affected: Option<u64>,
    pub error: Option<DbError>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommitReport {
    pub committed: bool,
    /// The statements that ran, in order, up to the one that stopped the commit.
    pub statements: Vec<StatementOutcome>,
    /// The change that stopped it: its statement failed, or touched no row (someone else
    /// changed or deleted that row since it was read: a conflict) or several.
    pub stopped_at: Option<usize>,
    pub conflict: bool,
}

/// One statement on the session: its rows affected, or its error.
async fn run(session: &Arc<dyn Session>, sql: &str) -> DbResult<Option<u64>> {
    let mut stream = session
        .clone()
        .execute(sql.to_string(), QueryOptions::default());
    let mut affected = None;
    while let Some(event) = stream.next().await {
        match event {
            QueryEvent::ResultEnd {
                rows_affected: Some(n),
                ..
            } => affected = Some(n),
            QueryEvent::Error(e) => return Err(e),
            QueryEvent::Done { .. } => break,
            _ => {}
        }
    }
    Ok(affected)
}

/// What a manual-commit tab asks of its session's transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TxAction {
    Begin,
    Commit,
    Rollback,
}

/// Opens or ends the session's transaction, in the engine's words.
pub async fn transaction(
    session: &Arc<dyn Session>,
    engine: Engine,
    action: TxAction,
) -> DbResult<()> {
    if engine == Engine::Mongodb {
        return Err(DbError::unsupported(
            "MongoDB runs each command on its own here: manual-commit mode is for SQL engines",
        ));
    }
    let sql = match action {
        TxAction::Begin => sql::begin(engine),
        TxAction::Commit => sql::commit(engine),
        TxAction::Rollback => sql::rollback(engine),
    };
    run(session, sql).await.map(|_| ())
}

/// Runs `plan` in one transaction. An Err means the transaction could not be opened or
/// ended (the connection failed): the server then rolled it back.
pub async fn commit(
    session: Arc<dyn Session>,
    engine: Engine,
    plan: &[PlannedStatement],
) -> DbResult<CommitReport> {
    run(&session, sql::begin(engine)).await?;
    let mut report = CommitReport {
        committed: false,
        statements: Vec::with_capacity(plan.len()),
        stopped_at: None,
        conflict: false,
    };
    for s in plan {
        let outcome = run(&session, &s.sql).await;
        let (rows_affected, error) = match outcome {
            Ok(n) => (n, None),
            Err(e) => (None, Some(e)),
        };
        let wrong_count = s.expects_one_row && error.is_none() && rows_affected != Some(1);
        let failed = error.is_some();
        report.statements.push(StatementOutcome {
            change: s.change,
            sql: s.sql.clone(),
            rows_affected,
            error,
        });
        if failed || wrong_count {
            report.stopped_at = Some(s.change);
            report.conflict = wrong_count;
            run(&session, sql::rollback(engine)).await?;
            return Ok(report);
        }
    }
    run(&session, sql::commit(engine)).await?;
    report.committed = true;
    Ok(report)
}
